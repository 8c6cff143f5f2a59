// SPDX-License-Identifier: GPL-2.0
/* bpfpin-top: every BPF program and map on the host, its cost over an interval and its owner */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

#define PROG "bpfpin-top"
#define OWNER_LEN 256
#define ATTACH_LEN 256
#define MAX_PROG_MAPS 64
#define MAX_PIN_FILES 20000	/* bpffs files looked at, all mounts together */
#define MAX_PIN_DEPTH 16

/* ---- columns ---- */

static const unsigned int meta_col = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
static const unsigned int np = PIN_COL_NO_PROM;
static const unsigned int nt = PIN_COL_NO_TABLE;

enum { P_KIND, P_ID, P_NAME, P_TYPE, P_TAG, P_ATTACH, P_LOADED, P_OWNER,
       P_MODULE, P_RUNS, P_RATE, P_NS_RUN, P_CPU, P_MISSED, P_MEMORY,
       P_RUN_CNT, P_RUN_TIME, P_MISSED_TOTAL, P_N };

/* table and JSON; Prometheus has its own names and only the totals */
static const struct pin_col prog_cols[] = {
	[P_KIND] = { "kind", PIN_COL_STR, .flags = meta_col },
	[P_ID] = { "id", PIN_COL_U64 },
	[P_NAME] = { "name", PIN_COL_STR },
	[P_TYPE] = { "type", PIN_COL_STR },
	[P_TAG] = { "tag", PIN_COL_STR, .flags = nt },
	[P_ATTACH] = { "attach", PIN_COL_STR },
	[P_LOADED] = { "loaded", PIN_COL_STR, .flags = nt },
	[P_OWNER] = { "owner", PIN_COL_STR },
	[P_MODULE] = { "module", PIN_COL_STR },
	[P_RUNS] = { "runs", PIN_COL_U64, PIN_ROLE_GAUGE },
	[P_RATE] = { "runs_per_s", PIN_COL_U64, PIN_ROLE_GAUGE },
	[P_NS_RUN] = { "ns_per_run", PIN_COL_U64, PIN_ROLE_GAUGE },
	[P_CPU] = { "cpu", PIN_COL_STR },
	[P_MISSED] = { "missed", PIN_COL_U64, PIN_ROLE_GAUGE },
	[P_MEMORY] = { "memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES },
	[P_RUN_CNT] = { "run_cnt", PIN_COL_U64, PIN_ROLE_COUNTER, .flags = nt },
	[P_RUN_TIME] = { "run_time_ns", PIN_COL_U64, PIN_ROLE_COUNTER, .flags = nt },
	[P_MISSED_TOTAL] = { "missed_total", PIN_COL_U64, PIN_ROLE_COUNTER, .flags = nt },
};
_Static_assert(PIN_LEN(prog_cols) == P_N, "prog_cols and P_* differ");

static const struct pin_col prog_prom[] = {
	[P_KIND] = { "kind", PIN_COL_STR, .flags = meta_col },
	[P_ID] = { "id", PIN_COL_U64 },
	[P_NAME] = { "name", PIN_COL_STR },
	[P_TYPE] = { "type", PIN_COL_STR },
	[P_TAG] = { "tag", PIN_COL_STR, .flags = np },
	[P_ATTACH] = { "attach", PIN_COL_STR, .flags = np },
	[P_LOADED] = { "loaded", PIN_COL_STR, .flags = np },
	[P_OWNER] = { "owner", PIN_COL_STR },
	[P_MODULE] = { "module", PIN_COL_STR, .flags = np },
	[P_RUNS] = { "runs", PIN_COL_U64, PIN_ROLE_GAUGE, .flags = np },
	[P_RATE] = { "runs_per_s", PIN_COL_U64, PIN_ROLE_GAUGE, .flags = np },
	[P_NS_RUN] = { "ns_per_run", PIN_COL_U64, PIN_ROLE_GAUGE, .flags = np },
	[P_CPU] = { "cpu", PIN_COL_STR, .flags = np },
	[P_MISSED] = { "missed", PIN_COL_U64, PIN_ROLE_GAUGE, .flags = np },
	[P_MEMORY] = { "prog_memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES,
		       .help = "kernel memory of the program (fdinfo memlock)" },
	[P_RUN_CNT] = { "prog_runs", PIN_COL_U64, PIN_ROLE_COUNTER,
			.help = "runs counted while BPF run-time statistics were on" },
	[P_RUN_TIME] = { "prog_run", PIN_COL_U64, PIN_ROLE_COUNTER, PIN_V_DURATION,
			 .help = "run time counted while BPF run-time statistics were on" },
	[P_MISSED_TOTAL] = { "prog_missed_runs", PIN_COL_U64, PIN_ROLE_COUNTER,
			     .help = "runs the kernel skipped (recursion misses)" },
};
_Static_assert(PIN_LEN(prog_prom) == P_N, "prog_prom and P_* differ");

enum { M_KIND, M_ID, M_NAME, M_TYPE, M_KEY, M_VALUE, M_MAX, M_ENTRIES,
       M_MEMORY, M_OWNER, M_MODULE, M_N };

static const struct pin_col map_cols[] = {
	[M_KIND] = { "kind", PIN_COL_STR, .flags = meta_col },
	[M_ID] = { "id", PIN_COL_U64 },
	[M_NAME] = { "name", PIN_COL_STR },
	[M_TYPE] = { "type", PIN_COL_STR },
	[M_KEY] = { "key_size", PIN_COL_U64, PIN_ROLE_GAUGE },
	[M_VALUE] = { "value_size", PIN_COL_U64, PIN_ROLE_GAUGE },
	[M_MAX] = { "max_entries", PIN_COL_U64, PIN_ROLE_GAUGE },
	[M_ENTRIES] = { "entries", PIN_COL_U64, PIN_ROLE_GAUGE },
	[M_MEMORY] = { "memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES },
	[M_OWNER] = { "owner", PIN_COL_STR },
	[M_MODULE] = { "module", PIN_COL_STR },
};
_Static_assert(PIN_LEN(map_cols) == M_N, "map_cols and M_* differ");


enum { O_KIND, O_OWNER, O_PROGS, O_MAPS, O_MEMORY, O_RUN_TIME, O_CPU, O_N };

static const struct pin_col owner_cols[] = {
	[O_KIND] = { "kind", PIN_COL_STR, .flags = meta_col },
	[O_OWNER] = { "owner", PIN_COL_STR },
	[O_PROGS] = { "programs", PIN_COL_U64, PIN_ROLE_GAUGE },
	[O_MAPS] = { "maps", PIN_COL_U64, PIN_ROLE_GAUGE },
	[O_MEMORY] = { "memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES },
	[O_RUN_TIME] = { "run_time", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_DURATION },
	[O_CPU] = { "cpu", PIN_COL_STR },
};
_Static_assert(PIN_LEN(owner_cols) == O_N, "owner_cols and O_* differ");

static const struct pin_col owner_prom[] = {
	[O_KIND] = { "kind", PIN_COL_STR, .flags = meta_col },
	[O_OWNER] = { "owner", PIN_COL_STR },
	[O_PROGS] = { "owner_programs", PIN_COL_U64, PIN_ROLE_GAUGE },
	[O_MAPS] = { "owner_maps", PIN_COL_U64, PIN_ROLE_GAUGE },
	[O_MEMORY] = { "owner_memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES,
		       .help = "kernel memory of the owner's programs and maps" },
	[O_RUN_TIME] = { "owner_run", PIN_COL_U64, PIN_ROLE_COUNTER, PIN_V_DURATION,
			 .help = "run time of the owner's programs while statistics were on" },
	[O_CPU] = { "cpu", PIN_COL_STR, .flags = np },
};
_Static_assert(PIN_LEN(owner_prom) == O_N, "owner_prom and O_* differ");

/* ---- what one sample holds ---- */

struct prog {
	__u32 id;
	__u32 type;
	char name[BPF_OBJ_NAME_LEN];
	char tag[BPF_TAG_SIZE * 2 + 1];
	__u64 load_time;
	__u64 run_cnt;
	__u64 run_time_ns;
	__u64 misses;
	__u64 memory;
	__u32 nmaps;
	__u32 map_ids[MAX_PROG_MAPS];
	/* over the interval */
	__u64 d_runs;
	__u64 d_time;
	__u64 d_misses;
	char attach[ATTACH_LEN];
	char owner[OWNER_LEN];
	char group[OWNER_LEN];	/* the owner its totals go to */
	char module[32];
};

struct map {
	__u32 id;
	__u32 type;
	char name[BPF_OBJ_NAME_LEN];
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u64 memory;
	bool counted;
	__u64 entries;
	char owner[OWNER_LEN];
	char group[OWNER_LEN];
	char module[32];
};

struct link {
	__u32 id;
	__u32 prog_id;
	char attach[128];
};

/* an fd some process holds, or a pin, on a program, map or link */
enum obj_kind { K_PROG, K_MAP, K_LINK };

struct ref {
	enum obj_kind kind;
	__u32 id;
	int pid;	/* 0: a pin */
	char *who;	/* comm[pid], or the pin's path */
	/* what it holds for owners: a link stands for its program */
	enum obj_kind tkind;
	__u32 tid;
};

struct sample {
	struct prog *progs;
	size_t nprogs, cap_progs;
	struct map *maps;
	size_t nmaps, cap_maps;
	struct link *links;
	size_t nlinks, cap_links;
	struct ref *refs;
	size_t nrefs, cap_refs;
	size_t bare_perf;	/* perf_event links without a name (before 6.6) */
};

struct opts {
	const char *format;
	double interval;
	long count;
	long top;
	long max_keys;
	int verbose;
	bool done;
};

/* Room for one more element of a growing array; NULL on ENOMEM. */
static void *grow(void **p, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *q = realloc(*p, c * size);

		if (!q)
			return NULL;
		*p = q;
		*cap = c;
	}
	memset((char *)*p + *n * size, 0, size);
	return (char *)*p + (*n)++ * size;
}

static void sample_free(struct sample *s)
{
	size_t i;

	for (i = 0; i < s->nrefs; i++)
		free(s->refs[i].who);
	free(s->progs);
	free(s->maps);
	free(s->links);
	free(s->refs);
	memset(s, 0, sizeof(*s));
}

/* ---- enumerating the kernel's objects ---- */

/*
 * The next object after *@id that still exists (one may go between the
 * two calls): its fd and id, or -ENOENT past the last one.
 */
static int next_object(int (*next_id)(__u32, __u32 *), int (*fd_by_id)(__u32),
		       __u32 *id)
{
	int fd;

	for (;;) {
		if (next_id(*id, id))
			return -errno;
		fd = fd_by_id(*id);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd : -errno;
	}
}

static int read_progs(struct sample *s, bool full)
{
	__u32 id = 0;
	int fd, err;

	while ((fd = next_object(bpf_prog_get_next_id, bpf_prog_get_fd_by_id,
				 &id)) >= 0) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), i;
		struct prog *p;

		p = grow((void **)&s->progs, &s->nprogs, &s->cap_progs, sizeof(*p));
		if (!p) {
			close(fd);
			return -ENOMEM;
		}
		if (full) {
			info.nr_map_ids = MAX_PROG_MAPS;
			info.map_ids = (__u64)(unsigned long)p->map_ids;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			close(fd);
			return err;
		}
		p->id = info.id;
		p->type = info.type;
		memcpy(p->name, info.name, sizeof(p->name));
		p->name[sizeof(p->name) - 1] = '\0';
		for (i = 0; i < BPF_TAG_SIZE; i++)
			snprintf(p->tag + 2 * i, 3, "%02x", info.tag[i]);
		p->load_time = info.load_time;
		p->run_cnt = info.run_cnt;
		p->run_time_ns = info.run_time_ns;
		p->misses = info.recursion_misses;
		p->nmaps = info.nr_map_ids < MAX_PROG_MAPS ? info.nr_map_ids : MAX_PROG_MAPS;
		if (full)
			p->memory = pin_fd_memlock(fd);
		close(fd);
	}
	return fd == -ENOENT ? 0 : fd;
}

