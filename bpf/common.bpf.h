/* SPDX-License-Identifier: GPL-2.0 */
/* common.bpf.h: maps and helpers every module uses; stats and events go through here */
#ifndef __BPFPIN_COMMON_BPF_H
#define __BPFPIN_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfpin.h"

#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif

/* Set by the loader between open and load, for every module. */
const volatile __u32 cfg_generation = 0;
const volatile __u32 cfg_page_size = 4096;	/* the host's */
const volatile __u32 cfg_wakeup_bytes = 64 * 1024;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfpin_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFPIN_MAX_HOOKS);
	__type(key, __u32);
	__type(value, __u32);
} handoff SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* The module's flush state (bpfpin.h): only readers write it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfpin_flush);
} flush SEC(".maps");

/* The module's filter (bpfpin.h): written by the loader, read here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct bpfpin_filter);
} filter SEC(".maps");

/* The events' token bucket on each CPU (bpfpin.h): programs only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfpin_bucket);
} ratelimit SEC(".maps");

/* One ring per module; its size is the module's BPFPIN_RING_BYTES. */
#define BPFPIN_EVENTS_RING(bytes)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_RINGBUF);		\
		__uint(max_entries, bytes);			\
	} events SEC(".maps")

/* The two halves of stats map NAME and the slot naming the one written. */
#define BPFPIN_STATS_HALVES(name)					\
	struct name##_inner name##_a SEC(".maps");			\
	struct name##_inner name##_b SEC(".maps");			\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);		\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__array(values, struct name##_inner);			\
	} name##_slot SEC(".maps") = { .values = { [0] = &name##_a } }

/*
 * A module's stats map NAME is two per-CPU hashes, NAME_a and NAME_b, and a
 * one-slot ARRAY_OF_MAPS, NAME_slot, naming the one programs write. A flush
 * points the slot at the other map; the update returns after every program
 * that could hold the old one has finished, so the old one can be drained
 * exactly. Unpreallocated, not LRU: a full map fails the insert, which is
 * counted as a drop, where an LRU map would evict keys silently.
 */
#define BPFPIN_STATS_MAP(name, key_type, value_type, entries)		\
	struct name##_inner {						\
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);			\
		__uint(max_entries, entries);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, key_type);					\
		__type(value, value_type);				\
	};								\
	BPFPIN_STATS_HALVES(name)

/*
 * The same for a bounded key (a syscall number, a CPU): two per-CPU arrays,
 * cheaper per event than a hash. Keys are __u32 below @entries; a key out
 * of range is counted as map full.
 */
#define BPFPIN_STATS_ARRAY(name, value_type, entries)			\
	struct name##_inner {						\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, entries);				\
		__type(key, __u32);					\
		__type(value, value_type);				\
	};								\
	BPFPIN_STATS_HALVES(name)

/*
 * The same for keys that can grow without bound (remote endpoints): per-CPU
 * LRU hashes, so a new key always gets in and an old one goes. The
 * programs count every insert in NAME_inserts; readers count the entries
 * still there and those flushes drained (in `flush`), and what is neither
 * was evicted.
 */
#define BPFPIN_STATS_LRU(name, key_type, value_type, entries)		\
	struct name##_inner {						\
		__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);		\
		__uint(max_entries, entries);				\
		__type(key, key_type);					\
		__type(value, value_type);				\
	};								\
	BPFPIN_STATS_HALVES(name);					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} name##_inserts SEC(".maps")

/*
 * The gate, called once at the start of every program for its hook: true
 * when this program's generation is the one that counts and no older
 * program already counted this very event (see `handoff`).
 */
static __always_inline bool bpfpin_active(__u32 hook)
{
	__u8 gen = cfg_generation, older = gen - 1;
	__u32 zero = 0, prev, *last;
	struct bpfpin_meta *m;
	bool count;

	m = bpf_map_lookup_elem(&meta, &zero);
	last = bpf_map_lookup_elem(&handoff, &hook);
	if (!m || !last)
		return false;
	prev = *last;
	count = READ_ONCE(m->gate) == gen &&
		prev != BPFPIN_HANDOFF(older, 1);
	*last = BPFPIN_HANDOFF(gen, count);
	return count;
}

