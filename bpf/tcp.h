/* SPDX-License-Identifier: GPL-2.0 */
/* tcp.h: TCP connection lifecycle, bytes and health, shared by tcp.bpf.c and user space */
#ifndef __BPFPIN_TCP_H
#define __BPFPIN_TCP_H

#include "bpfpin.h"

#define TCP_SCHEMA_VERSION	4
#define TCP_SOCKS_ENTRIES	65536	/* connections followed at once */
#define TCP_CGROUP_ENTRIES	4096
/* LRU, per CPU: 336 B x CPUs x 2 halves each; tcp.remote_entries */
#define TCP_REMOTE_ENTRIES	2048
#define TCP_RING_BYTES		(1 << 20)

/* IPv4 addresses are kept IPv4-mapped (::ffff:a.b.c.d) */
struct tcp_cgroup_key {
	__u64 cgroup_id;	/* the socket's cgroup v2 id */
};

/*
 * A remote endpoint, keyed by the service's side: (remote address, remote
 * port) for a connection this host opened, (remote address, local port)
 * for one it accepted, whose remote port is the client's ephemeral one.
 */
struct tcp_remote_key {
	__u8 raddr[16];
	__u16 port;		/* the service's port, host order */
	__u16 pad0;
	__u32 direction;	/* enum tcp_direction */
};

enum tcp_direction {
	TCP_DIR_CONNECT,	/* opened here: port is the remote port */
	TCP_DIR_ACCEPT,		/* accepted here: port is the local port */
};

struct tcp_stats {
	__u64 connects;		/* active opens that reached ESTABLISHED */
	__u64 accepts;		/* passive opens that reached ESTABLISHED */
	__u64 closes;		/* established connections closed */
	__u64 syn_timeouts;	/* connects that ended in SYN_SENT, no reset */
	__u64 resets_sent;
	__u64 resets_received;
	__u64 retransmits;	/* segments retransmitted */
	__u64 bytes_sent;	/* payload acknowledged by the peer */
	__u64 bytes_received;	/* payload received */
	__u64 existing;		/* connections found open at up/reload */
	struct bpfpin_hist rtt;	/* smoothed RTT per received segment, us */
};

enum tcp_event_type {
	TCP_EV_CONNECT = 1,
	TCP_EV_ACCEPT,
	TCP_EV_CLOSE,
	TCP_EV_RETRANSMIT,
	TCP_EV_RESET,
	TCP_EV_SYN_TIMEOUT,
};

/* One layout for every event type; each type shows the fields it fills. */
struct tcp_event {
	struct bpfpin_event_hdr hdr;
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 state;		/* TCP state when it happened */
	__u8 direction;		/* reset: 0 sent, 1 received */
	__u8 existing;		/* open before up/reload: bytes and duration
				 * count from then */
	__u8 pad0;
	__s32 error;		/* syn_timeout: the socket's error (errno) */
	__u32 segs_out;
	__u32 segs_in;
	__u32 retransmits;
	__u64 duration_ns;	/* from connect() or the handshake's end */
	__u64 bytes_sent;	/* payload, SYN and FIN left out */
	__u64 bytes_received;
};

