// SPDX-License-Identifier: GPL-2.0
/* stage.c: one module's programs opened, picked, configured, loaded, attached and pinned */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
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

/*
 * BPF netfilter programs (Linux 6.4): libbpf 1.1 and these uapi headers
 * predate them, so the numbers and the link_create layout are spelled out
 * here. A section "netfilter/<ipv4|ipv6>/<hook>/<priority>" says where the
 * link goes; the link is made in the loader's network namespace.
 */
#define BPFPIN_PROG_TYPE_NETFILTER	32
#define BPFPIN_NETFILTER		45

struct nf_link_create {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u32 pf;
	__u32 hooknum;
	__s32 priority;
	__u32 nf_flags;
};

static bool is_netfilter(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "netfilter/", 10);
}

/* Programs of sections libbpf does not know get their type before load. */
static void set_types(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (!is_netfilter(prog))
			continue;
		bpf_program__set_type(prog, BPFPIN_PROG_TYPE_NETFILTER);
		bpf_program__set_expected_attach_type(prog, BPFPIN_NETFILTER);
	}
}

/* A netfilter link for @prog, as its section says. Return: fd, or -errno. */
static int attach_netfilter(const struct bpf_program *prog)
{
	static const char *const hooks[] = {
		"pre_routing", "local_in", "forward", "local_out", "post_routing",
	};
	const char *sec = bpf_program__section_name(prog);
	char family[8] = "", hook[16] = "";
	union bpf_attr attr;
	struct nf_link_create *a = (void *)&attr;
	int prio, fd;
	size_t h;

	if (sscanf(sec, "netfilter/%7[^/]/%15[^/]/%d", family, hook, &prio) != 3)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	a->prog_fd = bpf_program__fd(prog);
	a->attach_type = BPFPIN_NETFILTER;
	a->pf = !strcmp(family, "ipv4") ? 2 : !strcmp(family, "ipv6") ? 10 : 0;
	for (h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++)
		if (!strcmp(hook, hooks[h]))
			break;
	if (!a->pf || h == sizeof(hooks) / sizeof(hooks[0]))
		return -EINVAL;
	a->hooknum = h;
	a->priority = prio;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Attach a netfilter program of hook @h and pin its link. */
static int pin_netfilter(const struct pin_module_desc *d, struct bpf_program *prog,
			 const char *picked, int h, const char *path)
{
	int fd = attach_netfilter(prog), err;

	if (fd < 0) {
		if (!d->hooks[h].optional) {
			pin_warn("module '%s': attach '%s' (netfilter): %s", d->name,
				 picked, strerror(-fd));
			return fd;
		}
		pin_warn("module '%s': optional hook '%s' not attached: %s",
			 d->name, d->hooks[h].name, strerror(-fd));
		return 1;
	}
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	if (err)
		pin_warn("module '%s': pin '%s': %s", d->name, path, strerror(-err));
	return err;
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
		if (s->kind == PIN_SET_TARGETS)
			continue;	/* the loader's alone */
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

/*
 * A user-space hook: a link per target. None for a hook that must be
 * attached is an error, and nothing of the module is pinned.
 */
static int attach_targets(const struct settings *settings,
			  const struct pin_module_desc *d, struct staged *st,
			  struct bpf_program *prog, int h, const char *stage)
{
	const struct pin_hook *hook = &d->hooks[h];
	char links[PATH_MAX];
	int n;

	pin_path(links, sizeof(links), "%s/links", stage);
	n = targets_attach(settings, d, h, prog, links, st->targets,
			   sizeof(st->targets));
	if (n > 0)
		return 0;
	if (n < 0)
		return n;
	if (!hook->optional) {
		pin_warn("module '%s': hook '%s': no binary or library with %s found (%s.%s = %s; see 'bpfpin-load check'); nothing pinned",
			 d->name, hook->name, hook->symbols, d->name, hook->targets,
			 settings_text(settings, settings_find(d, hook->targets)));
		return -ENODEV;
	}
	pin_warn("module '%s': optional hook '%s' not attached: no binary or library with %s attached",
		 d->name, hook->name, hook->symbols);
	st->hooks_missing |= 1u << h;
	return 1;
}

/* Attach the picked program of hook @h and pin its link(s) and program. */
static int attach_hook(const struct settings *settings,
		       const struct pin_module_desc *d, struct staged *st,
		       const char *picked, int h, const char *stage, size_t *slen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(st->obj, picked);
	char path[PATH_MAX], kind[32];
	struct bpf_link *link;
	int err;

	prog_kind(prog, kind, sizeof(kind));
	if (d->hooks[h].targets) {
		err = attach_targets(settings, d, st, prog, h, stage);
		if (err < 0)
			return err;
		if (err > 0)
			return 0;	/* optional, and not attached */
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
		goto pinned;
	}
	if (is_netfilter(prog)) {
		pin_path(path, sizeof(path), "%s/links/%s", stage, picked);
		err = pin_netfilter(d, prog, picked, h, path);
		if (err > 0) {
			st->hooks_missing |= 1u << h;
			return 0;
		}
		if (err)
			return err;	/* pin_netfilter() said why */
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
		goto pinned;
	}
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
pinned:
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

/*
 * Load the module's seed programs with the rest, those this kernel can
 * run; one it cannot is said once and left out (the module still loads,
 * without that seeding).
 */
static void pick_seeds(const struct features *f, struct bpf_object *obj,
		       const struct pin_module_desc *d)
{
	const char *p = d->seed_programs;
	struct bpf_program *prog;
	char name[64], why[160];
	size_t n;

	while (p && *p) {
		n = strcspn(p, " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n + !!p[n];
		prog = bpf_object__find_program_by_name(obj, name);
		if (!prog)
			pin_warn("module '%s': no seed program '%s'", d->name, name);
		else if (probe_program(f, prog, why, sizeof(why)))
			bpf_program__set_autoload(prog, true);
		else
			pin_warn("module '%s': seed '%s' left out: %s", d->name, name,
				 why);
	}
}

/*
 * Run each loaded seed program once (an iterator read to its end), in the
 * table's order. A failure is said and the rest still run: seeding adds
 * what predates the load, the module counts without it.
 */
void stage_seed(const struct pin_module_desc *d, struct staged *st)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	char buf[4096];
	ssize_t r;
	int fd;

	bpf_object__for_each_program(prog, st->obj) {
		const char *name = bpf_program__name(prog);

		if (!pin_list_has(d->seed_programs, name) ||
		    !bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach_iter(prog, NULL);
		fd = link ? bpf_iter_create(bpf_link__fd(link)) : -errno;
		if (fd < 0) {
			pin_warn("module '%s': seed '%s': %s; what predates the load is not seen",
				 d->name, name, strerror(link ? errno : -fd));
			bpf_link__destroy(link);
			continue;
		}
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			;
		if (r < 0)
			pin_warn("module '%s': seed '%s': read: %s", d->name, name,
				 strerror(errno));
		else
			pin_debug("module '%s': seed '%s' run", d->name, name);
		close(fd);
		bpf_link__destroy(link);
	}
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
	st->obj = module_open(d);
	if (!st->obj)
		return -errno;
	err = module_pick(f, st->obj, d, picked, st->why, sizeof(st->why));
	if (err) {
		pin_warn("module '%s': cannot load on this kernel: %s", d->name,
			 st->why);
		return err;
	}
	pick_seeds(f, st->obj, d);
	set_types(st->obj);
	/* what every module is told: its generation, the host's page size */
	err = set_rodata(st->obj, "cfg_generation", gen);
	if (!err)
		err = set_rodata(st->obj, "cfg_page_size", sysconf(_SC_PAGESIZE));
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
		if (!picked[h])
			st->hooks_missing |= 1u << h;
		else
			err = attach_hook(settings, d, st, picked[h], h, stage, &slen);
	}
	if (!err)
		fault_point("attached");
	return err;
}
