// SPDX-License-Identifier: GPL-2.0
/* tls.bpf.c: TLS plaintext at OpenSSL 3 and GnuTLS read/write uprobes, with the socket's tuple */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "tls.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6

/* Set by the loader: tls.capture_bytes, tls.max_chunks. */
const volatile __u32 cfg_capture_bytes = TLS_CAPTURE_BYTES;
const volatile __u32 cfg_max_chunks = TLS_MAX_CHUNKS;
const volatile __u32 cfg_keylog = 0;

BPFPIN_STATS_MAP(stats, struct tls_key, struct tls_stats, TLS_STATS_ENTRIES);
BPFPIN_EVENTS_RING(TLS_RING_BYTES);

struct tuple {
	__u8 local[16];
	__u8 remote[16];
	__u16 local_port;
	__u16 remote_port;
	__u32 known;
};

/*
 * A call between its entry and its return, per thread: the arguments the
 * return needs (the buffer is only filled when a read returns), and the
 * socket the call's own I/O went through, if it made any.
 */
struct call {
	__u64 conn;
	__u64 buf;
	__u64 outp;		/* _ex: where the byte count is written */
	__u64 start_ns;
	__u32 library;
	__u32 direction;
	struct tuple t;
};

/* An LRU: a thread killed inside a call never returns to delete its entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TLS_CALL_ENTRIES);
	__type(key, __u64);	/* pid_tgid */
	__type(value, struct call);
} calls SEC(".maps");

struct conn_key {
	__u64 conn;
	__u32 tgid;
	__u32 pad;
};

/*
 * The tuple last seen for each connection: a read served from the
 * library's buffer makes no socket I/O of its own.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TLS_CONN_ENTRIES);
	__type(key, struct conn_key);
	__type(value, struct tuple);
} conns SEC(".maps");

/* An event with room for the most data an event holds (not the stack). */
struct scratch {
	struct tls_event e;
	__u8 data[TLS_CAPTURE_MAX];
};

/*
 * min(n, TLS_CAPTURE_MAX) in the register the helper call gets: clang
 * otherwise compares a copy, and the verifier sees no bound on the length.
 */
static __always_inline __u64 capture_len(__u64 n)
{
	asm volatile("if %[n] <= %[max] goto +1;\n"
		     "%[n] = %[max];\n"
		     : [n] "+r"(n) : [max] "i"(TLS_CAPTURE_MAX));
	return n;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static const struct tls_stats zero_stats;

struct client_random {
	__u8 b[32];
};

/* The session each OpenSSL connection's keys were last sent for (keylog). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TLS_KEYED_ENTRIES);
	__type(key, struct conn_key);
	__type(value, struct client_random);
} keyed SEC(".maps");

_Static_assert(sizeof(struct tuple) == 5 * sizeof(__u64), "tuple: five words");

/* BPF has no memcmp: the tuples word by word */
static __always_inline bool same_tuple(const struct tuple *a, const struct tuple *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] &&
	       x[4] == y[4];
}

/*
 * A handshake call (SSL_do_handshake, gnutls_handshake): no data, but its
 * I/O tells the connection's tuple before the first data call, whose own
 * send the kernel may hold back (net_dev_queue sees none in the call).
 */
#define CALL_HANDSHAKE	2

/* Entry: remember the call for its return, for a wanted task only. */
static __always_inline int enter(__u32 library, __u32 direction, void *conn,
				 const void *buf, void *outp)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call c = {
		.conn = (__u64)conn, .buf = (__u64)buf, .outp = (__u64)outp,
		.library = library, .direction = direction,
	};
	long err;

	if (!bpfpin_wanted_current())
		return 0;
	c.start_ns = bpf_ktime_get_ns();
	/* a handshake inside a data call (a renegotiation) leaves it be */
	err = bpf_map_update_elem(&calls, &id, &c,
				  direction == CALL_HANDSHAKE ? BPF_NOEXIST : BPF_ANY);
	if (err && err != -EEXIST)
		bpfpin_drop(DROP_MAP_FULL);
	return 0;
}

