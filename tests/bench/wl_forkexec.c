// fork-heavy: N sequential posix_spawn()s of /bin/true, each waited for.
// Stresses the per-process events of a tracer: fork/vfork stop, new-tracee stop,
// exec stop, exit. Usage: wl_forkexec [N=1500]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <spawn.h>
#include <sys/wait.h>

#include "wl_common.h"

extern char **environ;

int main(int argc, char **argv)
{
	long n = wl_count(argc, argv, 1, 1500, 1000000);
	char *const args[] = {(char *)"true", NULL};
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
		if (rc != 0) {
			errno = rc;
			WL_DIE("posix_spawn(/bin/true) #%ld", i);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				WL_DIE("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "workload: /bin/true #%ld ended with status 0x%x\n", i, st);
			return 1;
		}
	}
	return 0;
}
