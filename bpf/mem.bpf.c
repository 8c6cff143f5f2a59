// SPDX-License-Identifier: GPL-2.0
/* mem.bpf.c: page faults, reclaim, large allocations per (cgroup, memory cgroup); RSS steps */
#include "common.bpf.h"
#include "mem.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: mem.rss_step_kb, mem.large_alloc_bytes. */
const volatile __u32 cfg_rss_step_kb = MEM_RSS_STEP_KB;
const volatile __u32 cfg_large_alloc_bytes = MEM_LARGE_ALLOC_BYTES;

BPFPIN_STATS_MAP(stats, struct mem_key, struct mem_stats, MEM_STATS_ENTRIES);
BPFPIN_EVENTS_RING(MEM_RING_BYTES);

#define PF_KTHREAD 0x00200000

/*
 * When the task's reclaim began (bpf_ktime_get_ns), 0 when none runs: task
 * storage, so nothing fills and the entry goes with the task.
 */
struct reclaim_start {
	__u64 direct_ns;
	__u64 limit_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct reclaim_start);
} reclaim SEC(".maps");

/*
 * Per process (on its group leader): the mm last seen and the highest
 * multiple of the RSS step it has reached. A new mm (exec), or a reload
 * with another step, starts again.
 */
struct rss_state {
	__u64 mm;
	__u64 step;
	__u64 max_step;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rss_state);
} rss_seen SEC(".maps");

static const struct mem_stats zero_stats;

/* The cgroup holding the task's memory controller state: see mem_key. */
static __always_inline __u64 memcg_id_of(struct task_struct *t)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css;

	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return 0;
	css = t->cgroups->subsys[id];
	return css ? css->cgroup->kn->id : 0;
}

static __always_inline struct mem_stats *stats_for(__u64 memcg_id)
{
	struct mem_key key = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.memcg_id = memcg_id,
	};

	return bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
}

static __always_inline struct mem_stats *stats_current(void)
{
	return stats_for(memcg_id_of(bpf_get_current_task_btf()));
}

static __always_inline int on_fault(bool user)
{
	struct mem_stats *s;

	if (!bpfpin_wanted_current())
		return 0;
	s = stats_current();
	if (s) {
		if (user)
			s->faults_user++;
		else
			s->faults_kernel++;
	}
	return 0;
}

BPFPIN_HOOK(page_fault_user, fault_user, MEM_HOOK_FAULT_USER,
	    unsigned long address COMMA struct pt_regs *regs COMMA unsigned long error_code,
	    on_fault(true))
BPFPIN_HOOK(page_fault_kernel, fault_kern, MEM_HOOK_FAULT_KERNEL,
	    unsigned long address COMMA struct pt_regs *regs COMMA unsigned long error_code,
	    on_fault(false))

/*
 * count_memcg_events(memcg, item, n) is how the kernel counts a memory
 * cgroup's memory.stat events; faults are charged to the memcg of the
 * mm's owner (count_memcg_event_mm), PGFAULT once per handled fault and
 * PGMAJFAULT once more for a major one.
 */
static __always_inline bool fault_item(int item)
{
	return item == bpf_core_enum_value(enum vm_event_item, PGFAULT) ||
	       item == bpf_core_enum_value(enum vm_event_item, PGMAJFAULT);
}

static __always_inline int on_memcg_event(__u64 memcg_id, int item, __u64 n)
{
	struct mem_stats *s;

	if (!bpfpin_wanted_current())
		return 0;
	s = stats_for(memcg_id);
	if (!s)
		return 0;
	if (item == bpf_core_enum_value(enum vm_event_item, PGFAULT))
		s->faults += n;
	else
		s->major_faults += n;
	return 0;
}

SEC("tp_btf/count_memcg_events")
int BPF_PROG(memcg_ev_btf, struct mem_cgroup *memcg, int item, unsigned long n)
{
	if (!bpfpin_active(MEM_HOOK_MEMCG_EVENTS) || !fault_item(item))
		return 0;
	return on_memcg_event(memcg->css.cgroup->kn->id, item, n);
}

