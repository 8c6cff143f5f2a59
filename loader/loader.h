/* SPDX-License-Identifier: GPL-2.0 */
/* loader.h: what the parts of bpfpin-load share */
#ifndef __BPFPIN_LOADER_H
#define __BPFPIN_LOADER_H

#include <bpf/libbpf.h>
#include "pin.h"

/* registry.c: each module's BPF object, embedded through its skeleton */
struct module_elf {
	const char *name;
	const void *(*bytes)(size_t *size);
};

const struct module_elf *module_elf_find(const char *name);

/* probe.c: what this kernel offers */
struct features {
	bool btf;
	bool bpffs;
	bool tracefs;
	bool kprobes;
	bool fentry;
	bool uprobes;
	bool ringbuf;
	bool cgroup_v2;
	bool bpf_stats;
	bool netfilter;
	char fentry_why[128];
	char netfilter_why[128];
};

/*
 * Netfilter programs and links (Linux 6.4), which libbpf 1.1 and the 6.1
 * uapi headers predate: numbers from the kernel's uapi/linux/bpf.h.
 */
#define PIN_PROG_TYPE_NETFILTER	32	/* BPF_PROG_TYPE_NETFILTER */
#define PIN_ATTACH_NETFILTER	45	/* BPF_NETFILTER */

void probe_features(struct features *f, const char *root);
/* Whether this kernel can run @prog (by its section); @why says why not. */
bool probe_program(const struct features *f, const struct bpf_program *prog,
		   char *why, size_t size);
void probe_release(void);
/* The arguments tracepoint @tp takes on this kernel (its BTF), or -errno. */
int probe_tp_nargs(const char *tp);
int ensure_tracefs(void);
/* Whether tracefs is mounted; if not (and root), mount it privately. */
bool peek_tracefs(void);

/* config.c: the settings bpfpin.conf gives modules, "<module>.<name> = N" */
#define MAX_SETTINGS 64

struct settings {
	struct {
		const struct pin_setting *s;
		unsigned int value;
		__u64 bits[PIN_SYSCALL_WORDS];	/* PIN_SET_SYSCALLS, _ERRNOS */
		char text[1024];		/* PIN_SET_TARGETS, _NETNS */
	} v[MAX_SETTINGS];
	int n;
	/* filters, events and budgets: "<module>.filter.<key>",
	 * "<module>.events", "<module>.max_events_per_s" */
	struct {
		const struct pin_module_desc *d;
		struct bpfpin_filter f;
	} filters[MAX_SETTINGS];
	int nfilters;
};

/* Set "<module>.<setting>" to @value; -EINVAL with the cause in @why. */
int settings_set(struct settings *st, const char *key, const char *value,
		 char *why, size_t size);
/* The filter the settings give module @d, or NULL for none. */
const struct bpfpin_filter *settings_filter(const struct settings *st,
					    const struct pin_module_desc *d);
/* The value of @s: set by the config, else its default. */
unsigned int settings_get(const struct settings *st, const struct pin_setting *s);
/* The bitmap of a name-list setting @s, or NULL when not set (none). */
const __u64 *settings_bits(const struct settings *st, const struct pin_setting *s);
/*
 * The value of PIN_SET_TARGETS or PIN_SET_NETNS setting @s: set by the
 * config, else "auto" or "self".
 */
const char *settings_text(const struct settings *st, const struct pin_setting *s);
/* Module @d's setting named @name, or NULL. */
const struct pin_setting *settings_find(const struct pin_module_desc *d,
					const char *name);

/* tree.c: the pin tree, walked without ever following a symlink */

/*
 * Open directory @name under @dirfd (@path names it in messages) for the
 * loader to act in: a real directory (not a symlink) on bpffs, owned by
 * root and writable by nobody else when root runs the loader.
 * Return: fd; -ENOENT quietly; -EPROTO or another -errno after one message.
 */
int tree_open_dir(int dirfd, const char *name, const char *path);
/* Unpin everything below @name and remove it: links first, then the rest. */
int tree_remove(int dirfd, const char *name, const char *path);
/* Owner root, group @gid; directories 0750, pins 0640 or 0600 (content). */
int tree_set_modes(int dirfd, const char *name, const char *path, gid_t gid,
		   const struct pin_module_desc *d);
/*
 * What stands at <root>/<module> must be a bpfpin module: real directories
 * maps/progs/links holding pins only, and a meta map of the right shape
 * (whose value goes to @meta). Return: 0, or -EPROTO after one message.
 */
int tree_check_module(int root_fd, const char *root,
		      const struct pin_module_desc *d, struct bpfpin_meta *meta);

/* root.c: the pin root */

/*
 * Open the pin root, verified as tree_open_dir() does; with @create, mount
 * bpffs at its parent when there is none and make the root (0750, group
 * bpfpin). Return: fd, or a negative errno after one message.
 */
int root_open(const char *root, bool create);
/*
 * Serialise up, down and reload on @root, waiting up to @wait_s seconds.
 * Return: fd to close, or -EBUSY, -EINTR, ... after one message.
 */
int root_lock(const char *root, double wait_s);

