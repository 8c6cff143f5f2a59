// SPDX-License-Identifier: GPL-2.0
/* http.bpf.c: HTTP/1.x from TCP payload under cgroup_skb; requests paired with responses */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "http.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IPPROTO_TCP	6
#define IP_OFFSET_MASK	0x1fff
#define TCP_LISTEN_STATE	10
#define PEEK		16	/* "HTTP/1.1 200 " and every method fit */

BPFPIN_STATS_MAP(stats, struct http_key, struct http_stats, HTTP_STATS_ENTRIES);
BPFPIN_EVENTS_RING(HTTP_RING_BYTES);

enum { CONN_NEW, CONN_HTTP, CONN_DONE };

/*
 * One socket's HTTP state. Socket storage, not a hash of connections:
 * it lives and dies with the socket, so nothing is evicted and no close
 * has to be seen to free it. Each socket of a loopback connection has
 * its own: the client's sees the exchange as a client, the server's as a
 * server.
 */
struct conn {
	__u64 req_ns;		/* first byte of the request awaited; 0: none */
	__u64 req_bytes;	/* its payload so far */
	__u32 seq_next[2];	/* next sequence number expected: egress, ingress */
	__u8 seq_known[2];
	__u8 state;		/* CONN_* */
	__u8 side;		/* enum http_side */
	__u8 method;		/* of the request awaited or answered */
	__u8 status_class;	/* of the response flowing; 0: none */
	__u8 pad[6];
	struct bpfpin_owner owner;	/* see owner_note(); pid 0: not known */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct conn);
} conns SEC(".maps");

static const struct http_stats zero_stats;

/* One TCP segment as this socket sees it. */
struct seg {
	__u8 laddr[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u32 seq;
	__u32 off;		/* of the payload in the skb */
	__u32 len;		/* payload bytes */
};

static __always_inline void mapped4(__u8 *a, const __be32 *v4)
{
	__builtin_memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	__builtin_memcpy(&a[12], v4, 4);
}

/*
 * The segment's ends and payload; cgroup_skb data starts at the network
 * header. The headers are read in place when they are in the linear part
 * (nearly always: a helper call fewer each), else copied. Return: 0, or
 * -1 when it is no TCP segment we can read (IPv6 extension headers,
 * non-first fragments).
 */
static __always_inline int seg_parse(struct __sk_buff *skb, bool egress,
				     struct seg *s)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tcphdr tcp_copy, *tcp;
	__u32 off, total;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip_copy, *ip = data;

		if ((void *)(ip + 1) > data_end) {
			if (bpf_skb_load_bytes(skb, 0, &ip_copy, sizeof(ip_copy)))
				return -1;
			ip = &ip_copy;
		}
		if (ip->protocol != IPPROTO_TCP ||
		    (bpf_ntohs(ip->frag_off) & IP_OFFSET_MASK))
			return -1;
		mapped4(s->laddr, egress ? &ip->saddr : &ip->daddr);
		mapped4(s->raddr, egress ? &ip->daddr : &ip->saddr);
		off = (ip->ihl & 0xf) * 4;
		total = bpf_ntohs(ip->tot_len);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6_copy, *ip6 = data;

		if ((void *)(ip6 + 1) > data_end) {
			if (bpf_skb_load_bytes(skb, 0, &ip6_copy, sizeof(ip6_copy)))
				return -1;
			ip6 = &ip6_copy;
		}
		if (ip6->nexthdr != IPPROTO_TCP)
			return -1;
		__builtin_memcpy(s->laddr, egress ? &ip6->saddr : &ip6->daddr, 16);
		__builtin_memcpy(s->raddr, egress ? &ip6->daddr : &ip6->saddr, 16);
		off = sizeof(*ip6);
		total = off + bpf_ntohs(ip6->payload_len);
	} else {
		return -1;
	}
	tcp = data + off;
	if ((void *)(tcp + 1) > data_end) {
		if (bpf_skb_load_bytes(skb, off, &tcp_copy, sizeof(tcp_copy)))
			return -1;
		tcp = &tcp_copy;
	}
	s->lport = bpf_ntohs(egress ? tcp->source : tcp->dest);
	s->rport = bpf_ntohs(egress ? tcp->dest : tcp->source);
	s->seq = bpf_ntohl(tcp->seq);
	off += tcp->doff * 4;
	/* a GSO packet's IP length is not its size: the skb's is */
	if (total < off || skb->len > total)
		total = skb->len;
	s->off = off;
	s->len = total > off ? total - off : 0;
	return 0;
}

