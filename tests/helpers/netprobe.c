// netprobe: the tracee of the integration tests. argv[1] picks a scenario (as sandbox2's
// testcases/policy.cc does); every network call is reported on stdout as one line
//   netprobe pid=P tid=T op=connect family=AF_INET proto=tcp addr=203.0.113.1:443 ret=-1 errno=EINPROGRESS
// so a test can match the gate's evidence (pid, address, result) against what really ran.
// Exit status is 0 whether the network call worked or not (the gate's exit code is what the
// tests check), except for `fail` and `--exit N`. Every wait is bounded: nothing blocks forever.
//
// Usage: netprobe [--exit N] SCENARIO [ARGS...]
//   tcp4 ADDR PORT | tcp6 ADDR PORT     non-blocking connect, waits at most 300 ms for completion
//   tfo4 ADDR PORT                      sendto(MSG_FASTOPEN) on a TCP socket (a connect in disguise)
//   udp4-sendto ADDR PORT | udp6-sendto ADDR PORT
//   udp-connect ADDR PORT               datagram connect (family from ADDR)
//   listen4 PORT | listen6 PORT         bind to the wildcard address, listen(fd, 16)
//   bind-udp4 PORT                      bind a UDP socket to 127.0.0.1:PORT
//   sendmsg4 ADDR PORT | sendmmsg4 ADDR PORT   UDP sendmsg / sendmmsg (2 messages) with an address
//   udp-connect-send ADDR PORT          datagram connect, then send() with no address
//   bad-fd ADDR PORT                    connect(999, ADDR): fails harmlessly with EBADF
//   bad-pointer                         connect(tcp socket, (void *)1, 16): EFAULT, undecodable
//   short-addrlen ADDR PORT             connect(tcp socket, ADDR, 4): EINVAL, truncated address
//   unix-connect                        AF_UNIX listener on a path in a temp dir and an abstract one,
//                                       connects to both
//   unix-to connect|sendto PATH         connect (stream) or sendto (datagram) to an AF_UNIX
//                                       listener someone else made at PATH (relative to the cwd
//                                       when not absolute; @name for an abstract name)
//   double-fork SCENARIO...             grandchild (double fork + setsid) runs SCENARIO; the parent
//                                       waits for it through a pipe, at most 10 s
//   thread SCENARIO...                  SCENARIO runs on a second pthread
//   fork-exec SCENARIO...               child execs netprobe SCENARIO... (fork + execv)
//   vfork-exec SCENARIO...              same with vfork
//   orphan SECONDS SCENARIO...          grandchild (double fork + setsid) runs SCENARIO, tells the
//                                       parent (which then exits at once) and lives SECONDS more
//   sleep SECONDS                       sleeps, for --timeout
//   clean                               file I/O only, exit 0
//   touch FILE                          creates FILE (lets a test prove the command ran or not)
//   fail                                exit 7

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static const char *gSelf = "netprobe"; // argv[0], re-exec'd by fork-exec

