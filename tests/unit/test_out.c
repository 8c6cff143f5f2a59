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

/* One row: samples of 1, 3, 3 and 100 us (slots 0, 2, 2 and 7). */
static const char *render_hist(enum pin_format fmt)
{
	static char *buf;
	static struct bpfpin_hist h = { .sum = 107, .slots = { [0] = 1, [2] = 2, [7] = 1 } };
	struct pin_val row[2] = { { .str = "10.0.0.1" }, { .hist = &h } };
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
	is_str(render_hist(PIN_FMT_JSON),
	       "{\"raddr\":\"10.0.0.1\",\"rtt\":{\"unit\":\"us\",\"count\":4,\"sum\":107,\"buckets\":["
	       "{\"le\":1,\"count\":1},{\"le\":2,\"count\":0},{\"le\":4,\"count\":2},"
	       "{\"le\":8,\"count\":0},{\"le\":16,\"count\":0},{\"le\":32,\"count\":0},"
	       "{\"le\":64,\"count\":0},{\"le\":128,\"count\":1}]}}\n",
	       "json histogram: buckets up to the highest used, count and sum");
	is_str(render_hist(PIN_FMT_PROM),
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
	       "bpfpin_tcp_rtt_seconds_sum{raddr=\"10.0.0.1\"} 0.000107\n"
	       "bpfpin_tcp_rtt_seconds_count{raddr=\"10.0.0.1\"} 4\n",
	       "prom histogram: cumulative buckets in seconds, +Inf, _sum, _count");
	is_str(render_hist(PIN_FMT_TABLE),
	       "tcp remotes\n"
	       "RADDR              RTT\n"
	       "10.0.0.1  4 avg 26.8us\n"
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
	return tap_done();
}
