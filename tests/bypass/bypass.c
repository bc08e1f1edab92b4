// bypass: the tracee of the bypass tests (issue #4). argv[1] picks a scenario; every attempt
// prints one line on stdout
//   bypass pid=P tid=T scenario=S op=OP ret=R errno=E [key=value...]
// (errno=- when the call succeeded) so a test can match the gate's evidence against what the
// kernel really did. Every wait is bounded and alarm(30) ends any scenario that hangs. The
// scenarios only ever address 127.0.0.1 and 203.0.113.0/24 (documentation range), and the
// tests run them inside a private network namespace.
//
// Usage: bypass SCENARIO [ARGS...]
//   i386-probe | x32-probe              exit 0 when the ABI works untraced, 77 when it does not
//   i386-connect ADDR PORT              connect (362) via int $0x80, sockaddr below 4 GiB
//   i386-socketcall ADDR PORT           socketcall(SYS_CONNECT) (102) via int $0x80
//   x32-connect ADDR PORT               connect | __X32_SYSCALL_BIT via syscall
//   clone-untraced ADDR PORT            raw clone(CLONE_UNTRACED|SIGCHLD); a child that exists
//                                       connects to ADDR:PORT and reports it (op=child-connect)
//   clone3                              raw clone3 (435) {exit_signal=SIGCHLD}
//   io-uring-setup                      raw io_uring_setup(8, zeroed params)
//   seccomp-listener ADDR PORT          seccomp(SET_MODE_FILTER, NEW_LISTENER) whose filter
//                                       returns USER_NOTIF for connect; if it is installed a
//                                       thread answers CONTINUE; then connect ADDR:PORT
//   seccomp-plain ADDR PORT             no_new_privs + a filter returning EACCES for
//                                       getpriority; checks it works, then connect ADDR:PORT
//   race ITERATIONS BASEPORT            listeners on 127.0.0.1:BASEPORT+i; a thread flips the
//                                       sin_addr of a shared sockaddr between 127.0.0.1 and
//                                       203.0.113.1 while the main thread connects from it to
//                                       port BASEPORT+i (the port names the iteration); after each
//                                       call prints peer=ADDR:PORT|none (getpeername, else
//                                       /proc/net/tcp by socket inode: SYN_SENT has no peername)
//   race-udp CALL ITERATIONS BASEPORT   UDP receivers on 127.0.0.1:BASEPORT and BASEPORT+1; the
//                                       flipper flips the same shared sockaddr (port BASEPORT) while
//                                       the main thread sends one datagram per iteration to it, non-
//                                       blocking, with CALL (sendto | sendmsg | sendmmsg: two messages,
//                                       the second to the fixed 127.0.0.1:BASEPORT+1); prints each
//                                       call's result and at the end received=N received_fixed=N
//                                       bad_msg_len=N (sendmmsg msg_len values that are not the length)
//   race-family ITERATIONS PORT WHO     WHO (thread | process) flips the first 8 bytes of a shared
//                                       16-byte sockaddr between an AF_UNIX abstract name and AF_INET
//                                       203.0.113.1:PORT while the main thread connects a non-blocking
//                                       TCP socket from it; prints each result with peer=ADDR:PORT|none.
//                                       process: a forked child flips it in a MAP_SHARED page, so the
//                                       connecting process has one thread
//   daemon ADDR PORT                    child: setsid, fork, exit (grandchild re-parented to
//                                       the gate); grandchild: ignores SIGTERM/SIGHUP, forks a
//                                       great-grandchild in a new process group that connects,
//                                       then both sleep 60 s; the root exits once it connected
//   late-connect ADDR PORT              grandchild (setsid) connects 200 ms after the root exits
//   spawn-sleep SECONDS [PIDFILE]       forks a child; prints (and writes) both pids; both sleep
//   tamper-probe                        kill(getppid(), 0)
//   kill-parent | tgkill-parent | pidfd-parent | ptrace-parent | vm-write-parent
//   killpg-parent                       kill(-pgid of the gate, SIGTERM), SIGTERM ignored here
//   sigqueue-parent                     rt_sigqueueinfo(getppid(), SIGTERM)
//   kill-all                            kill(-1, SIGTERM): only in a private pid namespace
//   vsock-connect                       AF_VSOCK socket, connect to {cid 1, port 1234, svm_flags=0x80}:
//                                       EINVAL in vsock_addr_validate, never sent to a host
//   vsock-addr-on-udp                   connect(UDP socket, the same AF_VSOCK address)
//   unknown-family                      connect(UDP socket, family 77, len 16)
//   icmp-sendto ADDR                    SOCK_DGRAM/IPPROTO_ICMP echo request to ADDR
//   raw-sendto ADDR | raw-connect-send ADDR   SOCK_RAW/IPPROTO_ICMP (needs CAP_NET_RAW)
//   packet-sendto IFNAME                AF_PACKET SOCK_DGRAM sendto a broadcast sockaddr_ll
//   packet-bind-send IFNAME             AF_PACKET SOCK_RAW bound to IFNAME, send() of a whole
//                                       Ethernet frame with no address (needs CAP_NET_RAW)
// The packet path (issue 12, part 3); any scenario may be preceded by --as-nobody (setgroups,
// setgid, setuid 65534 first):
//   srcroute HOW ADDR PORT VIA          a UDP socket of ADDR's family sends "hg-srcroute" to
//                                       ADDR:PORT with a source route through VIA: HOW sockopt sets
//                                       it with setsockopt (IP_OPTIONS LSRR; IPV6_RTHDR SRv6 SRH),
//                                       then sendto; HOW cmsg passes it to sendmsg (IP_RETOPTS;
//                                       IPV6_RTHDR)
//   raw-receive KIND PORT               makes a KIND socket (raw-udp: AF_INET SOCK_RAW IPPROTO_UDP;
//                                       packet-all: AF_PACKET SOCK_DGRAM ETH_P_ALL; packet0: AF_PACKET
//                                       SOCK_RAW protocol 0), sends "hg-raw-PORT" over UDP to
//                                       127.0.0.1:PORT and reports whether the KIND socket received it
//   clean-sockets                       what must stay clean: sockets of every family made and closed,
//                                       a UDP connect to 127.0.0.1 to learn the route, getaddrinfo
//                                       (AI_ADDRCONFIG) and getifaddrs (NETLINK_ROUTE dumps)
//   path-change KIND                    one call that changes where packets go: rtnl-sendmsg
//                                       (RTM_NEWROUTE 198.51.100.0/24 dev hgv0 by sendmsg), rtnl-sendto
//                                       (the same by sendto with an address), ioctl-addrt (SIOCADDRT,
//                                       the same route), nft (socket(AF_NETLINK, NETLINK_NETFILTER)),
//                                       iptables (setsockopt IPT_SO_SET_REPLACE), tun (TUNSETIFF
//                                       hgtun0), bpf-attach (BPF_PROG_ATTACH), setns (setns(own net
//                                       namespace, CLONE_NEWNET)), module (finit_module(-1)),
//                                       transparent (IP_TRANSPARENT)

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/route.h>
#include <netdb.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/seccomp.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define X32_BIT 0x40000000L
#define I386_GETPID 20
#define I386_SOCKETCALL 102
#define I386_CONNECT 362
#define SYS_CONNECT_MUX 3

