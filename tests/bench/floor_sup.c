// floor_sup: the floor of the gate's design, for the benchmark only (never installed).
// It does what no ptrace + seccomp gate can avoid and nothing more: follows the tree with
// PTRACE_O_TRACEFORK/VFORK/CLONE/EXEC, traps the same network calls with
// SECCOMP_RET_TRACE, reads each sockaddr once and resumes the call (one stop per call).
// No decoding, judging, exit stop, evidence or /proc reads. The benchmark runs it beside
// the gate so that "gate - floor" is the cost of the gate's own work.
// Usage: floor_sup CMD [ARG...]; exits with CMD's status (128+N for signal N).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "floor_sup: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void child(char **argv)
{
	raise(SIGSTOP); // the parent seizes us here
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		_exit(125);
	const char *calls[] = {"connect", "bind", "listen", "sendmsg", "sendmmsg"};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_TRACE(1), seccomp_syscall_resolve_name(calls[i]), 0) != 0)
			_exit(125);
	// datum_b spelled out (NE ignores it): clang's C -Wextra flags the short initializer.
	if (seccomp_rule_add(ctx, SCMP_ACT_TRACE(1), SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_NE, 0, 0)) != 0)
		_exit(125);
	if (seccomp_load(ctx) != 0)
		_exit(125);
	execvp(argv[0], argv);
	_exit(127);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor_sup CMD [ARG...]\n");
		return 2;
	}
	pid_t root = fork();
	if (root < 0)
		die("fork");
	if (root == 0)
		child(argv + 1);
	int st;
	if (waitpid(root, &st, WSTOPPED) != root)
		die("waitpid(child)");
	long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
		    PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SEIZE, root, 0, opts) != 0)
		die("ptrace(PTRACE_SEIZE)");
	kill(root, SIGCONT);
	int rc = 0;
	for (;;) {
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; // ECHILD: the tree is gone
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == root)
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
		if (event == PTRACE_EVENT_SECCOMP) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) > 0) {
				char addr[128];
				struct iovec local = {addr, sizeof(addr)};
				struct iovec remote = {(void *)(uintptr_t)info.seccomp.args[1], 16};
				process_vm_readv(pid, &local, 1, &remote, 1, 0);
			}
			ptrace(PTRACE_CONT, pid, 0, 0);
		} else if (event == PTRACE_EVENT_STOP) {
			// A group-stop (stop signal) is kept with LISTEN; the new-tracee stop resumes.
			int stopSig = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
			ptrace(stopSig ? PTRACE_LISTEN : PTRACE_CONT, pid, 0, 0);
		} else if (event != 0) {
			ptrace(PTRACE_CONT, pid, 0, 0);
		} else {
			ptrace(PTRACE_CONT, pid, 0, sig); // signal-delivery stop: re-inject
		}
	}
	return rc;
}
