// SPDX-License-Identifier: GPL-2.0
/* tcp.bpf.c: TCP lifecycle from inet_sock_set_state, owners from accept(), health tracepoints */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "tcp.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6
#define SOCK_BINDPORT_LOCK	4	/* sk_userlocks: a port bound explicitly */

BPFPIN_STATS_MAP(cgroups, struct tcp_cgroup_key, struct tcp_stats, TCP_CGROUP_ENTRIES);
BPFPIN_STATS_LRU(remotes, struct tcp_remote_key, struct tcp_stats, TCP_REMOTE_ENTRIES);
BPFPIN_EVENTS_RING(TCP_RING_BYTES);

enum { OPEN_CONNECT = 1, OPEN_ACCEPT };

/* Both ends of a connection: laddr..rport of struct tcp_event, in order. */
struct ends {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
};

_Static_assert(__builtin_offsetof(struct tcp_event, rport) + 2 -
	       __builtin_offsetof(struct tcp_event, laddr) == sizeof(struct ends),
	       "struct ends mirrors tcp_event's addresses and ports");

/* What is known of a followed socket, from its first state change on. */
struct conn {
	__u64 start_ns;
	__u64 acked0;		/* bytes_acked at ESTABLISHED: the SYN */
	__u64 received0;
	__u64 sent_live;	/* payload already counted in the stats while */
	__u64 received_live;	/* the connection lived (at tcp_probe) */
	struct bpfpin_owner owner;
	struct ends ends;	/* as established: by close, the local port
				 * may be released already */
	__u8 open;		/* OPEN_CONNECT or OPEN_ACCEPT */
	__u8 owned;		/* owner known */
	__u8 reset;		/* a reset was received */
	__u8 existing;		/* seeded at up/reload: open before */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_SOCKS_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);	/* struct sock * */
	__type(value, struct conn);
} conns SEC(".maps");

/*
 * The entries the last CLOSEs removed, per CPU: a close can send a reset
 * right after it (SO_LINGER 0, unread data), when the entry is gone and
 * the local port may be released already. Several: over loopback the
 * reset is received, and the peer closed, before the sender's tracepoint
 * fires.
 */
#define CLOSED_KEPT	4

struct closed {
	__u32 next;
	__u32 pad;
	struct {
		__u64 sk;
		struct conn c;
	} e[CLOSED_KEPT];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct closed);
} closed SEC(".maps");

static const struct tcp_stats zero_stats;

/*
 * Field @f of the kernel object @p. A tp_btf program (@btf) loads it in
 * place: its arguments are typed pointers the verifier lets it read
 * through, a load each. A raw_tp or tracepoint program has only an
 * address: one bpf_probe_read_kernel call each (~12 ns, a quarter of
 * this module's time per connection when every program did that). @btf is
 * a constant in each program: the other branch is compiled out.
 */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/* @sk as a tcp_sock: checked in a tp_btf program, NULL if it is not one */
static __always_inline const struct tcp_sock *tcp_of(const struct sock *sk,
						     bool btf)
{
	if (btf)
		return bpf_skc_to_tcp_sock((void *)sk);
	return (const struct tcp_sock *)sk;
}

static __always_inline bool is_tcp(const struct sock *sk, bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) &&
	       RD(btf, sk, sk_protocol) == IPPROTO_TCP;
}

/* The remote end of a socket, IPv4 as IPv4-mapped. */
static __always_inline void read_remote(const struct sock *sk, bool btf,
					bool v4, __u8 *raddr, __u16 *rport)
{
	if (v4) {
		__u32 r = RD(btf, sk, __sk_common.skc_daddr);

		__builtin_memset(raddr, 0, 10);
		raddr[10] = raddr[11] = 0xff;
		__builtin_memcpy(&raddr[12], &r, 4);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)raddr, sk, __sk_common.skc_v6_daddr);
	}
	*rport = bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
}

/* Both ends of a socket. */
static __always_inline void read_ends(const struct sock *sk, bool btf,
				      struct ends *t)
{
	bool v4 = RD(btf, sk, __sk_common.skc_family) == AF_INET;

	read_remote(sk, btf, v4, t->raddr, &t->rport);
	if (v4) {
		__u32 l = RD(btf, sk, __sk_common.skc_rcv_saddr);

		__builtin_memset(t->laddr, 0, 10);
		t->laddr[10] = t->laddr[11] = 0xff;
		__builtin_memcpy(&t->laddr[12], &l, 4);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)t->laddr, sk,
				   __sk_common.skc_v6_rcv_saddr);
	}
	t->lport = RD(btf, sk, __sk_common.skc_num);
}

