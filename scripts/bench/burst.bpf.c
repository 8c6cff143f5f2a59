// SPDX-License-Identifier: GPL-2.0
/* burst.bpf.c: an event source faster than any reader, run by BPF_PROG_TEST_RUN into the bench module's pinned ring */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfpin.h"

char LICENSE[] SEC("license") = "GPL";

/* bench-burst points this at the bench module's pinned ring before load */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* bench.h's struct bench_event and BENCH_EV_CALL, spelled out here */
struct burst_event {
	struct bpfpin_event_hdr hdr;
	__u64 seq;
	__u64 arg;
};

__u32 want;		/* events per run, set before each run */
__u64 seq;
__u64 submitted;
__u64 failed;

static long one(__u64 i, void *ctx)
{
	struct burst_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id;

	if (!e) {
		failed++;
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->hdr.cgroup_id = bpf_get_current_cgroup_id();
	e->hdr.pid = id >> 32;
	e->hdr.tid = (__u32)id;
	e->hdr.type = 1;
	e->hdr.pad0 = 0;
	e->hdr.pad1 = 0;
	bpf_get_current_comm(e->hdr.comm, sizeof(e->hdr.comm));
	e->seq = ++seq;
	e->arg = 110;
	/*
	 * One wake-up per burst, at its end: a wake-up is an irq_work (a
	 * self-IPI under KVM), and one per event would make this source as
	 * slow as the reader it measures.
	 */
	bpf_ringbuf_submit(e, i + 1 == want ? BPF_RB_FORCE_WAKEUP :
			      BPF_RB_NO_WAKEUP);
	submitted++;
	return 0;
}

SEC("syscall")
int burst(void *ctx)
{
	bpf_loop(want, one, NULL, 0);
	return 0;
}