static bool is_hash(__u32 type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int read_maps(struct sample *s, __u64 max_keys)
{
	__u32 id = 0;
	int fd, err;

	while ((fd = next_object(bpf_map_get_next_id, bpf_map_get_fd_by_id,
				 &id)) >= 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		struct map *m;

		m = grow((void **)&s->maps, &s->nmaps, &s->cap_maps, sizeof(*m));
		if (!m) {
			close(fd);
			return -ENOMEM;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			close(fd);
			return err;
		}
		m->id = info.id;
		m->type = info.type;
		memcpy(m->name, info.name, sizeof(m->name));
		m->name[sizeof(m->name) - 1] = '\0';
		m->key_size = info.key_size;
		m->value_size = info.value_size;
		m->max_entries = info.max_entries;
		m->memory = pin_fd_memlock(fd);
		if (is_hash(info.type) && max_keys) {
			m->counted = !pin_map_count_keys_max(fd, info.key_size, max_keys,
						 &m->entries);
		}
		close(fd);
	}
	return fd == -ENOENT ? 0 : fd;
}

/*
 * Newer than libbpf 1.1's <linux/bpf.h>: the kernel's perf_event link info
 * (tracepoint, kprobe and uprobe names), and tcx/netkit links' ifindex.
 * The layout of bpf_link_info's union as the kernel has it since 6.6.
 */
#define LINK_PERF_EVENT 7
#define LINK_TCX 11
#define LINK_NETKIT 13

struct perf_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	__u32 perf_type;	/* enum bpf_perf_event_type */
	__u32 pad2;
	__u64 name;		/* uprobe file, kprobe function, tracepoint */
	__u32 name_len;
	__u32 offset;
	__u64 more[4];
} __attribute__((aligned(8)));