static __always_inline __u64 sock_cgroup(const struct sock *sk, bool btf)
{
	if (btf)
		return sk->sk_cgrp_data.cgroup->kn->id;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

BPFPIN_ENDPOINT_KEY_ASSERT(struct tcp_remote_key, raddr, port, direction);

/*
 * Which way a socket was opened: known for a followed one; for one not
 * followed (opened before the module loaded, or past its CLOSE), a local
 * port bound explicitly is a service's (a listener's, which what it
 * accepts inherits), anything else a connect.
 */
static __always_inline __u32 direction_of(const struct conn *c,
					  const struct sock *sk, bool btf)
{
	if (c)
		return c->open == OPEN_ACCEPT ? TCP_DIR_ACCEPT : TCP_DIR_CONNECT;
	/* a 4-bit bitfield in 6.1, a byte in newer kernels: read as a bitfield,
	 * which CO-RE relocates either way */
	__u32 locks = btf ? BPF_CORE_READ_BITFIELD(sk, sk_userlocks) :
			    BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks);

	return locks & SOCK_BINDPORT_LOCK ? TCP_DIR_ACCEPT : TCP_DIR_CONNECT;
}

/*
 * The cgroup's and the remote endpoint's stats, either may be NULL. The
 * endpoint is the service's side: for an accepted connection the local
 * port, not the client's ephemeral one (a key per client port would be a
 * new LRU key, and an eviction, per connection, and of no use to anyone).
 */
static __always_inline void stats_for(__u64 cgroup_id, const struct ends *t,
				      __u32 dir, struct tcp_stats **c,
				      struct tcp_stats **r)
{
	__u16 port = dir == TCP_DIR_ACCEPT ? t->lport : t->rport;

	BPFPIN_STATS_FOR(cgroups, remotes, cgroup_id, t->raddr, port, dir,
			 &zero_stats, c, r);
}

/* One counter of both maps += 1 (@field of struct tcp_stats). */
#define COUNT1(cgroup_id, t, dir, field) do {				\
		struct tcp_stats *c_, *r_;					\
									\
		stats_for(cgroup_id, t, dir, &c_, &r_);			\
		bpfpin_add2(c_, r_, offsetof(struct tcp_stats, field), 1);	\
	} while (0)

/*
 * An event with the ends @t, as its owner would see it. An owner not
 * known (not yet accepted, or opened before the module loaded) is pid 0 in
 * @cgroup_id: these hooks often run in softirq, where the current task is
 * whoever was interrupted.
 */
static __always_inline struct tcp_event *event_for(const struct conn *c,
						   __u64 cgroup_id, __u16 type,
						   const struct ends *t,
						   __u8 state)
{
	struct bpfpin_owner unknown = { .cgroup_id = cgroup_id };
	struct tcp_event *e;

	e = bpfpin_event_reserve_as(&events, sizeof(*e), type,
				    c && c->owned ? &c->owner : &unknown);
	if (!e)
		return NULL;
	__builtin_memset((char *)e + sizeof(e->hdr), 0, sizeof(*e) - sizeof(e->hdr));
	__builtin_memcpy(e->laddr, t, sizeof(*t));
	e->state = state;
	e->existing = c ? c->existing : 0;
	return e;
}

static __always_inline __u8 sock_state(const struct sock *sk, bool btf)
{
	return RD(btf, sk, __sk_common.skc_state);
}

static __always_inline void on_established(const struct sock *sk, bool btf,
					   int old)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	__u64 key = (__u64)sk, cgroup_id = sock_cgroup(sk, btf);
	struct conn *c, fresh = {};
	struct tcp_event *e;

	if (!tp)
		return;

	if (old == TCP_SYN_RECV) {
		/* accepted: a new entry, whole; the event comes when accept()
		 * returns it to its owner */
		fresh.open = OPEN_ACCEPT;
		fresh.start_ns = bpf_ktime_get_boot_ns();
		fresh.acked0 = RD(btf, tp, bytes_acked);
		fresh.received0 = RD(btf, tp, bytes_received);
		read_ends(sk, btf, &fresh.ends);
		if (bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY)) {
			bpfpin_drop(DROP_MAP_FULL);
			return;
		}
		COUNT1(cgroup_id, &fresh.ends, TCP_DIR_ACCEPT, accepts);
		return;
	}
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return;	/* a connect begun before the module loaded */
	c->acked0 = RD(btf, tp, bytes_acked);
	c->received0 = RD(btf, tp, bytes_received);
	read_ends(sk, btf, &c->ends);
	COUNT1(cgroup_id, &c->ends, TCP_DIR_CONNECT, connects);
	e = event_for(c, cgroup_id, TCP_EV_CONNECT, &c->ends, TCP_ESTABLISHED);
	if (e)
		bpfpin_event_submit(&events, e);
}

