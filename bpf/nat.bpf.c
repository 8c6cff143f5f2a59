// SPDX-License-Identifier: GPL-2.0
/* nat.bpf.c: netfilter programs that record each new conntrack entry's NAT mapping */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "nat.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_LRU(mappings, struct nat_mapping_key, struct nat_stats, NAT_MAPPING_ENTRIES);
BPFPIN_EVENTS_RING(NAT_RING_BYTES);

#define NF_ACCEPT	1
#define NAT_AF_INET	2
#define NFCT_INFOMASK	7ul	/* skb->_nfct: the ctinfo in the low bits */

static const struct nat_stats zero_stats;
/* a mapping belongs to a conntrack entry, not to whatever task runs */
static const struct bpfpin_owner nobody;

/* An address of a tuple, as 16 bytes: IPv4 as ::ffff:a.b.c.d */
static __always_inline void addr16(__u8 out[16], const union nf_inet_addr *a, __u16 l3)
{
	if (l3 == NAT_AF_INET) {
		__builtin_memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		bpf_probe_read_kernel(&out[12], 4, a);
	} else {
		bpf_probe_read_kernel(out, 16, a);
	}
}

static __always_inline __u8 proto_of(__u8 p)
{
	switch (p) {
	case IPPROTO_TCP:
		return NAT_P_TCP;
	case IPPROTO_UDP:
		return NAT_P_UDP;
	case IPPROTO_ICMP:
		return NAT_P_ICMP;
	case 58:	/* IPPROTO_ICMPV6 */
		return NAT_P_ICMPV6;
	case IPPROTO_SCTP:
		return NAT_P_SCTP;
	}
	return NAT_P_OTHER;
}

static __always_inline void count(const struct nat_mapping_key *key)
{
	struct nat_stats *s;

	s = bpfpin_lru_slot(&mappings_slot, &mappings_inserts, key, &zero_stats);
	if (s)
		s->connections++;
}

/*
 * A packet whose conntrack entry is not confirmed yet is its connection's
 * first: conntrack confirms it right after this hook (at INT_MAX), and
 * every later packet finds it confirmed, so each entry is seen once. NAT
 * has run by then (prerouting/output for DNAT, postrouting/input for
 * SNAT): the reply tuple is the translated one.
 */
static __always_inline void on_packet(struct bpf_nf_ctx *ctx, __u8 hook)
{
	const struct nf_conntrack_tuple *o, *r;
	struct nat_mapping_key key = {};
	unsigned long nfct, status;
	struct nf_conn *ct;
	struct nat_event *e;
	__u8 kind = 0;
	__u16 l3;

	/* the skb is a trusted BTF pointer: a plain load, no helper call */
	nfct = ctx->skb->_nfct;
	ct = (struct nf_conn *)(nfct & ~NFCT_INFOMASK);
	if (!ct)
		return;
	status = BPF_CORE_READ(ct, status);
	if (status & (IPS_CONFIRMED | IPS_TEMPLATE))
		return;
	if (status & IPS_DST_NAT)
		kind |= NAT_DNAT;
	if (status & IPS_SRC_NAT)
		kind |= NAT_SNAT;
	if (!kind || !bpfpin_wanted_nobody())
		return;
	o = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	l3 = BPF_CORE_READ(o, src.l3num);
	key.proto = proto_of(BPF_CORE_READ(o, dst.protonum));
	key.netns = BPF_CORE_READ(ctx->state, net, ns.inum);
	if (kind & NAT_DNAT) {
		/* the destination as sent, and the reply's source */
		key.kind = NAT_DNAT;
		addr16(key.orig_addr, &o->dst.u3, l3);
		addr16(key.xlat_addr, &r->src.u3, l3);
		key.orig_port = bpf_ntohs(BPF_CORE_READ(o, dst.u.all));
		key.xlat_port = bpf_ntohs(BPF_CORE_READ(r, src.u.all));
		count(&key);
	}
	if (kind & NAT_SNAT) {
		/* the source as sent, and the reply's destination */
		key.kind = NAT_SNAT;
		addr16(key.orig_addr, &o->src.u3, l3);
		addr16(key.xlat_addr, &r->dst.u3, l3);
		key.orig_port = 0;
		key.xlat_port = 0;
		count(&key);
	}
	e = bpfpin_event_reserve_as(&events, sizeof(*e), NAT_EV_MAPPING, &nobody);
	if (!e)
		return;
	addr16(e->orig_saddr, &o->src.u3, l3);
	addr16(e->orig_daddr, &o->dst.u3, l3);
	addr16(e->xlat_saddr, &r->dst.u3, l3);
	addr16(e->xlat_daddr, &r->src.u3, l3);
	e->orig_sport = bpf_ntohs(BPF_CORE_READ(o, src.u.all));
	e->orig_dport = bpf_ntohs(BPF_CORE_READ(o, dst.u.all));
	e->xlat_sport = bpf_ntohs(BPF_CORE_READ(r, dst.u.all));
	e->xlat_dport = bpf_ntohs(BPF_CORE_READ(r, src.u.all));
	e->netns = key.netns;
	e->proto = key.proto;
	e->kind = kind;
	e->hook = hook;
	e->pad0 = 0;
	bpfpin_event_submit(&events, e);
}

/*
 * One program per hook (the loader pins a link per hook and namespace).
 * The section names the hook: netfilter/<family>/<hook>/<priority>. A
 * netfilter program returns a verdict: always NF_ACCEPT.
 */
#define NAT_PROG(name, sec, hook)					\
	SEC(sec)							\
	int name(struct bpf_nf_ctx *ctx)				\
	{								\
		if (bpfpin_active(hook))				\
			on_packet(ctx, hook);				\
		return NF_ACCEPT;					\
	}

NAT_PROG(nat_out4, "netfilter/ipv4/post_routing/1000", NAT_HOOK_OUT4)
NAT_PROG(nat_in4, "netfilter/ipv4/local_in/1000", NAT_HOOK_IN4)
NAT_PROG(nat_out6, "netfilter/ipv6/post_routing/1000", NAT_HOOK_OUT6)
NAT_PROG(nat_in6, "netfilter/ipv6/local_in/1000", NAT_HOOK_IN6)
