/* SPDX-License-Identifier: GPL-2.0 */
/* http.h: HTTP/1.x requests paired with responses from TCP payload: method, status, latency */
#ifndef __BPFPIN_HTTP_H
#define __BPFPIN_HTTP_H

#include "bpfpin.h"

#define HTTP_SCHEMA_VERSION	2
#define HTTP_STATS_ENTRIES	16384	/* http.stats_entries; full: counted map_full */
#define HTTP_RING_BYTES		(1 << 20)

/* The request's method; 0: none (a connection-level row). */
enum http_method {
	HTTP_M_NONE,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_PATCH,
	HTTP_M_OPTIONS,
	HTTP_M_CONNECT,
	HTTP_M_TRACE,
	HTTP_M_NR
};

/* Which end of the connection this host's socket is. */
enum http_side {
	HTTP_SIDE_CLIENT,	/* sent the request */
	HTTP_SIDE_SERVER,	/* received it */
};

/*
 * A row: the socket's cgroup, the server's end (the remote one for a
 * client, the local one for a server), the method and the status class
 * (1 for 1xx ... 5xx; 0: no response, the row of what was not paired).
 * IPv4 addresses are kept IPv4-mapped (::ffff:a.b.c.d).
 */
struct http_key {
	__u64 cgroup_id;	/* the socket's cgroup v2 id */
	__u8 server[16];
	__u16 server_port;	/* host order */
	__u8 method;		/* enum http_method */
	__u8 status_class;	/* 1-5; 0: none */
	__u8 side;		/* enum http_side */
	__u8 pad[3];
};

struct http_stats {
	__u64 responses;	/* responses matched to a request */
	__u64 request_bytes;	/* TCP payload of those requests, headers included */
	__u64 response_bytes;	/* TCP payload of the responses as it flows */
	__u64 pipelined;	/* requests sent while one awaited its response */
	__u64 unmatched;	/* responses with no request waiting */
	__u64 unparsed_segments;	/* payload where a request or response
					 * should start and neither does */
	__u64 upgraded;		/* connections that left HTTP/1.x (101, CONNECT) */
	__u64 http2;		/* connections that began with the HTTP/2 preface */
	__u64 tls;		/* connections that began with a TLS record */
	__u64 unparsed;		/* connections that began with anything else */
	struct bpfpin_hist latency;	/* first request byte to first response byte, us */
};

enum http_event_type {
	HTTP_EV_OK = 1,		/* a response 1xx-3xx */
	HTTP_EV_ERROR,		/* a response 4xx or 5xx */
};

struct http_event {
	struct bpfpin_event_hdr hdr;	/* the owner, where known */
	__u8 server[16];
	__u8 client[16];
	__u16 server_port;
	__u16 client_port;
	__u16 status;
	__u8 method;		/* enum http_method */
	__u8 side;		/* enum http_side */
	__u64 latency_ns;	/* first request byte to first response byte */
	__u64 request_bytes;	/* of the request, up to its response */
};

