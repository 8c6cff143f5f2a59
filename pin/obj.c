// SPDX-License-Identifier: GPL-2.0
/* obj.c: open pinned maps and modules, and verify them before anything is read */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

const char *const pin_drop_names[DROP_NR] = {
	[DROP_RINGBUF] = "ringbuf_full",
	[DROP_MAP_FULL] = "map_full",
	[DROP_READ] = "read_failed",
	[DROP_RATE] = "rate_limited",
};

static const struct pin_field drop_value_field[] = {
	{ .name = "drops", .size = 8, .type = PIN_T_U64,
	  .role = PIN_ROLE_COUNTER, .agg = PIN_AGG_SUM },
};

/* The drops map, described like any stats map so one function sums it. */
static const struct pin_map_desc drops_desc = {
	.name = "drops", .type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4, .value_size = 8,
	.values = drop_value_field, .nvalues = 1,
};

static const char *map_type_name(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

/*
 * libbpf 1.1's tables stop at BPF_PROG_TYPE_SYSCALL and
 * BPF_LINK_TYPE_STRUCT_OPS; the kernel's uapi/linux/bpf.h numbers the
 * newer ones, named here as later libbpf releases name them.
 */
const char *pin_prog_type_name(__u32 type)
{
	const char *s = libbpf_bpf_prog_type_str(type);

	if (!s && type == 32)	/* BPF_PROG_TYPE_NETFILTER, Linux 6.4 */
		s = "netfilter";
	return s;
}

const char *pin_link_type_name(__u32 type)
{
	static const char *const newer[] = {
		[10] = "netfilter",	/* Linux 6.4 */
		[11] = "tcx",		/* 6.6 */
		[12] = "uprobe_multi",	/* 6.6 */
		[13] = "netkit",	/* 6.7 */
		[14] = "sockmap",	/* 6.10 */
	};
	const char *s = libbpf_bpf_link_type_str(type);

	if (!s && type < sizeof(newer) / sizeof(newer[0]))
		s = newer[type];
	return s;
}

const char *pin_obj_kind(int fd)
{
	char link[64], target[64];
	ssize_t n;

	/* the kernel names its BPF files: anon_inode:bpf-map, -prog, bpf_link */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return "unknown";
	target[n] = '\0';
	if (!strcmp(target, "anon_inode:bpf-map"))
		return "map";
	if (!strcmp(target, "anon_inode:bpf-prog"))
		return "program";
	if (!strcmp(target, "anon_inode:bpf-link") ||
	    !strcmp(target, "anon_inode:bpf_link"))
		return "link";
	return "unknown";
}

int pin_obj_get(const char *path, int flags, char *why, size_t size)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts,
		    .file_flags = (flags & PIN_RDONLY) ? BPF_F_RDONLY : 0);
	struct stat st;
	int fd, err;

	/* bpf_obj_get follows a symlink: look at the pin itself first */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, size, "%s", S_ISLNK(st.st_mode) ?
			 "a symbolic link, not a pin" :
			 S_ISDIR(st.st_mode) ? "a directory, not a pin" :
			 "not a pin");
		return -EPROTO;
	}
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0 && errno == EINVAL && opts.file_flags) {
		/* a link takes no read-only flag: open it to say what it is */
		opts.file_flags = 0;
		fd = bpf_obj_get_opts(path, &opts);
		if (fd >= 0 && !strcmp(pin_obj_kind(fd), "map")) {
			close(fd);
			fd = -1;
			errno = EINVAL;
		}
	}
	if (fd < 0) {
		err = -errno;
		snprintf(why, size, "%s", strerror(-err));
		return err;
	}
	return fd;
}

