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
	PIN_V_CGPATH,		/* a cgroup path (PIN_T_STR): adds the
				 * container id it names as `label` */
	PIN_V_KEYLOG,		/* struct bpfpin_keylog: its SSLKEYLOGFILE
				 * line, as `keylog` */
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

/* e.g. tp_btf, raw_tp, fentry, kprobe, then an older tracepoint's two */
#define PIN_HOOK_VARIANTS 6

/*
 * A hook and its program variants, preferred first. A user-space hook
 * (uprobe or uretprobe variants) also names @targets, the PIN_SET_TARGETS
 * setting that gives its binaries and libraries, and @symbols: the
 * functions to attach to, space-separated, tried in order in each target
 * (the first found wins there); a shell pattern (fnmatch, e.g.
 * "_Z16dispatch_command*") matches a mangled C++ name in the symbol table.
 * The program attaches to every target that has one of them: one link each.
 */
struct pin_hook {
	const char *name;
	const char *variants[PIN_HOOK_VARIANTS];
	bool optional;
	const char *targets;		/* a PIN_SET_TARGETS setting's name */
	const char *symbols;
	/*
	 * A netfilter hook (section "netfilter/<ipv4|ipv6>/<hook>/<priority>"):
	 * the PIN_SET_NETNS setting naming the network namespaces to attach
	 * it in, one link each
	 */
	const char *netns;
	/* optional, and only where kprobes/fentry work: not loading it is no
	 * degradation (the module's notes say what it adds) */
	bool extra;
	/*
	 * "TRACEPOINT N": not needed (not loaded, "not needed" in check's
	 * reasons) where TRACEPOINT takes N arguments or more, a kernel whose
	 * tracepoint sees what this hook is for
	 */
	const char *unless_tp_args;
};

/* What a setting's value is. */
enum pin_setting_kind {
	PIN_SET_NUMBER,		/* a number from min to max: a __u32 */
	PIN_SET_SYSCALLS,	/* syscall names, comma-separated: a bitmap,
				 * __u64[PIN_SYSCALL_WORDS], bit nr set */
	PIN_SET_ERRNOS,		/* errno names (ENOENT) or numbers, the same */
	PIN_SET_TARGETS,	/* binaries and libraries of user-space hooks:
				 * "auto" (the default: found by @discover)
				 * and/or paths, comma-separated; the loader's
				 * alone, no BPF constant */
	PIN_SET_NETNS,		/* network namespaces of netfilter hooks:
				 * "self" (the default: the loader's own)
				 * and/or paths (/proc/PID/ns/net,
				 * /run/netns/NAME); the loader's alone */
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
	/*
	 * PIN_SET_TARGETS: the file names "auto" looks for, space-separated
	 * shell patterns matched against a file's base name (e.g.
	 * "libssl.so.3 libgnutls.so.30"): in ldconfig's cache, in $PATH
	 * (names without a pattern), and among the objects running processes
	 * have mapped, containers' included (through /proc/PID/root)
	 */
	const char *discover;
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
	const char *filter_scope;	/* else: why pid, comm and uid are
					 * refused, ending "module 'M' has no
					 * pid filter: "; NULL: its sockets'
					 * cgroups */
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
	/*
	 * Iterator programs (SEC("iter/<target>")), space-separated, that the
	 * loader runs once each, in this order, after the gate opens at up
	 * and reload: they seed state that predates the load. One that this
	 * kernel cannot run is reported and skipped.
	 */
	const char *seed_programs;
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
/* A log2 histogram of microseconds, summed in ns (struct bpfpin_hist). */
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
