// dnsprobe: a tracee that resolves names and sends DNS queries, for the governed-DNS cases of
// tests/integration/dns_cases.py (issue 11). glibc's resolver is pointed at the test server
// of tests/integration/dns_server.py by a private /etc/resolv.conf; only names under
// example.test and documentation addresses (203.0.113.0/24, 2001:db8::/32) are ever used.
//
// Every operation is reported on stdout as one line of key=value pairs:
//   dnsprobe op=resolve name=N addr=A all=A,B rc=0 ms=3
//   dnsprobe op=resolve-failed name=N gai=EAI_AGAIN rc=-3 errno=0 ms=2
//   dnsprobe op=connect addr=A:PORT errno=EINPROGRESS result=pending
//   dnsprobe op=raw proto=udp server=S name=N id=I rcode=0 answers=2 addr=A[,B]
//   dnsprobe op=raw-failed proto=udp server=S name=N call=sendto errno=EPERM
//   dnsprobe op=junk server=S sent=40 errno=0
//   dnsprobe result=ok | result=refused
// Exit 0 when every operation went through (a connect that is still pending after its wait,
// or refused by the peer, went through: only the call matters); 1 when a call was refused
// with EPERM, a name did not resolve or no answer came; 64 on bad arguments. Every wait is
// bounded (poll with a timeout, SO_RCVTIMEO/SO_SNDTIMEO, alarm(20) as the last resort).
//
// Usage:
//   dnsprobe resolve NAME PORT [N [inet|any]]
//       N times (default 1): getaddrinfo(NAME, PORT, AF_INET (any: AF_UNSPEC, which makes
//       glibc send the A and AAAA queries together with sendmmsg), SOCK_STREAM), then a
//       non-blocking connect to the first address, waited for at most 200 ms, closed
//   dnsprobe threads NAME PORT N
//       N threads, started together, each resolving NAME (AF_INET) and connecting once
//   dnsprobe raw udp|udp-connected|tcp|tcp-writev SERVER NAME
//       builds an A query for NAME and sends it to SERVER port 53: sendto on an unconnected
//       UDP socket, connect + send, connect + write of the 2-byte length and the query in one
//       buffer, or connect + writev of the length and the query as two buffers; reads the
//       answer (at most 2 s) and prints its addresses
//   dnsprobe literal ADDR PORT
//       a non-blocking connect to a literal address, waited for at most 200 ms
//   dnsprobe junk SERVER
//       sends 40 bytes that are not a DNS query to SERVER port 53 over UDP (sendto)

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tracee_addr.h"

enum {
	kConnectWaitMs = 200, // a connect into the test namespace's veth never completes
	kAnswerWaitMs = 2000,
	kDnsPort = 53,
	kMaxRepeat = 16,
	kMaxMessage = 4096,
};

static _Atomic int refused; // some call was refused (EPERM) or some name did not resolve

static void usage(void)
{
	fprintf(stderr, "dnsprobe: bad arguments (see the comment at the top of dnsprobe.c)\n");
	exit(64);
}

static const char *errName(int err)
{
	if (err == 0)
		return "0";
	const char *name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

static const char *gaiName(int rc)
{
	switch (rc) {
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	case EAI_NODATA: return "EAI_NODATA";
	case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
	default: return "EAI_OTHER";
	}
}

static long nowMs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t parsePort(const char *text)
{
	char *end = NULL;
	long p = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || p < 1 || p > 65535)
		usage();
	return (uint16_t)p;
}

// "203.0.113.10:443" or "[2001:db8::10]:443" (port 0: the address alone).
static const char *showAddr(const struct sockaddr *sa, char *buf, size_t n)
{
	char text[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
		port = ntohs(in4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		port = ntohs(in6->sin6_port);
	}
	if (port == 0)
		snprintf(buf, n, "%s", text);
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, n, "[%s]:%u", text, port);
	else
		snprintf(buf, n, "%s:%u", text, port);
	return buf;
}

