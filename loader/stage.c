// SPDX-License-Identifier: GPL-2.0
/* stage.c: one module's programs opened, picked, configured, loaded, attached and pinned */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

void fault_point(const char *step)
{
	const char *want = getenv("BPFPIN_FAULT");

	if (want && !strcmp(want, step)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}

struct bpf_object *module_open(const struct pin_module_desc *d)
{
	const struct module_elf *elf = module_elf_find(d->name);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = d->name);
	struct bpf_object *obj;
	const void *bytes;
	size_t size;

	if (!elf) {
		pin_warn("module '%s': not built into this bpfpin-load", d->name);
		errno = ENOENT;
		return NULL;
	}
	bytes = elf->bytes(&size);
	obj = bpf_object__open_mem(bytes, size, &opts);
	if (!obj)
		pin_warn("module '%s': open BPF object: %s", d->name,
			 strerror(errno));
	return obj;
}

void prog_kind(const struct bpf_program *prog, char *buf, size_t size)
{
	const char *sec = bpf_program__section_name(prog);

	snprintf(buf, size, "%.*s", (int)strcspn(sec, "/"), sec);
}

/* Set a `const volatile` global of .rodata before load, found by BTF name. */
static int set_rodata_bytes(struct bpf_object *obj, const char *var,
			    const void *value, size_t len)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	const char *init;
	size_t size;
	void *data;
	int id, i, err;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 &&
		    !strcmp(name + len - 7, ".rodata"))
			break;
	}
	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		init = bpf_map__initial_value(map, &size);
		if (!init || vs->size != len || vs->offset + len > size)
			return -EINVAL;
		data = malloc(size);
		if (!data)
			return -ENOMEM;
		memcpy(data, init, size);
		memcpy((char *)data + vs->offset, value, len);
		err = bpf_map__set_initial_value(map, data, size);
		free(data);
		return err;
	}
	return -ENOENT;
}

static int set_rodata(struct bpf_object *obj, const char *var, __u32 value)
{
	return set_rodata_bytes(obj, var, &value, sizeof(value));
}

/*
 * Each `const volatile __u32 cfg_nargs_TP` of a module: the arguments
 * tracepoint TP takes on this kernel (one gained an argument: the program
 * reads it only where it is there). Left as compiled without BTF for TP.
 */
