// selfserve: a tracee that talks to itself over loopback, for the self-connection cases of
// tests/integration/self_cases.py (issue 10). A step that starts a server on 127.0.0.1 and
// connects to it (a test server, a language server, a build daemon) is the case the gate's
// `allow: {inbound: [...]}` and its `self` kind exist for.
//
// Every network operation is reported on stdout as one line, with the real (kernel-chosen)
// ports, so a test can prove that those ports reach strace.txt but not report.json:
//   selfserve pid=P op=listen proto=tcp addr=127.0.0.1 port=41234
//   selfserve pid=P op=connect proto=tcp addr=127.0.0.1 port=41234 local_port=51000 result=ok
//   selfserve pid=P op=accept proto=tcp addr=127.0.0.1 port=41234 peer_port=51000
//   selfserve pid=P op=exchange proto=tcp port=41234 sent=6 received=6 result=ok
//   selfserve pid=P result=ok
// A failure prints `selfserve: WHAT: ERROR` on stderr and exits 1 (bad arguments: 64).
// Only loopback, wildcard or documentation addresses make sense here; every wait is bounded
// (poll with a timeout, SO_RCVTIMEO/SO_SNDTIMEO, alarm(30) as the last resort).
//
// Usage: selfserve [--repeat N] MODE [ARGS...]
//   tcp ADDR         listen on ADDR port 0, connect to it from the same process, accept,
//                    exchange a few bytes both ways, close; N connections to the one listener
//   tcp-fork ADDR    the same, with the listener in the parent and the client in a forked
//                    child (which closes its copy of the listener first)
//   udp ADDR         bind a UDP socket on ADDR port 0; a second socket sends it N datagrams
//   udp-echo ADDR    the same, and the bound socket answers each datagram with sendto() to
//                    the sender's (kernel-chosen) address, which the sender receives
//   tcp-handoff ADDR listen on ADDR port 0, fork a child that serves on the inherited listener,
//                    close the parent's copy, then connect from the parent (the pattern of a
//                    harness that binds a port and hands the socket to the server it starts)
//   tcp-any          listen on 0.0.0.0 port 0, connect to 127.0.0.1 on that port
//   tcp-any6         listen on :: port 0 (dual stack), connect to 127.0.0.1 on that port
//   tcp-autobind     listen on a socket never bound (the kernel binds it to 0.0.0.0 on an
//                    ephemeral port), connect to 127.0.0.1 on that port
//   stray PORT       non-blocking connect to 127.0.0.1:PORT where nobody listens;
//                    ECONNREFUSED and EPERM both count as success

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracee_addr.h"

enum { kWaitMs = 5000, kMaxRepeat = 64 }; // kWaitMs: generous, as every network call stops under the tracer

static void usage(void)
{
	fprintf(stderr, "selfserve: bad arguments (see the comment at the top of selfserve.c)\n");
	exit(64);
}

static const char *errName(int err)
{
	const char *name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

// Reports a failed call with the errno it left and exits 1.
static void fail(const char *what, int err)
{
	fflush(stdout);
	fprintf(stderr, "selfserve: %s: %s (%s)\n", what, errName(err), strerror(err));
	exit(1);
}

// Reports a failure that is not a system call's and exits 1.
static void failMsg(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "selfserve: %s\n", what);
	exit(1);
}

// parseAddr, or exit 64 when text is not a numeric address.
static void needAddr(const char *text, uint16_t port, struct Addr *a)
{
	if (!parseAddr(text, port, a))
		usage();
}

static uint16_t portOf(const struct Addr *a)
{
	return a->ss.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&a->ss)->sin_port)
					  : ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

// The address without port or brackets: "127.0.0.1", "::1".
static const char *hostOf(const struct Addr *a, char *buf, size_t n)
{
	const void *raw = a->ss.ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
						     : (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!inet_ntop(a->ss.ss_family, raw, buf, n))
		snprintf(buf, n, "?");
	return buf;
}

static int mustSocket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket", errno);
	struct timeval tv = {.tv_sec = kWaitMs / 1000, .tv_usec = (kWaitMs % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		fail("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", errno);
	return fd;
}

static void localAddr(int fd, struct Addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	if (getsockname(fd, (struct sockaddr *)&a->ss, &a->len) < 0)
		fail("getsockname", errno);
}

// Waits at most kWaitMs for `events` on fd; fails the run on a timeout.
static void waitFor(int fd, short events, const char *what)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;
	do
		n = poll(&pfd, 1, kWaitMs);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(what, errno);
	if (n == 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s: timed out after %d ms", what, kWaitMs);
		failMsg(msg);
	}
}