// Waits at most ms for events on fd; returns poll's revents, 0 on a timeout.
static short waitFor(int fd, short events, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	long deadline = nowMs() + ms;
	for (;;) {
		int left = (int)(deadline - nowMs());
		int n = poll(&pfd, 1, left < 0 ? 0 : left);
		if (n > 0)
			return pfd.revents;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

// A non-blocking connect to sa, waited for at most kConnectWaitMs, then closed.
static void connectOnce(const struct sockaddr *sa, socklen_t len)
{
	char shown[INET6_ADDRSTRLEN + 16];
	showAddr(sa, shown, sizeof(shown));
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("dnsprobe op=connect addr=%s call=socket errno=%s result=failed\n", shown, errName(errno));
		refused = 1;
		return;
	}
	int err = 0;
	const char *result = "connected";
	if (connect(fd, sa, len) < 0) {
		err = errno;
		result = errName(err);
		if (err == EINPROGRESS) {
			result = "pending";
			if (waitFor(fd, POLLOUT, kConnectWaitMs)) {
				int soErr = 0;
				socklen_t soLen = sizeof(soErr);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &soLen) == 0)
					result = soErr ? errName(soErr) : "connected";
			}
		}
	}
	if (err == EPERM)
		refused = 1;
	printf("dnsprobe op=connect addr=%s errno=%s result=%s\n", shown, errName(err), result);
	close(fd);
}

// One getaddrinfo and a connect to its first address; false when the name did not resolve.
static int resolveOnce(const char *name, const char *port, int family)
{
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	struct addrinfo *res = NULL;
	long start = nowMs();
	errno = 0;
	int rc = getaddrinfo(name, port, &hints, &res);
	int err = errno;
	long ms = nowMs() - start;
	if (rc != 0) {
		printf("dnsprobe op=resolve-failed name=%s gai=%s rc=%d errno=%s ms=%ld\n", name, gaiName(rc), rc,
		       rc == EAI_SYSTEM ? errName(err) : "0", ms);
		refused = 1;
		return 0;
	}
	char all[512] = "";
	size_t used = 0;
	for (struct addrinfo *ai = res; ai && used < sizeof(all) - INET6_ADDRSTRLEN - 2; ai = ai->ai_next) {
		char one[INET6_ADDRSTRLEN + 16];
		struct sockaddr_storage bare;
		memcpy(&bare, ai->ai_addr, ai->ai_addrlen);
		if (bare.ss_family == AF_INET)
			((struct sockaddr_in *)&bare)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&bare)->sin6_port = 0;
		used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s", used ? "," : "",
					 showAddr((struct sockaddr *)&bare, one, sizeof(one)));
	}
	char first[INET6_ADDRSTRLEN + 16];
	size_t firstLen = strcspn(all, ",");
	snprintf(first, sizeof(first), "%.*s", (int)(firstLen < sizeof(first) ? firstLen : sizeof(first) - 1), all);
	printf("dnsprobe op=resolve name=%s addr=%s all=%s rc=0 ms=%ld\n", name, first, all, ms);
	connectOnce(res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 1;
}

static void resolve(const char *name, const char *port, int times, int family)
{
	for (int i = 0; i < times; i++)
		if (!resolveOnce(name, port, family))
			return;
}

struct ThreadArgs {
	const char *name, *port;
	pthread_barrier_t *start;
};

static void *resolveThread(void *p)
{
	struct ThreadArgs *a = p;
	pthread_barrier_wait(a->start);
	resolveOnce(a->name, a->port, AF_INET);
	return NULL;
}

// n threads started together, each resolving name and connecting once (AF_INET).
static void resolveThreads(const char *name, const char *port, int n)
{
	pthread_t tids[kMaxRepeat];
	pthread_barrier_t start;
	struct ThreadArgs args = {.name = name, .port = port, .start = &start};
	if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0) {
		printf("dnsprobe op=threads call=pthread_barrier_init result=failed\n");
		refused = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		int err = pthread_create(&tids[i], NULL, resolveThread, &args);
		if (err) {
			fprintf(stderr, "dnsprobe: pthread_create: %s\n", strerror(err));
			exit(1); // also ends the threads already waiting at the barrier
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&start);
}

// An A query for name (RD set) into buf; returns its length, 0 when name cannot be encoded.
static size_t buildQuery(const char *name, uint16_t id, uint8_t *buf, size_t cap)
{
	if (cap < 12 + 255 + 4)
		return 0;
	uint8_t header[12] = {(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(buf, header, sizeof(header));
	size_t at = 12;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || at + 1 + n > 12 + 254)
			return 0;
		buf[at++] = (uint8_t)n;
		memcpy(buf + at, p, n);
		at += n;
		p += n;
		if (*p == '.')
			p++;
	}
	buf[at++] = 0;
	const uint8_t tail[4] = {0, 1, 0, 1}; // type A, class IN
	memcpy(buf + at, tail, sizeof(tail));
	return at + 4;
}