static int set_tp_nargs(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	const char *name;
	int id, i, n, err;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		name = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
		if (strncmp(name, "cfg_nargs_", 10))
			continue;
		n = probe_tp_nargs(name + 10);
		if (n < 0)
			continue;
		err = set_rodata(obj, name, n);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The verifier's reason and the program it refused, from what libbpf
 * prints when a load fails; programs refused so far (MODULE/PROGRAM,
 * comma-separated), which module_pick() passes over for the next variant.
 */
static char try_reason[160], try_prog[64], refused[512];

static int try_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL, *end, *line;

	if (level != LIBBPF_WARN || vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (!try_prog[0] && strstr(msg, "': failed to load"))
		sscanf(msg, "libbpf: prog '%63[^']'", try_prog);
	/* the line before "processed N insns" says why */
	end = strstr(msg, "\nprocessed ");
	if (end) {
		*end = '\0';
		line = strrchr(msg, '\n');
		snprintf(try_reason, sizeof(try_reason), "%s", line ? line + 1 : msg);
	}
	free(msg);
	return 0;
}

int module_try_load(struct bpf_object *obj, char *why, size_t size)
{
	libbpf_print_fn_t old;
	int err;

	err = set_tp_nargs(obj);
	if (err) {
		snprintf(why, size, "set tracepoint arguments: %s", strerror(-err));
		return err;
	}
	try_reason[0] = try_prog[0] = '\0';
	old = libbpf_set_print(try_print);
	err = bpf_object__load(obj);
	libbpf_set_print(old);
	if (err)
		snprintf(why, size, "load: %s%s%s", strerror(-err),
			 try_reason[0] ? ": " : "", try_reason);
	return err;
}

/* Whether the kernel refused program @prog of module @d in a trial. */
static bool is_refused(const struct pin_module_desc *d, const char *prog)
{
	char key[128];

	snprintf(key, sizeof(key), "%s/%s", d->name, prog);
	return pin_list_has(refused, key);
}

/* Whether the hook of program @prog has a variant after it to try. */
static bool has_next_variant(const struct pin_module_desc *d, const char *prog)
{
	int h, v;

	for (h = 0; h < d->nhooks; h++)
		for (v = 0; v + 1 < PIN_LEN(d->hooks[h].variants); v++)
			if (d->hooks[h].variants[v] && d->hooks[h].variants[v + 1] &&
			    !strcmp(d->hooks[h].variants[v], prog))
				return true;
	return false;
}

int module_probe_load(const struct features *f, const struct pin_module_desc *d,
		      const char **picked, char *why, size_t size)
{
	struct bpf_object *obj;
	size_t len;
	int err, tries;

	for (tries = 0; tries < 8; tries++) {
		obj = module_open(d);
		if (!obj) {
			snprintf(why, size, "not built in");
			return -ENOENT;
		}
		err = module_pick(f, obj, d, picked, why, size);
		if (!err)
			err = module_try_load(obj, why, size);
		bpf_object__close(obj);
		/* a program the kernel refused: its hook's next variant, if any */
		if (!err || !try_prog[0] || is_refused(d, try_prog) ||
		    !has_next_variant(d, try_prog))
			return err;
		len = strlen(refused);
		if (snprintf(refused + len, sizeof(refused) - len, "%s%s/%s", len ? "," : "",
			     d->name, try_prog) >= (int)(sizeof(refused) - len)) {
			refused[len] = '\0';	/* no room: no more retries */
			return err;
		}
		pin_debug("module '%s': %s refused (%s), trying the next variant", d->name,
			 try_prog, why);
		try_prog[0] = '\0';
	}
	return err;
}

int module_pick(const struct features *f, struct bpf_object *obj,
		const struct pin_module_desc *d, const char **picked,
		char *why, size_t size)
{
	/* for tests: a kernel without these hooks (comma-separated names) */
	const char *off = getenv("BPFPIN_NO_HOOK");
	struct bpf_program *prog;
	size_t len = 0, start;
	int h, v, err = 0;

	why[0] = '\0';
	/* only the picked variants load */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (h = 0; h < d->nhooks; h++) {
		const struct pin_hook *hook = &d->hooks[h];
		bool disabled = off && pin_list_has(off, hook->name);

		start = len;
		picked[h] = NULL;
		for (v = 0; v < PIN_LEN(hook->variants) && hook->variants[v]; v++) {
			char reason[160];

			prog = bpf_object__find_program_by_name(obj, hook->variants[v]);
			if (disabled) {
				snprintf(reason, sizeof(reason),
					 "%s: disabled by BPFPIN_NO_HOOK", hook->variants[v]);
			} else if (!prog) {
				snprintf(reason, sizeof(reason), "no program '%s'",
					 hook->variants[v]);
			} else if (is_refused(d, hook->variants[v])) {
				snprintf(reason, sizeof(reason), "%s: refused by the kernel",
					 hook->variants[v]);
			} else if (probe_program(f, prog, reason, sizeof(reason))) {
				bpf_program__set_autoload(prog, true);
				picked[h] = hook->variants[v];
				break;
			}
			if (len < size)
				len += snprintf(why + len, size - len, "%s%s",
						len ? "; " : "", reason);
		}
		if (!picked[h] && !hook->optional && !err) {
			err = -EOPNOTSUPP;
			if (len < size)
				len += snprintf(why + len, size - len,
						" (required hook '%s')", hook->name);
		}
		/* a hook that found a variant needs no excuse */
		if (picked[h] && start < size) {
			len = start;
			why[len] = '\0';
		}
	}
	return err;
}

/*
 * Attach one program. Tracepoints attach by their section; cgroup programs
 * need a cgroup: the root of the cgroup v2 hierarchy, so they see every
 * socket below it.
 */
static struct bpf_link *attach(struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog), *mnt;
	struct bpf_link *link;
	int fd;

	if (strncmp(sec, "cgroup", 6))
		return bpf_program__attach(prog);
	mnt = pin_cgroup2_mount();
	if (!mnt) {
		errno = ENOENT;
		return NULL;
	}
	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	link = bpf_program__attach_cgroup(prog, fd);
	close(fd);
	return link;
}