static const char *errName(int err)
{
	const char *name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

static void die(const char *what)
{
	printf("netprobe pid=%d error=%s errno=%s\n", getpid(), what, errName(errno));
	exit(100);
}

static void usage(void)
{
	fprintf(stderr, "netprobe: bad arguments (see the comment at the top of netprobe.c)\n");
	exit(64);
}

static long nowMs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// Parses ADDR PORT into a sockaddr of the family ADDR is written in (or `want` if not 0).
static socklen_t parseAddr(const char *addr, const char *port, int want, struct sockaddr_storage *ss)
{
	char *end = NULL;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
		usage();
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if ((want == 0 || want == AF_INET) && inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		return sizeof(*in4);
	}
	if ((want == 0 || want == AF_INET6) && inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		return sizeof(*in6);
	}
	usage();
	return 0;
}

static const char *familyName(int family)
{
	return family == AF_INET ? "AF_INET" : family == AF_INET6 ? "AF_INET6" : family == AF_UNIX ? "AF_UNIX" : "AF_?";
}

// "203.0.113.1:443" or "[2001:db8::1]:443", the gate's live-line syntax.
static void formatAddr(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(out, n, "%s:%u", host, ntohs(in4->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, n, "[%s]:%u", host, ntohs(in6->sin6_port));
	}
}

// One report line per network call; `ret`/`err` as the call returned them.
static void report(const char *op, int family, const char *proto, const char *addr, long ret, int err)
{
	char result[64];
	if (ret < 0)
		snprintf(result, sizeof(result), "ret=-1 errno=%s", errName(err));
	else
		snprintf(result, sizeof(result), "ret=%ld", ret);
	printf("netprobe pid=%d tid=%ld op=%s family=%s proto=%s addr=%s %s\n", getpid(),
	       (long)syscall(SYS_gettid), op, familyName(family), proto, addr, result);
}

static int mustSocket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static void tcpConnect(int want, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, want, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK);
	int ret = connect(fd, (struct sockaddr *)&ss, len);
	int err = errno;
	report("connect", ss.ss_family, "tcp", text, ret, err);
	if (ret < 0 && err == EINPROGRESS) {
		// Bounded wait: in the test namespace nothing answers, so this usually times out.
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int n = poll(&pfd, 1, 300);
		int soErr = 0;
		socklen_t soLen = sizeof(soErr);
		if (n > 0)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &soLen);
		printf("netprobe pid=%d op=connect-wait addr=%s result=%s\n", getpid(), text,
		       n == 0 ? "timeout" : n < 0 ? "poll-error" : soErr ? errName(soErr) : "connected");
	}
	close(fd);
}

static void tcpFastOpen(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, AF_INET, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	long ret = sendto(fd, "probe", 5, MSG_FASTOPEN | MSG_DONTWAIT, (struct sockaddr *)&ss, len);
	report("sendto", AF_INET, "tcp", text, ret, errno);
	close(fd);
}

static void udpSendto(int want, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, want, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(ss.ss_family, SOCK_DGRAM);
	long ret = sendto(fd, "probe", 5, MSG_DONTWAIT, (struct sockaddr *)&ss, len);
	report("sendto", ss.ss_family, "udp", text, ret, errno);
	close(fd);
}

static void udpConnect(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, 0, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(ss.ss_family, SOCK_DGRAM);
	int ret = connect(fd, (struct sockaddr *)&ss, len);
	report("connect", ss.ss_family, "udp", text, ret, errno);
	close(fd);
}

static void udpConnectSend(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, 0, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(ss.ss_family, SOCK_DGRAM);
	int ret = connect(fd, (struct sockaddr *)&ss, len);
	report("connect", ss.ss_family, "udp", text, ret, errno);
	long sent = send(fd, "probe", 5, MSG_DONTWAIT);
	report("send", ss.ss_family, "udp", "-", sent, errno);
	close(fd);
}

// Calls that fail harmlessly in the kernel (bubblewrap's try-syscall.c): the gate must still
// decode what it can, judge them, and report the kernel's error.
static void badConnect(const char *kind, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(struct sockaddr_in);
	char text[80] = "-";
	if (addr) {
		len = parseAddr(addr, port, AF_INET, &ss);
		formatAddr(&ss, text, sizeof(text));
	}
	int fd = mustSocket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	int ret;
	if (!strcmp(kind, "bad-fd"))
		ret = connect(999, (struct sockaddr *)&ss, len);
	else if (!strcmp(kind, "bad-pointer"))
		ret = connect(fd, (const struct sockaddr *)(uintptr_t)1, len);
	else
		ret = connect(fd, (struct sockaddr *)&ss, 4);
	report("connect", AF_INET, "tcp", text, ret, errno);
	close(fd);
}

