// SPDX-License-Identifier: GPL-2.0
/* pcapng.c: captured plaintext written as synthesized TCP segments in a pcapng file */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "pin.h"

#define BT_SHB		0x0A0D0D0A
#define BT_IDB		0x00000001
#define BT_EPB		0x00000006
#define BT_DSB		0x0000000A
#define DSB_TLS_KEYLOG	0x544c534b	/* "TLSK": NSS key log lines */
#define BYTE_ORDER_MAGIC 0x1A2B3C4D
#define LINKTYPE_RAW	101	/* an IPv4 or IPv6 packet, no link header */
#define OPT_END		0
#define OPT_COMMENT	1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME	2
#define OPT_IF_DESC	3
#define OPT_IF_TSRESOL	9

#define TCP_SYN		0x02
#define TCP_PSH		0x08
#define TCP_ACK		0x10

#define ISN		0	/* both ends: the first data byte is seq 1 */
#define MAX_PAYLOAD	65000	/* what one IPv4 packet holds, headers aside */
#define MAX_CONNS	4096
#define COMMENT_LEN	160

/* The fields an event needs to be written (found by name, checked by size). */
struct layout {
	const struct pin_field *local, *remote, *lport, *rport, *dir, *conn;
	const struct pin_field *data;
	unsigned int write_value;	/* the direction value meaning "sent" */
};

/*
 * A TCP connection: its two ends in a fixed order (lower address and port
 * first) and, per flow (0: end 0 to end 1), the stream offset written so
 * far and how far the sender's writes and the receiver's reads have come.
 * Both ends of a loopback connection are often captured: each byte then
 * arrives twice, once as a write, once as a read, and is written once.
 */
struct conn {
	__u8 addr[2][16];
	__u16 port[2];
	__u64 written[2];
	__u64 seen[2][2];	/* [flow][0: writes, 1: reads] */
};

struct pin_pcapng {
	FILE *f;
	struct conn *conns;
	unsigned int nconns;
	unsigned int next;	/* the slot reused when the table is full */
	__u64 packets;
	__u8 *pkt;
	int err;
};

static void put(struct pin_pcapng *p, const void *b, size_t n)
{
	if (!p->err && n && fwrite(b, 1, n, p->f) != n)
		p->err = -errno ?: -EIO;
}

static void put32(struct pin_pcapng *p, __u32 v)
{
	put(p, &v, 4);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

static void put_opt(struct pin_pcapng *p, __u16 code, const void *v, size_t len)
{
	static const __u8 zero[4];
	__u16 h[2] = { code, (__u16)len };

	put(p, h, 4);
	put(p, v, len);
	put(p, zero, pad4(len) - len);
}

struct pin_pcapng *pin_pcapng__new(FILE *f, const char *appl)
{
	static const char if_name[] = "bpfpin";
	static const char if_desc[] =
		"plaintext captured by bpfpin, as synthesized TCP segments of the connection's tuple";
	struct pin_pcapng *p = calloc(1, sizeof(*p));
	__u8 tsresol = 9;	/* nanoseconds */
	__u32 len, zero = 0;
	__u64 section_len = ~0ull;
	__u16 v[2] = { 1, 0 }, lt[2] = { LINKTYPE_RAW, 0 };

	if (!p)
		return NULL;
	p->f = f;
	p->pkt = malloc(MAX_PAYLOAD + 128);
	p->conns = calloc(MAX_CONNS, sizeof(*p->conns));
	if (!p->pkt || !p->conns) {
		pin_pcapng__free(p);
		errno = ENOMEM;
		return NULL;
	}
	len = 28 + opt_size(strlen(appl)) + 4;
	put32(p, BT_SHB);
	put32(p, len);
	put32(p, BYTE_ORDER_MAGIC);
	put(p, v, 4);
	put(p, &section_len, 8);
	put_opt(p, OPT_SHB_USERAPPL, appl, strlen(appl));
	put32(p, OPT_END);
	put32(p, len);

	len = 20 + opt_size(strlen(if_name)) + opt_size(strlen(if_desc)) +
	      opt_size(1) + 4;
	put32(p, BT_IDB);
	put32(p, len);
	put(p, lt, 4);
	put32(p, zero);		/* snaplen: no limit */
	put_opt(p, OPT_IF_NAME, if_name, strlen(if_name));
	put_opt(p, OPT_IF_DESC, if_desc, strlen(if_desc));
	put_opt(p, OPT_IF_TSRESOL, &tsresol, 1);
	put32(p, OPT_END);
	put32(p, len);
	if (p->err) {
		errno = -p->err;
		pin_pcapng__free(p);
		return NULL;
	}
	return p;
}

void pin_pcapng__free(struct pin_pcapng *p)
{
	if (!p)
		return;
	free(p->pkt);
	free(p->conns);
	free(p);
}

int pin_pcapng__flush(struct pin_pcapng *p)
{
	if (!p->err && fflush(p->f))
		p->err = -errno;
	return p->err;
}

__u64 pin_pcapng__packets(const struct pin_pcapng *p)
{
	return p->packets;
}

static const struct pin_field *field(const struct pin_event_desc *e,
				     const char *name, unsigned int size)
{
	int i;

	for (i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].name, name))
			return e->fields[i].size == size ? &e->fields[i] : NULL;
	return NULL;
}

