/* SPDX-License-Identifier: GPL-2.0 */
/* nat.h: NAT mappings (original tuple -> translated tuple) of new conntrack entries */
#ifndef __BPFPIN_NAT_H
#define __BPFPIN_NAT_H

#include "bpfpin.h"

#define NAT_SCHEMA_VERSION	1
/* LRU, per CPU: 72 B x CPUs x 2 halves each; nat.mapping_entries */
#define NAT_MAPPING_ENTRIES	4096
#define NAT_RING_BYTES		(256 << 10)

/* What a mapping changes: bits, so a connection can be both */
enum nat_kind {
	NAT_DNAT = 1,		/* its destination (IPS_DST_NAT) */
	NAT_SNAT = 2,		/* its source (IPS_SRC_NAT: SNAT, masquerade) */
};

/* The connection's protocol, a small number for the names table */
enum nat_proto {
	NAT_P_OTHER,
	NAT_P_TCP,
	NAT_P_UDP,
	NAT_P_ICMP,
	NAT_P_ICMPV6,
	NAT_P_SCTP,
};

/*
 * One row per translation: for DNAT the original destination and the
 * translated one (address and port); for SNAT the original source address
 * and the translated one, ports left out (0): a source port is the client's
 * own, one per connection. A connection both DNATed and SNATed counts in
 * one row of each kind. IPv4 addresses are kept IPv4-mapped.
 */
struct nat_mapping_key {
	__u8 orig_addr[16];
	__u8 xlat_addr[16];
	__u16 orig_port;	/* host order; 0 for SNAT */
	__u16 xlat_port;
	__u32 netns;		/* the network namespace's inode, net:[N] */
	__u8 proto;		/* enum nat_proto */
	__u8 kind;		/* NAT_DNAT or NAT_SNAT */
	__u16 pad0;
	__u32 pad1;
};

struct nat_stats {
	__u64 connections;	/* new conntrack entries with this mapping */
};

enum nat_event_type {
	NAT_EV_MAPPING = 1,
};

/*
 * A new translated connection: its tuple as the client sent it (orig_*)
 * and as it leaves the translation (xlat_*: the reply tuple turned round),
 * so a socket's endpoints (the xlat tuple on the host that translates to
 * itself) can be shown by their original address.
 */
struct nat_event {
	struct bpfpin_event_hdr hdr;
	__u8 orig_saddr[16];
	__u8 orig_daddr[16];
	__u8 xlat_saddr[16];
	__u8 xlat_daddr[16];
	__u16 orig_sport;	/* host order; ICMP: the id, and 0 */
	__u16 orig_dport;
	__u16 xlat_sport;
	__u16 xlat_dport;
	__u32 netns;
	__u8 proto;		/* enum nat_proto */
	__u8 kind;		/* NAT_DNAT | NAT_SNAT */
	__u8 hook;		/* enum nat_hook: where it was seen */
	__u8 pad0;
};

/*
 * A hook's index in nat_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum nat_hook {
	NAT_HOOK_OUT4,		/* IPv4 post_routing: sent and forwarded */
	NAT_HOOK_IN4,		/* IPv4 local_in: received by this namespace */
	NAT_HOOK_OUT6,
	NAT_HOOK_IN6,
	NAT_HOOK_NR
};
_Static_assert(NAT_HOOK_NR <= BPFPIN_MAX_HOOKS, "nat: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const nat_protos[] = {
	"other", "tcp", "udp", "icmp", "icmpv6", "sctp",
};

static const char *const nat_kinds[] = {
	"none", "dnat", "snat", "dnat+snat",
};

static const char *const nat_hook_names[] = {
	"ipv4_post_routing", "ipv4_local_in", "ipv6_post_routing", "ipv6_local_in",
};

#define NAT_NAMED_U8(s, m, n, h)					\
	{ .name = #m, .offset = offsetof(s, m), .size = 1,		\
	  .type = PIN_T_U8, .role = PIN_ROLE_LABEL, .view = PIN_V_NAMES,	\
	  .help = h, .names = n, .nnames = PIN_LEN(n) }

static const struct pin_field nat_key_fields[] = {
	NAT_NAMED_U8(struct nat_mapping_key, proto, nat_protos, "protocol"),
	NAT_NAMED_U8(struct nat_mapping_key, kind, nat_kinds,
		"dnat: destination translated; snat: source translated"),
	PIN_FIELD(struct nat_mapping_key, orig_addr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM,
		PIN_V_IP, "original address (dnat: destination, snat: source)"),
	PIN_KEY(struct nat_mapping_key, orig_port, PIN_T_U16, PIN_V_PLAIN,
		"original destination port (dnat; 0 for snat)"),
	PIN_FIELD(struct nat_mapping_key, xlat_addr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM,
		PIN_V_IP, "translated address"),
	PIN_KEY(struct nat_mapping_key, xlat_port, PIN_T_U16, PIN_V_PLAIN,
		"translated destination port (dnat; 0 for snat)"),
	PIN_KEY(struct nat_mapping_key, netns, PIN_T_U32, PIN_V_PLAIN,
		"network namespace inode (net:[N])"),
};

