// SPDX-License-Identifier: GPL-2.0
/* tcp.bpf.c: TCP lifecycle from inet_sock_set_state, owners from accept(), health from the tcp tracepoints */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "tcp.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6

BPFPIN_STATS_MAP(cgroups, struct tcp_cgroup_key, struct tcp_stats, TCP_CGROUP_ENTRIES);
BPFPIN_STATS_LRU(remotes, struct tcp_remote_key, struct tcp_stats, TCP_REMOTE_ENTRIES);
BPFPIN_EVENTS_RING(TCP_RING_BYTES);

enum { OPEN_CONNECT = 1, OPEN_ACCEPT };

/* What is known of a followed socket, from its first state change on. */
struct conn {
	__u64 start_ns;
	__u64 acked0;		/* bytes_acked at ESTABLISHED: the SYN */
	__u64 received0;
	struct bpfpin_owner owner;
	__u8 laddr[16];		/* the ends as established: by close, the */
	__u8 raddr[16];		/* local port may be released already */
	__u16 lport;
	__u16 rport;
	__u8 open;		/* OPEN_CONNECT or OPEN_ACCEPT */
	__u8 owned;		/* owner known */
	__u8 reset;		/* a reset was received */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_SOCKS_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);	/* struct sock * */
	__type(value, struct conn);
} conns SEC(".maps");

static const struct tcp_stats zero_stats;
static const struct bpfpin_owner nobody;

static __always_inline bool is_tcp(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) &&
	       BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/* Both ends of a socket, IPv4 as IPv4-mapped. */
static __always_inline void read_tuple(const struct sock *sk, struct tcp_event *e)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memset(e->laddr, 0, 16);
		__builtin_memset(e->raddr, 0, 16);
		e->laddr[10] = e->laddr[11] = e->raddr[10] = e->raddr[11] = 0xff;
		__builtin_memcpy(&e->laddr[12], &l, 4);
		__builtin_memcpy(&e->raddr[12], &r, 4);
	} else {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	}
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline __u64 sock_cgroup(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* The socket's cgroup and remote endpoint stats, either may be NULL. */
static __always_inline void stats_for(__u64 cgroup_id, const __u8 *raddr,
				      __u16 rport, struct tcp_stats **c,
				      struct tcp_stats **r)
{
	struct tcp_cgroup_key ck = { .cgroup_id = cgroup_id };
	struct tcp_remote_key rk = { .rport = rport };

	__builtin_memcpy(rk.raddr, raddr, 16);
	*c = bpfpin_stats_slot(&cgroups_slot, &ck, &zero_stats);
	*r = bpfpin_lru_slot(&remotes_slot, &remotes_inserts, &rk, &zero_stats);
}

/* Count into both maps: the field at @off of struct tcp_stats += @n. */
static __always_inline void count(__u64 cgroup_id, const __u8 *raddr,
				  __u16 rport, __u32 off, __u64 n)
{
	struct tcp_stats *c, *r;

	stats_for(cgroup_id, raddr, rport, &c, &r);
	bpfpin_add2(c, r, off, n);
}

#define COUNT(e, field, n) \
	count(sock_cgroup(sk), (e)->raddr, (e)->rport, \
	      offsetof(struct tcp_stats, field), n)

/*
 * An event for @sk as its owner would see it. An owner not known (not yet
 * accepted, or opened before the module loaded) is pid 0 in the socket's
 * cgroup: these hooks often run in softirq, where the current task is
 * whoever was interrupted.
 */
static __always_inline struct tcp_event *event_for(const struct sock *sk,
						   const struct conn *c,
						   __u16 type)
{
	struct bpfpin_owner unknown = { .cgroup_id = sock_cgroup(sk) };
	struct tcp_event *e;

	e = bpfpin_event_reserve_as(&events, sizeof(*e), type,
				    c && c->owned ? &c->owner : &unknown);
	if (!e)
		return NULL;
	__builtin_memset((char *)e + sizeof(e->hdr), 0, sizeof(*e) - sizeof(e->hdr));
	read_tuple(sk, e);
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	return e;
}

static __always_inline void on_established(const struct sock *sk, int old)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key), fresh = {};
	struct tcp_event *e, t;

	if (old == TCP_SYN_RECV) {
		fresh.open = OPEN_ACCEPT;
		fresh.start_ns = bpf_ktime_get_boot_ns();
		if (bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY)) {
			bpfpin_drop(DROP_MAP_FULL);
			return;
		}
		c = bpf_map_lookup_elem(&conns, &key);
	}
	if (!c)
		return;	/* a connect begun before the module loaded */
	c->acked0 = BPF_CORE_READ(tp, bytes_acked);
	c->received0 = BPF_CORE_READ(tp, bytes_received);
	read_tuple(sk, &t);
	__builtin_memcpy(c->laddr, t.laddr, 16);
	__builtin_memcpy(c->raddr, t.raddr, 16);
	c->lport = t.lport;
	c->rport = t.rport;
	if (c->open == OPEN_ACCEPT) {
		/* the event comes when accept() returns it to its owner */
		COUNT(&t, accepts, 1);
		return;
	}
	COUNT(&t, connects, 1);
	e = event_for(sk, c, TCP_EV_CONNECT);
	if (e)
		bpfpin_event_submit(&events, e);
}

