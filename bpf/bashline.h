/* SPDX-License-Identifier: GPL-2.0 */
/* bashline.h: lines interactive shells read (bash's readline, zsh's line editor), shared with user space */
#ifndef __BPFPIN_BASHLINE_H
#define __BPFPIN_BASHLINE_H

#include "bpfpin.h"

#define BASHLINE_SCHEMA_VERSION	1
#define BASHLINE_STATS_ENTRIES	4096
#define BASHLINE_RING_BYTES	(256 * 1024)
#define BASHLINE_CAPTURE_MAX	4096	/* bashline.capture_bytes at most */
#define BASHLINE_CAPTURE_DEF	1024
#define BASHLINE_TTY_LEN	16

/* Lines per (cgroup, uid, shell): the shell is the reading process's comm. */
struct bashline_key {
	__u64 cgroup_id;
	__u32 uid;
	__u32 pad;
	char shell[BPFPIN_COMM_LEN];
};

struct bashline_stats {
	__u64 lines;
	__u64 bytes;		/* of the lines, as read */
	__u64 truncated_bytes;	/* beyond capture_bytes: not in any event */
};

#define BASHLINE_EV_LINE	1

/*
 * A line read: the header (pid, comm, cgroup), the reader's uid and
 * controlling terminal, then the line, without its NUL: content.len bytes
 * follow the event, which is submitted only as long as that.
 */
struct bashline_event {
	struct bpfpin_event_hdr hdr;
	__u32 uid;
	__u32 pad;
	char tty[BASHLINE_TTY_LEN];	/* "pts3", "tty1"; empty: none */
	struct bpfpin_content content;
};

/* what the readers' content decoder relies on: the content ends the event */
_Static_assert(__builtin_offsetof(struct bashline_event, content) + 8 ==
	       sizeof(struct bashline_event), "bashline: content must end the event");

/* The per-CPU scratch an event is built in: the event and its data. */
struct bashline_scratch {
	struct bashline_event e;
	__u8 data[BASHLINE_CAPTURE_MAX + 8];	/* the line and its NUL */
	__u8 rest[256];			/* where the length of the rest is measured */
};

/*
 * A hook's index in bashline_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum bashline_hook {
	BASHLINE_HOOK_READLINE,
	BASHLINE_HOOK_ZLE_ENTER,
	BASHLINE_HOOK_ZLE,
	BASHLINE_HOOK_NR
};
_Static_assert(BASHLINE_HOOK_NR <= BPFPIN_MAX_HOOKS, "bashline: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field bashline_key_fields[] = {
	PIN_LABELLED(struct bashline_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"reader's cgroup v2 id"),
	PIN_KEY(struct bashline_key, uid, PIN_T_U32, PIN_V_PLAIN, "reader's user id"),
	PIN_KEY(struct bashline_key, shell, PIN_T_STR, PIN_V_PLAIN,
		"the reading process's command name"),
};

static const struct pin_field bashline_stat_fields[] = {
	PIN_COUNTER(struct bashline_stats, lines, "Lines read by interactive shells."),
	PIN_FIELD(struct bashline_stats, bytes, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		  PIN_V_BYTES, "Bytes of the lines read, without their end."),
	PIN_FIELD(struct bashline_stats, truncated_bytes, PIN_T_U64, PIN_ROLE_COUNTER,
		  PIN_AGG_SUM, PIN_V_BYTES,
		  "Bytes of lines beyond bashline.capture_bytes, in no event."),
};

static const struct pin_map_desc bashline_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct bashline_key),
	  .value_size = sizeof(struct bashline_stats),
	  .keys = bashline_key_fields, .nkeys = PIN_LEN(bashline_key_fields),
	  .values = bashline_stat_fields, .nvalues = PIN_LEN(bashline_stat_fields),
	  .entries_setting = "stats_entries" },
};

static const struct pin_field bashline_line_fields[] = {
	PIN_EV(struct bashline_event, uid, PIN_T_U32, PIN_V_PLAIN, "reader's user id"),
	PIN_EV(struct bashline_event, tty, PIN_T_STR, PIN_V_PLAIN,
	       "controlling terminal (empty: none)"),
	PIN_EV(struct bashline_event, content, PIN_T_BYTES, PIN_V_CONTENT, "the line"),
};

static const struct pin_event_desc bashline_events[] = {
	{ .type = BASHLINE_EV_LINE, .name = "line",
	  .size = sizeof(struct bashline_event),
	  .fields = bashline_line_fields, .nfields = PIN_LEN(bashline_line_fields) },
};

static const struct pin_hook bashline_hooks[] = {
	[BASHLINE_HOOK_READLINE] = { "readline", { "readline_ret" },
				     .targets = "shells", .symbols = "readline" },
	[BASHLINE_HOOK_ZLE_ENTER] = { "zleentry", { "zle_enter" }, .optional = true,
				      .targets = "shells", .symbols = "zleentry" },
	[BASHLINE_HOOK_ZLE] = { "zleentry_ret", { "zle_ret" }, .optional = true,
				.targets = "shells", .symbols = "zleentry" },
};
_Static_assert(PIN_LEN(bashline_hooks) == BASHLINE_HOOK_NR, "bashline: a hook without a table entry");

static const struct pin_setting bashline_settings[] = {
	{ "capture_bytes", "bytes of a line an event carries; the rest is counted",
	  BASHLINE_CAPTURE_DEF, 1, BASHLINE_CAPTURE_MAX },
	{ "interactive_only", "1: only lines read by a process with a controlling terminal",
	  0, 0, 1 },
	{ "shells", "binaries and libraries with readline or zleentry: auto, or paths",
	  0, 0, 0, PIN_SET_TARGETS, .discover = "bash zsh libreadline.so.*" },
	{ "stats_entries", "entries of the stats map: (cgroup, uid, shell) keys",
	  BASHLINE_STATS_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc bashline_module = {
	.name = "bashline",
	.summary = "lines interactive shells read: bash (readline), zsh (zle), with pid, uid, tty",
	.schema_version = BASHLINE_SCHEMA_VERSION,
	.profiles = "capture",
	.filter_task = true,
	.captures_content = true,
	.content_maps = "scratch zle_reads",	/* lines; shells' stack pointers */
	.notes = "lines typed at a prompt, not what scripts run; shells linked elsewhere: bashline.shells",
	.maps = bashline_maps, .nmaps = PIN_LEN(bashline_maps),
	.events = bashline_events, .nevents = PIN_LEN(bashline_events),
	.hooks = bashline_hooks, .nhooks = PIN_LEN(bashline_hooks),
	.settings = bashline_settings, .nsettings = PIN_LEN(bashline_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_BASHLINE_H */
