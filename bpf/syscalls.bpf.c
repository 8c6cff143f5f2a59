// SPDX-License-Identifier: GPL-2.0
/* syscalls.bpf.c: calls, errors by errno, latency per (cgroup, syscall), from raw_syscalls */
#include "common.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: syscalls.slow_us, and syscalls.trace as a bitmap. */
const volatile __u32 cfg_slow_us = 0;
const volatile __u64 cfg_trace[SYSCALLS_NR_MAX / 64] = {};
/* syscalls.trace_errnos: the errnos of 'failed' events; none set: any */
const volatile __u64 cfg_trace_errnos[SYSCALLS_NR_MAX / 64] = {};

BPFPIN_STATS_MAP(calls, struct syscalls_key, struct syscalls_stats, SYSCALLS_STATS_ENTRIES);
BPFPIN_STATS_MAP(errnos, struct syscalls_errno_key, struct syscalls_errno_stats,
		 SYSCALLS_ERRNO_ENTRIES);
BPFPIN_EVENTS_RING(SYSCALLS_RING_BYTES);

/*
 * When the current syscall of each task began (bpf_ktime_get_ns), 0 when
 * none is pending: task storage, so no map can fill and a task's entry
 * goes with it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} start SEC(".maps");

static const struct syscalls_stats zero_stats;
static const struct syscalls_errno_stats zero_errno;

static __always_inline int on_enter(void)
{
	__u64 *ts;

	/*
	 * A task the filter leaves out gets no storage; one it had keeps no
	 * time, so a filter changed twice within one call cannot pair this
	 * exit with an older enter.
	 */
	if (!bpfpin_wanted_current()) {
		ts = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0, 0);
		if (ts)
			*ts = 0;
		return 0;
	}
	ts = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* no storage (out of memory, or busy on this CPU): no latency */
	if (ts)
		*ts = bpf_ktime_get_ns();
	else
		bpfpin_drop(DROP_MAP_FULL);
	return 0;
}

BPFPIN_HOOK(sys_enter, sys_enter, SYSCALLS_HOOK_ENTER,
	    struct pt_regs *regs COMMA long id,
	    on_enter())

static __always_inline bool errno_traced(__u32 err)
{
	__u64 any = 0;
	__u32 word;
	int i;

	for (i = 0; i < SYSCALLS_NR_MAX / 64; i++)
		any |= cfg_trace_errnos[i];
	if (!any)
		return true;
	if (err >= SYSCALLS_NR_MAX)
		return false;
	/* the mask must reach the verifier: the compiler would drop it */
	word = err / 64;
	barrier_var(word);
	return cfg_trace_errnos[word & (SYSCALLS_NR_MAX / 64 - 1)] &
	       (1ull << (err % 64));
}

static __always_inline bool traced(__u32 nr)
{
	return cfg_trace[(nr / 64) & (SYSCALLS_NR_MAX / 64 - 1)] & (1ull << (nr % 64));
}

static __always_inline void emit(__u16 type, __u32 nr, long ret, __u32 err,
				 __u64 duration_ns)
{
	struct syscalls_event *e;

	e = bpfpin_event_reserve(&events, sizeof(*e), type);
	if (!e)
		return;
	e->duration_ns = duration_ns;
	e->ret = ret;
	e->syscall_nr = nr;
	e->errno_nr = err;
	bpfpin_event_submit(&events, e);
}

/*
 * At exit the syscall number @nr is orig_ax (ax holds the return value). A
 * call is counted here; its latency only when its enter was seen, which
 * excludes calls begun before the load and calls whose enter a seccomp
 * filter or a tracer skipped.
 */
static __always_inline int on_exit(long nr, long ret)
{
	struct syscalls_errno_key ek = {};
	struct syscalls_key key = {};
	struct syscalls_errno_stats *es;
	struct syscalls_stats *s;
	__u64 *ts, duration = 0;
	bool seen = false, failed;

	if (nr < 0 || nr >= SYSCALLS_NR_MAX || !bpfpin_wanted_current())
		return 0;
	ts = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0, 0);
	if (ts && *ts) {
		duration = bpf_ktime_get_ns() - *ts;
		*ts = 0;
		seen = true;
	}
	failed = ret < 0 && ret >= -SYSCALLS_MAX_ERRNO;
	key.cgroup_id = bpf_get_current_cgroup_id();
	key.syscall_nr = nr;
	s = bpfpin_stats_slot(&calls_slot, &key, &zero_stats);
	if (s) {
		s->calls++;
		if (failed)
			s->errors++;
		if (seen)
			bpfpin_hist_add_ns(&s->latency, duration);
	}
	if (failed) {
		ek.cgroup_id = key.cgroup_id;
		ek.syscall_nr = nr;
		ek.errno_nr = -ret;
		es = bpfpin_stats_slot(&errnos_slot, &ek, &zero_errno);
		if (es)
			es->errors++;
		if (traced(nr) && errno_traced(-ret))
			emit(SYSCALLS_EV_FAILED, nr, ret, -ret, duration);
	}
	if (cfg_slow_us && seen && duration > cfg_slow_us * 1000ull)
		emit(SYSCALLS_EV_SLOW, nr, ret, failed ? -ret : 0, duration);
	return 0;
}

/*
 * BPFPIN_HOOK by hand: tp_btf reads orig_ax directly (a trusted pointer),
 * raw_tp through bpf_probe_read_kernel.
 */
SEC("tp_btf/sys_exit") int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return bpfpin_active(SYSCALLS_HOOK_EXIT) ? on_exit(regs->orig_ax, ret) : 0;
}

SEC("raw_tp/sys_exit") int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return bpfpin_active(SYSCALLS_HOOK_EXIT) ?
	       on_exit(BPF_CORE_READ(regs, orig_ax), ret) : 0;
}
