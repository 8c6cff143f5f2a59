// SPDX-License-Identifier: GPL-2.0
/* check-tables.c: at build time, each description table names what its object holds */
/*
 * The loader and readers find programs, maps and constants by the names in
 * bpf/<module>.h; the BPF object gets them from bpf/<module>.bpf.c. This
 * opens each object of the build (embedded through its skeleton, as the
 * loader does; opening loads nothing, so it needs no root) and prints one
 * line per disagreement. Any line fails the build.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "modules.h"	/* generated from MODULES: every <module>.h */
#include "skels.h"	/* and every <module>.skel.h */

#ifndef CHECK_BUILD_DIR
#define CHECK_BUILD_DIR "build"
#endif

struct module {
	const struct pin_module_desc *desc;
	const void *(*elf)(size_t *size);
};

#define X(m) { &m##_module, m##_bpf__elf_bytes },
static const struct module modules[] = { BPFPIN_MODULES };
#undef X

static const struct pin_module_desc *cur;
static int problems;

__attribute__((format(printf, 1, 2)))
static void problem(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "check-tables: module '%s', object '%s/%s.bpf.o': ",
		cur->name, CHECK_BUILD_DIR, cur->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const char *type_str(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

/* The hook whose variants include program @name, or -1; @n counts them. */
static int hook_of(const char *name, int *n)
{
	int h, v, found = -1;

	*n = 0;
	for (h = 0; h < cur->nhooks; h++)
		for (v = 0; v < PIN_HOOK_VARIANTS && cur->hooks[h].variants[v]; v++)
			if (!strcmp(cur->hooks[h].variants[v], name)) {
				found = h;
				(*n)++;
			}
	return found;
}

static bool is_targets(const char *name)
{
	int i;

	for (i = 0; i < cur->nsettings; i++)
		if (!strcmp(cur->settings[i].name, name))
			return cur->settings[i].kind == PIN_SET_TARGETS;
	return false;
}

static bool is_user_section(const char *sec)
{
	return !strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9);
}

/* A uprobe program attaches only through a hook's targets, and only it does. */
static void check_user_hook(const struct pin_hook *hook, const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	if (hook->targets && !is_user_section(sec))
		problem("hook '%s': program '%s' (section '%s') is no uprobe or uretprobe, but the hook names targets",
			hook->name, bpf_program__name(prog), sec);
	if (!hook->targets && is_user_section(sec))
		problem("hook '%s': program '%s' (section '%s') needs the hook to name a targets setting and symbols",
			hook->name, bpf_program__name(prog), sec);
}


/* Whether @name is one of the module's seed_programs (space-separated). */
static bool is_seed(const char *name)
{
	const char *p = cur->seed_programs;
	size_t len = strlen(name), n;

	while (p && *p) {
		n = strcspn(p, " ");
		if (n == len && !strncmp(p, name, n))
			return true;
		p += n + !!p[n];
	}
	return false;
}

static void check_hooks(struct bpf_object *obj)
{
	struct bpf_program *prog;
	const char *p;
	char seed[64];
	size_t len;
	int h, v, n;

	if (cur->nhooks > BPFPIN_MAX_HOOKS)
		problem("%d hooks, more than the %d handoff slots", cur->nhooks,
			BPFPIN_MAX_HOOKS);
	for (h = 0; h < cur->nhooks; h++) {
		const struct pin_hook *hook = &cur->hooks[h];

		if (!hook->name || !hook->variants[0]) {
			problem("hook %d has no name or no program (a gap in the hook enum?)", h);
			continue;
		}
		for (v = 0; v < PIN_HOOK_VARIANTS && hook->variants[v]; v++) {
			prog = bpf_object__find_program_by_name(obj, hook->variants[v]);
			if (!prog)
				problem("hook '%s': no program '%s' in the object",
					hook->name, hook->variants[v]);
			else
				check_user_hook(hook, prog);
			if (prog && !strncmp(bpf_program__section_name(prog), "netfilter/", 10) &&
			    !hook->netns)
				problem("hook '%s': netfilter program '%s' needs the hook to name a netns setting",
					hook->name, hook->variants[v]);
		}
		if (hook->targets && !is_targets(hook->targets))
			problem("hook '%s': targets setting '%s' is no PIN_SET_TARGETS setting of the table",
				hook->name, hook->targets);
		if (hook->targets && (!hook->symbols || !hook->symbols[0]))
			problem("hook '%s': targets but no symbols", hook->name);
		if (!hook->targets && hook->symbols)
			problem("hook '%s': symbols but no targets setting", hook->name);
	}
	for (p = cur->seed_programs; p && *p; p += len + !!p[len]) {
		len = strcspn(p, " ");
		snprintf(seed, sizeof(seed), "%.*s", (int)len, p);
		if (!bpf_object__find_program_by_name(obj, seed))
			problem("seed program '%s' is not in the object", seed);
	}
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);

		if (is_seed(name)) {
			if (strncmp(bpf_program__section_name(prog), "iter/", 5))
				problem("seed program '%s' is not an iterator (section '%s')",
					name, bpf_program__section_name(prog));
		} else if (hook_of(name, &n) < 0)
			problem("program '%s' (section '%s') is no hook's variant in the table",
				name, bpf_program__section_name(prog));
		else if (n > 1)
			problem("program '%s' is a variant of %d hooks", name, n);
	}
}