// Offset after the (possibly compressed) name at msg[at], 0 when it runs past len.
static size_t skipName(const uint8_t *msg, size_t len, size_t at)
{
	while (at < len) {
		uint8_t n = msg[at];
		if ((n & 0xC0) == 0xC0)
			return at + 2 <= len ? at + 2 : 0;
		if (n == 0)
			return at + 1;
		at += 1 + (size_t)n;
	}
	return 0;
}

static void printAnswer(const char *proto, const char *server, const char *name, uint16_t id, const uint8_t *msg,
			size_t len)
{
	if (len < 12 || ((msg[0] << 8) | msg[1]) != id || !(msg[2] & 0x80)) {
		printf("dnsprobe op=raw-failed proto=%s server=%s name=%s why=the reply is not an answer to the query\n",
		       proto, server, name);
		refused = 1;
		return;
	}
	unsigned qd = (unsigned)(msg[4] << 8 | msg[5]), an = (unsigned)(msg[6] << 8 | msg[7]);
	size_t at = 12;
	for (unsigned i = 0; i < qd && at; i++)
		at = skipName(msg, len, at) ? skipName(msg, len, at) + 4 : 0;
	char addrs[256] = "";
	size_t used = 0;
	for (unsigned i = 0; i < an && at && at <= len; i++) {
		at = skipName(msg, len, at);
		if (!at || at + 10 > len)
			break;
		unsigned type = (unsigned)(msg[at] << 8 | msg[at + 1]);
		unsigned rdlen = (unsigned)(msg[at + 8] << 8 | msg[at + 9]);
		at += 10;
		if (at + rdlen > len)
			break;
		if (type == 1 && rdlen == 4 && used < sizeof(addrs) - 20) {
			char text[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, msg + at, text, sizeof(text));
			used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s", used ? "," : "", text);
		}
		at += rdlen;
	}
	printf("dnsprobe op=raw proto=%s server=%s name=%s id=%u rcode=%u answers=%u addr=%s\n", proto, server, name, id,
	       msg[3] & 0x0F, an, used ? addrs : "none");
}

static void rawFailed(const char *proto, const char *server, const char *name, const char *call, int err)
{
	printf("dnsprobe op=raw-failed proto=%s server=%s name=%s call=%s errno=%s\n", proto, server, name, call,
	       errName(err));
	refused = 1;
}

// Reads exactly n bytes from a stream socket within the answer wait; false on EOF or timeout.
static int readFull(int fd, uint8_t *buf, size_t n, long deadline, const char **call, int *err)
{
	size_t got = 0;
	while (got < n) {
		int left = (int)(deadline - nowMs());
		if (left <= 0 || !waitFor(fd, POLLIN, left)) {
			*call = "read (timeout)", *err = ETIMEDOUT;
			return 0;
		}
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*call = "read", *err = r < 0 ? errno : ECONNRESET;
			return 0;
		}
		got += (size_t)r;
	}
	return 1;
}

