// SPDX-License-Identifier: GPL-2.0
/* pinning.c: load a module into a staging directory, then rename it into place; unpin */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define STAGING "_staging-"	/* bpffs forbids dots in names */
#define TRASH "_trash-"
#define RELOAD "_reload-"

/*
 * The pin root needs a bpffs: mount one at its parent when there is none,
 * but never over a directory that holds something.
 */
static int ensure_root(const char *root)
{
	char parent[PATH_MAX];
	struct group *grp;
	struct dirent *e;
	bool empty = true;
	DIR *dir;

	snprintf(parent, sizeof(parent), "%s", root);
	dirname(parent);
	if (!pin_is_bpffs(parent)) {
		dir = opendir(parent);
		if (!dir) {
			int err = -errno;

			pin_warn("pin root '%s': parent '%s': %s", root, parent,
				 strerror(errno));
			return err;
		}
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = false;
		closedir(dir);
		if (!empty) {
			pin_warn("pin root '%s': '%s' is not a bpffs mount and not empty; refusing to mount over it (mount -t bpf bpf DIR, or choose --pin-root)",
				 root, parent);
			return -EINVAL;
		}
		if (mount("bpf", parent, "bpf", 0, NULL)) {
			int err = -errno;

			pin_warn("bpffs at '%s': mount failed: %s", parent,
				 strerror(errno));
			return err;
		}
		pin_info("mounted bpffs at %s", parent);
	}
	if (mkdir(root, 0750) && errno != EEXIST) {
		int err = -errno;

		pin_warn("pin root '%s': %s", root, strerror(errno));
		return err;
	}
	/* group bpfpin traverses the root to reach the modules' stats */
	grp = getgrnam(PIN_GROUP);
	if (grp && (chown(root, 0, grp->gr_gid) || chmod(root, 0750)))
		pin_debug("pin root '%s': %s", root, strerror(errno));
	return 0;
}

/* Serialises up, down and reload: flock works on bpffs directories. */
int root_lock(const char *root, bool create)
{
	int fd, err;

	if (create) {
		err = ensure_root(root);
		if (err)
			return err;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pin_warn("pin root '%s': %s", root, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pin_info("waiting for another bpfpin-load on '%s'", root);
		if (flock(fd, LOCK_EX)) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

void root_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}

/* Keep the last error of a sequence of steps that all run. */
static void note_err(int *err, int e)
{
	if (e)
		*err = e;
}

/* Unlink a pinned tree; links first, so programs detach before maps go. */
static int remove_tree(const char *path)
{
	static const char *const order[] = { "links", "progs", "maps", NULL };
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int i, err = 0;

	for (i = 0; order[i]; i++) {
		struct stat st;

		if (pin_path(sub, sizeof(sub), "%s/%s", path, order[i]))
			return -ENAMETOOLONG;
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			note_err(&err, remove_tree(sub));
	}
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (pin_path(sub, sizeof(sub), "%s/%s", path, e->d_name))
			continue;
		if (e->d_type == DT_DIR)
			note_err(&err, remove_tree(sub));
		else if (unlink(sub))
			err = -errno;
	}
	closedir(dir);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

static int recover_reload(const char *root, const char *name);

/* What a killed loader left behind: half-built, half-removed, half-reloaded modules. */
int clean_stale(const char *root)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir = opendir(root);
	int err = 0;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		if (!strncmp(e->d_name, RELOAD, strlen(RELOAD))) {
			note_err(&err, recover_reload(root, e->d_name));
			continue;
		}
		if (strncmp(e->d_name, STAGING, strlen(STAGING)) &&
		    strncmp(e->d_name, TRASH, strlen(TRASH)))
			continue;
		if (pin_path(path, sizeof(path), "%s/%s", root, e->d_name))
			continue;
		pin_info("removing '%s', left by an interrupted bpfpin-load",
			 path);
		note_err(&err, remove_tree(path));
	}
	closedir(dir);
	return err;
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

/* Set a `const volatile` global of .rodata before load, found by BTF name. */
static int set_rodata(struct bpf_object *obj, const char *var, __u32 value)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	const char *init;
	size_t size;
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
		if (!init || vs->offset + sizeof(value) > size)
			return -EINVAL;
		char data[size];

		memcpy(data, init, size);
		memcpy(data + vs->offset, &value, sizeof(value));
		err = bpf_map__set_initial_value(map, data, size);
		return err;
	}
	return -ENOENT;
}

