// SPDX-License-Identifier: GPL-2.0
/* filter.c: a module's filter (struct bpfpin_filter) from text, back to text, and pinned */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fts.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "pin.h"

#define MAX_BUDGET 1000000000u

/* The next item of a comma-separated list: its length, @s advanced. */
static size_t next_item(const char **s)
{
	size_t n;

	while (**s == ',' || **s == ' ' || **s == '\t')
		(*s)++;
	n = strcspn(*s, ", \t");
	return n;
}

static bool is_hex_id(const char *s, size_t n)
{
	size_t i;

	if (n < 12 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* The depth of @rel below the mount: "/" 0, "/a" 1, "/a/b" 2. */
static __u32 depth(const char *rel)
{
	__u32 n = 0;

	for (; *rel; rel++)
		if (*rel == '/' && rel[1] && rel[1] != '/')
			n++;
	return n;
}

/* The cgroup whose container id starts with @id: its path in @rel. */
static int find_container(const char *mount, const char *id, char *rel,
			  size_t size)
{
	char *paths[] = { (char *)mount, NULL }, cid[80];
	size_t mlen = strlen(mount);
	FTSENT *e;
	FTS *fts;
	int err = -ENOENT;

	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	while (err == -ENOENT && (e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		/* preorder: the container's own cgroup comes first */
		if (pin_container_id(e->fts_path + mlen, cid, sizeof(cid)) &&
		    !strncmp(cid, id, strlen(id))) {
			snprintf(rel, size, "%s", e->fts_path[mlen] ? e->fts_path + mlen : "/");
			err = 0;
		}
	}
	fts_close(fts);
	return err;
}

int pin_cgroup_find(const char *spec, struct bpfpin_cgroup_ref *ref,
		       char *why, size_t size)
{
	const char *mount = pin_cgroup2_mount(), *given = spec;
	char rel[PATH_MAX], path[PATH_MAX];
	size_t mlen;
	struct stat st;

	if (!mount) {
		snprintf(why, size, "cgroup '%s': no cgroup v2 hierarchy is mounted", spec);
		return -ENOENT;
	}
	mlen = strlen(mount);
	if (spec[0] == '/') {
		/* under the mount, given either way */
		if (!strncmp(spec, mount, mlen) && (spec[mlen] == '/' || !spec[mlen]))
			spec += mlen;
		snprintf(rel, sizeof(rel), "%s", spec[0] ? spec : "/");
	} else if (is_hex_id(spec, strlen(spec))) {
		if (find_container(mount, spec, rel, sizeof(rel))) {
			snprintf(why, size, "no cgroup of container '%s' under %s",
				 spec, mount);
			return -ENOENT;
		}
	} else {
		snprintf(why, size, "cgroup '%s': expected a path (/a/b, under %s) or a container id",
			 spec, mount);
		return -EINVAL;
	}
	if (strstr(rel, "/..") || pin_path(path, sizeof(path), "%s%s", mount, rel) ||
	    stat(path, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, size, "cgroup '%s' does not exist (no directory %s)",
			 given, path);
		return -ENOENT;
	}
	ref->id = st.st_ino;
	ref->level = depth(rel);
	ref->pad = 0;
	return 0;
}

/* A whole number from @lo to @hi, or -EINVAL. */
static int number(const char *s, size_t n, unsigned long lo, unsigned long hi,
		  unsigned long *out)
{
	char buf[32], *end;

	if (!n || n >= sizeof(buf) || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtoul(buf, &end, 10);
	if (errno || *end || *out < lo || *out > hi)
		return -EINVAL;
	return 0;
}

static int set_cgroups(struct bpfpin_filter *f, const char *v, char *why,
		       size_t size)
{
	char spec[PATH_MAX];
	size_t n;
	int err;

	f->ncgroups = 0;
	memset(f->cgroups, 0, sizeof(f->cgroups));
	while ((n = next_item(&v))) {
		if (f->ncgroups == BPFPIN_FILTER_CGROUPS) {
			snprintf(why, size, "at most %d cgroups", BPFPIN_FILTER_CGROUPS);
			return -EINVAL;
		}
		snprintf(spec, sizeof(spec), "%.*s", (int)n, v);
		err = pin_cgroup_find(spec, &f->cgroups[f->ncgroups], why, size);
		if (err)
			return err;
		f->ncgroups++;
		v += n;
	}
	if (f->ncgroups)
		f->flags |= BPFPIN_F_CGROUP;
	else
		f->flags &= ~BPFPIN_F_CGROUP;
	return 0;
}

static int set_pids(struct bpfpin_filter *f, const char *v, char *why,
		    size_t size)
{
	unsigned long pid;
	size_t n;

	f->npids = 0;
	memset(f->pids, 0, sizeof(f->pids));
	while ((n = next_item(&v))) {
		if (f->npids == BPFPIN_FILTER_PIDS) {
			snprintf(why, size, "at most %d pids", BPFPIN_FILTER_PIDS);
			return -EINVAL;
		}
		if (number(v, n, 1, 4194304, &pid)) {
			snprintf(why, size, "pid '%.*s': expected a number from 1 to 4194304",
				 (int)n, v);
			return -EINVAL;
		}
		f->pids[f->npids++] = pid;
		v += n;
	}
	if (f->npids)
		f->flags |= BPFPIN_F_PID;
	else
		f->flags &= ~BPFPIN_F_PID;
	return 0;
}

/* "all", "none", or event names of @d: which types are off. */
static int set_events(const struct pin_module_desc *d, struct bpfpin_filter *f,
		      const char *v, char *why, size_t size)
{
	__u64 on = 0, all = 0;
	size_t n;
	int i;

	for (i = 0; i < d->nevents; i++)
		all |= 1ull << (d->events[i].type & 63);
	while ((n = next_item(&v))) {
		if ((n == 3 && !strncmp(v, "all", 3)))
			on |= all;
		else if (n != 4 || strncmp(v, "none", 4)) {
			for (i = 0; i < d->nevents; i++)
				if (strlen(d->events[i].name) == n &&
				    !strncmp(d->events[i].name, v, n))
					break;
			if (i == d->nevents) {
				snprintf(why, size, "module '%s' has no event '%.*s'%s",
					 d->name, (int)n, v,
					 d->nevents ? "" : " (it emits none)");
				return -EINVAL;
			}
			on |= 1ull << (d->events[i].type & 63);
		}
		v += n;
	}
	f->events_off = all & ~on;
	return 0;
}

int pin_filter_set(const struct pin_module_desc *d, struct bpfpin_filter *f,
		   const char *key, const char *value, char *why, size_t size)
{
	unsigned long v;
	size_t n;

	if (!strcmp(key, "cgroup"))
		return set_cgroups(f, value, why, size);
	if (!strcmp(key, "events"))
		return set_events(d, f, value, why, size);
	if (!strcmp(key, "max_events_per_s")) {
		if (number(value, strlen(value), 1, MAX_BUDGET, &v)) {
			snprintf(why, size, "max_events_per_s '%s': expected a number of events per second from 1 to %u",
				 value, MAX_BUDGET);
			return -EINVAL;
		}
		f->max_events_per_s = v;
		return 0;
	}
	if (!strcmp(key, "no_system")) {
		if (strcmp(value, "0") && strcmp(value, "1")) {
			snprintf(why, size, "no_system '%s': expected 0 or 1", value);
			return -EINVAL;
		}
		f->flags &= ~BPFPIN_F_NO_SYSTEM;
		memset(f->system, 0, sizeof(f->system));
		if (!strcmp(value, "1")) {
			f->flags |= BPFPIN_F_NO_SYSTEM;
			/* pid 1's own cgroup and its services', where they are */
			pin_cgroup_find("/init.scope", &f->system[0], why, size);
			pin_cgroup_find("/system.slice", &f->system[1], why, size);
			if (!f->system[0].id) {
				f->system[0] = f->system[1];
				f->system[1].id = 0;
			}
			why[0] = '\0';
		}
		return 0;
	}
	if (strcmp(key, "pid") && strcmp(key, "comm") && strcmp(key, "uid")) {
		snprintf(why, size, "unknown filter '%s' (cgroup, pid, comm, uid, no_system)",
			 key);
		return -EINVAL;
	}
	if (!d->filter_task) {
		snprintf(why, size, "module '%s' has no %s filter: %s", d->name,
			 key, d->filter_scope ? d->filter_scope :
			 "it filters on its sockets' cgroups only (cgroup and no_system apply)");
		return -EINVAL;
	}
	if (!strcmp(key, "pid"))
		return set_pids(f, value, why, size);
	if (!strcmp(key, "comm")) {
		n = strlen(value);
		memset(f->comm, 0, sizeof(f->comm));
		f->flags &= ~BPFPIN_F_COMM;
		if (n >= sizeof(f->comm)) {
			snprintf(why, size, "comm '%s': at most %zu bytes (the kernel's TASK_COMM_LEN - 1)",
				 value, sizeof(f->comm) - 1);
			return -EINVAL;
		}
		if (n) {
			memcpy(f->comm, value, n);
			f->flags |= BPFPIN_F_COMM;
		}
		return 0;
	}
	if (!*value) {
		f->flags &= ~BPFPIN_F_UID;
		return 0;
	}
	if (number(value, strlen(value), 0, 4294967294ul, &v)) {
		snprintf(why, size, "uid '%s': expected a number from 0 to 4294967294",
			 value);
		return -EINVAL;
	}
	f->uid = v;
	f->flags |= BPFPIN_F_UID;
	return 0;
}

bool pin_filter_is_empty(const struct bpfpin_filter *f)
{
	return !f->flags && !f->events_off && !f->max_events_per_s;
}

/* Append to @buf at *@len, never past @size. */
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += n;
}

void pin_filter_format(const struct pin_module_desc *d,
		       const struct bpfpin_filter *f, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	__u32 i;
	int e, on = 0;

	buf[0] = '\0';
	if (!f || pin_filter_is_empty(f)) {
		snprintf(buf, size, "none");
		return;
	}
	if (f->flags & BPFPIN_F_CGROUP)
		for (i = 0; i < f->ncgroups && i < BPFPIN_FILTER_CGROUPS; i++) {
			if (pin_cgroup_path(f->cgroups[i].id, path, sizeof(path)))
				snprintf(path, sizeof(path), "cgroup:%llu",
					 (unsigned long long)f->cgroups[i].id);
			add(buf, size, &len, "%s%s", i ? "," : " cgroup=", path);
		}
	if (f->flags & BPFPIN_F_PID)
		for (i = 0; i < f->npids && i < BPFPIN_FILTER_PIDS; i++)
			add(buf, size, &len, "%s%u", i ? "," : " pid=", f->pids[i]);
	if (f->flags & BPFPIN_F_COMM)
		add(buf, size, &len, " comm=%.*s", (int)sizeof(f->comm), f->comm);
	if (f->flags & BPFPIN_F_UID)
		add(buf, size, &len, " uid=%u", f->uid);
	if (f->flags & BPFPIN_F_NO_SYSTEM)
		add(buf, size, &len, " no_system");
	if (f->events_off) {
		for (e = 0; d && e < d->nevents; e++)
			if (!(f->events_off & (1ull << (d->events[e].type & 63))))
				add(buf, size, &len, "%s%s", on++ ? "," : " events=",
				    d->events[e].name);
		if (!on)
			add(buf, size, &len, " events=none");
	}
	if (f->max_events_per_s)
		add(buf, size, &len, " rate=%u/s", f->max_events_per_s);
	/* drop the leading space */
	memmove(buf, buf + 1, strlen(buf));
}

int pin_module__filter(const struct pin_module *m, struct bpfpin_filter *f,
		       bool *set)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	memset(f, 0, sizeof(*f));
	*set = false;
	pin_path(path, sizeof(path), "%s/maps/filter", m->dir);
	/* a module loaded by a bpfpin without filters has none */
	if (access(path, F_OK) && errno == ENOENT)
		return -ENOENT;
	fd = pin_map_open(path, BPF_MAP_TYPE_HASH, sizeof(__u32), sizeof(*f), 1,
			  PIN_RDONLY);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, f))
		err = errno == ENOENT ? 0 : -errno;
	else
		*set = true;
	close(fd);
	return err;
}
