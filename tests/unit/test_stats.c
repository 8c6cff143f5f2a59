// SPDX-License-Identifier: GPL-2.0
/* test_stats.c: stats rows grouped, merged, cut and written; fields and columns */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "records.h"
#include "tap.h"

/* cgroup ids no cgroup has: they print as cgroup:<id> */
#define CG1 900000000001ull
#define CG2 900000000002ull

struct key {
	__u32 pid;
	char comm[8];
	__u32 pad;
	__u64 cgroup_id;
};

struct val {
	__u64 calls;
	__u64 peak;
	struct bpfpin_hist lat;
};

static const struct pin_field keys[] = {
	PIN_KEY(struct key, pid, PIN_T_U32, PIN_V_PLAIN, NULL),
	PIN_KEY(struct key, comm, PIN_T_STR, PIN_V_PLAIN, NULL),
	PIN_LABELLED(struct key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup", NULL),
};

static const struct pin_field values[] = {
	PIN_COUNTER(struct val, calls, "Calls."),
	PIN_GAUGE_MAX(struct val, peak, PIN_V_PLAIN, "Peak."),
	PIN_HIST(struct val, lat, "Latency."),
};

static const struct pin_map_desc maps[] = {
	{ .name = "stats", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct key), .value_size = sizeof(struct val),
	  .keys = keys, .nkeys = PIN_LEN(keys),
	  .values = values, .nvalues = PIN_LEN(values) },
	/* keyed by comm alone: --by pid writes it whole */
	{ .name = "bycomm", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct key), .value_size = sizeof(struct val),
	  .keys = &keys[1], .nkeys = 1,
	  .values = values, .nvalues = PIN_LEN(values) },
};

static const struct pin_module_desc mdesc = {
	.name = "t", .maps = maps, .nmaps = PIN_LEN(maps),
};

static const struct pin_module mod = { .desc = &mdesc };

static void add(struct pin_rows *rows, __u32 pid, const char *comm, __u64 cg,
		__u64 calls, __u64 peak, int slot)
{
	struct key *k;
	struct val *v;

	rows->keys = realloc(rows->keys, (rows->n + 1) * sizeof(*k));
	rows->values = realloc(rows->values, (rows->n + 1) * sizeof(*v));
	k = (struct key *)rows->keys + rows->n;
	v = (struct val *)rows->values + rows->n;
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->pid = pid;
	snprintf(k->comm, sizeof(k->comm), "%s", comm);
	k->cgroup_id = cg;
	v->calls = calls;
	v->peak = peak;
	v->lat.sum_ns = calls * 10000;
	v->lat.slots[slot] = calls;
	rows->n++;
}

/* Two halves of one map: pid 10 in both, pid 20 and pid 11 in one. */
static void halves(struct pin_rows *rows, const struct pin_map_desc *d)
{
	pin_rows_init(rows, d);
	add(rows, 20, "b", CG2, 5, 2, 0);
	add(rows, 10, "a", CG1, 3, 7, 1);
	add(rows, 11, "a", CG2, 1, 1, 0);
	add(rows, 10, "a", CG1, 4, 9, 3);	/* the other half */
}

static char *out;
static char msg[256];

static void keep_msg(enum pin_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	vsnprintf(msg, sizeof(msg), fmt, ap);
}

/* The steps of pin_stats_write_rows(), at time 0 for exact JSON. */
static int steps(struct pin_writer *w, const struct pin_rows *rows,
		 enum pin_group_by by, int top)
{
	static struct pin_fill_ctx ctx;
	const struct pin_field *key;
	struct pin_stat_table t;
	enum pin_group_by eff;
	int err;

	err = pin_stats_grouping(&mod, &maps[0], by, &key, &eff);
	if (err)
		return err;
	err = pin_stat_table__init(&t, &maps[0], rows);
	if (!err && eff != PIN_BY_NONE)
		err = pin_stat_table__group(&t, eff, key, &ctx.cg);
	if (!err) {
		pin_stat_table__sort(&t);
		pin_stat_table__merge(&t);
		pin_stat_table__top(&t, top);
		err = pin_stat_table__write(&t, w, &mod, eff, key, 0, &ctx);
	}
	pin_stat_table__free(&t);
	return err;
}

/*
 * The halves of map @d written by the steps as JSON (@d is maps[0]), or
 * by pin_stats_write_rows() as a table, which has no time column.
 */
