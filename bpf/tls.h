/* SPDX-License-Identifier: GPL-2.0 */
/* tls.h: plaintext of OpenSSL 3 and GnuTLS reads and writes, shared by tls.bpf.c and user space */
#ifndef __BPFPIN_TLS_H
#define __BPFPIN_TLS_H

#include "bpfpin.h"

#define TLS_SCHEMA_VERSION	1
#define TLS_STATS_ENTRIES	4096
#define TLS_CALL_ENTRIES	4096	/* threads inside a TLS call at once */
#define TLS_CONN_ENTRIES	8192	/* connections whose socket is known */
#define TLS_RING_BYTES		(4 << 20)
#define TLS_CAPTURE_BYTES	4096	/* tls.capture_bytes */
#define TLS_CAPTURE_MAX		16384	/* a TLS record's most plaintext */
#define TLS_MAX_CHUNKS		16	/* tls.max_chunks: events per call */
#define TLS_CHUNKS_MAX		64

/* event and stats fields: which library, which way the data went */
#define TLS_LIB_OPENSSL		0
#define TLS_LIB_GNUTLS		1
#define TLS_DIR_WRITE		0	/* the process sent it: local -> remote */
#define TLS_DIR_READ		1	/* the process received it */

struct tls_key {
	__u64 cgroup_id;
	char comm[BPFPIN_COMM_LEN];
	__u32 library;		/* TLS_LIB_* */
	__u32 direction;	/* TLS_DIR_* */
};

struct tls_stats {
	__u64 calls;		/* calls that carried data */
	__u64 bytes;		/* plaintext bytes they carried */
	__u64 truncated_bytes;	/* of those, not captured in an event */
	__u64 no_data;		/* calls that returned no data: error, retry, close */
};

#define TLS_EV_DATA	1
#define TLS_EV_KEYS	2

/*
 * One event per chunk of a call's plaintext: bytes [offset, offset +
 * content.total) of what the call carried (call_bytes), of which
 * content.len bytes follow the event. A call longer than tls.max_chunks x
 * tls.capture_bytes ends in a last event whose content.total holds the
 * whole rest, so total - len (the readers' `truncated`) is what was lost. The tuple is zero when no socket was
 * seen for the connection (a memory BIO, a custom transport).
 */