static void perf_attach(int fd, char *buf, size_t size)
{
	static const char *const kinds[] = {
		"perf_event", "uprobe", "uretprobe", "kprobe", "kretprobe",
		"tracepoint", "perf_event",
	};
	struct perf_link_info info = {};
	__u32 len = sizeof(info);
	char name[256] = "";

	info.name = (__u64)(unsigned long)name;
	info.name_len = sizeof(name);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.perf_type >= PIN_LEN(kinds)) {
		snprintf(buf, size, "perf_event");
		return;
	}
	name[sizeof(name) - 1] = '\0';
	if (info.perf_type == 1 || info.perf_type == 2 ||
	    info.perf_type == 3 || info.perf_type == 4)
		snprintf(buf, size, "%s:%.100s+%u", kinds[info.perf_type], name,
			 info.offset);
	else if (name[0])
		snprintf(buf, size, "%s:%.100s", kinds[info.perf_type], name);
	else
		snprintf(buf, size, "%s", kinds[info.perf_type]);
}

static void link_attach(const struct bpf_link_info *info, char *buf,
			size_t size, const char *tp)
{
	const char *type = pin_link_type_name(info->type);
	char path[PATH_MAX], ifname[IF_NAMESIZE];

	/* tcx and netkit: the xdp member's place holds the ifindex */
	if (info->type == LINK_TCX || info->type == LINK_NETKIT) {
		if (!if_indextoname(info->xdp.ifindex, ifname))
			snprintf(ifname, sizeof(ifname), "if%u", info->xdp.ifindex);
		snprintf(buf, size, "%s:%s", info->type == LINK_TCX ? "tcx" : "netkit",
			 ifname);
		return;
	}
	switch (info->type) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		snprintf(buf, size, "raw_tp:%s", tp);
		return;
	case BPF_LINK_TYPE_TRACING:
		snprintf(buf, size, "tracing:%s",
			 libbpf_bpf_attach_type_str(info->tracing.attach_type) ?: "?");
		return;
	case BPF_LINK_TYPE_CGROUP:
		if (pin_cgroup_path(info->cgroup.cgroup_id, path, sizeof(path)))
			snprintf(path, sizeof(path), "id %llu",
				 (unsigned long long)info->cgroup.cgroup_id);
		snprintf(buf, size, "cgroup:%.100s:%s", path,
			 libbpf_bpf_attach_type_str(info->cgroup.attach_type) ?: "?");
		return;
	case BPF_LINK_TYPE_XDP:
		if (!if_indextoname(info->xdp.ifindex, ifname))
			snprintf(ifname, sizeof(ifname), "if%u", info->xdp.ifindex);
		snprintf(buf, size, "xdp:%s", ifname);
		return;
	case BPF_LINK_TYPE_NETNS:
		snprintf(buf, size, "netns:%u", info->netns.netns_ino);
		return;
	case BPF_LINK_TYPE_ITER:
		snprintf(buf, size, "iter:%s", tp);
		return;
	default:
		break;
	}
	if (type)
		snprintf(buf, size, "%s", type);
	else
		snprintf(buf, size, "link type %u", info->type);
}

