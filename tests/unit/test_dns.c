// SPDX-License-Identifier: GPL-2.0
/* test_dns.c: the DNS parser on good messages and on every kind of malformed one */
#include <errno.h>

#include "pin.h"
#include "tap.h"

static struct pin_dns_msg m;

/* a header (id 0x1234, flags, qdcount 1), then @name_and_rest */
static int parse(__u16 flags, const char *rest, size_t n)
{
	unsigned char msg[600] = { 0x12, 0x34, flags >> 8, flags & 0xff, 0, 1, 0, 0 };

	memcpy(msg + 12, rest, n);
	return pin_dns_parse(msg, 12 + n, &m);
}

#define PARSE(flags, lit) parse(flags, lit, sizeof(lit) - 1)

int main(void)
{
	unsigned char big[600];
	int i;

	ok(PARSE(0x0100, "\x07" "example" "\x03" "com" "\x00" "\x00\x01" "\x00\x01") == 0 &&
	   m.id == 0x1234 && !m.response && m.qtype == 1 && m.qclass == 1 &&
	   !strcmp(m.qname, "example.com"), "query example.com A: %s", m.qname);
	ok(PARSE(0x8183, "\x03" "nxd" "\x00" "\x00\x1c" "\x00\x01") == 0 &&
	   m.response && m.rcode == 3 && m.qtype == 28, "response, NXDOMAIN, AAAA");
	ok(PARSE(0x0100, "\x00" "\x00\x02" "\x00\x01") == 0 && !strcmp(m.qname, "."),
	   "the root name is '.'");
	ok(PARSE(0x0100, "\x03" "a.b" "\x00" "\x00\x01" "\x00\x01") == 0 &&
	   !strcmp(m.qname, "a\\046b"), "a dot inside a label is escaped: %s", m.qname);
	ok(PARSE(0x0100, "\xc0\x0c" "\x00\x01\x00\x01") == -EPROTO,
	   "a pointer to itself is a loop: refused");
	ok(PARSE(0x0100, "\x03" "foo" "\xc0\x0c" "\x00\x01\x00\x01") == -EPROTO,
	   "a pointer back to its own name start is a loop: refused");
	ok(PARSE(0x0100, "\xc0\x40") == -EPROTO, "a forward pointer: refused");
	ok(PARSE(0x0100, "\x0a" "ab") == -EPROTO, "a label past the end: refused");
	ok(PARSE(0x0100, "\x03" "com" "\x00" "\x00") == -EPROTO,
	   "a question cut before its type: refused");
	ok(PARSE(0x0100, "\x41" "x" "\x00" "\x00\x01\x00\x01") == -EPROTO,
	   "reserved label type 0x40: refused");
	ok(pin_dns_parse("\x12\x34\x01", 3, &m) == -EPROTO, "a truncated header: refused");
	/* five labels of 63 bytes: 320 bytes on the wire, over the 255 limit */
	memset(big, 'a', sizeof(big));
	for (i = 0; i < 5; i++)
		big[i * 64] = 63;
	big[320] = 0;
	big[321] = 0, big[322] = 1, big[323] = 0, big[324] = 1;
	ok(parse(0x0100, (const char *)big, 325) == -EPROTO, "a name over 255 bytes: refused");
	/* four labels of 63: 256 with the root: still over */
	big[256] = 0;
	ok(parse(0x0100, (const char *)big, 261) == -EPROTO, "a 256-byte name: refused");
	big[192] = 0;
	ok(parse(0x0100, (const char *)big, 197) == 0 && strlen(m.qname) == 3 * 63 + 2,
	   "a 193-byte name: accepted");
	ok(pin_dns_parse("\x00\x01\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00", 12, &m) == 0 &&
	   m.qdcount == 0 && m.qname[0] == '\0', "no question: header only");
	return tap_done();
}