static const char *gScenario = "?";

static const char *errName(int err)
{
	const char *name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

static void usage(void)
{
	fprintf(stderr, "bypass: bad arguments (see the comment at the top of bypass.c)\n");
	exit(64);
}

// One line per attempt; `extra` is appended as is ("" for none).
static void report(const char *op, long ret, int err, const char *extra)
{
	printf("bypass pid=%d tid=%ld scenario=%s op=%s ret=%ld errno=%s%s%s\n", getpid(),
	       (long)syscall(SYS_gettid), gScenario, op, ret, ret < 0 ? errName(err) : "-",
	       extra && *extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

// Reports a call made in the argument: the call runs before errno is read.
#define REPORT(op, call, extra)                    \
	do {                                       \
		long ret_ = (long)(call);          \
		int err_ = errno;                  \
		report((op), ret_, err_, (extra)); \
	} while (0)

static void die(const char *what)
{
	report(what, -1, errno, "fatal=1");
	exit(100);
}

static struct sockaddr_in parseV4(const char *addr, const char *port)
{
	struct sockaddr_in in;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	char *end = NULL;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535 || inet_pton(AF_INET, addr, &in.sin_addr) != 1)
		usage();
	in.sin_port = htons((uint16_t)p);
	return in;
}

static void addrText(const struct sockaddr_in *in, char *out, size_t n)
{
	char host[INET_ADDRSTRLEN] = "?";
	inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
	snprintf(out, n, "%s:%u", host, ntohs(in->sin_port));
}

static void sleepMs(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

// ---- 1. other ABIs --------------------------------------------------------------------------

// int $0x80 from 64-bit code: i386 numbering and registers, 32-bit result.
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11", "cc");
	return (long)(int)ret;
}

static void *low32(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED)
		die("mmap-32bit");
	if ((uintptr_t)p + n > 0xffffffffUL)
		die("mmap-32bit-high");
	return p;
}

// Runs the probe in a child so a missing ABI (SIGSEGV from int $0x80) does not kill us.
static int probeAbi(int i386)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		long r = i386 ? int80(I386_GETPID, 0, 0, 0) : syscall(SYS_getpid | X32_BIT);
		_exit(r == getpid() ? 0 : 77);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	char extra[64];
	snprintf(extra, sizeof(extra), "available=%d status=0x%x", ok, st);
	report(i386 ? "i386-probe" : "x32-probe", ok ? 0 : -1, ok ? 0 : ENOSYS, extra);
	return ok ? 0 : 77;
}

static int tcpSocket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static void reportRaw(const char *op, long raw, const struct sockaddr_in *in)
{
	char extra[96] = "";
	if (in) {
		char text[64];
		addrText(in, text, sizeof(text));
		snprintf(extra, sizeof(extra), "addr=%s", text);
	}
	// raw kernel convention: -errno on failure
	report(op, raw < 0 ? -1 : raw, raw < 0 ? (int)-raw : 0, extra);
}

static void i386Connect(const char *addr, const char *port, int mux)
{
	struct sockaddr_in *in = low32(4096);
	*in = parseV4(addr, port);
	int fd = tcpSocket();
	long r;
	if (mux) {
		uint32_t *args = (uint32_t *)((char *)in + 256);
		args[0] = (uint32_t)fd;
		args[1] = (uint32_t)(uintptr_t)in;
		args[2] = sizeof(*in);
		r = int80(I386_SOCKETCALL, SYS_CONNECT_MUX, (long)(uintptr_t)args, 0);
	} else {
		r = int80(I386_CONNECT, fd, (long)(uintptr_t)in, sizeof(*in));
	}
	reportRaw(mux ? "i386-socketcall-connect" : "i386-connect", r, in);
	close(fd);
}

static void x32Connect(const char *addr, const char *port)
{
	struct sockaddr_in *in = low32(4096);
	*in = parseV4(addr, port);
	int fd = tcpSocket();
	long r = syscall(SYS_connect | X32_BIT, fd, in, sizeof(*in));
	report("x32-connect", r, errno, "");
	close(fd);
}

// ---- 2. clone flags -------------------------------------------------------------------------

static void plainConnect(const char *op, const char *addr, const char *port)
{
	struct sockaddr_in in = parseV4(addr, port);
	char extra[96], text[64];
	addrText(&in, text, sizeof(text));
	snprintf(extra, sizeof(extra), "addr=%s", text);
	int fd = tcpSocket();
	int r = connect(fd, (struct sockaddr *)&in, sizeof(in));
	report(op, r, errno, extra);
	close(fd);
}