/* A connect that never got through: no ends were kept, read them now. */
static __always_inline void on_connect_failed(const struct sock *sk, bool btf,
					      struct conn *c)
{
	__u64 cgroup_id;
	struct tcp_event *e;
	struct ends t;
	int err;

	/* refused (reset counted) or given up by its owner: no timeout */
	err = RD(btf, sk, sk_err);
	if (c->reset || !err)
		return;
	cgroup_id = sock_cgroup(sk, btf);
	read_ends(sk, btf, &t);
	COUNT1(cgroup_id, &t, TCP_DIR_CONNECT, syn_timeouts);
	e = event_for(c, cgroup_id, TCP_EV_SYN_TIMEOUT, &t, TCP_CLOSE);
	if (e) {
		e->duration_ns = e->hdr.ts_ns - c->start_ns;	/* one clock read */
		e->error = err;
		bpfpin_event_submit(&events, e);
	}
}

static __always_inline void on_close(const struct sock *sk, bool btf, int old)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	__u64 key = (__u64)sk, sent, received, flags, cgroup_id;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	struct tcp_stats *cs, *rs;
	struct tcp_event *e;
	struct closed *k;
	__u32 zero = 0;

	if (!c)
		return;
	if (old == TCP_SYN_SENT) {
		on_connect_failed(sk, btf, c);
		bpf_map_delete_elem(&conns, &key);
		return;
	}
	if (!tp) {
		bpf_map_delete_elem(&conns, &key);
		return;
	}
	/* payload only: the SYN is in acked0, a FIN acked or received is one */
	sent = RD(btf, tp, bytes_acked) - c->acked0;
	if ((old == TCP_FIN_WAIT1 || old == TCP_FIN_WAIT2 || old == TCP_CLOSING ||
	     old == TCP_LAST_ACK) &&
	    RD(btf, tp, snd_una) == RD(btf, tp, write_seq) && sent)
		sent--;
	received = RD(btf, tp, bytes_received) - c->received0;
	flags = RD(btf, sk, __sk_common.skc_flags);
	if ((flags & (1ull << SOCK_DONE)) && received)
		received--;
	cgroup_id = sock_cgroup(sk, btf);
	stats_for(cgroup_id, &c->ends, direction_of(c, sk, btf), &cs, &rs);
	bpfpin_add2(cs, rs, offsetof(struct tcp_stats, closes), 1);
	/* the rest of what tcp_probe counted while it lived */
	bpfpin_add2(cs, rs, offsetof(struct tcp_stats, bytes_sent),
		    sent > c->sent_live ? sent - c->sent_live : 0);
	bpfpin_add2(cs, rs, offsetof(struct tcp_stats, bytes_received),
		    received > c->received_live ? received - c->received_live : 0);
	e = event_for(c, cgroup_id, TCP_EV_CLOSE, &c->ends, old);
	if (e) {
		e->duration_ns = e->hdr.ts_ns - c->start_ns;	/* one clock read */
		e->bytes_sent = sent;
		e->bytes_received = received;
		e->segs_out = RD(btf, tp, segs_out);
		e->segs_in = RD(btf, tp, segs_in);
		e->retransmits = RD(btf, tp, total_retrans);
		bpfpin_event_submit(&events, e);
	}
	k = bpf_map_lookup_elem(&closed, &zero);
	if (k) {
		__u32 i = k->next++ % CLOSED_KEPT;

		k->e[i].sk = key;
		__builtin_memcpy(&k->e[i].c, c, sizeof(*c));
	}
	bpf_map_delete_elem(&conns, &key);
}

/* The entry of @key if a CLOSE on this CPU just removed it, once. */
static __always_inline struct conn *just_closed(__u64 key)
{
	__u32 zero = 0, i;
	struct closed *k = bpf_map_lookup_elem(&closed, &zero);

	if (!k)
		return NULL;
	for (i = 0; i < CLOSED_KEPT; i++) {
		if (k->e[i].sk == key) {
			k->e[i].sk = 0;
			return &k->e[i].c;
		}
	}
	return NULL;
}