/*
 * A retransmission (all of it seen before) is skipped; else note the end.
 * Ingress runs before TCP checks the sequence number: a segment TCP will
 * drop, with nothing past what it has received (rcv_nxt) or starting
 * beyond its window, is skipped too, so that a peer, or anyone who knows
 * the ports, cannot have a request counted that the server never reads,
 * nor move seq_next ahead so that the real segments look old.
 */
static __always_inline bool seg_new(struct conn *c, const struct seg *s,
				    bool egress, struct bpf_sock *sk)
{
	__u32 i = egress ? 0 : 1;
	struct tcp_sock *tp;
	__s32 wnd;

	if (!egress) {
		tp = bpf_skc_to_tcp_sock(sk);
		if (tp) {
			wnd = (__s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
			if ((__s32)(s->seq + s->len - tp->rcv_nxt) <= 0 ||
			    (__s32)(s->seq - tp->rcv_nxt) > (wnd > 0 ? wnd : 0))
				return false;
		}
	}
	if (c->seq_known[i] && (__s32)(s->seq + s->len - c->seq_next[i]) <= 0)
		return false;
	c->seq_known[i] = 1;
	c->seq_next[i] = s->seq + s->len;
	return true;
}

#define W4(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)

/* The method a request starts with ("GET "), or HTTP_M_NONE. */
static __always_inline __u8 method_of(const __u8 *p)
{
	__u32 w = W4(p[0], p[1], p[2], p[3]);

	if (w == W4('G', 'E', 'T', ' '))
		return HTTP_M_GET;
	if (w == W4('P', 'U', 'T', ' '))
		return HTTP_M_PUT;
	if (w == W4('H', 'E', 'A', 'D') && p[4] == ' ')
		return HTTP_M_HEAD;
	if (w == W4('P', 'O', 'S', 'T') && p[4] == ' ')
		return HTTP_M_POST;
	if (w == W4('T', 'R', 'A', 'C') && p[4] == 'E' && p[5] == ' ')
		return HTTP_M_TRACE;
	if (w == W4('P', 'A', 'T', 'C') && p[4] == 'H' && p[5] == ' ')
		return HTTP_M_PATCH;
	if (w == W4('D', 'E', 'L', 'E') && p[4] == 'T' && p[5] == 'E' && p[6] == ' ')
		return HTTP_M_DELETE;
	if (w == W4('O', 'P', 'T', 'I') && p[4] == 'O' && p[5] == 'N' && p[6] == 'S' &&
	    p[7] == ' ')
		return HTTP_M_OPTIONS;
	if (w == W4('C', 'O', 'N', 'N') && p[4] == 'E' && p[5] == 'C' && p[6] == 'T' &&
	    p[7] == ' ')
		return HTTP_M_CONNECT;
	return HTTP_M_NONE;
}

static __always_inline bool is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

/* The status of a status line ("HTTP/1.1 404 "), or 0. */
static __always_inline __u16 status_of(const __u8 *p)
{
	if (W4(p[0], p[1], p[2], p[3]) != W4('H', 'T', 'T', 'P') ||
	    p[4] != '/' || p[5] != '1' || p[6] != '.' || p[8] != ' ' ||
	    !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) ||
	    p[9] < '1' || p[9] > '5')
		return 0;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* The row of @s's server, for this socket's side. */
static __always_inline struct http_stats *row(struct __sk_buff *skb,
					      const struct seg *s, __u8 side,
					      __u8 method, __u8 status_class)
{
	struct http_key k = {
		.cgroup_id = bpf_skb_cgroup_id(skb),
		.method = method,
		.status_class = status_class,
		.side = side,
	};

	if (side == HTTP_SIDE_CLIENT) {
		__builtin_memcpy(k.server, s->raddr, 16);
		k.server_port = s->rport;
	} else {
		__builtin_memcpy(k.server, s->laddr, 16);
		k.server_port = s->lport;
	}
	return bpfpin_stats_slot(&stats_slot, &k, &zero_stats);
}

#define ADD(skb, s, side, m, cl, field, n) do {				\
		struct http_stats *st_ = row(skb, s, side, m, cl);	\
									\
		if (st_)						\
			st_->field += (n);				\
	} while (0)