/*
 * The tuple for the call's event: its own socket's, remembered for the
 * connection, else the connection's last (a read served from the
 * library's buffer makes no socket I/O of its own).
 */
static __always_inline const struct tuple *conn_tuple(const struct call *c,
						      __u64 id)
{
	struct conn_key ck = { .conn = c->conn, .tgid = id >> 32 };
	const struct tuple *t = bpf_map_lookup_elem(&conns, &ck);

	/* an update costs several lookups: only when the socket changed */
	if (c->t.known && (!t || !same_tuple(t, &c->t)))
		bpf_map_update_elem(&conns, &ck, &c->t, BPF_ANY);
	return c->t.known ? &c->t : t;
}

/* The caller's stats; @k is filled (cgroup, comm) for the event too. */
static __always_inline struct tls_stats *stats_of(const struct call *c,
						  struct tls_key *k)
{
	k->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(k->comm, sizeof(k->comm));
	k->library = c->library;
	k->direction = c->direction;
	return bpfpin_stats_slot(&stats_slot, k, &zero_stats);
}

/* What the chunks of one call share, passed to the bpf_loop() steps. */
struct emit_ctx {
	struct scratch *s;
	const __u8 *buf;
	__u32 len;		/* of the call's data */
	__u32 lost;		/* bytes not captured */
};

/* One event: chunk @i of the call's data. */
static long emit_step(__u32 i, void *arg)
{
	struct emit_ctx *x = arg;
	struct scratch *s = x->s;
	__u32 cap = cfg_capture_bytes, off, n, rest;

	if (cap > TLS_CAPTURE_MAX)
		cap = TLS_CAPTURE_MAX;
	off = i * cap;
	if (off >= x->len)
		return 1;
	rest = x->len - off;
	n = rest < cap ? rest : cap;
	/* the last chunk allowed holds the rest of the call, captured or not */
	if (i + 1 >= cfg_max_chunks)
		s->e.content.total = rest;
	else
		s->e.content.total = n;
	if (!bpfpin_event_allowed(TLS_EV_DATA))
		return 1;
	if (bpf_probe_read_user(s->data, capture_len(n), x->buf + off)) {
		bpfpin_drop(DROP_READ);
		x->lost += rest;
		return 1;
	}
	s->e.offset = off;
	s->e.content.len = n;
	x->lost += s->e.content.total - n;
	bpfpin_event_output(&events, &s->e, sizeof(s->e) + capture_len(n));
	return 0;
}