static __always_inline int on_state(const struct sock *sk, bool btf, int old,
				    int new)
{
	struct conn fresh = { .open = OPEN_CONNECT, .owned = 1 };
	__u64 key = (__u64)sk;

	if (!is_tcp(sk, btf) || !bpfpin_wanted_sock(sk))
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
			on_established(sk, btf, old);
		break;
	case TCP_CLOSE:
		on_close(sk, btf, old);
		break;
	}
	return 0;
}

BPFPIN_HOOK(inet_sock_set_state, set_state, TCP_HOOK_SET_STATE,
	    const struct sock *sk COMMA int old COMMA int new,
	    on_state(sk, bpfpin_btf, old, new))

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
	/* the current task is a typed pointer: loads, not probe reads */
	fds = task->files->fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xffffff]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	key = (__u64)sk;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->open != OPEN_ACCEPT || c->owned || !bpfpin_wanted_sock(sk))
		return 0;
	bpfpin_owner_current(&c->owner);
	c->owned = 1;
	e = event_for(c, 0, TCP_EV_ACCEPT, &c->ends, sock_state(sk, false));
	if (e)
		bpfpin_event_submit(&events, e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return bpfpin_active(TCP_HOOK_ACCEPT4) ? on_accept(ctx->ret) : 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return bpfpin_active(TCP_HOOK_ACCEPT) ? on_accept(ctx->ret) : 0;
}

/* 6.10+ reports failed attempts too: only those sent count (total_retrans) */
static __always_inline int on_retransmit(const struct sock *sk, bool btf,
					 int err)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	__u64 cgroup_id;
	struct tcp_event *e;
	struct ends t;

	if (err || !is_tcp(sk, btf) || !bpfpin_wanted_sock(sk))
		return 0;
	cgroup_id = sock_cgroup(sk, btf);
	read_ends(sk, btf, &t);
	COUNT1(cgroup_id, &t, direction_of(c, sk, btf), retransmits);
	e = event_for(c, cgroup_id, TCP_EV_RETRANSMIT, &t, sock_state(sk, btf));
	if (e)
		bpfpin_event_submit(&events, e);
	return 0;
}

/*
 * tcp_retransmit_skb gained `err` in 6.10 (the loader sets how many
 * arguments it has here); before it, a failed attempt is not told apart
 * and every attempt counts. Read through the raw context so one object
 * loads on both: the branch the constant rules out is never verified.
 */
const volatile __u32 cfg_nargs_tcp_retransmit_skb = 3;

static __always_inline int on_retransmit_ctx(unsigned long long *ctx, bool btf)
{
	int err = 0;

	if (!bpfpin_active(TCP_HOOK_RETRANSMIT))
		return 0;
	if (cfg_nargs_tcp_retransmit_skb >= 3)
		err = (int)ctx[2];
	return on_retransmit((const struct sock *)ctx[0], btf, err);
}

SEC("tp_btf/tcp_retransmit_skb")
int retransmit_btf(unsigned long long *ctx)
{
	return on_retransmit_ctx(ctx, true);
}

SEC("raw_tp/tcp_retransmit_skb")
int retransmit_raw(unsigned long long *ctx)
{
	return on_retransmit_ctx(ctx, false);
}

/*
 * A reset answering a packet no socket wanted (a closed port) has no
 * socket: its addresses come from the packet, swapped, under cgroup 0.
 */
static __always_inline void ends_from_skb(const struct sk_buff *skb,
					  struct ends *e)
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

static __always_inline int on_send_reset(const struct sock *sk, bool btf,
					 const struct sk_buff *skb)
{
	__u64 key = (__u64)sk, cgroup_id = 0;
	struct conn *c = NULL;
	struct tcp_event *e;
	struct ends t = {};
	__u8 state = TCP_CLOSE;
	__u32 dir;

	if (sk) {
		if (!is_tcp(sk, btf) || !bpfpin_wanted_sock(sk))
			return 0;
		c = bpf_map_lookup_elem(&conns, &key);
		cgroup_id = sock_cgroup(sk, btf);
		state = sock_state(sk, btf);
		if (!c)
			c = just_closed(key);
		/* closed: the ends as established, the local port is gone */
		if (c && state == TCP_CLOSE)
			__builtin_memcpy(&t, &c->ends, sizeof(t));
		else
			read_ends(sk, btf, &t);
		dir = direction_of(c, sk, btf);
	} else if (skb) {
		/* sent by the kernel for no socket: cgroup 0, nobody's; the
		 * packet came to a local port, as to a service */
		if (!bpfpin_wanted_nobody())
			return 0;
		ends_from_skb(skb, &t);
		dir = TCP_DIR_ACCEPT;
	} else {
		return 0;
	}
	COUNT1(cgroup_id, &t, dir, resets_sent);
	e = event_for(c, cgroup_id, TCP_EV_RESET, &t, state);
	if (e)
		bpfpin_event_submit(&events, e);	/* direction 0: sent */
	return 0;
}