static __always_inline void bpfpin_drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &reason);

	if (v)
		*v += 1;
}

/*
 * Find the per-CPU value of key in the map the slot names, inserting a
 * zeroed one on first use. A full map is counted in drops; the caller just
 * skips the increment. @inserts, for an LRU map, counts what is inserted.
 */
static __always_inline void *bpfpin_slot_get(void *slot, void *inserts,
					     const void *key, const void *zero)
{
	__u32 idx = 0;
	void *map = bpf_map_lookup_elem(slot, &idx), *v;
	__u64 *n;
	long err;

	if (!map)
		return NULL;
	v = bpf_map_lookup_elem(map, key);
	if (v)
		return v;
	err = bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		bpfpin_drop(DROP_MAP_FULL);
		return NULL;
	}
	if (inserts && !err) {
		n = bpf_map_lookup_elem(inserts, &idx);
		if (n)
			*n += 1;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void *bpfpin_stats_slot(void *slot, const void *key,
					       const void *zero)
{
	return bpfpin_slot_get(slot, NULL, key, zero);
}

/* bpfpin_stats_slot() for an LRU stats map: counts what it inserts. */
static __always_inline void *bpfpin_lru_slot(void *slot, void *inserts,
					     const void *key, const void *zero)
{
	return bpfpin_slot_get(slot, inserts, key, zero);
}

/*
 * A remote endpoint's key in an endpoint stats map (tcp's remotes, dns's
 * servers): their key structs have this layout, which each module asserts.
 */
struct bpfpin_endpoint_key {
	__u8 addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u16 port;		/* host order */
	__u16 pad0;
	__u32 tag;		/* the module's: tcp's direction, else 0 */
};

/*
 * The two stats values one event counts in: its cgroup's, in @cgroups_slot
 * (a BPFPIN_STATS_MAP keyed by the 8-byte cgroup id), and its remote
 * endpoint's, in @endpoints_slot (a BPFPIN_STATS_LRU keyed by struct
 * bpfpin_endpoint_key, @inserts its NAME_inserts). Either may be NULL.
 */
static __always_inline void bpfpin_stats_for(void *cgroups_slot,
					     void *endpoints_slot, void *inserts,
					     __u64 cgroup_id, const __u8 *addr,
					     __u16 port, __u32 tag,
					     const void *zero, void **c,
					     void **e)
{
	struct bpfpin_endpoint_key ek = { .port = port, .tag = tag };

	__builtin_memcpy(ek.addr, addr, 16);
	*c = bpfpin_stats_slot(cgroups_slot, &cgroup_id, zero);
	*e = bpfpin_lru_slot(endpoints_slot, inserts, &ek, zero);
}

/* bpfpin_stats_for() for the stats maps CGROUPS and ENDPOINTS. */
#define BPFPIN_STATS_FOR(cgroups, endpoints, cgroup_id, addr, port, tag,	\
			 zero, c, e)						\
	bpfpin_stats_for(&cgroups##_slot, &endpoints##_slot,			\
			 &endpoints##_inserts, cgroup_id, addr, port, tag,	\
			 zero, (void **)(c), (void **)(e))

