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

/*
 * A cgroup's id is the inode number of its directory (kernfs), in v2 and in
 * each v1 hierarchy alike. One cache per hierarchy we resolve ids in.
 */
struct cg_entry {
	__u64 id;
	char *path;
};

struct hierarchy {
	bool known;		/* mount looked up */
	char mount[PATH_MAX];	/* "" when not mounted */
	struct cg_entry *table;
	size_t cap;
	size_t count;
	time_t scanned;
};

static struct hierarchy v2, memory_v1;

/* type "cgroup2", or type "cgroup" with mount option @option */
static void find_mount(struct hierarchy *h, const char *type, const char *option)
{
	struct mntent *me;
	FILE *f;

	h->known = true;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return;
	while ((me = getmntent(f))) {
		if (!strcmp(me->mnt_type, type) &&
		    (!option || hasmntopt(me, option))) {
			snprintf(h->mount, sizeof(h->mount), "%s", me->mnt_dir);
			break;
		}
	}
	endmntent(f);
}

const char *pin_cgroup2_mount(void)
{
	if (!v2.known)
		find_mount(&v2, "cgroup2", NULL);
	return v2.mount[0] ? v2.mount : NULL;
}

static void cg_insert(struct hierarchy *h, __u64 id, const char *path)
{
	size_t i;

	if (h->count * 2 >= h->cap) {
		size_t old = h->cap;
		struct cg_entry *t = h->table;

		h->cap = h->cap ? h->cap * 2 : 1024;
		h->table = calloc(h->cap, sizeof(*h->table));
		if (!h->table) {
			h->table = t;
			h->cap = old;
			return;
		}
		h->count = 0;
		for (i = 0; i < old; i++) {
			if (t[i].path) {
				cg_insert(h, t[i].id, t[i].path);
				free(t[i].path);
			}
		}
		free(t);
	}
	for (i = id % h->cap; h->table[i].path; i = (i + 1) % h->cap) {
		if (h->table[i].id == id) {
			if (strcmp(h->table[i].path, path)) {
				free(h->table[i].path);
				h->table[i].path = strdup(path);
			}
			return;
		}
	}
	h->table[i].id = id;
	h->table[i].path = strdup(path);
	if (h->table[i].path)
		h->count++;
}

static const char *cg_lookup(const struct hierarchy *h, __u64 id)
{
	size_t i;

	if (!h->cap)
		return NULL;
	for (i = id % h->cap; h->table[i].path; i = (i + 1) % h->cap)
		if (h->table[i].id == id)
			return h->table[i].path;
	return NULL;
}

static void cg_scan(struct hierarchy *h)
{
	char *argv[] = { h->mount, NULL };
	size_t len = strlen(h->mount);
	FTSENT *e;
	FTS *fts;

	fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts)
		return;
	while ((e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		cg_insert(h, e->fts_statp->st_ino,
			  e->fts_path[len] ? e->fts_path + len : "/");
	}
	fts_close(fts);
}

static int resolve(struct hierarchy *h, __u64 id, char *buf, size_t size)
{
	const char *p;
	size_t len;
	time_t now;

	if (!h->mount[0])
		return -ENOENT;
	p = cg_lookup(h, id);
	if (!p) {
		/* new cgroups appear all the time: rescan, at most once a second */
		now = time(NULL);
		if (now != h->scanned) {
			h->scanned = now;
			cg_scan(h);
			p = cg_lookup(h, id);
		}
	}
	if (!p)
		return -ENOENT;
	len = strlen(p);
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

int pin_cgroup_path(__u64 id, char *buf, size_t size)
{
	pin_cgroup2_mount();
	return resolve(&v2, id, buf, size);
}

int pin_memcg_path(__u64 id, char *buf, size_t size)
{
	if (!memory_v1.known)
		find_mount(&memory_v1, "cgroup", "memory");
	if (memory_v1.mount[0])
		return resolve(&memory_v1, id, buf, size);
	return pin_cgroup_path(id, buf, size);
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
