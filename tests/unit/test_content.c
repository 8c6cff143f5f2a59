// SPDX-License-Identifier: GPL-2.0
/* test_content.c: events that carry bytes, decoded and written as text, hex and JSON */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"
#include "tap.h"

/* A module of our own: one event with content, one without. */
struct cap_event {
	struct bpfpin_event_hdr hdr;
	__u32 uid;
	__u32 fd;
	struct bpfpin_content content;
};
_Static_assert(sizeof(struct cap_event) == 64, "data begins at the event's size");

struct plain_event {
	struct bpfpin_event_hdr hdr;
	__u32 code;
	__u32 pad;
};

static const struct pin_field cap_fields[] = {
	PIN_EV(struct cap_event, uid, PIN_T_U32, PIN_V_PLAIN, "user id"),
	PIN_EV(struct cap_event, fd, PIN_T_U32, PIN_V_PLAIN, "file descriptor"),
	PIN_EV(struct cap_event, content, PIN_T_BYTES, PIN_V_CONTENT, "what was read"),
};

static const struct pin_field plain_fields[] = {
	PIN_EV(struct plain_event, code, PIN_T_U32, PIN_V_PLAIN, "a code"),
};

/* The content field, then the size, wrong: data would begin elsewhere. */
static const struct pin_field bad_fields[] = {
	PIN_EV(struct cap_event, uid, PIN_T_U32, PIN_V_PLAIN, "user id"),
	PIN_EV(struct cap_event, fd, PIN_T_U32, PIN_V_CONTENT, "too small"),
};

static const struct pin_event_desc events[] = {
	{ 1, "cap", sizeof(struct cap_event), cap_fields, PIN_LEN(cap_fields) },
	{ 2, "plain", sizeof(struct plain_event), plain_fields, PIN_LEN(plain_fields) },
	{ 3, "bad", sizeof(struct cap_event), bad_fields, PIN_LEN(bad_fields) },
	{ 4, "badsize", sizeof(struct cap_event) + 8, cap_fields, PIN_LEN(cap_fields) },
};

static const struct pin_module_desc mod = {
	.name = "capt",
	.events = events,
	.nevents = PIN_LEN(events),
};

/* 2023-11-14T22:13:20.123456789Z; a cgroup id no cgroup has */
#define TS 1700000000123456789ull
#define CGROUP 0xfffffffffffull
#define HEAD "2023-11-14T22:13:20.123456789Z capt cap pid=42 comm=cat " \
	     "cgroup=cgroup:17592186044415 container=- uid=1000 fd=3 "

static unsigned char ev[sizeof(struct cap_event) + 4096];

static void header(void *buf, __u16 type)
{
	struct bpfpin_event_hdr *h = buf;

	memset(h, 0, sizeof(*h));
	h->ts_ns = TS;
	h->cgroup_id = CGROUP;
	h->pid = 42;
	h->tid = 43;
	h->type = type;
	strcpy(h->comm, "cat");
}

/* A cap event holding @len bytes of @data from a call of @total. Return: its size */
static size_t mk(const void *data, __u32 len, __u32 total)
{
	struct cap_event *e = (void *)ev;

	memset(ev, 0xee, sizeof(ev));	/* what follows the event is not read */
	header(ev, 1);
	e->uid = 1000;
	e->fd = 3;
	e->content.len = len;
	e->content.total = total;
	memcpy(ev + sizeof(*e), data, len);
	return sizeof(*e) + len;
}

static struct pin_event_row row;

/* The event at ev as @fmt writes it; "EPROTO" when it does not decode. */
static const char *render(enum pin_format fmt, size_t size)
{
	static char *buf;
	struct pin_writer *w;
	size_t len;
	FILE *f;
	int err;

	free(buf);
	buf = NULL;
	err = pin_event_decode(&mod, ev, size, 0, &row);
	if (err)
		return err == -EPROTO ? "EPROTO" : "other error";
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, fmt);
	err = pin_writer__record(w, row.cols, row.vals, row.n);
	pin_writer__free(w);
	fclose(f);
	return err ? "write error" : buf;
}

static const struct pin_val *col(const char *name)
{
	int i;

	for (i = 0; i < row.n; i++)
		if (!strcmp(row.cols[i].name, name))
			return &row.vals[i];
	return NULL;
}