static void raw(const char *proto, const char *server, const char *name)
{
	struct Addr to;
	if (!parseAddr(server, kDnsPort, &to))
		usage();
	uint8_t q[kMaxMessage];
	uint16_t id = (uint16_t)(getpid() ^ (nowMs() & 0xffff));
	size_t qlen = buildQuery(name, id, q, sizeof(q));
	if (!qlen)
		usage();
	int udp = !strcmp(proto, "udp") || !strcmp(proto, "udp-connected");
	if (!udp && strcmp(proto, "tcp") && strcmp(proto, "tcp-writev"))
		usage();
	int fd = socket(to.ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rawFailed(proto, server, name, "socket", errno);
		return;
	}
	struct timeval tv = {.tv_sec = kAnswerWaitMs / 1000, .tv_usec = 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	uint8_t answer[kMaxMessage];
	ssize_t alen = -1;
	long deadline = nowMs() + kAnswerWaitMs;
	if (!strcmp(proto, "udp")) {
		if (sendto(fd, q, qlen, 0, (struct sockaddr *)&to.ss, to.len) != (ssize_t)qlen) {
			rawFailed(proto, server, name, "sendto", errno);
			close(fd);
			return;
		}
	} else {
		if (connect(fd, (struct sockaddr *)&to.ss, to.len) < 0) {
			rawFailed(proto, server, name, "connect", errno);
			close(fd);
			return;
		}
		ssize_t sent;
		const char *call;
		if (!strcmp(proto, "udp-connected")) {
			call = "send";
			sent = send(fd, q, qlen, 0);
		} else if (!strcmp(proto, "tcp")) {
			uint8_t framed[kMaxMessage + 2];
			framed[0] = (uint8_t)(qlen >> 8), framed[1] = (uint8_t)qlen;
			memcpy(framed + 2, q, qlen);
			call = "write";
			sent = write(fd, framed, qlen + 2) - 2;
		} else {
			uint8_t prefix[2] = {(uint8_t)(qlen >> 8), (uint8_t)qlen};
			struct iovec iov[2] = {{.iov_base = prefix, .iov_len = 2}, {.iov_base = q, .iov_len = qlen}};
			call = "writev";
			sent = writev(fd, iov, 2) - 2;
		}
		if (sent != (ssize_t)qlen) {
			rawFailed(proto, server, name, call, sent < 0 ? errno : EMSGSIZE);
			close(fd);
			return;
		}
	}
	if (udp) {
		if (!waitFor(fd, POLLIN, kAnswerWaitMs)) {
			rawFailed(proto, server, name, "recv (timeout)", ETIMEDOUT);
			close(fd);
			return;
		}
		alen = recv(fd, answer, sizeof(answer), 0);
		if (alen < 0) {
			rawFailed(proto, server, name, "recv", errno);
			close(fd);
			return;
		}
	} else {
		uint8_t prefix[2];
		const char *call = NULL;
		int err = 0;
		if (!readFull(fd, prefix, 2, deadline, &call, &err) ||
		    !readFull(fd, answer, (size_t)(prefix[0] << 8 | prefix[1]), deadline, &call, &err)) {
			rawFailed(proto, server, name, call, err);
			close(fd);
			return;
		}
		alen = prefix[0] << 8 | prefix[1];
	}
	close(fd);
	printAnswer(proto, server, name, id, answer, (size_t)alen);
}

static void junk(const char *server)
{
	struct Addr to;
	if (!parseAddr(server, kDnsPort, &to))
		usage();
	// 40 bytes of text: read as a DNS header it asks 8297 questions, which it does not hold.
	static const char kJunk[] = "this is not a dns query, just 40 bytes!!";
	_Static_assert(sizeof(kJunk) - 1 == 40, "40 bytes of junk");
	int fd = socket(to.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("dnsprobe op=junk server=%s call=socket errno=%s\n", server, errName(errno));
		refused = 1;
		return;
	}
	ssize_t n = sendto(fd, kJunk, sizeof(kJunk) - 1, 0, (struct sockaddr *)&to.ss, to.len);
	int err = n < 0 ? errno : 0;
	if (err)
		refused = 1;
	printf("dnsprobe op=junk server=%s sent=%zd errno=%s\n", server, n < 0 ? 0 : n, errName(err));
	close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(20); // last-resort bound: no mode may outlive the test
	argc--, argv++;
	if (argc < 1)
		usage();
	const char *mode = argv[0];
	if (!strcmp(mode, "resolve") && argc >= 3 && argc <= 5) {
		int times = 1, family = AF_INET;
		if (argc >= 4) {
			char *end = NULL;
			long n = strtol(argv[3], &end, 10);
			if (*argv[3] == '\0' || *end != '\0' || n < 1 || n > kMaxRepeat)
				usage();
			times = (int)n;
		}
		if (argc == 5) {
			if (!strcmp(argv[4], "any"))
				family = AF_UNSPEC;
			else if (strcmp(argv[4], "inet"))
				usage();
		}
		parsePort(argv[2]);
		resolve(argv[1], argv[2], times, family);
	} else if (!strcmp(mode, "threads") && argc == 4) {
		char *end = NULL;
		long n = strtol(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || n < 1 || n > kMaxRepeat)
			usage();
		parsePort(argv[2]);
		resolveThreads(argv[1], argv[2], (int)n);
	} else if (!strcmp(mode, "raw") && argc == 4) {
		raw(argv[1], argv[2], argv[3]);
	} else if (!strcmp(mode, "literal") && argc == 3) {
		struct Addr to;
		if (!parseAddr(argv[1], parsePort(argv[2]), &to))
			usage();
		connectOnce((struct sockaddr *)&to.ss, to.len);
	} else if (!strcmp(mode, "junk") && argc == 2) {
		junk(argv[1]);
	} else {
		usage();
	}
	printf("dnsprobe result=%s\n", refused ? "refused" : "ok");
	return refused ? 1 : 0;
}