// A TCP listener on `host` port 0 (bindFirst 0: listen() on an unbound socket, the
// kernel's autobind). Returns the fd; *bound gets the address the kernel chose.
static int tcpListen(const char *host, int bindFirst, struct Addr *bound)
{
	struct Addr want;
	needAddr(host, 0, &want);
	int fd = mustSocket(want.ss.ss_family, SOCK_STREAM);
	if (bindFirst && bind(fd, (struct sockaddr *)&want.ss, want.len) < 0)
		fail("bind", errno);
	if (listen(fd, kMaxRepeat) < 0)
		fail("listen", errno);
	localAddr(fd, bound);
	char text[INET6_ADDRSTRLEN];
	printf("selfserve pid=%d op=listen proto=tcp addr=%s port=%u%s\n", getpid(), hostOf(bound, text, sizeof(text)),
	       portOf(bound), bindFirst ? "" : " autobind=1");
	return fd;
}

// A non-blocking connect to `to`, completed within kWaitMs; returns a blocking fd.
static int tcpConnect(const struct Addr *to)
{
	int fd = mustSocket(to->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK);
	char text[INET6_ADDRSTRLEN];
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len) < 0) {
		if (errno != EINPROGRESS)
			fail("connect", errno);
		waitFor(fd, POLLOUT, "connect");
		int soErr = 0;
		socklen_t soLen = sizeof(soErr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &soLen) < 0)
			fail("getsockopt(SO_ERROR)", errno);
		if (soErr)
			fail("connect (completion)", soErr);
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		fail("fcntl(O_NONBLOCK)", errno);
	struct Addr mine;
	localAddr(fd, &mine);
	printf("selfserve pid=%d op=connect proto=tcp addr=%s port=%u local_port=%u result=ok\n", getpid(),
	       hostOf(to, text, sizeof(text)), portOf(to), portOf(&mine));
	return fd;
}

static int tcpAccept(int lfd, const struct Addr *bound)
{
	waitFor(lfd, POLLIN, "accept");
	struct Addr peer = {.len = sizeof(peer.ss)};
	int fd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_CLOEXEC);
	if (fd < 0)
		fail("accept4", errno);
	struct timeval tv = {.tv_sec = kWaitMs / 1000, .tv_usec = (kWaitMs % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		fail("setsockopt(accepted)", errno);
	char text[INET6_ADDRSTRLEN];
	printf("selfserve pid=%d op=accept proto=tcp addr=%s port=%u peer_port=%u\n", getpid(),
	       hostOf(bound, text, sizeof(text)), portOf(bound), portOf(&peer));
	return fd;
}

// Sends all of msg (bounded by SO_SNDTIMEO).
static void sendAll(int fd, const char *msg, size_t n, const char *what)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = send(fd, msg + done, n - done, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail(what, r < 0 ? errno : EPIPE);
		done += (size_t)r;
	}
}