/* Map @name exists, of @type; its key and value sizes if @ksize. */
static void check_map(struct bpf_object *obj, const char *name, __u32 type,
		      unsigned int ksize, unsigned int vsize)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map) {
		problem("no map '%s' in the object", name);
		return;
	}
	if (bpf_map__type(map) != type)
		problem("map '%s': type %s, the table says %s", name,
			type_str(bpf_map__type(map)), type_str(type));
	if (!ksize)
		return;
	if (bpf_map__key_size(map) != ksize)
		problem("map '%s': key size %u, the table says %u", name,
			bpf_map__key_size(map), ksize);
	if (bpf_map__value_size(map) != vsize)
		problem("map '%s': value size %u, the table says %u", name,
			bpf_map__value_size(map), vsize);
}

static void check_fields(const char *what, const char *name,
			 const struct pin_field *f, int n, unsigned int size)
{
	int i;

	for (i = 0; i < n; i++)
		if (f[i].offset + f[i].size > size)
			problem("%s '%s': field '%s' ends at %u, past its %u bytes",
				what, name, f[i].name, f[i].offset + f[i].size, size);
}

static bool has_setting(const char *name)
{
	int i;

	for (i = 0; i < cur->nsettings; i++)
		if (!strcmp(cur->settings[i].name, name))
			return true;
	return false;
}

static void check_maps(struct bpf_object *obj)
{
	char name[64];
	int i;

	for (i = 0; i < cur->nmaps; i++) {
		const struct pin_map_desc *md = &cur->maps[i];

		snprintf(name, sizeof(name), "%s_a", md->name);
		check_map(obj, name, md->type, md->key_size, md->value_size);
		snprintf(name, sizeof(name), "%s_b", md->name);
		check_map(obj, name, md->type, md->key_size, md->value_size);
		snprintf(name, sizeof(name), "%s_slot", md->name);
		check_map(obj, name, BPF_MAP_TYPE_ARRAY_OF_MAPS, 0, 0);
		check_fields("stats map key", md->name, md->keys, md->nkeys,
			     md->key_size);
		check_fields("stats map value", md->name, md->values, md->nvalues,
			     md->value_size);
		if (md->entries_setting && !has_setting(md->entries_setting))
			problem("stats map '%s': sized by setting '%s', which the table does not have",
				md->name, md->entries_setting);
	}
}

static void check_events(struct bpf_object *obj)
{
	struct bpf_map *ring = bpf_object__find_map_by_name(obj, "events");
	int i;

	if (ring && bpf_map__type(ring) != BPF_MAP_TYPE_RINGBUF)
		problem("map 'events' is a %s, not a ringbuf",
			type_str(bpf_map__type(ring)));
	if (cur->nevents && !ring)
		problem("%d event types in the table, but no map 'events'",
			cur->nevents);
	if (!cur->nevents && ring)
		problem("map 'events' in the object, but no event types in the table");
	for (i = 0; i < cur->nevents; i++) {
		const struct pin_event_desc *e = &cur->events[i];

		if (e->size < sizeof(struct bpfpin_event_hdr))
			problem("event '%s': size %u, less than its %zu-byte header",
				e->name, e->size, sizeof(struct bpfpin_event_hdr));
		check_fields("event", e->name, e->fields, e->nfields, e->size);
	}
}