static __always_inline void on_close(const struct sock *sk, int old)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 key = (__u64)sk, sent, received, flags;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	struct tcp_event *e, t;
	int err;

	if (!c)
		return;
	read_tuple(sk, &t);
	if (old == TCP_SYN_SENT) {
		/* refused (reset counted) or given up by its owner: no timeout */
		err = BPF_CORE_READ(sk, sk_err);
		if (!c->reset && err) {
			COUNT(&t, syn_timeouts, 1);
			e = event_for(sk, c, TCP_EV_SYN_TIMEOUT);
			if (e) {
				e->duration_ns = bpf_ktime_get_boot_ns() - c->start_ns;
				e->error = err;
				bpfpin_event_submit(&events, e);
			}
		}
		bpf_map_delete_elem(&conns, &key);
		return;
	}
	/* payload only: the SYN is in acked0, a FIN acked or received is one */
	sent = BPF_CORE_READ(tp, bytes_acked) - c->acked0;
	if ((old == TCP_FIN_WAIT1 || old == TCP_FIN_WAIT2 || old == TCP_CLOSING ||
	     old == TCP_LAST_ACK) &&
	    BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq) && sent)
		sent--;
	received = BPF_CORE_READ(tp, bytes_received) - c->received0;
	flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	if ((flags & (1ull << SOCK_DONE)) && received)
		received--;
	COUNT(c, closes, 1);
	COUNT(c, bytes_sent, sent);
	COUNT(c, bytes_received, received);
	e = event_for(sk, c, TCP_EV_CLOSE);
	if (e) {
		__builtin_memcpy(e->laddr, c->laddr, 16);
		__builtin_memcpy(e->raddr, c->raddr, 16);
		e->lport = c->lport;
		e->rport = c->rport;
		e->state = old;
		e->duration_ns = bpf_ktime_get_boot_ns() - c->start_ns;
		e->bytes_sent = sent;
		e->bytes_received = received;
		e->segs_out = BPF_CORE_READ(tp, segs_out);
		e->segs_in = BPF_CORE_READ(tp, segs_in);
		e->retransmits = BPF_CORE_READ(tp, total_retrans);
		bpfpin_event_submit(&events, e);
	}
	bpf_map_delete_elem(&conns, &key);
}

static __always_inline int on_state(const struct sock *sk, int old, int new)
{
	struct conn fresh = { .open = OPEN_CONNECT, .owned = 1 };
	__u64 key = (__u64)sk;

	if (!is_tcp(sk))
		return 0;
	switch (new) {
	case TCP_SYN_SENT:
		/* connect(), in its caller's context: the owner is current */
		fresh.start_ns = bpf_ktime_get_boot_ns();
		bpfpin_owner_current(&fresh.owner);
		if (bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY))
			bpfpin_drop(DROP_MAP_FULL);
		break;
	case TCP_ESTABLISHED:
		if (old == TCP_SYN_SENT || old == TCP_SYN_RECV)
			on_established(sk, old);
		break;
	case TCP_CLOSE:
		on_close(sk, old);
		break;
	}
	return 0;
}

BPFPIN_HOOK(inet_sock_set_state, set_state, 0,
	    const struct sock *sk COMMA int old COMMA int new,
	    on_state(sk, old, new))

/* accept() returned fd: its socket is now owned by the current task. */
static __always_inline int on_accept(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file = NULL;
	struct socket *sock;
	struct sock *sk;
	struct tcp_event *e;
	struct conn *c;
	__u64 key;

	if (fd < 0)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xffffff]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	key = (__u64)sk;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->open != OPEN_ACCEPT || c->owned)
		return 0;
	bpfpin_owner_current(&c->owner);
	c->owned = 1;
	e = event_for(sk, c, TCP_EV_ACCEPT);
	if (e)
		bpfpin_event_submit(&events, e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return bpfpin_active(1) ? on_accept(ctx->ret) : 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return bpfpin_active(2) ? on_accept(ctx->ret) : 0;
}