/* @key_type, with its members @a, @p, @t, is laid out as struct bpfpin_endpoint_key. */
#define BPFPIN_ENDPOINT_KEY_ASSERT(key_type, a, p, t)				\
	_Static_assert(sizeof(key_type) == sizeof(struct bpfpin_endpoint_key) &&	\
		       __builtin_offsetof(key_type, a) == 0 &&			\
		       __builtin_offsetof(key_type, p) ==			\
		       __builtin_offsetof(struct bpfpin_endpoint_key, port) &&	\
		       __builtin_offsetof(key_type, t) ==			\
		       __builtin_offsetof(struct bpfpin_endpoint_key, tag),	\
		       #key_type " is laid out as struct bpfpin_endpoint_key")

/*
 * Add @n to the u64 at @off in two stats values (a cgroup's and an
 * endpoint's), either may be NULL. @off comes from offsetof().
 */
static __always_inline void bpfpin_add2(void *a, void *b, __u32 off, __u64 n)
{
	if (a)
		*(__u64 *)((char *)a + (off & 0xff)) += n;
	if (b)
		*(__u64 *)((char *)b + (off & 0xff)) += n;
}

/*
 * Add a duration of @ns to a log2 histogram: the slot is that of its whole
 * microseconds (slot i: 2^(i-1) < us <= 2^i), the sum is exact, so that
 * sum / count is a true mean even when every value is below 1 us.
 */
static __always_inline void bpfpin_hist_add_ns(struct bpfpin_hist *h, __u64 ns)
{
	__u64 us = ns / 1000;
	__u64 v = us > 1 ? us - 1 : 0;
	__u32 slot = 0;

	/* bit length of us - 1, without a loop */
	if (v >> 32) { slot += 32; v >>= 32; }
	if (v >> 16) { slot += 16; v >>= 16; }
	if (v >> 8) { slot += 8; v >>= 8; }
	if (v >> 4) { slot += 4; v >>= 4; }
	if (v >> 2) { slot += 2; v >>= 2; }
	if (v >> 1) { slot += 1; v >>= 1; }
	slot += v;
	if (slot >= BPFPIN_HIST_SLOTS)
		slot = BPFPIN_HIST_SLOTS - 1;
	h->slots[slot & (BPFPIN_HIST_SLOTS - 1)] += 1;
	h->sum_ns += ns;
}

/*
 * Filters. Each program calls one of bpfpin_wanted_*() after the gate,
 * where it decides to count, and counts and emits nothing for a task or
 * socket the filter leaves out (that is no drop). With no filter entry
 * the cost is one hash lookup. The cgroup tests take descendants: group
 * (id, level) matches when the ancestor at that level has that id.
 */
static __always_inline const struct bpfpin_filter *bpfpin_filter_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&filter, &zero);
}

/* Where the cgroup to test comes from: known when inlined. */
enum bpfpin_cg_src { BPFPIN_CG_CURRENT, BPFPIN_CG_PTR, BPFPIN_CG_SKB };

static __always_inline __u64 bpfpin_ancestor(enum bpfpin_cg_src src,
					     struct cgroup *cg, void *skb,
					     __u32 level)
{
	struct cgroup *a = NULL;

	if (src == BPFPIN_CG_CURRENT)
		return bpf_get_current_ancestor_cgroup_id(level);
	if (src == BPFPIN_CG_SKB)
		return bpf_skb_ancestor_cgroup_id(skb, level);
	if (!cg || level > (__u32)BPF_CORE_READ(cg, level))
		return 0;
	bpf_core_read(&a, sizeof(a), &cg->ancestors[level & 0xff]);
	return a ? BPF_CORE_READ(a, kn, id) : 0;
}

/* Whether the cgroup is one of @refs (@n of them, id 0 ends) or below. */
static __always_inline bool bpfpin_cg_in(enum bpfpin_cg_src src,
					 struct cgroup *cg, void *skb,
					 const struct bpfpin_cgroup_ref *refs,
					 __u32 n, __u32 max)
{
	__u32 i;

	for (i = 0; i < max; i++) {
		if (i >= n || !refs[i].id)
			break;
		if (bpfpin_ancestor(src, cg, skb, refs[i].level) == refs[i].id)
			return true;
	}
	return false;
}

/* The cgroup tests: F_CGROUP, and the cgroup half of F_NO_SYSTEM. */
static __always_inline bool bpfpin_cg_wanted(const struct bpfpin_filter *f,
					     enum bpfpin_cg_src src,
					     struct cgroup *cg, void *skb)
{
	if ((f->flags & BPFPIN_F_CGROUP) &&
	    !bpfpin_cg_in(src, cg, skb, f->cgroups, f->ncgroups,
			  BPFPIN_FILTER_CGROUPS))
		return false;
	if ((f->flags & BPFPIN_F_NO_SYSTEM) &&
	    bpfpin_cg_in(src, cg, skb, f->system, BPFPIN_FILTER_SYSTEM,
			 BPFPIN_FILTER_SYSTEM))
		return false;
	return true;
}

/* @comm: 16 bytes, NUL-padded, as two words (aligned on the stack) */
static __always_inline bool bpfpin_comm_is(const struct bpfpin_filter *f,
					   const __u64 *comm)
{
	const __u64 *b = (const __u64 *)f->comm;

	return comm[0] == b[0] && comm[1] == b[1];
}