int pin_map_verify(int fd, const char *path, __u32 type, __u32 key_size,
		   __u32 value_size, __u32 max_entries, char *why, size_t size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *base, *kind = pin_obj_kind(fd);

	if (strcmp(kind, "map") || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(why, size, "a BPF %s, not a map (expected a %s map)",
			 kind, map_type_name(type));
		return -EPROTO;
	}
	if (info.type != type) {
		snprintf(why, size, "type %s, expected %s (loaded by another bpfpin version? see 'bpfpin-ls')",
			 map_type_name(info.type), map_type_name(type));
		return -EPROTO;
	}
	if (info.key_size != key_size || info.value_size != value_size) {
		snprintf(why, size, "key/value size %u/%u, expected %u/%u (loaded by another bpfpin version? see 'bpfpin-ls')",
			 info.key_size, info.value_size, key_size, value_size);
		return -EPROTO;
	}
	if (max_entries && info.max_entries != max_entries) {
		snprintf(why, size, "%u entries, expected %u", info.max_entries,
			 max_entries);
		return -EPROTO;
	}
	/* same shape, other name: another program's map pinned here */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(info.name, base, BPF_OBJ_NAME_LEN - 1)) {
		snprintf(why, size, "named '%s', expected '%.15s' (another program's map?)",
			 info.name, base);
		return -EPROTO;
	}
	return 0;
}

int pin_map_open(const char *path, __u32 type, __u32 key_size,
		 __u32 value_size, __u32 max_entries, int flags)
{
	char why[256];
	int fd, err;

	fd = pin_obj_get(path, flags, why, sizeof(why));
	if (fd == -ENOENT) {
		pin_warn("pin '%s': %s (is the module loaded? see 'bpfpin-ls')",
			 path, why);
		return fd;
	}
	if (fd < 0) {
		pin_warn("pin '%s': %s%s", path, why, pin_access_hint(fd, flags));
		return fd;
	}
	err = pin_map_verify(fd, path, type, key_size, value_size, max_entries,
			     why, sizeof(why));
	if (err) {
		pin_warn("map '%s': %s", path, why);
		close(fd);
		return err;
	}
	return fd;
}

int pin_module__open(struct pin_module *m, const char *root,
		     const struct pin_module_desc *d, int flags)
{
	char path[PATH_MAX];
	struct stat st;
	__u32 zero = 0, abi;
	int err;

	memset(m, 0, sizeof(*m));
	m->desc = d;
	m->meta_fd = m->drops_fd = -1;
	err = pin_check_root(root);
	if (err)
		return err;
	if (pin_path(m->dir, sizeof(m->dir), "%s/%s", root, d->name))
		return -ENAMETOOLONG;
	if (lstat(m->dir, &st)) {
		err = -errno;
		if (err == -ENOENT)
			pin_warn("module '%s' is not loaded under '%s' (try 'bpfpin-load up %s')",
				 d->name, root, d->name);
		else
			pin_warn("module '%s': '%s': %s%s", d->name, m->dir,
				 strerror(-err), pin_access_hint(err, PIN_RDONLY));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		pin_warn("module '%s': '%s' %s, not a bpfpin module", d->name,
			 m->dir, S_ISLNK(st.st_mode) ? "is a symbolic link" :
			 "is not a directory");
		return -EPROTO;
	}
	pin_path(path, sizeof(path), "%s/maps/meta", m->dir);
	m->meta_fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				  sizeof(struct bpfpin_meta), 1, flags);
	if (m->meta_fd < 0) {
		err = m->meta_fd;
		goto err_close;
	}
	if (bpf_map_lookup_elem(m->meta_fd, &zero, &m->meta)) {
		err = -errno;
		pin_warn("map '%s': %s", path, strerror(-err));
		goto err_close;
	}
	abi = pin_module_abi_hash(d);
	if (m->meta.schema_version != d->schema_version ||
	    m->meta.abi_hash != abi) {
		pin_warn("module '%s': pinned schema %u (abi %08x), this reader knows %u (abi %08x) (reload with 'bpfpin-load reload --reset %s')",
			 d->name, m->meta.schema_version, m->meta.abi_hash,
			 d->schema_version, abi, d->name);
		err = -EPROTO;
		goto err_close;
	}
	pin_path(path, sizeof(path), "%s/maps/drops", m->dir);
	m->drops_fd = pin_map_open(path, drops_desc.type, drops_desc.key_size,
				   drops_desc.value_size, DROP_NR, flags);
	if (m->drops_fd < 0) {
		err = m->drops_fd;
		goto err_close;
	}
	return 0;

