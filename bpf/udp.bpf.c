// SPDX-License-Identifier: GPL-2.0
/* udp.bpf.c: UDP datagrams and bytes per socket cgroup and remote endpoint, from cgroup_skb; receive drops */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "udp.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct udp_key, struct udp_stats, UDP_STATS_ENTRIES);

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IPPROTO_UDP	17
#define IP_OFFSET_MASK	0x1fff

static const struct udp_stats zero_stats;

/*
 * Read the remote end and the payload length of a UDP datagram; cgroup_skb
 * data starts at the network header. Return: payload bytes, or -1.
 */
static __always_inline int parse(struct __sk_buff *skb, bool egress,
				 struct udp_key *key)
{
	struct udphdr udp;
	__u32 off;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) ||
		    ip.protocol != IPPROTO_UDP ||
		    (bpf_ntohs(ip.frag_off) & IP_OFFSET_MASK))
			return -1;
		key->raddr[10] = key->raddr[11] = 0xff;
		__builtin_memcpy(&key->raddr[12], egress ? &ip.daddr : &ip.saddr, 4);
		off = ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) ||
		    ip6.nexthdr != IPPROTO_UDP)
			return -1;
		__builtin_memcpy(key->raddr, egress ? &ip6.daddr : &ip6.saddr, 16);
		off = sizeof(ip6);
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)))
		return -1;
	key->rport = bpf_ntohs(egress ? udp.dest : udp.source);
	return bpf_ntohs(udp.len) - (int)sizeof(udp);
}

static __always_inline void count(struct __sk_buff *skb, bool egress)
{
	struct udp_key key = { .cgroup_id = bpf_skb_cgroup_id(skb) };
	struct udp_stats *s;
	int len = parse(skb, egress, &key);

	if (len < 0)
		return;
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (!s)
		return;
	if (egress) {
		s->packets_sent++;
		s->bytes_sent += len;
	} else {
		s->packets_received++;
		s->bytes_received += len;
	}
}

/* cgroup_skb must return 1: 0 would drop the packet. */
SEC("cgroup_skb/egress")
int udp_egress(struct __sk_buff *skb)
{
	if (bpfpin_active(0))
		count(skb, true);
	return 1;
}

SEC("cgroup_skb/ingress")
int udp_ingress(struct __sk_buff *skb)
{
	if (bpfpin_active(1))
		count(skb, false);
	return 1;
}

static __always_inline int on_drop(struct sock *sk)
{
	struct udp_key key = {};
	struct udp_stats *s;

	key.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->receive_drops++;
	return 0;
}

BPFPIN_HOOK(udp_fail_queue_rcv_skb, drop, 2,
	    int rc COMMA struct sock *sk COMMA struct sk_buff *skb, on_drop(sk))