static bool layout_of(const struct pin_event_desc *e, struct layout *l)
{
	unsigned int i;

	memset(l, 0, sizeof(*l));
	l->local = field(e, "local", 16);
	l->remote = field(e, "remote", 16);
	l->lport = field(e, "local_port", 2);
	l->rport = field(e, "remote_port", 2);
	l->dir = field(e, "direction", 4);
	l->conn = field(e, "conn", 8);
	for (i = 0; i < (unsigned int)e->nfields; i++)
		if (e->fields[i].view == PIN_V_CONTENT &&
		    e->fields[i].size == sizeof(struct bpfpin_content))
			l->data = &e->fields[i];
	if (!l->local || !l->remote || !l->lport || !l->rport || !l->dir ||
	    !l->data || l->data->view != PIN_V_CONTENT ||
	    l->dir->view != PIN_V_NAMES)
		return false;
	for (i = 0; i < l->dir->nnames; i++)
		if (!strcmp(l->dir->names[i], "write"))
			break;
	if (i == l->dir->nnames)
		return false;
	l->write_value = i;
	return true;
}

bool pin_pcapng_supported(const struct pin_module_desc *d)
{
	struct layout l;
	int i;

	for (i = 0; i < d->nevents; i++)
		if (layout_of(&d->events[i], &l))
			return true;
	return false;
}

static bool is_v4(const __u8 *a)
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, 12);
}

