/* SPDX-License-Identifier: GPL-2.0 */
/* dns.h: DNS queries over UDP matched to their responses or timeouts */
#ifndef __BPFPIN_DNS_H
#define __BPFPIN_DNS_H

#include "bpfpin.h"

#define DNS_SCHEMA_VERSION	3
#define DNS_PORT		53
#define DNS_INFLIGHT_ENTRIES	16384	/* queries awaiting an answer */
#define DNS_CGROUP_ENTRIES	4096
/* LRU, per CPU: 360 B x CPUs x 2 halves each; dns.server_entries */
#define DNS_SERVER_ENTRIES	256
#define DNS_TIMEOUT_MS		5000	/* bpfpin.conf: dns.timeout_ms */
#define DNS_RING_BYTES		(1 << 20)

struct dns_cgroup_key {
	__u64 cgroup_id;	/* the socket's cgroup v2 id */
};

/* IPv4 addresses are kept IPv4-mapped (::ffff:a.b.c.d) */
struct dns_server_key {
	__u8 addr[16];
	__u16 port;
	__u16 pad0;
	__u32 pad1;
};

struct dns_stats {
	__u64 queries;
	__u64 responses;	/* matched to a query */
	__u64 noerror;		/* responses by rcode */
	__u64 formerr;
	__u64 servfail;
	__u64 nxdomain;
	__u64 notimp;
	__u64 refused;
	__u64 other_rcode;
	__u64 timeouts;		/* queries unanswered after dns.timeout_ms */
	__u64 unmatched;	/* responses to no query waiting (late, spoofed) */
	__u64 malformed;	/* shorter than a header, or no question */
	struct bpfpin_hist latency;	/* query to response, us */
};

enum dns_event_type {
	DNS_EV_QUERY = 1,
	DNS_EV_RESPONSE,
	DNS_EV_TIMEOUT,
};

struct dns_event {
	struct bpfpin_event_hdr hdr;
	__u8 server[16];
	__u16 server_port;
	__u16 id;		/* the DNS message id */
	__u8 rcode;
	__u8 pad0;
	__u16 answers;
	__u64 latency_ns;	/* response, timeout: since the query */
	struct bpfpin_dns_capture msg;	/* the message (the query's, for a timeout) */
};

