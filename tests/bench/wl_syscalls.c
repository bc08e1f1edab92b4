// syscall-heavy: N cheap non-network syscalls in a tight loop (raw getpid, lseek,
// fstat, pread of 32 bytes from a small temp file, in turn). Under a seccomp-trapping
// supervisor each one runs the filter but must not stop. Usage: wl_syscalls [N=2000000]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
	long n = wl_count(argc, argv, 1, 2000000, 1000000000);
	char path[] = "/tmp/hg-bench-syscalls-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		WL_DIE("mkstemp");
	unlink(path);
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		WL_DIE("write");
	unsigned long sum = 0;
	struct stat st;
	for (long i = 0; i < n; i++) {
		switch (i & 3) {
		case 0:
			sum += (unsigned long)syscall(SYS_getpid); // raw: glibc does not cache it, but be sure
			break;
		case 1:
			sum += (unsigned long)lseek(fd, 0, SEEK_CUR);
			break;
		case 2:
			if (fstat(fd, &st) != 0)
				WL_DIE("fstat");
			sum += (unsigned long)st.st_size;
			break;
		default:
			if (pread(fd, buf, 32, 0) != 32)
				WL_DIE("pread");
			sum += (unsigned char)buf[0];
			break;
		}
	}
	close(fd);
	return sum == 0 ? 1 : 0;
}