/*
 * The connection's owner, noted once: the task that sends its first
 * request (a client) or first response (a server). Egress runs in the
 * sender's context, except what softirq sends (a segment Nagle held, a
 * retransmission), where current is whoever was interrupted: a task in
 * another cgroup than the socket's is not taken, and the next exchange
 * tries again. Once per connection, not per exchange: the comm and ids
 * cost ~35 ns a segment.
 */
static __always_inline void owner_note(struct __sk_buff *skb, struct conn *c,
				       bool task)
{
	__u64 cg;

	if (c->owner.pid)
		return;
	cg = bpf_skb_cgroup_id(skb);
	if (task && bpf_get_current_cgroup_id() == cg)
		bpfpin_owner_current(&c->owner);
	else
		c->owner.cgroup_id = cg;
}

/*
 * Whether a socket listens on this socket's local address and port: then
 * this end is the server. Looked up as a segment from the peer's address
 * but port 0, which no established socket has, so that the listener is
 * what is found (the peer chooses its port, and could choose one below
 * ours: which end has the lower port is no guide against a hostile peer).
 */
static __always_inline bool listened_on(struct __sk_buff *skb, const struct seg *s)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 size;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__builtin_memcpy(&t.ipv4.saddr, &s->raddr[12], 4);
		__builtin_memcpy(&t.ipv4.daddr, &s->laddr[12], 4);
		t.ipv4.dport = bpf_htons(s->lport);
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, s->raddr, 16);
		__builtin_memcpy(t.ipv6.daddr, s->laddr, 16);
		t.ipv6.dport = bpf_htons(s->lport);
		size = sizeof(t.ipv6);
	}
	sk = bpf_sk_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	bpf_sk_release(sk);
	return true;
}

/* The first payload of a connection: is it HTTP/1.x? */
static __always_inline void on_first(struct __sk_buff *skb, struct conn *c,
				     const struct seg *s, const __u8 *p,
				     bool egress)
{
	__u8 side;

	/* an HTTP request: the end that sends it is the client */
	if (method_of(p)) {
		c->state = CONN_HTTP;
		c->side = egress ? HTTP_SIDE_CLIENT : HTTP_SIDE_SERVER;
		return;
	}
	/*
	 * Anything else is counted in the row of its server: the end with a
	 * listener on its port. The first speaker is no guide (SSH, SMTP and
	 * MySQL servers speak first), nor is the lower port (a peer picks
	 * its own): a row per service, never one per client port.
	 */
	side = listened_on(skb, s) ? HTTP_SIDE_SERVER : HTTP_SIDE_CLIENT;
	c->state = CONN_DONE;
	if (W4(p[0], p[1], p[2], p[3]) == W4('P', 'R', 'I', ' ') && p[4] == '*')
		ADD(skb, s, side, 0, 0, http2, 1);
	else if (p[0] == 0x16 && p[1] == 0x03)	/* handshake record, TLS 1.x */
		ADD(skb, s, side, 0, 0, tls, 1);
	else
		ADD(skb, s, side, 0, 0, unparsed, 1);
}

static __always_inline void on_request_seg(struct __sk_buff *skb,
					   struct conn *c, const struct seg *s,
					   const __u8 *p, bool egress, bool task)
{
	__u8 m = method_of(p);

	if (!m) {
		/*
		 * the same request, continued; once its final response has
		 * begun, the request is over: a body still sent (after an
		 * early 413) is an unparsed segment, as is junk
		 */
		if (c->req_ns)
			c->req_bytes += s->len;
		else
			ADD(skb, s, c->side, 0, 0, unparsed_segments, 1);
		return;
	}
	if (c->req_ns) {
		/* pipelined: timed only from the first byte of the first */
		ADD(skb, s, c->side, m, 0, pipelined, 1);
		c->req_bytes += s->len;
		return;
	}
	c->req_ns = bpf_ktime_get_ns();
	c->req_bytes = s->len;
	c->method = m;
	c->status_class = 0;
	if (egress)
		owner_note(skb, c, task);
}