static __always_inline bool bpfpin_pid_in(const struct bpfpin_filter *f,
					  __u32 tgid)
{
	__u32 i;

	for (i = 0; i < BPFPIN_FILTER_PIDS; i++) {
		if (i >= f->npids)
			break;
		if (f->pids[i] == tgid)
			return true;
	}
	return false;
}

#define BPFPIN_PF_KTHREAD 0x00200000

/*
 * The task tests. "System" (F_NO_SYSTEM) is a kernel thread (PF_KTHREAD),
 * pid 1, or a task in /init.scope or /system.slice or below: pid 1's own
 * cgroup and its services' on a systemd host.
 */
static __always_inline bool bpfpin_task_wanted(const struct bpfpin_filter *f,
					       __u32 tgid, __u32 uid,
					       const __u64 *comm, __u32 pflags)
{
	if ((f->flags & BPFPIN_F_PID) && !bpfpin_pid_in(f, tgid))
		return false;
	if ((f->flags & BPFPIN_F_UID) && uid != f->uid)
		return false;
	if ((f->flags & BPFPIN_F_COMM) && !bpfpin_comm_is(f, comm))
		return false;
	if ((f->flags & BPFPIN_F_NO_SYSTEM) &&
	    ((pflags & BPFPIN_PF_KTHREAD) || tgid == 1))
		return false;
	return true;
}

/* For a hook running in the task it is about. */
static __always_inline bool bpfpin_wanted_current(void)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();
	struct task_struct *t;
	__u64 comm[2] = {};
	__u32 pflags = 0;

	if (!f || !f->flags)
		return true;
	if (f->flags & BPFPIN_F_COMM)
		bpf_get_current_comm(comm, sizeof(comm));
	if (f->flags & BPFPIN_F_NO_SYSTEM) {
		t = (struct task_struct *)bpf_get_current_task();
		pflags = BPF_CORE_READ(t, flags);
	}
	return bpfpin_task_wanted(f, bpf_get_current_pid_tgid() >> 32,
				  (__u32)bpf_get_current_uid_gid(), comm,
				  pflags) &&
	       bpfpin_cg_wanted(f, BPFPIN_CG_CURRENT, NULL, NULL);
}

/* For a hook about another task @t (an OOM victim). */
static __always_inline bool bpfpin_wanted_task(struct task_struct *t)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();
	__u64 comm[2] = {};

	if (!f || !f->flags)
		return true;
	if (f->flags & BPFPIN_F_COMM)
		bpf_probe_read_kernel(comm, sizeof(comm), &t->comm);
	return bpfpin_task_wanted(f, BPF_CORE_READ(t, tgid),
				  BPF_CORE_READ(t, cred, uid.val), comm,
				  BPF_CORE_READ(t, flags)) &&
	       bpfpin_cg_wanted(f, BPFPIN_CG_PTR,
				BPF_CORE_READ(t, cgroups, dfl_cgrp), NULL);
}

/*
 * For a hook with no task of its own (softirq, a socket's traffic): the
 * socket's cgroup @cg alone. The loader refuses pid, comm and uid filters
 * for such modules (pin_module_desc.filter_task false).
 */
static __always_inline bool bpfpin_wanted_cgroup(struct cgroup *cg)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();

	return !f || !f->flags || bpfpin_cg_wanted(f, BPFPIN_CG_PTR, cg, NULL);
}

/* bpfpin_wanted_cgroup() for a socket. */
#define bpfpin_wanted_sock(sk) \
	bpfpin_wanted_cgroup(BPF_CORE_READ((sk), sk_cgrp_data.cgroup))

/* bpfpin_wanted_cgroup() in a cgroup_skb program: the socket's cgroup. */
static __always_inline bool bpfpin_wanted_skb(struct __sk_buff *skb)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();

	return !f || !f->flags || bpfpin_cg_wanted(f, BPFPIN_CG_SKB, NULL, skb);
}

/* With no socket or task at all (cgroup 0): wanted only unfiltered. */
static __always_inline bool bpfpin_wanted_nobody(void)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();

	return !f || !(f->flags & BPFPIN_F_CGROUP);
}