/*
 * A hook's index in http_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum http_hook {
	HTTP_HOOK_EGRESS,
	HTTP_HOOK_INGRESS,
	HTTP_HOOK_NR
};
_Static_assert(HTTP_HOOK_NR <= BPFPIN_MAX_HOOKS, "http: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const http_methods[] = {
	"", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
};
_Static_assert(PIN_LEN(http_methods) == HTTP_M_NR, "http: a method without a name");

static const char *const http_classes[] = { "", "1xx", "2xx", "3xx", "4xx", "5xx" };

static const char *const http_sides[] = { "client", "server" };

#define HTTP_NAMED_U8(s, m, n, h) \
	{ .name = #m, .offset = offsetof(s, m), .size = 1, .type = PIN_T_U8, \
	  .role = PIN_ROLE_LABEL, .view = PIN_V_NAMES, .help = h, \
	  .names = n, .nnames = PIN_LEN(n) }

static const struct pin_field http_key_fields[] = {
	PIN_LABELLED(struct http_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"socket's cgroup v2 id"),
	PIN_FIELD(struct http_key, server, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"server address"),
	PIN_KEY(struct http_key, server_port, PIN_T_U16, PIN_V_PLAIN, "server port"),
	HTTP_NAMED_U8(struct http_key, method, http_methods,
		"request method; empty: a connection-level row"),
	HTTP_NAMED_U8(struct http_key, status_class, http_classes,
		"response status class; empty: no response"),
	HTTP_NAMED_U8(struct http_key, side, http_sides,
		"client (this host sent the request) or server"),
};

static const struct pin_field http_stat_fields[] = {
	PIN_COUNTER(struct http_stats, responses, "HTTP responses matched to a request."),
	PIN_FIELD(struct http_stats, request_bytes, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"TCP payload bytes of HTTP requests, headers included."),
	PIN_FIELD(struct http_stats, response_bytes, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"TCP payload bytes of HTTP responses, headers included, counted as they flow."),
	PIN_COUNTER(struct http_stats, pipelined,
		"HTTP requests sent while another awaited its response (pipelined: not timed)."),
	PIN_COUNTER(struct http_stats, unmatched, "HTTP responses with no request waiting."),
	PIN_COUNTER(struct http_stats, unparsed_segments,
		"HTTP connection segments that start neither the request nor the response expected."),
	PIN_COUNTER(struct http_stats, upgraded,
		"HTTP connections that left HTTP/1.x (101 Switching Protocols, CONNECT)."),
	PIN_COUNTER(struct http_stats, http2,
		"TCP connections that began with the HTTP/2 preface (not parsed)."),
	PIN_COUNTER(struct http_stats, tls,
		"TCP connections that began with a TLS record (not parsed)."),
	PIN_COUNTER(struct http_stats, unparsed,
		"TCP connections whose first payload was no HTTP/1.x request (not parsed)."),
	PIN_HIST(struct http_stats, latency,
		"HTTP latency from the request's first byte to the response's first byte."),
};

static const struct pin_map_desc http_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct http_key),
	  .value_size = sizeof(struct http_stats),
	  .keys = http_key_fields, .nkeys = PIN_LEN(http_key_fields),
	  .values = http_stat_fields, .nvalues = PIN_LEN(http_stat_fields),
	  .entries_setting = "stats_entries" },
};

static const struct pin_field http_event_fields[] = {
	HTTP_NAMED_U8(struct http_event, method, http_methods, "request method"),
	PIN_EV(struct http_event, status, PIN_T_U16, PIN_V_PLAIN, "response status code"),
	PIN_EV(struct http_event, latency_ns, PIN_T_U64, PIN_V_DURATION,
		"first request byte to first response byte"),
	PIN_EV(struct http_event, request_bytes, PIN_T_U64, PIN_V_PLAIN,
		"request payload bytes before the response began"),
	HTTP_NAMED_U8(struct http_event, side, http_sides,
		"client (this host sent the request) or server"),
	PIN_EV(struct http_event, server, PIN_T_BYTES, PIN_V_IP, "server address"),
	PIN_EV(struct http_event, server_port, PIN_T_U16, PIN_V_PLAIN, "server port"),
	PIN_EV(struct http_event, client, PIN_T_BYTES, PIN_V_IP, "client address"),
	PIN_EV(struct http_event, client_port, PIN_T_U16, PIN_V_PLAIN, "client port"),
};

/* http.events = errors: only 4xx and 5xx */
static const struct pin_event_desc http_events[] = {
	{ .type = HTTP_EV_OK, .name = "ok", .size = sizeof(struct http_event),
	  .fields = http_event_fields, .nfields = PIN_LEN(http_event_fields) },
	{ .type = HTTP_EV_ERROR, .name = "errors", .size = sizeof(struct http_event),
	  .fields = http_event_fields, .nfields = PIN_LEN(http_event_fields) },
};

/* cgroup_skb at the cgroup v2 root: every socket's TCP payload, both ways */
static const struct pin_hook http_hooks[] = {
	[HTTP_HOOK_EGRESS] = { "cgroup_skb_egress", { "http_egress", "http_egress_nt" } },
	[HTTP_HOOK_INGRESS] = { "cgroup_skb_ingress", { "http_ingress", "http_ingress_nt" } },
};
_Static_assert(PIN_LEN(http_hooks) == HTTP_HOOK_NR, "http: a hook without a table entry");

static const struct pin_setting http_settings[] = {
	{ "stats_entries", "rows kept (cgroup, server, method, status class, side); a full map "
	  "counts map_full drops", HTTP_STATS_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc http_module = {
	.name = "http",
	.summary = "HTTP/1.x requests matched to responses per cgroup, server, method and status "
		"class: latency, bytes; HTTP/2, TLS and other TCP counted as unparsed",
	.schema_version = HTTP_SCHEMA_VERSION,
	.profiles = "network",
	.notes = "TCP payload from cgroup_skb at the cgroup v2 root, per socket (socket storage: "
		"nothing to evict); a request or response is recognised by its first segment's "
		"first bytes; two requests in one segment count as one; connections open before "
		"the module loaded are unparsed unless the next payload starts a request; where "
		"cgroup_skb may not call current-task helpers (6.1: the _nt programs) owners are "
		"the socket's cgroup, pid 0",
	.maps = http_maps, .nmaps = PIN_LEN(http_maps),
	.events = http_events, .nevents = PIN_LEN(http_events),
	.hooks = http_hooks, .nhooks = PIN_LEN(http_hooks),
	.settings = http_settings, .nsettings = PIN_LEN(http_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_HTTP_H */