// Receives exactly n bytes and checks they equal want (bounded by SO_RCVTIMEO).
static void recvExact(int fd, const char *want, size_t n, const char *what)
{
	char buf[64];
	size_t done = 0;
	if (n > sizeof(buf))
		failMsg("recvExact: message too long");
	while (done < n) {
		ssize_t r = recv(fd, buf + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(what, errno);
		if (r == 0) {
			char msg[128];
			snprintf(msg, sizeof(msg), "%s: peer closed after %zu of %zu bytes", what, done, n);
			failMsg(msg);
		}
		done += (size_t)r;
	}
	if (memcmp(buf, want, n) != 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%s: received '%.*s', expected '%.*s'", what, (int)n, buf, (int)n, want);
		failMsg(msg);
	}
}

// The client's half of exchange i: ping out, pong back.
static void clientExchange(int fd, int i, uint16_t port)
{
	char ping[32], pong[32];
	int np = snprintf(ping, sizeof(ping), "ping-%d", i);
	int nq = snprintf(pong, sizeof(pong), "pong-%d", i);
	sendAll(fd, ping, (size_t)np, "client send");
	recvExact(fd, pong, (size_t)nq, "client recv");
	printf("selfserve pid=%d op=exchange side=client proto=tcp port=%u sent=%d received=%d result=ok\n", getpid(),
	       port, np, nq);
}

// The server's half of exchange i.
static void serverExchange(int fd, int i, uint16_t port)
{
	char ping[32], pong[32];
	int np = snprintf(ping, sizeof(ping), "ping-%d", i);
	int nq = snprintf(pong, sizeof(pong), "pong-%d", i);
	recvExact(fd, ping, (size_t)np, "server recv");
	sendAll(fd, pong, (size_t)nq, "server send");
	printf("selfserve pid=%d op=exchange side=server proto=tcp port=%u sent=%d received=%d result=ok\n", getpid(),
	       port, nq, np);
}

// listen on `host` (or autobind), then `repeat` times: connect to `target` on the
// listener's port, accept, exchange, close. All in one process: the ping is sent before the
// server reads it, which the socket buffers allow.
static void tcpSame(const char *host, int bindFirst, const char *target, int repeat)
{
	struct Addr bound, to;
	int lfd = tcpListen(host, bindFirst, &bound);
	needAddr(target, portOf(&bound), &to);
	for (int i = 0; i < repeat; i++) {
		int cfd = tcpConnect(&to);
		int sfd = tcpAccept(lfd, &bound);
		char ping[32], pong[32];
		int np = snprintf(ping, sizeof(ping), "ping-%d", i);
		int nq = snprintf(pong, sizeof(pong), "pong-%d", i);
		sendAll(cfd, ping, (size_t)np, "client send");
		recvExact(sfd, ping, (size_t)np, "server recv");
		sendAll(sfd, pong, (size_t)nq, "server send");
		recvExact(cfd, pong, (size_t)nq, "client recv");
		printf("selfserve pid=%d op=exchange side=both proto=tcp port=%u sent=%d received=%d result=ok\n", getpid(),
		       portOf(&bound), np + nq, np + nq);
		close(cfd);
		close(sfd);
	}
	close(lfd);
}

// Reaps child within a few seconds; SIGKILLs it if it is still there. Returns its status.
static int reapBounded(pid_t child)
{
	for (int i = 0; i < 200; i++) { // 200 x 25 ms
		int status = 0;
		pid_t r = waitpid(child, &status, WNOHANG);
		if (r == child)
			return status;
		if (r < 0 && errno != EINTR)
			fail("waitpid", errno);
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 25 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(child, SIGKILL);
	int status = 0;
	waitpid(child, &status, 0);
	failMsg("the child did not exit within 5 s (killed)");
	return status;
}

static void tcpFork(const char *host, int repeat)
{
	struct Addr bound, to;
	int lfd = tcpListen(host, 1, &bound);
	to = bound;
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		fail("fork", errno);
	if (child == 0) {
		close(lfd); // the listener belongs to the parent alone
		for (int i = 0; i < repeat; i++) {
			int cfd = tcpConnect(&to);
			clientExchange(cfd, i, portOf(&bound));
			close(cfd);
		}
		fflush(stdout);
		_exit(0);
	}
	for (int i = 0; i < repeat; i++) {
		int sfd = tcpAccept(lfd, &bound);
		serverExchange(sfd, i, portOf(&bound));
		close(sfd);
	}
	close(lfd);
	int status = reapBounded(child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the client child failed (wait status 0x%x)", status);
		failMsg(msg);
	}
	printf("selfserve pid=%d op=child-exit status=0\n", getpid());
}

static void tcpHandoff(const char *host, int repeat)
{
	struct Addr bound;
	int lfd = tcpListen(host, 1, &bound);
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		fail("fork", errno);
	if (child == 0) {
		for (int i = 0; i < repeat; i++) {
			int sfd = tcpAccept(lfd, &bound);
			serverExchange(sfd, i, portOf(&bound));
			close(sfd);
		}
		fflush(stdout);
		_exit(0);
	}
	close(lfd); // from here on only the child holds the listener
	printf("selfserve pid=%d op=handoff proto=tcp port=%u server_pid=%d\n", getpid(), portOf(&bound), (int)child);
	for (int i = 0; i < repeat; i++) {
		int cfd = tcpConnect(&bound);
		clientExchange(cfd, i, portOf(&bound));
		close(cfd);
	}
	int status = reapBounded(child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the server child failed (wait status 0x%x)", status);
		failMsg(msg);
	}
	printf("selfserve pid=%d op=child-exit status=0\n", getpid());
}

static void udpSelf(const char *host, int repeat, int echo)
{
	struct Addr want, bound;
	needAddr(host, 0, &want);
	int rfd = mustSocket(want.ss.ss_family, SOCK_DGRAM);
	if (bind(rfd, (struct sockaddr *)&want.ss, want.len) < 0)
		fail("bind", errno);
	localAddr(rfd, &bound);
	char text[INET6_ADDRSTRLEN];
	hostOf(&bound, text, sizeof(text));
	printf("selfserve pid=%d op=bind proto=udp addr=%s port=%u\n", getpid(), text, portOf(&bound));
	int sfd = mustSocket(want.ss.ss_family, SOCK_DGRAM);
	for (int i = 0; i < repeat; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "dgram-%d", i);
		if (sendto(sfd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&bound.ss, bound.len) != n)
			fail("sendto", errno);
		struct Addr mine;
		localAddr(sfd, &mine);
		printf("selfserve pid=%d op=sendto proto=udp addr=%s port=%u local_port=%u result=ok\n", getpid(), text,
		       portOf(&bound), portOf(&mine));
		waitFor(rfd, POLLIN, "recvfrom");
		char buf[64];
		struct Addr from = {.len = sizeof(from.ss)};
		ssize_t r = recvfrom(rfd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from.ss, &from.len);
		if (r < 0)
			fail("recvfrom", errno);
		if (r != n || memcmp(buf, msg, (size_t)n) != 0)
			failMsg("recv: the datagram received is not the one sent");
		printf("selfserve pid=%d op=recv proto=udp port=%u received=%zd result=ok\n", getpid(), portOf(&bound), r);
		if (!echo)
			continue;
		char reply[32];
		int nr = snprintf(reply, sizeof(reply), "reply-%d", i);
		// To the address the datagram came from, as a server does (not the client's
		// getsockname(), which is the wildcard it was autobound to).
		if (sendto(rfd, reply, (size_t)nr, MSG_DONTWAIT, (struct sockaddr *)&from.ss, from.len) != nr)
			fail("sendto (reply)", errno);
		char peer[INET6_ADDRSTRLEN];
		printf("selfserve pid=%d op=sendto proto=udp addr=%s port=%u local_port=%u reply=1 result=ok\n", getpid(),
		       hostOf(&from, peer, sizeof(peer)), portOf(&from), portOf(&bound));
		waitFor(sfd, POLLIN, "recv (reply)");
		r = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0)
			fail("recv (reply)", errno);
		if (r != nr || memcmp(buf, reply, (size_t)nr) != 0)
			failMsg("recv: the reply received is not the one sent");
		printf("selfserve pid=%d op=recv proto=udp port=%u received=%zd reply=1 result=ok\n", getpid(), portOf(&mine), r);
	}
	close(sfd);
	close(rfd);
}

