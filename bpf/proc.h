/* SPDX-License-Identifier: GPL-2.0 */
/* proc.h: process lifecycle module, shared by proc.bpf.c and user space */
#ifndef __BPFPIN_PROC_H
#define __BPFPIN_PROC_H

#include "bpfpin.h"

#define PROC_SCHEMA_VERSION	2
#define PROC_STATS_ENTRIES	16384
#define PROC_RING_BYTES		(1024 * 1024)
#define PROC_FILENAME_LEN	128

struct proc_key {
	__u64 cgroup_id;
	char comm[BPFPIN_COMM_LEN];
};

struct proc_stats {
	__u64 execs;
	__u64 forks;
	__u64 exits;
	__u64 exits_failed;
	__u64 renames;
	__u64 cgroup_moves;
};

#define PROC_EV_EXEC		1
#define PROC_EV_EXIT		2
#define PROC_EV_FORK		3
#define PROC_EV_RENAME		4
#define PROC_EV_CGROUP_MOVE	5

struct proc_exec_event {
	struct bpfpin_event_hdr hdr;
	__u32 ppid;
	__u32 uid;
	char filename[PROC_FILENAME_LEN];
};

struct proc_exit_event {
	struct bpfpin_event_hdr hdr;
	__u64 duration_ns;
	__u32 exit_code;
	__u32 signal;
	__u32 core_dumped;
	__u32 pad;
};

struct proc_fork_event {
	struct bpfpin_event_hdr hdr;
	__u32 parent_pid;
	__u32 child_pid;
};

struct proc_rename_event {
	struct bpfpin_event_hdr hdr;
	char old_comm[BPFPIN_COMM_LEN];
	char new_comm[BPFPIN_COMM_LEN];
};

struct proc_cgroup_move_event {
	struct bpfpin_event_hdr hdr;
	__u64 dst_cgroup_id;
	__u32 moved_pid;
	__u32 threadgroup;
};

/*
 * A hook's index in proc_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum proc_hook {
	PROC_HOOK_EXEC,
	PROC_HOOK_FORK,
	PROC_HOOK_EXIT,
	PROC_HOOK_RENAME,
	PROC_HOOK_CGMOVE,
	PROC_HOOK_NR
};
_Static_assert(PROC_HOOK_NR <= BPFPIN_MAX_HOOKS, "proc: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field proc_key_fields[] = {
	PIN_LABELLED(struct proc_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup", "cgroup v2 id"),
	PIN_KEY(struct proc_key, comm, PIN_T_STR, PIN_V_PLAIN, "task command name"),
};

static const struct pin_field proc_stat_fields[] = {
	PIN_COUNTER(struct proc_stats, execs, "Successful execve calls."),
	PIN_COUNTER(struct proc_stats, forks, "New processes (threads excluded)."),
	PIN_COUNTER(struct proc_stats, exits, "Processes that exited (last thread)."),
	PIN_COUNTER(struct proc_stats, exits_failed, "Exits with a non-zero code or by a signal."),
	PIN_COUNTER(struct proc_stats, renames, "Command name changes outside exec."),
	PIN_COUNTER(struct proc_stats, cgroup_moves, "Tasks moved into a cgroup v2 group."),
};

static const struct pin_map_desc proc_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct proc_key),
	  .value_size = sizeof(struct proc_stats),
	  .keys = proc_key_fields, .nkeys = PIN_LEN(proc_key_fields),
	  .values = proc_stat_fields, .nvalues = PIN_LEN(proc_stat_fields) },
};

static const struct pin_field proc_exec_fields[] = {
	PIN_EV(struct proc_exec_event, ppid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_exec_event, uid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_exec_event, filename, PIN_T_STR, PIN_V_PLAIN, NULL),
};

static const struct pin_field proc_exit_fields[] = {
	PIN_EV(struct proc_exit_event, exit_code, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_exit_event, signal, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_exit_event, core_dumped, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_exit_event, duration_ns, PIN_T_U64, PIN_V_DURATION, NULL),
};

static const struct pin_field proc_fork_fields[] = {
	PIN_EV(struct proc_fork_event, parent_pid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_fork_event, child_pid, PIN_T_U32, PIN_V_PLAIN, NULL),
};

static const struct pin_field proc_rename_fields[] = {
	PIN_EV(struct proc_rename_event, old_comm, PIN_T_STR, PIN_V_PLAIN, NULL),
	PIN_EV(struct proc_rename_event, new_comm, PIN_T_STR, PIN_V_PLAIN, NULL),
};

static const struct pin_field proc_cgroup_move_fields[] = {
	PIN_EV(struct proc_cgroup_move_event, moved_pid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_LABELLED(struct proc_cgroup_move_event, dst_cgroup_id, PIN_T_U64, PIN_V_CGROUP,
		"dst_cgroup", NULL),
	PIN_EV(struct proc_cgroup_move_event, threadgroup, PIN_T_U32, PIN_V_PLAIN, NULL),
};

#define PROC_EVENT(t, n, s, f) \
	{ .type = t, .name = n, .size = sizeof(s), .fields = f, .nfields = PIN_LEN(f) }
static const struct pin_event_desc proc_events[] = {
	PROC_EVENT(PROC_EV_EXEC, "exec", struct proc_exec_event, proc_exec_fields),
	PROC_EVENT(PROC_EV_EXIT, "exit", struct proc_exit_event, proc_exit_fields),
	PROC_EVENT(PROC_EV_FORK, "fork", struct proc_fork_event, proc_fork_fields),
	PROC_EVENT(PROC_EV_RENAME, "rename", struct proc_rename_event, proc_rename_fields),
	PROC_EVENT(PROC_EV_CGROUP_MOVE, "cgroup_move", struct proc_cgroup_move_event,
		   proc_cgroup_move_fields),
};
#undef PROC_EVENT

/* tp_btf first (typed, cheaper); raw_tp where BTF for the tracepoint is missing */
static const struct pin_hook proc_hooks[] = {
	[PROC_HOOK_EXEC] = { "sched_process_exec", { "exec_btf", "exec_raw" } },
	[PROC_HOOK_FORK] = { "sched_process_fork", { "fork_btf", "fork_raw" } },
	[PROC_HOOK_EXIT] = { "sched_process_exit", { "exit_btf", "exit_raw" } },
	[PROC_HOOK_RENAME] = { "task_rename", { "rename_btf", "rename_raw" }, .optional = true },
	[PROC_HOOK_CGMOVE] = { "cgroup_attach_task", { "cgmove_btf",
		"cgmove_raw" }, .optional = true },
};
_Static_assert(PIN_LEN(proc_hooks) == PROC_HOOK_NR, "proc: a hook without a table entry");

static const struct pin_module_desc proc_module = {
	.name = "proc",
	.summary = "process lifecycle: exec, fork, exit, renames, cgroup moves",
	.schema_version = PROC_SCHEMA_VERSION,
	.profiles = "default process minimal",
	.filter_task = true,
	.maps = proc_maps, .nmaps = PIN_LEN(proc_maps),
	.events = proc_events, .nevents = PIN_LEN(proc_events),
	.hooks = proc_hooks, .nhooks = PIN_LEN(proc_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_PROC_H */
