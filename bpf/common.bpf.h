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
 * still there and those they drained into NAME_drained, and what is
 * neither was evicted.
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
	} name##_inserts SEC(".maps");					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} name##_drained SEC(".maps")

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

/* Add @us to a log2 histogram (slot i: 2^(i-1) < us <= 2^i). */
static __always_inline void bpfpin_hist_add(struct bpfpin_hist *h, __u64 us)
{
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
	h->sum += us;
}

static __always_inline void bpfpin_owner_current(struct bpfpin_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->cgroup_id = bpf_get_current_cgroup_id();
	o->pid = id >> 32;
	o->tid = (__u32)id;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* Reserve an event whose header names @o rather than the current task. */
static __always_inline void *bpfpin_event_reserve_as(void *ring, __u32 size,
						     __u16 type,
						     const struct bpfpin_owner *o)
{
	struct bpfpin_event_hdr *h = bpf_ringbuf_reserve(ring, size, 0);

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
	struct bpfpin_event_hdr *h = bpf_ringbuf_reserve(ring, size, 0);
	__u64 id;

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

#endif /* __BPFPIN_COMMON_BPF_H */
