// SPDX-License-Identifier: GPL-2.0
/* test_out.c: the three output formats, checked against exact strings */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "pin.h"
#include "tap.h"

static const struct pin_col cols[] = {
	{ "module", PIN_COL_STR, .flags = PIN_COL_NO_TABLE | PIN_COL_NO_PROM },
	{ "cgroup", PIN_COL_STR },
	{ "container", PIN_COL_STR, .view = PIN_V_CONTAINER },
	{ "execs", PIN_COL_U64, PIN_ROLE_COUNTER, .help = "Execs." },
	{ "rqueue_max", PIN_COL_U64, PIN_ROLE_GAUGE, PIN_V_BYTES, .help = "Max queue." },
};

static const char *ctr =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Render two rows in @fmt and return the text (static buffer). */
static const char *render(enum pin_format fmt)
{
	static char *buf;
	size_t len;
	FILE *f;
	struct pin_writer *w;
	struct pin_val rows[2][5] = {
		{ { .str = "m" }, { .str = "/a \"q\"\n" }, { .null = true },
		  { .u = 50 }, { .u = 2048 } },
		{ { .str = "m" }, { .str = "/docker" }, { .str = ctr },
		  { .u = 7 }, { .u = 100 } },
	};

	free(buf);
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, fmt);
	pin_writer__begin(w, "tcpq", "tcpq stats", cols, PIN_LEN(cols));
	pin_writer__row(w, rows[0]);
	pin_writer__row(w, rows[1]);
	pin_writer__end(w);
	pin_writer__free(w);
	fclose(f);
	return buf;
}

static const struct pin_col hist_cols[] = {
	{ "raddr", PIN_COL_STR },
	{ "rtt", PIN_COL_HIST, PIN_ROLE_COUNTER, PIN_V_DURATION, .help = "RTT." },
};

/* Samples of 0.75, 3, 3.25 and 100.5 us (slots 0, 2, 2 and 7): 107.5 us */
static struct bpfpin_hist hist4 = {
	.sum_ns = 107500, .slots = { [0] = 1, [2] = 2, [7] = 1 },
};
/* Samples of 0.3, 0.5 and 0.7 us: all in slot 0, a mean of 500 ns */
static struct bpfpin_hist hist_sub_us = { .sum_ns = 1500, .slots = { [0] = 3 } };

/* One row of @h */
static const char *render_hist(enum pin_format fmt, struct bpfpin_hist *h)
{
	static char *buf;
	struct pin_val row[2] = { { .str = "10.0.0.1" }, { .hist = h } };
	struct pin_writer *w;
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, fmt);
	pin_writer__begin(w, "tcp", "tcp remotes", hist_cols, PIN_LEN(hist_cols));
	pin_writer__row(w, row);
	pin_writer__end(w);
	pin_writer__free(w);
	fclose(f);
	return buf;
}