BPFPIN_HOOK(tcp_send_reset, send_reset, TCP_HOOK_SEND_RESET,
	    const struct sock *sk COMMA const struct sk_buff *skb,
	    on_send_reset(sk, bpfpin_btf, skb))

/*
 * Before 6.10 the tracepoint fires only for a full socket; the loader
 * attaches these there alone (unless_tp_args), for the resets the kernel
 * sends for no socket. Those of a time-wait or request socket stay unseen.
 */
BPFPIN_FUNC_HOOK(tcp_v4_send_reset, reset4, TCP_HOOK_RESET_V4,
		 const struct sock *sk COMMA struct sk_buff *skb,
		 !sk ? on_send_reset(NULL, false, skb) : 0)
BPFPIN_FUNC_HOOK(tcp_v6_send_reset, reset6, TCP_HOOK_RESET_V6,
		 const struct sock *sk COMMA struct sk_buff *skb,
		 !sk ? on_send_reset(NULL, false, skb) : 0)

static __always_inline int on_receive_reset(struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	__u64 cgroup_id;
	struct tcp_event *e;
	struct ends t;

	if (!is_tcp(sk, btf) || !bpfpin_wanted_sock(sk))
		return 0;
	if (c)
		c->reset = 1;
	cgroup_id = sock_cgroup(sk, btf);
	read_ends(sk, btf, &t);
	COUNT1(cgroup_id, &t, direction_of(c, sk, btf), resets_received);
	e = event_for(c, cgroup_id, TCP_EV_RESET, &t, sock_state(sk, btf));
	if (e) {
		e->direction = 1;
		bpfpin_event_submit(&events, e);
	}
	return 0;
}

BPFPIN_HOOK(tcp_receive_reset, receive_reset, TCP_HOOK_RECEIVE_RESET,
	    struct sock *sk, on_receive_reset(sk, bpfpin_btf))

/*
 * Live bytes: the payload a followed connection has moved so far, added to
 * the stats as it grows, so a long connection is seen before it closes.
 * tcp_probe fires at the top of tcp_rcv_established(), before the segment
 * is processed, so the segment's own part is read from its header: what
 * its ACK newly acknowledges (ack_seq - snd_una, within what was sent) and
 * its payload when it is the next in order (seq == rcv_nxt). Only in
 * ESTABLISHED, where neither FIN is in the counts (a FIN arrives as a flag,
 * not payload, and moves the socket out of ESTABLISHED). What this misses
 * (out-of-order data, the last ACKs) the close adds, exactly.
 */
static __always_inline void live_bytes(struct conn *cn, const struct sock *sk,
				       const struct tcp_sock *tp,
				       const struct sk_buff *skb, bool btf,
				       struct tcp_stats *c, struct tcp_stats *r)
{
	const unsigned char *data = RD(btf, skb, data);
	__u32 len = RD(btf, skb, len), ack, seq, una, hdr;
	__u64 sent, received;
	struct tcphdr th;

	if (bpf_probe_read_kernel(&th, sizeof(th), data))
		return;
	sent = RD(btf, tp, bytes_acked) - cn->acked0;
	received = RD(btf, tp, bytes_received) - cn->received0;
	ack = bpf_ntohl(th.ack_seq);
	una = RD(btf, tp, snd_una);
	if (th.ack && (__s32)(ack - una) > 0 &&
	    (__s32)(ack - RD(btf, tp, snd_nxt)) <= 0)
		sent += ack - una;
	seq = bpf_ntohl(th.seq);
	hdr = th.doff * 4;
	if (len > hdr && seq == RD(btf, tp, rcv_nxt))
		received += len - hdr;
	if (sent > cn->sent_live) {
		bpfpin_add2(c, r, offsetof(struct tcp_stats, bytes_sent),
			    sent - cn->sent_live);
		cn->sent_live = sent;
	}
	if (received > cn->received_live) {
		bpfpin_add2(c, r, offsetof(struct tcp_stats, bytes_received),
			    received - cn->received_live);
		cn->received_live = received;
	}
}

