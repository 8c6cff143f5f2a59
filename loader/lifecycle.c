// SPDX-License-Identifier: GPL-2.0
/* lifecycle.c: up, down and reload as staged renames, and repairing what a killed loader left */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define STAGING "_staging-"	/* bpffs forbids dots in names */
#define TRASH "_trash-"
#define RELOAD "_reload-"

static gid_t pin_gid(void)
{
	const struct group *grp = getgrnam(PIN_GROUP);

	return grp ? grp->gr_gid : 0;
}

/*
 * A stage directory under the root, with the subdirectories it needs; a
 * new module also gets its lock directories, root's alone (0700), so that
 * no reader in group bpfpin can hold a lock root's tools wait for.
 */
static int make_stage(const struct loader *l, const char *name, bool whole)
{
	static const char *const subs[] = {
		"progs", "links", "maps", "locks", "locks/flush", "locks/events",
	};
	int fd, i, n = whole ? PIN_LEN(subs) : 2, err = 0;

	if (mkdirat(l->root_fd, name, 0700))
		return -errno;
	fd = openat(l->root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n && !err; i++)
		if (mkdirat(fd, subs[i], 0700))
			err = -errno;
	close(fd);
	return err;
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
		printf("%s: %s%s (%s)\n%s", d->name, verb,
		       st->hooks_missing ? ", degraded" : "", st->summary,
		       st->targets);
	if (st->hooks_missing && st->why[0])
		pin_warn("module '%s': degraded: %s", d->name, st->why);
}

