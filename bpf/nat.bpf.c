// SPDX-License-Identifier: GPL-2.0
/* nat.bpf.c: NAT mappings from the conntrack entry of a connection's first packet, at BPF netfilter hooks */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "nat.h"

char LICENSE[] SEC("license") = "GPL";

#define NF_ACCEPT	1
#define NFCT_INFOMASK	7UL
#define AF_INET		2

BPFPIN_STATS_LRU(mappings, struct nat_key, struct nat_stats, NAT_MAPPING_ENTRIES);
BPFPIN_EVENTS_RING(NAT_RING_BYTES);

static const struct nat_stats zero_stats;

/* A tuple's address, IPv4 as IPv4-mapped. */
static __always_inline void addr16(__u8 *out, const union nf_inet_addr *a, bool v4)
{
	if (v4) {
		__builtin_memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		__builtin_memcpy(&out[12], &a->ip, 4);
	} else {
		__builtin_memcpy(out, a->all, 16);
	}
}

/*
 * The packet's conntrack entry (skb->_nfct: the entry's address with
 * ctinfo in the low bits). A connection counts once, at its first packet
 * (IP_CT_NEW) while the entry is unconfirmed: a connection made and served
 * here passes post_routing unconfirmed, then local_in confirmed.
 */
static __always_inline void on_packet(struct bpf_nf_ctx *ctx)
{
	struct nf_conntrack_tuple o = {}, r = {};
	unsigned long nfct = ctx->skb->_nfct;
	struct nf_conn *ct = (struct nf_conn *)(nfct & ~NFCT_INFOMASK);
	struct nat_key key = {};
	struct nat_stats *s;
	struct nat_event *e;
	unsigned long status;
	__u32 kind = 0;
	bool v4;

	if (!ct || (nfct & NFCT_INFOMASK) != IP_CT_NEW)
		return;
	status = BPF_CORE_READ(ct, status);
	if (status & IPS_CONFIRMED)
		return;
	if (status & IPS_SRC_NAT)
		kind |= NAT_SNAT;
	if (status & IPS_DST_NAT)
		kind |= NAT_DNAT;
	if (!kind || !bpfpin_wanted_nobody())
		return;
	if (bpf_core_read(&o, sizeof(o), &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple) ||
	    bpf_core_read(&r, sizeof(r), &ct->tuplehash[IP_CT_DIR_REPLY].tuple)) {
		bpfpin_drop(DROP_READ);
		return;
	}
	v4 = o.src.l3num == AF_INET;
	e = bpfpin_event_reserve_as(&events, sizeof(*e), NAT_EV_MAPPING,
				    &(struct bpfpin_owner){});
	if (e) {
		/* translated, seen from the original side: the reply reversed */
		addr16(e->orig_saddr, &o.src.u3, v4);
		addr16(e->orig_daddr, &o.dst.u3, v4);
		addr16(e->new_saddr, &r.dst.u3, v4);
		addr16(e->new_daddr, &r.src.u3, v4);
		e->orig_sport = bpf_ntohs(o.src.u.all);
		e->orig_dport = bpf_ntohs(o.dst.u.all);
		e->new_sport = bpf_ntohs(r.dst.u.all);
		e->new_dport = bpf_ntohs(r.src.u.all);
		e->kind = kind;
		e->proto = o.dst.protonum;
		if (kind & NAT_SNAT) {
			__builtin_memcpy(key.orig_saddr, e->orig_saddr, 16);
			__builtin_memcpy(key.new_saddr, e->new_saddr, 16);
		}
		if (kind & NAT_DNAT) {
			__builtin_memcpy(key.orig_daddr, e->orig_daddr, 16);
			__builtin_memcpy(key.new_daddr, e->new_daddr, 16);
			key.orig_dport = e->orig_dport;
			key.new_dport = e->new_dport;
		}
		bpfpin_event_submit(&events, e);
	} else {
		if (kind & NAT_SNAT) {
			addr16(key.orig_saddr, &o.src.u3, v4);
			addr16(key.new_saddr, &r.dst.u3, v4);
		}
		if (kind & NAT_DNAT) {
			addr16(key.orig_daddr, &o.dst.u3, v4);
			addr16(key.new_daddr, &r.src.u3, v4);
			key.orig_dport = bpf_ntohs(o.dst.u.all);
			key.new_dport = bpf_ntohs(r.src.u.all);
		}
	}
	key.kind = kind;
	key.proto = o.dst.protonum;
	s = bpfpin_lru_slot(&mappings_slot, &mappings_inserts, &key, &zero_stats);
	if (s)
		s->connections++;
}

/*
 * One program per (family, hook): "netfilter/<family>/<hook>/<priority>",
 * which the loader turns into a BPF_NETFILTER link in its network
 * namespace. 101: after NF_IP_PRI_NAT_SRC (100), every NAT step is done.
 * A netfilter program's verdict is NF_ACCEPT: it only looks.
 */
#define NAT_PROG(name, family, hooknum, hook)					\
	SEC("netfilter/" family "/" hooknum "/101")				\
	int name(struct bpf_nf_ctx *ctx)					\
	{									\
		if (bpfpin_active(hook))					\
			on_packet(ctx);						\
		return NF_ACCEPT;						\
	}

NAT_PROG(nat4_post, "ipv4", "post_routing", NAT_HOOK_V4_POST)
NAT_PROG(nat4_in, "ipv4", "local_in", NAT_HOOK_V4_IN)
NAT_PROG(nat6_post, "ipv6", "post_routing", NAT_HOOK_V6_POST)
NAT_PROG(nat6_in, "ipv6", "local_in", NAT_HOOK_V6_IN)