static void test_hist(void)
{
	is_str(render_hist(PIN_FMT_JSON, &hist4),
	       "{\"raddr\":\"10.0.0.1\",\"rtt\":{\"unit\":\"us\",\"count\":4,\"sum\":107,\"sum_ns\":107500,\"buckets\":["
	       "{\"le\":1,\"count\":1},{\"le\":2,\"count\":0},{\"le\":4,\"count\":2},"
	       "{\"le\":8,\"count\":0},{\"le\":16,\"count\":0},{\"le\":32,\"count\":0},"
	       "{\"le\":64,\"count\":0},{\"le\":128,\"count\":1}]}}\n",
	       "json histogram: buckets up to the highest used, count, sum in us and in ns");
	is_str(render_hist(PIN_FMT_PROM, &hist4),
	       "# HELP bpfpin_tcp_rtt_seconds RTT.\n"
	       "# TYPE bpfpin_tcp_rtt_seconds histogram\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000001\"} 1\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000002\"} 1\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000004\"} 3\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000008\"} 3\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000016\"} 3\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000032\"} 3\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000064\"} 3\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"0.000128\"} 4\n"
	       "bpfpin_tcp_rtt_seconds_bucket{raddr=\"10.0.0.1\",le=\"+Inf\"} 4\n"
	       "bpfpin_tcp_rtt_seconds_sum{raddr=\"10.0.0.1\"} 0.000107500\n"
	       "bpfpin_tcp_rtt_seconds_count{raddr=\"10.0.0.1\"} 4\n",
	       "prom histogram: cumulative buckets in seconds, +Inf, _sum, _count");
	is_str(render_hist(PIN_FMT_TABLE, &hist4),
	       "tcp remotes\n"
	       "RADDR              RTT\n"
	       "10.0.0.1  4 avg 26.9us\n"
	       "\n"
	       "rtt raddr=10.0.0.1\n"
	       "               usecs : count      distribution\n"
	       "              0 -> 1 : 1          |********************                    |\n"
	       "              2 -> 2 : 0          |                                        |\n"
	       "              3 -> 4 : 2          |****************************************|\n"
	       "              5 -> 8 : 0          |                                        |\n"
	       "             9 -> 16 : 0          |                                        |\n"
	       "            17 -> 32 : 0          |                                        |\n"
	       "            33 -> 64 : 0          |                                        |\n"
	       "           65 -> 128 : 1          |********************                    |\n",
	       "table histogram: count and mean in the row, bars below");
	/* a sum of whole microseconds made these 0 */
	is_str(render_hist(PIN_FMT_JSON, &hist_sub_us),
	       "{\"raddr\":\"10.0.0.1\",\"rtt\":{\"unit\":\"us\",\"count\":3,\"sum\":1,\"sum_ns\":1500,\"buckets\":["
	       "{\"le\":1,\"count\":3}]}}\n",
	       "json histogram below 1 us: sum_ns exact, sum in whole us");
	ok(strstr(render_hist(PIN_FMT_PROM, &hist_sub_us),
		  "bpfpin_tcp_rtt_seconds_sum{raddr=\"10.0.0.1\"} 0.000001500\n") != NULL,
	   "prom histogram below 1 us: _sum to the nanosecond");
	is_str(render_hist(PIN_FMT_TABLE, &hist_sub_us),
	       "tcp remotes\n"
	       "RADDR             RTT\n"
	       "10.0.0.1  3 avg 500ns\n"
	       "\n"
	       "rtt raddr=10.0.0.1\n"
	       "               usecs : count      distribution\n"
	       "              0 -> 1 : 3          |****************************************|\n",
	       "table histogram below 1 us: the mean is sum_ns / count, 500ns");
}

/*
 * Strings from the kernel in every format: comm, paths and names are any
 * bytes. Each case: the input, then the value as JSON, as a Prometheus label
 * value, as a table cell and as a field of a text record.
 */
#define FFFD "\xef\xbf\xbd"
static const struct {
	const char *in, *json, *prom, *cell, *text;
} strs[] = {
	{ "a\"b c", "\"a\\\"b c\"", "a\\\"b c", "a\"b c", "\"a\\\"b c\"" },
	{ "a\\b", "\"a\\\\b\"", "a\\\\b", "a\\b", "\"a\\\\b\"" },
	{ "k=v", "\"k=v\"", "k=v", "k=v", "\"k=v\"" },
	{ "a\nb", "\"a\\u000ab\"", "a\\nb", "a?b", "a?b" },
	{ "a\tb", "\"a\\u0009b\"", "a" FFFD "b", "a?b", "a?b" },
	{ "\x1b[31mred", "\"\\u001b[31mred\"", FFFD "[31mred", "?[31mred", "?[31mred" },
	{ "a\x7f" "b", "\"a\\u007fb\"", "a" FFFD "b", "a?b", "a?b" },
	/* U+009B: a one-byte CSI to a terminal that takes C1 */
	{ "\xc2\x9b" "1m", "\"\\u009b1m\"", FFFD "1m", "?1m", "?1m" },
	{ "\xff\xfe\xc3(", "\"\\ufffd\\ufffd\\ufffd(\"", FFFD FFFD FFFD "(",
	  FFFD FFFD FFFD "(", FFFD FFFD FFFD "(" },
	/* overlong '/', a surrogate, beyond U+10FFFF, a cut 3-byte sequence */
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", FFFD FFFD, FFFD FFFD, FFFD FFFD },
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", FFFD FFFD FFFD,
	  FFFD FFFD FFFD, FFFD FFFD FFFD },
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	  FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD },
	{ "x\xe6\x97", "\"x\\ufffd\\ufffd\"", "x" FFFD FFFD, "x" FFFD FFFD,
	  "x" FFFD FFFD },
	/* valid: 2, 3 and 4 bytes (U+00E9, U+65E5 U+672C, U+1F600) */
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"",
	  "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac",
	  "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80",
	  "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
};