static int read_links(struct sample *s)
{
	__u32 id = 0;
	int fd;

	while ((fd = next_object(bpf_link_get_next_id, bpf_link_get_fd_by_id,
				 &id)) >= 0) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		char tp[128] = "";
		struct link *l;

		l = grow((void **)&s->links, &s->nlinks, &s->cap_links, sizeof(*l));
		if (!l) {
			close(fd);
			return -ENOMEM;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			s->nlinks--;
			continue;
		}
		if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT ||
		    info.type == BPF_LINK_TYPE_ITER) {
			/* a second call with a buffer for the name */
			__u64 b = (__u64)(unsigned long)tp;
			__u32 t = info.type;

			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (t == BPF_LINK_TYPE_RAW_TRACEPOINT) {
				info.raw_tracepoint.tp_name = b;
				info.raw_tracepoint.tp_name_len = sizeof(tp);
			} else {
				info.iter.target_name = b;
				info.iter.target_name_len = sizeof(tp);
			}
			if (bpf_obj_get_info_by_fd(fd, &info, &len))
				snprintf(tp, sizeof(tp), "?");
			tp[sizeof(tp) - 1] = '\0';
		}
		l->id = info.id;
		l->prog_id = info.prog_id;
		if (info.type == LINK_PERF_EVENT) {
			perf_attach(fd, l->attach, sizeof(l->attach));
			s->bare_perf += !strcmp(l->attach, "perf_event");
		} else
			link_attach(&info, l->attach, sizeof(l->attach), tp);
		close(fd);
	}
	return fd == -ENOENT ? 0 : fd;
}

/* ---- who holds them: fds in /proc, pins on bpffs ---- */

/*
 * A ref from @from on: a process's refs are added together, so looking
 * back to its first one finds the object it already holds through
 * another fd (pins are one ref each).
 */
static int add_ref(struct sample *s, size_t from, enum obj_kind kind, __u32 id,
		   int pid, const char *who)
{
	struct ref *r;
	size_t i;

	for (i = from; pid && i < s->nrefs; i++)
		if (s->refs[i].kind == kind && s->refs[i].id == id)
			return 0;	/* the same process twice */
	r = grow((void **)&s->refs, &s->nrefs, &s->cap_refs, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->who = strdup(who);
	if (!r->who) {
		s->nrefs--;
		return -ENOMEM;
	}
	r->kind = kind;
	r->id = id;
	r->pid = pid;
	return 0;
}

static void read_comm(int pid, char *comm, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f || !fgets(comm, size, f))
		snprintf(comm, size, "?");
	if (f)
		fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
}

/*
 * A perf event fd of process @pid: before 6.6 a perf_event link's info
 * has no tracepoint, kprobe or uprobe part, but the process that made it
 * holds the event, which BPF_TASK_FD_QUERY names: the links of its
 * program that say no more than "perf_event" take that name.
 */
static void perf_fd_attach(struct sample *s, int pid, int fd)
{
	static const char *const kinds[] = {
		"raw_tp", "tracepoint", "kprobe", "kretprobe", "uprobe", "uretprobe",
	};
	char name[256] = "", attach[128];
	__u32 len = sizeof(name), prog_id = 0, type = 0;
	__u64 offset = 0, addr = 0;
	size_t i;

	if (!s->bare_perf)
		return;		/* every perf_event link named already (6.6+) */
	if (bpf_task_fd_query(pid, fd, 0, name, &len, &prog_id, &type, &offset,
			      &addr) || !prog_id || type >= PIN_LEN(kinds))
		return;
	name[sizeof(name) - 1] = '\0';
	if (type >= 2)
		snprintf(attach, sizeof(attach), "%s:%.100s+%llu", kinds[type],
			 name, (unsigned long long)offset);
	else
		snprintf(attach, sizeof(attach), "%s:%.100s", kinds[type], name);
	for (i = 0; i < s->nlinks; i++)
		if (s->links[i].prog_id == prog_id &&
		    !strcmp(s->links[i].attach, "perf_event")) {
			snprintf(s->links[i].attach, sizeof(s->links[i].attach),
				 "%s", attach);
			s->bare_perf--;
		}
}

/* One process's BPF fds: the fdinfo of each names the object's id. */
static int read_proc_fds(struct sample *s, int pid)
{
	char path[PATH_MAX], target[64], line[128], comm[32] = "", who[64];
	size_t from = s->nrefs;
	struct dirent *e;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;	/* gone, or a kernel thread */
	while ((e = readdir(d)) && !err) {
		unsigned int id;
		ssize_t n;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, "anon_inode:[perf_event]"))
			perf_fd_attach(s, pid, atoi(e->d_name));
		if (strncmp(target, "anon_inode:bpf", 14))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!comm[0]) {
			read_comm(pid, comm, sizeof(comm));
			snprintf(who, sizeof(who), "%s[%d]", comm, pid);
		}
		while (fgets(line, sizeof(line), f) && !err) {
			if (sscanf(line, "prog_id: %u", &id) == 1)
				err = add_ref(s, from, K_PROG, id, pid, who);
			else if (sscanf(line, "map_id: %u", &id) == 1)
				err = add_ref(s, from, K_MAP, id, pid, who);
			else if (sscanf(line, "link_id: %u", &id) == 1)
				err = add_ref(s, from, K_LINK, id, pid, who);
		}
		fclose(f);
	}
	closedir(d);
	return err;
}

static int read_procs(struct sample *s)
{
	int self = getpid(), err = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((e = readdir(d)) && !err) {
		int pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = atoi(e->d_name);
		if (pid != self)
			err = read_proc_fds(s, pid);
	}
	closedir(d);
	return err;
}

/* The object pinned at @path: its kind and id, recorded as a pin ref. */
static int read_pin(struct sample *s, const char *path)
{
	const char *kind;
	__u32 len;
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;	/* not an object (a directory we cannot read) */
	kind = pin_obj_kind(fd);
	if (!strcmp(kind, "map")) {
		struct bpf_map_info info = {};

		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			err = add_ref(s, 0, K_MAP, info.id, 0, path);
	} else if (!strcmp(kind, "program")) {
		struct bpf_prog_info info = {};

		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			err = add_ref(s, 0, K_PROG, info.id, 0, path);
	} else {
		/* links: readlink says "bpf_link" on this kernel, not "bpf-link" */
		struct bpf_link_info info = {};

		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.id)
			err = add_ref(s, 0, K_LINK, info.id, 0, path);
	}
	close(fd);
	return err;
}

