/* SPDX-License-Identifier: GPL-2.0 */
/* seccomp.h: seccomp denials: SIGSYS (kill, trap) and, with kprobe/fentry, every other action */
#ifndef __BPFPIN_SECCOMP_H
#define __BPFPIN_SECCOMP_H

#include "bpfpin.h"

#define SECCOMP_SCHEMA_VERSION	3
#define SECCOMP_STATS_ENTRIES	4096
#define SECCOMP_RING_BYTES	(256 * 1024)

/*
 * What a SIGSYS tells: kill (forced, handler locked) or trap; the others
 * come from the filters' verdict (hook __seccomp_filter, kprobe/fentry).
 */
#define SECCOMP_ACTION_KILL		0
#define SECCOMP_ACTION_TRAP		1
#define SECCOMP_ACTION_ERRNO		2
#define SECCOMP_ACTION_TRACE		3
#define SECCOMP_ACTION_LOG		4
#define SECCOMP_ACTION_USER_NOTIF	5

struct seccomp_key {
	__u64 cgroup_id;
	__u32 syscall_nr;
	__u32 action;
};

struct seccomp_stats {
	__u64 denials;
};

#define SECCOMP_EV_DENIAL	1

struct seccomp_event {
	struct bpfpin_event_hdr hdr;
	__u32 syscall_nr;
	__u32 action;
	__u32 arch;		/* AUDIT_ARCH_* of the denied call */
	__u32 data;		/* SECCOMP_RET_DATA of the filter's verdict (errno: the errno) */
};

/*
 * A hook's index in seccomp_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum seccomp_hook {
	SECCOMP_HOOK_SIGSYS,
	SECCOMP_HOOK_VERDICT,
	SECCOMP_HOOK_NR
};
_Static_assert(SECCOMP_HOOK_NR <= BPFPIN_MAX_HOOKS, "seccomp: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const seccomp_actions[] = {
	[SECCOMP_ACTION_KILL] = "kill",
	[SECCOMP_ACTION_TRAP] = "trap",
	[SECCOMP_ACTION_ERRNO] = "errno",
	[SECCOMP_ACTION_TRACE] = "trace",
	[SECCOMP_ACTION_LOG] = "log",
	[SECCOMP_ACTION_USER_NOTIF] = "user_notif",
};

static const struct pin_field seccomp_key_fields[] = {
	PIN_LABELLED(struct seccomp_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id"),
	PIN_LABELLED(struct seccomp_key, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall",
		"syscall number"),
	PIN_NAMED(struct seccomp_key, action, seccomp_actions, "seccomp action"),
};

static const struct pin_field seccomp_stat_fields[] = {
	PIN_COUNTER(struct seccomp_stats, denials,
		"Syscalls a seccomp filter did not simply allow: kill, trap, and (with "
		"hook __seccomp_filter) errno, trace, log and user_notif."),
};

static const struct pin_map_desc seccomp_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct seccomp_key),
	  .value_size = sizeof(struct seccomp_stats),
	  .keys = seccomp_key_fields, .nkeys = PIN_LEN(seccomp_key_fields),
	  .values = seccomp_stat_fields, .nvalues = PIN_LEN(seccomp_stat_fields) },
};

static const struct pin_field seccomp_denial_fields[] = {
	PIN_LABELLED(struct seccomp_event, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall", NULL),
	PIN_NAMED(struct seccomp_event, action, seccomp_actions, NULL),
	PIN_EV(struct seccomp_event, arch, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_EV(struct seccomp_event, data, PIN_T_U32, PIN_V_PLAIN, NULL),
};

static const struct pin_event_desc seccomp_events[] = {
	{ .type = SECCOMP_EV_DENIAL, .name = "denial",
	  .size = sizeof(struct seccomp_event),
	  .fields = seccomp_denial_fields, .nfields = PIN_LEN(seccomp_denial_fields) },
};

/*
 * Kill and trap actions send SIGSYS (signal_generate, si_code SYS_SECCOMP).
 * Errno, trace, log and user-notify actions send none: their verdict is
 * recomputed at __seccomp_filter() where the kernel allows fentry or a
 * kprobe (optional: without it only kill and trap are seen).
 */
static const struct pin_hook seccomp_hooks[] = {
	[SECCOMP_HOOK_SIGSYS] = { "signal_generate", { "sigsys_btf", "sigsys_raw" } },
	[SECCOMP_HOOK_VERDICT] = { "__seccomp_filter", { "verdict_fentry", "verdict_kprobe" },
				   .optional = true, .extra = true },
};
_Static_assert(PIN_LEN(seccomp_hooks) == SECCOMP_HOOK_NR, "seccomp: a hook without a table entry");

static const struct pin_module_desc seccomp_module = {
	.name = "seccomp",
	.summary = "seccomp denials (kill, trap; errno, trace, log, user_notif with kprobe/fentry)"
		" per container and syscall",
	.schema_version = SECCOMP_SCHEMA_VERSION,
	.profiles = "default syscall",
	.filter_task = true,
	.notes = "sees kill and trap actions (the SIGSYS they raise); errno, trace, log and "
		"user-notify actions raise no signal: they are seen only where hook "
		"__seccomp_filter loads (fentry or kprobe), which runs the task's filters again "
		"on each of its syscalls that the filters' cache does not allow",
	.maps = seccomp_maps, .nmaps = PIN_LEN(seccomp_maps),
	.events = seccomp_events, .nevents = PIN_LEN(seccomp_events),
	.hooks = seccomp_hooks, .nhooks = PIN_LEN(seccomp_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_SECCOMP_H */
