/* SPDX-License-Identifier: GPL-2.0 */
/* net.bpf.h: the UDP datagram under a cgroup_skb program, shared by the udp and dns modules */
#ifndef __BPFPIN_NET_BPF_H
#define __BPFPIN_NET_BPF_H

#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IPPROTO_UDP	17
#define IP_OFFSET_MASK	0x1fff

struct udp_dgram {
	__u8 raddr[16];		/* remote address; IPv4 as ::ffff:a.b.c.d */
	__u16 rport;		/* remote port, host order */
	__u16 lport;
	__u32 off;		/* of the payload in the skb */
	__u32 len;		/* payload bytes */
};

/*
 * Read the remote end and payload of a UDP datagram; cgroup_skb data starts
 * at the network header. Non-first IPv4 fragments and IPv6 extension
 * headers are not UDP here. The headers are read in place when they are in
 * the linear part (nearly always: two helper calls fewer per datagram),
 * else copied. Return: 0, or -1 when it is not UDP.
 */
static __always_inline int udp_dgram_parse(struct __sk_buff *skb, bool egress,
					   struct udp_dgram *d)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct udphdr udp_copy, *udp;
	__u32 off;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip_copy, *ip = data;

		if ((void *)(ip + 1) > end) {
			if (bpf_skb_load_bytes(skb, 0, &ip_copy, sizeof(ip_copy)))
				return -1;
			ip = &ip_copy;
		}
		if (ip->protocol != IPPROTO_UDP ||
		    (bpf_ntohs(ip->frag_off) & IP_OFFSET_MASK))
			return -1;
		__builtin_memset(d->raddr, 0, 10);
		d->raddr[10] = d->raddr[11] = 0xff;
		__builtin_memcpy(&d->raddr[12], egress ? &ip->daddr : &ip->saddr, 4);
		off = (ip->ihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6_copy, *ip6 = data;

		if ((void *)(ip6 + 1) > end) {
			if (bpf_skb_load_bytes(skb, 0, &ip6_copy, sizeof(ip6_copy)))
				return -1;
			ip6 = &ip6_copy;
		}
		if (ip6->nexthdr != IPPROTO_UDP)
			return -1;
		__builtin_memcpy(d->raddr, egress ? &ip6->daddr : &ip6->saddr, 16);
		off = sizeof(*ip6);
	} else {
		return -1;
	}
	udp = data + off;
	if ((void *)(udp + 1) > end) {
		if (bpf_skb_load_bytes(skb, off, &udp_copy, sizeof(udp_copy)))
			return -1;
		udp = &udp_copy;
	}
	d->rport = bpf_ntohs(egress ? udp->dest : udp->source);
	d->lport = bpf_ntohs(egress ? udp->source : udp->dest);
	d->off = off + sizeof(*udp);
	d->len = bpf_ntohs(udp->len) - (__u32)sizeof(*udp);
	if (bpf_ntohs(udp->len) < sizeof(*udp))
		return -1;
	return 0;
}

#endif /* __BPFPIN_NET_BPF_H */