SEC("raw_tp/count_memcg_events")
int BPF_PROG(memcg_ev_raw, struct mem_cgroup *memcg, int item, unsigned long n)
{
	if (!bpfpin_active(MEM_HOOK_MEMCG_EVENTS) || !fault_item(item))
		return 0;
	return on_memcg_event(BPF_CORE_READ(memcg, css.cgroup, kn, id), item, n);
}

/*
 * Kernels without the tracepoint (6.1): the function it fires in,
 * __count_memcg_events(), which count_memcg_events() and
 * count_memcg_event_mm() call with the same arguments.
 */
BPFPIN_FUNC_HOOK(__count_memcg_events, memcg_ev, MEM_HOOK_MEMCG_EVENTS,
		 struct mem_cgroup *memcg COMMA int item COMMA unsigned long n,
		 fault_item(item) ?
		 on_memcg_event(BPF_CORE_READ(memcg, css.cgroup, kn, id), item, n) : 0)

static __always_inline __u64 positive(long v)
{
	return v > 0 ? v : 0;
}

/*
 * kmem:rss_stat fires on every change of an mm's file, anon, swap or shmem
 * counter. Only changes the process makes itself are followed (its own
 * faults and syscalls): one made from another context (fork filling the
 * child, reclaim, ptrace) is seen at the process's next own change. The
 * counters are read as get_mm_counter() reads them: the shared count,
 * without per-CPU deltas below the percpu_counter batch.
 */
static __always_inline int on_rss(struct mm_struct *mm, long anon, long file,
				  long shmem)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 step = cfg_rss_step_kb * 1024ull, rss, now, old;
	struct mem_rss_event *e;
	struct rss_state *st;

	if (t->mm != mm || (t->flags & PF_KTHREAD) || !bpfpin_wanted_current())
		return 0;
	rss = (positive(anon) + positive(file) + positive(shmem)) * cfg_page_size;
	now = rss / step;
	st = bpf_task_storage_get(&rss_seen, t->group_leader, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		bpfpin_drop(DROP_MAP_FULL);
		return 0;
	}
	if (st->mm != (__u64)mm || st->step != step) {
		/* first sight of this mm: where it stands is no step */
		st->mm = (__u64)mm;
		st->step = step;
		st->max_step = now;
		return 0;
	}
	old = st->max_step;
	/* threads of one process race here: one of them wins each step */
	if (now <= old || __sync_val_compare_and_swap(&st->max_step, old, now) != old)
		return 0;
	e = bpfpin_event_reserve(&events, sizeof(*e), MEM_EV_RSS_STEP);
	if (!e)
		return 0;
	e->memcg_id = memcg_id_of(t);
	e->rss_bytes = rss;
	e->anon_bytes = positive(anon) * cfg_page_size;
	e->file_bytes = positive(file) * cfg_page_size;
	e->shmem_bytes = positive(shmem) * cfg_page_size;
	e->step_bytes = now * step;
	e->steps = now - old;
	e->pad = 0;
	bpfpin_event_submit(&events, e);
	return 0;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(rss_btf, struct mm_struct *mm, int member)
{
	if (!bpfpin_active(MEM_HOOK_RSS))
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___pre62))
		return on_rss(mm, bpfpin_mm_counter(mm, MM_ANONPAGES),
			      bpfpin_mm_counter(mm, MM_FILEPAGES),
			      bpfpin_mm_counter(mm, MM_SHMEMPAGES));
	return on_rss(mm, mm->rss_stat[MM_ANONPAGES].count,
		      mm->rss_stat[MM_FILEPAGES].count,
		      mm->rss_stat[MM_SHMEMPAGES].count);
}

SEC("raw_tp/rss_stat")
int BPF_PROG(rss_raw, struct mm_struct *mm, int member)
{
	if (!bpfpin_active(MEM_HOOK_RSS))
		return 0;
	return on_rss(mm, bpfpin_mm_counter(mm, MM_ANONPAGES),
		      bpfpin_mm_counter(mm, MM_FILEPAGES),
		      bpfpin_mm_counter(mm, MM_SHMEMPAGES));
}

