// outside: the processes of the "outside processes" bypass tests (issue 12). Every attempt
// prints one line on stdout, in bypass.c's format:
//   outside pid=P op=OP ret=R errno=E [key=value...]
// Usage:
//   outside victim ADDR PORT   a process OUTSIDE the traced tree, started by the test: connects a
//                              TCP socket to ADDR:PORT, counts SIGUSR1, keeps a marker word, and
//                              prints "op=victim marker=ADDRESS sockfd=FD"; then answers each
//                              line of stdin: "state" prints signals=N marker=HEX tracer=PID,
//                              anything else (or EOF) ends it
//   outside attack PID MARKER SOCKFD
//                              in the traced step: every way to act on process PID (signals,
//                              pidfd_open/send_signal/getfd, ptrace, process_vm_readv/writev,
//                              /proc/PID/mem) one after the other; a socket taken with
//                              pidfd_getfd is written to ("LEAK")
//   outside inside             in the traced step: the same calls on its own child (the tree),
//                              plus kill() of a pid that does not exist and of a zombie child
//   outside receive PATH MODE  in the traced step: connects to the unix socket PATH (a process
//                              outside the tree) and receives one fd over it (SCM_RIGHTS); MODE
//                              write: write "A", wait 1.5 s (the gate's sweeps), write "B";
//                              MODE sendmsg: sendmsg "S" on it
//   outside serve PATH         a daemon OUTSIDE the tree (run as a copy named after a real
//                              one): listens on the unix socket PATH, prints op=listening, accepts
//                              one connection, reads what comes within 3 s: op=served bytes=TEXT
//   outside connect-unix PATH  in the traced step: connects to PATH and writes "REQUEST"
//   outside pass-inside        in the traced step: a TCP listener on 127.0.0.1, a connection to
//                              it, the client socket passed to a child over a socketpair and the
//                              accepted one kept; both written to (write and sendmsg) across 1.2 s
// Bounded: alarm(30) ends any of them.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long gMarker = 0x1111;
static volatile sig_atomic_t gSignals = 0;

static void report(const char *op, long ret, int err, const char *extra)
{
	const char *name = strerrorname_np(err);
	printf("outside pid=%d op=%s ret=%ld errno=%s%s%s\n", getpid(), op, ret, ret < 0 ? (name ? name : "E?") : "-",
	       extra && *extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

#define REPORT(op, call)                          \
	do {                                      \
		long ret_ = (long)(call);         \
		int err_ = errno;                 \
		report((op), ret_, err_, "");     \
	} while (0)

static void onUsr1(int sig)
{
	(void)sig;
	gSignals++;
}

static void usage(void)
{
	fprintf(stderr, "outside: bad arguments (see the comment at the top of outside.c)\n");
	exit(64);
}

static int tracerPid(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int pid = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	}
	if (f)
		fclose(f);
	return pid;
}

static void victim(const char *addr, const char *port)
{
	signal(SIGUSR1, onUsr1);
	struct sockaddr_in in;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &in.sin_addr) != 1)
		usage();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof(in)) != 0) {
		report("victim-connect", -1, errno, "");
		exit(100);
	}
	char extra[96];
	snprintf(extra, sizeof(extra), "marker=%p sockfd=%d", (void *)&gMarker, fd);
	report("victim", 0, 0, extra);
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "state", 5) != 0)
			break;
		snprintf(extra, sizeof(extra), "signals=%d marker=%#lx tracer=%d", (int)gSignals, (long)gMarker,
			 tracerPid());
		report("state", 0, 0, extra);
	}
	exit(0);
}

// The calls of `attack` and `inside`, on target; fdOfTarget is an fd open in target.
static void actOn(pid_t target, uintptr_t marker, int fdOfTarget)
{
	REPORT("kill", kill(target, SIGUSR1));
	REPORT("tgkill", syscall(SYS_tgkill, target, target, SIGUSR1));
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	REPORT("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, target, SIGUSR1, &si));
	long pidfd = syscall(SYS_pidfd_open, target, 0);
	report("pidfd_open", pidfd, errno, "");
	if (pidfd >= 0) {
		REPORT("pidfd_send_signal", syscall(SYS_pidfd_send_signal, (int)pidfd, SIGUSR1, NULL, 0));
		long taken = syscall(SYS_pidfd_getfd, (int)pidfd, fdOfTarget, 0);
		report("pidfd_getfd", taken, errno, "");
		if (taken >= 0) {
			REPORT("write-taken", write((int)taken, "LEAK", 4));
			close((int)taken);
		}
		close((int)pidfd);
	}
	long newValue = 0x2222;
	struct iovec local = {.iov_base = &newValue, .iov_len = sizeof(newValue)};
	struct iovec remote = {.iov_base = (void *)marker, .iov_len = sizeof(newValue)};
	REPORT("process_vm_writev", syscall(SYS_process_vm_writev, target, &local, 1, &remote, 1, 0));
	long readBack = 0;
	local.iov_base = &readBack;
	REPORT("process_vm_readv", syscall(SYS_process_vm_readv, target, &local, 1, &remote, 1, 0));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", target);
	int mem = open(path, O_RDWR | O_CLOEXEC);
	report("open-mem", mem, errno, "");
	if (mem >= 0) {
		long v = 0x3333;
		REPORT("pwrite-mem", pwrite(mem, &v, sizeof(v), (off_t)marker));
		close(mem);
	}
	REPORT("ptrace-seize", ptrace(PTRACE_SEIZE, target, 0, 0));
}

static void inside(void)
{
	signal(SIGUSR1, onUsr1);
	int pipefd[2];
	if (pipe(pipefd) != 0)
		exit(100);
	pid_t child = fork();
	if (child == 0) {
		close(pipefd[1]);
		char c;
		while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(gMarker == 0x3333 ? 0 : 1);
	}
	close(pipefd[0]);
	actOn(child, (uintptr_t)&gMarker, pipefd[0]); // the number of the read end the child holds
	close(pipefd[1]);
	int st = 0;
	waitpid(child, &st, 0);
	report("child-marker-written", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1, EINVAL, "");
	// A zombie of the tree, and a pid that does not exist: nothing to refuse.
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	struct timespec ts = {0, 100 * 1000000L};
	nanosleep(&ts, NULL);
	REPORT("kill-zombie", kill(zombie, 0));
	waitpid(zombie, &st, 0);
	REPORT("kill-gone", kill(zombie, 0));
	REPORT("tgkill-self", syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0));
}

