/* SPDX-License-Identifier: GPL-2.0 */
/* nat.h: NAT mappings (conntrack's original and reply tuples), shared by nat.bpf.c and user space */
#ifndef __BPFPIN_NAT_H
#define __BPFPIN_NAT_H

#include "bpfpin.h"

#define NAT_SCHEMA_VERSION	1
/* LRU, per CPU: 8 B x CPUs x 2 halves, keys 80 B; nat.mapping_entries */
#define NAT_MAPPING_ENTRIES	4096
#define NAT_RING_BYTES		(256 * 1024)

enum nat_kind {
	NAT_SNAT = 1,		/* the source was translated */
	NAT_DNAT = 2,		/* the destination was translated */
	NAT_BOTH = 3,
};

/*
 * One mapping: what was translated, before and after. A DNAT row has the
 * destinations (address, port) and zero sources; an SNAT row the source
 * addresses and zero destinations; a row of both has both. Addresses are
 * 16 bytes, IPv4 as ::ffff:a.b.c.d.
 */
struct nat_key {
	__u8 orig_saddr[16];
	__u8 new_saddr[16];
	__u8 orig_daddr[16];
	__u8 new_daddr[16];
	__u16 orig_dport;	/* host order */
	__u16 new_dport;
	__u32 kind;		/* enum nat_kind */
	__u32 proto;		/* IPPROTO_TCP, IPPROTO_UDP ... */
	__u32 pad;
};

struct nat_stats {
	__u64 connections;	/* connections translated this way */
};

#define NAT_EV_MAPPING		1

/* A connection's first packet, translated: its original and its new tuple. */
struct nat_event {
	struct bpfpin_event_hdr hdr;
	__u8 orig_saddr[16];
	__u8 orig_daddr[16];
	__u8 new_saddr[16];
	__u8 new_daddr[16];
	__u16 orig_sport;
	__u16 orig_dport;
	__u16 new_sport;
	__u16 new_dport;
	__u32 kind;
	__u32 proto;
};

/*
 * Hooks after every NAT step (priority 101, past NF_IP_PRI_NAT_SRC):
 * post_routing sees what leaves (made here or forwarded), local_in what
 * arrives for a local socket. A connection made and served here passes
 * both: only its unconfirmed first sight counts.
 */
enum nat_hook {
	NAT_HOOK_V4_POST,
	NAT_HOOK_V4_IN,
	NAT_HOOK_V6_POST,
	NAT_HOOK_V6_IN,
	NAT_HOOK_NR
};
_Static_assert(NAT_HOOK_NR <= BPFPIN_MAX_HOOKS, "nat: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const nat_kinds[] = { "", "snat", "dnat", "snat+dnat" };

static const struct pin_field nat_key_fields[] = {
	PIN_NAMED(struct nat_key, kind, nat_kinds, "snat, dnat or snat+dnat"),
	PIN_KEY(struct nat_key, proto, PIN_T_U32, PIN_V_PLAIN, "IP protocol: 6 tcp, 17 udp"),
	PIN_FIELD(struct nat_key, orig_saddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"source before SNAT (:: for dnat)"),
	PIN_FIELD(struct nat_key, new_saddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"source after SNAT (:: for dnat)"),
	PIN_FIELD(struct nat_key, orig_daddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"destination before DNAT (:: for snat)"),
	PIN_KEY(struct nat_key, orig_dport, PIN_T_U16, PIN_V_PLAIN, "its port"),
	PIN_FIELD(struct nat_key, new_daddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"destination after DNAT (:: for snat)"),
	PIN_KEY(struct nat_key, new_dport, PIN_T_U16, PIN_V_PLAIN, "its port"),
};

static const struct pin_field nat_stat_fields[] = {
	PIN_COUNTER(struct nat_stats, connections, "Connections translated by NAT (conntrack)."),
};

static const struct pin_map_desc nat_maps[] = {
	{ .name = "mappings", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct nat_key),
	  .value_size = sizeof(struct nat_stats),
	  .keys = nat_key_fields, .nkeys = PIN_LEN(nat_key_fields),
	  .values = nat_stat_fields, .nvalues = PIN_LEN(nat_stat_fields),
	  .entries_setting = "mapping_entries" },
};

static const struct pin_field nat_mapping_fields[] = {
	PIN_NAMED(struct nat_event, kind, nat_kinds, "snat, dnat or snat+dnat"),
	PIN_EV(struct nat_event, proto, PIN_T_U32, PIN_V_PLAIN, "IP protocol"),
	PIN_EV(struct nat_event, orig_saddr, PIN_T_BYTES, PIN_V_IP, "original source"),
	PIN_EV(struct nat_event, orig_sport, PIN_T_U16, PIN_V_PLAIN, "original source port"),
	PIN_EV(struct nat_event, orig_daddr, PIN_T_BYTES, PIN_V_IP, "original destination"),
	PIN_EV(struct nat_event, orig_dport, PIN_T_U16, PIN_V_PLAIN, "original destination port"),
	PIN_EV(struct nat_event, new_saddr, PIN_T_BYTES, PIN_V_IP, "source after NAT"),
	PIN_EV(struct nat_event, new_sport, PIN_T_U16, PIN_V_PLAIN, "source port after NAT"),
	PIN_EV(struct nat_event, new_daddr, PIN_T_BYTES, PIN_V_IP, "destination after NAT"),
	PIN_EV(struct nat_event, new_dport, PIN_T_U16, PIN_V_PLAIN, "destination port after NAT"),
};

static const struct pin_event_desc nat_events[] = {
	{ .type = NAT_EV_MAPPING, .name = "mapping", .size = sizeof(struct nat_event),
	  .fields = nat_mapping_fields, .nfields = PIN_LEN(nat_mapping_fields) },
};

static const struct pin_hook nat_hooks[] = {
	[NAT_HOOK_V4_POST] = { "ipv4_post_routing", { "nat4_post" } },
	[NAT_HOOK_V4_IN] = { "ipv4_local_in", { "nat4_in" } },
	[NAT_HOOK_V6_POST] = { "ipv6_post_routing", { "nat6_post" }, .optional = true },
	[NAT_HOOK_V6_IN] = { "ipv6_local_in", { "nat6_in" }, .optional = true },
};
_Static_assert(PIN_LEN(nat_hooks) == NAT_HOOK_NR, "nat: a hook without a table entry");

static const struct pin_setting nat_settings[] = {
	{ "mapping_entries", "NAT mappings kept (LRU; evictions are counted)",
	  NAT_MAPPING_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc nat_module = {
	.name = "nat",
	.summary = "NAT mappings (DNAT, SNAT, masquerade): original and translated tuples, from "
		"conntrack at BPF netfilter hooks",
	.schema_version = NAT_SCHEMA_VERSION,
	.profiles = "network",
	.notes = "netfilter links are per network namespace: a load covers the loader's (run "
		"bpfpin-load in a container's namespace, with its own pin root, for that one); "
		"a cgroup filter leaves nothing (no cgroup is known); events carry pid 0",
	.maps = nat_maps, .nmaps = PIN_LEN(nat_maps),
	.events = nat_events, .nevents = PIN_LEN(nat_events),
	.hooks = nat_hooks, .nhooks = PIN_LEN(nat_hooks),
	.settings = nat_settings, .nsettings = PIN_LEN(nat_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_NAT_H */
