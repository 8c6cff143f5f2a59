// SPDX-License-Identifier: GPL-2.0
/* dns.bpf.c: DNS over UDP from cgroup_skb; queries matched in the kernel, timeouts by bpf_timer */
#include "common.bpf.h"
#include "net.bpf.h"
#include "dns.h"

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_MONOTONIC	1
#define DNS_HEADER_LEN	12
#define DNS_QR		0x8000

const volatile __u32 cfg_timeout_ms = DNS_TIMEOUT_MS;

BPFPIN_STATS_MAP(cgroups, struct dns_cgroup_key, struct dns_stats, DNS_CGROUP_ENTRIES);
BPFPIN_STATS_LRU(servers, struct dns_server_key, struct dns_stats, DNS_SERVER_ENTRIES);
BPFPIN_EVENTS_RING(DNS_RING_BYTES);

/* A query is known by its socket, its server and its id. */
struct query_key {
	__u64 cookie;		/* the socket's */
	__u8 server[16];
	__u16 port;
	__u16 id;
	__u32 pad;
};

struct query_data {
	__u64 sent_ns;
	__u64 cgroup_id;	/* the socket's */
	struct bpfpin_owner owner;
	struct bpfpin_dns_capture msg;
};

struct query {
	struct query_data d;
	struct bpf_timer timer;	/* fires at the timeout */
};

/*
 * The same size without the timer: a per-CPU array cannot hold a timer,
 * and an update leaves the destination's timer alone anyway.
 */
struct query_scratch {
	struct query_data d;
	__u8 timer_space[sizeof(struct bpf_timer)];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_INFLIGHT_ENTRIES);
	__type(key, struct query_key);
	__type(value, struct query);
} inflight SEC(".maps");

/* big values are built here, not on the 512-byte stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct query_scratch);
} scratch SEC(".maps");

static const struct dns_stats zero_stats;

struct dns_header {
	__u16 id;
	__u16 flags;
	__u16 qdcount;
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;
};

BPFPIN_ENDPOINT_KEY_ASSERT(struct dns_server_key, addr, port, pad1);

/* The cgroup and server stats of one query, either may be NULL. */
#define stats_for(cgroup_id, server, port, c, s) \
	BPFPIN_STATS_FOR(cgroups, servers, cgroup_id, server, port, 0, \
			 &zero_stats, c, s)

static __always_inline void count(__u64 cgroup_id, const __u8 *server,
				  __u16 port, __u32 off)
{
	struct dns_stats *c, *s;

	stats_for(cgroup_id, server, port, &c, &s);
	bpfpin_add2(c, s, off, 1);
}

#define COUNT(cg, server, port, field) \
	count(cg, server, port, offsetof(struct dns_stats, field))

/* Copy the message's first bytes; @len is its whole length. */
static __always_inline void capture(struct __sk_buff *skb, __u32 off,
				    __u32 len, struct bpfpin_dns_capture *m)
{
	__u32 n = len < BPFPIN_DNS_CAPTURE ? len : BPFPIN_DNS_CAPTURE;

	m->len = len;
	/* a bounded, nonzero size for the verifier */
	if (n >= DNS_HEADER_LEN && n <= BPFPIN_DNS_CAPTURE)
		bpf_skb_load_bytes(skb, off, m->data, n);
}

static __always_inline struct dns_event *event(__u16 type,
					       const struct bpfpin_owner *o,
					       const struct query_key *k)
{
	struct dns_event *e;

	e = o ? bpfpin_event_reserve_as(&events, sizeof(*e), type, o) :
		bpfpin_event_reserve(&events, sizeof(*e), type);
	if (!e)
		return NULL;
	__builtin_memcpy(e->server, k->server, 16);
	e->server_port = k->port;
	e->id = k->id;
	e->rcode = 0;
	e->pad0 = 0;
	e->answers = 0;
	e->latency_ns = 0;
	return e;
}

/* The timeout: nobody answered; count it, tell it, forget the query. */
static int on_timeout(void *map, struct query_key *k, struct query *q)
{
	struct dns_event *e;

	COUNT(q->d.cgroup_id, k->server, k->port, timeouts);
	e = event(DNS_EV_TIMEOUT, &q->d.owner, k);
	if (e) {
		e->latency_ns = bpf_ktime_get_boot_ns() - q->d.sent_ns;
		__builtin_memcpy(&e->msg, &q->d.msg, sizeof(e->msg));
		bpfpin_event_submit(&events, e);
	}
	bpf_map_delete_elem(map, k);
	return 0;
}

static __always_inline void on_query(struct __sk_buff *skb,
				     const struct udp_dgram *d,
				     const struct dns_header *h,
				     struct query_key *k, bool task)
{
	__u64 cgroup_id = bpf_skb_cgroup_id(skb);
	struct query_scratch *fresh;
	struct query *q;
	struct dns_event *e;
	__u32 zero = 0;

