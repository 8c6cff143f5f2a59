/* SPDX-License-Identifier: GPL-2.0 */
/* udp.h: UDP datagrams and bytes per cgroup and remote endpoint */
#ifndef __BPFPIN_UDP_H
#define __BPFPIN_UDP_H

#include "bpfpin.h"

#define UDP_SCHEMA_VERSION	2
#define UDP_STATS_ENTRIES	16384

/* IPv4 addresses are kept IPv4-mapped (::ffff:a.b.c.d) */
struct udp_key {
	__u64 cgroup_id;	/* the socket's cgroup v2 id */
	__u8 raddr[16];		/* remote address; all zero for drops */
	__u16 rport;		/* remote port, host order */
	__u16 pad0;
	__u32 pad1;
};

struct udp_stats {
	__u64 packets_sent;
	__u64 bytes_sent;	/* UDP payload */
	__u64 packets_received;	/* reached the socket (its drops included) */
	__u64 bytes_received;
	__u64 receive_drops;	/* receive queue full (udp_fail_queue_rcv_skb) */
};

/*
 * A hook's index in udp_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum udp_hook {
	UDP_HOOK_EGRESS,
	UDP_HOOK_INGRESS,
	UDP_HOOK_DROP,
	UDP_HOOK_NR
};
_Static_assert(UDP_HOOK_NR <= BPFPIN_MAX_HOOKS, "udp: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field udp_key_fields[] = {
	PIN_LABELLED(struct udp_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"socket's cgroup v2 id"),
	PIN_FIELD(struct udp_key, raddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"remote address"),
	PIN_KEY(struct udp_key, rport, PIN_T_U16, PIN_V_PLAIN, "remote port"),
};

static const struct pin_field udp_stat_fields[] = {
	PIN_COUNTER(struct udp_stats, packets_sent, "UDP datagrams sent."),
	PIN_FIELD(struct udp_stats, bytes_sent, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"UDP payload bytes sent."),
	PIN_COUNTER(struct udp_stats, packets_received,
		"UDP datagrams that reached a socket (its drops included)."),
	PIN_FIELD(struct udp_stats, bytes_received, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"UDP payload bytes that reached a socket."),
	PIN_COUNTER(struct udp_stats, receive_drops,
		"UDP datagrams dropped: the socket's receive queue was full."),
};

static const struct pin_map_desc udp_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct udp_key),
	  .value_size = sizeof(struct udp_stats),
	  .keys = udp_key_fields, .nkeys = PIN_LEN(udp_key_fields),
	  .values = udp_stat_fields, .nvalues = PIN_LEN(udp_stat_fields) },
};

/*
 * cgroup_skb at the cgroup v2 root sees every datagram with its addresses
 * and its socket's cgroup, connected or not (sock_send_length knows no
 * destination for sendto); the tracepoint counts receive queue drops.
 */
static const struct pin_hook udp_hooks[] = {
	[UDP_HOOK_EGRESS] = { "cgroup_skb_egress", { "udp_egress" } },
	[UDP_HOOK_INGRESS] = { "cgroup_skb_ingress", { "udp_ingress" } },
	[UDP_HOOK_DROP] = { "udp_fail_queue_rcv_skb", { "drop_btf",
		"drop_raw" }, .optional = true },
};
_Static_assert(PIN_LEN(udp_hooks) == UDP_HOOK_NR, "udp: a hook without a table entry");

static const struct pin_module_desc udp_module = {
	.name = "udp",
	.summary = "UDP datagrams and payload bytes per cgroup and remote endpoint, receive drops",
	.schema_version = UDP_SCHEMA_VERSION,
	.profiles = "network",
	.notes = "cgroup_skb programs at the cgroup v2 root: datagrams of sockets in that "
		"hierarchy; non-first IPv4 fragments and IPv6 extension headers are not parsed",
	.maps = udp_maps, .nmaps = PIN_LEN(udp_maps),
	.hooks = udp_hooks, .nhooks = PIN_LEN(udp_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_UDP_H */
