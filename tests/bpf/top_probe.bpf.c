// SPDX-License-Identifier: GPL-2.0
/* top_probe.bpf.c: a raw_tp program on a tracepoint that does not fire here (CPU hotplug), run N times by BPF_PROG_TEST_RUN, for bpfpin-top's tests */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* the map bpfpin-top must report: 4-byte keys, 8-byte values, 64 entries */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} top_hash SEC(".maps");

/* the runs this program made, as the program itself counts them */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} top_runs SEC(".maps");

SEC("raw_tp/cpuhp_enter")
int top_tick(void *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&top_runs, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	/* a use of top_hash, so that the program holds it */
	if (bpf_map_lookup_elem(&top_hash, &zero))
		return 1;
	return 0;
}

/* an empty program for BPF_PROG_TEST_RUN with repeat: the kernel times each
 * run, so the cost of run-time statistics shows without scheduling noise */
SEC("xdp")
int top_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* attached by a perf_event link, held by the helper's fd alone */
SEC("tracepoint/cpuhp/cpuhp_exit")
int top_tp(void *ctx)
{
	return 0;
}

/* attached to a test cgroup by a cgroup link, when the helper is given one */
SEC("cgroup_skb/ingress")
int top_skb(struct __sk_buff *skb)
{
	return 1;
}
