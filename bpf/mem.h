/* SPDX-License-Identifier: GPL-2.0 */
/* mem.h: page faults, reclaim stalls, large allocations per memory cgroup; RSS steps */
#ifndef __BPFPIN_MEM_H
#define __BPFPIN_MEM_H

#include "bpfpin.h"

#define MEM_SCHEMA_VERSION	2
#define MEM_STATS_ENTRIES	4096	/* (cgroup, memcg); mem.stats_entries */
#define MEM_RING_BYTES		(256 * 1024)
#define MEM_RSS_STEP_KB		65536	/* mem.rss_step_kb: 64 MiB */
#define MEM_LARGE_ALLOC_BYTES	65536	/* mem.large_alloc_bytes */

/*
 * A row: the task's cgroup v2 id, and the id of the cgroup that holds its
 * memory controller state (task->cgroups->subsys[memory_cgrp_id]->cgroup):
 * a cgroup of the v1 memory hierarchy where memory is mounted on v1, else
 * the v2 cgroup (or its nearest ancestor with memory enabled).
 */
struct mem_key {
	__u64 cgroup_id;
	__u64 memcg_id;
};

struct mem_stats {
	__u64 faults_user;		/* #PF exceptions taken in user mode */
	__u64 faults_kernel;		/* #PF exceptions taken in kernel mode */
	__u64 faults;			/* faults handled, as memory.stat pgfault */
	__u64 major_faults;		/* of which major, as pgmajfault */
	__u64 direct_reclaims;		/* direct reclaim stalls ended */
	__u64 direct_reclaimed_bytes;
	__u64 limit_reclaims;		/* memory cgroup limit reclaims ended */
	__u64 limit_reclaimed_bytes;
	__u64 large_kmallocs;		/* kmalloc of >= mem.large_alloc_bytes */
	__u64 large_kmalloc_bytes;	/* bytes_alloc of those */
	__u64 large_page_allocs;	/* page blocks of >= large_alloc_bytes */
	__u64 large_page_alloc_bytes;
	struct bpfpin_hist direct_reclaim_latency;	/* us, begin to end */
	struct bpfpin_hist limit_reclaim_latency;	/* us, begin to end */
};

enum mem_event_type {
	MEM_EV_RSS_STEP = 1,	/* RSS reached a new multiple of rss_step_kb */
};

/*
 * The header names the task whose update made the RSS reach the step (a
 * thread of the process owning the memory).
 */
struct mem_rss_event {
	struct bpfpin_event_hdr hdr;
	__u64 memcg_id;		/* as in struct mem_key */
	__u64 rss_bytes;	/* anon + file + shmem */
	__u64 anon_bytes;
	__u64 file_bytes;
	__u64 shmem_bytes;
	__u64 step_bytes;	/* the multiple of the step reached */
	__u32 steps;		/* multiples reached by this update: 1 unless
				 * one update added more than a step */
	__u32 pad;
};

/*
 * A hook's index in mem_hooks[], which is also the slot in `handoff` its
 * programs pass to bpfpin_active(): one name for both.
 */