/* The entries of pinned map @path, or 0 when it is not pinned. */
static __u32 pinned_entries(const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char why[128];
	int fd = pin_obj_get(path, PIN_RDONLY, why, sizeof(why));

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/*
 * A module's settings: map sizes, and cfg_<name> constants. A map already
 * pinned keeps its size (a reload reuses it): say so when that differs.
 */
static int apply_settings(struct bpf_object *obj, const struct settings *settings,
			  const struct pin_module_desc *d, const char *maps_dir)
{
	char name[64], path[PATH_MAX];
	int i, m, h, err;

	for (i = 0; i < d->nsettings; i++) {
		const struct pin_setting *s = &d->settings[i];
		unsigned int v = settings_get(settings, s), pinned;

		snprintf(name, sizeof(name), "cfg_%s", s->name);
		if (s->kind != PIN_SET_NUMBER) {
			static const __u64 none[PIN_SYSCALL_WORDS];
			const __u64 *bits = settings_bits(settings, s);

			err = set_rodata_bytes(obj, name, bits ? bits : none,
					       sizeof(none));
			if (err)
				return err;
			continue;
		}
		err = set_rodata(obj, name, v);
		if (err && err != -ENOENT)
			return err;
		for (m = 0; m < d->nmaps; m++) {
			const struct pin_map_desc *md = &d->maps[m];

			if (!md->entries_setting || strcmp(md->entries_setting, s->name))
				continue;
			for (h = 0; h < 2; h++) {
				struct bpf_map *map;

				snprintf(name, sizeof(name), "%s_%c", md->name, 'a' + h);
				map = bpf_object__find_map_by_name(obj, name);
				if (!map)
					return -ENOENT;
				pin_path(path, sizeof(path), "%s/%s", maps_dir, name);
				pinned = pinned_entries(path);
				if (pinned && pinned != v) {
					if (!h)
						pin_warn("module '%s': %s.%s = %u takes effect with 'reload --reset' (pinned maps have %u entries)",
							 d->name, d->name, s->name, v,
							 pinned);
					v = pinned;
				}
				err = bpf_map__set_max_entries(map, v);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

int stage_check_pinned(struct bpf_object *obj, const struct pin_module_desc *d,
		       const char *maps_dir, bool entries)
{
	char path[PATH_MAX], why[256];
	struct bpf_map *map;
	int fd, err;

	/*
	 * libbpf reuses what stands at a map's pin path when type and sizes
	 * agree, through a symlink too: check name and shape ourselves first.
	 */
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_path(path, sizeof(path), "%s/%s", maps_dir, bpf_map__name(map));
		fd = pin_obj_get(path, PIN_RDONLY, why, sizeof(why));
		if (fd == -ENOENT)
			continue;
		err = fd < 0 ? fd :
		      pin_map_verify(fd, path, bpf_map__type(map),
				     bpf_map__key_size(map), bpf_map__value_size(map),
				     entries ? bpf_map__max_entries(map) : 0, why,
				     sizeof(why));
		if (fd >= 0)
			close(fd);
		if (err) {
			pin_warn("module '%s': map '%s': %s; nothing changed (reload --reset recreates the maps)",
				 d->name, path, why);
			return err == -EACCES || err == -EPERM ? err : -EPROTO;
		}
	}
	return 0;
}

void staged_close(struct staged *st)
{
	bpf_object__close(st->obj);
	st->obj = NULL;
}

/* Attach the picked program of hook @h and pin its link and program. */
static int attach_hook(const struct pin_module_desc *d, struct staged *st,
		       const char *picked, int h, const char *stage, size_t *slen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(st->obj, picked);
	char path[PATH_MAX], kind[32];
	struct bpf_link *link;
	int err;

	prog_kind(prog, kind, sizeof(kind));
	link = attach(prog);
	if (!link) {
		err = -errno;
		if (!d->hooks[h].optional) {
			pin_warn("module '%s': attach '%s' (%s): %s", d->name,
				 picked, kind, strerror(-err));
			return err;
		}
		pin_warn("module '%s': optional hook '%s' not attached: %s",
			 d->name, d->hooks[h].name, strerror(-err));
		st->hooks_missing |= 1u << h;
		return 0;
	}
	pin_path(path, sizeof(path), "%s/links/%s", stage, picked);
	err = bpf_link__pin(link, path);
	if (!err) {
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
	}
	bpf_link__disconnect(link);	/* the pin keeps it attached */
	bpf_link__destroy(link);
	if (err) {
		pin_warn("module '%s': pin '%s': %s", d->name, path, strerror(-err));
		return err;
	}
	if (*slen < sizeof(st->summary))
		*slen += snprintf(st->summary + *slen, sizeof(st->summary) - *slen,
				  "%s%s=%s", *slen ? " " : "", d->hooks[h].name,
				  kind);
	return 0;
}

int stage_module(const struct features *f, const struct settings *settings,
		 const struct pin_module_desc *d, __u32 gen,
		 const char *maps_dir, const char *stage, struct staged *st)
{
	const char *picked[BPFPIN_MAX_HOOKS] = {};
	char path[PATH_MAX];
	struct bpf_map *map;
	size_t slen = 0;
	int h, err;

	memset(st, 0, sizeof(*st));
	/* a trial load first: variants the kernel refuses are passed over */
	module_probe_load(f, d, picked, st->why, sizeof(st->why));
	st->obj = module_open(d);
	if (!st->obj)
		return -errno;
	err = module_pick(f, st->obj, d, picked, st->why, sizeof(st->why));
	if (err) {
		pin_warn("module '%s': cannot load on this kernel: %s", d->name,
			 st->why);
		return err;
	}
	/* what every module is told: its generation, the host's page size */
	err = set_rodata(st->obj, "cfg_generation", gen);
	if (!err)
		err = set_rodata(st->obj, "cfg_page_size", sysconf(_SC_PAGESIZE));
	if (!err)
		err = set_tp_nargs(st->obj);
	if (!err)
		err = apply_settings(st->obj, settings, d, maps_dir);
	if (err) {
		pin_warn("module '%s': configure before load: %s", d->name,
			 strerror(-err));
		return err;
	}
	err = stage_check_pinned(st->obj, d, maps_dir, true);
	if (err)
		return err;
	bpf_object__for_each_map(map, st->obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_path(path, sizeof(path), "%s/%s", maps_dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	err = bpf_object__load(st->obj);
	if (err) {
		pin_warn("module '%s': load failed: %s (run with -vv for the verifier log)",
			 d->name, strerror(-err));
		return err;
	}
	fault_point("loaded");
	for (h = 0; h < d->nhooks && !err; h++) {
		if (!picked[h]) {
			if (!d->hooks[h].extra)
				st->hooks_missing |= 1u << h;
		} else
			err = attach_hook(d, st, picked[h], h, stage, &slen);
	}
	if (!err)
		fault_point("attached");
	return err;
}