err_close:
	pin_module__close(m);
	return err;
}

void pin_module__close(struct pin_module *m)
{
	if (m->meta_fd >= 0)
		close(m->meta_fd);
	if (m->drops_fd >= 0)
		close(m->drops_fd);
	m->meta_fd = m->drops_fd = -1;
}

int pin_module__open_stats(const struct pin_module *m,
			   const struct pin_map_desc *d, int flags,
			   struct pin_stats_maps *s)
{
	char path[PATH_MAX];
	int i, fd;

	s->slot = s->half[0] = s->half[1] = -1;
	if (pin_path(path, sizeof(path), "%s/maps/%s_slot", m->dir, d->name))
		return -ENAMETOOLONG;
	fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY_OF_MAPS, sizeof(__u32),
			  sizeof(__u32), 1, flags);
	if (fd < 0)
		return fd;
	s->slot = fd;
	for (i = 0; i < 2; i++) {
		pin_path(path, sizeof(path), "%s/maps/%s_%c", m->dir, d->name,
			 'a' + i);
		fd = pin_map_open(path, d->type, d->key_size, d->value_size, 0,
				  flags);
		if (fd < 0) {
			pin_stats_maps__close(s);
			return fd;
		}
		s->half[i] = fd;
	}
	return 0;
}

void pin_stats_maps__close(struct pin_stats_maps *s)
{
	if (s->slot >= 0)
		close(s->slot);
	if (s->half[0] >= 0)
		close(s->half[0]);
	if (s->half[1] >= 0)
		close(s->half[1]);
	s->slot = s->half[0] = s->half[1] = -1;
}

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

int pin_stats_maps__active(const struct pin_stats_maps *s)
{
	__u32 zero = 0, active, ids[2] = {};
	int i, err;

	if (bpf_map_lookup_elem(s->slot, &zero, &active))
		return -errno;
	for (i = 0; i < 2; i++) {
		err = map_id(s->half[i], &ids[i]);
		if (err)
			return err;
	}
	if (active != ids[0] && active != ids[1])
		return -EPROTO;
	return active == ids[0] ? 0 : 1;
}

int pin_stats_maps__swap(const struct pin_stats_maps *s)
{
	__u32 zero = 0;
	int i = pin_stats_maps__active(s);

	if (i < 0)
		return i;
	/* returns once no program can still hold the old half (RCU) */
	if (bpf_map_update_elem(s->slot, &zero, &s->half[!i], BPF_ANY))
		return -errno;
	return i;
}

int pin_module__drops(const struct pin_module *m, __u64 drops[DROP_NR])
{
	unsigned char *buf = malloc(pin_percpu_stride(8) * pin_ncpus());
	int err = 0;
	__u32 i;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < DROP_NR; i++) {
		if (bpf_map_lookup_elem(m->drops_fd, &i, buf)) {
			err = -errno;
			pin_warn("map '%s/maps/drops': %s", m->dir, strerror(-err));
			break;
		}
		pin_percpu_reduce(&drops_desc, buf, &drops[i]);
	}
	free(buf);
	return err;
}

bool pin_map_is_pinned(int fd, const char *path)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	__u32 held = 0, pinned = 1;
	int pfd = bpf_obj_get_opts(path, &opts);
	bool same;

	if (pfd < 0)
		return false;
	same = !map_id(fd, &held) && !map_id(pfd, &pinned) && held == pinned;
	close(pfd);
	return same;
}

bool pin_map_is_lru(const struct pin_map_desc *d)
{
	return d->type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       d->type == BPF_MAP_TYPE_LRU_HASH;
}