static void waitChild(pid_t pid)
{
	for (int i = 0; i < 500; i++) { // at most 5 s
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG | __WALL);
		if (w == pid || (w < 0 && errno == ECHILD))
			return;
		sleepMs(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
}

static void cloneUntraced(const char *addr, const char *port)
{
	long r = syscall(SYS_clone, (long)(CLONE_UNTRACED | SIGCHLD), 0L, 0L, 0L, 0L);
	if (r == 0) {
		plainConnect("child-connect", addr, port);
		_exit(0);
	}
	report("clone-untraced", r, errno, "");
	if (r > 0)
		waitChild((pid_t)r);
}

static void clone3Scenario(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args;
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	long r = syscall(435, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	report("clone3", r, errno, "");
	if (r > 0)
		waitChild((pid_t)r);
}

// ---- 3. io_uring ----------------------------------------------------------------------------

static void ioUringSetup(void)
{
	unsigned char params[120]; // struct io_uring_params
	memset(params, 0, sizeof(params));
	long r = syscall(425, 8, params);
	report("io_uring_setup", r, errno, "");
	if (r >= 0)
		close((int)r);
}

// ---- 4. the step's own seccomp filters ------------------------------------------------------

static long seccompInstall(unsigned flags, int nr, unsigned action)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static int gListener = -1;

// Answers every notification with CONTINUE: the call then runs as if no filter had stopped it.
static void *notifThread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 4; i++) {
		struct pollfd p = {.fd = gListener, .events = POLLIN};
		if (poll(&p, 1, 3000) <= 0)
			return NULL;
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(gListener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
			return NULL;
		struct seccomp_notif_resp resp;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		int r = ioctl(gListener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		char extra[64];
		snprintf(extra, sizeof(extra), "notified_nr=%d", req.data.nr);
		report("notif-continue", r, errno, extra);
	}
	return NULL;
}

static void seccompListener(const char *addr, const char *port)
{
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	long r = seccompInstall(SECCOMP_FILTER_FLAG_NEW_LISTENER, SYS_connect, SECCOMP_RET_USER_NOTIF);
	report("seccomp-new-listener", r, errno, "");
	pthread_t t;
	int haveThread = 0;
	if (r >= 0) {
		gListener = (int)r;
		haveThread = pthread_create(&t, NULL, notifThread, NULL) == 0;
	}
	plainConnect("connect", addr, port);
	if (haveThread)
		pthread_join(t, NULL);
}

static void seccompPlain(const char *addr, const char *port)
{
	int nnp = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	report("no-new-privs", nnp, errno, "");
	long r = seccompInstall(0, SYS_getpriority, SECCOMP_RET_ERRNO | EACCES);
	report("seccomp-plain", r, errno, "");
	errno = 0;
	long p = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	report("getpriority-filtered", p, errno, "");
	plainConnect("connect", addr, port);
}

// ---- 5. races on tracee memory --------------------------------------------------------------

static struct sockaddr_in gShared __attribute__((aligned(64)));
static int gStop;

static void *flipper(void *arg)
{
	(void)arg;
	uint32_t a = htonl(0x7f000001), b = htonl(0xcb007101); // 127.0.0.1, 203.0.113.1
	// Each value holds for a short spin, so a reader sees either with about equal chance.
	for (unsigned long n = 0; !__atomic_load_n(&gStop, __ATOMIC_RELAXED); n++) {
		__atomic_store_n(&gShared.sin_addr.s_addr, (n & 1) ? b : a, __ATOMIC_SEQ_CST);
		for (volatile int spin = 0; spin < 50; spin++)
			;
	}
	return NULL;
}

// The remote address of the TCP socket with this inode, from /proc/net/tcp (works in SYN_SENT,
// where getpeername says ENOTCONN).
static int procPeer(ino_t ino, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/net/tcp", "re");
	if (!f)
		return 0;
	char line[512];
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned rem, remPort, st;
		unsigned long inode;
		if (sscanf(line, " %*d: %*x:%*x %x:%x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &rem, &remPort, &st, &inode) != 4)
			continue;
		if (inode != (unsigned long)ino || inode == 0)
			continue;
		struct in_addr ia = {.s_addr = rem}; // printed in host order of the raw __be32
		char host[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ia, host, sizeof(host));
		snprintf(out, n, "%s:%u", host, remPort);
		found = rem != 0;
		break;
	}
	fclose(f);
	return found;
}

static void race(const char *iterations, const char *basePort)
{
	int iters = atoi(iterations);
	int base = atoi(basePort);
	if (iters <= 0 || iters > 800 || base < 1024 || base + iters > 65535)
		usage();
	// One listener per iteration, so the port of every record names its iteration.
	int *lfd = calloc((size_t)iters, sizeof(int));
	if (!lfd)
		die("calloc");
	for (int i = 0; i < iters; i++) {
		char port[16];
		snprintf(port, sizeof(port), "%d", base + i);
		struct sockaddr_in local = parseV4("127.0.0.1", port);
		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd[i] < 0 || bind(lfd[i], (struct sockaddr *)&local, sizeof(local)) != 0 || listen(lfd[i], 8) != 0)
			die("race-listener");
	}
	report("race-listeners", iters, 0, "");
	gShared = parseV4("127.0.0.1", basePort);
	pthread_t t;
	if (pthread_create(&t, NULL, flipper, NULL) != 0)
		die("pthread_create");
	for (int i = 0; i < iters; i++) {
		gShared.sin_port = htons((uint16_t)(base + i)); // the flipper only touches sin_addr
		int fd = tcpSocket();
		int r = connect(fd, (struct sockaddr *)&gShared, sizeof(gShared));
		int err = errno;
		char peer[64] = "none", how[16] = "-";
		struct sockaddr_in got;
		socklen_t len = sizeof(got);
		if (getpeername(fd, (struct sockaddr *)&got, &len) == 0) {
			addrText(&got, peer, sizeof(peer));
			strcpy(how, "getpeername");
		} else {
			struct stat sb;
			if (fstat(fd, &sb) == 0 && procPeer(sb.st_ino, peer, sizeof(peer)))
				strcpy(how, "proc");
		}
		int soErr = 0;
		socklen_t soLen = sizeof(soErr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &soLen);
		char extra[160];
		snprintf(extra, sizeof(extra), "i=%d port=%d peer=%s via=%s so_error=%s", i, base + i, peer, how,
			 soErr ? errName(soErr) : "-");
		report("connect", r, err, extra);
		close(fd);
		int c = accept4(lfd[i], NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
		close(lfd[i]);
	}
	__atomic_store_n(&gStop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	free(lfd);
	report("race-done", 0, 0, "");
}

// The family race: the address the gate reads may be AF_UNIX (no socket look needed, were it
// not for this) while the kernel copies AF_INET a moment later. Only the first 8 bytes differ
// (family, port, address vs family and the start of an abstract name; the rest is zero in
// both), so one 8-byte store flips the whole address and no read is torn.
struct FamilyRace {
	uint64_t addr[2]; // the sockaddr the connects use
	uint64_t images[2];
	int stop;
};

static void *familyFlipper(void *arg)
{
	struct FamilyRace *fr = arg;
	for (unsigned long n = 0; !__atomic_load_n(&fr->stop, __ATOMIC_RELAXED); n++) {
		__atomic_store_n(&fr->addr[0], fr->images[n & 1], __ATOMIC_SEQ_CST);
		for (volatile int spin = 0; spin < 50; spin++)
			;
	}
	return NULL;
}

static void raceFamily(const char *iterations, const char *portText, const char *who)
{
	int iters = atoi(iterations);
	int byProcess = !strcmp(who, "process");
	if (iters <= 0 || iters > 5000 || atoi(portText) < 1024 || (!byProcess && strcmp(who, "thread")))
		usage();
	struct FamilyRace *fr = mmap(NULL, sizeof(*fr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fr == MAP_FAILED)
		die("mmap");
	struct sockaddr_in in = parseV4("203.0.113.1", portText);
	struct sockaddr_un un;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, "\0hgfam", 6); // abstract: a leading NUL
	memcpy(&fr->images[0], &un, 8);
	memcpy(&fr->images[1], &in, 8);
	fr->addr[0] = fr->images[0];
	fr->addr[1] = 0;
	fr->stop = 0;
	pthread_t t;
	pid_t flipper = -1;
	if (byProcess) {
		flipper = fork();
		if (flipper < 0)
			die("fork");
		if (flipper == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			familyFlipper(fr);
			_exit(0);
		}
	} else if (pthread_create(&t, NULL, familyFlipper, fr) != 0) {
		die("pthread_create");
	}
	for (int i = 0; i < iters; i++) {
		int fd = tcpSocket();
		int r = connect(fd, (struct sockaddr *)fr->addr, sizeof(fr->addr));
		int err = errno;
		char peer[64] = "none";
		struct sockaddr_in got;
		socklen_t len = sizeof(got);
		struct stat sb;
		if (getpeername(fd, (struct sockaddr *)&got, &len) == 0)
			addrText(&got, peer, sizeof(peer));
		else if (fstat(fd, &sb) == 0)
			procPeer(sb.st_ino, peer, sizeof(peer));
		char extra[96];
		snprintf(extra, sizeof(extra), "i=%d peer=%s", i, peer);
		report("connect", r, err, extra);
		close(fd);
	}
	__atomic_store_n(&fr->stop, 1, __ATOMIC_SEQ_CST);
	if (byProcess)
		waitpid(flipper, NULL, 0);
	else
		pthread_join(t, NULL);
	munmap(fr, sizeof(*fr));
	report("race-family-done", 0, 0, "");
}

static int udpReceiver(int port)
{
	char text[16];
	snprintf(text, sizeof(text), "%d", port);
	struct sockaddr_in local = parseV4("127.0.0.1", text);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0)
		die("race-udp-receiver");
	return fd;
}

// Counts the datagrams waiting on fd; waits up to waitMs for the first of them.
static int drain(int fd, int waitMs)
{
	int n = 0;
	char buf[64];
	for (;;) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
			n++;
			continue;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (waitMs <= 0 || poll(&p, 1, waitMs) <= 0)
			return n;
	}
}

// The datagram twin of race(): one sender thread, the flipper rewriting the destination's
// sin_addr between 127.0.0.1 and 203.0.113.1. sendmmsg sends two messages, the first to the
// flipped address, the second to the fixed 127.0.0.1:BASEPORT+1.
static void raceUdp(const char *call, const char *iterations, const char *basePort)
{
	int iters = atoi(iterations);
	int base = atoi(basePort);
	int kind = !strcmp(call, "sendto") ? 0 : !strcmp(call, "sendmsg") ? 1 : !strcmp(call, "sendmmsg") ? 2 : -1;
	if (kind < 0 || iters <= 0 || iters > 5000 || base < 1024 || base + 1 > 65535)
		usage();
	int rx = udpReceiver(base);
	int rxFixed = udpReceiver(base + 1);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	char port[16];
	snprintf(port, sizeof(port), "%d", base);
	gShared = parseV4("127.0.0.1", port);
	snprintf(port, sizeof(port), "%d", base + 1);
	struct sockaddr_in fixed = parseV4("127.0.0.1", port);
	__atomic_store_n(&gStop, 0, __ATOMIC_SEQ_CST);
	pthread_t t;
	if (pthread_create(&t, NULL, flipper, NULL) != 0)
		die("pthread_create");
	int received = 0, receivedFixed = 0, badLen = 0;
	for (int i = 0; i < iters; i++) {
		char payload[32];
		int len = snprintf(payload, sizeof(payload), "race-udp %d", i);
		struct iovec iov = {.iov_base = payload, .iov_len = (size_t)len};
		long r;
		if (kind == 0) {
			r = sendto(fd, payload, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&gShared, sizeof(gShared));
		} else if (kind == 1) {
			struct msghdr mh = {.msg_name = &gShared, .msg_namelen = sizeof(gShared), .msg_iov = &iov, .msg_iovlen = 1};
			r = sendmsg(fd, &mh, MSG_DONTWAIT);
		} else {
			struct mmsghdr mm[2];
			memset(mm, 0, sizeof(mm));
			mm[0].msg_hdr = (struct msghdr){.msg_name = &gShared, .msg_namelen = sizeof(gShared), .msg_iov = &iov, .msg_iovlen = 1};
			mm[1].msg_hdr = (struct msghdr){.msg_name = &fixed, .msg_namelen = sizeof(fixed), .msg_iov = &iov, .msg_iovlen = 1};
			mm[0].msg_len = mm[1].msg_len = 0xdead;
			r = sendmmsg(fd, mm, 2, MSG_DONTWAIT);
			for (long j = 0; j < r; j++)
				badLen += mm[j].msg_len != (unsigned)len;
		}
		int err = errno;
		char extra[32];
		snprintf(extra, sizeof(extra), "i=%d", i);
		report(call, r, err, extra);
		received += drain(rx, 0);
		receivedFixed += drain(rxFixed, 0);
	}
	__atomic_store_n(&gStop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	received += drain(rx, 200);
	receivedFixed += drain(rxFixed, 200);
	char extra[96];
	snprintf(extra, sizeof(extra), "received=%d received_fixed=%d bad_msg_len=%d", received, receivedFixed, badLen);
	report("race-udp-done", 0, 0, extra);
}

// ---- 6. processes that outlive the step -----------------------------------------------------

static void daemonScenario(const char *addr, const char *port)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe");
	pid_t root = getpid();
	pid_t a = fork();
	if (a < 0)
		die("fork");
	if (a == 0) {
		close(p[0]);
		setsid();
		pid_t self = getpid(); // a's pid (the variable a is 0 in a and b)
		pid_t b = fork();
		if (b != 0)
			_exit(0); // b re-parents to the nearest subreaper: the gate
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		for (int i = 0; i < 200; i++) { // wait until a has exited and b was re-parented
			pid_t pp = getppid();
			if (pp != self && pp != 0)
				break;
			sleepMs(10);
		}
		char extra[96];
		snprintf(extra, sizeof(extra), "ppid=%d root=%d sid=%d pgid=%d", getppid(), root, getsid(0), getpgid(0));
		report("reparented", 0, 0, extra);
		pid_t c = fork();
		if (c == 0) {
			setpgid(0, 0);
			snprintf(extra, sizeof(extra), "ppid=%d sid=%d pgid=%d", getppid(), getsid(0), getpgid(0));
			report("great-grandchild", 0, 0, extra);
			plainConnect("connect", addr, port);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			sleep(60);
			_exit(0);
		}
		sleep(60);
		_exit(0);
	}
	close(p[1]);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	int n = poll(&pfd, 1, 10000);
	char extra[64];
	snprintf(extra, sizeof(extra), "child=%d ppid=%d sid=%d", a, getppid(), getsid(0));
	report("root-exits", n, errno, extra);
}

static void lateConnect(const char *addr, const char *port)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe");
	pid_t a = fork();
	if (a < 0)
		die("fork");
	if (a == 0) {
		close(p[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		report("late-grandchild", 0, 0, "");
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		close(p[1]);
		sleepMs(200); // the root has exited by now
		plainConnect("connect", addr, port);
		sleep(10);
		_exit(0);
	}
	close(p[1]);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	int n = poll(&pfd, 1, 10000);
	report("root-exits", n, errno, "");
}

static void spawnSleep(const char *seconds, const char *pidfile)
{
	int s = atoi(seconds);
	pid_t c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		sleep((unsigned)s);
		_exit(0);
	}
	char extra[64];
	snprintf(extra, sizeof(extra), "child=%d", c);
	report("spawned", 0, 0, extra);
	if (pidfile) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		FILE *f = fopen(tmp, "we");
		if (!f)
			die("pidfile");
		fprintf(f, "%d %d\n", getpid(), c);
		fclose(f);
		rename(tmp, pidfile);
	}
	sleep((unsigned)s);
}

// ---- 7. tampering with the supervisor -------------------------------------------------------

static void tamper(const char *which)
{
	pid_t gate = getppid();
	char extra[32];
	snprintf(extra, sizeof(extra), "target=%d", gate);
	if (!strcmp(which, "tamper-probe")) {
		REPORT("kill0", kill(gate, 0), extra);
	} else if (!strcmp(which, "kill-parent")) {
		REPORT("kill", kill(gate, SIGTERM), extra);
	} else if (!strcmp(which, "tgkill-parent")) {
		REPORT("tgkill", syscall(SYS_tgkill, gate, gate, SIGTERM), extra);
	} else if (!strcmp(which, "pidfd-parent")) {
		long fd = syscall(SYS_pidfd_open, gate, 0);
		report("pidfd_open", fd, errno, extra);
		if (fd >= 0) {
			REPORT("pidfd_send_signal", syscall(SYS_pidfd_send_signal, (int)fd, SIGTERM, NULL, 0), extra);
			close((int)fd);
		}
	} else if (!strcmp(which, "ptrace-parent")) {
		long r = ptrace(PTRACE_SEIZE, gate, 0, 0);
		report("ptrace", r, errno, extra);
		// if it worked, exiting detaches us again
	} else if (!strcmp(which, "vm-write-parent")) {
		// remote address 8: EFAULT if the kernel let us in (harmless), EPERM if refused
		char byte = 0;
		struct iovec local = {.iov_base = &byte, .iov_len = 1};
		struct iovec remote = {.iov_base = (void *)8, .iov_len = 1};
		REPORT("process_vm_writev", syscall(SYS_process_vm_writev, gate, &local, 1, &remote, 1, 0), extra);
	} else if (!strcmp(which, "killpg-parent")) {
		// the tests start the gate in its own session, so its group is only the gate (and us)
		signal(SIGTERM, SIG_IGN);
		pid_t pg = getpgid(gate);
		char ex[64];
		snprintf(ex, sizeof(ex), "target=-%d own_pgid=%d", pg, getpgid(0));
		REPORT("killpg", pg > 1 ? kill(-pg, SIGTERM) : -1, ex);
	} else if (!strcmp(which, "sigqueue-parent")) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGTERM;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		REPORT("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, gate, SIGTERM, &si), extra);
	} else if (!strcmp(which, "kill-all")) {
		REPORT("kill-all", kill(-1, SIGTERM), extra);
	} else {
		usage();
	}
	sleepMs(300); // give a signal that got through the time to act on the gate
	report("survived", 0, 0, "");
}

// ---- 9. calls the supervisor cannot decode --------------------------------------------------

static void vsockConnect(int onUdp)
{
	struct sockaddr_vm vm;
	memset(&vm, 0, sizeof(vm));
	vm.svm_family = AF_VSOCK;
	vm.svm_cid = VMADDR_CID_LOCAL;
	// Only VMADDR_FLAG_TO_HOST is a valid flag (vsock_addr_validate): the kernel refuses the
	// address with EINVAL before any transport sees it, so nothing reaches a hypervisor even
	// on a VM guest (a valid address to cid 1 would go to the host's virtio device).
	vm.svm_flags = 0x80;
	vm.svm_port = 1234;
	int fd = onUdp ? -1 : socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	const char *sock = "vsock";
	if (fd < 0) { // no vsock support, or asked for: the address alone must still be judged
		if (!onUdp)
			report("socket-vsock", -1, errno, "");
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		sock = "udp";
	}
	char extra[32];
	snprintf(extra, sizeof(extra), "socket=%s", sock);
	REPORT("connect", connect(fd, (struct sockaddr *)&vm, sizeof(vm)), extra);
	close(fd);
}

static void unknownFamily(void)
{
	unsigned char sa[16];
	memset(sa, 0x41, sizeof(sa));
	sa_family_t fam = 77;
	memcpy(sa, &fam, sizeof(fam));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REPORT("connect", connect(fd, (struct sockaddr *)sa, sizeof(sa)), "family=77");
	close(fd);
}

static void icmpEcho(int type, const char *addr, int connectFirst)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP);
	const char *kind = type == SOCK_RAW ? "raw" : "icmp-dgram";
	if (fd < 0) {
		char extra[32];
		snprintf(extra, sizeof(extra), "kind=%s", kind);
		report("socket", -1, errno, extra);
		exit(77);
	}
	struct sockaddr_in in = parseV4(addr, "0");
	struct icmphdr h;
	memset(&h, 0, sizeof(h));
	h.type = ICMP_ECHO;
	h.un.echo.id = htons(0x4847);
	h.un.echo.sequence = htons(1);
	unsigned sum = 0;
	const uint16_t *w = (const uint16_t *)&h;
	for (size_t i = 0; i < sizeof(h) / 2; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	h.checksum = (uint16_t)~sum;
	char extra[96];
	snprintf(extra, sizeof(extra), "kind=%s addr=%s", kind, addr);
	if (connectFirst) {
		REPORT("connect", connect(fd, (struct sockaddr *)&in, sizeof(in)), extra);
		REPORT("send", send(fd, &h, sizeof(h), MSG_DONTWAIT), extra);
	} else {
		REPORT("sendto", sendto(fd, &h, sizeof(h), MSG_DONTWAIT, (struct sockaddr *)&in, sizeof(in)), extra);
	}
	close(fd);
}

