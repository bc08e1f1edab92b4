// Many processes alive at once: forks N children that each exec this program again
// ("child" mode), report ready on a pipe and block until the parent closes the release
// pipe; the parent waits until all N exist, holds them HOLD_MS, then releases and reaps
// them all. Used to measure the supervisor's memory with N processes in the tree.
// Usage: wl_procs [N=2000] [HOLD_MS=200]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wl_common.h"

static int child(char **argv)
{
	int ready = atoi(argv[2]), release = atoi(argv[3]);
	if (write(ready, "r", 1) != 1)
		return 1;
	close(ready);
	char b;
	ssize_t r;
	while ((r = read(release, &b, 1)) < 0 && errno == EINTR)
		;
	return r == 0 ? 0 : 1; // EOF: released
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "child") == 0)
		return child(argv);
	long n = wl_count(argc, argv, 1, 2000, 20000);
	long holdMs = argc > 2 ? wl_count(argc, argv, 2, 200, 60000) : 200;
	int ready[2], release[2];
	if (pipe(ready) != 0 || pipe(release) != 0)
		WL_DIE("pipe");
	char readyArg[16], releaseArg[16];
	snprintf(readyArg, sizeof(readyArg), "%d", ready[1]);
	snprintf(releaseArg, sizeof(releaseArg), "%d", release[0]);
	long started = 0;
	int failed = 0;
	for (; started < n; started++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "workload: fork #%ld: %s\n", started, strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(ready[0]);
			close(release[1]);
			execl("/proc/self/exe", argv[0], "child", readyArg, releaseArg, (char *)NULL);
			_exit(127);
		}
	}
	close(ready[1]);
	close(release[0]);
	// Every child writes one byte once it runs; EOF early means some died.
	long seen = 0;
	char buf[256];
	while (seen < started) {
		ssize_t r = read(ready[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		seen += r;
	}
	if (seen < started) {
		fprintf(stderr, "workload: only %ld of %ld children became ready\n", seen, started);
		failed = 1;
	}
	struct timespec ts = {holdMs / 1000, (holdMs % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	close(release[1]); // every child reads EOF and exits
	for (long i = 0; i < started; i++) {
		int st;
		pid_t p;
		while ((p = wait(&st)) < 0 && errno == EINTR)
			;
		if (p < 0)
			WL_DIE("wait");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	close(ready[0]);
	return failed;
}
