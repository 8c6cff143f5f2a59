/* SPDX-License-Identifier: GPL-2.0 */
/* tcpqueue.h: the largest TCP receive and send queue fills per cgroup */
#ifndef __BPFPIN_TCPQUEUE_H
#define __BPFPIN_TCPQUEUE_H

#include "bpfpin.h"

#define TCPQUEUE_SCHEMA_VERSION	2
#define TCPQUEUE_STATS_ENTRIES	4096

struct tcpqueue_key {
	__u64 cgroup_id;	/* the socket's cgroup v2 id */
};

/* Maxima over the interval: per CPU, then over CPUs (max, not sum). */
struct tcpqueue_stats {
	__u64 rqueue_max;	/* rcv_nxt - copied_seq: received, not yet read */
	__u64 wqueue_max;	/* write_seq - snd_una: written, not yet acked */
	__u64 rcvbuf;		/* sk_rcvbuf of the socket that set rqueue_max or later */
	__u64 sndbuf;
};

/*
 * A hook's index in tcpqueue_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum tcpqueue_hook {
	TCPQUEUE_HOOK_PROBE,
	TCPQUEUE_HOOK_SEND,
	TCPQUEUE_HOOK_READY,
	TCPQUEUE_HOOK_NR
};
_Static_assert(TCPQUEUE_HOOK_NR <= BPFPIN_MAX_HOOKS, "tcpqueue: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const struct pin_field tcpqueue_key_fields[] = {
	PIN_LABELLED(struct tcpqueue_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"socket's cgroup v2 id"),
};

static const struct pin_field tcpqueue_stat_fields[] = {
	PIN_GAUGE_MAX(struct tcpqueue_stats, rqueue_max, PIN_V_BYTES,
		"Largest TCP receive queue fill (received, unread) of the cgroup's sockets."),
	PIN_GAUGE_MAX(struct tcpqueue_stats, wqueue_max, PIN_V_BYTES,
		"Largest TCP send queue fill (written, unacknowledged) of the cgroup's sockets."),
	PIN_GAUGE_MAX(struct tcpqueue_stats, rcvbuf, PIN_V_BYTES,
		"Largest receive buffer (sk_rcvbuf) of the cgroup's sockets."),
	PIN_GAUGE_MAX(struct tcpqueue_stats, sndbuf, PIN_V_BYTES,
		"Largest send buffer (sk_sndbuf) of the cgroup's sockets."),
};

static const struct pin_map_desc tcpqueue_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct tcpqueue_key),
	  .value_size = sizeof(struct tcpqueue_stats),
	  .keys = tcpqueue_key_fields, .nkeys = PIN_LEN(tcpqueue_key_fields),
	  .values = tcpqueue_stat_fields, .nvalues = PIN_LEN(tcpqueue_stat_fields) },
};

/* tcp_probe sees every segment a socket receives (before its data is
 * queued), ACKs drain the send queue; sk_data_ready sees the receive queue
 * once data is in; sock_send_length adds each send. */
static const struct pin_hook tcpqueue_hooks[] = {
	[TCPQUEUE_HOOK_PROBE] = { "tcp_probe", { "probe_btf", "probe_raw" } },
	[TCPQUEUE_HOOK_SEND] = { "sock_send_length", { "send_btf", "send_raw", "send_fentry",
		"send_kprobe" }, .optional = true },
	[TCPQUEUE_HOOK_READY] = { "sk_data_ready", { "ready_btf", "ready_raw", "ready_fentry",
		"ready_kprobe" }, .optional = true },
};
_Static_assert(PIN_LEN(tcpqueue_hooks) == TCPQUEUE_HOOK_NR,
	       "tcpqueue: a hook without a table entry");

static const struct pin_module_desc tcpqueue_module = {
	.name = "tcpqueue",
	.summary = "largest TCP receive/send queue fill against buffer size, per cgroup",
	.schema_version = TCPQUEUE_SCHEMA_VERSION,
	.profiles = "default network",
	.maps = tcpqueue_maps, .nmaps = PIN_LEN(tcpqueue_maps),
	.hooks = tcpqueue_hooks, .nhooks = PIN_LEN(tcpqueue_hooks),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_TCPQUEUE_H */