static __always_inline bool same_random(const struct client_random *a,
					const struct client_random *b)
{
	const __u64 *x = (const __u64 *)a->b, *y = (const __u64 *)b->b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* One keys event: the secret at @src, @len bytes (32, or 48 for SHA-384) */
static __always_inline void emit_secret(const struct call *c,
					const struct tuple *t, __u32 version,
					const struct client_random *r,
					__u32 label, const __u8 *src, __u32 len)
{
	struct tls_keys_event *e;

	e = bpfpin_event_reserve(&events, sizeof(*e), TLS_EV_KEYS);
	if (!e)
		return;
	if (t)
		__builtin_memcpy(e->local, t, offsetof(struct tuple, known));
	else
		__builtin_memset(e->local, 0, offsetof(struct tuple, known));
	e->version = version;
	e->conn = c->conn;
	e->secret.label = label;
	e->secret.len = len;
	__builtin_memcpy(e->secret.client_random, r->b, sizeof(r->b));
	__builtin_memset(e->secret.secret, 0, sizeof(e->secret.secret));
	/* a constant size for each: no byte past the secret is read */
	if (bpf_probe_read_user(e->secret.secret, len == 48 ? 48 : 32, src))
		bpfpin_drop(DROP_READ);
	bpfpin_event_submit(&events, e);
}

/*
 * tls.keylog: once per session of an OpenSSL connection, its secrets from
 * the SSL struct (OpenSSL 3.0/3.1 offsets, tls.h). Called at the return
 * of a call that carried data, so the handshake is done.
 */
static __always_inline void keylog(const struct call *c, __u64 id,
				   const struct tuple *t)
{
	const __u8 *ssl = (const __u8 *)c->conn;
	struct conn_key ck = { .conn = c->conn, .tgid = id >> 32 };
	struct client_random r, *seen;
	const __u8 *sess = NULL, *cipher = NULL;
	__u32 version = 0, cid = 0, len;

	if (bpf_probe_read_user(&r, sizeof(r), ssl + TLS_SSL_CLIENT_RANDOM) ||
	    bpf_probe_read_user(&version, sizeof(version), ssl + TLS_SSL_VERSION) ||
	    bpf_probe_read_user(&sess, sizeof(sess), ssl + TLS_SSL_SESSION)) {
		bpfpin_drop(DROP_READ);
		return;
	}
	seen = bpf_map_lookup_elem(&keyed, &ck);
	if (seen && same_random(seen, &r))
		return;
	bpf_map_update_elem(&keyed, &ck, &r, BPF_ANY);
	if (version == 0x0304) {
		/* the hash of the suite: SHA-384 for TLS_AES_256_GCM_SHA384 */
		if (!bpf_probe_read_user(&cipher, sizeof(cipher), sess + TLS_SESSION_CIPHER))
			bpf_probe_read_user(&cid, sizeof(cid), cipher + TLS_CIPHER_ID);
		len = (cid & 0xffff) == 0x1302 ? 48 : 32;
		emit_secret(c, t, version, &r, BPFPIN_KEYLOG_CLIENT_TRAFFIC_0,
			    ssl + TLS_SSL_CLIENT_APP, len);
		emit_secret(c, t, version, &r, BPFPIN_KEYLOG_SERVER_TRAFFIC_0,
			    ssl + TLS_SSL_SERVER_APP, len);
		emit_secret(c, t, version, &r, BPFPIN_KEYLOG_EXPORTER,
			    ssl + TLS_SSL_EXPORTER, len);
	} else if (version >= 0x0301 && version <= 0x0303 && sess) {
		emit_secret(c, t, version, &r, BPFPIN_KEYLOG_CLIENT_RANDOM,
			    sess + TLS_SESSION_MASTER_KEY, 48);
	}
}

/*
 * Return of a call that carried @len bytes (0 or less: none): count it, and
 * emit its data in chunks of tls.capture_bytes, up to tls.max_chunks.
 */
static __always_inline int leave(long len)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct emit_ctx x = {};
	const struct tuple *t;
	struct tls_stats *st;
	struct tls_key k;
	struct call *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&calls, &id);
	if (!c || c->direction == CALL_HANDSHAKE)
		return 0;
	st = stats_of(c, &k);
	if (len <= 0) {
		if (st)
			st->no_data += 1;
		goto out;
	}
	t = conn_tuple(c, id);
	x.s = bpf_map_lookup_elem(&scratch, &zero);
	if (!x.s)
		goto out;
	x.buf = (const __u8 *)c->buf;
	x.len = len > 0x7fffffff ? 0x7fffffff : len;
	if (t)
		__builtin_memcpy(x.s->e.local, t, offsetof(struct tuple, known));
	else
		__builtin_memset(x.s->e.local, 0, offsetof(struct tuple, known));
	x.s->e.hdr.ts_ns = bpf_ktime_get_boot_ns();
	x.s->e.hdr.cgroup_id = k.cgroup_id;
	x.s->e.hdr.pid = id >> 32;
	x.s->e.hdr.tid = (__u32)id;
	x.s->e.hdr.type = TLS_EV_DATA;
	x.s->e.hdr.pad0 = 0;
	x.s->e.hdr.pad1 = 0;
	__builtin_memcpy(x.s->e.hdr.comm, k.comm, sizeof(k.comm));
	x.s->e.library = c->library;
	x.s->e.direction = c->direction;
	x.s->e.call_bytes = x.len;
	x.s->e.conn = c->conn;
	x.s->e.call_ns = bpf_ktime_get_ns() - c->start_ns;
	x.s->e.pad = 0;
	bpf_loop(cfg_max_chunks, emit_step, &x, 0);
	if (cfg_keylog && c->library == TLS_LIB_OPENSSL)
		keylog(c, id, t);
	if (st) {
		st->calls += 1;
		st->bytes += x.len;
		st->truncated_bytes += x.lost;
	}
