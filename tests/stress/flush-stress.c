// SPDX-License-Identifier: GPL-2.0
/* flush-stress.c: a child makes N getppid calls on any CPU while we swap and drain as fast as we can; the sum must be N */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "pin.h"
#include "tap.h"
#include "flush_stress.skel.h"

struct stress_value {
	__u64 calls;
};

static const struct pin_field value_fields[] = {
	PIN_COUNTER(struct stress_value, calls, NULL),
};

static const struct pin_map_desc desc = {
	.name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 8,
	.value_size = sizeof(struct stress_value),
	.values = value_fields, .nvalues = 1,
};

static __u64 sum_calls(const struct pin_rows *rows, __u32 tgid)
{
	__u64 sum = 0;
	size_t i;

	for (i = 0; i < rows->n; i++)
		if (*(__u32 *)(rows->keys + i * rows->key_size) == tgid)
			sum += ((struct stress_value *)(rows->values +
					i * rows->value_size))->calls;
	return sum;
}

/* The program's map_full drops, summed over CPUs. */
static __u64 map_full_drops(int fd)
{
	__u32 key = DROP_MAP_FULL;
	int i, ncpus = pin_ncpus();
	__u64 sum = 0, *v = calloc(ncpus, pin_percpu_stride(8));

	if (v && !bpf_map_lookup_elem(fd, &key, v))
		for (i = 0; i < ncpus; i++)
			sum += *(__u64 *)((char *)v + i * pin_percpu_stride(8));
	free(v);
	return sum;
}

struct caller {
	pthread_t thread;
	int cpu;
	long calls;
};

static void *make_calls(void *arg)
{
	struct caller *c = arg;
	cpu_set_t set;
	long i;

	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = 0; i < c->calls; i++)
		syscall(__NR_getppid);
	return NULL;
}

/* One thread per CPU, so every CPU writes the map while we swap it. */
static void child_calls(int go, long n)
{
	int i, ncpus = pin_ncpus();
	struct caller *callers = calloc(ncpus, sizeof(*callers));
	char c;

	if (!callers || read(go, &c, 1) != 1)
		_exit(1);
	for (i = 0; i < ncpus; i++) {
		callers[i].cpu = i;
		callers[i].calls = n / ncpus + (i < n % ncpus);
		if (pthread_create(&callers[i].thread, NULL, make_calls, &callers[i]))
			_exit(1);
	}
	for (i = 0; i < ncpus; i++)
		pthread_join(callers[i].thread, NULL);
	_exit(0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3000000;
	struct flush_stress_bpf *skel;
	struct pin_stats_maps maps;
	struct pin_rows rows;
	__u64 flushed = 0, rest, dropped;
	int go[2], status, swaps = 0, old, err, i;
	__u32 zero = 0, tgid;
	pid_t child;

	skel = flush_stress_bpf__open();
	if (!skel) {
		ok(0, "open the stress program: %s", strerror(errno));
		return tap_done();
	}
	skel->rodata->cfg_syscall_nr = __NR_getppid;
	err = flush_stress_bpf__load(skel) ?: flush_stress_bpf__attach(skel);
	ok(!err, "load and attach raw_tp/sys_enter counter");
	if (err)
		goto out;
	maps.slot = bpf_map__fd(skel->maps.stats_slot);
	maps.half[0] = bpf_map__fd(skel->maps.stats_a);
	maps.half[1] = bpf_map__fd(skel->maps.stats_b);

	if (pipe(go))
		goto out;
	child = fork();
	if (child == 0)
		child_calls(go[0], n);
	tgid = child;
	bpf_map_update_elem(bpf_map__fd(skel->maps.target), &zero, &tgid, BPF_ANY);
	if (write(go[1], "g", 1) != 1)
		goto out;
	/* flush while the child runs: swap, then drain the half nobody writes */
	while (waitpid(child, &status, WNOHANG) == 0) {
		old = pin_stats_maps__swap(&maps);
		if (old < 0) {
			ok(0, "swap: %s", strerror(-old));
			goto out;
		}
		pin_rows_init(&rows, &desc);
		err = pin_map_read(maps.half[old], &desc, &rows, true);
		flushed += sum_calls(&rows, tgid);
		pin_rows_free(&rows);
		if (err) {
			ok(0, "drain: %s", strerror(-err));
			goto out;
		}
		swaps++;
	}
	pin_rows_init(&rows, &desc);
	for (i = 0; i < 2; i++)
		pin_map_read(maps.half[i], &desc, &rows, false);
	rest = sum_calls(&rows, tgid);
	pin_rows_free(&rows);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child made its calls");
	ok(swaps >= 10, "flushed %d times while the child ran (want 10 or more)", swaps);
	/*
	 * Every call is flushed, read at the end, or counted as dropped: an
	 * insert the map refused (6.1's allocator, whose per-CPU caches
	 * refill asynchronously, can refuse one while the drain deletes and
	 * the program inserts again). Nothing lost, nothing counted twice.
	 */
	dropped = map_full_drops(bpf_map__fd(skel->maps.drops));
	ok(flushed + rest + dropped == (__u64)n,
	   "%ld getppid calls on %d CPUs: %llu flushed + %llu final + %llu dropped (map_full) = %llu",
	   n, pin_ncpus(), (unsigned long long)flushed, (unsigned long long)rest,
	   (unsigned long long)dropped, (unsigned long long)(flushed + rest + dropped));
out:
	flush_stress_bpf__destroy(skel);
	return tap_done();
}