/* stage.c: one module's programs, loaded, attached and pinned */
struct staged {
	struct bpf_object *obj;
	__u32 gen;		/* the generation being loaded */
	__u32 hooks_missing;
	char summary[512];
	char why[1024];
	char targets[4096];	/* user-space hooks: a line per target */
};

/*
 * Load @obj (its variants picked) into the kernel and close nothing: what
 * 'check' does to know the module loads here. @why: the verifier's reason.
 */
int module_try_load(struct bpf_object *obj, char *why, size_t size);
/*
 * Open, pick and load module @d until the kernel takes it: a program it
 * refuses (a tp_btf whose arguments its verifier will not read) is passed
 * over for its hook's next variant, here and by later module_pick() calls.
 * @picked as module_pick()'s; 0, or -errno with @why.
 */
int module_probe_load(const struct features *f, const struct pin_module_desc *d,
		      const char **picked, char *why, size_t size);
struct bpf_object *module_open(const struct pin_module_desc *d);
/* Pick a variant per hook; fills @picked with program names or NULL. */
int module_pick(const struct features *f, struct bpf_object *obj,
		const struct pin_module_desc *d, const char **picked,
		char *why, size_t size);
/*
 * The program type of @prog as its section says it: "tp_btf", "raw_tp"...,
 * with ":<target>" when it traces another point than hook @hook names,
 * and "(<program>)" when it is a fallback of the same kind as the first
 */
void prog_kind(const struct bpf_object *obj, const struct bpf_program *prog,
	       const struct pin_hook *hook, char *buf, size_t size);
/*
 * Open, pick, configure for generation @gen, load (maps pinned under, or
 * reused from, @maps_dir), attach, and pin links and programs under @stage.
 */
int stage_module(const struct features *f, const struct settings *settings,
		 const struct pin_module_desc *d, __u32 gen,
		 const char *maps_dir, const char *stage, struct staged *st);
/*
 * Check every map pinned in @maps_dir against @obj's definitions: name,
 * type, key and value size, and with @entries the number of entries.
 */
int stage_check_pinned(struct bpf_object *obj, const struct pin_module_desc *d,
		       const char *maps_dir, bool entries);
void staged_close(struct staged *st);
/* Run the module's seed programs once each (after the gate opens). */
void stage_seed(const struct pin_module_desc *d, struct staged *st);

/*
 * BPFPIN_FAULT=<step> kills the loader at that step, so tests can prove that
 * every interruption leaves a state the next run repairs.
 */
void fault_point(const char *step);

/* targets.c: the binaries and libraries user-space hooks attach to */
struct target {
	char path[PATH_MAX];	/* as opened: /proc/PID/root/... in a container */
	char from[32];		/* where found: setting, ldconfig, PATH, pid N */
	dev_t dev;		/* one target per file, however reached */
	ino_t ino;
	int fd;			/* the file checked, read and attached to */
};

struct targets {
	struct target *v;
	int n;
	char why[512];		/* paths the setting names that cannot be read */
	bool full;		/* more files found than are taken */
};

/*
 * The targets of PIN_SET_TARGETS setting @s: the paths its value names,
 * and with "auto" what its discovery rule finds. Return: 0 (@t->n may be
 * 0), or a negative errno; targets_free() what it gives (it closes the
 * targets' fds).
 */
int targets_find(const struct settings *st, const struct pin_setting *s,
		 struct targets *t);
void targets_free(struct targets *t);
/*
 * The file offset of the first function of @symbols (space-separated,
 * shell patterns allowed) that ELF file @path defines; its name goes to
 * @found. Return: 0, -ENOENT (none there), -ENOEXEC (not ELF) or -errno.
 */
int target_symbol(const char *path, const char *symbols, char *found,
		  size_t fsize, size_t *offset);
/*
 * Attach @prog, the variant picked for user-space hook @h of @d, to every
 * target its setting gives, pinning one link each under @links_dir: the
 * first as the program's name, the others <name>-2, <name>-3... With @prog
 * NULL, only look. Each target attached or skipped (and why) adds a line
 * to @report. Return: the number of targets attached (or that would be),
 * or a negative errno after one message.
 */
int targets_attach(const struct settings *st, const struct pin_module_desc *d,
		   int h, struct bpf_program *prog, const char *links_dir,
		   char *report, size_t size);

/* lifecycle.c: up, down, reload, and repairing what a killed loader left */
struct loader {
	const char *root;
	int root_fd;
	const struct features *features;
	const struct settings *settings;
	double wait_s;
	bool quiet;
};

int module_up(const struct loader *l, const struct pin_module_desc *d);
int module_down(const struct loader *l, const struct pin_module_desc *d);
/* Swap in this build's programs, keeping the pinned maps; @reset recreates. */
int module_reload(const struct loader *l, const struct pin_module_desc *d,
		  bool reset);
int clean_stale(const struct loader *l);
/*
 * Replace the filter of loaded module @d with @f (NULL or empty: none) in
 * one map update, and say what is in force.
 */
int module_filter(const struct loader *l, const struct pin_module_desc *d,
		  const struct bpfpin_filter *f);

#endif /* __BPFPIN_LOADER_H */