static int walk_bpffs(struct sample *s, const char *dir, int depth, int *budget)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (depth > MAX_PIN_DEPTH)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) && !err && *budget > 0) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (pin_path(path, sizeof(path), "%s/%s", dir, e->d_name))
			continue;
		if (lstat(path, &st))
			continue;
		--*budget;
		if (S_ISDIR(st.st_mode))
			err = walk_bpffs(s, path, depth + 1, budget);
		else if (S_ISREG(st.st_mode))
			err = read_pin(s, path);
	}
	closedir(d);
	return err;
}

static int read_pins(struct sample *s)
{
	char line[PATH_MAX + 128], dev[64], dir[PATH_MAX], type[64];
	int budget = MAX_PIN_FILES, err = 0;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && !err) {
		/* octal escapes (\040) in mount points are left as they are */
		if (sscanf(line, "%63s %4095s %63s", dev, dir, type) != 3 ||
		    strcmp(type, "bpf"))
			continue;
		err = walk_bpffs(s, dir, 0, &budget);
	}
	fclose(f);
	if (budget <= 0)
		pin_warn("bpffs: stopped after %d files", MAX_PIN_FILES);
	return err;
}

/* ---- owners ---- */

static void append(char *buf, size_t size, const char *s, int *n)
{
	size_t len = strlen(buf);

	if (len + strlen(s) + 2 >= size) {
		(*n)++;	/* counted into "+N" */
		return;
	}
	snprintf(buf + len, size - len, "%s%s", len ? "," : "", s);
}

static int by_link_id(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* refs by what they hold, processes before pins, then as found */
static int by_target(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->tkind != y->tkind)
		return x->tkind < y->tkind ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (!x->pid != !y->pid)
		return !x->pid ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* Each ref's target (a link's program), then refs sorted by it. */
static void index_refs(struct sample *s)
{
	size_t i;

	if (s->nlinks)
		qsort(s->links, s->nlinks, sizeof(*s->links), by_link_id);
	for (i = 0; i < s->nrefs; i++) {
		struct ref *r = &s->refs[i];
		struct link key = { .id = r->id }, *l;

		r->tkind = r->kind;
		r->tid = r->id;
		if (r->kind != K_LINK)
			continue;
		l = s->nlinks ? bsearch(&key, s->links, s->nlinks, sizeof(*s->links),
					by_link_id) : NULL;
		r->tkind = K_PROG;
		r->tid = l ? l->prog_id : 0;
	}
	if (s->nrefs)
		qsort(s->refs, s->nrefs, sizeof(*s->refs), by_target);
}

