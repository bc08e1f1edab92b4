// Shared helpers for the benchmark workloads (tests/bench). Each workload takes its
// size as argv[1] and exits 0 on success, 1 on any failure, with a message on stderr.
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_DIE(...)                                                                                \
	do {                                                                                       \
		fprintf(stderr, "workload: " __VA_ARGS__);                                         \
		fprintf(stderr, " (%s)\n", strerror(errno));                                       \
		exit(1);                                                                           \
	} while (0)

// argv[idx] as a positive count, or def when absent; bounded so a typo cannot run away.
static inline long wl_count(int argc, char **argv, int idx, long def, long max)
{
	if (argc <= idx)
		return def;
	char *end = NULL;
	long v = strtol(argv[idx], &end, 10);
	if (!end || *end || v <= 0 || v > max) {
		fprintf(stderr, "workload: bad count '%s' (1..%ld)\n", argv[idx], max);
		exit(2);
	}
	return v;
}