/* The size of .rodata variable @var (found by BTF, as the loader sets it), or 0. */
static unsigned int rodata_size(struct bpf_object *obj, const char *var)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	int id, i;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, t->name_off), var))
			return vs->size;
	}
	return 0;
}

/* A targets setting: a discovery rule for "auto", a hook that uses it, no constant. */
static void check_targets_setting(const struct pin_setting *s, unsigned int size)
{
	bool used = false;
	int h;

	if (!s->discover || !s->discover[0])
		problem("setting '%s': PIN_SET_TARGETS without a discover rule for 'auto'",
			s->name);
	if (size)
		problem("setting '%s': PIN_SET_TARGETS is the loader's alone, but the object has a constant 'cfg_%s'",
			s->name, s->name);
	for (h = 0; h < cur->nhooks; h++)
		used |= cur->hooks[h].targets && !strcmp(cur->hooks[h].targets, s->name);
	if (!used)
		problem("setting '%s': PIN_SET_TARGETS that no hook names", s->name);
}

static void check_settings(struct bpf_object *obj)
{
	char var[64];
	unsigned int size;
	bool sizes;
	int i, m;

	for (i = 0; i < cur->nsettings; i++) {
		const char *name = cur->settings[i].name;

		snprintf(var, sizeof(var), "cfg_%s", name);
		size = rodata_size(obj, var);
		if (cur->settings[i].kind == PIN_SET_TARGETS) {
			check_targets_setting(&cur->settings[i], size);
			continue;
		}
		if (cur->settings[i].kind == PIN_SET_NETNS) {
			if (size)
				problem("setting '%s': PIN_SET_NETNS is the loader's alone, but the object has a constant 'cfg_%s'",
					name, name);
			continue;
		}
		if (cur->settings[i].kind != PIN_SET_NUMBER) {
			if (size != PIN_SYSCALL_WORDS * sizeof(__u64))
				problem("setting '%s': constant '%s' is %u bytes, the loader writes a %zu-byte bitmap",
					name, var, size, PIN_SYSCALL_WORDS * sizeof(__u64));
			continue;
		}
		if (size && size != sizeof(__u32))
			problem("setting '%s': constant '%s' is %u bytes, the loader writes a __u32",
				name, var, size);
		sizes = false;
		for (m = 0; m < cur->nmaps; m++)
			if (cur->maps[m].entries_setting &&
			    !strcmp(cur->maps[m].entries_setting, name))
				sizes = true;
		if (!size && !sizes)
			problem("setting '%s': no constant '%s' in .rodata and no map it sizes",
				name, var);
	}
}

static void check_content_maps(struct bpf_object *obj)
{
	char name[64];
	const char *p = cur->content_maps;
	size_t n;

	while (p && *p) {
		n = strcspn(p, " ");
		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			if (!bpf_object__find_map_by_name(obj, name))
				problem("content map '%s': no such map in the object",
					name);
		}
		p += n + (p[n] == ' ');
	}
}

int main(void)
{
	struct bpf_object *obj;
	const void *bytes;
	size_t i, size;

	libbpf_set_print(silent);
	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		LIBBPF_OPTS(bpf_object_open_opts, opts,
			    .object_name = modules[i].desc->name);

		cur = modules[i].desc;
		bytes = modules[i].elf(&size);
		obj = bpf_object__open_mem(bytes, size, &opts);
		if (!obj) {
			problem("cannot open: %s", strerror(errno));
			continue;
		}
		check_hooks(obj);
		check_maps(obj);
		check_events(obj);
		check_settings(obj);
		check_content_maps(obj);
		bpf_object__close(obj);
	}
	return problems ? 1 : 0;
}
