// test-run-like mix: M "tests", each: write a 64 KiB file, read it back and hash it,
// run `sh -c 'cat FILE | wc -c'` (3 processes), one TCP round trip to an in-process
// echo server on 127.0.0.1 (loopback only), and a little CPU work.
// Usage: wl_testrun [M=120]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

extern char **environ;

static int server;
static long tests;

static void *echo(void *arg)
{
	(void)arg;
	char buf[512];
	for (long i = 0; i < tests; i++) {
		int c = accept4(server, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			WL_DIE("accept4");
		}
		ssize_t r;
		while ((r = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)r) != r)
				WL_DIE("echo write");
		close(c);
	}
	return NULL;
}

static unsigned long fnv(const unsigned char *p, size_t n, unsigned long h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211UL;
	return h;
}

static void roundTrip(uint16_t port, long t)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		WL_DIE("socket");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = port};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		if (errno != EINTR)
			WL_DIE("connect 127.0.0.1 (test %ld)", t);
	char msg[256], back[256];
	memset(msg, (int)('a' + t % 26), sizeof(msg));
	if (write(s, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		WL_DIE("send");
	shutdown(s, SHUT_WR);
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(back) && (r = read(s, back + got, sizeof(back) - got)) > 0)
		got += (size_t)r;
	if (got != sizeof(back) || memcmp(msg, back, sizeof(msg)) != 0) {
		fprintf(stderr, "workload: echo mismatch in test %ld\n", t);
		exit(1);
	}
	close(s);
}

int main(int argc, char **argv)
{
	tests = wl_count(argc, argv, 1, 120, 100000);
	char dir[] = "/tmp/hg-bench-testrun-XXXXXX";
	if (!mkdtemp(dir))
		WL_DIE("mkdtemp");

	server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0)
		WL_DIE("socket");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	if (bind(server, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(server, 16) != 0 ||
	    getsockname(server, (struct sockaddr *)&a, &alen) != 0)
		WL_DIE("listen on 127.0.0.1");
	pthread_t th;
	if (pthread_create(&th, NULL, echo, NULL) != 0)
		WL_DIE("pthread_create");

	static unsigned char data[64 * 1024], back[64 * 1024];
	char path[128], cmd[192];
	unsigned long h = 14695981039346656037UL;
	for (long t = 0; t < tests; t++) {
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (unsigned char)(i * 31 + (size_t)t);
		snprintf(path, sizeof(path), "%s/case-%ld.dat", dir, t);
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || close(fd) != 0)
			WL_DIE("write %s", path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, back, sizeof(back)) != (ssize_t)sizeof(back))
			WL_DIE("read %s", path);
		close(fd);
		if (fnv(back, sizeof(back), 0) != fnv(data, sizeof(data), 0)) {
			fprintf(stderr, "workload: read back differs in test %ld\n", t);
			return 1;
		}
		for (int k = 0; k < 40; k++) // "test logic"
			h = fnv(back, sizeof(back), h);

		snprintf(cmd, sizeof(cmd), "cat '%s' | wc -c >/dev/null", path);
		char *const args[] = {(char *)"sh", (char *)"-c", cmd, NULL};
		pid_t pid;
		int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ);
		if (rc != 0) {
			errno = rc;
			WL_DIE("posix_spawn sh");
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				WL_DIE("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "workload: sh failed in test %ld (0x%x)\n", t, st);
			return 1;
		}
		roundTrip(a.sin_port, t);
		unlink(path);
	}
	pthread_join(th, NULL);
	close(server);
	rmdir(dir);
	return h == 0 ? 1 : 0;
}