out:
	bpf_map_delete_elem(&calls, &id);
	return 0;
}

/* _ex return: 1 and the byte count written through @outp on success */
static __always_inline int leave_ex(int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call *c = bpf_map_lookup_elem(&calls, &id);
	__u64 n = 0;

	if (!c)
		return 0;
	if (ret == 1 && bpf_probe_read_user(&n, sizeof(n), (void *)c->outp))
		bpfpin_drop(DROP_READ);
	return leave(ret == 1 ? (long)n : 0);
}

/*
 * OpenSSL 3: SSL_write(ssl, buf, int num) returns the bytes written;
 * SSL_write_ex(ssl, buf, size_t num, size_t *written) returns 1 and sets
 * *written. Neither calls the other (both call ssl_write_internal), nor
 * do the reads, so no call is counted twice.
 */
SEC("uprobe")
int BPF_KPROBE(ssl_write_in, void *ssl, const void *buf)
{
	if (!bpfpin_active(TLS_HOOK_SSL_WRITE))
		return 0;
	return enter(TLS_LIB_OPENSSL, TLS_DIR_WRITE, ssl, buf, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_out, int ret)
{
	if (!bpfpin_active(TLS_HOOK_SSL_WRITE_RET))
		return 0;
	return leave(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_in, void *ssl, const void *buf, __u64 num,
	       __u64 *written)
{
	if (!bpfpin_active(TLS_HOOK_SSL_WRITE_EX))
		return 0;
	return enter(TLS_LIB_OPENSSL, TLS_DIR_WRITE, ssl, buf, written);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_wr_ex_out, int ret)
{
	if (!bpfpin_active(TLS_HOOK_SSL_WRITE_EX_RET))
		return 0;
	return leave_ex(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_in, void *ssl, void *buf)
{
	if (!bpfpin_active(TLS_HOOK_SSL_READ))
		return 0;
	return enter(TLS_LIB_OPENSSL, TLS_DIR_READ, ssl, buf, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_out, int ret)
{
	if (!bpfpin_active(TLS_HOOK_SSL_READ_RET))
		return 0;
	return leave(ret);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_in, void *ssl, void *buf, __u64 num,
	       __u64 *readbytes)
{
	if (!bpfpin_active(TLS_HOOK_SSL_READ_EX))
		return 0;
	return enter(TLS_LIB_OPENSSL, TLS_DIR_READ, ssl, buf, readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_rd_ex_out, int ret)
{
	if (!bpfpin_active(TLS_HOOK_SSL_READ_EX_RET))
		return 0;
	return leave_ex(ret);
}

/* SSL_do_handshake(ssl) or gnutls_handshake(session), whichever is there */
SEC("uprobe")
int BPF_KPROBE(handshake_in, void *conn)
{
	if (!bpfpin_active(TLS_HOOK_HANDSHAKE))
		return 0;
	return enter(0, CALL_HANDSHAKE, conn, NULL, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(handshake_out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call *c;

	if (!bpfpin_active(TLS_HOOK_HANDSHAKE_RET))
		return 0;
	c = bpf_map_lookup_elem(&calls, &id);
	if (!c || c->direction != CALL_HANDSHAKE)
		return 0;
	conn_tuple(c, id);
	bpf_map_delete_elem(&calls, &id);
	return 0;
}

/* GnuTLS: gnutls_record_send/recv(session, data, size) return a ssize_t */
SEC("uprobe")
int BPF_KPROBE(gnutls_send_in, void *session, const void *data)
{
	if (!bpfpin_active(TLS_HOOK_GNUTLS_SEND))
		return 0;
	return enter(TLS_LIB_GNUTLS, TLS_DIR_WRITE, session, data, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(gnutls_send_out, long ret)
{
	if (!bpfpin_active(TLS_HOOK_GNUTLS_SEND_RET))
		return 0;
	return leave(ret);
}

SEC("uprobe")
int BPF_KPROBE(gnutls_recv_in, void *session, void *data)
{
	if (!bpfpin_active(TLS_HOOK_GNUTLS_RECV))
		return 0;
	return enter(TLS_LIB_GNUTLS, TLS_DIR_READ, session, data, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(gnutls_recv_out, long ret)
{
	if (!bpfpin_active(TLS_HOOK_GNUTLS_RECV_RET))
		return 0;
	return leave(ret);
}

#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

static __always_inline void mapped4(__u8 *a, __u32 v4)
{
	__builtin_memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	__builtin_memcpy(&a[12], &v4, 4);
}

/*
 * Socket I/O inside a TLS call (the library's read/recv/write/sendmsg,
 * whatever its version): the call's connection is this TCP socket. This
 * runs for every socket send and receive on the host; a thread in no TLS
 * call costs one hash lookup.
 */
static __always_inline int on_sock_io(const struct sock *sk, bool btf,
				      bool first)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call *c = bpf_map_lookup_elem(&calls, &id);
	struct tuple *t;
	__u16 family;
	__u8 state;

	if (!c || !sk || (first && c->t.known))
		return 0;
	/* a request or time-wait socket is no full socket: no sk_protocol */
	state = RD(btf, sk, __sk_common.skc_state);
	if (state == TCP_NEW_SYN_RECV || state == TCP_TIME_WAIT)
		return 0;
	/* @first: a packet, whose socket the thread holds if it is its own */
	if (first && !RD(btf, sk, sk_lock.owned))
		return 0;
	family = RD(btf, sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) ||
	    RD(btf, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	t = &c->t;
	if (family == AF_INET) {
		mapped4(t->local, RD(btf, sk, __sk_common.skc_rcv_saddr));
		mapped4(t->remote, RD(btf, sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)t->local, sk,
				   __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)t->remote, sk,
				   __sk_common.skc_v6_daddr);
	}
	t->local_port = RD(btf, sk, __sk_common.skc_num);
	t->remote_port = bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
	t->known = 1;
	return 0;
}

BPFPIN_HOOK(sock_send_length, sock_send, TLS_HOOK_SOCK_SEND,
	    struct sock *sk COMMA int ret COMMA int flags,
	    on_sock_io(sk, bpfpin_btf, false))
BPFPIN_HOOK(sock_recv_length, sock_recv, TLS_HOOK_SOCK_RECV,
	    struct sock *sk COMMA int ret COMMA int flags,
	    on_sock_io(sk, bpfpin_btf, false))

/*
 * Kernels without those two (before 6.4), where kprobes or fentry work: the
 * socket the call sends on or receives from, at the entry of tcp_sendmsg
 * and tcp_recvmsg.
 */
BPFPIN_FUNC_HOOK(tcp_sendmsg, send, TLS_HOOK_SOCK_SEND, struct sock *sk,
		 on_sock_io(sk, false, false))
BPFPIN_FUNC_HOOK(tcp_recvmsg, recv, TLS_HOOK_SOCK_RECV, struct sock *sk,
		 on_sock_io(sk, false, false))

/*
 * Kernels with neither: a send's socket is the one of the first packet the
 * thread queues to a device inside the call from a socket it holds
 * (lock_sock): its own data. A packet the thread sends from a softirq it
 * runs meanwhile (on loopback the peer's ACK, a timer's) is another
 * socket's, not held by this thread. A receive's is the one recvmsg()
 * copies from (tcp_rcv_space_adjust, after each copy). A send the kernel
 * holds back (Nagle, a full congestion window) queues nothing in the
 * call: its tuple is the connection's last known one, on its first
 * write the handshake's.
 */
static __always_inline const struct sock *skb_sock(const struct sk_buff *skb,
						    bool btf)
{
	return skb ? RD(btf, skb, sk) : NULL;
}

BPFPIN_HOOK(net_dev_queue, dev_queue, TLS_HOOK_SOCK_SEND,
	    struct sk_buff *skb,
	    on_sock_io(skb_sock(skb, bpfpin_btf), bpfpin_btf, true))
BPFPIN_HOOK(tcp_rcv_space_adjust, rcv_space, TLS_HOOK_SOCK_RECV,
	    struct sock *sk, on_sock_io(sk, bpfpin_btf, false))