/*
 * Every segment received on an established socket: sample its srtt, and
 * count the bytes a followed connection moved since the last one.
 */
static __always_inline int on_probe(struct sock *sk, const struct sk_buff *skb,
				    bool btf)
{
	const struct tcp_sock *tp = tcp_of(sk, btf);
	__u64 key = (__u64)sk;
	struct tcp_stats *c, *r;
	struct conn *cn;
	__u32 srtt, srtt_us;
	struct ends t;

	if (!tp || !bpfpin_wanted_sock(sk))
		return 0;
	/* srtt_us holds eighths of a microsecond: 125 ns each */
	srtt = RD(btf, tp, srtt_us);
	srtt_us = srtt >> 3;
	cn = bpf_map_lookup_elem(&conns, &key);
	if (!srtt_us && !cn)
		return 0;
	/* per segment: only what the keys need */
	read_remote(sk, btf, RD(btf, sk, __sk_common.skc_family) == AF_INET,
		    t.raddr, &t.rport);
	t.lport = RD(btf, sk, __sk_common.skc_num);
	stats_for(sock_cgroup(sk, btf), &t, direction_of(cn, sk, btf), &c, &r);
	if (srtt_us) {
		if (c)
			bpfpin_hist_add_ns(&c->rtt, (__u64)srtt * 125);
		if (r)
			bpfpin_hist_add_ns(&r->rtt, (__u64)srtt * 125);
	}
	if (cn && sock_state(sk, btf) == TCP_ESTABLISHED)
		live_bytes(cn, sk, tp, skb, btf, c, r);
	return 0;
}

BPFPIN_HOOK(tcp_probe, probe, TCP_HOOK_PROBE,
	    struct sock *sk COMMA struct sk_buff *skb, on_probe(sk, skb, bpfpin_btf))

/*
 * Seeding, run once by the loader after the gate opens at up and reload
 * (the module's seed_programs): every TCP socket of the loader's network
 * namespace that is connected or connecting and not followed yet gets an
 * entry, as if seen from its last state change, with its byte counts as
 * they are now: payload is counted from here on. The iterator holds each
 * socket's lock while it runs, so a close either came before (the socket
 * is skipped) or comes after (and finds the entry).
 */
SEC("iter/tcp")
int seed_socks(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct conn fresh = { .existing = 1 };
	const struct tcp_sock *tp;
	const struct sock *sk;
	__u64 key, cgroup_id;
	struct tcp_stats *c, *r;
	__u8 state;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;	/* listeners and time-wait/request socks are not */
	sk = (const struct sock *)tp;
	state = sk->__sk_common.skc_state;
	if (state == TCP_CLOSE || state == TCP_LISTEN || state == TCP_SYN_RECV ||
	    state == TCP_NEW_SYN_RECV || state == TCP_TIME_WAIT ||
	    !is_tcp(sk, true) || !bpfpin_wanted_sock(sk))
		return 0;
	key = (__u64)sk;
	fresh.start_ns = bpf_ktime_get_boot_ns();
	fresh.open = direction_of(NULL, sk, true) == TCP_DIR_ACCEPT ?
		     OPEN_ACCEPT : OPEN_CONNECT;
	read_ends(sk, true, &fresh.ends);
	if (state != TCP_SYN_SENT) {
		/* a SYN_SENT one takes these when it is established */
		fresh.acked0 = tp->bytes_acked;
		fresh.received0 = tp->bytes_received;
	}
	/* a connection already followed (a reload) keeps its entry */
	if (bpf_map_update_elem(&conns, &key, &fresh, BPF_NOEXIST))
		return 0;
	cgroup_id = sock_cgroup(sk, true);
	stats_for(cgroup_id, &fresh.ends, direction_of(&fresh, sk, true), &c, &r);
	bpfpin_add2(c, r, offsetof(struct tcp_stats, existing), 1);
	return 0;
}

#define S_IFMT		00170000
#define S_IFSOCK	0140000

/*
 * The owners of the sockets seed_socks found: the first process whose fd
 * table holds one (a socket shared after fork names one of its holders).
 */
SEC("iter/task_file")
int seed_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct conn *c;
	__u64 key;

	if (!task || !file || (file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	key = (__u64)BPF_CORE_READ(sock, sk);
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || !c->existing || c->owned)
		return 0;
	c->owner.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	c->owner.pid = task->tgid;
	c->owner.tid = task->pid;
	bpf_probe_read_kernel(c->owner.comm, sizeof(c->owner.comm), task->comm);
	c->owned = 1;
	return 0;
}
