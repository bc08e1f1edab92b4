// thread churn: N short-lived pthreads, PAR alive at a time; each makes one syscall
// and exits. Under ptrace every thread is a new tracee (clone event, attach stop,
// exit). Usage: wl_threads [N=8000] [PAR=4]
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wl_common.h"

static void *body(void *arg)
{
	*(long *)arg = syscall(SYS_gettid);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = wl_count(argc, argv, 1, 8000, 10000000);
	long par = wl_count(argc, argv, 2, 4, 64);
	pthread_t th[64];
	long out[64];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long done = 0; done < n;) {
		long k = n - done < par ? n - done : par;
		for (long i = 0; i < k; i++) {
			int rc = pthread_create(&th[i], &attr, body, &out[i]);
			if (rc != 0) {
				errno = rc;
				WL_DIE("pthread_create #%ld", done + i);
			}
		}
		for (long i = 0; i < k; i++) {
			pthread_join(th[i], NULL);
			if (out[i] <= 0) {
				fprintf(stderr, "workload: thread #%ld saw no tid\n", done + i);
				return 1;
			}
		}
		done += k;
	}
	return 0;
}
