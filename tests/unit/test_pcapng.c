// SPDX-License-Identifier: GPL-2.0
/* test_pcapng.c: the pcapng writer: blocks, synthesized segments, order, dedup, gaps, checksums */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "pin.h"
#include "tls.h"
#include "tap.h"

static struct pin_pcapng *p;
static char *buf;
static size_t len;
static FILE *f;

/* An event as tls.bpf.c sends it: struct tls_event, then the data. */
static int event(__u32 pid, __u32 dir, const char *local, __u16 lport,
		 const char *remote, __u16 rport, __u64 ts, const char *data,
		 __u32 total)
{
	__u8 ev[sizeof(struct tls_event) + 256] = { 0 };
	struct tls_event *e = (struct tls_event *)ev;
	__u32 n = strlen(data);

	e->hdr.type = TLS_EV_DATA;
	e->hdr.pid = pid;
	e->hdr.tid = pid;
	e->hdr.ts_ns = ts;
	strcpy(e->hdr.comm, "client");
	e->local[10] = e->local[11] = e->remote[10] = e->remote[11] = 0xff;
	inet_pton(AF_INET, local, e->local + 12);
	inet_pton(AF_INET, remote, e->remote + 12);
	e->local_port = lport;
	e->remote_port = rport;
	e->direction = dir;
	e->content.len = n;
	e->content.total = total ? total : n;
	memcpy(ev + sizeof(*e), data, n);
	return pin_pcapng__event(p, &tls_module, ev, sizeof(*e) + n, 1000);
}

/* The packets written: each EPB's timestamp, packet and comment. */
struct pkt {
	__u64 ts;
	const __u8 *ip;
	__u32 len;
	char comment[200];
};

static int blocks(struct pkt *pk, int max, int *nidb, int *nshb)
{
	size_t off = 0;
	int n = 0;

	*nidb = *nshb = 0;
	while (off + 12 <= len) {
		__u32 type, blen;

		memcpy(&type, buf + off, 4);
		memcpy(&blen, buf + off + 4, 4);
		if (blen < 12 || off + blen > len ||
		    memcmp(buf + off + 4, buf + off + blen - 4, 4))
			return -1;
		if (type == 0x0A0D0D0A)
			(*nshb)++;
		if (type == 1)
			(*nidb)++;
		if (type == 6 && n < max) {
			__u32 hi, lo, cap, olen;
			const char *o;

			memcpy(&hi, buf + off + 12, 4);
			memcpy(&lo, buf + off + 16, 4);
			memcpy(&cap, buf + off + 20, 4);
			memcpy(&olen, buf + off + 24, 4);
			pk[n].ts = (__u64)hi << 32 | lo;
			pk[n].ip = (const __u8 *)buf + off + 28;
			pk[n].len = cap;
			pk[n].comment[0] = '\0';
			o = buf + off + 28 + ((cap + 3) & ~3u);
			if (o + 4 <= buf + off + blen - 4) {
				__u16 code, ol;

				memcpy(&code, o, 2);
				memcpy(&ol, o + 2, 2);
				if (code == 1 && ol < sizeof(pk[n].comment))
					memcpy(pk[n].comment, o + 4, ol), pk[n].comment[ol] = '\0';
			}
			n++;
		}
		off += blen;
	}
	return off == len ? n : -1;
}