static void packetSend(const char *ifname, int bindFirst)
{
	// bind + send: SOCK_RAW with a whole Ethernet frame, so send() needs no address at all
	// (a SOCK_DGRAM packet socket fails such a send with EINVAL: no link-layer destination).
	int type = bindFirst ? SOCK_RAW : SOCK_DGRAM;
	int fd = socket(AF_PACKET, type | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) {
		report("socket", -1, errno, "kind=packet");
		exit(77);
	}
	struct sockaddr_ll ll;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	ll.sll_halen = ETH_ALEN;
	memset(ll.sll_addr, 0xff, ETH_ALEN);
	if (ll.sll_ifindex == 0)
		die("if_nametoindex");
	char payload[28] = {0x45}; // a stub IPv4 header: nothing listens on the other end
	unsigned char frame[ETH_HLEN + sizeof(payload)];
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, ETH_ALEN); // broadcast destination, zero source
	frame[12] = ETH_P_IP >> 8;
	frame[13] = ETH_P_IP & 0xff;
	memcpy(frame + ETH_HLEN, payload, sizeof(payload));
	char extra[64];
	snprintf(extra, sizeof(extra), "kind=packet ifindex=%d", ll.sll_ifindex);
	if (bindFirst) {
		REPORT("bind", bind(fd, (struct sockaddr *)&ll, sizeof(ll)), extra);
		REPORT("send", send(fd, frame, sizeof(frame), MSG_DONTWAIT), extra);
	} else {
		report("sendto", sendto(fd, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&ll, sizeof(ll)),
		       errno, extra);
	}
	close(fd);
}

