// SPDX-License-Identifier: GPL-2.0
/* proc.bpf.c: process lifecycle (exec, fork, exit, rename, cgroup move) from tracepoints */
#include "common.bpf.h"
#include "proc.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct proc_key, struct proc_stats, PROC_STATS_ENTRIES);
BPFPIN_EVENTS_RING(PROC_RING_BYTES);

static const struct proc_stats zero_stats;

static __always_inline struct proc_stats *stats_of(__u64 cgroup_id)
{
	struct proc_key key = { .cgroup_id = cgroup_id };

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	return bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
}

static __always_inline int on_exec(struct task_struct *p, struct linux_binprm *bprm)
{
	struct proc_exec_event *e;
	struct proc_stats *s;

	if (!bpfpin_wanted_current())
		return 0;
	s = stats_of(bpf_get_current_cgroup_id());
	if (s)
		s->execs++;
	e = bpfpin_event_reserve(&events, sizeof(*e), PROC_EV_EXEC);
	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				      BPF_CORE_READ(bprm, filename)) < 0) {
		e->filename[0] = '\0';
		bpfpin_drop(DROP_READ);
	}
	bpfpin_event_submit(&events, e);
	return 0;
}

/* Threads are clones too: count and report new processes only. */
static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct proc_fork_event *e;
	struct proc_stats *s;
	__u32 child_pid;

	child_pid = BPF_CORE_READ(child, pid);
	if (child_pid != BPF_CORE_READ(child, tgid) || !bpfpin_wanted_current())
		return 0;
	s = stats_of(bpf_get_current_cgroup_id());
	if (s)
		s->forks++;
	e = bpfpin_event_reserve(&events, sizeof(*e), PROC_EV_FORK);
	if (!e)
		return 0;
	e->parent_pid = BPF_CORE_READ(parent, tgid);
	e->child_pid = child_pid;
	bpfpin_event_submit(&events, e);
	return 0;
}

/*
 * do_exit() stores the code in task->exit_code before this tracepoint:
 * (status << 8) | signal, 0x80 when a core was dumped. A process ends when
 * its last thread does (group_dead).
 */
static __always_inline int on_exit(struct task_struct *p, bool group_dead)
{
	struct proc_exit_event *e;
	struct proc_stats *s;
	__u32 code;

	if (!group_dead || !bpfpin_wanted_current())
		return 0;
	code = BPF_CORE_READ(p, exit_code);
	s = stats_of(bpf_get_current_cgroup_id());
	if (s) {
		s->exits++;
		if (code)
			s->exits_failed++;
	}
	e = bpfpin_event_reserve(&events, sizeof(*e), PROC_EV_EXIT);
	if (!e)
		return 0;
	e->exit_code = (code >> 8) & 0xff;
	e->signal = code & 0x7f;
	e->core_dumped = !!(code & 0x80);
	e->pad = 0;
	e->duration_ns = bpf_ktime_get_ns() -
			 BPF_CORE_READ(p, group_leader, start_time);
	bpfpin_event_submit(&events, e);
	return 0;
}

/* exec renames the task too (begin_new_exec); only other renames count. */
static __always_inline int on_rename(struct task_struct *p, const char *comm)
{
	struct proc_rename_event *e;
	struct proc_stats *s;

	if (BPF_CORE_READ_BITFIELD_PROBED(p, in_execve) || !bpfpin_wanted_current())
		return 0;
	s = stats_of(bpf_get_current_cgroup_id());
	if (s)
		s->renames++;
	e = bpfpin_event_reserve(&events, sizeof(*e), PROC_EV_RENAME);
	if (!e)
		return 0;
	BPF_CORE_READ_STR_INTO(&e->old_comm, p, comm);
	if (bpf_probe_read_kernel_str(e->new_comm, sizeof(e->new_comm), comm) < 0) {
		e->new_comm[0] = '\0';
		bpfpin_drop(DROP_READ);
	}
	bpfpin_event_submit(&events, e);
	return 0;
}

/*
 * cgroup_attach_task fires for every hierarchy; in hybrid mode the v1
 * controllers too. Hierarchy 0 is the default (v2) one, whose ids
 * bpf_get_current_cgroup_id() returns.
 */
static __always_inline int on_cgroup_move(struct cgroup *dst, struct task_struct *p,
					  bool threadgroup)
{
	struct proc_cgroup_move_event *e;
	struct proc_stats *s;
	__u64 dst_id;

	/* the moved task, already in @dst: counted there */
	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0 || !bpfpin_wanted_task(p))
		return 0;
	dst_id = BPF_CORE_READ(dst, kn, id);
	s = stats_of(dst_id);
	if (s)
		s->cgroup_moves++;
	e = bpfpin_event_reserve(&events, sizeof(*e), PROC_EV_CGROUP_MOVE);
	if (!e)
		return 0;
	e->dst_cgroup_id = dst_id;
	e->moved_pid = BPF_CORE_READ(p, tgid);
	e->threadgroup = threadgroup;
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(sched_process_exec, exec, PROC_HOOK_EXEC,
	  struct task_struct *p COMMA pid_t old_pid COMMA struct linux_binprm *bprm,
	  on_exec(p, bprm))
BPFPIN_HOOK(sched_process_fork, fork, PROC_HOOK_FORK,
	  struct task_struct *parent COMMA struct task_struct *child,
	  on_fork(parent, child))

/*
 * sched_process_exit gained group_dead after 6.1 (the loader sets the
 * number of arguments it has); before it, tell it from signal->live, which
 * do_exit() has decremented by then (two threads exiting at once can then
 * both see 0).
 */
const volatile __u32 cfg_nargs_sched_process_exit = 2;

static __always_inline int on_exit_ctx(unsigned long long *ctx)
{
	struct task_struct *p = (void *)ctx[0];
	bool group_dead;

	if (cfg_nargs_sched_process_exit >= 2)
		group_dead = ctx[1];
	else
		group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	return on_exit(p, group_dead);
}

SEC("tp_btf/sched_process_exit")
int exit_btf(unsigned long long *ctx)
{
	return bpfpin_active(PROC_HOOK_EXIT) ? on_exit_ctx(ctx) : 0;
}

SEC("raw_tp/sched_process_exit")
int exit_raw(unsigned long long *ctx)
{
	return bpfpin_active(PROC_HOOK_EXIT) ? on_exit_ctx(ctx) : 0;
}
BPFPIN_HOOK(task_rename, rename, PROC_HOOK_RENAME,
	  struct task_struct *p COMMA const char *comm,
	  on_rename(p, comm))
BPFPIN_HOOK(cgroup_attach_task, cgmove, PROC_HOOK_CGMOVE,
	  struct cgroup *dst COMMA const char *path COMMA struct task_struct *p COMMA
	  bool threadgroup,
	  on_cgroup_move(dst, p, threadgroup))