static void udpSendmsg(const char *addr, const char *port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(addr, port, AF_INET, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(AF_INET, SOCK_DGRAM);
	char payload[] = "probe";
	struct iovec iov = {.iov_base = payload, .iov_len = 5};
	struct mmsghdr msgs[2];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 2; i++) {
		msgs[i].msg_hdr.msg_name = &ss;
		msgs[i].msg_hdr.msg_namelen = len;
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (count == 0) {
		long ret = sendmsg(fd, &msgs[0].msg_hdr, MSG_DONTWAIT);
		report("sendmsg", AF_INET, "udp", text, ret, errno);
	} else {
		long ret = sendmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT);
		report("sendmmsg", AF_INET, "udp", text, ret, errno);
	}
	close(fd);
}

static void listenInet(int family, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr(family == AF_INET ? "0.0.0.0" : "::", port, family, &ss);
	int fd = mustSocket(family, SOCK_STREAM);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind");
	socklen_t slen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &slen);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int ret = listen(fd, 16);
	report("listen", family, "tcp", text, ret, errno);
	close(fd);
}

static void bindUdp4(const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = parseAddr("127.0.0.1", port, AF_INET, &ss);
	char text[80];
	formatAddr(&ss, text, sizeof(text));
	int fd = mustSocket(AF_INET, SOCK_DGRAM);
	int ret = bind(fd, (struct sockaddr *)&ss, len);
	report("bind", AF_INET, "udp", text, ret, errno);
	close(fd);
}

// Listener + non-blocking connect on one AF_UNIX address; `len` may cover an abstract name.
static void unixPair(const struct sockaddr_un *sun, socklen_t len, const char *shown)
{
	int lfd = mustSocket(AF_UNIX, SOCK_STREAM);
	if (bind(lfd, (const struct sockaddr *)sun, len) < 0)
		die("bind-unix");
	if (listen(lfd, 4) < 0)
		die("listen-unix");
	int fd = mustSocket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
	int ret = connect(fd, (const struct sockaddr *)sun, len);
	report("connect", AF_UNIX, "unix", shown, ret, errno);
	close(fd);
	close(lfd);
}

static void unixConnect(void)
{
	char dir[] = "/tmp/netprobe-XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp");
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/probe.sock", dir);
	char shown[sizeof(sun.sun_path) + 2];
	snprintf(shown, sizeof(shown), "%s", sun.sun_path);
	unixPair(&sun, sizeof(sun), shown);
	unlink(sun.sun_path);
	rmdir(dir);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	char name[64];
	int n = snprintf(name, sizeof(name), "hg-netprobe-%d", getpid());
	memcpy(sun.sun_path + 1, name, (size_t)n); // abstract: leading NUL, length-delimited
	snprintf(shown, sizeof(shown), "@%s", name);
	unixPair(&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n), shown);
}

// A listener made by the test (a stand-in for a daemon's socket), reached by path or name.
static void unixTo(const char *how, const char *path)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sun.sun_path))
		usage();
	memcpy(sun.sun_path, path, n);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (path[0] == '@') {
		sun.sun_path[0] = '\0'; // abstract: leading NUL, length-delimited
		len--;
	}
	int datagram = !strcmp(how, "sendto");
	int fd = mustSocket(AF_UNIX, datagram ? SOCK_DGRAM : SOCK_STREAM);
	int ret = datagram ? (int)sendto(fd, "x", 1, MSG_DONTWAIT, (const struct sockaddr *)&sun, len)
			   : connect(fd, (const struct sockaddr *)&sun, len);
	report(how, AF_UNIX, datagram ? "unix-dgram" : "unix", path, ret, errno);
	close(fd);
}

static void clean(void)
{
	char path[] = "/tmp/netprobe-clean-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	if (write(fd, "hello\n", 6) != 6)
		die("write");
	char buf[8];
	if (pread(fd, buf, sizeof(buf), 0) != 6)
		die("pread");
	close(fd);
	unlink(path);
	printf("netprobe pid=%d op=clean result=ok\n", getpid());
}

static int run(int argc, char **argv);

