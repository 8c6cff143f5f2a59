// SPDX-License-Identifier: GPL-2.0
/* bench-delete: what emptying N keys of a per-CPU hash costs, by map flavour and delete method (the flush's last step) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct bench_stats {
	__u64 calls;
	__u64 bytes;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* irq_work interrupts so far, all CPUs: bpf_mem_alloc refills and frees by them */
static long irq_works(void)
{
	char line[4096];
	long n = 0, v;
	FILE *f = fopen("/proc/interrupts", "r");
	char *p, *end;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, "IWI:", 4))
			continue;
		for (p += 4;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			n += v;
		}
	}
	fclose(f);
	return n;
}

static int fill(int fd, const __u64 *keys, long n, const struct bench_stats *values)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	long done = 0;
	int tries = 0;

	while (done < n) {
		__u32 count = n - done < 512 ? n - done : 512;

		if (bpf_map_update_batch(fd, keys + done, values, &count, &opts)) {
			/* unpreallocated elements: caches refill asynchronously */
			if (errno != ENOMEM || ++tries > 1000)
				return -errno;
			usleep(1000);
		}
		done += count;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ncpus = libbpf_num_possible_cpus(), type, fd, cpu;
	long n, batch, i, done = 0, iw;
	const char *flavour, *method;
	struct bench_stats *values, *out_values;
	__u64 *keys, *out_keys, in_batch = 0, out_batch = 0;
	LIBBPF_OPTS(bpf_map_create_opts, copts);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	double t0, t1;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-delete N BATCH noprealloc|prealloc|lru delete|lookup-and-delete\n");
		return 2;
	}
	n = atol(argv[1]);
	batch = atol(argv[2]);
	flavour = argv[3];
	method = argv[4];
	type = BPF_MAP_TYPE_PERCPU_HASH;
	if (!strcmp(flavour, "noprealloc"))
		copts.map_flags = BPF_F_NO_PREALLOC;
	else if (!strcmp(flavour, "lru"))
		type = BPF_MAP_TYPE_LRU_PERCPU_HASH;
	keys = calloc(n, sizeof(*keys));
	out_keys = calloc(batch, sizeof(*keys));
	values = calloc(512 * ncpus, sizeof(*values));
	out_values = calloc(batch * ncpus, sizeof(*values));
	if (!keys || !out_keys || !values || !out_values || n < 1 || batch < 1)
		return 2;
	for (i = 0; i < n; i++)
		keys[i] = 1000000 + i;
	for (i = 0; i < 512; i++)
		for (cpu = 0; cpu < ncpus; cpu++)
			values[i * ncpus + cpu] = (struct bench_stats){ cpu + 1, 64 };
	/* an LRU map needs room beyond its keys, or it evicts while filled */
	fd = bpf_map_create(type, "bench_delete", sizeof(__u64),
			    sizeof(struct bench_stats), n + n / 4 + 1024, &copts);
	if (fd < 0)
		return perror("bench-delete: create"), 1;
	if (fill(fd, keys, n, values))
		return perror("bench-delete: fill"), 1;
	iw = irq_works();
	t0 = now_ms();
	if (!strcmp(method, "delete")) {
		while (done < n) {
			__u32 count = n - done < batch ? n - done : batch;

			if (bpf_map_delete_batch(fd, keys + done, &count, &opts))
				return perror("bench-delete: delete"), 1;
			done += count;
		}
	} else {
		for (;;) {
			__u32 count = batch;
			int err = bpf_map_lookup_and_delete_batch(fd,
					done ? &in_batch : NULL, &out_batch,
					out_keys, out_values, &count, &opts);

			if (err && errno != ENOENT)
				return perror("bench-delete: lookup and delete"), 1;
			done += count;
			if (err)
				break;
			in_batch = out_batch;
		}
	}
	t1 = now_ms();
	iw = irq_works() - iw;
	/* ms, keys deleted, irq_works raised */
	printf("%.3f %ld %ld\n", t1 - t0, done, iw);
	close(fd);
	return 0;
}