// ---- 10. the packet path -------------------------------------------------------------------

#define HG_SRCROUTE_PAYLOAD "hg-srcroute"

// IPv4 LSRR through via (a NOP first, so the option ends on a 4-byte boundary).
static size_t lsrrOption(const char *via, unsigned char *opt)
{
	opt[0] = 1;    // IPOPT_NOOP
	opt[1] = 0x83; // IPOPT_LSRR
	opt[2] = 7;
	opt[3] = 4;
	if (inet_pton(AF_INET, via, opt + 4) != 1)
		usage();
	return 8;
}

// An SRv6 segment routing header (type 4): first segment via, then dst.
static size_t srhHeader(const struct in6_addr *dst, const char *via, unsigned char *h)
{
	memset(h, 0, 40);
	h[1] = 4; // hdrlen: (40 / 8) - 1
	h[2] = 4; // IPV6_SRCRT_TYPE_4
	h[3] = 1; // segments_left
	h[4] = 1; // first_segment
	memcpy(h + 8, dst, 16);
	if (inet_pton(AF_INET6, via, h + 24) != 1)
		usage();
	return 40;
}

static void srcroute(const char *how, const char *addr, const char *port, const char *via)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	int v6 = strchr(addr, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
			usage();
		len = sizeof(*in6);
	} else {
		struct sockaddr_in in = parseV4(addr, port);
		memcpy(&ss, &in, sizeof(in));
		len = sizeof(in);
	}
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	unsigned char opt[64];
	size_t optLen = v6 ? srhHeader(&((struct sockaddr_in6 *)&ss)->sin6_addr, via, opt) : lsrrOption(via, opt);
	int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
	char extra[128];
	snprintf(extra, sizeof(extra), "via=%s addr=%s", via, addr);
	if (!strcmp(how, "sockopt")) {
		REPORT("setsockopt", setsockopt(fd, level, v6 ? IPV6_RTHDR : IP_OPTIONS, opt, (socklen_t)optLen), extra);
		REPORT("sendto", sendto(fd, HG_SRCROUTE_PAYLOAD, strlen(HG_SRCROUTE_PAYLOAD), MSG_DONTWAIT,
					(struct sockaddr *)&ss, len),
		       extra);
	} else if (!strcmp(how, "cmsg")) {
		union {
			char buf[CMSG_SPACE(64)];
			struct cmsghdr align;
		} control;
		memset(&control, 0, sizeof(control));
		struct iovec iov = {.iov_base = (void *)HG_SRCROUTE_PAYLOAD, .iov_len = strlen(HG_SRCROUTE_PAYLOAD)};
		struct msghdr m = {.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1,
				   .msg_control = control.buf, .msg_controllen = CMSG_SPACE(optLen)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = level;
		c->cmsg_type = v6 ? IPV6_RTHDR : IP_RETOPTS;
		c->cmsg_len = CMSG_LEN(optLen);
		memcpy(CMSG_DATA(c), opt, optLen);
		REPORT("sendmsg", sendmsg(fd, &m, MSG_DONTWAIT), extra);
	} else {
		usage();
	}
	close(fd);
}