enum mem_hook {
	MEM_HOOK_FAULT_USER,
	MEM_HOOK_FAULT_KERNEL,
	MEM_HOOK_MEMCG_EVENTS,
	MEM_HOOK_RSS,
	MEM_HOOK_DIRECT_BEGIN,
	MEM_HOOK_DIRECT_END,
	MEM_HOOK_LIMIT_BEGIN,
	MEM_HOOK_LIMIT_END,
	MEM_HOOK_KMALLOC,
	MEM_HOOK_PAGE_ALLOC,
	MEM_HOOK_NR
};
_Static_assert(MEM_HOOK_NR <= BPFPIN_MAX_HOOKS, "mem: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

_Static_assert(sizeof(struct mem_stats) % 8 == 0, "mem: stats padded to 8 bytes");
_Static_assert(sizeof(struct mem_rss_event) % 8 == 0, "mem: event padded to 8 bytes");

static const struct pin_field mem_key_fields[] = {
	PIN_LABELLED(struct mem_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id of the task"),
	PIN_LABELLED(struct mem_key, memcg_id, PIN_T_U64, PIN_V_MEMCG, "memcg",
		"memory cgroup id (v1 where memory is on v1)"),
};

#define MEM_BYTES(m, h) \
	PIN_FIELD(struct mem_stats, m, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_BYTES, h)
static const struct pin_field mem_stat_fields[] = {
	PIN_COUNTER(struct mem_stats, faults_user,
		"Page fault exceptions taken in user mode (exceptions:page_fault_user), by the "
		"faulting task."),
	PIN_COUNTER(struct mem_stats, faults_kernel,
		"Page fault exceptions taken in kernel mode (exceptions:page_fault_kernel), by "
		"the faulting task."),
	PIN_COUNTER(struct mem_stats, faults,
		"Page faults handled and charged to the memory cgroup (its memory.stat pgfault)."),
	PIN_COUNTER(struct mem_stats, major_faults,
		"Page faults that needed I/O (its memory.stat pgmajfault)."),
	PIN_COUNTER(struct mem_stats, direct_reclaims,
		"Direct reclaim stalls: allocations that reclaimed memory themselves."),
	MEM_BYTES(direct_reclaimed_bytes, "Bytes freed by direct reclaim (pages x page size)."),
	PIN_COUNTER(struct mem_stats, limit_reclaims,
		"Reclaims a charge over a memory cgroup limit ran (v1 limit_in_bytes, v2 "
		"memory.max or memory.high)."),
	MEM_BYTES(limit_reclaimed_bytes,
		"Bytes freed by memory cgroup limit reclaim (pages x page size)."),
	PIN_COUNTER(struct mem_stats, large_kmallocs,
		"kmalloc calls of at least mem.large_alloc_bytes."),
	MEM_BYTES(large_kmalloc_bytes, "Bytes those kmalloc calls got (bytes_alloc)."),
	PIN_COUNTER(struct mem_stats, large_page_allocs,
		"Page allocator blocks of at least mem.large_alloc_bytes."),
	MEM_BYTES(large_page_alloc_bytes, "Bytes of those blocks (page size << order)."),
	PIN_HIST(struct mem_stats, direct_reclaim_latency, "Direct reclaim stall, begin to end."),
	PIN_HIST(struct mem_stats, limit_reclaim_latency,
		"Memory cgroup limit reclaim, begin to end."),
};
#undef MEM_BYTES

static const struct pin_map_desc mem_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct mem_key),
	  .value_size = sizeof(struct mem_stats),
	  .keys = mem_key_fields, .nkeys = PIN_LEN(mem_key_fields),
	  .values = mem_stat_fields, .nvalues = PIN_LEN(mem_stat_fields),
	  .entries_setting = "stats_entries" },
};

#define MEM_EV_BYTES(m, h) PIN_EV(struct mem_rss_event, m, PIN_T_U64, PIN_V_BYTES, h)
static const struct pin_field mem_rss_fields[] = {
	PIN_LABELLED(struct mem_rss_event, memcg_id, PIN_T_U64, PIN_V_MEMCG, "memcg",
		"memory cgroup id (v1 where memory is on v1)"),
	MEM_EV_BYTES(rss_bytes, "anon + file + shmem, as VmRSS"),
	MEM_EV_BYTES(anon_bytes, "as RssAnon"),
	MEM_EV_BYTES(file_bytes, "as RssFile"),
	MEM_EV_BYTES(shmem_bytes, "as RssShmem"),
	MEM_EV_BYTES(step_bytes, "the multiple of mem.rss_step_kb reached"),
	PIN_EV(struct mem_rss_event, steps, PIN_T_U32, PIN_V_PLAIN,
		"multiples reached by this update"),
};
#undef MEM_EV_BYTES

