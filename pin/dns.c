// SPDX-License-Identifier: GPL-2.0
/* dns.c: a defensive DNS message parser: header and first question; bad input is an error */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pin.h"

#define DNS_HEADER_LEN	12
#define MAX_LABEL	63
#define MAX_NAME	255	/* wire length, RFC 1035 */

static __u16 get16(const unsigned char *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/*
 * Read the name at @off into @out as dotted text. Compression pointers must
 * point strictly backwards, which bounds the jumps by the message length
 * and rules out loops. @end is set past the name's bytes at @off.
 */
static int read_name(const unsigned char *msg, size_t len, size_t off,
		     char *out, size_t size, size_t *end)
{
	size_t pos = off, wire = 0, n = 0, limit = off;
	bool jumped = false;

	for (;;) {
		unsigned int l;

		if (pos >= len)
			return -EPROTO;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -EPROTO;
			target = (l & 0x3f) << 8 | msg[pos + 1];
			if (target >= limit)	/* forward or to itself: a loop */
				return -EPROTO;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			limit = target;
			pos = target;
			continue;
		}
		if (l & 0xc0)		/* 0x40, 0x80: reserved label types */
			return -EPROTO;
		if (l == 0)
			break;
		if (l > MAX_LABEL || pos + 1 + l > len)
			return -EPROTO;
		wire += l + 1;
		if (wire > MAX_NAME)
			return -EPROTO;
		for (size_t i = 0; i < l; i++) {
			unsigned char c = msg[pos + 1 + i];
			char esc[5];
			int k;

			/* printable, unambiguous bytes as they are; others as \DDD */
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				esc[0] = c;
				k = 1;
			} else {
				k = snprintf(esc, sizeof(esc), "\\%03u", c);
			}
			if (n + k + 2 > size)
				return -EPROTO;
			memcpy(out + n, esc, k);
			n += k;
		}
		out[n++] = '.';
		pos += 1 + l;
	}
	if (!jumped)
		*end = pos + 1;
	if (n == 0)
		out[n++] = '.';		/* the root */
	else if (n > 1)
		n--;			/* no trailing dot */
	out[n] = '\0';
	return 0;
}

int pin_dns_parse(const void *data, size_t len, struct pin_dns_msg *m)
{
	const unsigned char *msg = data;
	size_t end = 0;
	__u16 flags;
	int err;

	memset(m, 0, sizeof(*m));
	if (len < DNS_HEADER_LEN)
		return -EPROTO;
	m->id = get16(msg);
	flags = get16(msg + 2);
	m->response = flags >> 15;
	m->opcode = (flags >> 11) & 0xf;
	m->rcode = flags & 0xf;
	m->qdcount = get16(msg + 4);
	m->ancount = get16(msg + 6);
	if (m->qdcount == 0)
		return 0;
	err = read_name(msg, len, DNS_HEADER_LEN, m->qname, sizeof(m->qname), &end);
	if (err)
		return err;
	if (end + 4 > len)
		return -EPROTO;
	m->qtype = get16(msg + end);
	m->qclass = get16(msg + end + 2);
	return 0;
}
