// noptrace: runs a command the way a runner that forbids ptrace would: a seccomp filter
// that makes ptrace() (and only ptrace) fail with EPERM, as Docker's default profile did
// on older kernels, then execvp. With --kill the filter kills the process instead
// (SECCOMP_RET_KILL_PROCESS), as stricter profiles do.
//
// Usage: noptrace [--kill] COMMAND [ARGS...]
// Exit: 126 when the filter cannot be installed, 127 when COMMAND cannot be executed.

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "noptrace: add the AUDIT_ARCH of this architecture"
#endif

int main(int argc, char **argv)
{
	int argi = 1;
	unsigned action = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	if (argi < argc && strcmp(argv[argi], "--kill") == 0) {
		action = SECCOMP_RET_KILL_PROCESS;
		argi++;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: noptrace [--kill] COMMAND [ARGS...]\n");
		return 126;
	}
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), // other ABIs: not our concern here
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
	// Root (CAP_SYS_ADMIN) may load a filter without no_new_privs, as a container runtime does.
	if (geteuid() != 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("noptrace: prctl(PR_SET_NO_NEW_PRIVS)");
		return 126;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		perror("noptrace: seccomp(SECCOMP_SET_MODE_FILTER)");
		return 126;
	}
	execvp(argv[argi], argv + argi);
	fprintf(stderr, "noptrace: cannot execute %s: %s\n", argv[argi], strerror(errno));
	return 127;
}