static const char *render(const struct pin_map_desc *d, enum pin_group_by by,
			  int top, bool by_steps)
{
	struct pin_stat_opts o = { .by = by, .top = top };
	struct pin_writer *w;
	struct pin_rows rows;
	size_t len;
	FILE *f;
	int err;

	free(out);
	f = open_memstream(&out, &len);
	w = pin_writer__new(f, by_steps ? PIN_FMT_JSON : PIN_FMT_TABLE);
	halves(&rows, d);
	if (by_steps)
		err = steps(w, &rows, by, top);
	else
		err = pin_stats_write_rows(w, &mod, d, &rows, &o);
	pin_rows_free(&rows);
	pin_writer__free(w);
	fclose(f);
	return err ? "(failed)" : out;
}

#define T0 "\"module\":\"t\",\"type\":\"stats\",\"time\":\"1970-01-01T00:00:00.000000000Z\",\"ts_ns\":0,"
/* @s in us: sum_ns is @s followed by three zeros */
#define HIST(n, s, b) "{\"unit\":\"us\",\"count\":" #n ",\"sum\":" #s ",\"sum_ns\":" #s "000,\"buckets\":[" b "]}"
/* table lines: rows of comm 'a' (pids 10 and 11 merged) and 'b' */
#define HEAD "COMM  CALLS  PEAK           LAT\n"
#define ROW_A "a         8     9  8 avg 10.0us\n"
#define ROW_B "b         5     2  5 avg 10.0us\n"
#define HIST_B								\
	"lat comm=b\n"							\
	"               usecs : count      distribution\n"		\
	"              0 -> 1 : 5          |****************************************|\n"
#define HIST_A								\
	"lat comm=a\n"							\
	"               usecs : count      distribution\n"		\
	"              0 -> 1 : 1          |**********                              |\n" \
	"              2 -> 2 : 3          |******************************          |\n" \
	"              3 -> 4 : 0          |                                        |\n" \
	"              5 -> 8 : 4          |****************************************|\n"
#define LE(le, c) "{\"le\":" #le ",\"count\":" #c "}"
/* JSON rows: the key columns of cgroup CG<n>, values, whole rows by pid */
#define CGROUP(n) "\"cgroup_id\":90000000000" n ",\"cgroup\":\"cgroup:90000000000" n "\",\"container\":null,"
#define V10 "\"calls\":7,\"peak\":9,\"lat\":" HIST(7, 70, LE(1, 0) "," LE(2, 3) "," LE(4, 0) "," LE(8, 4))
#define V20 "\"calls\":5,\"peak\":2,\"lat\":" HIST(5, 50, LE(1, 5))
#define J10 "{" T0 "\"pid\":10,\"comm\":\"a\"," CGROUP("1") V10 "}\n"
#define J11 "{" T0 "\"pid\":11,\"comm\":\"a\"," CGROUP("2") "\"calls\":1,\"peak\":1,\"lat\":" HIST(1, 10, LE(1, 1)) "}\n"
#define J20 "{" T0 "\"pid\":20,\"comm\":\"b\"," CGROUP("2") V20 "}\n"

static void test_stats(void)
{
	static const struct pin_module_desc one_desc = {
		.name = "u", .maps = &maps[1], .nmaps = 1,
	};
	static const struct pin_module one = { .desc = &one_desc };
	const struct pin_field *key;
	enum pin_group_by eff;
	int err;

	is_str(render(&maps[0], PIN_BY_NONE, 0, true), J10 J11 J20,
	       "one key in both halves merges: calls sum, peak max, histogram by slot");
	is_str(render(&maps[0], PIN_BY_COMM, 0, true),
	       "{" T0 "\"comm\":\"a\",\"calls\":8,\"peak\":9,\"lat\":"
	       HIST(8, 80, LE(1, 1) "," LE(2, 3) "," LE(4, 0) "," LE(8, 4)) "}\n"
	       "{" T0 "\"comm\":\"b\"," V20 "}\n",
	       "--by comm: pids 10 and 11 of 'a' are one row");
	is_str(render(&maps[0], PIN_BY_CGROUP, 0, true),
	       "{" T0 CGROUP("1") V10 "}\n"
	       "{" T0 CGROUP("2") "\"calls\":6,\"peak\":2,\"lat\":" HIST(6, 60, LE(1, 6)) "}\n",
	       "--by cgroup: a cgroup that does not resolve is cgroup:<id>");
	is_str(render(&maps[0], PIN_BY_CONTAINER, 0, true),
	       "{" T0 "\"container\":null,\"calls\":13,\"peak\":9,\"lat\":"
	       HIST(13, 130, LE(1, 6) "," LE(2, 3) "," LE(4, 0) "," LE(8, 4)) "}\n",
	       "--by container: rows outside containers are one row, container null");
	is_str(render(&maps[0], PIN_BY_NONE, 2, true), J10 J20,
	       "--top 2: the two rows with most calls, most first, after merging");

	is_str(render(&maps[0], PIN_BY_COMM, 1, false),
	       "t stats\n" HEAD ROW_A "\n" HIST_A,
	       "pin_stats_write_rows --by comm --top 1: a table of 'a' alone");
	is_str(render(&maps[1], PIN_BY_PID, 0, false),
	       "t bycomm\n" HEAD ROW_A ROW_B "\n" HIST_A "\n" HIST_B,
	       "--by pid on a map without pid, when another map has one: written whole");
	pin_set_print(keep_msg);
	err = pin_stats_grouping(&one, &maps[1], PIN_BY_PID, &key, &eff);
	pin_set_print(NULL);
	ok(err == -PIN_EUSAGE, "--by pid when no map has a pid: a usage error");
	is_str(msg, "map 'u/bycomm' has no key to group by pid (try 'bpfpin --help')",
	       "and one message");
}

