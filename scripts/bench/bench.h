/* SPDX-License-Identifier: GPL-2.0 */
/* bench.h: the benchmark-only module (built into build/bench only): a syscall counter and an event source */
#ifndef __BPFPIN_BENCH_H
#define __BPFPIN_BENCH_H

#include "bpfpin.h"

#define BENCH_SCHEMA_VERSION	2
#define BENCH_NR_SYSCALLS	512	/* the counter: one slot per syscall */
#define BENCH_FILL_ENTRIES	131072	/* room for the 100k-key reader runs */
#define BENCH_RING_BYTES	(4 * 1024 * 1024)

struct bench_key {
	__u32 nr;		/* syscall number */
};

/* the reader and flush benchmarks fill this one from user space */
struct bench_fill_key {
	__u64 id;
};

struct bench_stats {
	__u64 calls;
	__u64 bytes;
};

#define BENCH_EV_CALL		1

/* 64 bytes, the size DESIGN.md's ring figures were measured with */
struct bench_event {
	struct bpfpin_event_hdr hdr;
	__u64 seq;
	__u64 arg;
};

/*
 * A hook's index in bench_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum bench_hook {
	BENCH_HOOK_ENTER,
	BENCH_HOOK_NR
};
_Static_assert(BENCH_HOOK_NR <= BPFPIN_MAX_HOOKS, "bench: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field bench_key_fields[] = {
	PIN_LABELLED(struct bench_key, nr, PIN_T_U32, PIN_V_SYSCALL, "syscall", "syscall number"),
};

static const struct pin_field bench_fill_key_fields[] = {
	PIN_KEY(struct bench_fill_key, id, PIN_T_U64, PIN_V_PLAIN, "filler key"),
};

static const struct pin_field bench_stat_fields[] = {
	PIN_COUNTER(struct bench_stats, calls, "Calls counted."),
	PIN_FIELD(struct bench_stats, bytes, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_BYTES,
		"Bytes counted."),
};

static const struct pin_map_desc bench_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_ARRAY,
	  .key_size = sizeof(struct bench_key),
	  .value_size = sizeof(struct bench_stats),
	  .keys = bench_key_fields, .nkeys = PIN_LEN(bench_key_fields),
	  .values = bench_stat_fields, .nvalues = PIN_LEN(bench_stat_fields) },
	{ .name = "fill", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct bench_fill_key),
	  .value_size = sizeof(struct bench_stats),
	  .keys = bench_fill_key_fields, .nkeys = PIN_LEN(bench_fill_key_fields),
	  .values = bench_stat_fields, .nvalues = PIN_LEN(bench_stat_fields) },
};

static const struct pin_field bench_call_fields[] = {
	PIN_EV(struct bench_event, seq, PIN_T_U64, PIN_V_PLAIN, NULL),
	PIN_EV(struct bench_event, arg, PIN_T_U64, PIN_V_PLAIN, NULL),
};

static const struct pin_event_desc bench_events[] = {
	{ .type = BENCH_EV_CALL, .name = "call", .size = sizeof(struct bench_event),
	  .fields = bench_call_fields, .nfields = PIN_LEN(bench_call_fields) },
};

static const struct pin_hook bench_hooks[] = {
	[BENCH_HOOK_ENTER] = { "sys_enter", { "enter_btf", "enter_raw" } },
};
_Static_assert(PIN_LEN(bench_hooks) == BENCH_HOOK_NR, "bench: a hook without a table entry");

static const struct pin_module_desc bench_module = {
	.name = "bench",
	.summary = "benchmark only: counts every syscall, emits an event per getppid of a target",
	.schema_version = BENCH_SCHEMA_VERSION,
	.profiles = "bench",
	.maps = bench_maps, .nmaps = PIN_LEN(bench_maps),
	.events = bench_events, .nevents = PIN_LEN(bench_events),
	.hooks = bench_hooks, .nhooks = PIN_LEN(bench_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_BENCH_H */