static const struct pin_col str_cols[] = {
	{ "n", PIN_COL_U64, PIN_ROLE_COUNTER, .help = "N." },
	{ "name", PIN_COL_STR },
};

/* Rows of (n, name) as a set in @fmt, or as text records of name alone. */
static const char *render_strs(enum pin_format fmt, bool record,
			       const char *const *names, int nrows)
{
	static char *buf;
	struct pin_writer *w;
	struct pin_val row[2] = {};
	size_t len;
	FILE *f;
	int i;

	free(buf);
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, fmt);
	if (!record)
		pin_writer__begin(w, "t", "t", str_cols, PIN_LEN(str_cols));
	for (i = 0; i < nrows; i++) {
		row[0].u = i + 1;
		row[1].str = names[i];
		if (record)
			pin_writer__record(w, str_cols + 1, row + 1, 1);
		else
			pin_writer__row(w, row);
	}
	if (!record)
		pin_writer__end(w);
	pin_writer__free(w);
	fclose(f);
	return buf;
}

static void test_strings(void)
{
	char want[256];
	size_t i;

	for (i = 0; i < PIN_LEN(strs); i++) {
		snprintf(want, sizeof(want), "{\"n\":1,\"name\":%s}\n", strs[i].json);
		is_str(render_strs(PIN_FMT_JSON, false, &strs[i].in, 1), want,
		       "json string %zu: escaped, valid UTF-8", i);
		snprintf(want, sizeof(want),
			 "# HELP bpfpin_t_n_total N.\n# TYPE bpfpin_t_n_total counter\n"
			 "bpfpin_t_n_total{name=\"%s\"} 1\n", strs[i].prom);
		is_str(render_strs(PIN_FMT_PROM, false, &strs[i].in, 1), want,
		       "prom label value %zu: escaped, valid UTF-8", i);
		snprintf(want, sizeof(want), "t\nN  NAME\n1  %s\n", strs[i].cell);
		is_str(render_strs(PIN_FMT_TABLE, false, &strs[i].in, 1), want,
		       "table cell %zu: one line, valid UTF-8", i);
		snprintf(want, sizeof(want), "name=%s\n", strs[i].text);
		is_str(render_strs(PIN_FMT_TABLE, true, &strs[i].in, 1), want,
		       "text field %zu: quoted and escaped, one line", i);
	}
}

/* Widths count code points: what a terminal shows, not bytes. */
/*
 * @measure: the way bpfpin-stat writes a table, widths from a first pass,
 * then each row at once; the same text as a table held whole. Two sets, so
 * the blank line between them is checked too.
 */
static void test_align(bool measure)
{
	static const struct pin_col cols[] = {
		{ "name", PIN_COL_STR },
		{ "n", PIN_COL_U64, PIN_ROLE_COUNTER },
		{ "where", PIN_COL_STR },
	};
	const char *names[] = { "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
				"\xff(", "abcde" };
	__u64 ns[] = { 1, 22, 333, 4 };
	const char *table =
	       "NAME     N  WHERE\n"
	       "caf\xc3\xa9     1  abcde\n"
	       "\xe6\x97\xa5\xe6\x9c\xac      22  " FFFD "(\n"
	       FFFD "(     333  \xe6\x97\xa5\xe6\x9c\xac\n"
	       "abcde    4  caf\xc3\xa9\n";
	struct pin_val row[3] = {};
	struct pin_writer *w;
	char *buf = NULL, *want;
	size_t len, i;
	int set, pass;
	FILE *f;

	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, PIN_FMT_TABLE);
	for (set = 0; set < 2; set++) {
		pin_writer__begin(w, "t", NULL, cols, PIN_LEN(cols));
		if (measure)
			ok(pin_writer__measures(w), "table: a set without histograms can be measured first");
		for (pass = measure ? 0 : 1; pass < 2; pass++) {
			for (i = 0; i < PIN_LEN(ns); i++) {
				row[0].str = names[i];
				row[1].u = ns[i];
				row[2].str = names[PIN_LEN(ns) - 1 - i];
				if (pass)
					pin_writer__row(w, row);
				else
					pin_writer__measure(w, row);
			}
		}
		pin_writer__end(w);
	}
	pin_writer__free(w);
	fclose(f);
	if (asprintf(&want, "%s\n%s", table, table) < 0)
		abort();
	is_str(buf, want, measure ?
	       "table measured first, then streamed: multi-byte cells align by code points" :
	       "table: multi-byte cells align by code points");
	free(want);
	free(buf);
}