/*
 * A hook's index in tcp_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum tcp_hook {
	TCP_HOOK_SET_STATE,
	TCP_HOOK_ACCEPT4,
	TCP_HOOK_ACCEPT,
	TCP_HOOK_RETRANSMIT,
	TCP_HOOK_SEND_RESET,
	TCP_HOOK_RECEIVE_RESET,
	TCP_HOOK_PROBE,
	TCP_HOOK_RESET_V4,
	TCP_HOOK_RESET_V6,
	TCP_HOOK_NR
};
_Static_assert(TCP_HOOK_NR <= BPFPIN_MAX_HOOKS, "tcp: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const tcp_states[] = {
	"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	"NEW_SYN_RECV", "BOUND_INACTIVE",
};

static const char *const tcp_directions[] = { "sent", "received" };

static const char *const tcp_open_directions[] = { "connect", "accept" };

static const struct pin_field tcp_cgroup_key_fields[] = {
	PIN_LABELLED(struct tcp_cgroup_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"socket's cgroup v2 id"),
};

static const struct pin_field tcp_remote_key_fields[] = {
	PIN_FIELD(struct tcp_remote_key, raddr, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP,
		"remote address"),
	PIN_KEY(struct tcp_remote_key, port, PIN_T_U16, PIN_V_PLAIN,
		"the service's port: remote for connect, local for accept"),
	PIN_NAMED(struct tcp_remote_key, direction, tcp_open_directions,
		"connect (opened here) or accept (accepted here)"),
};

static const struct pin_field tcp_stat_fields[] = {
	PIN_COUNTER(struct tcp_stats, connects, "TCP active opens that reached ESTABLISHED."),
	PIN_COUNTER(struct tcp_stats, accepts, "TCP passive opens that reached ESTABLISHED."),
	PIN_COUNTER(struct tcp_stats, closes, "Established TCP connections closed."),
	PIN_COUNTER(struct tcp_stats, syn_timeouts,
		"TCP connects that failed in SYN_SENT without a reset (timeout, unreachable)."),
	PIN_COUNTER(struct tcp_stats, resets_sent, "TCP resets sent."),
	PIN_COUNTER(struct tcp_stats, resets_received, "TCP resets received."),
	PIN_COUNTER(struct tcp_stats, retransmits, "TCP segments retransmitted."),
	PIN_FIELD(struct tcp_stats, bytes_sent, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"TCP payload bytes acknowledged by the peer (growing at each segment received; exact at close)."),
	PIN_FIELD(struct tcp_stats, bytes_received, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"TCP payload bytes received (growing at each segment received in order; exact at close)."),
	PIN_COUNTER(struct tcp_stats, existing,
		"TCP connections found open at load or reload, followed from then on."),
	PIN_HIST(struct tcp_stats, rtt,
		"Smoothed TCP round-trip time, sampled at each segment received."),
};

static const struct pin_map_desc tcp_maps[] = {
	{ .name = "cgroups", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct tcp_cgroup_key),
	  .value_size = sizeof(struct tcp_stats),
	  .keys = tcp_cgroup_key_fields, .nkeys = PIN_LEN(tcp_cgroup_key_fields),
	  .values = tcp_stat_fields, .nvalues = PIN_LEN(tcp_stat_fields) },
	{ .name = "remotes", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct tcp_remote_key),
	  .value_size = sizeof(struct tcp_stats),
	  .keys = tcp_remote_key_fields, .nkeys = PIN_LEN(tcp_remote_key_fields),
	  .values = tcp_stat_fields, .nvalues = PIN_LEN(tcp_stat_fields),
	  .entries_setting = "remote_entries" },
};

#define TCP_TUPLE_FIELDS \
	PIN_EV(struct tcp_event, laddr, PIN_T_BYTES, PIN_V_IP, "local address"), \
	PIN_EV(struct tcp_event, lport, PIN_T_U16, PIN_V_PLAIN, "local port"), \
	PIN_EV(struct tcp_event, raddr, PIN_T_BYTES, PIN_V_IP, "remote address"), \
	PIN_EV(struct tcp_event, rport, PIN_T_U16, PIN_V_PLAIN, "remote port")

#define TCP_STATE_FIELD \
	{ .name = "state", .offset = offsetof(struct tcp_event, state), \
	  .size = 1, .type = PIN_T_U8, .role = PIN_ROLE_LABEL, \
	  .view = PIN_V_NAMES, .help = "TCP state", \
	  .names = tcp_states, .nnames = PIN_LEN(tcp_states) }

static const struct pin_field tcp_open_fields[] = {
	TCP_TUPLE_FIELDS,
};

static const struct pin_field tcp_close_fields[] = {
	TCP_TUPLE_FIELDS,
	TCP_STATE_FIELD,
	PIN_EV(struct tcp_event, duration_ns, PIN_T_U64, PIN_V_DURATION, "connection lifetime"),
	PIN_EV(struct tcp_event, bytes_sent, PIN_T_U64, PIN_V_PLAIN,
		"payload bytes acknowledged by the peer"),
	PIN_EV(struct tcp_event, bytes_received, PIN_T_U64, PIN_V_PLAIN, "payload bytes received"),
	PIN_EV(struct tcp_event, segs_out, PIN_T_U32, PIN_V_PLAIN, "segments sent"),
	PIN_EV(struct tcp_event, segs_in, PIN_T_U32, PIN_V_PLAIN, "segments received"),
	PIN_EV(struct tcp_event, retransmits, PIN_T_U32, PIN_V_PLAIN, "segments retransmitted"),
	PIN_EV(struct tcp_event, existing, PIN_T_U8, PIN_V_PLAIN,
		"1: open before the module loaded; bytes and duration count from the load"),
};

static const struct pin_field tcp_health_fields[] = {
	TCP_TUPLE_FIELDS,
	TCP_STATE_FIELD,
};

static const struct pin_field tcp_reset_fields[] = {
	TCP_TUPLE_FIELDS,
	TCP_STATE_FIELD,
	{ .name = "direction", .offset = offsetof(struct tcp_event, direction),
	  .size = 1, .type = PIN_T_U8, .role = PIN_ROLE_LABEL,
	  .view = PIN_V_NAMES, .help = "sent or received",
	  .names = tcp_directions, .nnames = PIN_LEN(tcp_directions) },
};

/* no local port: a failed connect has released it by then */
static const struct pin_field tcp_syn_timeout_fields[] = {
	PIN_EV(struct tcp_event, laddr, PIN_T_BYTES, PIN_V_IP, "local address"),
	PIN_EV(struct tcp_event, raddr, PIN_T_BYTES, PIN_V_IP, "remote address"),
	PIN_EV(struct tcp_event, rport, PIN_T_U16, PIN_V_PLAIN, "remote port"),
	PIN_EV(struct tcp_event, duration_ns, PIN_T_U64, PIN_V_DURATION,
		"from connect() to failure"),
	PIN_EV(struct tcp_event, error, PIN_T_S32, PIN_V_PLAIN,
		"the socket's errno: 110 timed out, 113 no route"),
};