/* Reclaim runs in the task that needs the memory: time it per task. */
static __always_inline int on_reclaim_begin(bool limit)
{
	struct reclaim_start *r;

	if (!bpfpin_wanted_current())
		return 0;
	r = bpf_task_storage_get(&reclaim, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!r) {
		bpfpin_drop(DROP_MAP_FULL);
		return 0;
	}
	if (limit)
		r->limit_ns = bpf_ktime_get_ns();
	else
		r->direct_ns = bpf_ktime_get_ns();
	return 0;
}

/*
 * A reclaim is counted at its end, with what it freed; its latency only
 * when its begin was seen (not for one begun before the load).
 */
static __always_inline int on_reclaim_end(bool limit, __u64 pages)
{
	struct reclaim_start *r;
	struct mem_stats *s;
	__u64 begin, ns = 0;

	if (!bpfpin_wanted_current())
		return 0;
	r = bpf_task_storage_get(&reclaim, bpf_get_current_task_btf(), 0, 0);
	begin = r ? (limit ? r->limit_ns : r->direct_ns) : 0;
	if (begin) {
		ns = bpf_ktime_get_ns() - begin;
		if (limit)
			r->limit_ns = 0;
		else
			r->direct_ns = 0;
	}
	s = stats_current();
	if (!s)
		return 0;
	if (limit) {
		s->limit_reclaims++;
		s->limit_reclaimed_bytes += pages * cfg_page_size;
		if (begin)
			bpfpin_hist_add_ns(&s->limit_reclaim_latency, ns);
	} else {
		s->direct_reclaims++;
		s->direct_reclaimed_bytes += pages * cfg_page_size;
		if (begin)
			bpfpin_hist_add_ns(&s->direct_reclaim_latency, ns);
	}
	return 0;
}

BPFPIN_HOOK(mm_vmscan_direct_reclaim_begin, direct_beg, MEM_HOOK_DIRECT_BEGIN,
	    int order COMMA gfp_t gfp_flags, on_reclaim_begin(false))
BPFPIN_HOOK(mm_vmscan_direct_reclaim_end, direct_end, MEM_HOOK_DIRECT_END,
	    unsigned long nr_reclaimed, on_reclaim_end(false, nr_reclaimed))
BPFPIN_HOOK(mm_vmscan_memcg_reclaim_begin, limit_beg, MEM_HOOK_LIMIT_BEGIN,
	    int order COMMA gfp_t gfp_flags, on_reclaim_begin(true))
BPFPIN_HOOK(mm_vmscan_memcg_reclaim_end, limit_end, MEM_HOOK_LIMIT_END,
	    unsigned long nr_reclaimed, on_reclaim_end(true, nr_reclaimed))

/*
 * Large allocations are counted, never an event each: kmalloc runs
 * millions of times a second. Charged to the task that allocates (in
 * interrupt context, whichever task was interrupted).
 */
static __always_inline int on_kmalloc(const void *ptr, __u64 bytes)
{
	struct mem_stats *s;

	if (!ptr || bytes < cfg_large_alloc_bytes || !bpfpin_wanted_current())
		return 0;
	s = stats_current();
	if (s) {
		s->large_kmallocs++;
		s->large_kmalloc_bytes += bytes;
	}
	return 0;
}

BPFPIN_HOOK(kmalloc, kmalloc, MEM_HOOK_KMALLOC,
	    unsigned long call_site COMMA const void *ptr COMMA size_t bytes_req COMMA
	    size_t bytes_alloc COMMA gfp_t gfp_flags COMMA int node,
	    on_kmalloc(ptr, bytes_alloc))

static __always_inline int on_page_alloc(struct page *page, unsigned int order)
{
	__u64 bytes = (__u64)cfg_page_size << (order & 31);
	struct mem_stats *s;

	/* a failed allocation reports no page */
	if (!page || bytes < cfg_large_alloc_bytes || !bpfpin_wanted_current())
		return 0;
	s = stats_current();
	if (s) {
		s->large_page_allocs++;
		s->large_page_alloc_bytes += bytes;
	}
	return 0;
}

BPFPIN_HOOK(mm_page_alloc, page_alloc, MEM_HOOK_PAGE_ALLOC,
	    struct page *page COMMA unsigned int order COMMA gfp_t gfp_flags COMMA int migratetype,
	    on_page_alloc(page, order))