static void test_decode(void)
{
	const struct pin_val *v;
	size_t size;

	size = mk("hello", 5, 5);
	ok(pin_event_decode(&mod, ev, size, 0, &row) == 0, "decode: content event");
	v = col("data");
	ok(v && v->data == ev + 64 && v->len == 5, "decode: data points at the bytes after the header");
	ok(v && row.cols[v - row.vals].type == PIN_COL_DATA, "decode: data is a PIN_COL_DATA column");
	ok(col("len") && col("len")->u == 5, "decode: len");
	ok(col("total") && col("total")->u == 5, "decode: total");
	ok(col("truncated") && col("truncated")->u == 0, "decode: nothing truncated");

	size = mk("abc", 3, 4096);
	ok(pin_event_decode(&mod, ev, size, 0, &row) == 0, "decode: truncated content");
	ok(col("truncated") && col("truncated")->u == 4093, "decode: truncated = total - len");
	ok(col("data") && col("data")->len == 3, "decode: data is what was captured");

	ok(pin_event_decode(&mod, ev, mk("", 0, 0), 0, &row) == 0 &&
	   col("data") && col("data")->len == 0, "decode: empty content");
	ok(pin_event_decode(&mod, ev, mk("hello", 5, 5) + 8, 0, &row) == 0 &&
	   col("data")->len == 5, "decode: bytes past len are not data");

	size = mk("hello", 5, 5);
	ok(pin_event_decode(&mod, ev, size - 1, 0, &row) == -EPROTO,
	   "decode: len bytes the event does not hold: EPROTO");
	ok(pin_event_decode(&mod, ev, 64, 0, &row) == -EPROTO,
	   "decode: no data at all for len 5: EPROTO");
	ok(pin_event_decode(&mod, ev, 63, 0, &row) == -EPROTO,
	   "decode: content header cut: EPROTO");
	((struct cap_event *)ev)->content.len = 0xffffffff;
	ok(pin_event_decode(&mod, ev, size, 0, &row) == -EPROTO,
	   "decode: len 2^32-1 (no overflow): EPROTO");
	size = mk("hello", 5, 4);
	ok(pin_event_decode(&mod, ev, size, 0, &row) == -EPROTO,
	   "decode: more captured than the call carried: EPROTO");

	size = mk("hello", 5, 5);
	((struct cap_event *)ev)->hdr.type = 3;
	ok(pin_event_decode(&mod, ev, size, 0, &row) == -EPROTO,
	   "decode: a content field of the wrong size: EPROTO");
	((struct cap_event *)ev)->hdr.type = 4;
	ok(pin_event_decode(&mod, ev, size + 8, 0, &row) == -EPROTO,
	   "decode: a description whose size is not where data begins: EPROTO");
	((struct cap_event *)ev)->hdr.type = 9;
	ok(pin_event_decode(&mod, ev, size, 0, &row) == -EPROTO, "decode: unknown type: EPROTO");
}

static void test_text(void)
{
	static const char mixed[] =
		"a\\b\tc\r\nd\0\x1b\x7f\xc2\x85" "caf\xc3\xa9 \xe6\x97\xa5 \xff\xe6\x97";

	is_str(render(PIN_FMT_TABLE, mk("ls -la", 6, 6)),
	       HEAD "len=6 total=6 truncated=0\nls -la\n",
	       "text: header line, then the data and a newline");
	is_str(render(PIN_FMT_TABLE, mk(mixed, sizeof(mixed) - 1, 100)),
	       HEAD "len=26 total=100 truncated=74\n"
	       "a\\\\b\\tc\\r\\n\nd\\x00\\x1b\\x7f\\xc2\\x85caf\xc3\xa9 \xe6\x97\xa5 \\xff\\xe6\\x97\n",
	       "text: backslash, tab, CR, LF escaped (LF then a line break), controls, C1 "
	       "and bad bytes as \\xNN, UTF-8 kept, a cut sequence escaped");
	/* "ls #<RLO>txt.exe" would show as "ls #exe.txt" */
	is_str(render(PIN_FMT_TABLE, mk("ls #\xe2\x80\xaetxt\xe2\x80\xa8", 13, 13)),
	       HEAD "len=13 total=13 truncated=0\nls #\\xe2\\x80\\xaetxt\\xe2\\x80\\xa8\n",
	       "text: bidi controls and U+2028 escaped");
	is_str(render(PIN_FMT_TABLE, mk("ls\n", 3, 3)),
	       HEAD "len=3 total=3 truncated=0\nls\\n\n",
	       "text: a final LF is escaped, and no empty line follows");
	is_str(render(PIN_FMT_TABLE, mk("\n\n", 2, 2)),
	       HEAD "len=2 total=2 truncated=0\n\\n\n\\n\n",
	       "text: each LF on its line");
	is_str(render(PIN_FMT_TABLE, mk("", 0, 0)),
	       HEAD "len=0 total=0 truncated=0\n\n",
	       "text: empty data is an empty line");
}