static bool is_loaded(const struct loader *l, const struct pin_module_desc *d)
{
	struct stat st;

	return fstatat(l->root_fd, d->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A loaded module, whole: its meta in @meta; -ENOENT when not loaded. */
static int check_module(const struct loader *l, const struct pin_module_desc *d,
			struct bpfpin_meta *meta)
{
	if (!is_loaded(l, d)) {
		pin_warn("module '%s' is not loaded under '%s' (try 'bpfpin-load up %s')",
			 d->name, l->root, d->name);
		return -ENOENT;
	}
	return tree_check_module(l->root_fd, l->root, d, meta);
}

/* up of a loaded module: fine if it is whole, and says so */
static int check_loaded(const struct loader *l, const struct pin_module_desc *d)
{
	struct bpfpin_meta meta;
	struct bpf_object *obj;
	char maps[PATH_MAX];
	int err;

	err = tree_check_module(l->root_fd, l->root, d, &meta);
	if (err)
		return err;
	obj = module_open(d);
	if (!obj)
		return -errno;
	pin_path(maps, sizeof(maps), "%s/%s/maps", l->root, d->name);
	err = stage_check_pinned(obj, d, maps, false);
	bpf_object__close(obj);
	if (!err)
		printf("%s: already loaded\n", d->name);
	return err;
}

/* The filter the settings give, before the gate opens: the first event counted is filtered. */
static int write_filter(const struct loader *l, const struct pin_module_desc *d,
			struct bpf_object *obj)
{
	const struct bpfpin_filter *f = settings_filter(l->settings, d);
	__u32 zero = 0;
	int err;

	if (!f)
		return 0;
	err = bpf_map__update_elem(bpf_object__find_map_by_name(obj, "filter"),
				   &zero, sizeof(zero), f, sizeof(*f), BPF_ANY);
	if (err)
		pin_warn("module '%s': write filter: %s", d->name, strerror(-err));
	return err;
}

int module_filter(const struct loader *l, const struct pin_module_desc *d,
		  const struct bpfpin_filter *f)
{
	char path[PATH_MAX], text[1024];
	struct bpfpin_meta meta;
	__u32 zero = 0;
	int fd, err;

	err = check_module(l, d, &meta);
	if (err)
		return err;
	pin_path(path, sizeof(path), "%s/%s/maps/filter", l->root, d->name);
	if (access(path, F_OK) && errno == ENOENT) {
		pin_warn("module '%s' has no filter map (loaded by an older bpfpin-load: 'reload %s' adds it)",
			 d->name, d->name);
		return -EPROTO;
	}
	fd = pin_map_open(path, BPF_MAP_TYPE_HASH, sizeof(__u32),
			  sizeof(struct bpfpin_filter), 1, 0);
	if (fd < 0)
		return fd;
	/* one update: programs see the old filter or the new one */
	if (f && !pin_filter_is_empty(f))
		err = bpf_map_update_elem(fd, &zero, f, BPF_ANY) ? -errno : 0;
	else
		err = bpf_map_delete_elem(fd, &zero) && errno != ENOENT ? -errno : 0;
	close(fd);
	if (err) {
		pin_warn("module '%s': write filter '%s': %s", d->name, path,
			 strerror(-err));
		return err;
	}
	pin_filter_format(d, f, text, sizeof(text));
	if (!l->quiet)
		printf("%s: filter %s\n", d->name, text);
	return 0;
}

int module_up(const struct loader *l, const struct pin_module_desc *d)
{
	char name[NAME_MAX], stage[PATH_MAX], maps[PATH_MAX];
	struct bpfpin_meta meta = {};
	struct staged st = {};
	__u32 zero = 0;
	int err;

	if (is_loaded(l, d)) {
		if (settings_filter(l->settings, d))
			pin_warn("module '%s': already loaded: its filter is left as it is ('bpfpin-load filter %s ...' changes it)",
				 d->name, d->name);
		return check_loaded(l, d);
	}
	snprintf(name, sizeof(name), STAGING "%s", d->name);
	if (pin_path(stage, sizeof(stage), "%s/%s", l->root, name) ||
	    pin_path(maps, sizeof(maps), "%s/maps", stage))
		return -ENAMETOOLONG;
	err = make_stage(l, name, true);
	if (err) {
		pin_warn("module '%s': staging '%s': %s", d->name, stage,
			 strerror(-err));
		goto err_unpin;
	}
	err = stage_module(l->features, l->settings, d, 1, maps, stage, &st);
	if (!err)
		err = write_filter(l, d, st.obj);
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
	stage_seed(d, &st);
	err = tree_set_modes(l->root_fd, name, stage, pin_gid(), d);
	if (err)
		goto err_unpin;
	/* the module appears whole, or not at all */
	if (renameat(l->root_fd, name, l->root_fd, d->name)) {
		err = -errno;
		pin_warn("module '%s': rename '%s' to '%s/%s': %s", d->name, stage,
			 l->root, d->name, strerror(errno));
		goto err_unpin;
	}
	report(d, "loaded", &st, l->quiet);
	staged_close(&st);
	return 0;

err_unpin:
	tree_remove(l->root_fd, name, stage);
	staged_close(&st);
	return err;
}

int module_down(const struct loader *l, const struct pin_module_desc *d)
{
	char name[NAME_MAX], trash[PATH_MAX], links[PATH_MAX];
	struct bpfpin_meta meta;
	int fd, err;

	snprintf(name, sizeof(name), TRASH "%s", d->name);
	if (pin_path(trash, sizeof(trash), "%s/%s", l->root, name) ||
	    pin_path(links, sizeof(links), "%s/links", trash))
		return -ENAMETOOLONG;
	if (!is_loaded(l, d)) {
		printf("%s: not loaded\n", d->name);
		return 0;
	}
	err = tree_check_module(l->root_fd, l->root, d, &meta);
	if (err)
		return err;
	/* gone for readers at once; the unpinning that follows may be cut short */
	if (renameat(l->root_fd, d->name, l->root_fd, name)) {
		err = -errno;
		pin_warn("module '%s': rename to '%s': %s", d->name, trash,
			 strerror(errno));
		return err;
	}
	fault_point("down-renamed");
	fd = tree_open_dir(l->root_fd, name, trash);
	if (fd < 0)
		return fd;
	err = tree_remove(fd, "links", links);
	close(fd);
	fault_point("down-unlinked");
	if (!err)
		err = tree_remove(l->root_fd, name, trash);
	if (err) {
		pin_warn("module '%s': unpin '%s': %s", d->name, trash,
			 strerror(-err));
		return err;
	}
	printf("%s: unloaded\n", d->name);
	return 0;
}

/* Unpin every entry of directory @sub of @dir_fd (old links, programs). */
static int unpin_all(int dir_fd, const char *sub, const char *path)
{
	struct dirent *e;
	int fd, err = 0;
	DIR *dir;

	fd = tree_open_dir(dir_fd, sub, path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' && unlinkat(fd, e->d_name, 0) &&
		    errno != ENOENT)
			err = -errno;
	closedir(dir);
	return err;
}

/* Move every pin of directory @sub from stage @from_fd to module @to_fd. */
static int move_all(int from_fd, int to_fd, const char *sub, const char *path)
{
	struct dirent *e;
	int src, dst, err = 0;
	DIR *dir;

	src = tree_open_dir(from_fd, sub, path);
	if (src == -ENOENT)
		return 0;
	if (src < 0)
		return src;
	dst = openat(to_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dir = dst < 0 ? NULL : fdopendir(src);
	if (!dir) {
		err = -errno;
		close(src);
		if (dst >= 0)
			close(dst);
		return err;
	}
	while ((e = readdir(dir)) && !err) {
		if (e->d_name[0] == '.')
			continue;
		if (renameat(src, e->d_name, dst, e->d_name))
			err = -errno;
		fault_point("reload-moving");
	}
	closedir(dir);
	close(dst);
	return err;
}

/*
 * The second half of a reload, once the gate names the new generation:
 * unpin every old link and program (they count nothing now), mark the stage
 * "-move", then move the new pins in. Either half can be cut short and
 * redone; the "-move" mark tells which half a stage is in.
 */
static int finish_reload(const struct loader *l, const struct pin_module_desc *d,
			 const char *stage_name, bool moving)
{
	char moved[NAME_MAX], path[PATH_MAX];
	int mod_fd, stage_fd, err = 0, e;

	pin_path(path, sizeof(path), "%s/%s", l->root, d->name);
	mod_fd = tree_open_dir(l->root_fd, d->name, path);
	if (mod_fd < 0)
		return mod_fd;
	if (!moving) {
		err = unpin_all(mod_fd, "links", path);
		e = unpin_all(mod_fd, "progs", path);
		if (err || e)
			goto out_close;
		fault_point("reload-unpinned");
		snprintf(moved, sizeof(moved), "%s-move", stage_name);
		if (renameat(l->root_fd, stage_name, l->root_fd, moved)) {
			err = -errno;
			goto out_close;
		}
		stage_name = moved;
	}
	pin_path(path, sizeof(path), "%s/%s", l->root, stage_name);
	stage_fd = tree_open_dir(l->root_fd, stage_name, path);
	if (stage_fd < 0) {
		err = stage_fd;
		goto out_close;
	}
	err = move_all(stage_fd, mod_fd, "links", path);
	e = move_all(stage_fd, mod_fd, "progs", path);
	close(stage_fd);
	if (!err && !e)
		err = tree_remove(l->root_fd, stage_name, path);
out_close:
	close(mod_fd);
	return err ?: e;
}

static int clear_handoff(struct bpf_map *map)
{
	/* per-CPU values are 8-byte aligned slots, one per possible CPU */
	size_t size = pin_percpu_stride(sizeof(__u32)) * pin_ncpus();
	void *clear = calloc(1, size);
	__u32 i;
	int err = clear ? 0 : -ENOMEM;

	for (i = 0; i < BPFPIN_MAX_HOOKS && !err; i++)
		err = bpf_map__update_elem(map, &i, sizeof(i), clear, size, 0);
	free(clear);
	return err;
}

/* Recreate the module: its maps and counts go, the schema may change. */
static int reload_reset(const struct loader *l, const struct pin_module_desc *d)
{
	int err = module_down(l, d);

	return err ?: module_up(l, d);
}

int module_reload(const struct loader *l, const struct pin_module_desc *d,
		  bool reset)
{
	char name[NAME_MAX], stage[PATH_MAX], maps[PATH_MAX], path[PATH_MAX];
	__u32 zero = 0, gen, abi = pin_module_abi_hash(d);
	struct bpfpin_meta meta;
	struct staged st = {};
	int meta_fd = -1, err;

	err = check_module(l, d, &meta);
	if (err)
		return err;
	if (meta.schema_version != d->schema_version || meta.abi_hash != abi) {
		if (!reset) {
			pin_warn("module '%s': pinned schema %u (abi %08x), this build has %u (abi %08x); refusing to reload (--reset recreates the maps, losing their counts)",
				 d->name, meta.schema_version, meta.abi_hash,
				 d->schema_version, abi);
			return -EPROTO;
		}
		return reload_reset(l, d);
	}
	if (reset)
		return reload_reset(l, d);
	if (settings_filter(l->settings, d))
		pin_warn("module '%s': a reload keeps the filter in force ('bpfpin-load filter %s ...' changes it, 'reload --reset' sets the configured one)",
			 d->name, d->name);
	gen = meta.generation + 1;
	/* the gate compares one byte: skip 0, which means "nothing counts" */
	if ((gen & 0xff) == 0)
		gen++;
	snprintf(name, sizeof(name), RELOAD "%s-g%u", d->name, gen);
	pin_path(stage, sizeof(stage), "%s/%s", l->root, name);
	pin_path(maps, sizeof(maps), "%s/%s/maps", l->root, d->name);
	pin_path(path, sizeof(path), "%s/meta", maps);
	meta_fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			       sizeof(meta), 1, 0);
	if (meta_fd < 0)
		return meta_fd;
	err = make_stage(l, name, false);
	if (err) {
		pin_warn("module '%s': staging '%s': %s", d->name, stage,
			 strerror(-err));
		goto err_unpin;
	}
	/* the new programs reuse every pinned map: the counts carry on */
	err = stage_module(l->features, l->settings, d, gen, maps, stage, &st);
	if (err)
		goto err_unpin;
	err = tree_set_modes(l->root_fd, name, stage, pin_gid(), d);
	if (err)
		goto err_unpin;
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
	stage_seed(d, &st);
	fault_point("reload-flipped");
	err = finish_reload(l, d, name, false);
	if (err)
		pin_warn("module '%s': finish reload: %s (the next bpfpin-load run completes it)",
			 d->name, strerror(-err));
	else
		report(d, "reloaded", &st, l->quiet);
	staged_close(&st);
	return err;

err_unpin:
	close(meta_fd);
	tree_remove(l->root_fd, name, stage);
	staged_close(&st);
	return err;
}

/*
 * A reload stage left by a killed loader: finish it if the gate already
 * names its generation, else drop it (its programs never counted).
 */
static int recover_reload(const struct loader *l, const char *name)
{
	const struct pin_module_desc *d;
	char module[64], stage[PATH_MAX];
	struct bpfpin_meta meta;
	unsigned int gen;
	bool moving;
	int n = 0, err;

	pin_path(stage, sizeof(stage), "%s/%s", l->root, name);
	if (sscanf(name, RELOAD "%63[a-z0-9_]-g%u%n", module, &gen, &n) != 2)
		return -EINVAL;
	moving = !strcmp(name + n, "-move");
	d = pin_module_find(module);
	err = d && is_loaded(l, d) ?
	      tree_check_module(l->root_fd, l->root, d, &meta) : -ENOENT;
	if (!err && (moving || meta.generation == gen)) {
		pin_info("completing the reload of '%s' to generation %u, left by an interrupted bpfpin-load",
			 module, gen);
		return finish_reload(l, d, name, moving);
	}
	if (err == -EPROTO)
		return err;
	pin_info("removing '%s', left by an interrupted bpfpin-load", stage);
	return tree_remove(l->root_fd, name, stage);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int clean_stale(const struct loader *l)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int fd, err = 0, e2;

	fd = fcntl(l->root_fd, F_DUPFD_CLOEXEC, 0);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(dir);	/* the offset is shared with root_fd */
	while ((e = readdir(dir))) {
		if (has_prefix(e->d_name, RELOAD)) {
			e2 = recover_reload(l, e->d_name);
		} else if (has_prefix(e->d_name, STAGING) ||
			   has_prefix(e->d_name, TRASH)) {
			pin_path(path, sizeof(path), "%s/%s", l->root, e->d_name);
			fd = tree_open_dir(l->root_fd, e->d_name, path);
			e2 = fd < 0 ? fd : 0;
			if (fd < 0)
				goto next;
			close(fd);
			pin_info("removing '%s', left by an interrupted bpfpin-load",
				 path);
			e2 = tree_remove(l->root_fd, e->d_name, path);
		} else {
			continue;
		}
next:
		if (e2 && !err)
			err = e2;
	}
	closedir(dir);
	return err;
}
