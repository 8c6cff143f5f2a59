/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup.h: cgroups (containers) made and removed, shared by cgroup.bpf.c and user space */
#ifndef __BPFPIN_CGROUP_H
#define __BPFPIN_CGROUP_H

#include "bpfpin.h"

#define CGRP_SCHEMA_VERSION	1
#define CGRP_PATH_LEN		256	/* longer paths are cut (still NUL-ended) */
#define CGRP_PARENT_ENTRIES	4096
/* LRU, per CPU: 272 B x CPUs x 2 halves; cgroup.path_entries */
#define CGRP_PATH_ENTRIES	4096
#define CGRP_RING_BYTES		(256 * 1024)

/*
 * Paths are relative to their hierarchy's root ("/system.slice/x.scope"),
 * as the tracepoints give them; hierarchy 0 is cgroup v2, any other a v1
 * hierarchy (its number in /proc/cgroups).
 */
struct cgrp_parent_key {
	__u32 hierarchy;
	__u32 pad;
	char parent[CGRP_PATH_LEN];	/* the directory the cgroups are made in */
};

struct cgrp_path_key {
	__u32 hierarchy;
	__u32 pad;
	char path[CGRP_PATH_LEN];
};

struct cgrp_stats {
	__u64 created;
	__u64 removed;
};

enum cgrp_event_type {
	CGRP_EV_CREATE = 1,
	CGRP_EV_REMOVE,
};

/* The header names the task that made or removed the cgroup. */
struct cgrp_event {
	struct bpfpin_event_hdr hdr;
	__u64 id;		/* the cgroup's id (its directory's inode) */
	__u64 parent_id;
	__u32 hierarchy;
	__u32 level;		/* depth below the hierarchy's root */
	char path[CGRP_PATH_LEN];
};

enum cgrp_hook {
	CGRP_HOOK_MKDIR,
	CGRP_HOOK_RMDIR,
	CGRP_HOOK_NR
};
_Static_assert(CGRP_HOOK_NR <= BPFPIN_MAX_HOOKS, "cgroup: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

#define CGRP_HIERARCHY(s) PIN_KEY(s, hierarchy, PIN_T_U32, PIN_V_PLAIN, \
	"0 for cgroup v2, else the v1 hierarchy's number (/proc/cgroups)")

static const struct pin_field cgrp_parent_key_fields[] = {
	CGRP_HIERARCHY(struct cgrp_parent_key),
	PIN_KEY(struct cgrp_parent_key, parent, PIN_T_STR, PIN_V_PLAIN,
		"the directory the cgroups were made in, within the hierarchy"),
};

static const struct pin_field cgrp_path_key_fields[] = {
	CGRP_HIERARCHY(struct cgrp_path_key),
	PIN_LABELLED(struct cgrp_path_key, path, PIN_T_STR, PIN_V_CGPATH, "container_id",
		"the cgroup's path within its hierarchy"),
};

static const struct pin_field cgrp_stat_fields[] = {
	PIN_COUNTER(struct cgrp_stats, created, "Cgroups made (mkdir)."),
	PIN_COUNTER(struct cgrp_stats, removed, "Cgroups removed (rmdir)."),
};

static const struct pin_map_desc cgrp_maps[] = {
	{ .name = "parents", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct cgrp_parent_key),
	  .value_size = sizeof(struct cgrp_stats),
	  .keys = cgrp_parent_key_fields, .nkeys = PIN_LEN(cgrp_parent_key_fields),
	  .values = cgrp_stat_fields, .nvalues = PIN_LEN(cgrp_stat_fields) },
	{ .name = "paths", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct cgrp_path_key),
	  .value_size = sizeof(struct cgrp_stats),
	  .keys = cgrp_path_key_fields, .nkeys = PIN_LEN(cgrp_path_key_fields),
	  .values = cgrp_stat_fields, .nvalues = PIN_LEN(cgrp_stat_fields),
	  .entries_setting = "path_entries" },
};

static const struct pin_field cgrp_event_fields[] = {
	PIN_EV(struct cgrp_event, hierarchy, PIN_T_U32, PIN_V_PLAIN,
		"0 for cgroup v2, else the v1 hierarchy's number"),
	PIN_LABELLED(struct cgrp_event, path, PIN_T_STR, PIN_V_CGPATH, "container_id",
		"the cgroup's path within its hierarchy"),
	PIN_EV(struct cgrp_event, id, PIN_T_U64, PIN_V_PLAIN, "the cgroup's id"),
	PIN_EV(struct cgrp_event, parent_id, PIN_T_U64, PIN_V_PLAIN, "its parent's id"),
	PIN_EV(struct cgrp_event, level, PIN_T_U32, PIN_V_PLAIN, "depth below the root"),
};

static const struct pin_event_desc cgrp_events[] = {
	{ .type = CGRP_EV_CREATE, .name = "create", .size = sizeof(struct cgrp_event),
	  .fields = cgrp_event_fields, .nfields = PIN_LEN(cgrp_event_fields) },
	{ .type = CGRP_EV_REMOVE, .name = "remove", .size = sizeof(struct cgrp_event),
	  .fields = cgrp_event_fields, .nfields = PIN_LEN(cgrp_event_fields) },
};

static const struct pin_hook cgrp_hooks[] = {
	[CGRP_HOOK_MKDIR] = { "cgroup_mkdir", { "mkdir_btf", "mkdir_raw" } },
	[CGRP_HOOK_RMDIR] = { "cgroup_rmdir", { "rmdir_btf", "rmdir_raw" } },
};
_Static_assert(PIN_LEN(cgrp_hooks) == CGRP_HOOK_NR, "cgroup: a hook without a table entry");

static const struct pin_setting cgrp_settings[] = {
	{ "path_entries", "cgroup paths kept (LRU; evictions are counted)",
	  CGRP_PATH_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc cgroup_module = {
	.name = "cgroup",
	.summary = "cgroups and containers made and removed, v2 and v1 hierarchies, per parent",
	.schema_version = CGRP_SCHEMA_VERSION,
	.profiles = "process",
	.notes = "paths longer than 255 bytes are cut; a cgroup filter applies to v2 cgroups (v1 "
		"ones are counted only unfiltered); the event's pid/comm is who ran mkdir/rmdir",
	.filter_scope = "it filters on the cgroup made or removed, not on who ran mkdir/rmdir "
		"(cgroup and no_system apply)",
	.maps = cgrp_maps, .nmaps = PIN_LEN(cgrp_maps),
	.events = cgrp_events, .nevents = PIN_LEN(cgrp_events),
	.hooks = cgrp_hooks, .nhooks = PIN_LEN(cgrp_hooks),
	.settings = cgrp_settings, .nsettings = PIN_LEN(cgrp_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_CGROUP_H */
