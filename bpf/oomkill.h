/* SPDX-License-Identifier: GPL-2.0 */
/* oomkill.h: OOM kills (victim, trigger, memory figures), shared by oomkill.bpf.c and user space */
#ifndef __BPFPIN_OOMKILL_H
#define __BPFPIN_OOMKILL_H

#include "bpfpin.h"

#define OOMKILL_SCHEMA_VERSION	3
#define OOMKILL_STATS_ENTRIES	4096
#define OOMKILL_RING_BYTES	(64 * 1024)

struct oomkill_key {
	__u64 cgroup_id;	/* the victim's cgroup v2 id */
};

struct oomkill_stats {
	__u64 kills;
};

#define OOMKILL_EV_KILL		1

/* the OOM constraint: enum oom_constraint where hook oom_kill_process saw it */
#define OOMKILL_GLOBAL		0
#define OOMKILL_MEMCG		1
#define OOMKILL_CPUSET		2
#define OOMKILL_MEMPOLICY	3

/* where the constraint and points come from */
#define OOMKILL_INFERRED	0	/* mark_victim alone: memcg at its limit or not */
#define OOMKILL_OOM_CONTROL	1	/* oom_kill_process's struct oom_control */

/* The header describes the victim (pid, comm, cgroup), not the trigger. */
struct oomkill_event {
	struct bpfpin_event_hdr hdr;
	__u64 memcg_id;		/* the victim's memory cgroup (v1 or v2 id) */
	__u64 total_vm_bytes;
	__u64 anon_rss_bytes;
	__u64 file_rss_bytes;
	__u64 shmem_rss_bytes;
	__u64 pgtables_bytes;
	__u64 memcg_limit_bytes;
	__u64 memcg_usage_bytes;
	__u32 trigger_pid;
	__s32 oom_score_adj;
	__u32 constraint;	/* OOMKILL_GLOBAL, _MEMCG, _CPUSET or _MEMPOLICY */
	__u32 constraint_from;	/* OOMKILL_INFERRED or OOMKILL_OOM_CONTROL */
	char trigger_comm[BPFPIN_COMM_LEN];
	__s64 points;		/* the victim's oom_badness() (oom_control), else 0 */
};

/* What oom_kill_process() saw, kept per trigger thread for mark_victim. */
struct oomkill_control {
	__u64 ts_ns;
	__s64 points;
	__u32 constraint;	/* OOMKILL_* */
	__u32 pad;
};

/*
 * A hook's index in oomkill_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum oomkill_hook {
	OOMKILL_HOOK_VICTIM,
	OOMKILL_HOOK_CONTROL,
	OOMKILL_HOOK_NR
};
_Static_assert(OOMKILL_HOOK_NR <= BPFPIN_MAX_HOOKS, "oomkill: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field oomkill_key_fields[] = {
	PIN_LABELLED(struct oomkill_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"victim's cgroup v2 id"),
};

static const struct pin_field oomkill_stat_fields[] = {
	PIN_COUNTER(struct oomkill_stats, kills, "Processes killed by the OOM killer."),
};

static const struct pin_map_desc oomkill_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct oomkill_key),
	  .value_size = sizeof(struct oomkill_stats),
	  .keys = oomkill_key_fields, .nkeys = PIN_LEN(oomkill_key_fields),
	  .values = oomkill_stat_fields, .nvalues = PIN_LEN(oomkill_stat_fields) },
};

static const char *const oomkill_constraints[] = {
	[OOMKILL_GLOBAL] = "global",
	[OOMKILL_MEMCG] = "memcg",
	[OOMKILL_CPUSET] = "cpuset",
	[OOMKILL_MEMPOLICY] = "mempolicy",
};

static const char *const oomkill_constraint_froms[] = {
	[OOMKILL_INFERRED] = "inferred",
	[OOMKILL_OOM_CONTROL] = "oom_control",
};

#define OOMKILL_BYTES(m) PIN_EV(struct oomkill_event, m, PIN_T_U64, PIN_V_BYTES, NULL)
static const struct pin_field oomkill_kill_fields[] = {
	PIN_EV(struct oomkill_event, trigger_pid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct oomkill_event, trigger_comm, PIN_T_STR, PIN_V_PLAIN, NULL),
	PIN_LABELLED(struct oomkill_event, memcg_id, PIN_T_U64, PIN_V_MEMCG, "memcg", NULL),
	PIN_NAMED(struct oomkill_event, constraint, oomkill_constraints, NULL),
	PIN_NAMED(struct oomkill_event, constraint_from, oomkill_constraint_froms, NULL),
	PIN_EV(struct oomkill_event, points, PIN_T_S64, PIN_V_PLAIN, NULL),
	OOMKILL_BYTES(memcg_limit_bytes),
	OOMKILL_BYTES(memcg_usage_bytes),
	OOMKILL_BYTES(total_vm_bytes),
	OOMKILL_BYTES(anon_rss_bytes),
	OOMKILL_BYTES(file_rss_bytes),
	OOMKILL_BYTES(shmem_rss_bytes),
	OOMKILL_BYTES(pgtables_bytes),
	PIN_EV(struct oomkill_event, oom_score_adj, PIN_T_S32, PIN_V_PLAIN, NULL),
};
#undef OOMKILL_BYTES

static const struct pin_event_desc oomkill_events[] = {
	{ .type = OOMKILL_EV_KILL, .name = "oom_kill",
	  .size = sizeof(struct oomkill_event),
	  .fields = oomkill_kill_fields, .nfields = PIN_LEN(oomkill_kill_fields) },
};

static const struct pin_hook oomkill_hooks[] = {
	[OOMKILL_HOOK_VICTIM] = { "mark_victim", { "victim_btf", "victim_raw" } },
	/* the real constraint and the victim's points, where fentry/kprobes work */
	[OOMKILL_HOOK_CONTROL] = { "oom_kill_process", { "control_fentry", "control_kprobe" },
				   .optional = true, .extra = true },
};
_Static_assert(PIN_LEN(oomkill_hooks) == OOMKILL_HOOK_NR, "oomkill: a hook without a table entry");

static const struct pin_module_desc oomkill_module = {
	.name = "oomkill",
	.summary = "OOM kills: victim, trigger, cgroup and container, memory figures",
	.schema_version = OOMKILL_SCHEMA_VERSION,
	.profiles = "default memory",
	.filter_task = true,
	.notes = "constraint (global, memcg, cpuset, mempolicy) and points from oom_kill_process "
		"where hook oom_kill_process loads (fentry or kprobe), constraint_from oom_control; "
		"else inferred (memcg when the victim's memory cgroup sits at its limit, else global; "
		"points 0), constraint_from inferred",
	.maps = oomkill_maps, .nmaps = PIN_LEN(oomkill_maps),
	.events = oomkill_events, .nevents = PIN_LEN(oomkill_events),
	.hooks = oomkill_hooks, .nhooks = PIN_LEN(oomkill_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_OOMKILL_H */