static const struct pin_field nat_stat_fields[] = {
	PIN_COUNTER(struct nat_stats, connections,
		"New conntrack entries (connections) translated by this mapping."),
};

static const struct pin_map_desc nat_maps[] = {
	{ .name = "mappings", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct nat_mapping_key),
	  .value_size = sizeof(struct nat_stats),
	  .keys = nat_key_fields, .nkeys = PIN_LEN(nat_key_fields),
	  .values = nat_stat_fields, .nvalues = PIN_LEN(nat_stat_fields),
	  .entries_setting = "mapping_entries" },
};

static const struct pin_field nat_mapping_fields[] = {
	NAT_NAMED_U8(struct nat_event, proto, nat_protos, "protocol"),
	NAT_NAMED_U8(struct nat_event, kind, nat_kinds, "what was translated"),
	PIN_EV(struct nat_event, orig_saddr, PIN_T_BYTES, PIN_V_IP, "original source address"),
	PIN_EV(struct nat_event, orig_sport, PIN_T_U16, PIN_V_PLAIN, "original source port"),
	PIN_EV(struct nat_event, orig_daddr, PIN_T_BYTES, PIN_V_IP,
		"original destination address"),
	PIN_EV(struct nat_event, orig_dport, PIN_T_U16, PIN_V_PLAIN, "original destination port"),
	PIN_EV(struct nat_event, xlat_saddr, PIN_T_BYTES, PIN_V_IP, "translated source address"),
	PIN_EV(struct nat_event, xlat_sport, PIN_T_U16, PIN_V_PLAIN, "translated source port"),
	PIN_EV(struct nat_event, xlat_daddr, PIN_T_BYTES, PIN_V_IP,
		"translated destination address"),
	PIN_EV(struct nat_event, xlat_dport, PIN_T_U16, PIN_V_PLAIN,
		"translated destination port"),
	PIN_EV(struct nat_event, netns, PIN_T_U32, PIN_V_PLAIN,
		"network namespace inode (net:[N])"),
	NAT_NAMED_U8(struct nat_event, hook, nat_hook_names, "the netfilter hook that saw it"),
};

static const struct pin_event_desc nat_events[] = {
	{ .type = NAT_EV_MAPPING, .name = "mapping", .size = sizeof(struct nat_event),
	  .fields = nat_mapping_fields, .nfields = PIN_LEN(nat_mapping_fields) },
};

/*
 * Netfilter hooks after NAT and before conntrack confirms the entry
 * (INT_MAX - 1, below NF_IP_PRI_CONNTRACK_CONFIRM): post_routing sees
 * connections this namespace opens or forwards, local_in those it receives.
 * A link per hook in each namespace nat.netns names.
 */
static const struct pin_hook nat_hooks[] = {
	[NAT_HOOK_OUT4] = { "ipv4_post_routing", { "nat_out4" }, .netns = "netns" },
	[NAT_HOOK_IN4] = { "ipv4_local_in", { "nat_in4" }, .netns = "netns" },
	[NAT_HOOK_OUT6] = { "ipv6_post_routing", { "nat_out6" }, .optional = true,
			    .netns = "netns" },
	[NAT_HOOK_IN6] = { "ipv6_local_in", { "nat_in6" }, .optional = true,
			   .netns = "netns" },
};
_Static_assert(PIN_LEN(nat_hooks) == NAT_HOOK_NR, "nat: a hook without a table entry");

static const struct pin_setting nat_settings[] = {
	{ "netns", "network namespaces to watch: 'self' (the loader's) and/or paths "
	  "such as /proc/PID/ns/net or /run/netns/NAME; a link per hook in each",
	  .kind = PIN_SET_NETNS },
	{ "mapping_entries", "mappings kept (LRU; evictions are counted)",
	  NAT_MAPPING_ENTRIES, 16, 1 << 20 },
};

static const struct pin_module_desc nat_module = {
	.name = "nat",
	.summary = "NAT mappings (DNAT, SNAT, masquerade) of new connections: original and "
		"translated tuples, counts per mapping",
	.schema_version = NAT_SCHEMA_VERSION,
	.profiles = "network",
	.notes = "netfilter links (Linux 6.4+) in the namespaces nat.netns names (default: "
		"the loader's own); a connection counts once, when conntrack is about to "
		"confirm it; needs conntrack and NAT rules in that namespace",
	.filter_scope = "its packets have no task and no cgroup (a cgroup filter leaves out "
		"every mapping)",
	.maps = nat_maps, .nmaps = PIN_LEN(nat_maps),
	.events = nat_events, .nevents = PIN_LEN(nat_events),
	.hooks = nat_hooks, .nhooks = PIN_LEN(nat_hooks),
	.settings = nat_settings, .nsettings = PIN_LEN(nat_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_NAT_H */
