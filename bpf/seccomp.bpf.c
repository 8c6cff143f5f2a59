// SPDX-License-Identifier: GPL-2.0
/* seccomp.bpf.c: seccomp kill and trap denials, from the SIGSYS they raise */
#include "common.bpf.h"
#include "seccomp.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct seccomp_key, struct seccomp_stats, SECCOMP_STATS_ENTRIES);
BPFPIN_EVENTS_RING(SECCOMP_RING_BYTES);

#define SIGSYS		31
#define SYS_SECCOMP	1
/* kernel-internal (linux/signal_types.h): a forced signal's locked action */
#define SA_IMMUTABLE	0x00800000

static const struct seccomp_stats zero_stats;

/*
 * force_sig_seccomp() raises SIGSYS in the offending task. For kill actions
 * it forces the default action and marks it SA_IMMUTABLE before sending
 * (HANDLER_EXIT); a trap leaves the task's handler alone.
 */
static __always_inline int on_signal(int sig, struct kernel_siginfo *info,
				     struct task_struct *task)
{
	struct seccomp_key key = {};
	struct seccomp_event *e;
	struct seccomp_stats *s;
	unsigned long flags;

	if (sig != SIGSYS || BPF_CORE_READ(info, si_code) != SYS_SECCOMP ||
	    !bpfpin_wanted_task(task))
		return 0;
	flags = BPF_CORE_READ(task, sighand, action[SIGSYS - 1].sa.sa_flags);
	key.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	key.syscall_nr = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	key.action = flags & SA_IMMUTABLE ? SECCOMP_ACTION_KILL : SECCOMP_ACTION_TRAP;
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->denials++;
	e = bpfpin_event_reserve(&events, sizeof(*e), SECCOMP_EV_DENIAL);
	if (!e)
		return 0;
	e->syscall_nr = key.syscall_nr;
	e->action = key.action;
	e->arch = BPF_CORE_READ(info, _sifields._sigsys._arch);
	e->data = BPF_CORE_READ(info, si_errno);
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(signal_generate, sigsys, SECCOMP_HOOK_SIGSYS,
	    int sig COMMA struct kernel_siginfo *info COMMA struct task_struct *task COMMA
	    int group COMMA int result,
	    on_signal(sig, info, task))
