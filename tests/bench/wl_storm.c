// event storm: N datagram sendto() calls with a destination, every one a trapped call,
// made by PROCS processes of THREADS threads each (each thread on its own UDP socket).
// Sends with MSG_DONTWAIT so a full queue fails the call instead of blocking it; a call
// counts whatever it returns. Prints "wl_storm: calls=C errors=E" on stderr: the calls
// made (C == N) and how many of them failed.
// Run it only inside a private network namespace (hg_bench.py --storm does): the default
// destination is loopback, ADDR may be another IPv4 address of that namespace.
// Usage: wl_storm N [PROCS=4] [THREADS=8] [ADDR=127.0.0.1] [PORT=9]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

struct job {
	long calls;  // to make
	long made;   // made
	long errors; // made and failed
	struct sockaddr_in to;
};

static void *sender(void *arg)
{
	struct job *j = arg;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		WL_DIE("socket");
	char byte = 'x';
	for (long i = 0; i < j->calls; i++) {
		if (sendto(fd, &byte, 1, MSG_DONTWAIT, (struct sockaddr *)&j->to, sizeof(j->to)) < 0)
			j->errors++;
		j->made++;
	}
	close(fd);
	return NULL;
}

// One process: its share of the calls over `threads` threads; {made, errors} go up `out`.
static void process(long calls, long threads, const struct sockaddr_in *to, int out)
{
	pthread_t th[64];
	struct job jobs[64];
	for (long t = 0; t < threads; t++) {
		jobs[t].calls = calls / threads + (t < calls % threads);
		jobs[t].made = jobs[t].errors = 0;
		jobs[t].to = *to;
		int rc = pthread_create(&th[t], NULL, sender, &jobs[t]);
		if (rc != 0) {
			errno = rc;
			WL_DIE("pthread_create");
		}
	}
	long tally[2] = { 0, 0 };
	for (long t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		tally[0] += jobs[t].made;
		tally[1] += jobs[t].errors;
	}
	if (write(out, tally, sizeof(tally)) != sizeof(tally))
		WL_DIE("write");
}

int main(int argc, char **argv)
{
	long n = wl_count(argc, argv, 1, 100000, 100000000);
	long procs = wl_count(argc, argv, 2, 4, 64);
	long threads = wl_count(argc, argv, 3, 8, 64);
	struct sockaddr_in to = { .sin_family = AF_INET };
	if (inet_pton(AF_INET, argc > 4 ? argv[4] : "127.0.0.1", &to.sin_addr) != 1) {
		fprintf(stderr, "workload: bad IPv4 address '%s'\n", argv[4]);
		return 2;
	}
	to.sin_port = htons((uint16_t)wl_count(argc, argv, 5, 9, 65535));

	int pipefd[2];
	if (pipe(pipefd) < 0)
		WL_DIE("pipe");
	pid_t pids[64];
	for (long p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			WL_DIE("fork");
		if (pids[p] == 0) {
			close(pipefd[0]);
			process(n / procs + (p < n % procs), threads, &to, pipefd[1]);
			_exit(0);
		}
	}
	close(pipefd[1]);
	long made = 0, errors = 0, reported = 0, tally[2];
	while (read(pipefd[0], tally, sizeof(tally)) == sizeof(tally)) {
		made += tally[0];
		errors += tally[1];
		reported++;
	}
	int bad = 0;
	for (long p = 0; p < procs; p++) {
		int st;
		if (waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	if (bad || reported != procs) {
		fprintf(stderr, "workload: %ld of %ld processes finished\n", reported, procs);
		return 1;
	}
	fprintf(stderr, "wl_storm: calls=%ld errors=%ld\n", made, errors);
	return 0;
}