static void test_hex(void)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x80\xff";
	static const unsigned char zeros[40];

	/* each checked against `hexdump -C` of the same bytes */
	is_str(render(PIN_FMT_HEX, mk(http, sizeof(http) - 1, sizeof(http) - 1)),
	       HEAD "len=29 total=29 truncated=0\n"
	       "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|\n"
	       "00000010  48 6f 73 74 3a 20 78 0d  0a 0d 0a 80 ff           |Host: x......|\n"
	       "0000001d\n",
	       "hex: header line, then hexdump -C");
	is_str(render(PIN_FMT_HEX, mk(zeros, 40, 40)),
	       HEAD "len=40 total=40 truncated=0\n"
	       "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	       "*\n"
	       "00000020  00 00 00 00 00 00 00 00                           |........|\n"
	       "00000028\n",
	       "hex: repeated lines as one *, as hexdump -C");
	is_str(render(PIN_FMT_HEX, mk("0123456789abcdef", 16, 16)),
	       HEAD "len=16 total=16 truncated=0\n"
	       "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
	       "00000010\n",
	       "hex: exactly one line");
	is_str(render(PIN_FMT_HEX, mk("", 0, 9)),
	       HEAD "len=0 total=9 truncated=9\n",
	       "hex: empty data, nothing below the header (as hexdump -C)");
}

#define JHEAD "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"module\":\"capt\"," \
	      "\"type\":\"cap\",\"ts_ns\":1700000000123456789,\"pid\":42,\"tid\":43," \
	      "\"comm\":\"cat\",\"cgroup_id\":17592186044415," \
	      "\"cgroup\":\"cgroup:17592186044415\",\"container\":null," \
	      "\"uid\":1000,\"fd\":3,"

static void test_json(void)
{
	static const char ctl[] = "say \"hi\"\\\n\t\0\x1b\xc2\x85 \xe6\x97\xa5\xf4\x8f\xbf\xbf";
	static const struct { const char *in; size_t len; const char *b64; } bin[] = {
		{ "\xff", 1, "/w==" },
		{ "\xc0\xaf", 2, "wK8=" },			/* overlong '/' */
		{ "\xed\xa0\x80", 3, "7aCA" },			/* a surrogate */
		{ "\xf4\x90\x80\x80", 4, "9JCAgA==" },		/* past U+10FFFF */
		{ "ab\xe6\x97", 4, "YWLmlw==" },		/* cut at the end */
		{ "\x00\x01\x02\xfd\xfe", 5, "AAEC/f4=" },
	};
	char want[512];
	size_t i;

	is_str(render(PIN_FMT_JSON, mk("ls -la", 6, 6)),
	       JHEAD "\"len\":6,\"total\":6,\"truncated\":0,\"data\":\"ls -la\"}\n",
	       "json: UTF-8 content as the string data");
	is_str(render(PIN_FMT_JSON, mk(ctl, sizeof(ctl) - 1, 4096)),
	       JHEAD "\"len\":23,\"total\":4096,\"truncated\":4073,"
	       "\"data\":\"say \\\"hi\\\"\\\\\\u000a\\u0009\\u0000\\u001b\\u0085 \xe6\x97\xa5\xf4\x8f\xbf\xbf\"}\n",
	       "json: quotes, backslash, controls (NUL, C1) escaped; UTF-8 up to U+10FFFF kept");
	is_str(render(PIN_FMT_JSON, mk("a\xe2\x80\xae" "b\xe2\x81\xa6", 8, 8)),
	       JHEAD "\"len\":8,\"total\":8,\"truncated\":0,\"data\":\"a\\u202eb\\u2066\"}\n",
	       "json: bidi controls escaped");
	is_str(render(PIN_FMT_JSON, mk("", 0, 0)),
	       JHEAD "\"len\":0,\"total\":0,\"truncated\":0,\"data\":\"\"}\n",
	       "json: empty content is an empty string");
	for (i = 0; i < PIN_LEN(bin); i++) {
		snprintf(want, sizeof(want), JHEAD "\"len\":%zu,\"total\":%zu,"
			 "\"truncated\":0,\"data_b64\":\"%s\"}\n", bin[i].len,
			 bin[i].len, bin[i].b64);
		is_str(render(PIN_FMT_JSON, mk(bin[i].in, bin[i].len, bin[i].len)),
		       want, "json: invalid UTF-8 %zu as data_b64 (RFC 4648)", i);
	}
}