static const struct pin_event_desc mem_events[] = {
	{ .type = MEM_EV_RSS_STEP, .name = "rss_step",
	  .size = sizeof(struct mem_rss_event),
	  .fields = mem_rss_fields, .nfields = PIN_LEN(mem_rss_fields) },
};

/*
 * exceptions:* is x86's; count_memcg_events came in 6.13; the memcg
 * reclaim events need CONFIG_MEMCG: optional. The rest are in every
 * kernel this builds for.
 */
static const struct pin_hook mem_hooks[] = {
	[MEM_HOOK_FAULT_USER] = { "page_fault_user", { "fault_user_btf",
		"fault_user_raw" }, .optional = true },
	[MEM_HOOK_FAULT_KERNEL] = { "page_fault_kernel", { "fault_kern_btf",
		"fault_kern_raw" }, .optional = true },
	[MEM_HOOK_MEMCG_EVENTS] = { "count_memcg_events", { "memcg_ev_btf",
		"memcg_ev_raw", "memcg_ev_fentry", "memcg_ev_kprobe" }, .optional = true },
	[MEM_HOOK_RSS] = { "rss_stat", { "rss_btf", "rss_raw" } },
	[MEM_HOOK_DIRECT_BEGIN] = { "mm_vmscan_direct_reclaim_begin", { "direct_beg_btf",
		"direct_beg_raw" } },
	[MEM_HOOK_DIRECT_END] = { "mm_vmscan_direct_reclaim_end", { "direct_end_btf",
		"direct_end_raw" } },
	[MEM_HOOK_LIMIT_BEGIN] = { "mm_vmscan_memcg_reclaim_begin", { "limit_beg_btf",
		"limit_beg_raw" }, .optional = true },
	[MEM_HOOK_LIMIT_END] = { "mm_vmscan_memcg_reclaim_end", { "limit_end_btf",
		"limit_end_raw" }, .optional = true },
	[MEM_HOOK_KMALLOC] = { "kmalloc", { "kmalloc_btf", "kmalloc_raw" } },
	[MEM_HOOK_PAGE_ALLOC] = { "mm_page_alloc", { "page_alloc_btf", "page_alloc_raw" } },
};
_Static_assert(PIN_LEN(mem_hooks) == MEM_HOOK_NR, "mem: a hook without a table entry");

static const struct pin_setting mem_settings[] = {
	{ "rss_step_kb",
		"an 'rss_step' event each time a process's RSS first reaches a multiple of "
		"this (KiB)",
	  MEM_RSS_STEP_KB, 1024, 1u << 30 },
	{ "large_alloc_bytes",
		"kmalloc calls and page blocks of at least this many bytes are counted as large",
	  MEM_LARGE_ALLOC_BYTES, 4096, 1u << 30 },
	{ "stats_entries", "(cgroup, memory cgroup) rows kept (a full map counts map_full)",
	  MEM_STATS_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc mem_module = {
	.name = "mem",
	.filter_task = true,
	.summary = "page faults (user/kernel, major), direct and memory cgroup limit reclaim "
		"stalls, large allocations per cgroup and memory cgroup; RSS steps as events",
	.schema_version = MEM_SCHEMA_VERSION,
	.profiles = "memory",
	.notes = "runs on every page fault and page allocation of the host (not in the default "
		"profile); the memory cgroup is the v1 one where memory is mounted on v1; memory "
		"cgroup high/max events have no tracepoint: limit_reclaims counts the reclaims "
		"they start; RSS is read from the counters without their per-CPU batches, as "
		"get_mm_counter() does",
	.maps = mem_maps, .nmaps = PIN_LEN(mem_maps),
	.events = mem_events, .nevents = PIN_LEN(mem_events),
	.hooks = mem_hooks, .nhooks = PIN_LEN(mem_hooks),
	.settings = mem_settings, .nsettings = PIN_LEN(mem_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_MEM_H */