/* 6.10+ reports failed attempts too: only those sent count (total_retrans) */
static __always_inline int on_retransmit(const struct sock *sk, int err)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	struct tcp_event *e, t;

	if (err || !is_tcp(sk))
		return 0;
	read_tuple(sk, &t);
	COUNT(&t, retransmits, 1);
	e = event_for(sk, c, TCP_EV_RETRANSMIT);
	if (e)
		bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(tcp_retransmit_skb, retransmit, 3,
	    const struct sock *sk COMMA const struct sk_buff *skb COMMA int err,
	    on_retransmit(sk, err))

/*
 * A reset answering a packet no socket wanted (a closed port) has no
 * socket: its addresses come from the packet, swapped, under cgroup 0.
 */
static __always_inline void tuple_from_skb(const struct sk_buff *skb,
					   struct tcp_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	struct tcphdr tcp = {};
	__u8 version = 0;

	bpf_probe_read_kernel(&version, 1, head + nh);
	if ((version >> 4) == 4) {
		struct iphdr ip = {};

		bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
		e->laddr[10] = e->laddr[11] = e->raddr[10] = e->raddr[11] = 0xff;
		__builtin_memcpy(&e->laddr[12], &ip.daddr, 4);
		__builtin_memcpy(&e->raddr[12], &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6 = {};

		bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh);
		__builtin_memcpy(e->laddr, &ip6.daddr, 16);
		__builtin_memcpy(e->raddr, &ip6.saddr, 16);
	}
	bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th);
	e->lport = bpf_ntohs(tcp.dest);
	e->rport = bpf_ntohs(tcp.source);
}

static __always_inline int on_send_reset(const struct sock *sk,
					 const struct sk_buff *skb)
{
	__u64 key = (__u64)sk;
	struct conn *c = sk ? bpf_map_lookup_elem(&conns, &key) : NULL;
	struct tcp_event *e, t = {};

	if (sk && !is_tcp(sk))
		return 0;
	if (sk) {
		read_tuple(sk, &t);
		count(sock_cgroup(sk), t.raddr, t.rport,
		      offsetof(struct tcp_stats, resets_sent), 1);
		e = event_for(sk, c, TCP_EV_RESET);
	} else {
		if (!skb)
			return 0;
		tuple_from_skb(skb, &t);
		count(0, t.raddr, t.rport, offsetof(struct tcp_stats, resets_sent), 1);
		/* sent by the kernel for no socket: nobody's */
		e = bpfpin_event_reserve_as(&events, sizeof(*e), TCP_EV_RESET,
					    &nobody);
		if (e) {
			__builtin_memcpy((char *)e + sizeof(e->hdr),
					 (char *)&t + sizeof(t.hdr),
					 sizeof(t) - sizeof(t.hdr));
			e->state = TCP_CLOSE;
		}
	}
	if (e) {
		e->direction = 0;
		bpfpin_event_submit(&events, e);
	}
	return 0;
}

BPFPIN_HOOK(tcp_send_reset, send_reset, 4,
	    const struct sock *sk COMMA const struct sk_buff *skb,
	    on_send_reset(sk, skb))

static __always_inline int on_receive_reset(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	struct tcp_event *e, t;

	if (!is_tcp(sk))
		return 0;
	if (c)
		c->reset = 1;
	read_tuple(sk, &t);
	COUNT(&t, resets_received, 1);
	e = event_for(sk, c, TCP_EV_RESET);
	if (e) {
		e->direction = 1;
		bpfpin_event_submit(&events, e);
	}
	return 0;
}

BPFPIN_HOOK(tcp_receive_reset, receive_reset, 5, struct sock *sk,
	    on_receive_reset(sk))

/* Every segment received on an established socket: sample its srtt. */
static __always_inline int on_probe(struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	struct tcp_stats *c, *r;
	struct tcp_event t;

	if (!srtt_us)
		return 0;
	read_tuple(sk, &t);
	stats_for(sock_cgroup(sk), t.raddr, t.rport, &c, &r);
	if (c)
		bpfpin_hist_add(&c->rtt, srtt_us);
	if (r)
		bpfpin_hist_add(&r->rtt, srtt_us);
	return 0;
}

BPFPIN_HOOK(tcp_probe, probe, 6, struct sock *sk COMMA struct sk_buff *skb,
	    on_probe(sk))