static void sendFd(int over, int fd)
{
	char byte = 'F';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	REPORT("send-fd", sendmsg(over, &m, 0));
}

static int receiveFd(int over)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	long n = recvmsg(over, &m, 0);
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	int fd = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	char extra[32];
	snprintf(extra, sizeof(extra), "fd=%d", fd);
	report("receive-fd", fd, n < 0 ? errno : EBADMSG, extra);
	return fd;
}

static void sendmsgText(const char *op, int fd, const char *text)
{
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	REPORT(op, sendmsg(fd, &m, MSG_NOSIGNAL));
}

static void sleepMs(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void receive(const char *path, const char *mode)
{
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	if (u < 0 || connect(u, (struct sockaddr *)&un, sizeof(un)) != 0) {
		report("connect-unix", -1, errno, "");
		exit(100);
	}
	int fd = receiveFd(u);
	if (fd < 0)
		exit(100);
	if (!strcmp(mode, "write")) {
		REPORT("write-A", write(fd, "A", 1));
		sleepMs(1500);
		REPORT("write-B", write(fd, "B", 1));
	} else {
		sendmsgText("sendmsg-S", fd, "S");
	}
}

static void passInside(void)
{
	signal(SIGPIPE, SIG_IGN);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(in);
	if (l < 0 || bind(l, (struct sockaddr *)&in, sizeof(in)) != 0 || listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&in, &len) != 0)
		exit(100);
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		exit(100);
	pid_t child = fork();
	if (child == 0) {
		close(pair[0]);
		int fd = receiveFd(pair[1]);
		REPORT("child-write", write(fd, "X", 1));
		sendmsgText("child-sendmsg", fd, "Y");
		sleepMs(1200);
		REPORT("child-write-late", write(fd, "Z", 1));
		_exit(0);
	}
	close(pair[1]);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	REPORT("connect", connect(c, (struct sockaddr *)&in, sizeof(in)));
	int a = accept(l, NULL, NULL);
	report("accept", a, errno, "");
	sendFd(pair[0], c);
	close(c);
	sendmsgText("accepted-sendmsg", a, "Q");
	sleepMs(1200);
	REPORT("accepted-write-late", write(a, "R", 1));
	char buf[8];
	REPORT("accepted-read", read(a, buf, sizeof(buf)));
	int st = 0;
	waitpid(child, &st, 0);
	report("child-exit", WIFEXITED(st) ? WEXITSTATUS(st) : -1, EINVAL, "");
}

static void serve(const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&un, sizeof(un)) != 0 || listen(l, 1) != 0) {
		report("listen-unix", -1, errno, "");
		exit(100);
	}
	report("listening", 0, 0, "");
	int c = accept(l, NULL, NULL);
	struct timeval tv = {3, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[64] = "";
	long n = c < 0 ? -1 : read(c, buf, sizeof(buf) - 1);
	char extra[96];
	snprintf(extra, sizeof(extra), "bytes=%s", n > 0 ? buf : "-");
	report("served", n, errno, extra);
}

static void connectUnix(const char *path)
{
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	REPORT("connect-unix", connect(u, (struct sockaddr *)&un, sizeof(un)));
	REPORT("write-request", write(u, "REQUEST", 7));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30);
	if (argc == 4 && !strcmp(argv[1], "victim"))
		victim(argv[2], argv[3]);
	else if (argc == 5 && !strcmp(argv[1], "attack"))
		actOn((pid_t)atoi(argv[2]), (uintptr_t)strtoull(argv[3], NULL, 0), atoi(argv[4]));
	else if (argc == 2 && !strcmp(argv[1], "inside"))
		inside();
	else if (argc == 4 && !strcmp(argv[1], "receive"))
		receive(argv[2], argv[3]);
	else if (argc == 2 && !strcmp(argv[1], "pass-inside"))
		passInside();
	else if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "connect-unix"))
		connectUnix(argv[2]);
	else
		usage();
	return 0;
}