static int rawReceiveSocket(const char *kind)
{
	if (!strcmp(kind, "raw-udp"))
		return socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (!strcmp(kind, "packet-all"))
		return socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (!strcmp(kind, "packet0"))
		return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	usage();
	return -1;
}

// Whether marker arrives on fd within ms.
static int receives(int fd, const char *marker, int ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, 50);
		char buf[2048];
		ssize_t n;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if (memmem(buf, (size_t)n, marker, strlen(marker)))
				return 1;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= ms)
			return 0;
	}
}

static void rawReceive(const char *kind, const char *port)
{
	char extra[64];
	snprintf(extra, sizeof(extra), "kind=%s", kind);
	int fd = rawReceiveSocket(kind);
	report("socket", fd, errno, extra);
	struct sockaddr_in to = parseV4("127.0.0.1", port);
	char marker[32];
	snprintf(marker, sizeof(marker), "hg-raw-%s", port);
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REPORT("sendto", sendto(udp, marker, strlen(marker), 0, (struct sockaddr *)&to, sizeof(to)), extra);
	if (fd >= 0) {
		char line[96];
		snprintf(line, sizeof(line), "kind=%s received=%d", kind, receives(fd, marker, 1000));
		report("receive", 0, 0, line);
		close(fd);
	}
	close(udp);
}