static __always_inline void emit(const struct conn *c, const struct seg *s,
				 __u16 status, __u64 latency)
{
	struct http_event *e;
	bool client = c->side == HTTP_SIDE_CLIENT;

	e = bpfpin_event_reserve_as(&events, sizeof(*e),
				    status >= 400 ? HTTP_EV_ERROR : HTTP_EV_OK,
				    &c->owner);
	if (!e)
		return;
	__builtin_memcpy(e->server, client ? s->raddr : s->laddr, 16);
	__builtin_memcpy(e->client, client ? s->laddr : s->raddr, 16);
	e->server_port = client ? s->rport : s->lport;
	e->client_port = client ? s->lport : s->rport;
	e->status = status;
	e->method = c->method;
	e->side = c->side;
	e->latency_ns = latency;
	e->request_bytes = c->req_bytes;
	bpfpin_event_submit(&events, e);
}

static __always_inline void on_response_seg(struct __sk_buff *skb,
					    struct conn *c, const struct seg *s,
					    const __u8 *p, bool egress, bool task)
{
	__u16 status = status_of(p);
	__u8 cl = status / 100;
	struct http_stats *st;
	__u64 latency;

	if (!status) {
		if (c->status_class)	/* the response, continued */
			ADD(skb, s, c->side, c->method, c->status_class,
			    response_bytes, s->len);
		else
			ADD(skb, s, c->side, 0, 0, unparsed_segments, 1);
		return;
	}
	if (!c->req_ns) {
		ADD(skb, s, c->side, 0, cl, unmatched, 1);
		c->method = 0;
		c->status_class = cl;
		return;
	}
	latency = bpf_ktime_get_ns() - c->req_ns;
	st = row(skb, s, c->side, c->method, cl);
	if (st) {
		st->responses++;
		st->request_bytes += c->req_bytes;
		st->response_bytes += s->len;
		bpfpin_hist_add_ns(&st->latency, latency);
	}
	/* a client's owner was noted with its request */
	if (egress)
		owner_note(skb, c, task);
	emit(c, s, status, latency);
	c->status_class = cl;
	/* a 1xx other than 101 precedes the final response */
	if (cl != 1 || status == 101)
		c->req_ns = 0;
	if (status == 101 || (c->method == HTTP_M_CONNECT && cl == 2)) {
		if (st)
			st->upgraded++;
		c->state = CONN_DONE;
	}
}

/*
 * min(len, PEEK), at least 1 (a segment here has payload), in the register
 * the helper gets: clang otherwise tests a copy, and 6.1's verifier then
 * sees a length that may be zero ("invalid zero-sized read").
 */
static __always_inline __u32 peek_len(__u32 n)
{
	asm volatile("if %[n] <= %[max] goto +1;\n"
		     "%[n] = %[max];\n"
		     "if %[n] >= 1 goto +1;\n"
		     "%[n] = 1;\n"
		     : [n] "+r"(n) : [max] "i"(PEEK));
	return n;
}

static __always_inline void on_segment(struct __sk_buff *skb, bool egress,
				       bool task)
{
	struct bpf_sock *sk = skb->sk;
	__u8 p[PEEK] = {};
	struct conn *c;
	struct seg s;

	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_TCP || sk->state == TCP_LISTEN_STATE)
		return;
	if (seg_parse(skb, egress, &s) || !s.len || !bpfpin_wanted_skb(skb))
		return;
	c = bpf_sk_storage_get(&conns, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c) {
		bpfpin_drop(DROP_MAP_FULL);
		return;
	}
	if (c->state == CONN_DONE || !seg_new(c, &s, egress, sk))
		return;
	bpf_skb_load_bytes(skb, s.off, p, peek_len(s.len));
	if (c->state == CONN_NEW) {
		on_first(skb, c, &s, p, egress);
		if (c->state != CONN_HTTP)
			return;
	}
	if (egress == (c->side == HTTP_SIDE_CLIENT))
		on_request_seg(skb, c, &s, p, egress, task);
	else
		on_response_seg(skb, c, &s, p, egress, task);
}

/*
 * The _nt programs call no current-task helper, which older kernels do not
 * allow cgroup_skb programs (6.1 refuses bpf_get_current_cgroup_id): the
 * owner is then the socket's cgroup, pid 0 and no comm.
 */
BPFPIN_CGROUP_SKB(http, HTTP_HOOK_EGRESS, HTTP_HOOK_INGRESS, on_segment)