static bool has_name(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int module_pick(const struct features *f, struct bpf_object *obj,
		const struct pin_module_desc *d, const char **picked,
		char *why, size_t size)
{
	struct bpf_program *prog;
	size_t len = 0, start;
	int h, v, err = 0;

	why[0] = '\0';
	/* only the picked variants load */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (h = 0; h < d->nhooks; h++) {
		const struct pin_hook *hook = &d->hooks[h];
		/* for tests: a kernel without this hook (comma-separated names) */
		const char *off = getenv("BPFPIN_NO_HOOK");
		bool disabled = off && has_name(off, hook->name);

		start = len;
		picked[h] = NULL;
		for (v = 0; v < 4 && hook->variants[v]; v++) {
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

/* Root owns every pin; group bpfpin may read ordinary stats. */
/* Whether pin @name holds captured content: the ring, or a map named so. */
static bool is_content(const struct pin_module_desc *d, const char *name)
{
	const char *p = d->content_maps;
	size_t n = strlen(name);

	if (!d->captures_content)
		return false;
	if (!strcmp(name, "events"))
		return true;
	while (p && (p = strstr(p, name))) {
		if ((p == d->content_maps || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/*
 * Group @gid may read every pin (readers need no root), except the ones
 * holding captured content, which stay root's.
 */
static void set_modes(const char *path, gid_t gid, const struct pin_module_desc *d)
{
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	if (chown(path, 0, gid) || chmod(path, 0750))
		pin_debug("'%s': %s", path, strerror(errno));
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (pin_path(sub, sizeof(sub), "%s/%s", path, e->d_name))
			continue;
		if (e->d_type == DT_DIR) {
			set_modes(sub, gid, d);
		} else if (chown(sub, 0, gid) ||
			   chmod(sub, is_content(d, e->d_name) ? 0600 : 0640)) {
			pin_debug("'%s': %s", sub, strerror(errno));
		}
	}
	closedir(dir);
}

static const char *hook_kind(const struct bpf_program *prog)
{
	static char kind[32];
	const char *sec = bpf_program__section_name(prog);
	size_t n = strcspn(sec, "/");

	snprintf(kind, sizeof(kind), "%.*s", (int)n, sec);
	return kind;
}

/*
 * BPFPIN_FAULT=<step> kills the loader at that step, so tests can prove that
 * every interruption leaves a state the next run repairs.
 */
static void fault_point(const char *step)
{
	const char *want = getenv("BPFPIN_FAULT");

	if (want && !strcmp(want, step)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
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

/* A module's programs loaded, attached and pinned under a staging directory. */
struct staged {
	struct bpf_object *obj;
	__u32 hooks_missing;
	char summary[512];
	char why[1024];
};

static int make_dirs(const char *stage, bool with_maps)
{
	static const char *const subs[] = { "maps", "progs", "links" };
	char path[PATH_MAX];
	int i;

	if (mkdir(stage, 0700))
		return -errno;
	for (i = with_maps ? 0 : 1; i < 3; i++) {
		pin_path(path, sizeof(path), "%s/%s", stage, subs[i]);
		if (mkdir(path, 0700))
			return -errno;
	}
	return 0;
}

/* Settings from bpfpin.conf; the rest keep their defaults. */
static struct {
	const struct pin_module_desc *d;
	const struct pin_setting *s;
	unsigned int value;
} settings[64];
static int nsettings;

int setting_set(const char *key, const char *value, char *why, size_t size)
{
	const struct pin_module_desc *d;
	const struct pin_setting *s = NULL;
	char module[64], *end;
	const char *dot = strchr(key, '.');
	unsigned long v;
	int i;

	snprintf(module, sizeof(module), "%.*s", dot ? (int)(dot - key) : 0, key);
	d = pin_module_find(module);
	if (!dot || !d) {
		snprintf(why, size, "unknown key '%s'", key);
		return -EINVAL;
	}
	for (i = 0; i < d->nsettings; i++)
		if (!strcmp(d->settings[i].name, dot + 1))
			s = &d->settings[i];
	if (!s) {
		snprintf(why, size, "module '%s' has no setting '%s'", module, dot + 1);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno || end == value || *end || v < s->min || v > s->max) {
		snprintf(why, size, "'%s' must be a number from %u to %u, not '%s'",
			 key, s->min, s->max, value);
		return -EINVAL;
	}
	for (i = 0; i < nsettings && settings[i].s != s; i++)
		;
	if (i == PIN_LEN(settings))
		return -E2BIG;
	settings[i].d = d;
	settings[i].s = s;
	settings[i].value = v;
	if (i == nsettings)
		nsettings++;
	return 0;
}

static unsigned int setting_value(const struct pin_setting *s)
{
	int i;

	for (i = 0; i < nsettings; i++)
		if (settings[i].s == s)
			return settings[i].value;
	return s->def;
}

static int set_rodata(struct bpf_object *obj, const char *var, __u32 value);

/*
 * A module's settings: map sizes, and cfg_<name> constants. A map already
 * pinned keeps its size (a reload reuses it): say so when that differs.
 */
static int apply_settings(struct bpf_object *obj, const struct pin_module_desc *d,
			  const char *maps_dir)
{
	char name[64], path[PATH_MAX];
	int i, m, h, err;

	for (i = 0; i < d->nsettings; i++) {
		const struct pin_setting *s = &d->settings[i];
		unsigned int v = setting_value(s);

		snprintf(name, sizeof(name), "cfg_%s", s->name);
		err = set_rodata(obj, name, v);
		if (err && err != -ENOENT)
			return err;
		for (m = 0; m < d->nmaps; m++) {
			const struct pin_map_desc *md = &d->maps[m];

			if (!md->entries_setting || strcmp(md->entries_setting, s->name))
				continue;
			for (h = 0; h < 2; h++) {
				struct bpf_map *map;
				struct bpf_map_info info = {};
				__u32 len = sizeof(info);
				int fd;

				snprintf(name, sizeof(name), "%s_%c", md->name, 'a' + h);
				map = bpf_object__find_map_by_name(obj, name);
				if (!map)
					return -ENOENT;
				pin_path(path, sizeof(path), "%s/%s", maps_dir, name);
				fd = bpf_obj_get(path);
				if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
				    info.max_entries != v) {
					if (!h)
						pin_warn("module '%s': %s.%s = %u takes effect with 'reload --reset' (pinned maps have %u entries)",
							 d->name, d->name, s->name, v,
							 info.max_entries);
					v = info.max_entries;
				}
				if (fd >= 0)
					close(fd);
				err = bpf_map__set_max_entries(map, v);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/*
 * Open, pick the variants, load with generation @gen (maps pinned under, or
 * reused from, @maps_dir), attach and pin links and programs under @stage.
 * The programs count nothing until meta's gate says @gen.
 */
static int stage_module(const struct features *f, const struct pin_module_desc *d,
			__u32 gen, const char *maps_dir, const char *stage,
			struct staged *st)
{
	const char *picked[BPFPIN_MAX_HOOKS] = {};
	char path[PATH_MAX];
	struct bpf_program *prog;
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
	err = set_rodata(st->obj, "cfg_generation", gen);
	if (err) {
		pin_warn("module '%s': cannot set cfg_generation: %s", d->name,
			 strerror(-err));
		return err;
	}
	err = apply_settings(st->obj, d, maps_dir);
	if (err) {
		pin_warn("module '%s': settings: %s", d->name, strerror(-err));
		return err;
	}
	/* only modules that report memory in pages have it */
	err = set_rodata(st->obj, "cfg_page_size", sysconf(_SC_PAGESIZE));
	if (err && err != -ENOENT)
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
	for (h = 0; h < d->nhooks; h++) {
		struct bpf_link *link;

		if (!picked[h]) {
			st->hooks_missing |= 1u << h;
			continue;
		}
		prog = bpf_object__find_program_by_name(st->obj, picked[h]);
		link = attach(prog);
		if (!link) {
			err = -errno;
			if (!d->hooks[h].optional) {
				pin_warn("module '%s': attach '%s' (%s): %s",
					 d->name, picked[h], hook_kind(prog),
					 strerror(-err));
				return err;
			}
			pin_warn("module '%s': optional hook '%s' not attached: %s",
				 d->name, d->hooks[h].name, strerror(-err));
			st->hooks_missing |= 1u << h;
			continue;
		}
		pin_path(path, sizeof(path), "%s/links/%s", stage, picked[h]);
		err = bpf_link__pin(link, path);
		if (!err) {
			pin_path(path, sizeof(path), "%s/progs/%s", stage, picked[h]);
			err = bpf_program__pin(prog, path);
		}
		bpf_link__disconnect(link);	/* the pin keeps it attached */
		bpf_link__destroy(link);
		if (err) {
			pin_warn("module '%s': pin '%s': %s", d->name, path,
				 strerror(-err));
			return err;
		}
		if (slen < sizeof(st->summary))
			slen += snprintf(st->summary + slen, sizeof(st->summary) - slen,
					 "%s%s=%s", slen ? " " : "",
					 d->hooks[h].name, hook_kind(prog));
	}
	fault_point("attached");
	return 0;
}

static void fill_meta(struct bpfpin_meta *meta, const struct pin_module_desc *d,
		      __u32 gen, __u32 hooks_missing)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	meta->schema_version = d->schema_version;
	meta->abi_hash = pin_module_abi_hash(d);
	if (!meta->load_time_ns)
		meta->load_time_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
	meta->generation = gen;
	meta->gate = gen & 0xff;
	meta->hooks_missing = hooks_missing;
	snprintf(meta->loader_version, sizeof(meta->loader_version), "%s",
		 BPFPIN_VERSION);
}

static void report(const struct pin_module_desc *d, const char *verb,
		   const struct staged *st, bool quiet)
{
	if (!quiet)
		printf("%s: %s%s (%s)\n", d->name, verb,
		       st->hooks_missing ? ", degraded" : "", st->summary);
	if (st->hooks_missing && st->why[0])
		pin_warn("module '%s': degraded: %s", d->name, st->why);
}

/* What holds the module's path must be a bpfpin module with our schema. */
static int check_existing(const char *root, const struct pin_module_desc *d,
			  struct bpfpin_meta *meta)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd;

	pin_path(path, sizeof(path), "%s/%s/maps/meta", root, d->name);
	fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			  sizeof(struct bpfpin_meta), 1, 0);
	if (fd < 0) {
		pin_warn("module '%s': '%s/%s' holds something else than a bpfpin module; nothing changed (remove it, or choose --pin-root)",
			 d->name, root, d->name);
		return -EPROTO;
	}
	if (bpf_map_lookup_elem(fd, &zero, meta)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int module_up(const struct up_opts *o, const struct features *f,
	      const struct pin_module_desc *d)
{
	char stage[PATH_MAX], final[PATH_MAX];
	struct bpfpin_meta meta = {};
	struct staged st = {};
	struct group *grp;
	struct stat st_final;
	__u32 zero = 0;
	int fd, err;

	pin_path(final, sizeof(final), "%s/%s", o->root, d->name);
	if (lstat(final, &st_final) == 0) {
		fd = check_existing(o->root, d, &meta);
		if (fd < 0)
			return fd;
		close(fd);
		printf("%s: already loaded\n", d->name);
		return 0;
	}
	if (pin_path(stage, sizeof(stage), "%s/" STAGING "%s", o->root, d->name))
		return -ENAMETOOLONG;
	err = make_dirs(stage, true);
	if (err) {
		pin_warn("module '%s': staging '%s': %s", d->name, stage,
			 strerror(-err));
		goto err_unpin;
	}
	pin_path(final, sizeof(final), "%s/maps", stage);
	err = stage_module(f, d, 1, final, stage, &st);
	if (err)
		goto err_unpin;
	fill_meta(&meta, d, 1, st.hooks_missing);
	err = bpf_map__update_elem(bpf_object__find_map_by_name(st.obj, "meta"),
				   &zero, sizeof(zero), &meta, sizeof(meta), 0);
	if (err) {
		pin_warn("module '%s': write meta: %s", d->name, strerror(-err));
		goto err_unpin;
	}
	fault_point("meta");
	grp = getgrnam(PIN_GROUP);
	set_modes(stage, grp ? grp->gr_gid : 0, d);
	/* the module appears whole, or not at all */
	pin_path(final, sizeof(final), "%s/%s", o->root, d->name);
	if (rename(stage, final)) {
		err = -errno;
		pin_warn("module '%s': rename '%s' to '%s': %s", d->name, stage,
			 final, strerror(errno));
		goto err_unpin;
	}
	report(d, "loaded", &st, o->quiet);
	bpf_object__close(st.obj);
	return 0;

err_unpin:
	remove_tree(stage);
	bpf_object__close(st.obj);
	return err;
}

int module_down(const char *root, const struct pin_module_desc *d)
{
	char final[PATH_MAX], trash[PATH_MAX], links[PATH_MAX];
	struct bpfpin_meta meta;
	int fd, err;

	pin_path(final, sizeof(final), "%s/%s", root, d->name);
	if (pin_path(trash, sizeof(trash), "%s/" TRASH "%s", root, d->name))
		return -ENAMETOOLONG;
	if (access(final, F_OK) && errno == ENOENT) {
		printf("%s: not loaded\n", d->name);
		return 0;
	}
	fd = check_existing(root, d, &meta);
	if (fd < 0)
		return fd;
	close(fd);
	/* gone for readers at once; the unpinning that follows may be cut short */
	if (rename(final, trash)) {
		err = -errno;
		pin_warn("module '%s': '%s': %s", d->name, final, strerror(errno));
		return err;
	}
	fault_point("down-renamed");
	pin_path(links, sizeof(links), "%s/links", trash);
	err = remove_tree(links);
	fault_point("down-unlinked");
	note_err(&err, remove_tree(trash));
	if (err) {
		pin_warn("module '%s': unpin '%s': %s", d->name, trash,
			 strerror(-err));
		return err;
	}
	printf("%s: unloaded\n", d->name);
	return 0;
}

static int unlink_all(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dh = opendir(dir);
	int err = 0;

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dh)))
		if (e->d_name[0] != '.' &&
		    !pin_path(path, sizeof(path), "%s/%s", dir, e->d_name) &&
		    unlink(path) && errno != ENOENT)
			err = -errno;
	closedir(dh);
	return err;
}

static int move_all(const char *from, const char *to)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *e;
	DIR *dh = opendir(from);
	int err = 0;

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dh)) && !err) {
		if (e->d_name[0] == '.')
			continue;
		pin_path(src, sizeof(src), "%s/%s", from, e->d_name);
		pin_path(dst, sizeof(dst), "%s/%s", to, e->d_name);
		if (rename(src, dst))
			err = -errno;
		fault_point("reload-moving");
	}
	closedir(dh);
	return err;
}

/*
 * The second half of a reload, once the gate names the new generation:
 * unpin every old link and program (they count nothing now), mark the stage
 * "-move", then move the new pins in. Either half can be cut short and
 * redone; the "-move" mark tells which half a stage is in.
 */
static int finish_reload(const char *root, const struct pin_module_desc *d,
			 const char *stage, bool moving)
{
	char dir[PATH_MAX], from[PATH_MAX], moved[PATH_MAX];
	int err = 0;

	if (!moving) {
		pin_path(dir, sizeof(dir), "%s/%s/links", root, d->name);
		err = unlink_all(dir);
		pin_path(dir, sizeof(dir), "%s/%s/progs", root, d->name);
		note_err(&err, unlink_all(dir));
		if (err)
			return err;
		fault_point("reload-unpinned");
		pin_path(moved, sizeof(moved), "%s-move", stage);
		if (rename(stage, moved))
			return -errno;
		stage = moved;
	}
	pin_path(from, sizeof(from), "%s/links", stage);
	pin_path(dir, sizeof(dir), "%s/%s/links", root, d->name);
	err = move_all(from, dir);
	pin_path(from, sizeof(from), "%s/progs", stage);
	pin_path(dir, sizeof(dir), "%s/%s/progs", root, d->name);
	note_err(&err, move_all(from, dir));
	return err ?: remove_tree(stage);
}

static int clear_handoff(struct bpf_map *map)
{
	/* per-CPU values are 8-byte aligned slots, one per possible CPU */
	size_t size = pin_percpu_stride(sizeof(__u32)) * pin_ncpus();
	unsigned char clear[size];
	__u32 i;
	int err;

	memset(clear, 0, size);
	for (i = 0; i < BPFPIN_MAX_HOOKS; i++) {
		err = bpf_map__update_elem(map, &i, sizeof(i), clear, size, 0);
		if (err)
			return err;
	}
	return 0;
}

int module_reload(const struct up_opts *o, const struct features *f,
		  const struct pin_module_desc *d, bool reset)
{
	char stage[PATH_MAX], maps[PATH_MAX], path[PATH_MAX];
	__u32 zero = 0, gen, abi = pin_module_abi_hash(d);
	struct bpfpin_meta meta;
	struct staged st = {};
	struct group *grp;
	int meta_fd, err;

	pin_path(path, sizeof(path), "%s/%s", o->root, d->name);
	if (access(path, F_OK) && errno == ENOENT) {
		pin_warn("module '%s' is not loaded under '%s' (try 'bpfpin-load up %s')",
			 d->name, o->root, d->name);
		return -ENOENT;
	}
	meta_fd = check_existing(o->root, d, &meta);
	if (meta_fd < 0)
		return meta_fd;
	if (meta.schema_version != d->schema_version || meta.abi_hash != abi) {
		close(meta_fd);
		if (!reset) {
			pin_warn("module '%s': pinned schema %u (abi %08x), this build has %u (abi %08x); refusing to reload (--reset recreates the maps, losing their counts)",
				 d->name, meta.schema_version, meta.abi_hash,
				 d->schema_version, abi);
			return -EPROTO;
		}
		err = module_down(o->root, d);
		return err ?: module_up(o, f, d);
	}
	if (reset) {
		close(meta_fd);
		err = module_down(o->root, d);
		return err ?: module_up(o, f, d);
	}
	gen = meta.generation + 1;
	/* the gate compares one byte: skip 0, which means "nothing counts" */
	if ((gen & 0xff) == 0)
		gen++;
	pin_path(stage, sizeof(stage), "%s/" RELOAD "%s-g%u", o->root, d->name, gen);
	pin_path(maps, sizeof(maps), "%s/%s/maps", o->root, d->name);
	err = make_dirs(stage, false);
	if (err) {
		pin_warn("module '%s': staging '%s': %s", d->name, stage,
			 strerror(-err));
		goto err_unpin;
	}
	/* the new programs reuse every pinned map: the counts carry on */
	err = stage_module(f, d, gen, maps, stage, &st);
	if (err)
		goto err_unpin;
	grp = getgrnam(PIN_GROUP);
	set_modes(stage, grp ? grp->gr_gid : 0, d);
	/*
	 * No handoff word may predate the new programs (see bpfpin.h): a CPU
	 * whose last event ran before they were attached would keep the old
	 * program's "counted" and make the new one skip its next event.
	 */
	err = clear_handoff(bpf_object__find_map_by_name(st.obj, "handoff"));
	if (err) {
		pin_warn("module '%s': clear 'handoff': %s", d->name,
			 strerror(-err));
		goto err_unpin;
	}
	fault_point("reload-staged");
	/* the switch: one map update */
	fill_meta(&meta, d, gen, st.hooks_missing);
	if (bpf_map_update_elem(meta_fd, &zero, &meta, BPF_ANY)) {
		err = -errno;
		pin_warn("module '%s': write meta: %s", d->name, strerror(-err));
		goto err_unpin;
	}
	close(meta_fd);
	fault_point("reload-flipped");
	err = finish_reload(o->root, d, stage, false);
	if (err)
		pin_warn("module '%s': finish reload: %s (the next bpfpin-load run completes it)",
			 d->name, strerror(-err));
	else
		report(d, "reloaded", &st, o->quiet);
	bpf_object__close(st.obj);
	return err;

err_unpin:
	if (meta_fd >= 0)
		close(meta_fd);
	remove_tree(stage);
	bpf_object__close(st.obj);
	return err;
}

/*
 * A reload stage left by a killed loader: finish it if the gate already
 * names its generation, else drop it (its programs never counted).
 */
static int recover_reload(const char *root, const char *name)
{
	const struct pin_module_desc *d;
	char module[64], stage[PATH_MAX];
	struct bpfpin_meta meta;
	unsigned int gen;
	bool moving;
	int n = 0, fd;

	if (sscanf(name, RELOAD "%63[a-z0-9_]-g%u%n", module, &gen, &n) != 2)
		return -EINVAL;
	moving = !strcmp(name + n, "-move");
	pin_path(stage, sizeof(stage), "%s/%s", root, name);
	d = pin_module_find(module);
	fd = d ? check_existing(root, d, &meta) : -ENOENT;
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && (moving || meta.generation == gen)) {
		pin_info("completing the reload of '%s' to generation %u, left by an interrupted bpfpin-load",
			 module, gen);
		return finish_reload(root, d, stage, moving);
	}
	pin_info("removing '%s', left by an interrupted bpfpin-load", stage);
	return remove_tree(stage);
}