// Waits for `pid` at most `ms` milliseconds; kills it after that. Returns its wait status.
static int boundedWait(pid_t pid, long ms)
{
	long deadline = nowMs() + ms;
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			die("waitpid");
		if (nowMs() > deadline) {
			printf("netprobe pid=%d error=child-timeout child=%d\n", getpid(), pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		usleep(10 * 1000);
	}
}

static void doubleFork(int argc, char **argv)
{
	int pipeFds[2];
	if (pipe2(pipeFds, O_CLOEXEC) < 0)
		die("pipe");
	fflush(stdout);
	pid_t mid = fork();
	if (mid < 0)
		die("fork");
	if (mid == 0) {
		pid_t grand = fork();
		if (grand < 0)
			_exit(101);
		if (grand > 0)
			_exit(0); // the grandchild is orphaned at once
		setsid();
		close(pipeFds[0]);
		printf("netprobe pid=%d op=grandchild ppid=%d\n", getpid(), getppid());
		run(argc, argv);
		fflush(stdout);
		_exit(0); // closing the write end tells the original parent we are done
	}
	close(pipeFds[1]);
	boundedWait(mid, 5000);
	// EOF on the pipe means the grandchild has exited (or at least closed its end).
	long deadline = nowMs() + 10000;
	for (;;) {
		struct pollfd pfd = {.fd = pipeFds[0], .events = POLLIN};
		long left = deadline - nowMs();
		if (left <= 0) {
			printf("netprobe pid=%d error=grandchild-timeout\n", getpid());
			break;
		}
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		char c;
		if (n > 0 && read(pipeFds[0], &c, 1) == 0)
			break;
	}
	close(pipeFds[0]);
	printf("netprobe pid=%d op=double-fork result=done\n", getpid());
}

static unsigned parseSeconds(const char *text)
{
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 0 || v > 300)
		usage();
	return (unsigned)v;
}