static void test_fields(void)
{
	static const struct pin_field s32 = { .offset = 4, .size = 4, .type = PIN_T_S32 };
	static const struct pin_field u32 = { .offset = 4, .size = 4, .type = PIN_T_U32 };
	static const struct pin_field u16 = { .offset = 2, .size = 2, .type = PIN_T_U16 };
	static const struct pin_field u8 = { .offset = 1, .size = 1, .type = PIN_T_U8 };
	static const struct pin_field odd = { .offset = 0, .size = 3 };
	unsigned char b[8];
	__s32 neg = -5;

	memset(b, 0xaa, sizeof(b));
	memcpy(b + 4, &neg, 4);
	ok(pin_field_get(b, &s32) == (__u64)-5ll, "s32 -5 sign-extends");
	ok(pin_field_get(b, &u32) == 0xfffffffbull, "u32 does not");
	ok(pin_field_get(b, &u16) == 0xaaaa && pin_field_get(b, &u8) == 0xaa,
	   "u16, u8");
	ok(pin_field_get(b, &odd) == 0, "a size that is no number reads 0");
	pin_field_put(b, &u16, 0x12345);
	ok(pin_field_get(b, &u16) == 0x2345 && b[1] == 0xaa && b[4] == 0xfb,
	   "put cuts to the field's size and leaves its neighbours");
}

struct cval {
	__u32 n;
	__s32 low;
	__u64 hist[3];
};

static void test_combine(void)
{
	static const struct pin_field f[] = {
		PIN_FIELD(struct cval, n, PIN_T_U32, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_PLAIN, NULL),
		PIN_FIELD(struct cval, low, PIN_T_S32, PIN_ROLE_GAUGE, PIN_AGG_MAX, PIN_V_PLAIN, NULL),
		PIN_FIELD(struct cval, hist, PIN_T_HIST, PIN_ROLE_COUNTER, PIN_AGG_SUM, PIN_V_PLAIN, NULL),
	};
	static const struct pin_map_desc d = {
		.value_size = sizeof(struct cval), .values = f, .nvalues = 3,
	};
	struct cval a = { 0xffffffffu, 3, { 1, 2, 3 } }, b = { 2, 7, { 10, 0, 5 } };
	struct cval zero = {};

	pin_value_combine(&d, &a, &b);
	ok(a.n == 1, "a u32 sum wraps in its 32 bits: %u", a.n);
	ok(a.low == 7, "max keeps the larger");
	ok(a.hist[0] == 11 && a.hist[1] == 2 && a.hist[2] == 8,
	   "a histogram sums slot by slot");
	pin_value_combine(&d, &a, &zero);
	ok(a.n == 1 && a.low == 7 && a.hist[2] == 8, "zero changes nothing");
}

struct ev {
	struct bpfpin_event_hdr h;
	__u64 dst;
	__u8 addr[16];
	struct bpfpin_dns_capture msg;
};

static void put_dns(struct bpfpin_dns_capture *c, const char *name, __u16 type)
{
	unsigned char *p = c->data + 12;
	const char *dot;

	memset(c, 0, sizeof(*c));
	c->data[5] = 1;		/* qdcount */
	while (*name) {
		dot = strchr(name, '.');
		*p = dot ? dot - name : (int)strlen(name);
		memcpy(p + 1, name, *p);
		name += *p + (dot ? 1 : 0);
		p += *p + 1;
	}
	*p++ = 0;
	*p++ = type >> 8;
	*p++ = type & 0xff;
	*p++ = 0;
	*p++ = 1;
	c->len = p - c->data;
}

