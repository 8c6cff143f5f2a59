// SPDX-License-Identifier: GPL-2.0
/* bench.bpf.c: a counting probe through bpfpin's whole path (gate, handoff, slot, per-CPU hash), and an event source */
#include "common.bpf.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_ARRAY(stats, struct bench_stats, BENCH_NR_SYSCALLS);
BPFPIN_STATS_MAP(fill, struct bench_fill_key, struct bench_stats, BENCH_FILL_ENTRIES);
BPFPIN_EVENTS_RING(BENCH_RING_BYTES);

/* the process whose getppid calls become events; 0: none */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

#define NR_GETPPID 110

static const struct bench_stats zero_stats;

static __always_inline int on_enter(long id)
{
	struct bench_key key = { .nr = id };
	struct bench_stats *s;
	struct bench_event *e;
	__u32 zero = 0, *tgid;

	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->calls++;
	if (id != NR_GETPPID)
		return 0;
	tgid = bpf_map_lookup_elem(&target, &zero);
	if (!tgid || !*tgid || *tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	e = bpfpin_event_reserve(&events, sizeof(*e), BENCH_EV_CALL);
	if (!e)
		return 0;
	e->seq = s ? s->calls : 0;
	e->arg = id;
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(sys_enter, enter, BENCH_HOOK_ENTER, struct pt_regs *regs COMMA long id, on_enter(id))