/* Sets that are not tables, or hold histograms, take no first pass. */
static void test_measures(void)
{
	static const struct pin_col plain[] = { { "n", PIN_COL_U64 } };
	struct pin_writer *w;
	FILE *f = fopen("/dev/null", "w");

	w = pin_writer__new(f, PIN_FMT_JSON);
	pin_writer__begin(w, "t", NULL, plain, PIN_LEN(plain));
	ok(!pin_writer__measures(w), "json: no first pass");
	pin_writer__free(w);
	w = pin_writer__new(f, PIN_FMT_PROM);
	pin_writer__begin(w, "t", NULL, plain, PIN_LEN(plain));
	ok(!pin_writer__measures(w), "prom: no first pass (held to group families)");
	pin_writer__free(w);
	w = pin_writer__new(f, PIN_FMT_TABLE);
	pin_writer__begin(w, "t", NULL, hist_cols, PIN_LEN(hist_cols));
	ok(!pin_writer__measures(w), "table with a histogram: held, its bars follow it");
	pin_writer__free(w);
	fclose(f);
}

static void test_output_check(void)
{
	char why[256], path[] = "/tmp/bpfpin-test-out.XXXXXX";
	int fd = mkstemp(path);

	ok(pin_output_check(path, why, sizeof(why)) == 0, "output: a regular file");
	ok(pin_output_check("/tmp/bpfpin-no-such-file", why, sizeof(why)) == 0,
	   "output: a new file in a directory");
	ok(pin_output_check("/dev/null", why, sizeof(why)) == -EINVAL, "output: not a device");
	is_str(why, "not a regular file (a character device)", "output: says which kind");
	ok(pin_output_check("/tmp", why, sizeof(why)) == -EINVAL, "output: not a directory");
	is_str(why, "not a regular file (a directory)", "output: says directory");
	ok(pin_output_check("", why, sizeof(why)) == -EINVAL, "output: not empty");
	ok(pin_output_check("/nonexistent/x", why, sizeof(why)) == -ENOENT,
	   "output: in a missing directory");
	is_str(why, "directory '/nonexistent': No such file or directory",
	       "output: names the directory");
	close(fd);
	unlink(path);
}

/*
 * A table wider than the terminal is written expanded, streamed or held
 * alike; one that fits, or output with no limit (a pipe), is the table.
 */
static const char *render_wide(int width, bool measure, bool narrow)
{
	static const struct pin_col wide[] = {
		{ "cgroup", PIN_COL_STR },
		{ "cgroup_id", PIN_COL_U64, .flags = PIN_COL_NO_TABLE },
		{ "memcg", PIN_COL_STR },
		{ "faults_user", PIN_COL_U64, PIN_ROLE_COUNTER },
		{ "direct_reclaimed_bytes", PIN_COL_U64, PIN_ROLE_COUNTER, PIN_V_BYTES },
	};
	static char *buf;
	struct pin_val rows[2][5] = {
		{ { .str = "/system.slice/ssh.service" }, { .u = 9 },
		  { .str = "/process_api/efcd13af71a6913d7654a645f61d1e76" },
		  { .u = 228 }, { .u = 4096 } },
		{ { .str = "/" }, { .u = 1 }, { .null = true }, { .u = 7 }, { .u = 0 } },
	};
	struct pin_writer *w;
	size_t len;
	int i, pass;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	w = pin_writer__new(f, PIN_FMT_TABLE);
	pin_writer__set_width(w, width);
	pin_writer__begin(w, "mem", "mem stats", wide, narrow ? 2 : PIN_LEN(wide));
	for (pass = measure ? 0 : 1; pass < 2; pass++)
		for (i = 0; i < 2; i++)
			pass ? pin_writer__row(w, rows[i]) : pin_writer__measure(w, rows[i]);
	pin_writer__end(w);
	pin_writer__free(w);
	fclose(f);
	return buf;
}

