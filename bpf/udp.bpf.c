// SPDX-License-Identifier: GPL-2.0
/* udp.bpf.c: UDP datagrams and bytes per socket cgroup and remote endpoint; receive drops */
#include "common.bpf.h"
#include "net.bpf.h"
#include "udp.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct udp_key, struct udp_stats, UDP_STATS_ENTRIES);

static const struct udp_stats zero_stats;

static __always_inline void count(struct __sk_buff *skb, bool egress)
{
	struct udp_key key = { .cgroup_id = bpf_skb_cgroup_id(skb) };
	struct udp_stats *s;
	struct udp_dgram d;

	if (udp_dgram_parse(skb, egress, &d) || !bpfpin_wanted_skb(skb))
		return;
	__builtin_memcpy(key.raddr, d.raddr, 16);
	key.rport = d.rport;
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (!s)
		return;
	if (egress) {
		s->packets_sent++;
		s->bytes_sent += d.len;
	} else {
		s->packets_received++;
		s->bytes_received += d.len;
	}
}

/* cgroup_skb must return 1: 0 would drop the packet. */
SEC("cgroup_skb/egress")
int udp_egress(struct __sk_buff *skb)
{
	if (bpfpin_active(UDP_HOOK_EGRESS))
		count(skb, true);
	return 1;
}

SEC("cgroup_skb/ingress")
int udp_ingress(struct __sk_buff *skb)
{
	if (bpfpin_active(UDP_HOOK_INGRESS))
		count(skb, false);
	return 1;
}

static __always_inline int on_drop(struct sock *sk)
{
	struct udp_key key = {};
	struct udp_stats *s;

	if (!bpfpin_wanted_sock(sk))
		return 0;
	key.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->receive_drops++;
	return 0;
}

BPFPIN_HOOK(udp_fail_queue_rcv_skb, drop, UDP_HOOK_DROP,
	    int rc COMMA struct sock *sk COMMA struct sk_buff *skb, on_drop(sk))
