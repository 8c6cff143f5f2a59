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

/* probe.c */
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
	char fentry_why[128];
};

void probe_features(struct features *f, const char *root);
/* Whether this kernel can run @prog (by its section); @why says why not. */
bool probe_program(const struct features *f, const struct bpf_program *prog,
		   char *why, size_t size);
void probe_release(void);
int ensure_tracefs(void);

/* pinning.c */
/* "<module>.<setting>" = @value from bpfpin.conf; 0 or a usage error */
int setting_set(const char *key, const char *value, char *why, size_t size);
struct up_opts {
	const char *root;
	bool quiet;
};

int root_lock(const char *root, bool create);
void root_unlock(int fd);
int clean_stale(const char *root);
int module_up(const struct up_opts *o, const struct features *f,
	      const struct pin_module_desc *d);
int module_down(const char *root, const struct pin_module_desc *d);
/* Swap in this build's programs, keeping the pinned maps; @reset recreates. */
int module_reload(const struct up_opts *o, const struct features *f,
		  const struct pin_module_desc *d, bool reset);
/* Pick a variant per hook; fills @picked with program names or NULL. */
int module_pick(const struct features *f, struct bpf_object *obj,
		const struct pin_module_desc *d, const char **picked,
		char *why, size_t size);
struct bpf_object *module_open(const struct pin_module_desc *d);

#endif /* __BPFPIN_LOADER_H */
