// SPDX-License-Identifier: GPL-2.0
/* pinning.c: load a module into a staging directory, then rename it into place; unpin */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
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
			err = remove_tree(sub) ?: err;
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
			err = remove_tree(sub) ?: err;
		else if (unlink(sub))
			err = -errno;
	}
	closedir(dir);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

/* What a killed loader left behind: half-built and half-removed modules. */
int clean_stale(const char *root)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir = opendir(root);
	int err = 0;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, STAGING, strlen(STAGING)) &&
		    strncmp(e->d_name, TRASH, strlen(TRASH)))
			continue;
		if (pin_path(path, sizeof(path), "%s/%s", root, e->d_name))
			continue;
		pin_info("removing '%s', left by an interrupted bpfpin-load",
			 path);
		err = remove_tree(path) ?: err;
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

		start = len;
		picked[h] = NULL;
		for (v = 0; v < 4 && hook->variants[v]; v++) {
			char reason[160];

			prog = bpf_object__find_program_by_name(obj, hook->variants[v]);
			if (!prog) {
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
static void set_modes(const char *path, gid_t gid, bool private)
{
	mode_t file = private ? 0600 : 0640, dirm = private ? 0700 : 0750;
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	if (chown(path, 0, gid) || chmod(path, dirm))
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
			set_modes(sub, gid, private);
		} else if (chown(sub, 0, gid) || chmod(sub, file)) {
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

int module_up(const struct up_opts *o, const struct features *f,
	      const struct pin_module_desc *d)
{
	const char *picked[16] = {};
	char stage[PATH_MAX], final[PATH_MAX], path[PATH_MAX], why[1024] = "";
	char summary[512] = "";
	struct bpfpin_meta meta = {};
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	struct stat st;
	struct group *grp;
	struct timespec now;
	size_t slen = 0;
	__u32 zero = 0;
	int h, err;

	pin_path(final, sizeof(final), "%s/%s", o->root, d->name);
	if (stat(final, &st) == 0) {
		printf("%s: already loaded\n", d->name);
		return 0;
	}
	if (pin_path(stage, sizeof(stage), "%s/" STAGING "%s", o->root, d->name))
		return -ENAMETOOLONG;
	obj = module_open(d);
	if (!obj)
		return -errno;
	err = module_pick(f, obj, d, picked, why, sizeof(why));
	if (err) {
		pin_warn("module '%s': cannot load on this kernel: %s", d->name, why);
		goto out_close;
	}
	/* programs stay gated (meta.generation 0) until meta is written */
	err = set_rodata(obj, "cfg_generation", 1);
	if (err) {
		pin_warn("module '%s': cannot set cfg_generation: %s", d->name,
			 strerror(-err));
		goto out_close;
	}
	if (mkdir(stage, 0700) || pin_path(path, sizeof(path), "%s/maps", stage) ||
	    mkdir(path, 0700) || pin_path(path, sizeof(path), "%s/progs", stage) ||
	    mkdir(path, 0700) || pin_path(path, sizeof(path), "%s/links", stage) ||
	    mkdir(path, 0700)) {
		err = -errno;
		pin_warn("module '%s': staging '%s': %s", d->name, stage,
			 strerror(errno));
		goto err_unpin;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_path(path, sizeof(path), "%s/maps/%s", stage, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			goto err_unpin;
	}
	err = bpf_object__load(obj);
	if (err) {
		pin_warn("module '%s': load failed: %s (run with -vv for the verifier log)",
			 d->name, strerror(-err));
		goto err_unpin;
	}
	for (h = 0; h < d->nhooks; h++) {
		struct bpf_link *link;

		if (!picked[h]) {
			meta.hooks_missing |= 1u << h;
			continue;
		}
		prog = bpf_object__find_program_by_name(obj, picked[h]);
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			if (!d->hooks[h].optional) {
				pin_warn("module '%s': attach '%s' (%s): %s",
					 d->name, picked[h], hook_kind(prog),
					 strerror(-err));
				goto err_unpin;
			}
			pin_warn("module '%s': optional hook '%s' not attached: %s",
				 d->name, d->hooks[h].name, strerror(-err));
			meta.hooks_missing |= 1u << h;
			picked[h] = NULL;
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
			goto err_unpin;
		}
		if (slen < sizeof(summary))
			slen += snprintf(summary + slen, sizeof(summary) - slen,
					 "%s%s=%s", slen ? " " : "",
					 d->hooks[h].name, hook_kind(prog));
	}

	clock_gettime(CLOCK_REALTIME, &now);
	meta.schema_version = d->schema_version;
	meta.abi_hash = pin_module_abi_hash(d);
	meta.load_time_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
	meta.generation = 1;
	snprintf(meta.loader_version, sizeof(meta.loader_version), "%s",
		 BPFPIN_VERSION);
	err = bpf_map__update_elem(bpf_object__find_map_by_name(obj, "meta"),
				   &zero, sizeof(zero), &meta, sizeof(meta), 0);
	if (err) {
		pin_warn("module '%s': write meta: %s", d->name, strerror(-err));
		goto err_unpin;
	}
	grp = getgrnam(PIN_GROUP);
	set_modes(stage, grp ? grp->gr_gid : 0, d->captures_content);
	/* the module appears whole, or not at all */
	if (rename(stage, final)) {
		err = -errno;
		pin_warn("module '%s': rename '%s' to '%s': %s", d->name, stage,
			 final, strerror(errno));
		goto err_unpin;
	}
	if (!o->quiet)
		printf("%s: %s (%s)\n", d->name,
		       meta.hooks_missing ? "loaded, degraded" : "loaded", summary);
	if (meta.hooks_missing && why[0])
		pin_warn("module '%s': degraded: %s", d->name, why);
	bpf_object__close(obj);
	return 0;

err_unpin:
	remove_tree(stage);
out_close:
	bpf_object__close(obj);
	return err;
}

int module_down(const char *root, const struct pin_module_desc *d)
{
	char final[PATH_MAX], trash[PATH_MAX];
	int err;

	pin_path(final, sizeof(final), "%s/%s", root, d->name);
	if (pin_path(trash, sizeof(trash), "%s/" TRASH "%s", root, d->name))
		return -ENAMETOOLONG;
	/* gone for readers at once; the unpinning that follows may be cut short */
	if (rename(final, trash)) {
		if (errno == ENOENT) {
			printf("%s: not loaded\n", d->name);
			return 0;
		}
		err = -errno;
		pin_warn("module '%s': '%s': %s", d->name, final, strerror(errno));
		return err;
	}
	err = remove_tree(trash);
	if (err) {
		pin_warn("module '%s': unpin '%s': %s", d->name, trash,
			 strerror(-err));
		return err;
	}
	printf("%s: unloaded\n", d->name);
	return 0;
}
