// SPDX-License-Identifier: GPL-2.0
/* cgroup.c: cgroup v2 id -> path -> container id, from whatever hierarchy is mounted */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fts.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "pin.h"

/* On cgroup v2 a cgroup's id is the inode number of its directory. */
struct cg_entry {
	__u64 id;
	char *path;
};

static struct cg_entry *cg_table;
static size_t cg_cap, cg_count;
static time_t cg_scanned;
static char cg_mount[PATH_MAX];
static bool cg_mount_known;

const char *pin_cgroup2_mount(void)
{
	struct mntent *me;
	FILE *f;

	if (cg_mount_known)
		return cg_mount[0] ? cg_mount : NULL;
	cg_mount_known = true;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while ((me = getmntent(f))) {
		if (!strcmp(me->mnt_type, "cgroup2")) {
			snprintf(cg_mount, sizeof(cg_mount), "%s", me->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return cg_mount[0] ? cg_mount : NULL;
}

static void cg_insert(__u64 id, const char *path)
{
	size_t i;

	if (cg_count * 2 >= cg_cap) {
		size_t old = cg_cap;
		struct cg_entry *t = cg_table;

		cg_cap = cg_cap ? cg_cap * 2 : 1024;
		cg_table = calloc(cg_cap, sizeof(*cg_table));
		if (!cg_table) {
			cg_table = t;
			cg_cap = old;
			return;
		}
		cg_count = 0;
		for (i = 0; i < old; i++)
			if (t[i].path)
				cg_insert(t[i].id, t[i].path), free(t[i].path);
		free(t);
	}
	for (i = id % cg_cap; cg_table[i].path; i = (i + 1) % cg_cap) {
		if (cg_table[i].id == id) {
			if (strcmp(cg_table[i].path, path)) {
				free(cg_table[i].path);
				cg_table[i].path = strdup(path);
			}
			return;
		}
	}
	cg_table[i].id = id;
	cg_table[i].path = strdup(path);
	if (cg_table[i].path)
		cg_count++;
}

static const char *cg_lookup(__u64 id)
{
	size_t i;

	if (!cg_cap)
		return NULL;
	for (i = id % cg_cap; cg_table[i].path; i = (i + 1) % cg_cap)
		if (cg_table[i].id == id)
			return cg_table[i].path;
	return NULL;
}

static void cg_scan(const char *mnt)
{
	char *argv[] = { (char *)mnt, NULL };
	size_t len = strlen(mnt);
	FTSENT *e;
	FTS *fts;

	fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts)
		return;
	while ((e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		cg_insert(e->fts_statp->st_ino,
			  e->fts_path[len] ? e->fts_path + len : "/");
	}
	fts_close(fts);
}

int pin_cgroup_path(__u64 id, char *buf, size_t size)
{
	const char *mnt = pin_cgroup2_mount(), *p;
	time_t now;

	if (!mnt)
		return -ENOENT;
	p = cg_lookup(id);
	if (!p) {
		/* new cgroups appear all the time: rescan, at most once a second */
		now = time(NULL);
		if (now != cg_scanned) {
			cg_scanned = now;
			cg_scan(mnt);
			p = cg_lookup(id);
		}
	}
	if (!p)
		return -ENOENT;
	snprintf(buf, size, "%s", p);
	return 0;
}

static bool is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * One path component: "<prefix><64 hex>[.scope]". The systemd driver writes
 * docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope and
 * libpod-<id>.scope; the cgroupfs driver writes the bare id
 * (/docker/<id>, /kubepods/.../pod<uid>/<id>). conmon scopes are the
 * monitors, not the container.
 */
static bool component_id(const char *s, size_t len, char *id, size_t size)
{
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-", "",
	};
	size_t i, plen;

	if (len > 6 && !strncmp(s + len - 6, ".scope", 6))
		len -= 6;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (len < plen || strncmp(s, prefixes[i], plen))
			continue;
		if (is_hex64(s + plen, len - plen)) {
			snprintf(id, size, "%.64s", s + plen);
			return true;
		}
	}
	return false;
}

bool pin_container_id(const char *path, char *id, size_t size)
{
	const char *end = path + strlen(path), *start;

	/* the deepest container wins: nested cgroups stay in their container */
	while (end > path) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (component_id(start, end - start, id, size))
			return true;
		end = start > path ? start - 1 : path;
	}
	return false;
}
