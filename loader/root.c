// SPDX-License-Identifier: GPL-2.0
/* root.c: the pin root: mount bpffs under it, make it, check it, lock it */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "loader.h"

static bool is_empty_dir(const char *path)
{
	struct dirent *e;
	bool empty = true;
	DIR *dir = opendir(path);

	if (!dir)
		return false;
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

/*
 * The pin root needs a bpffs: mount one at its parent when there is none,
 * but only on an empty directory that is root's own and not reached
 * through a symlink (a user could point one at a directory of theirs).
 * The mount is 1755 (mode=0755; bpffs adds the sticky bit), not 1777:
 * nobody else can plant entries beside the root.
 */
static int ensure_bpffs(const char *root)
{
	char parent[PATH_MAX], real[PATH_MAX];
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", root);
	dirname(parent);
	if (pin_is_bpffs(parent))
		return 0;
	if (!realpath(parent, real) || lstat(parent, &st)) {
		int err = -errno;

		pin_warn("pin root '%s': parent '%s': %s", root, parent,
			 strerror(errno));
		return err;
	}
	if (!is_empty_dir(parent)) {
		pin_warn("pin root '%s': '%s' is not a bpffs mount and not empty; refusing to mount over it (mount -t bpf bpf DIR, or choose --pin-root)",
			 root, parent);
		return -EINVAL;
	}
	if (strcmp(real, parent) && strcmp(real, "/")) {
		pin_warn("pin root '%s': '%s' is reached through a symbolic link ('%s'); refusing to mount bpffs there",
			 root, parent, real);
		return -EPROTO;
	}
	if (st.st_uid != 0) {
		pin_warn("pin root '%s': '%s' is not owned by root; refusing to mount bpffs there",
			 root, parent);
		return -EPROTO;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0755")) {
		int err = -errno;

		pin_warn("bpffs at '%s': mount failed: %s", parent, strerror(errno));
		return err;
	}
	pin_info("mounted bpffs at %s", parent);
	return 0;
}

int root_open(const char *root, bool create)
{
	char parent[PATH_MAX];
	const struct group *grp;
	int parent_fd, fd, err;

	if (create) {
		err = ensure_bpffs(root);
		if (err)
			return err;
		/* mkdir never follows a symlink that stands at @root */
		if (mkdir(root, 0700) && errno != EEXIST) {
			err = -errno;
			pin_warn("pin root '%s': %s", root, strerror(errno));
			return err;
		}
	}
	snprintf(parent, sizeof(parent), "%s", root);
	parent_fd = open(dirname(parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0) {
		err = -errno;
		pin_warn("pin root '%s': %s", root, strerror(errno));
		return err;
	}
	{
		char base[PATH_MAX];

		snprintf(base, sizeof(base), "%s", root);
		fd = tree_open_dir(parent_fd, basename(base), root);
	}
	close(parent_fd);
	if (fd == -ENOENT)
		pin_warn("pin root '%s': %s (is bpfpin loaded? try 'bpfpin-load up', or check --pin-root)",
			 root, strerror(ENOENT));
	if (fd < 0)
		return fd;
	/* group bpfpin traverses the root to reach the modules' stats */
	grp = getgrnam(PIN_GROUP);
	if (geteuid() == 0 &&
	    (fchown(fd, 0, grp ? grp->gr_gid : 0) || fchmod(fd, 0750)))
		pin_debug("pin root '%s': %s", root, strerror(errno));
	return fd;
}

/*
 * Serialises up, down and reload: `<root>/_lock`, a directory only root
 * can open, so no reader in group bpfpin can hold it. SIGINT and SIGTERM
 * end the wait (and only the wait: a load, once begun, runs to its end).
 */
int root_lock(const char *root, double wait_s)
{
	char path[PATH_MAX], what[PATH_MAX + 32];
	int fd;

	if (pin_path(path, sizeof(path), "%s/_lock", root))
		return -ENAMETOOLONG;
	snprintf(what, sizeof(what), "bpfpin-load on '%s'", root);
	pin_stop = 0;
	pin_catch_stop_signals();
	fd = pin_lock(path, wait_s, what);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return fd;
}