static void stray(const char *portText)
{
	char *end = NULL;
	long p = strtol(portText, &end, 10);
	if (*portText == '\0' || *end != '\0' || p < 1 || p > 65535)
		usage();
	struct Addr to;
	needAddr("127.0.0.1", (uint16_t)p, &to);
	int fd = mustSocket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	int err = 0;
	if (connect(fd, (struct sockaddr *)&to.ss, to.len) < 0) {
		err = errno;
		if (err == EINPROGRESS) {
			waitFor(fd, POLLOUT, "connect");
			socklen_t len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				fail("getsockopt(SO_ERROR)", errno);
		}
	}
	printf("selfserve pid=%d op=connect proto=tcp addr=127.0.0.1 port=%ld result=%s\n", getpid(), p,
	       err ? errName(err) : "connected");
	close(fd);
	if (err != ECONNREFUSED && err != EPERM) {
		char msg[128];
		snprintf(msg, sizeof(msg), "connect to 127.0.0.1:%ld: %s, expected ECONNREFUSED or EPERM", p,
			 err ? errName(err) : "connected");
		failMsg(msg);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(30); // last-resort bound: no mode may outlive the test
	argc--, argv++;
	int repeat = 1;
	if (argc >= 2 && !strcmp(argv[0], "--repeat")) {
		char *end = NULL;
		long n = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || n < 1 || n > kMaxRepeat)
			usage();
		repeat = (int)n;
		argc -= 2, argv += 2;
	}
	if (argc < 1)
		usage();
	const char *mode = argv[0];
	if (!strcmp(mode, "tcp") && argc == 2)
		tcpSame(argv[1], 1, argv[1], repeat);
	else if (!strcmp(mode, "tcp-fork") && argc == 2)
		tcpFork(argv[1], repeat);
	else if (!strcmp(mode, "udp") && argc == 2)
		udpSelf(argv[1], repeat, 0);
	else if (!strcmp(mode, "udp-echo") && argc == 2)
		udpSelf(argv[1], repeat, 1);
	else if (!strcmp(mode, "tcp-any") && argc == 1)
		tcpSame("0.0.0.0", 1, "127.0.0.1", repeat);
	else if (!strcmp(mode, "tcp-handoff") && argc == 2)
		tcpHandoff(argv[1], repeat);
	else if (!strcmp(mode, "tcp-any6") && argc == 1)
		tcpSame("::", 1, "127.0.0.1", repeat);
	else if (!strcmp(mode, "tcp-autobind") && argc == 1)
		tcpSame("0.0.0.0", 0, "127.0.0.1", repeat);
	else if (!strcmp(mode, "stray") && argc == 2)
		stray(argv[1]);
	else
		usage();
	printf("selfserve pid=%d result=ok\n", getpid());
	return 0;
}
