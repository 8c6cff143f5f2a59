// SPDX-License-Identifier: GPL-2.0
/* bench-burst: emit N events into a pinned ring at RATE events/s on average, in bursts no reader can follow */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* the program's globals, in its .bss: want, seq, submitted, failed */
struct bss {
	__u32 want;
	__u32 pad;
	__u64 seq;
	__u64 submitted;
	__u64 failed;
};

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *ring, *bss_map;
	struct bss bss;
	__u32 zero = 0;
	int bss_fd;
	long n, rate, burst = 8192, done = 0;
	double t0, t;
	int ring_fd, err;
	LIBBPF_OPTS(bpf_test_run_opts, run);

	if (argc != 5) {
		fprintf(stderr, "usage: bench-burst BURST_OBJ RING_PIN N RATE (0: flat out)\n");
		return 2;
	}
	n = atol(argv[3]);
	rate = atol(argv[4]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return perror(argv[1]), 1;
	ring = bpf_object__find_map_by_name(obj, "events");
	bss_map = bpf_object__find_map_by_name(obj, ".bss");
	prog = bpf_object__find_program_by_name(obj, "burst");
	ring_fd = bpf_obj_get(argv[2]);
	if (!ring || !bss_map || !prog || ring_fd < 0)
		return perror(argv[2]), 1;
	err = bpf_map__reuse_fd(ring, ring_fd);
	if (err || bpf_object__load(obj))
		return fprintf(stderr, "bench-burst: load failed\n"), 1;
	if (bpf_map__value_size(bss_map) != sizeof(bss))
		return fprintf(stderr, "bench-burst: .bss is not struct bss\n"), 1;
	bss_fd = bpf_map__fd(bss_map);
	t0 = now_s();
	while (done < n) {
		long k = n - done < burst ? n - done : burst;

		/* the counts as the last run left them, with a new want */
		if (bpf_map_lookup_elem(bss_fd, &zero, &bss))
			return perror("bench-burst: .bss"), 1;
		bss.want = k;
		if (bpf_map_update_elem(bss_fd, &zero, &bss, BPF_ANY) ||
		    bpf_prog_test_run_opts(bpf_program__fd(prog), &run))
			return perror("bench-burst: test run"), 1;
		done += k;
		/* pace: the next burst when the average allows it */
		if (rate > 0) {
			t = now_s() - t0;
			if (done / (double)rate > t)
				usleep((done / (double)rate - t) * 1e6);
		}
	}
	t = now_s() - t0;
	if (bpf_map_lookup_elem(bss_fd, &zero, &bss))
		return perror("bench-burst: .bss"), 1;
	printf("%llu %llu %.0f\n", (unsigned long long)bss.submitted,
	       (unsigned long long)bss.failed, n / t);
	return 0;
}