/*
 * Whether an event of @type may be reserved: its type is selected, and the
 * CPU's token bucket has a token (else DROP_RATE). Stats never come here.
 * The bucket is per CPU, without a lock: max_events_per_s is each CPU's
 * budget, with a burst of one second's worth.
 */
static __always_inline bool bpfpin_event_allowed(__u16 type)
{
	const struct bpfpin_filter *f = bpfpin_filter_get();
	struct bpfpin_bucket *b;
	__u64 now, cost, credit;
	__u32 zero = 0;

	if (!f)
		return true;
	if (f->events_off & (1ull << (type & 63)))
		return false;
	if (!f->max_events_per_s)
		return true;
	b = bpf_map_lookup_elem(&ratelimit, &zero);
	if (!b)
		return true;
	now = bpf_ktime_get_ns();
	cost = 1000000000ull / f->max_events_per_s;
	credit = b->last_ns ? b->credit_ns + (now - b->last_ns) : 1000000000ull;
	if (credit > 1000000000ull)
		credit = 1000000000ull;
	b->last_ns = now;
	if (credit < cost) {
		b->credit_ns = credit;
		bpfpin_drop(DROP_RATE);
		return false;
	}
	b->credit_ns = credit - cost;
	return true;
}

static __always_inline void bpfpin_owner_current(struct bpfpin_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->cgroup_id = bpf_get_current_cgroup_id();
	o->pid = id >> 32;
	o->tid = (__u32)id;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * Reserve an event whose header names @o rather than the current task.
 * Both reserve helpers apply the event selection and the rate limit
 * (bpfpin_event_allowed()) first: NULL then, as for a full ring.
 */
static __always_inline void *bpfpin_event_reserve_as(void *ring, __u32 size,
						     __u16 type,
						     const struct bpfpin_owner *o)
{
	struct bpfpin_event_hdr *h;

	if (!bpfpin_event_allowed(type))
		return NULL;
	h = bpf_ringbuf_reserve(ring, size, 0);
	if (!h) {
		bpfpin_drop(DROP_RINGBUF);
		return NULL;
	}
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = o->cgroup_id;
	h->pid = o->pid;
	h->tid = o->tid;
	h->type = type;
	h->pad0 = 0;
	h->pad1 = 0;
	__builtin_memcpy(h->comm, o->comm, sizeof(h->comm));
	return h;
}

/* Reserve an event and fill its header from the current task. */
static __always_inline void *bpfpin_event_reserve(void *ring, __u32 size,
						  __u16 type)
{
	struct bpfpin_event_hdr *h;
	__u64 id;

	if (!bpfpin_event_allowed(type))
		return NULL;
	h = bpf_ringbuf_reserve(ring, size, 0);
	if (!h) {
		bpfpin_drop(DROP_RINGBUF);
		return NULL;
	}
	id = bpf_get_current_pid_tgid();
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->type = type;
	h->pad0 = 0;
	h->pad1 = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	return h;
}

/*
 * Submit without waking the reader, except once each time the ring's
 * producer position passes a multiple of cfg_wakeup_bytes. A wake-up is an
 * irq_work, a self-IPI (1-2 us on a VM): one per event costs more than the
 * event (a wake-up per event ~0.9 us here, one per 64 KiB ~0.18 us), and
 * waking on every event while 64 KiB waited made every event pay it when
 * nobody read. Readers poll with a timeout, so a quiet ring, or a mark two
 * CPUs raced past unseen, is still drained. @size: the event's, as reserved.
 */
static __always_inline void bpfpin_event_submit_size(void *ring, void *e,
						     __u32 size)
{
	/* a record: 8-byte header, then the event rounded up to 8 */
	__u64 end = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
	__u64 start = end - 8 - ((size + 7) & ~7u);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (end / cfg_wakeup_bytes != start / cfg_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

#define bpfpin_event_submit(ring, e) \
	bpfpin_event_submit_size(ring, e, sizeof(*(e)))

/*
 * An event as long as its content (bashline, tls, sql): built in a
 * per-CPU scratch and copied into the ring by bpf_ringbuf_output(), which
 * takes a size known only at run time, with the same wake-up rule. A full
 * ring is a drop.
 */
static __always_inline void bpfpin_event_output(void *ring, void *e, __u32 size)
{
	__u64 start = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
	__u64 end = start + 8 + ((size + 7) & ~7u);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (end / cfg_wakeup_bytes != start / cfg_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(ring, e, size, flags))
		bpfpin_drop(DROP_RINGBUF);
}

/* Before 6.2 mm->rss_stat was a struct of atomic counters (Debian's 6.1). */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

/*
 * Pages of an mm counter (MM_ANONPAGES...), as get_mm_counter() reads
 * them: since 6.2 a percpu_counter's shared count (less the per-CPU
 * batches), before it an atomic.
 */
static __always_inline long bpfpin_mm_counter(struct mm_struct *mm, int member)
{
	struct mm_struct___pre62 *old = (void *)mm;

	if (bpf_core_type_exists(struct mm_rss_stat___pre62))
		return BPF_CORE_READ(old, rss_stat.count[member].counter);
	return BPF_CORE_READ(mm, rss_stat[member].count);
}

/*
 * One hook, two programs: tp_btf where the kernel has BTF for the
 * tracepoint, raw_tp otherwise (the loader keeps the one it can attach).
 * The gate comes first, before any filter: during a reload old and new
 * programs must both see every event for the handoff to pair them. @hook is
 * the module's hook id (enum <module>_hook in its header). Commas in
 * @proto are written COMMA. @call can use bpfpin_btf, true in the tp_btf
 * program: its typed arguments can be read in place, not by
 * bpf_probe_read_kernel.
 */
#define COMMA ,
#define BPFPIN_HOOK(tp, name, hook, proto, call)			\
	SEC("tp_btf/" #tp) int BPF_PROG(name##_btf, proto)		\
	{								\
		const bool bpfpin_btf __attribute__((unused)) = true;	\
									\
		return bpfpin_active(hook) ? (call) : 0;		\
	}								\
	SEC("raw_tp/" #tp) int BPF_PROG(name##_raw, proto)		\
	{								\
		const bool bpfpin_btf __attribute__((unused)) = false;	\
									\
		return bpfpin_active(hook) ? (call) : 0;		\
	}

/*
 * The same for a kernel function, a hook only kprobes and fentry reach:
 * NAME_fentry and NAME_kprobe (fentry first in the hook's variants).
 */
#define BPFPIN_FUNC_HOOK(fn, name, hook, proto, call)			\
	SEC("fentry/" #fn) int BPF_PROG(name##_fentry, proto)		\
	{								\
		return bpfpin_active(hook) ? (call) : 0;		\
	}								\
	SEC("kprobe/" #fn) int BPF_KPROBE(name##_kprobe, proto)		\
	{								\
		return bpfpin_active(hook) ? (call) : 0;		\
	}

/*
 * A module's cgroup_skb programs: NAME_egress and NAME_ingress call
 * handler(skb, egress, true); NAME_egress_nt and NAME_ingress_nt
 * handler(skb, egress, false), for kernels that do not let cgroup_skb
 * programs call the current-task helpers (6.1): the handler then must not
 * call them. cgroup_skb must return 1: 0 would drop the packet.
 */
#define BPFPIN_CGROUP_SKB(name, egress_hook, ingress_hook, handler)	\
	BPFPIN_CGROUP_SKB_PROG(egress, name##_egress, egress_hook, handler, true, true) \
	BPFPIN_CGROUP_SKB_PROG(ingress, name##_ingress, ingress_hook, handler, false, true) \
	BPFPIN_CGROUP_SKB_PROG(egress, name##_egress_nt, egress_hook, handler, true, false) \
	BPFPIN_CGROUP_SKB_PROG(ingress, name##_ingress_nt, ingress_hook, handler, false, false)

#define BPFPIN_CGROUP_SKB_PROG(dir, prog, hook, handler, egress, task)	\
	SEC("cgroup_skb/" #dir) int prog(struct __sk_buff *skb)	\
	{								\
		if (bpfpin_active(hook))				\
			handler(skb, egress, task);			\
		return 1;						\
	}

#endif /* __BPFPIN_COMMON_BPF_H */