static void cleanSockets(void)
{
	static const int kinds[][3] = {
		{AF_INET, SOCK_STREAM, 0},  {AF_INET, SOCK_DGRAM, 0},      {AF_INET6, SOCK_STREAM, 0},
		{AF_INET6, SOCK_DGRAM, 0},  {AF_UNIX, SOCK_STREAM, 0},     {AF_UNIX, SOCK_DGRAM, 0},
		{AF_NETLINK, SOCK_RAW, NETLINK_ROUTE}, {AF_NETLINK, SOCK_DGRAM, NETLINK_GENERIC},
		{AF_PACKET, SOCK_RAW, 0},   {AF_PACKET, SOCK_DGRAM, 0},    {AF_INET, SOCK_DGRAM, IPPROTO_ICMP},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int fd = socket(kinds[i][0], kinds[i][1] | SOCK_CLOEXEC, kinds[i][2]);
		char extra[64];
		snprintf(extra, sizeof(extra), "family=%d type=%d protocol=%d", kinds[i][0], kinds[i][1], kinds[i][2]);
		report("socket", fd, errno, extra);
		if (fd >= 0)
			close(fd);
	}
	// A UDP "connect" to loopback only to learn the local route (getaddrinfo's RFC 6724 sort).
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in lo = parseV4("127.0.0.1", "53");
	REPORT("connect", connect(udp, (struct sockaddr *)&lo, sizeof(lo)), "route-probe=1");
	struct sockaddr_in local;
	socklen_t llen = sizeof(local);
	REPORT("getsockname", getsockname(udp, (struct sockaddr *)&local, &llen), "");
	close(udp);
	struct addrinfo hints = {.ai_flags = AI_ADDRCONFIG, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo("localhost", "80", &hints, &res);
	report("getaddrinfo", gai == 0 ? 0 : -1, gai == EAI_SYSTEM ? errno : EINVAL, "");
	if (res)
		freeaddrinfo(res);
	struct ifaddrs *ifs = NULL;
	REPORT("getifaddrs", getifaddrs(&ifs), "");
	if (ifs)
		freeifaddrs(ifs);
}

// RTM_NEWROUTE 198.51.100.0/24 dev IFNAME, laid out in buf; its length.
static size_t newRouteMessage(char *buf, size_t size, const char *ifname)
{
	memset(buf, 0, size);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	h->nlmsg_seq = 1;
	struct rtmsg *rt = NLMSG_DATA(h);
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 24;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	size_t len = NLMSG_LENGTH(sizeof(*rt));
	struct rtattr *a = (struct rtattr *)(buf + NLMSG_ALIGN(len));
	a->rta_type = RTA_DST;
	a->rta_len = RTA_LENGTH(4);
	inet_pton(AF_INET, "198.51.100.0", RTA_DATA(a));
	len = NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
	a = (struct rtattr *)(buf + len);
	a->rta_type = RTA_OIF;
	a->rta_len = RTA_LENGTH(4);
	int ifindex = (int)if_nametoindex(ifname);
	memcpy(RTA_DATA(a), &ifindex, 4);
	len += RTA_ALIGN(a->rta_len);
	h->nlmsg_len = (uint32_t)len;
	return len;
}

// The kernel's answer to a netlink request with NLM_F_ACK: 0 or -errno.
static int netlinkAck(int fd)
{
	char buf[512];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 1000) <= 0)
		return -ETIMEDOUT;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < (ssize_t)sizeof(*h) || h->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