static void test_wide(void)
{
	const char *expanded =
		"mem stats\n"
		"cgroup                  /system.slice/ssh.service\n"
		"memcg                   /process_api/efcd13af71a6913d7654a645f61d1e76\n"
		"faults_user             228\n"
		"direct_reclaimed_bytes  4.0 KiB\n"
		"\n"
		"cgroup                  /\n"
		"memcg                   -\n"
		"faults_user             7\n"
		"direct_reclaimed_bytes  0 B\n";
	const char *table =
		"mem stats\n"
		"CGROUP                     MEMCG                                          "
		"FAULTS_USER  DIRECT_RECLAIMED_BYTES\n"
		"/system.slice/ssh.service  /process_api/efcd13af71a6913d7654a645f61d1e76  "
		"        228                 4.0 KiB\n"
		"/                          -                                              "
		"          7                     0 B\n";

	is_str(render_wide(80, false, false), expanded,
	       "wide table: wider than 80 columns, written expanded");
	is_str(render_wide(80, true, false), expanded,
	       "wide table measured first: expanded the same");
	is_str(render_wide(0, true, false), table, "wide table, no limit (a pipe): the table");
	is_str(render_wide(109, false, false), table, "wide table: 109 columns fit in 109");
	is_str(render_wide(108, false, false), expanded, "wide table: not in 108");
	is_str(render_wide(80, true, true),
	       "mem stats\nCGROUP\n/system.slice/ssh.service\n/\n",
	       "narrow table within 80: the table");
}

int main(void)
{
	char buf[128];
	enum pin_format fmt;

	is_str(render(PIN_FMT_JSON),
	       "{\"module\":\"m\",\"cgroup\":\"/a \\\"q\\\"\\u000a\",\"container\":null,\"execs\":50,\"rqueue_max\":2048}\n"
	       "{\"module\":\"m\",\"cgroup\":\"/docker\",\"container\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"execs\":7,\"rqueue_max\":100}\n",
	       "json: escaping, null, numbers, one object per line");

	is_str(render(PIN_FMT_PROM),
	       "# HELP bpfpin_tcpq_execs_total Execs.\n"
	       "# TYPE bpfpin_tcpq_execs_total counter\n"
	       "bpfpin_tcpq_execs_total{cgroup=\"/a \\\"q\\\"\\n\",container=\"\"} 50\n"
	       "bpfpin_tcpq_execs_total{cgroup=\"/docker\",container=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"} 7\n"
	       "# HELP bpfpin_tcpq_rqueue_max_bytes Max queue.\n"
	       "# TYPE bpfpin_tcpq_rqueue_max_bytes gauge\n"
	       "bpfpin_tcpq_rqueue_max_bytes{cgroup=\"/a \\\"q\\\"\\n\",container=\"\"} 2048\n"
	       "bpfpin_tcpq_rqueue_max_bytes{cgroup=\"/docker\",container=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"} 100\n",
	       "prom: names, _total, unit suffix, HELP/TYPE once, label escaping");

	is_str(render(PIN_FMT_TABLE),
	       "tcpq stats\n"
	       "CGROUP   CONTAINER     EXECS  RQUEUE_MAX\n"
	       "/a \"q\"?  -                50     2.0 KiB\n"
	       "/docker  0123456789ab      7       100 B\n",
	       "table: header from the columns, aligned, human units, short container");

	pin_format_rfc3339(1795306577000000001ull, buf, sizeof(buf));
	is_str(buf, "2026-11-22T00:16:17.000000001Z", "rfc3339 with nanoseconds");
	pin_format_human(1500000, PIN_V_DURATION, buf, sizeof(buf));
	is_str(buf, "1.5ms", "human duration");
	pin_format_human(3ull << 30, PIN_V_BYTES, buf, sizeof(buf));
	is_str(buf, "3.0 GiB", "human bytes");
	ok(pin_format_parse("prom", &fmt) == 0 && fmt == PIN_FMT_PROM, "parse prom");
	ok(pin_format_parse("text", &fmt) == 0 && fmt == PIN_FMT_TABLE, "text is table");
	ok(pin_format_parse("yaml", &fmt) == -EINVAL, "unknown format refused");
	test_hist();
	test_strings();
	test_align(false);
	test_align(true);
	test_measures();
	test_output_check();
	test_wide();
	return tap_done();
}