/*
 * A hook's index in dns_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum dns_hook {
	DNS_HOOK_EGRESS,
	DNS_HOOK_INGRESS,
	DNS_HOOK_NR
};
_Static_assert(DNS_HOOK_NR <= BPFPIN_MAX_HOOKS, "dns: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const dns_rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static const struct pin_field dns_cgroup_key_fields[] = {
	PIN_LABELLED(struct dns_cgroup_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"socket's cgroup v2 id"),
};

static const struct pin_field dns_server_key_fields[] = {
	PIN_FIELD(struct dns_server_key, addr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"server address"),
	PIN_KEY(struct dns_server_key, port, PIN_T_U16, PIN_V_PLAIN, "server port"),
};

static const struct pin_field dns_stat_fields[] = {
	PIN_COUNTER(struct dns_stats, queries, "DNS queries sent."),
	PIN_COUNTER(struct dns_stats, responses, "DNS responses matched to a query."),
	PIN_COUNTER(struct dns_stats, noerror, "DNS responses with rcode NOERROR."),
	PIN_COUNTER(struct dns_stats, formerr, "DNS responses with rcode FORMERR."),
	PIN_COUNTER(struct dns_stats, servfail, "DNS responses with rcode SERVFAIL."),
	PIN_COUNTER(struct dns_stats, nxdomain, "DNS responses with rcode NXDOMAIN."),
	PIN_COUNTER(struct dns_stats, notimp, "DNS responses with rcode NOTIMP."),
	PIN_COUNTER(struct dns_stats, refused, "DNS responses with rcode REFUSED."),
	PIN_COUNTER(struct dns_stats, other_rcode, "DNS responses with another rcode."),
	PIN_COUNTER(struct dns_stats, timeouts,
		"DNS queries with no response within dns.timeout_ms."),
	PIN_COUNTER(struct dns_stats, unmatched,
		"DNS responses that matched no waiting query (late or unsolicited)."),
	PIN_COUNTER(struct dns_stats, malformed,
		"DNS messages too short for a header, or without a question."),
	PIN_HIST(struct dns_stats, latency, "DNS latency from query to matched response."),
};

static const struct pin_map_desc dns_maps[] = {
	{ .name = "cgroups", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct dns_cgroup_key),
	  .value_size = sizeof(struct dns_stats),
	  .keys = dns_cgroup_key_fields, .nkeys = PIN_LEN(dns_cgroup_key_fields),
	  .values = dns_stat_fields, .nvalues = PIN_LEN(dns_stat_fields) },
	{ .name = "servers", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct dns_server_key),
	  .value_size = sizeof(struct dns_stats),
	  .keys = dns_server_key_fields, .nkeys = PIN_LEN(dns_server_key_fields),
	  .values = dns_stat_fields, .nvalues = PIN_LEN(dns_stat_fields),
	  .entries_setting = "server_entries" },
};

#define DNS_COMMON_FIELDS \
	PIN_EV(struct dns_event, server, PIN_T_BYTES, PIN_V_IP, "server address"), \
	PIN_EV(struct dns_event, server_port, PIN_T_U16, PIN_V_PLAIN, "server port"), \
	PIN_EV(struct dns_event, id, PIN_T_U16, PIN_V_PLAIN, "DNS message id"), \
	PIN_FIELD(struct dns_event, msg, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_DNS, \
		"the question")

static const struct pin_field dns_query_fields[] = {
	DNS_COMMON_FIELDS,
};

static const struct pin_field dns_response_fields[] = {
	DNS_COMMON_FIELDS,
	{ .name = "rcode", .offset = offsetof(struct dns_event, rcode),
	  .size = 1, .type = PIN_T_U8, .role = PIN_ROLE_LABEL,
	  .view = PIN_V_NAMES, .help = "response code",
	  .names = dns_rcodes, .nnames = PIN_LEN(dns_rcodes) },
	PIN_EV(struct dns_event, answers, PIN_T_U16, PIN_V_PLAIN, "answer records"),
	PIN_EV(struct dns_event, latency_ns, PIN_T_U64, PIN_V_DURATION, "since the query"),
};

static const struct pin_field dns_timeout_fields[] = {
	DNS_COMMON_FIELDS,
	PIN_EV(struct dns_event, latency_ns, PIN_T_U64, PIN_V_DURATION, "waited since the query"),
};

#define DNS_EVENT(t, n, f) \
	{ .type = t, .name = n, .size = sizeof(struct dns_event), \
	  .fields = f, .nfields = PIN_LEN(f) }

static const struct pin_event_desc dns_events[] = {
	DNS_EVENT(DNS_EV_QUERY, "query", dns_query_fields),
	DNS_EVENT(DNS_EV_RESPONSE, "response", dns_response_fields),
	DNS_EVENT(DNS_EV_TIMEOUT, "timeout", dns_timeout_fields),
};

/* cgroup_skb at the cgroup v2 root: every socket's DNS over UDP */
static const struct pin_hook dns_hooks[] = {
	[DNS_HOOK_EGRESS] = { "cgroup_skb_egress", { "dns_egress", "dns_egress_nt" } },
	[DNS_HOOK_INGRESS] = { "cgroup_skb_ingress", { "dns_ingress", "dns_ingress_nt" } },
};
_Static_assert(PIN_LEN(dns_hooks) == DNS_HOOK_NR, "dns: a hook without a table entry");

static const struct pin_setting dns_settings[] = {
	{ "timeout_ms", "a query unanswered this long is a timeout",
	  DNS_TIMEOUT_MS, 10, 600000 },
	{ "server_entries", "servers kept (LRU; evictions are counted)",
	  DNS_SERVER_ENTRIES, 16, 1 << 20 },
};

static const struct pin_module_desc dns_module = {
	.name = "dns",
	.summary = "DNS queries over UDP port 53 matched to responses (latency, rcode) or "
		"timeouts, per cgroup and server",
	.schema_version = DNS_SCHEMA_VERSION,
	.profiles = "network",
	.captures_content = true,
	.content_maps = "inflight scratch",
	.notes = "UDP only (not DNS over TCP or TLS); queries are matched in the kernel by "
		"socket, server and id; a timeout is counted dns.timeout_ms after its query; "
		"messages are kept up to 256 bytes; where cgroup_skb may not call current-task "
		"helpers (6.1: the _nt programs) the querier is its socket's cgroup, pid 0",
	.maps = dns_maps, .nmaps = PIN_LEN(dns_maps),
	.events = dns_events, .nevents = PIN_LEN(dns_events),
	.hooks = dns_hooks, .nhooks = PIN_LEN(dns_hooks),
	.settings = dns_settings, .nsettings = PIN_LEN(dns_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_DNS_H */