static void pathChange(const char *kind)
{
	if (!strncmp(kind, "rtnl-", 5)) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			die("socket(NETLINK_ROUTE)");
		char buf[256];
		size_t len = newRouteMessage(buf, sizeof(buf), "hgv0");
		struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
		long r;
		if (!strcmp(kind, "rtnl-sendmsg")) {
			struct iovec iov = {.iov_base = buf, .iov_len = len};
			struct msghdr m = {.msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = &iov, .msg_iovlen = 1};
			r = sendmsg(fd, &m, 0);
		} else if (!strcmp(kind, "rtnl-sendto")) {
			r = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
		} else {
			usage();
			return;
		}
		int err = errno;
		char extra[32] = "";
		if (r >= 0)
			snprintf(extra, sizeof(extra), "ack=%d", netlinkAck(fd));
		report(kind, r, err, extra);
		close(fd);
	} else if (!strcmp(kind, "ioctl-addrt")) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct rtentry rt;
		memset(&rt, 0, sizeof(rt));
		struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst, *mask = (struct sockaddr_in *)&rt.rt_genmask;
		dst->sin_family = mask->sin_family = AF_INET;
		inet_pton(AF_INET, "198.51.100.0", &dst->sin_addr);
		inet_pton(AF_INET, "255.255.255.0", &mask->sin_addr);
		rt.rt_flags = RTF_UP;
		rt.rt_dev = (char *)"hgv0";
		REPORT(kind, ioctl(fd, SIOCADDRT, &rt), "");
		close(fd);
	} else if (!strcmp(kind, "nft")) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		report(kind, fd, errno, "");
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(kind, "iptables")) {
		int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		char junk[64] = {0};
		// No valid table: the kernel would refuse it (EINVAL, ENOPROTOOPT); the gate must first.
		REPORT(kind, setsockopt(fd, IPPROTO_IP, 64 /* IPT_SO_SET_REPLACE */, junk, sizeof(junk)), "");
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(kind, "tun")) {
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			report("open-tun", -1, errno, "");
			return;
		}
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		strcpy(ifr.ifr_name, "hgtun0");
		REPORT(kind, ioctl(fd, TUNSETIFF, &ifr), "");
		close(fd);
	} else if (!strcmp(kind, "bpf-attach")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = -1;
		attr.attach_bpf_fd = -1;
		attr.attach_type = BPF_CGROUP_INET_EGRESS;
		REPORT(kind, syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)), "");
	} else if (!strcmp(kind, "setns")) {
		int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		REPORT(kind, setns(fd, CLONE_NEWNET), "");
		close(fd);
	} else if (!strcmp(kind, "module")) {
		REPORT(kind, syscall(SYS_finit_module, -1, "", 0), "");
	} else if (!strcmp(kind, "transparent")) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		REPORT(kind, setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)), "");
		close(fd);
	} else {
		usage();
	}
}

static void asNobody(void)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		die("drop-privileges");
}

// ---------------------------------------------------------------------------------------------

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30); // last-resort bound: no scenario may outlive the test
	if (argc >= 2 && !strcmp(argv[1], "--as-nobody")) {
		asNobody();
		argv++;
		argc--;
	}
	if (argc < 2)
		usage();
	const char *s = argv[1];
	gScenario = s;
	int n = argc - 2;
	char **a = argv + 2;
	if (!strcmp(s, "i386-probe") && n == 0)
		return probeAbi(1);
	if (!strcmp(s, "x32-probe") && n == 0)
		return probeAbi(0);
	if (!strcmp(s, "i386-connect") && n == 2)
		i386Connect(a[0], a[1], 0);
	else if (!strcmp(s, "i386-socketcall") && n == 2)
		i386Connect(a[0], a[1], 1);
	else if (!strcmp(s, "x32-connect") && n == 2)
		x32Connect(a[0], a[1]);
	else if (!strcmp(s, "clone-untraced") && n == 2)
		cloneUntraced(a[0], a[1]);
	else if (!strcmp(s, "clone3") && n == 0)
		clone3Scenario();
	else if (!strcmp(s, "io-uring-setup") && n == 0)
		ioUringSetup();
	else if (!strcmp(s, "seccomp-listener") && n == 2)
		seccompListener(a[0], a[1]);
	else if (!strcmp(s, "seccomp-plain") && n == 2)
		seccompPlain(a[0], a[1]);
	else if (!strcmp(s, "race") && n == 2)
		race(a[0], a[1]);
	else if (!strcmp(s, "race-udp") && n == 3)
		raceUdp(a[0], a[1], a[2]);
	else if (!strcmp(s, "race-family") && n == 3)
		raceFamily(a[0], a[1], a[2]);
	else if (!strcmp(s, "daemon") && n == 2)
		daemonScenario(a[0], a[1]);
	else if (!strcmp(s, "late-connect") && n == 2)
		lateConnect(a[0], a[1]);
	else if (!strcmp(s, "spawn-sleep") && (n == 1 || n == 2))
		spawnSleep(a[0], n == 2 ? a[1] : NULL);
	else if ((!strcmp(s, "tamper-probe") || !strcmp(s, "kill-parent") || !strcmp(s, "tgkill-parent") ||
		  !strcmp(s, "pidfd-parent") || !strcmp(s, "ptrace-parent") || !strcmp(s, "vm-write-parent") ||
		  !strcmp(s, "killpg-parent") || !strcmp(s, "sigqueue-parent") ||
		  !strcmp(s, "kill-all")) &&
		 n == 0)
		tamper(s);
	else if (!strcmp(s, "vsock-connect") && n == 0)
		vsockConnect(0);
	else if (!strcmp(s, "vsock-addr-on-udp") && n == 0)
		vsockConnect(1);
	else if (!strcmp(s, "unknown-family") && n == 0)
		unknownFamily();
	else if (!strcmp(s, "icmp-sendto") && n == 1)
		icmpEcho(SOCK_DGRAM, a[0], 0);
	else if (!strcmp(s, "raw-sendto") && n == 1)
		icmpEcho(SOCK_RAW, a[0], 0);
	else if (!strcmp(s, "raw-connect-send") && n == 1)
		icmpEcho(SOCK_RAW, a[0], 1);
	else if (!strcmp(s, "packet-sendto") && n == 1)
		packetSend(a[0], 0);
	else if (!strcmp(s, "packet-bind-send") && n == 1)
		packetSend(a[0], 1);
	else if (!strcmp(s, "srcroute") && n == 4)
		srcroute(a[0], a[1], a[2], a[3]);
	else if (!strcmp(s, "raw-receive") && n == 2)
		rawReceive(a[0], a[1]);
	else if (!strcmp(s, "clean-sockets") && n == 0)
		cleanSockets();
	else if (!strcmp(s, "path-change") && n == 1)
		pathChange(a[0]);
	else
		usage();
	return 0;
}