static bool is_zero(const __u8 *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

/* The connection of an event, by its ends in order; new ones are @first. */
static struct conn *conn_of(struct pin_pcapng *p, __u8 ends[2][16],
			    __u16 ports[2], bool *first)
{
	struct conn *c;
	unsigned int i;

	for (i = 0; i < p->nconns; i++) {
		c = &p->conns[i];
		if (!memcmp(c->addr, ends, sizeof(c->addr)) &&
		    c->port[0] == ports[0] && c->port[1] == ports[1])
			return c;
	}
	if (p->nconns < MAX_CONNS) {
		c = &p->conns[p->nconns++];
	} else {
		c = &p->conns[p->next];
		p->next = (p->next + 1) % MAX_CONNS;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->addr, ends, sizeof(c->addr));
	memcpy(c->port, ports, sizeof(c->port));
	*first = true;
	return c;
}

static __u32 csum_add(__u32 sum, const void *b, size_t n)
{
	const __u8 *p = b;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

/*
 * One IP packet with a TCP segment from end @from of @c: IPv4 when both
 * ends are IPv4(-mapped), else IPv6. Return: its length.
 */
static size_t build(struct pin_pcapng *p, const struct conn *c, int from,
		    __u8 flags, __u32 seq, __u32 ack, const void *data,
		    size_t len)
{
	__u8 *b = p->pkt, *tcp, pseudo[40];
	bool v4 = is_v4(c->addr[0]) && is_v4(c->addr[1]);
	size_t ip = v4 ? 20 : 40, tl = 20 + len, plen;
	__u16 sport = htons(c->port[from]), dport = htons(c->port[!from]);
	__u32 sum;

	memset(b, 0, ip + 20);
	if (v4) {
		b[0] = 0x45;
		*(__u16 *)(b + 2) = htons((__u16)(ip + tl));
		b[6] = 0x40;	/* don't fragment */
		b[8] = 64;
		b[9] = IPPROTO_TCP;
		memcpy(b + 12, c->addr[from] + 12, 4);
		memcpy(b + 16, c->addr[!from] + 12, 4);
		*(__u16 *)(b + 10) = csum_fold(csum_add(0, b, 20));
		memcpy(pseudo, b + 12, 8);
		plen = 12;
	} else {
		b[0] = 0x60;
		*(__u16 *)(b + 4) = htons((__u16)tl);
		b[6] = IPPROTO_TCP;
		b[7] = 64;
		memcpy(b + 8, c->addr[from], 16);
		memcpy(b + 24, c->addr[!from], 16);
		memcpy(pseudo, b + 8, 32);
		plen = 40;
	}
	tcp = b + ip;
	memcpy(tcp, &sport, 2);
	memcpy(tcp + 2, &dport, 2);
	*(__u32 *)(tcp + 4) = htonl(seq);
	*(__u32 *)(tcp + 8) = htonl(ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	*(__u16 *)(tcp + 14) = htons(65535);
	if (len)
		memcpy(tcp + 20, data, len);
	/* the pseudo-header: addresses, then protocol and length */
	if (v4) {
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		*(__u16 *)(pseudo + 10) = htons((__u16)tl);
	} else {
		*(__u32 *)(pseudo + 32) = htonl((__u32)tl);
		memset(pseudo + 36, 0, 3);
		pseudo[39] = IPPROTO_TCP;
	}
	sum = csum_add(csum_add(0, pseudo, plen), tcp, tl);
	*(__u16 *)(tcp + 16) = csum_fold(sum);
	return ip + tl;
}

static void put_packet(struct pin_pcapng *p, __u64 ts, size_t len,
		       const char *comment)
{
	static const __u8 zero[4];
	size_t clen = comment ? strlen(comment) : 0;
	__u32 total = 28 + pad4(len) + (clen ? opt_size(clen) : 0) + 4 + 4;

	put32(p, BT_EPB);
	put32(p, total);
	put32(p, 0);		/* interface 0 */
	put32(p, (__u32)(ts >> 32));
	put32(p, (__u32)ts);
	put32(p, (__u32)len);
	put32(p, (__u32)len);
	put(p, p->pkt, len);
	put(p, zero, pad4(len) - len);
	if (clen)
		put_opt(p, OPT_COMMENT, comment, clen);
	put32(p, OPT_END);
	put32(p, total);
	p->packets++;
}

#define EPHEMERAL_PORTS 32768	/* Linux's ip_local_port_range starts here */

/*
 * SYN, SYN-ACK, ACK. The client is the end with an ephemeral port when
 * only one has one, else the end that sent the first byte seen (@first_flow
 * 0: end 0): most protocols (HTTP, TLS) have the client speak first.
 */
static void handshake(struct pin_pcapng *p, const struct conn *c, __u64 ts,
		      int first_flow)
{
	bool e0 = c->port[0] >= EPHEMERAL_PORTS, e1 = c->port[1] >= EPHEMERAL_PORTS;
	int client = e0 != e1 ? !e0 : first_flow;
	size_t n;

	n = build(p, c, client, TCP_SYN, ISN, 0, NULL, 0);
	put_packet(p, ts, n, "synthesized by bpfpin: the connection was first seen here");
	n = build(p, c, !client, TCP_SYN | TCP_ACK, ISN, ISN + 1, NULL, 0);
	put_packet(p, ts, n, NULL);
	n = build(p, c, client, TCP_ACK, ISN + 1, ISN + 1, NULL, 0);
	put_packet(p, ts, n, NULL);
}

/* The event's PIN_V_KEYLOG field, if it has one */
static const struct pin_field *keylog_field(const struct pin_event_desc *e)
{
	int i;

	for (i = 0; i < e->nfields; i++)
		if (e->fields[i].view == PIN_V_KEYLOG &&
		    e->fields[i].size == sizeof(struct bpfpin_keylog))
			return &e->fields[i];
	return NULL;
}

/* A Decryption Secrets Block with the event's SSLKEYLOGFILE line */
static void put_secrets(struct pin_pcapng *p, const void *field)
{
	static const __u8 zero[4];
	char line[512];
	size_t n = pin_keylog_line(field, line, sizeof(line) - 1);
	__u32 total;

	if (!n)
		return;
	line[n++] = '\n';
	total = 20 + pad4(n);
	put32(p, BT_DSB);
	put32(p, total);
	put32(p, DSB_TLS_KEYLOG);
	put32(p, (__u32)n);
	put(p, line, n);
	put(p, zero, pad4(n) - n);
	put32(p, total);
}

static __u64 get_u(const void *data, const struct pin_field *f)
{
	__u64 v = 0;

	if (!f)
		return 0;
	memcpy(&v, (const __u8 *)data + f->offset, f->size);
	return v;	/* little-endian hosts: the low bytes */
}

int pin_pcapng__event(struct pin_pcapng *p, const struct pin_module_desc *d,
		      const void *data, size_t size, __u64 clock_offset)
{
	const struct bpfpin_event_hdr *h = data;
	const struct pin_event_desc *e = NULL;
	const __u8 *ev = data;
	struct bpfpin_content ct;
	struct layout l;
	__u8 ends[2][16];
	__u16 ports[2];
	char comment[COMMENT_LEN];
	bool first = false, rev, sent;
	struct conn *c;
	__u64 start, end, skip, id, ts;
	int i, flow, who;

	if (size < sizeof(*h))
		return -EPROTO;
	for (i = 0; i < d->nevents; i++)
		if (d->events[i].type == h->type)
			e = &d->events[i];
	if (!e || size < e->size)
		return -EPROTO;
	if (keylog_field(e)) {
		put_secrets(p, ev + keylog_field(e)->offset);
		return p->err ? p->err : 1;
	}
	if (!layout_of(e, &l))
		return 0;
	memcpy(&ct, ev + l.data->offset, sizeof(ct));
	if (ct.len > size - e->size || ct.len > ct.total || ct.len > MAX_PAYLOAD)
		return -EPROTO;
	sent = get_u(data, l.dir) == l.write_value;
	id = get_u(data, l.conn);
	ports[0] = (__u16)get_u(data, l.lport);
	ports[1] = (__u16)get_u(data, l.rport);
	memcpy(ends[0], ev + l.local->offset, 16);
	memcpy(ends[1], ev + l.remote->offset, 16);
	/*
	 * Without a tuple (no socket seen): 127.0.0.2 and 127.0.0.3, with
	 * ports from the process and the library's connection, so that
	 * connections stay apart.
	 */
	if (is_zero(ends[0], 16) && is_zero(ends[1], 16) && !ports[0] && !ports[1]) {
		static const __u8 v4[12] = { [10] = 0xff, [11] = 0xff };

		memcpy(ends[0], v4, 12);
		memcpy(ends[1], v4, 12);
		ends[0][12] = ends[1][12] = 127;
		ends[0][15] = 2;
		ends[1][15] = 3;
		ports[0] = (__u16)(10000 + (h->pid * 31u + id) % 50000);
		ports[1] = (__u16)(10000 + (h->pid * 37u + (id >> 4)) % 50000);
	}
	/* ends in order: the lower (address, port) first */
	i = memcmp(ends[0], ends[1], 16);
	rev = i > 0 || (!i && ports[0] > ports[1]);
	if (rev) {
		__u8 a[16];
		__u16 t = ports[0];

		memcpy(a, ends[0], 16);
		memcpy(ends[0], ends[1], 16);
		memcpy(ends[1], a, 16);
		ports[0] = ports[1];
		ports[1] = t;
	}
	/* local is end rev; a write flows from it, a read towards it */
	flow = sent ? rev : !rev;
	who = sent ? 0 : 1;
	ts = h->ts_ns + clock_offset;
	c = conn_of(p, ends, ports, &first);
	if (first)
		handshake(p, c, ts, flow);
	/* the event covers [start, end) of this observer's view of the flow */
	start = c->seen[flow][who];
	c->seen[flow][who] = start + ct.total;
	end = start + ct.len;
	if (end > c->written[flow]) {
		const __u8 *payload = ev + e->size;
		size_t n;

		skip = c->written[flow] > start ? c->written[flow] - start : 0;
		snprintf(comment, sizeof(comment), "%s pid %u tid %u comm %.16s %s",
			 d->name, h->pid, h->tid, h->comm, sent ? "write" : "read");
		n = build(p, c, flow, TCP_PSH | TCP_ACK,
			  (__u32)(ISN + 1 + start + skip),
			  (__u32)(ISN + 1 + c->written[!flow]),
			  payload + skip, ct.len - skip);
		put_packet(p, ts, n, comment);
		c->written[flow] = end;
	}
	return p->err ? p->err : 1;
}
