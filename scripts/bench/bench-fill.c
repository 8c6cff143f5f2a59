// SPDX-License-Identifier: GPL-2.0
/* bench-fill: put N keys with per-CPU values into a pinned bench stats half, in batches */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct bench_stats {
	__u64 calls;
	__u64 bytes;
};

int main(int argc, char **argv)
{
	int fd, ncpus = libbpf_num_possible_cpus(), cpu;
	long n = argc == 3 ? atol(argv[2]) : 0, i, done = 0;
	/*
	 * Unpreallocated hash elements come from bpf_mem_alloc caches that
	 * refill asynchronously: a large burst of inserts can outrun them
	 * (ENOMEM). Modest batches, and a short wait when it happens.
	 */
	const long batch = 512;
	int tries = 0;
	__u64 *keys = calloc(batch, sizeof(*keys));
	struct bench_stats *values = calloc(batch * ncpus, sizeof(*values));
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (argc != 3 || !keys || !values) {
		fprintf(stderr, "usage: bench-fill STATS_PIN N\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0)
		return perror(argv[1]), 1;
	while (done < n) {
		__u32 count = n - done < batch ? n - done : batch;

		for (i = 0; i < count; i++) {
			/* filler keys above any syscall number */
			keys[i] = 1000000 + done + i;
			for (cpu = 0; cpu < ncpus; cpu++)
				values[i * ncpus + cpu] = (struct bench_stats){ cpu + 1, 64 };
		}
		if (bpf_map_update_batch(fd, keys, values, &count, &opts)) {
			if (errno != ENOMEM || ++tries > 1000)
				return perror("bench-fill: update"), 1;
			done += count;	/* those before the failing one went in */
			usleep(1000);
			continue;
		}
		done += count;
	}
	return 0;
}
