/* SPDX-License-Identifier: GPL-2.0 */
/* syscalls.h: syscall counts, errors by errno and latency per cgroup; slow and failed calls */
#ifndef __BPFPIN_SYSCALLS_H
#define __BPFPIN_SYSCALLS_H

#include "bpfpin.h"

#define SYSCALLS_SCHEMA_VERSION	2
#define SYSCALLS_NR_MAX		512	/* syscall numbers below this (x86_64: ~470) */
#define SYSCALLS_STATS_ENTRIES	16384	/* (cgroup, syscall); syscalls.stats_entries */
#define SYSCALLS_ERRNO_ENTRIES	4096	/* (cgroup, syscall, errno); syscalls.errno_entries */
#define SYSCALLS_RING_BYTES	(256 * 1024)
/* a return value in [-4095, -1] is an error: the kernel's IS_ERR_VALUE */
#define SYSCALLS_MAX_ERRNO	4095

struct syscalls_key {
	__u64 cgroup_id;
	__u32 syscall_nr;
	__u32 pad;
};

struct syscalls_stats {
	__u64 calls;		/* returned (counted at exit) */
	__u64 errors;		/* returned -1 ... -4095 */
	struct bpfpin_hist latency;	/* enter to exit, us; calls whose
					 * enter was seen */
};

struct syscalls_errno_key {
	__u64 cgroup_id;
	__u32 syscall_nr;
	__u32 errno_nr;		/* -return value */
};

struct syscalls_errno_stats {
	__u64 errors;
};

enum syscalls_event_type {
	SYSCALLS_EV_SLOW = 1,	/* took longer than syscalls.slow_us */
	SYSCALLS_EV_FAILED,	/* failed, and in syscalls.trace */
};

struct syscalls_event {
	struct bpfpin_event_hdr hdr;
	__u64 duration_ns;	/* enter to exit; 0 if the enter was not seen */
	__s64 ret;		/* the return value */
	__u32 syscall_nr;
	__u32 errno_nr;		/* 0 unless it failed */
};

