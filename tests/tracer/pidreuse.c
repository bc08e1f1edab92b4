// pidreuse: makes the kernel give a second child the pid of a first child that has exited,
// so a test can check that the gate keeps two process records (tracer_cases.py pid-reuse).
// Run it as the only process of a private pid namespace besides the gate
// (`unshare --pid --fork --mount-proc GATE ... -- pidreuse`): it forks child A (exit 11),
// reaps it, writes A-1 to /proc/sys/kernel/ns_last_pid (the last pid handed out in this
// pid namespace) and forks child B (exit 22), which then gets pid A.
// Prints "pidreuse first=A second=B" and exits 0 when the pids coincide, 1 when they do
// not or a step failed (with the errno on stderr).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(int code)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(code);
	return pid;
}

static int reap(pid_t pid, int code)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "pidreuse: waitpid(%d): %s\n", pid, strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != code) {
		fprintf(stderr, "pidreuse: child %d ended with status %#x, expected exit %d\n", pid, st, code);
		return -1;
	}
	return 0;
}

int main(void)
{
	pid_t first = child(11);
	if (first < 0 || reap(first, 11) != 0) {
		fprintf(stderr, "pidreuse: first child: %s\n", strerror(errno));
		return 1;
	}
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", first - 1);
	if (fd < 0 || write(fd, buf, (size_t)len) != len) {
		fprintf(stderr, "pidreuse: cannot write /proc/sys/kernel/ns_last_pid: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	pid_t second = child(22);
	if (second < 0 || reap(second, 22) != 0)
		return 1;
	printf("pidreuse first=%d second=%d\n", first, second);
	return first == second ? 0 : 1;
}
