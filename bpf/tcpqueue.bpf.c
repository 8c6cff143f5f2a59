// SPDX-License-Identifier: GPL-2.0
/* tcpqueue.bpf.c: largest TCP queue fills per cgroup, from tcp_sock on segments and sends */
#include "common.bpf.h"
#include "tcpqueue.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct tcpqueue_key, struct tcpqueue_stats, TCPQUEUE_STATS_ENTRIES);

#define IPPROTO_TCP	6

static const struct tcpqueue_stats zero_stats;

static __always_inline void set_max(__u64 *slot, __u64 v)
{
	if (v > *slot)
		*slot = v;
}

/*
 * Both hooks often run in softirq context (loopback delivers from the
 * sender's syscall), so the current task says nothing: the socket's own
 * cgroup, set when it was created, is the one charged.
 */
static __always_inline int record(struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct tcpqueue_key key = {};
	struct tcpqueue_stats *s;
	__s32 rq, wq;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !bpfpin_wanted_sock(sk))
		return 0;
	rq = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	/* a FIN received takes a sequence number but holds no byte */
	if (rq > 0 && (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1ull << SOCK_DONE)))
		rq--;
	wq = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	key.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (!s)
		return 0;
	set_max(&s->rqueue_max, rq > 0 ? rq : 0);
	set_max(&s->wqueue_max, wq > 0 ? wq : 0);
	set_max(&s->rcvbuf, BPF_CORE_READ(sk, sk_rcvbuf));
	set_max(&s->sndbuf, BPF_CORE_READ(sk, sk_sndbuf));
	return 0;
}

BPFPIN_HOOK(tcp_probe, probe, TCPQUEUE_HOOK_PROBE,
	    struct sock *sk COMMA const struct sk_buff *skb, record(sk))

BPFPIN_HOOK(sock_send_length, send, TCPQUEUE_HOOK_SEND,
	    struct sock *sk COMMA int ret COMMA int flags, record(sk))

/* after data is queued: tcp_probe runs before its segment's data is */
BPFPIN_HOOK(sk_data_ready, ready, TCPQUEUE_HOOK_READY, const struct sock *sk,
	    record((struct sock *)sk))

/*
 * Kernels without those two tracepoints (6.1): tcp_push(), which
 * tcp_sendmsg() calls once it has queued data, and sock_def_readable(),
 * TCP's sk_data_ready() (record() passes over other protocols).
 */
BPFPIN_FUNC_HOOK(tcp_push, send, TCPQUEUE_HOOK_SEND, struct sock *sk, record(sk))
BPFPIN_FUNC_HOOK(sock_def_readable, ready, TCPQUEUE_HOOK_READY, struct sock *sk, record(sk))
