// SPDX-License-Identifier: GPL-2.0
/* cgroup.bpf.c: cgroups made and removed (cgroup_mkdir/rmdir), v2 and every v1 hierarchy */
#include "common.bpf.h"
#include "cgroup.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(parents, struct cgrp_parent_key, struct cgrp_stats, CGRP_PARENT_ENTRIES);
BPFPIN_STATS_LRU(paths, struct cgrp_path_key, struct cgrp_stats, CGRP_PATH_ENTRIES);
BPFPIN_EVENTS_RING(CGRP_RING_BYTES);

/* Two 264-byte keys do not fit the 512-byte stack: they live here. */
struct keys {
	struct cgrp_parent_key parent;
	struct cgrp_path_key path;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct keys);
} scratch SEC(".maps");

static const struct cgrp_stats zero_stats;

/*
 * The parent directory of @path (@len bytes with its NUL, as read into
 * @k), in @pk: "/a/b" -> "/a", "/a" -> "/". The last component is the
 * cgroup's kernfs name, so its length says where the parent ends without
 * a loop over the bytes (one the verifier had to walk per length). A path
 * cut at CGRP_PATH_LEN keeps its cut self as the parent.
 */
static __always_inline void parent_of(struct cgroup *cgrp, const char *path,
				      long len, const struct cgrp_path_key *k,
				      struct cgrp_parent_key *pk)
{
	const char *name = BPF_CORE_READ(cgrp, kn, name);
	long nlen, n;

	__builtin_memset(pk, 0, sizeof(*pk));
	pk->hierarchy = k->hierarchy;
	nlen = bpf_probe_read_kernel_str(pk->parent, sizeof(pk->parent), name);
	__builtin_memset(pk->parent, 0, sizeof(pk->parent));
	if (len <= 0 || len >= CGRP_PATH_LEN || nlen <= 0 || nlen >= len) {
		__builtin_memcpy(pk->parent, k->path, sizeof(pk->parent));
		return;
	}
	n = len - nlen - 1;	/* up to the slash before the name */
	if (n <= 0)
		pk->parent[0] = '/';
	else if (bpf_probe_read_kernel(pk->parent, n & (CGRP_PATH_LEN - 1), path))
		bpfpin_drop(DROP_READ);
}

static __always_inline int on_cgroup(struct cgroup *cgrp, const char *path,
				     bool btf, __u16 type)
{
	__u32 zero = 0, hierarchy;
	struct cgrp_stats *s;
	struct cgrp_event *e;
	struct keys *k;
	long len;

	hierarchy = btf ? cgrp->root->hierarchy_id :
		    BPF_CORE_READ(cgrp, root, hierarchy_id);
	/* a v1 cgroup's ids are not v2 ids: a cgroup filter cannot place it */
	if (hierarchy ? !bpfpin_wanted_nobody() : !bpfpin_wanted_cgroup(cgrp))
		return 0;
	k = bpf_map_lookup_elem(&scratch, &zero);
	if (!k)
		return 0;
	/* keys are hashed whole: nothing of an earlier path may stay */
	__builtin_memset(&k->path, 0, sizeof(k->path));
	k->path.hierarchy = hierarchy;
	len = bpf_probe_read_kernel_str(k->path.path, sizeof(k->path.path), path);
	if (len < 0)
		bpfpin_drop(DROP_READ);
	parent_of(cgrp, path, len, &k->path, &k->parent);

	s = bpfpin_stats_slot(&parents_slot, &k->parent, &zero_stats);
	if (s) {
		if (type == CGRP_EV_CREATE)
			s->created++;
		else
			s->removed++;
	}
	s = bpfpin_lru_slot(&paths_slot, &paths_inserts, &k->path, &zero_stats);
	if (s) {
		if (type == CGRP_EV_CREATE)
			s->created++;
		else
			s->removed++;
	}

	e = bpfpin_event_reserve(&events, sizeof(*e), type);
	if (!e)
		return 0;
	e->id = BPF_CORE_READ(cgrp, kn, id);
	e->parent_id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	e->hierarchy = hierarchy;
	e->level = BPF_CORE_READ(cgrp, level);
	__builtin_memcpy(e->path, k->path.path, sizeof(e->path));
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(cgroup_mkdir, mkdir, CGRP_HOOK_MKDIR,
	    struct cgroup *cgrp COMMA const char *path,
	    on_cgroup(cgrp, path, bpfpin_btf, CGRP_EV_CREATE))

BPFPIN_HOOK(cgroup_rmdir, rmdir, CGRP_HOOK_RMDIR,
	    struct cgroup *cgrp COMMA const char *path,
	    on_cgroup(cgrp, path, bpfpin_btf, CGRP_EV_REMOVE))