static void sleepFor(unsigned seconds)
{
	alarm(seconds + 30);
	struct timespec ts = {.tv_sec = seconds, .tv_nsec = 0};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

// A daemon-like leftover: outlives the root process, which only waits until it has made its
// network call. The gate must record the call and must not wait for the leftover.
static void orphan(unsigned seconds, int argc, char **argv)
{
	int pipeFds[2];
	if (pipe2(pipeFds, O_CLOEXEC) < 0)
		die("pipe");
	fflush(stdout);
	pid_t mid = fork();
	if (mid < 0)
		die("fork");
	if (mid == 0) {
		pid_t grand = fork();
		if (grand < 0)
			_exit(101);
		if (grand > 0)
			_exit(0);
		setsid();
		close(pipeFds[0]);
		printf("netprobe pid=%d op=orphan seconds=%u\n", getpid(), seconds);
		run(argc, argv);
		fflush(stdout);
		if (write(pipeFds[1], "x", 1) != 1)
			_exit(103);
		close(pipeFds[1]);
		sleepFor(seconds);
		_exit(0);
	}
	close(pipeFds[1]);
	boundedWait(mid, 5000);
	struct pollfd pfd = {.fd = pipeFds[0], .events = POLLIN};
	int n = poll(&pfd, 1, 10000);
	printf("netprobe pid=%d op=orphan-parent result=%s\n", getpid(), n > 0 ? "exiting" : "timeout");
	close(pipeFds[0]);
}

struct ThreadArgs {
	int argc;
	char **argv;
};

static void *threadMain(void *p)
{
	struct ThreadArgs *args = p;
	run(args->argc, args->argv);
	return NULL;
}

static void inThread(int argc, char **argv)
{
	struct ThreadArgs args = {argc, argv};
	pthread_t t;
	if (pthread_create(&t, NULL, threadMain, &args) != 0)
		die("pthread_create");
	pthread_join(t, NULL); // the scenario itself is bounded
	printf("netprobe pid=%d op=thread result=joined\n", getpid());
}

static void forkExec(int argc, char **argv, int useVfork)
{
	char **childArgv = calloc((size_t)argc + 2, sizeof(char *));
	if (!childArgv)
		die("calloc");
	childArgv[0] = (char *)gSelf;
	for (int i = 0; i < argc; i++)
		childArgv[i + 1] = argv[i];
	fflush(stdout);
	pid_t pid = useVfork ? vfork() : fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execv("/proc/self/exe", childArgv);
		_exit(102);
	}
	int status = boundedWait(pid, 10000);
	printf("netprobe pid=%d op=%s child=%d status=%d\n", getpid(), useVfork ? "vfork-exec" : "fork-exec",
	       pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	free(childArgv);
}

static int run(int argc, char **argv)
{
	if (argc < 1)
		usage();
	const char *s = argv[0];
	if (!strcmp(s, "tcp4") && argc == 3)
		tcpConnect(AF_INET, argv[1], argv[2]);
	else if (!strcmp(s, "tcp6") && argc == 3)
		tcpConnect(AF_INET6, argv[1], argv[2]);
	else if (!strcmp(s, "tfo4") && argc == 3)
		tcpFastOpen(argv[1], argv[2]);
	else if (!strcmp(s, "udp4-sendto") && argc == 3)
		udpSendto(AF_INET, argv[1], argv[2]);
	else if (!strcmp(s, "udp6-sendto") && argc == 3)
		udpSendto(AF_INET6, argv[1], argv[2]);
	else if (!strcmp(s, "udp-connect") && argc == 3)
		udpConnect(argv[1], argv[2]);
	else if (!strcmp(s, "udp-connect-send") && argc == 3)
		udpConnectSend(argv[1], argv[2]);
	else if ((!strcmp(s, "bad-fd") || !strcmp(s, "short-addrlen")) && argc == 3)
		badConnect(s, argv[1], argv[2]);
	else if (!strcmp(s, "bad-pointer") && argc == 1)
		badConnect(s, NULL, NULL);
	else if (!strcmp(s, "sendmsg4") && argc == 3)
		udpSendmsg(argv[1], argv[2], 0);
	else if (!strcmp(s, "sendmmsg4") && argc == 3)
		udpSendmsg(argv[1], argv[2], 2);
	else if (!strcmp(s, "listen4") && argc == 2)
		listenInet(AF_INET, argv[1]);
	else if (!strcmp(s, "listen6") && argc == 2)
		listenInet(AF_INET6, argv[1]);
	else if (!strcmp(s, "bind-udp4") && argc == 2)
		bindUdp4(argv[1]);
	else if (!strcmp(s, "unix-connect") && argc == 1)
		unixConnect();
	else if (!strcmp(s, "unix-to") && argc == 3 && (!strcmp(argv[1], "connect") || !strcmp(argv[1], "sendto")))
		unixTo(argv[1], argv[2]);
	else if (!strcmp(s, "double-fork") && argc >= 2)
		doubleFork(argc - 1, argv + 1);
	else if (!strcmp(s, "thread") && argc >= 2)
		inThread(argc - 1, argv + 1);
	else if (!strcmp(s, "fork-exec") && argc >= 2)
		forkExec(argc - 1, argv + 1, 0);
	else if (!strcmp(s, "vfork-exec") && argc >= 2)
		forkExec(argc - 1, argv + 1, 1);
	else if (!strcmp(s, "orphan") && argc >= 3)
		orphan(parseSeconds(argv[1]), argc - 2, argv + 2);
	else if (!strcmp(s, "sleep") && argc == 2)
		sleepFor(parseSeconds(argv[1]));
	else if (!strcmp(s, "clean") && argc == 1)
		clean();
	else if (!strcmp(s, "touch") && argc == 2) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			die("open");
		close(fd);
	} else if (!strcmp(s, "fail") && argc == 1) {
		printf("netprobe pid=%d op=fail\n", getpid());
		exit(7);
	} else
		usage();
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(30); // last-resort bound: no scenario may outlive the test
	gSelf = argv[0];
	int exitCode = 0;
	argc--, argv++;
	if (argc >= 2 && !strcmp(argv[0], "--exit")) {
		exitCode = atoi(argv[1]);
		argc -= 2, argv += 2;
	}
	run(argc, argv);
	fflush(stdout);
	return exitCode;
}