/* The refs holding @kind @id: [*first, return) */
static size_t refs_of(const struct sample *s, enum obj_kind kind, __u32 id,
		      size_t *first)
{
	size_t lo = 0, hi = s->nrefs, end;

	*first = 0;
	if (!s->refs)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ref *r = &s->refs[mid];

		if (r->tkind < kind || (r->tkind == kind && r->tid < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < s->nrefs && s->refs[end].tkind == kind &&
	     s->refs[end].tid == id; end++)
		;
	*first = lo;
	return end;
}

/* Processes holding it, else its pins (a program's: its links' too). */
static void owners(const struct sample *s, enum obj_kind kind, __u32 id,
		   char *buf, size_t size, int *more)
{
	char who[PATH_MAX + 8];
	size_t i, first, end = refs_of(s, kind, id, &first);

	if (!s->refs)
		return;

	for (i = first; i < end; i++) {
		const struct ref *r = &s->refs[i];

		if (!r->pid && i > first && s->refs[first].pid)
			break;	/* processes found: pins are not owners */
		if (r->pid) {
			/* a process holding the program and its link is one owner */
			if (!strstr(buf, r->who))
				append(buf, size, r->who, more);
			continue;
		}
		snprintf(who, sizeof(who), "pinned:%s", r->who);
		append(buf, size, who, more);
	}
}

/* <root>/<module>/{progs,maps,links}/<name>: the bpfpin module it belongs to */
static void pin_module_of(const struct sample *s, enum obj_kind kind, __u32 id,
			  char *buf, size_t size)
{
	size_t i, first, end = refs_of(s, kind, id, &first);

	if (!s->refs)
		return;
	for (i = first; i < end; i++) {
		const struct ref *r = &s->refs[i];
		const char *p, *start;
		char name[32];

		if (r->pid)
			continue;
		p = strstr(r->who, "/progs/");
		if (!p)
			p = strstr(r->who, "/maps/");
		if (!p)
			p = strstr(r->who, "/links/");
		if (!p)
			continue;
		for (start = p; start > r->who && start[-1] != '/'; start--)
			;
		if (p - start <= 0 || p - start >= (long)sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(p - start), start);
		if (pin_module_find(name)) {
			snprintf(buf, size, "%s", name);
			return;
		}
	}
}

/*
 * The owner totals go to: its first process (comm[pid]), or the directory
 * of its first pin (for a bpfpin pin, the module's directory, so a module's
 * programs and maps add up), or "kernel"
 */
static void group_of(const struct sample *s, enum obj_kind kind, __u32 id,
		     char *buf, size_t size)
{
	size_t first, end = refs_of(s, kind, id, &first);
	const char *path, *cut;
	int len;

	if (!s->refs || first == end)
		return;
	if (s->refs[first].pid) {
		snprintf(buf, size, "%s", s->refs[first].who);
		return;
	}
	path = s->refs[first].who;
	cut = strstr(path, "/progs/");
	if (!cut)
		cut = strstr(path, "/maps/");
	if (!cut)
		cut = strstr(path, "/links/");
	if (!cut)
		cut = strrchr(path, '/');
	len = cut ? (int)(cut - path) : (int)strlen(path);
	snprintf(buf, size, "pinned:%.*s", len, path);
}

static void finish_owner(char *buf, size_t size, int more)
{
	size_t len = strlen(buf);

	if (more && len + 16 < size)
		snprintf(buf + len, size - len, ",+%d", more);
	if (!buf[0])
		snprintf(buf, size, "kernel");	/* held by an attachment alone */
}

static void resolve(struct sample *s)
{
	size_t i, j, k;

	index_refs(s);
	for (i = 0; i < s->nprogs; i++) {
		struct prog *p = &s->progs[i];
		int more = 0;

		for (j = 0; j < s->nlinks; j++)
			if (s->links[j].prog_id == p->id)
				append(p->attach, sizeof(p->attach), s->links[j].attach,
				       &more);
		if (!p->attach[0])
			snprintf(p->attach, sizeof(p->attach), "-");
		more = 0;
		owners(s, K_PROG, p->id, p->owner, sizeof(p->owner), &more);
		finish_owner(p->owner, sizeof(p->owner), more);
		group_of(s, K_PROG, p->id, p->group, sizeof(p->group));
		if (!p->group[0])
			snprintf(p->group, sizeof(p->group), "kernel");
		pin_module_of(s, K_PROG, p->id, p->module, sizeof(p->module));
	}
	for (i = 0; i < s->nmaps; i++) {
		struct map *m = &s->maps[i];
		int more = 0;

		owners(s, K_MAP, m->id, m->owner, sizeof(m->owner), &more);
		group_of(s, K_MAP, m->id, m->group, sizeof(m->group));
		/* else the owner of the first program using it */
		for (j = 0; j < s->nprogs && !m->owner[0]; j++)
			for (k = 0; k < s->progs[j].nmaps; k++)
				if (s->progs[j].map_ids[k] == m->id) {
					snprintf(m->owner, sizeof(m->owner), "%s",
						 s->progs[j].owner);
					snprintf(m->group, sizeof(m->group), "%s",
						 s->progs[j].group);
					break;
				}
		finish_owner(m->owner, sizeof(m->owner), more);
		if (!m->group[0])
			snprintf(m->group, sizeof(m->group), "kernel");
		pin_module_of(s, K_MAP, m->id, m->module, sizeof(m->module));
	}
}

/* ---- a sample, and the difference between two ---- */

static int take(struct sample *s, bool full, __u64 max_keys)
{
	int err;

	err = read_progs(s, full);
	if (err || !full)
		return err;
	err = read_maps(s, max_keys);
	if (!err)
		err = read_links(s);
	if (!err)
		err = read_procs(s);
	if (!err)
		err = read_pins(s);
	if (!err)
		resolve(s);
	return err;
}

static void diff(struct sample *now, const struct sample *prev)
{
	size_t i, j;

	for (i = 0; i < now->nprogs; i++) {
		struct prog *p = &now->progs[i];
		const struct prog *q = NULL;

		for (j = 0; j < prev->nprogs && !q; j++)
			if (prev->progs[j].id == p->id)
				q = &prev->progs[j];
		/* loaded during the interval: all it counted is new */
		p->d_runs = p->run_cnt - (q ? q->run_cnt : 0);
		p->d_time = p->run_time_ns - (q ? q->run_time_ns : 0);
		p->d_misses = p->misses - (q ? q->misses : 0);
	}
}

/* ---- output ---- */

static int by_cpu(const void *a, const void *b)
{
	const struct prog *x = a, *y = b;

	if (x->d_time != y->d_time)
		return x->d_time < y->d_time ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_memory(const void *a, const void *b)
{
	const struct map *x = a, *y = b;

	if (x->memory != y->memory)
		return x->memory < y->memory ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void cpu_text(__u64 ns, double seconds, char *buf, size_t size)
{
	snprintf(buf, size, "%.2f%%", seconds > 0 ? ns / (seconds * 1e9) * 100 : 0.0);
}

static int write_progs(struct pin_writer *w, const struct sample *s,
		       const struct opts *o, double seconds, enum pin_format fmt)
{
	char loaded[40], cpu[32];
	struct pin_val v[P_N];
	__u64 offset = pin_clock_offset();
	size_t i, n = s->nprogs;
	int err = 0;

	if (o->top && (size_t)o->top < n)
		n = o->top;
	pin_writer__begin(w, "host", "programs",
			  fmt == PIN_FMT_PROM ? prog_prom : prog_cols, P_N);
	for (i = 0; i < n && !err; i++) {
		const struct prog *p = &s->progs[i];
		const char *type = pin_prog_type_name(p->type);

		memset(v, 0, sizeof(v));
		v[P_KIND].str = "prog";
		v[P_ID].u = p->id;
		v[P_NAME].str = p->name;
		v[P_TYPE].str = type ? type : "?";
		v[P_TAG].str = p->tag;
		v[P_ATTACH].str = p->attach;
		pin_format_rfc3339(p->load_time + offset, loaded, sizeof(loaded));
		v[P_LOADED].str = loaded;
		v[P_OWNER].str = p->owner;
		v[P_MODULE].str = p->module[0] ? p->module : "-";
		v[P_RUNS].u = p->d_runs;
		v[P_RATE].u = seconds > 0 ? (__u64)(p->d_runs / seconds + 0.5) : 0;
		v[P_NS_RUN].u = p->d_runs ? p->d_time / p->d_runs : 0;
		cpu_text(p->d_time, seconds, cpu, sizeof(cpu));
		v[P_CPU].str = cpu;
		v[P_MISSED].u = p->d_misses;
		v[P_MEMORY].u = p->memory;
		v[P_RUN_CNT].u = p->run_cnt;
		v[P_RUN_TIME].u = p->run_time_ns;
		v[P_MISSED_TOTAL].u = p->misses;
		err = pin_writer__row(w, v);
	}
	return err ? err : pin_writer__end(w);
}

static int write_maps(struct pin_writer *w, const struct sample *s,
		      const struct opts *o)
{
	struct pin_val v[M_N];
	size_t i, n = s->nmaps;
	int err = 0;

	if (o->top && (size_t)o->top < n)
		n = o->top;
	pin_writer__begin(w, "host", "maps", map_cols, M_N);
	for (i = 0; i < n && !err; i++) {
		const struct map *m = &s->maps[i];
		const char *type = libbpf_bpf_map_type_str(m->type);

		memset(v, 0, sizeof(v));
		v[M_KIND].str = "map";
		v[M_ID].u = m->id;
		v[M_NAME].str = m->name;
		v[M_TYPE].str = type ? type : "?";
		v[M_KEY].u = m->key_size;
		v[M_VALUE].u = m->value_size;
		v[M_MAX].u = m->max_entries;
		v[M_ENTRIES].u = m->entries;
		v[M_ENTRIES].null = !m->counted;	/* not a hash map */
		v[M_MEMORY].u = m->memory;
		v[M_OWNER].str = m->owner;
		v[M_MODULE].str = m->module[0] ? m->module : "-";
		err = pin_writer__row(w, v);
	}
	return err ? err : pin_writer__end(w);
}

struct owner_total {
	const char *owner;
	__u64 progs, maps, memory, run_time, d_time;
};

static int write_owners(struct pin_writer *w, const struct sample *s,
			double seconds, enum pin_format fmt)
{
	struct owner_total *t;
	struct pin_val v[O_N];
	size_t i, j, n = 0;
	char cpu[32];
	int err = 0;

	t = calloc(s->nprogs + s->nmaps + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < s->nprogs + s->nmaps; i++) {
		bool prog = i < s->nprogs;
		const char *owner = prog ? s->progs[i].group :
				    s->maps[i - s->nprogs].group;

		for (j = 0; j < n && strcmp(t[j].owner, owner); j++)
			;
		if (j == n)
			t[n++].owner = owner;
		if (prog) {
			t[j].progs++;
			t[j].memory += s->progs[i].memory;
			t[j].run_time += s->progs[i].run_time_ns;
			t[j].d_time += s->progs[i].d_time;
		} else {
			t[j].maps++;
			t[j].memory += s->maps[i - s->nprogs].memory;
		}
	}
	pin_writer__begin(w, "host", "owners",
			  fmt == PIN_FMT_PROM ? owner_prom : owner_cols, O_N);
	for (i = 0; i < n && !err; i++) {
		memset(v, 0, sizeof(v));
		v[O_KIND].str = "owner";
		v[O_OWNER].str = t[i].owner;
		v[O_PROGS].u = t[i].progs;
		v[O_MAPS].u = t[i].maps;
		v[O_MEMORY].u = t[i].memory;
		/* the table: over the interval; Prometheus: the counter */
		v[O_RUN_TIME].u = fmt == PIN_FMT_PROM ? t[i].run_time : t[i].d_time;
		cpu_text(t[i].d_time, seconds, cpu, sizeof(cpu));
		v[O_CPU].str = cpu;
		err = pin_writer__row(w, v);
	}
	if (!err)
		err = pin_writer__end(w);
	free(t);
	return err;
}

/* Prometheus: the memory of every map, hash or not (write_maps' rows are the
 * counted ones, for map_entries) */
static int write_map_memory(struct pin_writer *w, const struct sample *s)
{
	static const struct pin_col cols[] = {
		{ "id", PIN_COL_U64 },
		{ "name", PIN_COL_STR },
		{ "type", PIN_COL_STR },
		{ "owner", PIN_COL_STR },
		{ "map_memory", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES,
		  .help = "kernel memory of the map (fdinfo memlock)" },
		{ "map_key_size", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES },
		{ "map_value_size", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES },
		{ "map_max_entries", PIN_COL_U64, PIN_ROLE_GAUGE },
	};
	struct pin_val v[PIN_LEN(cols)];
	size_t i;
	int err = 0;

	pin_writer__begin(w, "host", "maps", cols, PIN_LEN(cols));
	for (i = 0; i < s->nmaps && !err; i++) {
		const struct map *m = &s->maps[i];
		const char *type = libbpf_bpf_map_type_str(m->type);

		memset(v, 0, sizeof(v));
		v[0].u = m->id;
		v[1].str = m->name;
		v[2].str = type ? type : "?";
		v[3].str = m->owner;
		v[4].u = m->memory;
		v[5].u = m->key_size;
		v[6].u = m->value_size;
		v[7].u = m->max_entries;
		err = pin_writer__row(w, v);
	}
	return err ? err : pin_writer__end(w);
}

static int write_prom_entries(struct pin_writer *w, const struct sample *s)
{
	static const struct pin_col cols[] = {
		{ "id", PIN_COL_U64 },
		{ "name", PIN_COL_STR },
		{ "type", PIN_COL_STR },
		{ "owner", PIN_COL_STR },
		{ "map_entries", PIN_COL_U64, PIN_ROLE_GAUGE,
		  .help = "entries in use of a hash map, counted up to --max-keys" },
	};
	struct pin_val v[PIN_LEN(cols)];
	size_t i;
	int err = 0;

	pin_writer__begin(w, "host", "maps", cols, PIN_LEN(cols));
	for (i = 0; i < s->nmaps && !err; i++) {
		const struct map *m = &s->maps[i];
		const char *type = libbpf_bpf_map_type_str(m->type);

		if (!m->counted)
			continue;
		memset(v, 0, sizeof(v));
		v[0].u = m->id;
		v[1].str = m->name;
		v[2].str = type ? type : "?";
		v[3].str = m->owner;
		v[4].u = m->entries;
		err = pin_writer__row(w, v);
	}
	return err ? err : pin_writer__end(w);
}

static int write_sample(struct pin_writer *w, struct sample *s,
			const struct opts *o, double seconds, enum pin_format fmt)
{
	int err;

	if (s->nprogs)
		qsort(s->progs, s->nprogs, sizeof(*s->progs), by_cpu);
	if (s->nmaps)
		qsort(s->maps, s->nmaps, sizeof(*s->maps), by_memory);
	/* owner totals before --top cuts the lists */
	err = write_progs(w, s, o, seconds, fmt);
	if (!err && fmt == PIN_FMT_PROM)
		err = write_map_memory(w, s);
	if (!err && fmt == PIN_FMT_PROM)
		err = write_prom_entries(w, s);
	if (!err && fmt != PIN_FMT_PROM)
		err = write_maps(w, s, o);
	if (!err)
		err = write_owners(w, s, seconds, fmt);
	return err;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"\n"
		"Every BPF program and map on the host (not only bpfpin's): what it is,\n"
		"where it is attached, who holds it, and what it cost over an interval.\n"
		"Run-time statistics are on while " PROG " runs (an fd from\n"
		"BPF_ENABLE_STATS, closed on exit); kernel.bpf_stats_enabled is never set.\n"
		"Needs root (CAP_SYS_ADMIN): the kernel lists objects to no one else.\n"
		"\n"
		"options:\n"
		"  -f, --format F       table (default), json or prom\n"
		"  -i, --interval S     seconds between the two samples (default 1)\n"
		"  -n, --count N        N intervals, one output each (default 1)\n"
		"  -t, --top N          the N programs costing most CPU, and the N\n"
		"                       largest maps\n"
		"  -k, --max-keys N     count at most N keys of a hash map (default\n"
		"                       100000; 0: do not count)\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this help\n"
		"  -V, --version        versions of " PROG " and libbpf\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 4 permission\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "top", required_argument, NULL, 't' },
		{ "max-keys", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static const char optstring[] = "f:i:n:t:k:vhV";
	char *end;
	int c, err = 0;

	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': o->format = optarg; break;
		case 'i': err = pin_parse_seconds("--interval", optarg, &o->interval); break;
		case 'n': err = pin_parse_count("--count", optarg, &o->count); break;
		case 't': err = pin_parse_count("--top", optarg, &o->top); break;
		case 'k':
			errno = 0;
			o->max_keys = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->max_keys < 0)
				err = pin_usage_error("--max-keys '%s': expected a whole number >= 0",
						      optarg);
			break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); o->done = true; return 0;
		case 'V': pin_print_version(); o->done = true; return 0;
		default: return pin_option_error(argv, optstring);
		}
	}
	if (err)
		return err;
	pin_tool_log_init(PROG, o->verbose);
	if (optind < argc)
		return pin_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Sleep until @until (monotonic seconds) or a stop signal. */
static void wait_until(double until)
{
	double left;

	while (!pin_stop && (left = until - now_s()) > 0) {
		struct timespec ts = { (time_t)left, (long)((left - (time_t)left) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

static int run(const struct opts *o, enum pin_format fmt)
{
	struct sample prev = {}, cur = {};
	struct pin_writer *w;
	double t0, t1;
	long i;
	int stats_fd, err;

	/* run-time statistics on for as long as this fd is open */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		pin_warn("BPF_ENABLE_STATS: %s%s", strerror(-err),
			 err == -EPERM || err == -EACCES ?
			 " (the host-wide view needs root: CAP_SYS_ADMIN)" : "");
		return err;
	}
	w = pin_writer__new(stdout, fmt);
	if (!w) {
		close(stats_fd);
		return -ENOMEM;
	}
	t0 = now_s();
	err = take(&prev, false, 0);
	for (i = 0; !err && i < o->count && !pin_stop; i++) {
		wait_until(t0 + o->interval);
		if (pin_stop)
			break;
		memset(&cur, 0, sizeof(cur));
		err = take(&cur, true, o->max_keys);
		t1 = now_s();
		if (err)
			break;
		diff(&cur, &prev);
		if (i && fmt == PIN_FMT_TABLE)
			fputc('\n', stdout);
		err = write_sample(w, &cur, o, t1 - t0, fmt);
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		t0 = t1;
	}
	if (err && err != -EPIPE)
		pin_warn("listing BPF objects: %s%s", strerror(-err),
			 err == -EPERM || err == -EACCES ?
			 " (the host-wide view needs root: CAP_SYS_ADMIN)" : "");
	sample_free(&prev);
	sample_free(&cur);
	pin_writer__free(w);
	close(stats_fd);
	return err;
}

int main(int argc, char **argv)
{
	struct opts o = { .format = "table", .interval = 1, .count = 1,
			  .max_keys = 100000 };
	enum pin_format fmt;
	int err;

	pin_tool_log_init(PROG, 0);
	err = parse_args(argc, argv, &o);
	if (err || o.done)
		return pin_exit_code(err);
	if (pin_format_parse(o.format, &fmt))
		err = pin_usage_error("--format '%s': expected table, json or prom", o.format);
	else if (fmt == PIN_FMT_PROM && o.count > 1)
		err = pin_usage_error("--count %ld: prom output is one sample (a textfile)",
				      o.count);
	if (!err) {
		pin_catch_stop_signals();
		err = run(&o, fmt);
	}
	if (err == -EPIPE)
		err = 0;	/* `| head` closed the pipe: a normal end */
	return pin_exit_code(err);
}