	COUNT(cgroup_id, k->server, k->port, queries);
	fresh = bpf_map_lookup_elem(&scratch, &zero);
	if (!fresh)
		return;
	__builtin_memset(fresh, 0, sizeof(*fresh));
	fresh->d.sent_ns = bpf_ktime_get_boot_ns();
	fresh->d.cgroup_id = cgroup_id;
	if (task)
		bpfpin_owner_current(&fresh->d.owner);
	else
		fresh->d.owner.cgroup_id = cgroup_id;	/* pid 0: not known */
	capture(skb, d->off, d->len, &fresh->d.msg);
	/* a retry with the same id restarts the wait */
	if (bpf_map_update_elem(&inflight, k, fresh, BPF_ANY)) {
		bpfpin_drop(DROP_MAP_FULL);
	} else {
		q = bpf_map_lookup_elem(&inflight, k);
		if (q && !bpf_timer_init(&q->timer, &inflight, CLOCK_MONOTONIC) &&
		    !bpf_timer_set_callback(&q->timer, on_timeout))
			bpf_timer_start(&q->timer, cfg_timeout_ms * 1000000ull, 0);
	}
	e = event(DNS_EV_QUERY, task ? NULL : &fresh->d.owner, k);
	if (e) {
		__builtin_memcpy(&e->msg, &fresh->d.msg, sizeof(e->msg));
		bpfpin_event_submit(&events, e);
	}
}

static __always_inline void on_response(struct __sk_buff *skb,
					const struct udp_dgram *d,
					const struct dns_header *h,
					const struct query_key *k)
{
	__u16 flags = bpf_ntohs(h->flags);
	__u8 rcode = flags & 0xf;
	struct query *q = bpf_map_lookup_elem(&inflight, k);
	struct dns_stats *c, *s;
	struct dns_event *e;
	__u64 latency;

	if (!q) {
		COUNT(bpf_skb_cgroup_id(skb), k->server, k->port, unmatched);
		return;
	}
	latency = bpf_ktime_get_boot_ns() - q->d.sent_ns;
	stats_for(q->d.cgroup_id, k->server, k->port, &c, &s);
#define RESPONSE(st) do {						\
		if (!(st))						\
			break;						\
		(st)->responses++;					\
		switch (rcode) {					\
		case 0: (st)->noerror++; break;				\
		case 1: (st)->formerr++; break;				\
		case 2: (st)->servfail++; break;			\
		case 3: (st)->nxdomain++; break;			\
		case 4: (st)->notimp++; break;				\
		case 5: (st)->refused++; break;				\
		default: (st)->other_rcode++;				\
		}							\
		bpfpin_hist_add_ns(&(st)->latency, latency);	\
	} while (0)
	RESPONSE(c);
	RESPONSE(s);
#undef RESPONSE
	e = event(DNS_EV_RESPONSE, &q->d.owner, k);
	if (e) {
		e->rcode = rcode;
		e->answers = bpf_ntohs(h->ancount);
		e->latency_ns = latency;
		capture(skb, d->off, d->len, &e->msg);
		bpfpin_event_submit(&events, e);
	}
	/* deleting the query cancels its timer */
	bpf_map_delete_elem(&inflight, k);
}

static __always_inline void on_packet(struct __sk_buff *skb, bool egress,
				      bool task)
{
	struct query_key k = {};
	struct dns_header h;
	struct udp_dgram d;
	bool response;

	if (udp_dgram_parse(skb, egress, &d) || d.rport != DNS_PORT ||
	    !bpfpin_wanted_skb(skb))
		return;
	if (d.len < DNS_HEADER_LEN ||
	    bpf_skb_load_bytes(skb, d.off, &h, sizeof(h)) || !h.qdcount) {
		COUNT(bpf_skb_cgroup_id(skb), d.raddr, d.rport, malformed);
		return;
	}
	response = bpf_ntohs(h.flags) & DNS_QR;
	if (response == egress)	/* a server's traffic, not a client's */
		return;
	k.cookie = bpf_get_socket_cookie(skb);
	__builtin_memcpy(k.server, d.raddr, 16);
	k.port = d.rport;
	k.id = bpf_ntohs(h.id);
	if (egress)
		on_query(skb, &d, &h, &k, task);
	else
		on_response(skb, &d, &h, &k);
}

/*
 * The _nt programs call no current-task helper, which older kernels do not
 * allow cgroup_skb programs (6.1 refuses bpf_get_current_pid_tgid): the
 * querier is then its socket's cgroup, with pid 0 and no comm.
 */
BPFPIN_CGROUP_SKB(dns, DNS_HOOK_EGRESS, DNS_HOOK_INGRESS, on_packet)
