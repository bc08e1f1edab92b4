/* fduse: tries to use descriptors it may have inherited, and reports what it could do.
 *   fduse FD:OP ...
 * OP is write (7 bytes "hg-leak"), send (the same with sendto(), which the gate traps),
 * accept (non-blocking accept4), eventfd (write 1 to the
 * counter) or uring (io_uring_enter with nothing to submit). One line per argument:
 *   fduse fd=N op=OP ret=R errno=NAME
 * errno is 0 when the call succeeded; EBADF means the descriptor was not there. Every call
 * returns at once (non-blocking or nothing to wait for). Exit 0 unless the arguments are bad. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter 426
#endif

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";
	return n ? n : "unknown";
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *colon = strchr(argv[i], ':');
		if (!colon) {
			fprintf(stderr, "fduse: bad argument '%s' (FD:OP)\n", argv[i]);
			return 2;
		}
		*colon = '\0';
		int fd = atoi(argv[i]);
		const char *op = colon + 1;
		long ret;
		errno = 0;
		if (strcmp(op, "write") == 0) {
			ret = write(fd, "hg-leak", 7);
		} else if (strcmp(op, "send") == 0) {
			ret = sendto(fd, "hg-leak", 7, MSG_DONTWAIT, NULL, 0); /* a call the gate traps */
		} else if (strcmp(op, "accept") == 0) {
			ret = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		} else if (strcmp(op, "eventfd") == 0) {
			uint64_t one = 1;
			ret = write(fd, &one, sizeof(one));
		} else if (strcmp(op, "uring") == 0) {
			ret = syscall(SYS_io_uring_enter, fd, 0, 0, 0, NULL, 0);
		} else {
			fprintf(stderr, "fduse: unknown op '%s'\n", op);
			return 2;
		}
		printf("fduse fd=%d op=%s ret=%ld errno=%s\n", fd, op, ret, ret < 0 ? errname(errno) : "0");
		fflush(stdout);
	}
	return 0;
}