/* Events without content print as they always did, hex the same as text. */
static void test_plain(void)
{
	struct plain_event *p = (void *)ev;

	memset(ev, 0, sizeof(ev));
	header(ev, 2);
	p->code = 7;
	is_str(render(PIN_FMT_TABLE, sizeof(*p)),
	       "2023-11-14T22:13:20.123456789Z capt plain pid=42 comm=cat "
	       "cgroup=cgroup:17592186044415 container=- code=7\n",
	       "plain event: one text line");
	is_str(render(PIN_FMT_HEX, sizeof(*p)),
	       "2023-11-14T22:13:20.123456789Z capt plain pid=42 comm=cat "
	       "cgroup=cgroup:17592186044415 container=- code=7\n",
	       "plain event: hex is text");
	is_str(render(PIN_FMT_JSON, sizeof(*p)),
	       "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"module\":\"capt\","
	       "\"type\":\"plain\",\"ts_ns\":1700000000123456789,\"pid\":42,\"tid\":43,"
	       "\"comm\":\"cat\",\"cgroup_id\":17592186044415,"
	       "\"cgroup\":\"cgroup:17592186044415\",\"container\":null,\"code\":7}\n",
	       "plain event: json as before");
	ok(!col("data"), "plain event: no data column");
}

/* A hex writer given a stats set writes the table. */
static void test_hex_table(void)
{
	static const struct pin_col cols[] = {
		{ "comm", PIN_COL_STR },
		{ "n", PIN_COL_U64, PIN_ROLE_COUNTER },
	};
	struct pin_val vals[2] = { { .str = "cat" }, { .u = 5 } };
	enum pin_format fmt;
	struct pin_writer *w;
	char *buf = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, PIN_FMT_HEX);
	pin_writer__begin(w, "t", "t", cols, PIN_LEN(cols));
	pin_writer__row(w, vals);
	pin_writer__end(w);
	pin_writer__free(w);
	fclose(f);
	is_str(buf, "t\nCOMM  N\ncat   5\n", "hex writer: a stats set is the table");
	free(buf);

	ok(!pin_event_format_parse("text", &fmt) && fmt == PIN_FMT_TABLE, "events: text");
	ok(!pin_event_format_parse("hex", &fmt) && fmt == PIN_FMT_HEX, "events: hex");
	ok(!pin_event_format_parse("json", &fmt) && fmt == PIN_FMT_JSON, "events: json");
	ok(pin_event_format_parse("prom", &fmt) == -EINVAL, "events: no prom");
	ok(pin_event_format_parse("pcap", &fmt) == -EINVAL, "events: unknown format refused");
	ok(pin_format_parse("hex", &fmt) == -EINVAL, "stats: no hex");
}

/* A data column with no value (a writer's caller may have none) */
static const char *render_null(enum pin_format fmt)
{
	static const struct pin_col cols[] = {
		{ "comm", PIN_COL_STR },
		{ "data", PIN_COL_DATA, .flags = PIN_COL_NO_PROM },
	};
	struct pin_val vals[2] = { { .str = "cat" }, { .null = true } };
	static char *buf;
	struct pin_writer *w;
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, fmt);
	pin_writer__record(w, cols, vals, PIN_LEN(cols));
	pin_writer__free(w);
	fclose(f);
	return buf;
}

static void test_null(void)
{
	is_str(render_null(PIN_FMT_JSON), "{\"comm\":\"cat\",\"data\":null}\n",
	       "json: no data is null, under its own name");
	is_str(render_null(PIN_FMT_TABLE), "comm=cat\n", "text: no data, no block");
	is_str(render_null(PIN_FMT_HEX), "comm=cat\n", "hex: no data, no block");
}

int main(void)
{
	test_decode();
	test_text();
	test_hex();
	test_json();
	test_plain();
	test_hex_table();
	test_null();
	return tap_done();
}
