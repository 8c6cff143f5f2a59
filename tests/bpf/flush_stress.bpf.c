// SPDX-License-Identifier: GPL-2.0
/* flush_stress.bpf.c: a raw_tp/sys_enter counter written through the modules' stats path, for the flush stress test */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct stress_key {
	__u32 tgid;
	__u32 pad;
};

struct stress_value {
	__u64 calls;
};

BPFPIN_STATS_MAP(stats, struct stress_key, struct stress_value, 64);

/* the process to count, set by the test after fork */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

const volatile long cfg_syscall_nr = -1;
static const struct stress_value zero_value;

SEC("raw_tp/sys_enter")
int BPF_PROG(count_enter, struct pt_regs *regs, long id)
{
	struct stress_key key = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct stress_value *v;
	__u32 zero = 0, *tgid;

	if (id != cfg_syscall_nr)
		return 0;
	tgid = bpf_map_lookup_elem(&target, &zero);
	if (!tgid || *tgid != key.tgid)
		return 0;
	v = bpfpin_stats_slot(&stats_slot, &key, &zero_value);
	if (v)
		v->calls++;
	return 0;
}
