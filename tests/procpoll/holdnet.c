// holdnet: network scenarios that hold their sockets for a given time, for the /proc
// poller's tests and measurements. Every socket call is reported on stdout as
//   holdnet pid=P op=connect addr=203.0.113.1:443 local=203.0.113.2:40000 ret=-1 errno=EINPROGRESS
// Every wait is bounded. Only loopback and the addresses given on the command line are used.
//
// Usage: holdnet SCENARIO [ARGS...]
//   connect ADDR PORT HOLD_MS      non-blocking TCP connect, socket held HOLD_MS, then closed
//   loopback HOLD_MS               listener on 127.0.0.1:0, a connect to it (ESTABLISHED), the
//                                  accepted socket: all three held HOLD_MS
//   listen PORT HOLD_MS            TCP listen on 0.0.0.0:PORT (0: any port)
//   udp-bind PORT HOLD_MS          UDP socket bound to 127.0.0.1:PORT (0: any port)
//   udp-connect ADDR PORT HOLD_MS  UDP socket connected to ADDR:PORT
//   tries COUNT HOLD_MS MAXGAP_MS ADDR PORT
//                                  COUNT TCP connects one after the other, each held HOLD_MS,
//                                  after a random pause of 0..MAXGAP_MS (so the poller's phase
//                                  is random); ADDR 127.0.0.1 connects to a listener of its own
//   orphan SECONDS SCENARIO...     double fork + setsid: the grandchild runs SCENARIO, tells the
//                                  root, lives SECONDS more; the root exits once told
//   spawn N HOLD_MS                N children that sleep HOLD_MS; waits for them
//   spawn-connect N HOLD_MS ADDR PORT  the same, each child holding a TCP connect to ADDR:PORT
//   sleep MS
//   touch FILE                     creates FILE (proves the command ran)

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleepMs(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static const char *errName(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static void addrText(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%d", ip, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%d", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, len, "family%d", ss->ss_family);
	}
}

static void report(const char *op, int fd, int ret, int err)
{
	struct sockaddr_storage local, peer;
	socklen_t l1 = sizeof(local), l2 = sizeof(peer);
	char ltext[80] = "-", ptext[80] = "-";
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&local, &l1) == 0)
		addrText(&local, ltext, sizeof(ltext));
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&peer, &l2) == 0)
		addrText(&peer, ptext, sizeof(ptext));
	printf("holdnet pid=%d op=%s local=%s peer=%s ret=%d errno=%s\n", getpid(), op, ltext, ptext, ret,
	       ret < 0 ? errName(err) : "0");
	fflush(stdout);
}

