// SPDX-License-Identifier: GPL-2.0
/* tree.c: open, check, chmod and remove the pin tree without following a symlink */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

#include "loader.h"

/*
 * A bpffs is mode 1777 when freshly mounted: anyone may mkdir or symlink
 * next to our pins. The loader runs as root, so below the root it works
 * from directory fds opened O_NOFOLLOW, looks at entries with
 * AT_SYMLINK_NOFOLLOW, and acts only in directories that are root's own.
 */
int tree_open_dir(int dirfd, const char *name, const char *path)
{
	struct statfs sfs;
	struct stat st;
	const char *why = NULL;
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return err;
		if (err == -ELOOP || err == -ENOTDIR) {
			struct stat lst;

			why = fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
			      S_ISLNK(lst.st_mode) ? "is a symbolic link" :
			      "is not a directory";
			pin_warn("'%s' %s: refusing to act on it (nothing changed)",
				 path, why);
			return -EPROTO;
		}
		pin_warn("'%s': %s%s", path, strerror(-err),
			 pin_access_hint(err, 0));
		return err;
	}
	if (fstat(fd, &st) || fstatfs(fd, &sfs))
		why = "cannot be examined";
	else if (sfs.f_type != BPF_FS_MAGIC)
		why = "is not on a bpf filesystem";
	else if (geteuid() == 0 && st.st_uid != 0)
		why = "is not owned by root";
	else if (geteuid() == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		why = "is writable by others than root";
	if (why) {
		pin_warn("'%s' %s: refusing to act in it (nothing changed; see 'Permissions' in the README)",
			 path, why);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* The entries of directory @fd, without consuming @fd. */
static DIR *dir_entries(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *dir;

	if (dup_fd < 0)
		return NULL;
	dir = fdopendir(dup_fd);
	if (!dir)
		close(dup_fd);
	else
		rewinddir(dir);
	return dir;
}

static void keep_first(int *err, int e)
{
	if (e && !*err)
		*err = e;
}

int tree_remove(int dirfd, const char *name, const char *path)
{
	/* links first, so programs detach before their maps go */
	static const char *const order[] = { "links", "progs", "maps" };
	char sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int fd, i, err = 0;
	DIR *dir;

	fd = tree_open_dir(dirfd, name, path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	for (i = 0; i < PIN_LEN(order); i++) {
		/* anything else than a directory goes with the rest below */
		if (fstatat(fd, order[i], &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (pin_path(sub, sizeof(sub), "%s/%s", path, order[i]))
			keep_first(&err, -ENAMETOOLONG);
		else
			keep_first(&err, tree_remove(fd, order[i], sub));
	}
	dir = dir_entries(fd);
	if (!dir) {
		keep_first(&err, -errno);
		goto out_close;
	}
	while ((e = readdir(dir))) {
		if (is_dot(e->d_name))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			keep_first(&err, -errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (pin_path(sub, sizeof(sub), "%s/%s", path, e->d_name))
				keep_first(&err, -ENAMETOOLONG);
			else
				keep_first(&err, tree_remove(fd, e->d_name, sub));
		} else if (unlinkat(fd, e->d_name, 0) && errno != ENOENT) {
			/* a pin, or a symlink itself: never what it points to */
			keep_first(&err, -errno);
		}
	}
	closedir(dir);
out_close:
	close(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) && errno != ENOENT)
		keep_first(&err, -errno);
	return err;
}

/* Whether pin @name holds captured content: the ring, or a map named so. */
static bool is_content(const struct pin_module_desc *d, const char *name)
{
	if (!d->captures_content)
		return false;
	return !strcmp(name, "events") || pin_list_has(d->content_maps, name);
}

int tree_set_modes(int dirfd, const char *name, const char *path, gid_t gid,
		   const struct pin_module_desc *d)
{
	char sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int fd, err = 0;
	DIR *dir;

	fd = tree_open_dir(dirfd, name, path);
	if (fd < 0)
		return fd;
	if (fchown(fd, 0, gid) || fchmod(fd, 0750))
		keep_first(&err, -errno);
	dir = dir_entries(fd);
	if (!dir) {
		keep_first(&err, -errno);
		goto out_close;
	}
	while ((e = readdir(dir))) {
		if (is_dot(e->d_name) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			/* lock directories stay root's alone (0700) */
			if (!strcmp(e->d_name, "locks"))
				continue;
			if (!pin_path(sub, sizeof(sub), "%s/%s", path, e->d_name))
				keep_first(&err, tree_set_modes(fd, e->d_name, sub,
								gid, d));
		} else if (S_ISREG(st.st_mode)) {
			/* a pin: checked above not to be a symlink */
			if (fchownat(fd, e->d_name, 0, gid, AT_SYMLINK_NOFOLLOW) ||
			    fchmodat(fd, e->d_name,
				     is_content(d, e->d_name) ? 0600 : 0640, 0))
				keep_first(&err, -errno);
		}
	}
	closedir(dir);
out_close:
	close(fd);
	if (err)
		pin_warn("'%s': set owner and modes: %s", path, strerror(-err));
	return err;
}

/* Every entry of @sub under the module is a pin (maps, progs, links). */
static int check_pins(int mod_fd, const char *sub, const char *path)
{
	char where[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int fd, err = 0;
	DIR *dir;

	pin_path(where, sizeof(where), "%s/%s", path, sub);
	fd = tree_open_dir(mod_fd, sub, where);
	if (fd == -ENOENT) {
		pin_warn("'%s' holds something else than a bpfpin module: no '%s' directory (nothing changed; remove it, or choose --pin-root)",
			 path, sub);
		return -EPROTO;
	}
	if (fd < 0)
		return fd;
	dir = dir_entries(fd);
	while (dir && !err && (e = readdir(dir))) {
		if (is_dot(e->d_name))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode)) {
			pin_warn("'%s/%s' %s, not a pin: refusing to act on module '%s' (nothing changed)",
				 where, e->d_name, S_ISLNK(st.st_mode) ?
				 "is a symbolic link" : "is not a file",
				 path);
			err = -EPROTO;
		}
	}
	if (dir)
		closedir(dir);
	close(fd);
	return err;
}

int tree_check_module(int root_fd, const char *root,
		      const struct pin_module_desc *d, struct bpfpin_meta *meta)
{
	static const char *const subs[] = { "maps", "progs", "links" };
	char path[PATH_MAX], meta_path[PATH_MAX], why[256];
	__u32 zero = 0;
	int fd, i, err = 0;

	if (pin_path(path, sizeof(path), "%s/%s", root, d->name))
		return -ENAMETOOLONG;
	fd = tree_open_dir(root_fd, d->name, path);
	if (fd < 0)
		return fd;
	for (i = 0; i < PIN_LEN(subs) && !err; i++)
		err = check_pins(fd, subs[i], path);
	close(fd);
	if (err)
		return err;
	pin_path(meta_path, sizeof(meta_path), "%s/maps/meta", path);
	fd = pin_obj_get(meta_path, 0, why, sizeof(why));
	if (fd >= 0) {
		err = pin_map_verify(fd, meta_path, BPF_MAP_TYPE_ARRAY,
				     sizeof(__u32), sizeof(*meta), 1, why,
				     sizeof(why));
		if (!err && bpf_map_lookup_elem(fd, &zero, meta)) {
			err = -errno;
			snprintf(why, sizeof(why), "%s", strerror(errno));
		}
		close(fd);
	} else {
		err = fd;
	}
	if (err) {
		pin_warn("'%s' holds something else than a bpfpin module: '%s': %s (nothing changed; remove it, or choose --pin-root)",
			 path, meta_path, why);
		return err == -ENOENT || err == -EPROTO ? -EPROTO : err;
	}
	return 0;
}
