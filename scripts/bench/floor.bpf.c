// SPDX-License-Identifier: GPL-2.0
/* floor.bpf.c: the counting floor, one bare PERCPU_ARRAY increment per hook the modules use */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int count(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &zero);

	if (v)
		*v += 1;
	return 0;
}

SEC("raw_tp/sys_enter") int BPF_PROG(f_enter) { return count(); }
/* the syscalls module's two hooks, named like its programs */
SEC("raw_tp/sys_enter") int BPF_PROG(f_sys_enter) { return count(); }
SEC("raw_tp/sys_exit") int BPF_PROG(f_sys_exit) { return count(); }
SEC("tp_btf/sched_process_exec") int BPF_PROG(f_exec) { return count(); }
SEC("tp_btf/sched_process_fork") int BPF_PROG(f_fork) { return count(); }
SEC("tp_btf/sched_process_exit") int BPF_PROG(f_exit) { return count(); }
SEC("tp_btf/task_rename") int BPF_PROG(f_rename) { return count(); }
SEC("tp_btf/cgroup_attach_task") int BPF_PROG(f_cgmove) { return count(); }
SEC("tp_btf/tcp_probe") int BPF_PROG(f_probe) { return count(); }
SEC("tp_btf/sock_send_length") int BPF_PROG(f_send) { return count(); }
SEC("tp_btf/signal_generate") int BPF_PROG(f_sigsys) { return count(); }
SEC("tp_btf/inet_sock_set_state") int BPF_PROG(f_set_state) { return count(); }
SEC("tp_btf/tcp_retransmit_skb") int BPF_PROG(f_retransmit) { return count(); }
SEC("tp_btf/tcp_send_reset") int BPF_PROG(f_send_reset) { return count(); }
SEC("tp_btf/tcp_receive_reset") int BPF_PROG(f_receive_reset) { return count(); }
SEC("tp_btf/sk_data_ready") int BPF_PROG(f_ready) { return count(); }
SEC("tp_btf/udp_fail_queue_rcv_skb") int BPF_PROG(f_drop) { return count(); }
SEC("tracepoint/syscalls/sys_exit_accept4") int f_accept4(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_accept") int f_accept(void *ctx) { return count(); }
/* the fileio module's hooks, named like its programs (read_exit: f_read) */
SEC("tracepoint/syscalls/sys_exit_read") int f_read(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_write") int f_write(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_pread64") int f_pread64(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_pwrite64") int f_pwrite64(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_readv") int f_readv(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_writev") int f_writev(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_preadv") int f_preadv(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_pwritev") int f_pwritev(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_sendfile64") int f_sendfile64(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_openat") int f_openat(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_openat2") int f_openat2(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_open") int f_open(void *ctx) { return count(); }
SEC("tracepoint/syscalls/sys_exit_creat") int f_creat(void *ctx) { return count(); }
SEC("tp_btf/io_uring_complete") int BPF_PROG(f_uring_complete) { return count(); }
SEC("tp_btf/mm_filemap_fault") int BPF_PROG(f_filemap_fault) { return count(); }
/* the mem module's hooks, named like its programs (fault_user_btf: f_fault_user) */
SEC("tp_btf/page_fault_user") int BPF_PROG(f_fault_user) { return count(); }
SEC("tp_btf/page_fault_kernel") int BPF_PROG(f_fault_kern) { return count(); }
SEC("tp_btf/count_memcg_events") int BPF_PROG(f_memcg_ev) { return count(); }
SEC("tp_btf/rss_stat") int BPF_PROG(f_rss) { return count(); }
SEC("tp_btf/mm_vmscan_direct_reclaim_begin") int BPF_PROG(f_direct_beg) { return count(); }
SEC("tp_btf/mm_vmscan_direct_reclaim_end") int BPF_PROG(f_direct_end) { return count(); }
SEC("tp_btf/mm_vmscan_memcg_reclaim_begin") int BPF_PROG(f_limit_beg) { return count(); }
SEC("tp_btf/mm_vmscan_memcg_reclaim_end") int BPF_PROG(f_limit_end) { return count(); }
SEC("tp_btf/kmalloc") int BPF_PROG(f_kmalloc) { return count(); }
SEC("tp_btf/mm_page_alloc") int BPF_PROG(f_page_alloc) { return count(); }
/* the cgroup module's hooks (mkdir_btf: f_mkdir) */
SEC("tp_btf/cgroup_mkdir") int BPF_PROG(f_mkdir) { return count(); }
SEC("tp_btf/cgroup_rmdir") int BPF_PROG(f_rmdir) { return count(); }
/* cgroup_skb must let the packet pass: 1 */
SEC("cgroup_skb/egress") int f_egress(struct __sk_buff *skb) { count(); return 1; }
SEC("cgroup_skb/ingress") int f_ingress(struct __sk_buff *skb) { count(); return 1; }
