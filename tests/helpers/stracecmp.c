// The tracee of tests/strace/compare_cases.py (issue 13): the same network calls under real
// strace and under `hermetic-gate strace`, whose outputs are compared line by line. Every
// call is deterministic: fixed loopback ports (the test runs in a private network
// namespace), payloads of fixed bytes, children waited for one at a time, so that the only
// differences between two runs are pids, inodes and times.
//
//   stracecmp calls   one process: stream and datagram sockets over loopback, a unix pair,
//                     sendmsg/recvmsg with two iovecs and a passed descriptor, socket options,
//                     a non-blocking connect to a documentation address (no route: refused
//                     by the kernel), shutdown; exits 0
//   stracecmp tree    forks two children one after the other, each makes calls and exits
//                     with its own code; the parent signals itself once; exits 3
//   stracecmp killed  makes one call, then dies of SIGTERM
//   stracecmp overlap the parent blocks in recvfrom() while its child makes calls: strace
//                     writes it as "<unfinished ...>" and "<... recvfrom resumed>"; the child
//                     goes on only once /proc shows the parent in the call it waits for

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void stream_calls(void)
{
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = loopback(40123);
	bind(srv, (struct sockaddr *)&a, sizeof(a));
	listen(srv, 8);
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	getsockname(srv, (struct sockaddr *)&got, &len);

	int cli = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	connect(cli, (struct sockaddr *)&a, sizeof(a));
	struct sockaddr_in peer;
	len = sizeof(peer);
	int acc = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	getpeername(cli, (struct sockaddr *)&peer, &len);
	sendto(cli, "GET / HTTP/1.0\r\nHost: example.com\r\n\r\n", 38, MSG_NOSIGNAL, NULL, 0);
	char buf[128];
	recvfrom(acc, buf, sizeof(buf), 0, NULL, NULL);
	shutdown(cli, SHUT_WR);
	int err = 0;
	len = sizeof(err);
	getsockopt(cli, SOL_SOCKET, SO_ERROR, &err, &len);
	close(acc);
	close(cli);
	close(srv);
}

static void datagram_calls(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(40124);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	static const char bytes[] = "\x00\x01\x02 binary\tdata\n with \"quotes\" and a tail that is long";
	sendto(u, bytes, sizeof(bytes) - 1, 0, (struct sockaddr *)&a, sizeof(a));
	char buf[128];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &len);
	recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL); // nothing left: EAGAIN
	close(u);

	// A documentation address with no route in the test's namespace.
	int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in doc = loopback(443);
	inet_pton(AF_INET, "203.0.113.1", &doc.sin_addr);
	connect(t, (struct sockaddr *)&doc, sizeof(doc));
	close(t);
}

// A unix stream socket connecting to a path that does not exist (ENOENT).
static void connect_missing(const char *file)
{
	struct sockaddr_un path;
	memset(&path, 0, sizeof(path));
	path.sun_family = AF_UNIX;
	strcpy(path.sun_path, file);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(u, (struct sockaddr *)&path, sizeof(path));
	close(u);
}

static void unix_calls(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	char a[] = "first", b[] = "second part";
	struct iovec iov[2] = { { a, 5 }, { b, 11 } };
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	sendmsg(sv[0], &mh, 0);
	char in[64];
	struct iovec riov = { in, sizeof(in) };
	struct msghdr rh;
	memset(&rh, 0, sizeof(rh));
	rh.msg_iov = &riov;
	rh.msg_iovlen = 1;
	recvmsg(sv[1], &rh, 0);

	connect_missing("/nonexistent/hermetic-gate-test.sock");
	close(sv[0]);
	close(sv[1]);
}

static void child(int code)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(40125 + code);
	a.sin6_addr = in6addr_loopback;
	bind(u, (struct sockaddr *)&a, sizeof(a));
	connect(u, (struct sockaddr *)&a, sizeof(a));
	_exit(code);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int tree(void)
{
	for (int code = 1; code <= 2; code++) {
		pid_t pid = fork();
		if (pid == 0)
			child(code);
		int st;
		waitpid(pid, &st, 0);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		listen(s, code);
		close(s);
	}
	signal(SIGUSR1, on_usr1);
	kill(getpid(), SIGUSR1);
	return 3;
}

// Waits (at most 5 s) until /proc/PID/syscall shows pid blocked in syscall nr.
static void wait_in_syscall(pid_t pid, long nr)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		long got = -1;
		if (f) {
			if (fscanf(f, "%ld", &got) != 1)
				got = -1;
			fclose(f);
		}
		if (got == nr)
			return;
		usleep(10000);
	}
}

static int overlap(void)
{
	// The parent blocks in recvfrom() on a socket pair while the child makes its calls; the
	// child wakes it with write(), which is not traced, and exits only once the parent is in
	// wait4(): so every line comes in one order whoever is scheduled first.
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		wait_in_syscall(parent, 45); // recvfrom on x86_64
		connect_missing("/nonexistent/hermetic-gate-overlap.sock");
		if (write(sv[1], "go", 2) != 2)
			_exit(1);
		wait_in_syscall(parent, 61); // wait4
		_exit(0);
	}
	char buf[8];
	recvfrom(sv[0], buf, sizeof(buf), 0, NULL, NULL);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: stracecmp calls|tree|killed|overlap\n");
		return 2;
	}
	if (strcmp(argv[1], "calls") == 0) {
		stream_calls();
		datagram_calls();
		unix_calls();
		return 0;
	}
	if (strcmp(argv[1], "tree") == 0)
		return tree();
	if (strcmp(argv[1], "overlap") == 0)
		return overlap();
	if (strcmp(argv[1], "killed") == 0) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		close(s);
		signal(SIGTERM, SIG_DFL);
		kill(getpid(), SIGTERM);
		return 0;
	}
	fprintf(stderr, "stracecmp: unknown mode %s\n", argv[1]);
	return 2;
}