/*
 * A hook's index in syscalls_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum syscalls_hook {
	SYSCALLS_HOOK_ENTER,
	SYSCALLS_HOOK_EXIT,
	SYSCALLS_HOOK_NR
};
_Static_assert(SYSCALLS_HOOK_NR <= BPFPIN_MAX_HOOKS, "syscalls: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

_Static_assert(SYSCALLS_NR_MAX <= 64 * PIN_SYSCALL_WORDS,
	       "syscalls: cfg_trace holds every syscall number");
_Static_assert(sizeof(struct syscalls_stats) % 8 == 0, "syscalls: stats padded to 8 bytes");

static const struct pin_field syscalls_key_fields[] = {
	PIN_LABELLED(struct syscalls_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id"),
	PIN_LABELLED(struct syscalls_key, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall",
		"syscall number"),
};

static const struct pin_field syscalls_stat_fields[] = {
	PIN_COUNTER(struct syscalls_stats, calls, "Syscalls returned."),
	PIN_COUNTER(struct syscalls_stats, errors,
		"Syscalls that returned an error (-4095 to -1)."),
	PIN_HIST(struct syscalls_stats, latency, "Syscall latency from enter to exit, per task."),
};

static const struct pin_field syscalls_errno_key_fields[] = {
	PIN_LABELLED(struct syscalls_errno_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id"),
	PIN_LABELLED(struct syscalls_errno_key, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall",
		"syscall number"),
	PIN_LABELLED(struct syscalls_errno_key, errno_nr, PIN_T_U32, PIN_V_ERRNO, "errno",
		"errno number"),
};

static const struct pin_field syscalls_errno_stat_fields[] = {
	PIN_COUNTER(struct syscalls_errno_stats, errors, "Syscalls that failed with this errno."),
};

static const struct pin_map_desc syscalls_maps[] = {
	{ .name = "calls", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct syscalls_key),
	  .value_size = sizeof(struct syscalls_stats),
	  .keys = syscalls_key_fields, .nkeys = PIN_LEN(syscalls_key_fields),
	  .values = syscalls_stat_fields, .nvalues = PIN_LEN(syscalls_stat_fields),
	  .entries_setting = "stats_entries" },
	{ .name = "errnos", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct syscalls_errno_key),
	  .value_size = sizeof(struct syscalls_errno_stats),
	  .keys = syscalls_errno_key_fields, .nkeys = PIN_LEN(syscalls_errno_key_fields),
	  .values = syscalls_errno_stat_fields, .nvalues = PIN_LEN(syscalls_errno_stat_fields),
	  .entries_setting = "errno_entries" },
};

static const struct pin_field syscalls_event_fields[] = {
	PIN_LABELLED(struct syscalls_event, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall",
		"syscall number"),
	PIN_EV(struct syscalls_event, ret, PIN_T_S64, PIN_V_PLAIN, "return value"),
	PIN_LABELLED(struct syscalls_event, errno_nr, PIN_T_U32, PIN_V_ERRNO, "errno",
		"errno number, 0 if it succeeded"),
	PIN_EV(struct syscalls_event, duration_ns, PIN_T_U64, PIN_V_DURATION,
		"enter to exit; 0 if the enter was not seen"),
};

#define SYSCALLS_EVENT(t, n) \
	{ .type = t, .name = n, .size = sizeof(struct syscalls_event), \
	  .fields = syscalls_event_fields, .nfields = PIN_LEN(syscalls_event_fields) }

static const struct pin_event_desc syscalls_events[] = {
	SYSCALLS_EVENT(SYSCALLS_EV_SLOW, "slow"),
	SYSCALLS_EVENT(SYSCALLS_EV_FAILED, "failed"),
};

/* raw_syscalls: every syscall of the host, its number and its return */
static const struct pin_hook syscalls_hooks[] = {
	[SYSCALLS_HOOK_ENTER] = { "sys_enter", { "sys_enter_btf", "sys_enter_raw" } },
	[SYSCALLS_HOOK_EXIT] = { "sys_exit", { "sys_exit_btf", "sys_exit_raw" } },
};
_Static_assert(PIN_LEN(syscalls_hooks) == SYSCALLS_HOOK_NR,
	       "syscalls: a hook without a table entry");

static const struct pin_setting syscalls_settings[] = {
	{ "slow_us", "a call that takes longer is a 'slow' event (0: none)",
	  0, 0, 3600000000u },
	{ "trace", "syscalls whose failures are 'failed' events, by name",
	  0, 0, 0, PIN_SET_SYSCALLS },
	{ "trace_errnos", "only failures with these errnos are 'failed' events (none: any)",
	  0, 0, 0, PIN_SET_ERRNOS },
	{ "stats_entries", "(cgroup, syscall) rows kept (a full map counts map_full)",
	  SYSCALLS_STATS_ENTRIES, 64, 1 << 20 },
	{ "errno_entries", "(cgroup, syscall, errno) rows kept (a full map counts map_full)",
	  SYSCALLS_ERRNO_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc syscalls_module = {
	.name = "syscalls",
	.summary = "syscall calls, errors by errno and latency histograms per cgroup and "
		"syscall; slow and failed calls as events where asked",
	.schema_version = SYSCALLS_SCHEMA_VERSION,
	.profiles = "syscall",
	.filter_task = true,
	.notes = "runs on every syscall of the host (not in the default profile); a call is "
		"counted when it returns, its latency only if its enter was seen after the load; "
		"syscall numbers are this architecture's native ones (32-bit compat calls are "
		"counted under their own numbers)",
	.maps = syscalls_maps, .nmaps = PIN_LEN(syscalls_maps),
	.events = syscalls_events, .nevents = PIN_LEN(syscalls_events),
	.hooks = syscalls_hooks, .nhooks = PIN_LEN(syscalls_hooks),
	.settings = syscalls_settings, .nsettings = PIN_LEN(syscalls_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_SYSCALLS_H */