#define TCP_EVENT(t, n, f) \
	{ .type = t, .name = n, .size = sizeof(struct tcp_event), \
	  .fields = f, .nfields = PIN_LEN(f) }

static const struct pin_event_desc tcp_events[] = {
	TCP_EVENT(TCP_EV_CONNECT, "connect", tcp_open_fields),
	TCP_EVENT(TCP_EV_ACCEPT, "accept", tcp_open_fields),
	TCP_EVENT(TCP_EV_CLOSE, "close", tcp_close_fields),
	TCP_EVENT(TCP_EV_RETRANSMIT, "retransmit", tcp_health_fields),
	TCP_EVENT(TCP_EV_RESET, "reset", tcp_reset_fields),
	TCP_EVENT(TCP_EV_SYN_TIMEOUT, "syn_timeout", tcp_syn_timeout_fields),
};

/*
 * The state changes give the lifecycle; accept()'s return names the
 * server that owns an accepted socket; the rest is health.
 */
static const struct pin_hook tcp_hooks[] = {
	[TCP_HOOK_SET_STATE] = { "inet_sock_set_state", { "set_state_btf", "set_state_raw" } },
	[TCP_HOOK_ACCEPT4] = { "sys_exit_accept4", { "accept4_exit" }, .optional = true },
	[TCP_HOOK_ACCEPT] = { "sys_exit_accept", { "accept_exit" }, .optional = true },
	[TCP_HOOK_RETRANSMIT] = { "tcp_retransmit_skb", { "retransmit_btf",
		"retransmit_raw" }, .optional = true },
	[TCP_HOOK_SEND_RESET] = { "tcp_send_reset", { "send_reset_btf",
		"send_reset_raw" }, .optional = true },
	[TCP_HOOK_RECEIVE_RESET] = { "tcp_receive_reset", { "receive_reset_btf",
		"receive_reset_raw" }, .optional = true },
	[TCP_HOOK_PROBE] = { "tcp_probe", { "probe_btf", "probe_raw" }, .optional = true },
	/* before 6.10 tcp_send_reset fires only for a full socket: the
	 * resets sent for no socket (a closed port) come from here */
	[TCP_HOOK_RESET_V4] = { "tcp_v4_send_reset", { "reset4_fentry", "reset4_kprobe" },
		.optional = true, .extra = true, .unless_tp_args = "tcp_send_reset 3" },
	[TCP_HOOK_RESET_V6] = { "tcp_v6_send_reset", { "reset6_fentry", "reset6_kprobe" },
		.optional = true, .extra = true, .unless_tp_args = "tcp_send_reset 3" },
};
_Static_assert(PIN_LEN(tcp_hooks) == TCP_HOOK_NR, "tcp: a hook without a table entry");

static const struct pin_setting tcp_settings[] = {
	{ "remote_entries", "remote endpoints kept (LRU; evictions are counted)",
	  TCP_REMOTE_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc tcp_module = {
	.name = "tcp",
	.summary = "TCP connects, accepts, closes with bytes and duration, resets, retransmits, "
		"SYN timeouts, RTT histograms",
	.schema_version = TCP_SCHEMA_VERSION,
	.profiles = "network",
	.notes = "connections open at up/reload are followed from then (existing; bytes and "
		"duration from then; the loader's network namespace only); bytes grow at each "
		"segment received and are exact at close; an accepted socket's pid/comm is known "
		"once accept() returns; before 6.10 resets sent for no socket (a closed port) are "
		"seen only where hook tcp_v4_send_reset/tcp_v6_send_reset loads (fentry or kprobe)",
	.seed_programs = "seed_socks seed_owners",
	.maps = tcp_maps, .nmaps = PIN_LEN(tcp_maps),
	.events = tcp_events, .nevents = PIN_LEN(tcp_events),
	.hooks = tcp_hooks, .nhooks = PIN_LEN(tcp_hooks),
	.settings = tcp_settings, .nsettings = PIN_LEN(tcp_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_TCP_H */
