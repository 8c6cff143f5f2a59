// SPDX-License-Identifier: GPL-2.0
/* oomkill.bpf.c: one event and one count per OOM kill, from oom:mark_victim (and oom_kill_process) */
#include "common.bpf.h"
#include "oomkill.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct oomkill_key, struct oomkill_stats, OOMKILL_STATS_ENTRIES);
BPFPIN_EVENTS_RING(OOMKILL_RING_BYTES);

/* What oom_kill_process() saw, by the trigger's thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct oomkill_control);
} controls SEC(".maps");

static const struct oomkill_stats zero_stats;

static __always_inline struct mem_cgroup *memcg_of(struct task_struct *t)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cgroups = BPF_CORE_READ(t, cgroups);

	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return NULL;
	bpf_core_read(&css, sizeof(css), &cgroups->subsys[id]);
	/* css is the first member of struct mem_cgroup */
	return (struct mem_cgroup *)css;
}

/*
 * mark_victim runs in the task that ran out of memory (the trigger), with
 * the victim as argument. Whether the kill was memcg-constrained is not
 * passed: infer it from the victim's memcg sitting at its limit.
 */
static __always_inline int on_victim(struct task_struct *victim)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oomkill_control *oc;
	struct oomkill_key key = {};
	struct oomkill_event *e;
	struct oomkill_stats *s;
	struct mem_cgroup *memcg;
	struct mm_struct *mm;
	__u64 page = cfg_page_size, max, usage;

	if (!bpfpin_wanted_task(victim))	/* the victim, not the trigger */
		return 0;
	key.cgroup_id = BPF_CORE_READ(victim, cgroups, dfl_cgrp, kn, id);
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->kills++;
	e = bpfpin_event_reserve(&events, sizeof(*e), OOMKILL_EV_KILL);
	if (!e)
		return 0;
	e->trigger_pid = e->hdr.pid;
	__builtin_memcpy(e->trigger_comm, e->hdr.comm, sizeof(e->trigger_comm));
	e->hdr.pid = BPF_CORE_READ(victim, tgid);
	e->hdr.tid = BPF_CORE_READ(victim, pid);
	e->hdr.cgroup_id = key.cgroup_id;
	BPF_CORE_READ_STR_INTO(&e->hdr.comm, victim, comm);

	mm = BPF_CORE_READ(victim, mm);
	e->total_vm_bytes = BPF_CORE_READ(mm, total_vm) * page;
	e->anon_rss_bytes = bpfpin_mm_counter(mm, MM_ANONPAGES) * page;
	e->file_rss_bytes = bpfpin_mm_counter(mm, MM_FILEPAGES) * page;
	e->shmem_rss_bytes = bpfpin_mm_counter(mm, MM_SHMEMPAGES) * page;
	e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	e->oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);

	memcg = memcg_of(victim);
	e->memcg_id = memcg ? BPF_CORE_READ(memcg, css.cgroup, kn, id) : 0;
	max = memcg ? BPF_CORE_READ(memcg, memory.max) : 0;
	usage = memcg ? BPF_CORE_READ(memcg, memory.usage.counter) : 0;
	e->memcg_limit_bytes = max * page;
	e->memcg_usage_bytes = usage * page;
	/* a limit below 2^40 pages is set; usage within 2% of it is "at it" */
	e->constraint = max && max < (1ull << 40) && usage + max / 50 >= max ?
			OOMKILL_MEMCG : OOMKILL_GLOBAL;
	e->constraint_from = OOMKILL_INFERRED;
	e->points = 0;
	/* this thread's oom_kill_process(), if it just ran, knows better */
	oc = bpf_map_lookup_elem(&controls, &tid);
	if (oc && e->hdr.ts_ns - oc->ts_ns < 30ULL * 1000000000) {
		e->constraint = oc->constraint;
		e->constraint_from = OOMKILL_OOM_CONTROL;
		e->points = oc->points;
	}
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(mark_victim, victim, OOMKILL_HOOK_VICTIM,
	    struct task_struct *victim COMMA uid_t uid, on_victim(victim))

/*
 * oom_kill_process(oc, message) runs in the trigger before it marks the
 * victim (mark_victim above, in the same thread): keep the constraint the
 * kernel decided and the chosen victim's points for it.
 */
static __always_inline int on_control(struct oom_control *oc)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oomkill_control c = {};
	int constraint = BPF_CORE_READ(oc, constraint);

	if (constraint == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_MEMCG))
		c.constraint = OOMKILL_MEMCG;
	else if (constraint == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_CPUSET))
		c.constraint = OOMKILL_CPUSET;
	else if (constraint ==
		 bpf_core_enum_value(enum oom_constraint, CONSTRAINT_MEMORY_POLICY))
		c.constraint = OOMKILL_MEMPOLICY;
	else
		c.constraint = OOMKILL_GLOBAL;
	c.points = BPF_CORE_READ(oc, chosen_points);
	c.ts_ns = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&controls, &tid, &c, BPF_ANY);
	return 0;
}

SEC("fentry/oom_kill_process")
int BPF_PROG(control_fentry, struct oom_control *oc, const char *message)
{
	return bpfpin_active(OOMKILL_HOOK_CONTROL) ? on_control(oc) : 0;
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(control_kprobe, struct oom_control *oc, const char *message)
{
	return bpfpin_active(OOMKILL_HOOK_CONTROL) ? on_control(oc) : 0;
}