static void test_columns(void)
{
	static const struct pin_field dns = PIN_FIELD(struct ev, msg, PIN_T_BYTES,
		PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_DNS, NULL);
	static const struct pin_field ip = PIN_FIELD(struct ev, addr, PIN_T_BYTES,
		PIN_ROLE_LABEL, PIN_AGG_SUM, PIN_V_IP, NULL);
	static struct pin_fill_ctx ctx;
	struct pin_colspec spec[PIN_FIELD_MAX_COLS], rev[2];
	struct pin_col cols[PIN_FIELD_MAX_COLS];
	struct pin_val v[2];
	struct ev e = {};
	int n;

	n = pin_col_expand(&dns, false, cols, spec);
	ok(n == 2 && !strcmp(cols[0].name, "qname") && !strcmp(cols[1].name, "qtype"),
	   "a DNS capture is two columns, qname and qtype");
	put_dns(&e.msg, "example.com", 28);
	pin_fill_ctx_row(&ctx);
	pin_col_fill(&ctx, &spec[0], &e, &v[0]);
	pin_col_fill(&ctx, &spec[1], &e, &v[1]);
	ok(!strcmp(v[0].str, "example.com") && !strcmp(v[1].str, "AAAA"),
	   "qname then qtype: %s %s", v[0].str, v[1].str);
	/* the same buffer holds the next message: a new row parses again */
	put_dns(&e.msg, "a.b.org", 99);
	rev[0] = spec[1];
	rev[1] = spec[0];
	pin_fill_ctx_row(&ctx);
	pin_col_fill(&ctx, &rev[0], &e, &v[1]);
	pin_col_fill(&ctx, &rev[1], &e, &v[0]);
	ok(!strcmp(v[0].str, "a.b.org") && !strcmp(v[1].str, "TYPE99"),
	   "qtype then qname, of the next message: %s %s", v[0].str, v[1].str);
	e.msg.len = 14;		/* cut inside the name */
	pin_fill_ctx_row(&ctx);
	pin_col_fill(&ctx, &rev[0], &e, &v[1]);
	pin_col_fill(&ctx, &rev[1], &e, &v[0]);
	ok(v[0].null && v[1].null, "a message cut short: both columns null");

	ok(pin_col_expand(&ip, false, cols, spec) == 1, "an address is one column");
	memcpy(e.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", 16);
	pin_fill_ctx_row(&ctx);
	pin_col_fill(&ctx, &spec[0], &e, &v[0]);
	is_str(v[0].str, "192.0.2.1", "IPv4-mapped prints as IPv4");
	memcpy(e.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	pin_col_fill(&ctx, &spec[0], &e, &v[1]);
	is_str(v[1].str, "2001:db8::1", "IPv6 as IPv6");
	is_str(v[0].str, "192.0.2.1", "a row's earlier strings stay");
}

static void test_event(void)
{
	static const struct pin_field f[] = {
		PIN_LABELLED(struct ev, dst, PIN_T_U64, PIN_V_CGROUP, "dst_cgroup", NULL),
	};
	static const struct pin_event_desc ed[] = {
		{ .type = 1, .name = "move", .size = sizeof(struct ev),
		  .fields = f, .nfields = 1 },
	};
	static const struct pin_module_desc d = {
		.name = "t", .events = ed, .nevents = 1,
	};
	static struct pin_event_row r;
	struct ev e = { .h = { .cgroup_id = CG1, .type = 1, .pid = 7 },
			.dst = CG2 };
	const char *cg = "", *dst = "";
	int i;

	ok(sizeof(r) < 32768, "an event row is small: %zu bytes", sizeof(r));
	ok(pin_event_decode(&d, &e, sizeof(e), 0, &r) == 0, "an event decodes");
	for (i = 0; i < r.n; i++) {
		if (!strcmp(r.cols[i].name, "cgroup"))
			cg = r.vals[i].str;
		if (!strcmp(r.cols[i].name, "dst_cgroup"))
			dst = r.vals[i].str;
	}
	is_str(cg, "cgroup:900000000001", "the event's cgroup keeps its path");
	is_str(dst, "cgroup:900000000002", "and its dst_cgroup its own");
	ok(!r.has_container, "no container");
	e.h.type = 2;
	ok(pin_event_decode(&d, &e, sizeof(e), 0, &r) == -EPROTO,
	   "an unknown type: -EPROTO");
}

int main(void)
{
	test_fields();
	test_combine();
	test_stats();
	test_columns();
	test_event();
	free(out);
	return tap_done();
}
