/* SPDX-License-Identifier: GPL-2.0 */
/* desc.h: how a module describes its maps, events and hooks to user space */
#ifndef __BPFPIN_DESC_H
#define __BPFPIN_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

enum pin_type {
	PIN_T_U64,
	PIN_T_U32,
	PIN_T_S32,
	PIN_T_U16,
	PIN_T_U8,
	PIN_T_STR,	/* NUL-padded char array */
	PIN_T_BYTES,	/* raw bytes (an address): compared as bytes */
	PIN_T_HIST,	/* struct bpfpin_hist: summed slot by slot */
	PIN_T_S64,
};

/* What a field is to the readers and the writers. */
enum pin_role {
	PIN_ROLE_LABEL,		/* identifies a row: key field, event field */
	PIN_ROLE_COUNTER,	/* monotonic count: Prometheus counter */
	PIN_ROLE_GAUGE,		/* a level: Prometheus gauge */
};

/* How per-CPU copies of a value combine. */
enum pin_agg {
	PIN_AGG_SUM,
	PIN_AGG_MAX,
};

/* How a field is shown beyond its raw number. */
enum pin_view {
	PIN_V_PLAIN,
	PIN_V_CGROUP,		/* cgroup v2 id: adds its path as `label`, and
				 * `container` for a stats key */
	PIN_V_DURATION,		/* nanoseconds */
	PIN_V_BYTES,
	PIN_V_CONTAINER,	/* container id: 12 characters in tables */
	PIN_V_SYSCALL,		/* syscall number: adds its name as `label` */
	PIN_V_NAMES,		/* small number shown as names[value] */
	PIN_V_MEMCG,		/* memory cgroup id: adds its path as `label`,
				 * in the v1 memory hierarchy where there is one */
	PIN_V_IP,		/* 16 bytes, IPv6 or IPv4-mapped: shown as text */
	PIN_V_DNS,		/* struct bpfpin_dns_capture: adds qname, qtype */
	PIN_V_ERRNO,		/* errno number: adds its name (ENOENT) as `label` */
	PIN_V_CONTENT,		/* struct bpfpin_content (PIN_T_BYTES), the
				 * event's last field: its data follows */
};

struct pin_field {
	const char *name;
	unsigned short offset;
	unsigned short size;
	enum pin_type type;
	enum pin_role role;
	enum pin_agg agg;
	enum pin_view view;
	const char *help;
	const char *label;		/* the column a view adds */
	const char *const *names;	/* PIN_V_NAMES */
	unsigned int nnames;
};

/* A stats map: per-CPU, key fields then value fields. */
struct pin_map_desc {
	const char *name;		/* pin name under maps/ */
	__u32 type;			/* enum bpf_map_type */
	unsigned int key_size;
	unsigned int value_size;
	const struct pin_field *keys;
	int nkeys;
	const struct pin_field *values;
	int nvalues;
	const char *entries_setting;	/* the setting that sizes it, if any */
};

struct pin_event_desc {
	unsigned int type;
	const char *name;
	unsigned int size;		/* whole event, header included */
	const struct pin_field *fields;	/* after the common header */
	int nfields;
};

/* A hook and its program variants, preferred first. */
struct pin_hook {
	const char *name;
	const char *variants[4];
	bool optional;
	/* optional, and only where kprobes/fentry work: not loading it is no
	 * degradation (the module's notes say what it adds) */
	bool extra;
};

/* What a setting's value is. */
enum pin_setting_kind {
	PIN_SET_NUMBER,		/* a number from min to max: a __u32 */
	PIN_SET_SYSCALLS,	/* syscall names, comma-separated: a bitmap,
				 * __u64[PIN_SYSCALL_WORDS], bit nr set */
	PIN_SET_ERRNOS,		/* errno names (ENOENT) or numbers, the same */
};

/* Numbers a PIN_SET_SYSCALLS or _ERRNOS bitmap holds: below 64 x this. */
#define PIN_SYSCALL_WORDS 8

/*
 * A number bpfpin.conf can set per module, as "<module>.<name> = value":
 * it sizes the maps whose entries_setting names it, and sets the BPF
 * constant cfg_<name> where the module has one.
 */
struct pin_setting {
	const char *name;
	const char *help;
	unsigned int def;
	unsigned int min;
	unsigned int max;
	enum pin_setting_kind kind;
};

struct pin_module_desc {
	const char *name;
	const char *summary;
	unsigned int schema_version;
	const char *profiles;		/* space-separated, e.g. "default process" */
	const char *notes;		/* limits worth knowing; 'check' prints them */
	bool filter_task;		/* hooks run in (or name) a task: pid,
					 * comm and uid filters apply; else
					 * only cgroup and no_system do, on the
					 * socket's cgroup */
	bool captures_content;		/* events hold content: the ring and
					 * content_maps are root-only (0600) */
	const char *content_maps;	/* space-separated map names */
	const struct pin_map_desc *maps;
	int nmaps;
	const struct pin_event_desc *events;
	int nevents;
	const struct pin_hook *hooks;
	int nhooks;
	const struct pin_setting *settings;
	int nsettings;
};

#define PIN_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PIN_SIZEOF(s, m) sizeof(((s *)0)->m)

/* Field initialisers: name, offset and size come from the struct itself. */
#define PIN_FIELD(s, m, t, r, a, v, h)					\
	{ .name = #m, .offset = offsetof(s, m),				\
	  .size = PIN_SIZEOF(s, m), .type = t, .role = r, .agg = a,	\
	  .view = v, .help = h }
#define PIN_KEY(s, m, t, v, h) PIN_FIELD(s, m, t, PIN_ROLE_LABEL, PIN_AGG_SUM, v, h)
#define PIN_COUNTER(s, m, h) \
	PIN_FIELD(s, m, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_PLAIN, h)
/* A log2 histogram of microseconds (struct bpfpin_hist). */
#define PIN_HIST(s, m, h) \
	PIN_FIELD(s, m, PIN_T_HIST, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_DURATION, h)
#define PIN_GAUGE_MAX(s, m, v, h) \
	PIN_FIELD(s, m, PIN_T_U64, PIN_ROLE_GAUGE, PIN_AGG_MAX, v, h)
#define PIN_EV(s, m, t, v, h) PIN_FIELD(s, m, t, PIN_ROLE_LABEL, PIN_AGG_SUM, v, h)
/* A field whose view adds a column named @l (cgroup path, syscall name). */
#define PIN_LABELLED(s, m, t, v, l, h)					\
	{ .name = #m, .offset = offsetof(s, m),				\
	  .size = PIN_SIZEOF(s, m), .type = t, .role = PIN_ROLE_LABEL,	\
	  .view = v, .help = h, .label = l }
/* A small number shown by name. */
#define PIN_NAMED(s, m, n, h)						\
	{ .name = #m, .offset = offsetof(s, m),				\
	  .size = PIN_SIZEOF(s, m), .type = PIN_T_U32,			\
	  .role = PIN_ROLE_LABEL, .view = PIN_V_NAMES, .help = h,	\
	  .names = n, .nnames = PIN_LEN(n) }

#endif /* __BPFPIN_DESC_H */