static __u32 be32(const __u8 *b)
{
	return (__u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static __u16 be16(const __u8 *b)
{
	return b[0] << 8 | b[1];
}

/* ones' complement sum over @n bytes: 0xffff when a checksum is right */
static __u16 sum16(const __u8 *b, size_t n, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += be16(b + i);
	if (n & 1)
		sum += b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static bool tcp_sum_ok(const struct pkt *k)
{
	__u32 tl = k->len - 20, sum = 0;
	__u8 ph[12];

	memcpy(ph, k->ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = tl >> 8;
	ph[11] = tl & 0xff;
	sum = sum16(ph, 12, 0);
	return sum16(k->ip + 20, tl, sum) == 0xffff;
}

#define SPORT(k) be16((k).ip + 20)
#define DPORT(k) be16((k).ip + 22)
#define SEQ(k) be32((k).ip + 24)
#define ACK(k) be32((k).ip + 28)
#define FLAGS(k) ((k).ip[33])
#define PAYLOAD(k) ((const char *)(k).ip + 40)
#define PLEN(k) ((k).len - 40)

int main(void)
{
	struct pkt pk[32];
	int n, nidb, nshb, i, r;
	bool sums = true;

	f = open_memstream(&buf, &len);
	p = pin_pcapng__new(f, "test_pcapng");
	ok(p != NULL, "a writer on a memory stream");
	ok(pin_pcapng_supported(&tls_module), "the tls module's events can be written");

	/* client 10.0.0.1:40000 talks to 10.0.0.2:443; both ends captured */
	r = event(10, TLS_DIR_WRITE, "10.0.0.1", 40000, "10.0.0.2", 443, 5000,
		 "GET / HTTP/1.0\r\n\r\n", 0);
	ok(r == 1, "client write: written");
	r = event(20, TLS_DIR_READ, "10.0.0.2", 443, "10.0.0.1", 40000, 6000,
		 "GET / HTTP/1.0\r\n\r\n", 0);
	ok(r == 1, "server read of the same bytes: accepted");
	r = event(20, TLS_DIR_WRITE, "10.0.0.2", 443, "10.0.0.1", 40000, 7000,
		 "HTTP/1.0 200 OK\r\n", 0);
	ok(r == 1, "server write");
	/* the client reads the response in two pieces, the first seen twice */
	r = event(10, TLS_DIR_READ, "10.0.0.1", 40000, "10.0.0.2", 443, 8000,
		 "HTTP/1.0 200 OK\r\n", 0);
	ok(r == 1, "client read of the response");
	/* the server's next write: 4 bytes captured of 10 (tls.capture_bytes) */
	r = event(20, TLS_DIR_WRITE, "10.0.0.2", 443, "10.0.0.1", 40000, 9000,
		 "abcd", 10);
	ok(r == 1, "server write, truncated");
	r = event(20, TLS_DIR_WRITE, "10.0.0.2", 443, "10.0.0.1", 40000, 9500,
		 "end", 0);
	ok(r == 1, "server write after the gap");
	ok(pin_pcapng__flush(p) == 0, "flushed");
	/* PCAPNG_OUT=FILE keeps the file, for a look with tshark */
	if (getenv("PCAPNG_OUT")) {
		FILE *out = fopen(getenv("PCAPNG_OUT"), "w");

		if (out) {
			fwrite(buf, 1, len, out);
			fclose(out);
		}
	}
	n = blocks(pk, 32, &nidb, &nshb);
	ok(n == 7 && nshb == 1 && nidb == 1,
	   "one section, one interface, 7 packets (3 of handshake, 4 of data): %d", n);
	ok(pin_pcapng__packets(p) == 7, "the writer counted 7 packets");
	if (n != 7)
		return tap_done();
	ok(FLAGS(pk[0]) == 0x02 && SPORT(pk[0]) == 40000 && DPORT(pk[0]) == 443,
	   "SYN from the higher port (the client)");
	ok(FLAGS(pk[1]) == 0x12 && SPORT(pk[1]) == 443 && ACK(pk[1]) == 1, "SYN-ACK");
	ok(FLAGS(pk[2]) == 0x10 && SEQ(pk[2]) == 1 && ACK(pk[2]) == 1, "ACK");
	ok(pk[0].ts == 6000 && pk[3].ts == 6000,
	   "timestamps: the event's plus the clock offset, in ns");
	ok(pk[3].ip[0] == 0x45 && be16(pk[3].ip + 2) == pk[3].len && pk[3].ip[9] == 6 &&
	   !memcmp(pk[3].ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8),
	   "IPv4 header: length, TCP, 10.0.0.1 -> 10.0.0.2");
	ok(SEQ(pk[3]) == 1 && ACK(pk[3]) == 1 && PLEN(pk[3]) == 18 &&
	   !memcmp(PAYLOAD(pk[3]), "GET / HTTP/1.0\r\n\r\n", 18) && FLAGS(pk[3]) == 0x18,
	   "the request: seq 1, 18 bytes, PSH|ACK");
	ok(strstr(pk[3].comment, "pid 10") && strstr(pk[3].comment, "write"),
	   "its comment names the process and the call: %s", pk[3].comment);
	ok(SPORT(pk[4]) == 443 && SEQ(pk[4]) == 1 && ACK(pk[4]) == 19 &&
	   PLEN(pk[4]) == 17 && !memcmp(PAYLOAD(pk[4]), "HTTP/1.0 200 OK\r\n", 17),
	   "the response: the server read and the client read were each written once");
	ok(SEQ(pk[5]) == 18 && PLEN(pk[5]) == 4 && !memcmp(PAYLOAD(pk[5]), "abcd", 4),
	   "a truncated write: the bytes captured");
	ok(SEQ(pk[6]) == 28 && PLEN(pk[6]) == 3,
	   "the next segment after a gap of the 6 bytes not captured: seq %u", SEQ(pk[6]));
	for (i = 0; i < n; i++) {
		sums &= sum16(pk[i].ip, 20, 0) == 0xffff;
		sums &= tcp_sum_ok(&pk[i]);
	}
	ok(sums, "every IPv4 and TCP checksum is right");

	/* a keys event: a Decryption Secrets Block with its keylog line */
	{
		struct tls_keys_event k = { .hdr.type = TLS_EV_KEYS };
		const char *want = "CLIENT_TRAFFIC_SECRET_0 "
			"0001020304050607080910111213141516171819202122232425262728293031 "
			"ff000000000000000000000000000000000000000000000000000000000000ee\n";
		size_t before = len, wl = strlen(want);
		__u32 type, total, stype, slen;

		k.secret.label = BPFPIN_KEYLOG_CLIENT_TRAFFIC_0;
		k.secret.len = 32;
		for (i = 0; i < 32; i++)
			k.secret.client_random[i] = (i / 10) << 4 | i % 10;
		k.secret.secret[0] = 0xff;
		k.secret.secret[31] = 0xee;
		k.secret.secret[32] = 0x77;	/* past len: not written */
		r = pin_pcapng__event(p, &tls_module, &k, sizeof(k), 0);
		ok(r == 1, "a keys event: written");
		pin_pcapng__flush(p);
		memcpy(&type, buf + before, 4);
		memcpy(&total, buf + before + 4, 4);
		memcpy(&stype, buf + before + 8, 4);
		memcpy(&slen, buf + before + 12, 4);
		ok(type == 0x0A && stype == 0x544c534b && slen == wl &&
		   total == 20 + ((wl + 3) & ~3u) && len == before + total &&
		   !memcmp(buf + before + 16, want, wl),
		   "a DSB of type TLSK holding the SSLKEYLOGFILE line");
	}

	/* malformed: content longer than the event */
	{
		__u8 ev[sizeof(struct tls_event)] = { 0 };
		struct tls_event *e = (struct tls_event *)ev;

		e->hdr.type = TLS_EV_DATA;
		e->content.len = 5;
		e->content.total = 5;
		r = pin_pcapng__event(p, &tls_module, ev, sizeof(ev), 0);
		ok(r == -EPROTO, "content past the event's end: -EPROTO");
		e->hdr.type = 99;
		r = pin_pcapng__event(p, &tls_module, ev, sizeof(ev), 0);
		ok(r == -EPROTO, "an unknown type: -EPROTO");
		r = pin_pcapng__event(p, &tls_module, ev, 10, 0);
		ok(r == -EPROTO, "shorter than a header: -EPROTO");
	}
	pin_pcapng__free(p);
	fclose(f);
	free(buf);
	return tap_done();
}