static int parseV4(const char *addr, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

static int tcpConnect(const char *addr, int port, int waitMs)
{
	struct sockaddr_in sa;
	if (parseV4(addr, port, &sa) != 0) {
		fprintf(stderr, "holdnet: bad IPv4 address %s\n", addr);
		exit(2);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	if (r < 0 && e == EINPROGRESS) {
		// A loopback handshake completes at once; a remote that never answers stays SYN-SENT.
		struct pollfd p = {fd, POLLOUT, 0};
		poll(&p, 1, waitMs);
	}
	report("connect", fd, r, e);
	return fd;
}

static int tcpListen(const char *addr, int port)
{
	struct sockaddr_in sa;
	parseV4(addr, port, &sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r == 0)
		r = listen(fd, 16);
	report("listen", fd, r, errno);
	return fd;
}

static int localPort(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	return ntohs(sa.sin_port);
}

static int run(int argc, char **argv);

static int orphan(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long seconds = atol(argv[0]);
	int pfd[2];
	if (pipe(pfd) != 0)
		return 1;
	pid_t mid = fork();
	if (mid == 0) {
		setsid();
		pid_t grand = fork();
		if (grand == 0) {
			close(pfd[0]);
			printf("holdnet pid=%d op=grandchild ppid=%d\n", getpid(), getppid());
			fflush(stdout);
			int fd = -1;
			// Runs the scenario without its hold, keeps its socket, tells the root, lives on.
			if (strcmp(argv[1], "connect") == 0 && argc >= 4)
				fd = tcpConnect(argv[2], atoi(argv[3]), 0);
			else if (strcmp(argv[1], "listen") == 0 && argc >= 3)
				fd = tcpListen("0.0.0.0", atoi(argv[2]));
			(void)fd;
			ssize_t w = write(pfd[1], "x", 1);
			(void)w;
			close(pfd[1]);
			sleepMs(seconds * 1000);
			_exit(0);
		}
		_exit(grand > 0 ? 0 : 1);
	}
	close(pfd[1]);
	int st;
	waitpid(mid, &st, 0);
	struct pollfd p = {pfd[0], POLLIN, 0};
	poll(&p, 1, 10000);
	char c;
	ssize_t r = read(pfd[0], &c, 1);
	(void)r;
	printf("holdnet pid=%d op=orphan-root-exit\n", getpid());
	return 0;
}

static int tries(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int count = atoi(argv[0]);
	long hold = atol(argv[1]);
	long maxGap = atol(argv[2]);
	const char *addr = argv[3];
	int port = atoi(argv[4]);
	int lfd = -1;
	if (strcmp(addr, "127.0.0.1") == 0) {
		lfd = tcpListen("127.0.0.1", 0);
		port = localPort(lfd);
	}
	srand((unsigned)(getpid() ^ time(NULL)));
	for (int i = 0; i < count; i++) {
		sleepMs(maxGap > 0 ? rand() % (maxGap + 1) : 0);
		int fd = tcpConnect(addr, port, 0);
		int afd = lfd >= 0 ? accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) : -1;
		sleepMs(hold);
		close(fd);
		if (afd >= 0)
			close(afd);
	}
	return 0;
}

static int spawnMany(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int n = atoi(argv[0]);
	long hold = atol(argv[1]);
	const char *addr = argc >= 4 ? argv[2] : NULL;
	int port = argc >= 4 ? atoi(argv[3]) : 0;
	int started = 0;
	for (int i = 0; i < n; i++) {
		pid_t c = fork();
		if (c == 0) {
			if (addr)
				tcpConnect(addr, port, 0);
			sleepMs(hold);
			_exit(0);
		}
		if (c > 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		wait(NULL);
	printf("holdnet pid=%d op=spawned n=%d\n", getpid(), started);
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	const char *s = argv[0];
	if (strcmp(s, "connect") == 0 && argc >= 4) {
		int fd = tcpConnect(argv[1], atoi(argv[2]), 0);
		sleepMs(atol(argv[3]));
		close(fd);
		return 0;
	}
	if (strcmp(s, "loopback") == 0 && argc >= 2) {
		int lfd = tcpListen("127.0.0.1", 0);
		tcpConnect("127.0.0.1", localPort(lfd), 200);
		int afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		report("accept", afd, afd, errno);
		sleepMs(atol(argv[1]));
		return 0;
	}
	if (strcmp(s, "listen") == 0 && argc >= 3) {
		tcpListen("0.0.0.0", atoi(argv[1]));
		sleepMs(atol(argv[2]));
		return 0;
	}
	if (strcmp(s, "udp-bind") == 0 && argc >= 3) {
		struct sockaddr_in sa;
		parseV4("127.0.0.1", atoi(argv[1]), &sa);
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		report("bind", fd, r, errno);
		sleepMs(atol(argv[2]));
		return 0;
	}
	if (strcmp(s, "udp-connect") == 0 && argc >= 4) {
		struct sockaddr_in sa;
		if (parseV4(argv[1], atoi(argv[2]), &sa) != 0)
			return 2;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		report("connect", fd, r, errno);
		sleepMs(atol(argv[3]));
		return 0;
	}
	if (strcmp(s, "tries") == 0)
		return tries(argc - 1, argv + 1);
	if (strcmp(s, "orphan") == 0)
		return orphan(argc - 1, argv + 1);
	if (strcmp(s, "spawn") == 0)
		return spawnMany(argc - 1 < 2 ? argc - 1 : 2, argv + 1);
	if (strcmp(s, "spawn-connect") == 0 && argc >= 5)
		return spawnMany(argc - 1, argv + 1);
	if (strcmp(s, "sleep") == 0 && argc >= 2) {
		sleepMs(atol(argv[1]));
		return 0;
	}
	if (strcmp(s, "touch") == 0 && argc >= 2) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		return fd >= 0 ? 0 : 1;
	}
	fprintf(stderr, "holdnet: unknown scenario or missing arguments: %s\n", s);
	return 2;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return run(argc - 1, argv + 1);
}