struct tls_event {
	struct bpfpin_event_hdr hdr;
	__u8 local[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u8 remote[16];
	__u16 local_port;
	__u16 remote_port;
	__u32 library;
	__u32 direction;
	__u32 call_bytes;	/* plaintext the call carried */
	__u64 conn;		/* the SSL * or gnutls_session_t in the process */
	__u64 call_ns;		/* from the call's entry to its return */
	__u32 offset;		/* of this chunk in the call's plaintext */
	__u32 pad;
	struct bpfpin_content content;	/* content.len bytes follow */
};

/*
 * tls.keylog: a connection's secrets, read from OpenSSL's SSL struct at the
 * first read or write that returns data on a new session (so, after its
 * handshake), one event per SSLKEYLOGFILE line. The struct is OpenSSL
 * 3.0's and 3.1's (the offsets below, checked against `s_client
 * -keylogfile` with Debian bookworm's 3.0); GnuTLS has none.
 */
#define TLS_SSL_VERSION		0x0	/* ssl_st.version */
#define TLS_SSL_CLIENT_RANDOM	0x160	/* ssl_st.s3.client_random[32] */
#define TLS_SSL_CLIENT_APP	0x744	/* ssl_st.client_app_traffic_secret */
#define TLS_SSL_SERVER_APP	0x784	/* ssl_st.server_app_traffic_secret */
#define TLS_SSL_EXPORTER	0x7c4	/* ssl_st.exporter_master_secret */
#define TLS_SSL_SESSION		0x918	/* ssl_st.session */
#define TLS_SESSION_MASTER_KEY	0x50	/* ssl_session_st.master_key[48] */
#define TLS_SESSION_CIPHER	0x2f8	/* ssl_session_st.cipher */
#define TLS_CIPHER_ID		0x18	/* ssl_cipher_st.id */
#define TLS_KEYED_ENTRIES	8192

struct tls_keys_event {
	struct bpfpin_event_hdr hdr;
	__u8 local[16];
	__u8 remote[16];
	__u16 local_port;
	__u16 remote_port;
	__u32 version;		/* 0x0303: TLS 1.2, 0x0304: TLS 1.3 */
	__u64 conn;
	struct bpfpin_keylog secret;
};

/*
 * A hook's index in tls_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum tls_hook {
	TLS_HOOK_SSL_WRITE,
	TLS_HOOK_SSL_WRITE_RET,
	TLS_HOOK_SSL_WRITE_EX,
	TLS_HOOK_SSL_WRITE_EX_RET,
	TLS_HOOK_SSL_READ,
	TLS_HOOK_SSL_READ_RET,
	TLS_HOOK_SSL_READ_EX,
	TLS_HOOK_SSL_READ_EX_RET,
	TLS_HOOK_GNUTLS_SEND,
	TLS_HOOK_GNUTLS_SEND_RET,
	TLS_HOOK_GNUTLS_RECV,
	TLS_HOOK_GNUTLS_RECV_RET,
	TLS_HOOK_SOCK_SEND,
	TLS_HOOK_SOCK_RECV,
	TLS_HOOK_HANDSHAKE,
	TLS_HOOK_HANDSHAKE_RET,
	TLS_HOOK_NR
};
_Static_assert(TLS_HOOK_NR <= BPFPIN_MAX_HOOKS, "tls: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const tls_libraries[] = { "openssl", "gnutls" };
static const char *const tls_directions[] = { "write", "read" };

static const struct pin_field tls_key_fields[] = {
	PIN_LABELLED(struct tls_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id of the caller"),
	PIN_KEY(struct tls_key, comm, PIN_T_STR, PIN_V_PLAIN, "command name"),
	PIN_NAMED(struct tls_key, library, tls_libraries, "TLS library"),
	PIN_NAMED(struct tls_key, direction, tls_directions,
		"write: sent by the process, read: received"),
};

static const struct pin_field tls_stat_fields[] = {
	PIN_COUNTER(struct tls_stats, calls, "TLS reads and writes that carried plaintext."),
	PIN_COUNTER(struct tls_stats, bytes, "Plaintext bytes read or written through TLS."),
	PIN_COUNTER(struct tls_stats, truncated_bytes,
		"Plaintext bytes not captured in an event (beyond tls.max_chunks x "
		"tls.capture_bytes per call, or unreadable)."),
	PIN_COUNTER(struct tls_stats, no_data,
		"TLS reads and writes that returned no data (error, retry, close)."),
};

static const struct pin_map_desc tls_maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct tls_key),
	  .value_size = sizeof(struct tls_stats),
	  .keys = tls_key_fields, .nkeys = PIN_LEN(tls_key_fields),
	  .values = tls_stat_fields, .nvalues = PIN_LEN(tls_stat_fields) },
};

static const struct pin_field tls_data_fields[] = {
	PIN_NAMED(struct tls_event, direction, tls_directions,
		"write: sent by the process, read: received"),
	PIN_NAMED(struct tls_event, library, tls_libraries, "TLS library"),
	PIN_EV(struct tls_event, local, PIN_T_BYTES, PIN_V_IP, "local address"),
	PIN_EV(struct tls_event, local_port, PIN_T_U16, PIN_V_PLAIN, "local port"),
	PIN_EV(struct tls_event, remote, PIN_T_BYTES, PIN_V_IP, "remote address"),
	PIN_EV(struct tls_event, remote_port, PIN_T_U16, PIN_V_PLAIN, "remote port"),
	PIN_EV(struct tls_event, conn, PIN_T_U64, PIN_V_PLAIN,
		"the connection: SSL * or gnutls_session_t in the process"),
	PIN_EV(struct tls_event, call_bytes, PIN_T_U32, PIN_V_BYTES,
		"plaintext the call carried"),
	PIN_EV(struct tls_event, offset, PIN_T_U32, PIN_V_PLAIN,
		"this chunk's offset in the call's plaintext"),
	PIN_EV(struct tls_event, call_ns, PIN_T_U64, PIN_V_DURATION,
		"from the call's entry to its return"),
	PIN_EV(struct tls_event, content, PIN_T_BYTES, PIN_V_CONTENT, "the plaintext"),
};

static const struct pin_field tls_keys_fields[] = {
	PIN_EV(struct tls_keys_event, local, PIN_T_BYTES, PIN_V_IP, "local address"),
	PIN_EV(struct tls_keys_event, local_port, PIN_T_U16, PIN_V_PLAIN, "local port"),
	PIN_EV(struct tls_keys_event, remote, PIN_T_BYTES, PIN_V_IP, "remote address"),
	PIN_EV(struct tls_keys_event, remote_port, PIN_T_U16, PIN_V_PLAIN, "remote port"),
	PIN_EV(struct tls_keys_event, conn, PIN_T_U64, PIN_V_PLAIN, "the connection: SSL *"),
	PIN_EV(struct tls_keys_event, version, PIN_T_U32, PIN_V_PLAIN,
		"TLS version: 771 TLS 1.2, 772 TLS 1.3"),
	PIN_EV(struct tls_keys_event, secret, PIN_T_BYTES, PIN_V_KEYLOG,
		"the SSLKEYLOGFILE line"),
};

static const struct pin_event_desc tls_events[] = {
	{ .type = TLS_EV_DATA, .name = "data", .size = sizeof(struct tls_event),
	  .fields = tls_data_fields, .nfields = PIN_LEN(tls_data_fields) },
	{ .type = TLS_EV_KEYS, .name = "keys", .size = sizeof(struct tls_keys_event),
	  .fields = tls_keys_fields, .nfields = PIN_LEN(tls_keys_fields) },
};

/*
 * Entry and return of each call, in every library tls.libs names or finds,
 * and the socket I/O a call makes, which tells the connection's socket
 * (its tuple) whatever the library's version. One hook per program (its
 * own handoff slot); a library without a hook's symbol is skipped, so
 * libssl takes the SSL_ hooks and libgnutls the gnutls_ ones. Every
 * hook is optional: a host without GnuTLS runs degraded, not refused, and
 * one without the socket tracepoints (before 6.4) takes the tuple from
 * tcp_sendmsg and tcp_recvmsg (fentry, kprobe), else from net_dev_queue
 * and tcp_rcv_space_adjust (tls.bpf.c says how). The handshake's I/O
 * tells the tuple before the first data call.
 */
#define TLS_UHOOK(n, prog, sym) { n, { prog }, true, "libs", sym }
static const struct pin_hook tls_hooks[] = {
	[TLS_HOOK_SSL_WRITE] = TLS_UHOOK("ssl_write", "ssl_write_in", "SSL_write"),
	[TLS_HOOK_SSL_WRITE_RET] = TLS_UHOOK("ssl_write_ret", "ssl_write_out", "SSL_write"),
	[TLS_HOOK_SSL_WRITE_EX] = TLS_UHOOK("ssl_write_ex", "ssl_write_ex_in", "SSL_write_ex"),
	[TLS_HOOK_SSL_WRITE_EX_RET] = TLS_UHOOK("ssl_write_ex_ret", "ssl_wr_ex_out", "SSL_write_ex"),
	[TLS_HOOK_SSL_READ] = TLS_UHOOK("ssl_read", "ssl_read_in", "SSL_read"),
	[TLS_HOOK_SSL_READ_RET] = TLS_UHOOK("ssl_read_ret", "ssl_read_out", "SSL_read"),
	[TLS_HOOK_SSL_READ_EX] = TLS_UHOOK("ssl_read_ex", "ssl_read_ex_in", "SSL_read_ex"),
	[TLS_HOOK_SSL_READ_EX_RET] = TLS_UHOOK("ssl_read_ex_ret", "ssl_rd_ex_out", "SSL_read_ex"),
	[TLS_HOOK_GNUTLS_SEND] = TLS_UHOOK("gnutls_send", "gnutls_send_in", "gnutls_record_send"),
	[TLS_HOOK_GNUTLS_SEND_RET] = TLS_UHOOK("gnutls_send_ret", "gnutls_send_out",
					       "gnutls_record_send"),
	[TLS_HOOK_GNUTLS_RECV] = TLS_UHOOK("gnutls_recv", "gnutls_recv_in", "gnutls_record_recv"),
	[TLS_HOOK_GNUTLS_RECV_RET] = TLS_UHOOK("gnutls_recv_ret", "gnutls_recv_out",
					       "gnutls_record_recv"),
	[TLS_HOOK_SOCK_SEND] = { "sock_send_length", { "sock_send_btf", "sock_send_raw",
		"send_fentry", "send_kprobe", "dev_queue_btf", "dev_queue_raw" }, true },
	[TLS_HOOK_SOCK_RECV] = { "sock_recv_length", { "sock_recv_btf", "sock_recv_raw",
		"recv_fentry", "recv_kprobe", "rcv_space_btf", "rcv_space_raw" }, true },
	[TLS_HOOK_HANDSHAKE] = TLS_UHOOK("handshake", "handshake_in",
					 "SSL_do_handshake gnutls_handshake"),
	[TLS_HOOK_HANDSHAKE_RET] = TLS_UHOOK("handshake_ret", "handshake_out",
					     "SSL_do_handshake gnutls_handshake"),
};
_Static_assert(PIN_LEN(tls_hooks) == TLS_HOOK_NR, "tls: a hook without a table entry");

static const struct pin_setting tls_settings[] = {
	{ "libs", "OpenSSL 3 and GnuTLS libraries (or binaries linking them statically): "
	  "auto and/or paths", 0, 0, 0, PIN_SET_TARGETS,
	  .discover = "libssl.so.3 libgnutls.so.30" },
	{ "capture_bytes", "plaintext bytes per event (a call's data is split)",
	  TLS_CAPTURE_BYTES, 16, TLS_CAPTURE_MAX },
	{ "max_chunks", "events per call at most; the rest is counted as truncated",
	  TLS_MAX_CHUNKS, 1, TLS_CHUNKS_MAX },
	{ "keylog", "1: keys events with OpenSSL 3.0/3.1 session secrets (SSLKEYLOGFILE lines)",
	  0, 0, 1 },
};

static const struct pin_module_desc tls_module = {
	.name = "tls",
	.summary = "plaintext of OpenSSL 3 and GnuTLS reads and writes (uprobes), with pid, "
		"library and the connection's tuple; calls and bytes per cgroup and comm",
	.schema_version = TLS_SCHEMA_VERSION,
	.profiles = "capture",
	.filter_task = true,
	.captures_content = true,
	.content_maps = "calls scratch keyed",
	.notes = "OpenSSL 3 (SSL_read/_ex, SSL_write/_ex) and GnuTLS (gnutls_record_send/"
		"recv) only: not NSS, BoringSSL, rustls, Go's crypto/tls, QUIC, or kernel TLS "
		"offload after the handshake; static builds only when named in tls.libs",
	.maps = tls_maps, .nmaps = PIN_LEN(tls_maps),
	.events = tls_events, .nevents = PIN_LEN(tls_events),
	.hooks = tls_hooks, .nhooks = PIN_LEN(tls_hooks),
	.settings = tls_settings, .nsettings = PIN_LEN(tls_settings),
};
_Static_assert(offsetof(struct tls_event, content) + sizeof(struct bpfpin_content) ==
	       sizeof(struct tls_event), "tls: content is the event's last field");
#endif /* !__bpf__ */

#endif /* __BPFPIN_TLS_H */
