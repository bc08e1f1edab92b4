// AF_UNIX connect storm: a listener thread accepts on an abstract-namespace stream
// socket; the main thread does N x (socket, connect, write 1 byte, close). Every
// connect() is a trapped call under the gate. Usage: wl_unixconnect [N=20000]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wl_common.h"

static int listener;
static long total;

static void *acceptor(void *arg)
{
	(void)arg;
	for (long i = 0; i < total; i++) {
		int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			WL_DIE("accept4");
		}
		char b;
		if (read(c, &b, 1) != 1)
			WL_DIE("read from client #%ld", i);
		close(c);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	total = wl_count(argc, argv, 1, 20000, 10000000);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	// Abstract name (leading NUL): nothing on disk to clean up; the pid keeps runs apart.
	int nameLen = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "hg-bench-unix-%d", (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nameLen);

	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		WL_DIE("socket");
	if (bind(listener, (struct sockaddr *)&sa, len) != 0)
		WL_DIE("bind");
	if (listen(listener, 128) != 0)
		WL_DIE("listen");
	pthread_t th;
	if (pthread_create(&th, NULL, acceptor, NULL) != 0)
		WL_DIE("pthread_create");
	for (long i = 0; i < total; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			WL_DIE("socket #%ld", i);
		while (connect(s, (struct sockaddr *)&sa, len) != 0)
			if (errno != EINTR)
				WL_DIE("connect #%ld", i);
		if (write(s, "x", 1) != 1)
			WL_DIE("write #%ld", i);
		close(s);
	}
	pthread_join(th, NULL);
	close(listener);
	return 0;
}