/* The u64 per-CPU counter map NAME_SUFFIX of stats map @d, summed over CPUs. */
static int counter_read(const struct pin_module *m, const struct pin_map_desc *d,
			const char *suffix, __u64 *value)
{
	static const struct pin_field word = {
		.name = "n", .size = 8, .type = PIN_T_U64, .agg = PIN_AGG_SUM,
	};
	static const struct pin_map_desc sum = {
		.value_size = 8, .values = &word, .nvalues = 1,
	};
	unsigned char *buf;
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	pin_path(path, sizeof(path), "%s/maps/%s_%s", m->dir, d->name, suffix);
	fd = pin_map_open(path, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, PIN_RDONLY);
	if (fd < 0)
		return fd;
	buf = malloc(pin_percpu_stride(8) * pin_ncpus());
	if (!buf) {
		err = -ENOMEM;
	} else if (bpf_map_lookup_elem(fd, &zero, buf)) {
		err = -errno;
		pin_warn("map '%s': %s", path, strerror(-err));
	} else {
		pin_percpu_reduce(&sum, buf, value);
	}
	free(buf);
	close(fd);
	return err;
}

int pin_module__flush_state(const struct pin_module *m, struct bpfpin_flush *st)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	pin_path(path, sizeof(path), "%s/maps/flush", m->dir);
	fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(*st),
			  1, PIN_RDONLY);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, st)) {
		err = -errno;
		pin_warn("map '%s': %s", path, strerror(-err));
	}
	close(fd);
	return err;
}

int pin_map_count_keys_max(int fd, __u32 key_size, __u64 max, __u64 *n)
{
	unsigned char *keys;
	size_t size = key_size ? key_size : 1;
	int err = 0;

	*n = 0;
	keys = calloc(2, size);
	if (!keys)
		return -ENOMEM;
	/* the key found is the next call's start: alternate two buffers */
	while (*n < max) {
		if (bpf_map_get_next_key(fd, *n ? keys + (*n & 1) * size : NULL,
					 keys + ((*n + 1) & 1) * size)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		(*n)++;
	}
	free(keys);
	return err;
}

int pin_map_count_keys(int fd, __u32 key_size, __u64 *n)
{
	return pin_map_count_keys_max(fd, key_size, UINT64_MAX, n);
}

__u64 pin_fd_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	/* the kernel reports an object's charged memory only in fdinfo */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * Every insert into an LRU stats map made one entry, which is either still
 * there, drained by a flush, or evicted: evicted = inserts - live - drained.
 */
int pin_module__evicted(const struct pin_module *m, __u64 *evicted, bool *has)
{
	struct bpfpin_flush st;
	struct pin_stats_maps maps;
	int i, h, err;

	*evicted = 0;
	*has = false;
	for (i = 0; i < m->desc->nmaps; i++) {
		const struct pin_map_desc *d = &m->desc->maps[i];
		__u64 inserts = 0, drained, live = 0;

		if (!pin_map_is_lru(d))
			continue;
		*has = true;
		err = counter_read(m, d, "inserts", &inserts);
		if (!err)
			err = pin_module__open_stats(m, d, PIN_RDONLY, &maps);
		if (err)
			return err;
		for (h = 0; h < 2 && !err; h++) {
			__u64 n;

			err = pin_map_count_keys(maps.half[h], d->key_size, &n);
			live += n;
		}
		pin_stats_maps__close(&maps);
		if (err) {
			pin_warn("map '%s/maps/%s': %s", m->dir, d->name, strerror(-err));
			return err;
		}
		/* read last: a flush adds to drained before it deletes the keys */
		err = pin_module__flush_state(m, &st);
		if (err)
			return err;
		drained = i < BPFPIN_MAX_STATS_MAPS ? st.drained[i] : 0;
		/* inserts are read first: later ones can make this negative */
		if (inserts > live + drained)
			*evicted += inserts - live - drained;
	}
	return 0;
}
