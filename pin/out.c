// SPDX-License-Identifier: GPL-2.0
/* out.c: one writer, three back ends (table/text, JSON Lines, Prometheus), and atomic files */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "pin.h"

/* One JSON line is built here, then written with one fwrite. */
struct line {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

struct pin_writer {
	FILE *out;
	struct line line;
	enum pin_format fmt;
	const char *module;
	const char *title;
	const struct pin_col *cols;
	int ncols;
	struct pin_val *rows;	/* buffered sets: nrows * ncols, strings owned */
	size_t nrows;
	size_t cap;
	int sets;
	/*
	 * A table measured first (pin_writer__measure) is written row by row:
	 * widths[] come from the first pass, and nothing is held.
	 */
	int *widths;
	int last;		/* the last column a table shows */
	bool measured;		/* widths hold the set's rows */
	bool streaming;		/* the heading is out: rows go straight out */
	bool hex;		/* PIN_FMT_HEX: content as a hex dump */
	/*
	 * A table wider than @width columns (0: no limit) is written
	 * expanded, a "name  value" line per cell and a blank line between
	 * rows, as psql's \x auto does: on a terminal, mem's 17 columns
	 * would otherwise wrap into a screen nobody can read.
	 */
	int width;
	bool expanded;		/* this set is written expanded */
	size_t rows_out;	/* rows of this set written, expanded */
};

int pin_format_parse(const char *s, enum pin_format *fmt)
{
	if (!strcmp(s, "table") || !strcmp(s, "text"))
		*fmt = PIN_FMT_TABLE;
	else if (!strcmp(s, "json"))
		*fmt = PIN_FMT_JSON;
	else if (!strcmp(s, "prom"))
		*fmt = PIN_FMT_PROM;
	else
		return -EINVAL;
	return 0;
}

int pin_event_format_parse(const char *s, enum pin_format *fmt)
{
	if (!strcmp(s, "hex")) {
		*fmt = PIN_FMT_HEX;
		return 0;
	}
	if (pin_format_parse(s, fmt) || *fmt == PIN_FMT_PROM)
		return -EINVAL;
	return 0;
}

void pin_format_rfc3339(__u64 ns, char *buf, size_t size)
{
	/* events come many per second: format each second once */
	static __thread time_t last = -1;
	static __thread char base[32];
	static __thread size_t base_len;
	time_t sec = ns / 1000000000ull;
	unsigned int frac = ns % 1000000000ull;
	struct tm tm;
	int i;

	if (sec != last) {
		gmtime_r(&sec, &tm);
		base_len = strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S.", &tm);
		last = sec;
	}
	if (size < base_len + 11) {
		snprintf(buf, size, "%s", base);
		return;
	}
	memcpy(buf, base, base_len);
	for (i = 8; i >= 0; i--, frac /= 10)
		buf[base_len + i] = '0' + frac % 10;
	buf[base_len + 9] = 'Z';
	buf[base_len + 10] = '\0';
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * @v in decimal at the end of @end's buffer, two digits per division.
 * Return: where the digits start (they end at @end)
 */
static char *u64_digits(char *end, __u64 v)
{
	char *p = end;

	while (v >= 100) {
		unsigned int i = (v % 100) * 2;

		v /= 100;
		p -= 2;
		p[0] = digit_pairs[i];
		p[1] = digit_pairs[i + 1];
	}
	if (v >= 10) {
		p -= 2;
		p[0] = digit_pairs[v * 2];
		p[1] = digit_pairs[v * 2 + 1];
	} else {
		*--p = '0' + v;
	}
	return p;
}

/* snprintf(buf, size, "%llu%s", v, suffix) without printf: a table's cells */
static void u64_text(char *buf, size_t size, __u64 v, const char *suffix)
{
	char digits[20], *p = u64_digits(digits + sizeof(digits), v);
	size_t n = digits + sizeof(digits) - p, k = strlen(suffix);

	if (n + k >= size) {
		snprintf(buf, size, "%llu%s", (unsigned long long)v, suffix);
		return;
	}
	memcpy(buf, p, n);
	memcpy(buf + n, suffix, k + 1);
}

void pin_format_human(__u64 v, enum pin_view view, char *buf, size_t size)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = v;
	int i = 0;

	switch (view) {
	case PIN_V_BYTES:
		if (v < 1024) {
			u64_text(buf, size, v, " B");
			return;
		}
		while (d >= 1024 && i < 4)
			d /= 1024, i++;
		snprintf(buf, size, "%.1f %s", d, bytes[i]);
		return;
	case PIN_V_DURATION:
		if (v < 1000)
			snprintf(buf, size, "%lluns", (unsigned long long)v);
		else if (v < 1000000)
			snprintf(buf, size, "%.1fus", d / 1e3);
		else if (v < 1000000000)
			snprintf(buf, size, "%.1fms", d / 1e6);
		else
			snprintf(buf, size, "%.2fs", d / 1e9);
		return;
	default:
		u64_text(buf, size, v, "");
	}
}

/*
 * The columns of the terminal @out is, else 0: a pipe or a file keeps a
 * table's rows whole, for scripts (and `column -t`) to read.
 */
static int terminal_width(FILE *out)
{
	struct winsize ws;
	const char *env;
	int fd = fileno(out);

	if (fd < 0 || !isatty(fd))
		return 0;
	if (!ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	env = getenv("COLUMNS");
	if (env && atoi(env) > 0)
		return atoi(env);
	return 80;
}

void pin_writer__set_width(struct pin_writer *w, int width)
{
	w->width = width > 0 ? width : 0;
}

struct pin_writer *pin_writer__new(FILE *out, enum pin_format fmt)
{
	struct pin_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	/* hex is text but for content: every other path is the table's */
	w->hex = fmt == PIN_FMT_HEX;
	w->fmt = w->hex ? PIN_FMT_TABLE : fmt;
	w->width = terminal_width(out);
	return w;
}

static void free_rows(struct pin_writer *w)
{
	size_t i;

	for (i = 0; i < w->nrows * w->ncols; i++) {
		free((char *)w->rows[i].str);
		free((void *)w->rows[i].hist);
	}
	free(w->rows);
	w->rows = NULL;
	w->nrows = w->cap = 0;
	free(w->widths);
	w->widths = NULL;
	w->measured = w->streaming = w->expanded = false;
	w->rows_out = 0;
}

void pin_writer__free(struct pin_writer *w)
{
	if (!w)
		return;
	free_rows(w);
	free(w->line.p);
	free(w);
}

static void line_grow(struct line *l, const void *data, size_t n)
{
	{
		size_t cap = l->cap ? l->cap : 256;
		char *p;

		while (cap < l->len + n)
			cap *= 2;
		p = realloc(l->p, cap);
		if (!p) {
			l->failed = true;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, data, n);
	l->len += n;
}

static inline void line_put(struct line *l, const void *data, size_t n)
{
	if (l->len + n <= l->cap) {
		memcpy(l->p + l->len, data, n);
		l->len += n;
	} else {
		line_grow(l, data, n);
	}
}

static inline void line_putc(struct line *l, char c)
{
	if (l->len < l->cap)
		l->p[l->len++] = c;
	else
		line_grow(l, &c, 1);
}


/*
 * printf's %llu, without printf: numbers are most of a stats line and of an
 * event. Two digits per division, written straight into the line.
 */
static void line_u64(struct line *l, __u64 v)
{
	char buf[20], *p = u64_digits(buf + sizeof(buf), v);

	line_put(l, p, buf + sizeof(buf) - p);
}

/*
 * Strings from the kernel are any bytes: a comm is what a process set, a
 * path or a DNS name what its owner chose. Every format decodes them with
 * utf8_next() and writes U+FFFD for each byte that starts no well-formed
 * sequence, so what we print is valid UTF-8 whatever the kernel gave.
 */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * One code point, strictly as RFC 3629 has it: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
 * sequence (a NUL is no continuation byte, so we never read past one),
 * and no byte read at or past @avail.
 * Return: the length (1..4) of the sequence at @p, its code point in @cp;
 * 0 when the byte at @p starts no well-formed sequence.
 */
static int utf8_next_n(const unsigned char *p, size_t avail, unsigned int *cp)
{
	unsigned int c = p[0], lo = 0x80, hi = 0xbf;
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* below: overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* above: surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;	/* below: overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above: beyond U+10FFFF */
	} else {
		return 0;	/* a continuation byte, C0, C1 or F5..FF */
	}
	for (i = 1; i < len; i++) {
		if ((size_t)i >= avail || p[i] < lo || p[i] > hi)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return len;
}

/* In a NUL-ended string: the NUL ends any sequence before its end. */
static int utf8_next(const unsigned char *p, unsigned int *cp)
{
	return utf8_next_n(p, 4, cp);
}

/* C0, DEL and C1: what moves a terminal's cursor or changes its state */
static bool is_control(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Bidirectional controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069)
 * and the line and paragraph separators: captured content shown with them
 * as they are could reorder or break what a person reads, and hide a
 * command in a shell line. Content escapes them.
 */
static bool is_bidi(unsigned int cp)
{
	return cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* printable ASCII that neither JSON nor Prometheus escapes */
static inline bool is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* JSON strings: escaped, control characters as \u00XX, U+FFFD for bad bytes */
static void json_string(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	unsigned int cp;
	char esc[8];
	int n;

	line_putc(l, '"');
	while (*p) {
		/* the common case: a run that needs no escaping, in one copy */
		for (run = p; is_plain(*p); p++)
			;
		if (p > run)
			line_put(l, run, p - run);
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			line_putc(l, '\\');
			line_putc(l, *p++);
			continue;
		}
		n = utf8_next(p, &cp);
		if (!n) {
			line_put(l, "\\ufffd", 6);
			p++;
			continue;
		}
		if (is_control(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			line_put(l, esc, 6);
		} else {
			line_put(l, p, n);
		}
		p += n;
	}
	line_putc(l, '"');
}

/* Slots 0..top hold every nonzero count; -1 when all are zero. */
static int hist_top(const struct bpfpin_hist *h)
{
	int i;

	for (i = BPFPIN_HIST_SLOTS - 1; i >= 0; i--)
		if (h->slots[i])
			return i;
	return -1;
}

static __u64 hist_count(const struct bpfpin_hist *h)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < BPFPIN_HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

/*
 * {"unit":"us","count":N,"sum":S,"sum_ns":NS,"buckets":[{"le":1,"count":C},
 * ...]}: sum in whole microseconds, the bucket unit, as before; sum_ns exact.
 */
static void json_hist(struct line *l, const struct bpfpin_hist *h)
{
	int i, top = hist_top(h);

#define LIT(s) line_put(l, s, sizeof(s) - 1)
	LIT("{\"unit\":\"us\",\"count\":");
	line_u64(l, hist_count(h));
	LIT(",\"sum\":");
	line_u64(l, h->sum_ns / 1000);
	LIT(",\"sum_ns\":");
	line_u64(l, h->sum_ns);
	LIT(",\"buckets\":[");
	for (i = 0; i <= top; i++) {
		if (i)
			line_putc(l, ',');
		LIT("{\"le\":");
		line_u64(l, 1ull << i);
		LIT(",\"count\":");
		line_u64(l, h->slots[i]);
		line_putc(l, '}');
	}
	LIT("]}");
#undef LIT
}

static void json_value(struct line *l, const struct pin_col *c,
		       const struct pin_val *v)
{
	if (v->null || (c->type == PIN_COL_HIST && !v->hist)) {
		line_put(l, "null", 4);
	} else if (c->type == PIN_COL_HIST) {
		json_hist(l, v->hist);
	} else if (c->type == PIN_COL_STR) {
		json_string(l, v->str ? v->str : "");
	} else if (c->type == PIN_COL_S64 && v->s < 0) {
		line_putc(l, '-');
		line_u64(l, -(__u64)v->s);
	} else {
		line_u64(l, c->type == PIN_COL_S64 ? (__u64)v->s : v->u);
	}
}

/* Whether @len bytes at @p are UTF-8 from start to end (NULs included). */
static bool utf8_valid(const unsigned char *p, size_t len)
{
	unsigned int cp;
	size_t i;
	int n;

	for (i = 0; i < len; i += n) {
		n = utf8_next_n(p + i, len - i, &cp);
		if (!n)
			return false;
	}
	return true;
}

/* Valid UTF-8 content as a JSON string: control and bidi characters as \uXXXX. */
static void json_bytes(struct line *l, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *run;
	unsigned int cp;
	char esc[8];
	int n;

	line_putc(l, '"');
	while (p < end) {
		for (run = p; p < end && is_plain(*p); p++)
			;
		if (p > run)
			line_put(l, run, p - run);
		if (p == end)
			break;
		if (*p == '"' || *p == '\\') {
			line_putc(l, '\\');
			line_putc(l, *p++);
			continue;
		}
		n = utf8_next_n(p, end - p, &cp);
		if (n && !is_control(cp) && !is_bidi(cp)) {
			line_put(l, p, n);
		} else {
			/* utf8_valid() passed: no n == 0 here but for safety */
			snprintf(esc, sizeof(esc), "\\u%04x", n ? cp : 0xfffd);
			line_put(l, esc, 6);
		}
		p += n ? n : 1;
	}
	line_putc(l, '"');
}

/* RFC 4648 base64, with padding. */
static void json_base64(struct line *l, const unsigned char *p, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;

	line_putc(l, '"');
	for (i = 0; i + 3 <= len; i += 3) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		q[3] = b64[p[i + 2] & 63];
		line_put(l, q, 4);
	}
	if (len - i == 1) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[(p[i] & 3) << 4];
		q[2] = q[3] = '=';
		line_put(l, q, 4);
	} else if (len - i == 2) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = b64[(p[i + 1] & 15) << 2];
		q[3] = '=';
		line_put(l, q, 4);
	}
	line_putc(l, '"');
}

/*
 * Content: "name":"text" when the bytes are valid UTF-8, which most
 * captured text is; else "name_b64":"...", so that no byte is lost or
 * replaced either way.
 */
static void json_data(struct line *l, const char *name, const struct pin_val *v)
{
	bool none = v->null || (!v->data && v->len);
	bool text = none || utf8_valid(v->data, v->len);

	line_put(l, name, strlen(name));
	if (!text)
		line_put(l, "_b64", 4);
	line_put(l, "\":", 2);
	if (none)
		line_put(l, "null", 4);
	else if (text)
		json_bytes(l, v->data, v->len);
	else
		json_base64(l, v->data, v->len);
}

static int json_object(struct pin_writer *w, const struct pin_col *cols,
		       const struct pin_val *vals, int n)
{
	struct line *l = &w->line;
	int i;

	l->len = 0;
	line_putc(l, '{');
	for (i = 0; i < n; i++) {
		/* column names are our identifiers: nothing to escape */
		line_put(l, i ? ",\"" : "\"", i ? 2 : 1);
		if (cols[i].type == PIN_COL_DATA) {
			json_data(l, cols[i].name, &vals[i]);
			continue;
		}
		line_put(l, cols[i].name, strlen(cols[i].name));
		line_put(l, "\":", 2);
		json_value(l, &cols[i], &vals[i]);
	}
	line_put(l, "}\n", 2);
	if (l->failed)
		return -ENOMEM;
	/* one writer per stream: stdio's lock buys nothing here */
	if (fwrite_unlocked(l->p, 1, l->len, w->out) != l->len)
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * @s as a table cell or text field, on one line: U+FFFD for bad bytes, '?'
 * for control characters, at most @max code points, cut at a character
 * boundary to fit @size.
 * Return: the code points written, the columns a terminal gives them
 */
static int text_clean(char *buf, size_t size, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;
	unsigned int cp;
	int width = 0;

	while (*p && width < max) {
		const void *src = p;
		int n = utf8_next(p, &cp);
		size_t k = n;

		if (!n) {
			src = UTF8_REPLACEMENT;
			k = 3;
			n = 1;
		} else if (is_control(cp)) {
			src = "?";
			k = 1;
		}
		if (len + k >= size)
			break;
		memcpy(buf + len, src, k);
		len += k;
		p += n;
		width++;
	}
	buf[len] = '\0';
	return width;
}

/* Return: the width of the cell in code points */
static int cell_text(const struct pin_col *c, const struct pin_val *v,
		     char *buf, size_t size)
{
	if (v->null || (c->type == PIN_COL_HIST && !v->hist)) {
		snprintf(buf, size, "-");
	} else if (c->type == PIN_COL_HIST) {
		__u64 n = hist_count(v->hist);
		char avg[32];

		/* the count and the mean; the bars follow the table */
		pin_format_human(n ? v->hist->sum_ns / n : 0,
				 PIN_V_DURATION, avg, sizeof(avg));
		snprintf(buf, size, n ? "%llu avg %s" : "0",
			 (unsigned long long)n, avg);
	} else if (c->type == PIN_COL_STR) {
		return text_clean(buf, size, v->str && *v->str ? v->str : "-",
				  c->view == PIN_V_CONTAINER ? 12 : INT_MAX);
	} else if (c->type == PIN_COL_S64) {
		snprintf(buf, size, "%lld", (long long)v->s);
	} else if (c->type == PIN_COL_DATA) {
		/* content goes below a record; a table cell only counts it */
		pin_format_human(v->len, PIN_V_BYTES, buf, size);
	} else {
		pin_format_human(v->u, c->view, buf, size);
	}
	return strlen(buf);	/* ours: ASCII */
}

int pin_writer__begin(struct pin_writer *w, const char *module,
		      const char *title, const struct pin_col *cols, int ncols)
{
	int i;

	free_rows(w);
	w->module = module;
	w->title = title;
	w->cols = cols;
	w->ncols = ncols;
	if (w->fmt != PIN_FMT_TABLE)
		return 0;
	w->widths = calloc(ncols ? ncols : 1, sizeof(*w->widths));
	if (!w->widths)
		return -ENOMEM;
	w->last = -1;
	for (i = 0; i < ncols; i++) {
		w->widths[i] = strlen(cols[i].name);
		if (!(cols[i].flags & PIN_COL_NO_TABLE))
			w->last = i;
	}
	return 0;
}

/* A histogram's bars follow the table: such a set is held, not streamed. */
static bool has_hist(const struct pin_writer *w)
{
	int i;

	for (i = 0; i < w->ncols; i++)
		if (w->cols[i].type == PIN_COL_HIST)
			return true;
	return false;
}

bool pin_writer__measures(const struct pin_writer *w)
{
	return w->fmt == PIN_FMT_TABLE && w->widths && !has_hist(w);
}

static void widen(struct pin_writer *w, const struct pin_val *row)
{
	char cell[PATH_MAX];
	int i, len;

	for (i = 0; i < w->ncols; i++) {
		if (w->cols[i].flags & PIN_COL_NO_TABLE)
			continue;	/* not shown: no width */
		len = cell_text(&w->cols[i], &row[i], cell, sizeof(cell));
		if (len > w->widths[i])
			w->widths[i] = len;
	}
}

int pin_writer__measure(struct pin_writer *w, const struct pin_val *vals)
{
	if (!pin_writer__measures(w))
		return 0;
	widen(w, vals);
	w->measured = true;
	return 0;
}

static int table_head(struct pin_writer *w);
static int table_row(struct pin_writer *w, const struct pin_val *row);

int pin_writer__row(struct pin_writer *w, const struct pin_val *vals)
{
	struct pin_val *row;
	int i;

	if (w->fmt == PIN_FMT_JSON)
		return json_object(w, w->cols, vals, w->ncols);
	if (w->measured) {
		if (!w->streaming) {
			int err = table_head(w);

			if (err)
				return err;
			w->streaming = true;
		}
		return table_row(w, vals);
	}
	if (w->nrows == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;

		row = realloc(w->rows, cap * w->ncols * sizeof(*row));
		if (!row)
			return -ENOMEM;
		w->rows = row;
		w->cap = cap;
	}
	row = w->rows + w->nrows * w->ncols;
	for (i = 0; i < w->ncols; i++) {
		row[i] = vals[i];
		row[i].str = NULL;
		row[i].hist = NULL;
		row[i].data = NULL;	/* a cell shows only its length */
		if (w->cols[i].type == PIN_COL_HIST && vals[i].hist) {
			struct bpfpin_hist *h = malloc(sizeof(*h));

			if (!h)
				return -ENOMEM;
			*h = *vals[i].hist;
			row[i].hist = h;
		}
		if (w->cols[i].type == PIN_COL_STR && !vals[i].null) {
			row[i].str = strdup(vals[i].str ? vals[i].str : "");
			if (!row[i].str)
				return -ENOMEM;
		}
	}
	w->nrows++;
	return 0;
}

/* What a row is, for the heading of its histogram: its labels. */
static void row_labels(const struct pin_writer *w, const struct pin_val *row,
		       char *buf, size_t size)
{
	char cell[PATH_MAX];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < w->ncols && len < size; i++) {
		if (w->cols[i].role != PIN_ROLE_LABEL ||
		    (w->cols[i].flags & PIN_COL_NO_TABLE))
			continue;
		cell_text(&w->cols[i], &row[i], cell, sizeof(cell));
		len += snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
				w->cols[i].name, cell);
	}
}

/* The classic log2 histogram: a range, a count and a bar per slot. */
static void table_hist(FILE *f, const struct bpfpin_hist *h)
{
	enum { WIDTH = 40 };
	__u64 max = 0;
	int i, lo = -1, top = hist_top(h);
	char stars[WIDTH + 1];

	for (i = 0; i <= top; i++) {
		if (h->slots[i] && lo < 0)
			lo = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (lo < 0)
		return;
	fprintf(f, "%20s : %-10s distribution\n", "usecs", "count");
	for (i = lo; i <= top; i++) {
		unsigned long long from = i ? (1ull << (i - 1)) + 1 : 0;
		int n = max ? (int)(h->slots[i] * WIDTH / max) : 0;
		char range[48];

		memset(stars, '*', n);
		memset(stars + n, ' ', WIDTH - n);
		stars[WIDTH] = '\0';
		snprintf(range, sizeof(range), "%llu -> %llu", from, 1ull << i);
		fprintf(f, "%20s : %-10llu |%s|\n", range,
			(unsigned long long)h->slots[i], stars);
	}
}

static void table_hists(struct pin_writer *w)
{
	char labels[1024];
	size_t r;
	int i;

	for (i = 0; i < w->ncols; i++) {
		if (w->cols[i].type != PIN_COL_HIST)
			continue;
		for (r = 0; r < w->nrows; r++) {
			const struct pin_val *row = w->rows + r * w->ncols;

			if (!row[i].hist || hist_top(row[i].hist) < 0)
				continue;
			row_labels(w, row, labels, sizeof(labels));
			fprintf(w->out, "\n%s %s\n", w->cols[i].name, labels);
			table_hist(w->out, row[i].hist);
		}
	}
}

static void line_pad(struct line *l, int n)
{
	while (n-- > 0)
		line_putc(l, ' ');
}

static int line_out(struct pin_writer *w)
{
	struct line *l = &w->line;
	size_t n = l->len;

	l->len = 0;
	if (l->failed)
		return -ENOMEM;
	if (fwrite_unlocked(l->p, 1, n, w->out) != n)
		return errno ? -errno : -EIO;
	return 0;
}

/* What the table's rows take: the shown columns and 2 between each. */
static int table_width(const struct pin_writer *w)
{
	int i, total = 0;

	for (i = 0; i < w->ncols; i++)
		if (!(w->cols[i].flags & PIN_COL_NO_TABLE))
			total += w->widths[i] + (i == w->last ? 0 : 2);
	return total;
}

/*
 * The title and the column names, aligned to widths[]; a table too wide
 * for the terminal has only its title here, and is written expanded.
 */
static int table_head(struct pin_writer *w)
{
	struct line *l = &w->line;
	int i, j, gap;

	l->len = 0;
	if (w->sets++)
		line_putc(l, '\n');
	if (w->title) {
		line_put(l, w->title, strlen(w->title));
		line_putc(l, '\n');
	}
	w->expanded = w->width && table_width(w) > w->width;
	if (w->expanded)
		return line_out(w);
	for (i = 0; i < w->ncols; i++) {
		const char *n = w->cols[i].name;

		if (w->cols[i].flags & PIN_COL_NO_TABLE)
			continue;
		gap = w->widths[i] - (int)strlen(n);
		if (w->cols[i].type != PIN_COL_STR)
			line_pad(l, gap);
		for (j = 0; n[j]; j++)
			line_putc(l, toupper((unsigned char)n[j]));
		if (i != w->last && w->cols[i].type == PIN_COL_STR)
			line_pad(l, gap + 2);
		else if (i != w->last)
			line_pad(l, 2);
	}
	line_putc(l, '\n');
	return line_out(w);
}

/*
 * One row of a table too wide for the terminal: a line per column, its
 * name (padded to the longest name) and its cell; a blank line between
 * rows.
 */
static int table_row_expanded(struct pin_writer *w, const struct pin_val *row)
{
	struct line *l = &w->line;
	char cell[PATH_MAX];
	int i, name = 0;

	for (i = 0; i < w->ncols; i++)
		if (!(w->cols[i].flags & PIN_COL_NO_TABLE) &&
		    (int)strlen(w->cols[i].name) > name)
			name = strlen(w->cols[i].name);
	l->len = 0;
	if (w->rows_out++)
		line_putc(l, '\n');
	for (i = 0; i < w->ncols; i++) {
		size_t n = strlen(w->cols[i].name);

		if (w->cols[i].flags & PIN_COL_NO_TABLE)
			continue;
		line_put(l, w->cols[i].name, n);
		line_pad(l, name - (int)n + 2);
		cell_text(&w->cols[i], &row[i], cell, sizeof(cell));
		line_put(l, cell, strlen(cell));
		line_putc(l, '\n');
	}
	return line_out(w);
}

/* One row, formatted into one buffer and written at once. */
static int table_row(struct pin_writer *w, const struct pin_val *row)
{
	struct line *l = &w->line;
	char cell[PATH_MAX];
	int i, len;

	if (w->expanded)
		return table_row_expanded(w, row);
	l->len = 0;
	for (i = 0; i < w->ncols; i++) {
		bool str = w->cols[i].type == PIN_COL_STR;

		if (w->cols[i].flags & PIN_COL_NO_TABLE)
			continue;
		len = cell_text(&w->cols[i], &row[i], cell, sizeof(cell));
		if (!str)
			line_pad(l, w->widths[i] - len);
		line_put(l, cell, strlen(cell));
		if (i != w->last)
			line_pad(l, (str ? w->widths[i] - len : 0) + 2);
	}
	line_putc(l, '\n');
	return line_out(w);
}

/*
 * Widths in code points, so a cell of multi-byte UTF-8 still aligns. A set
 * measured first went out row by row; one held is measured and written here.
 */
static int table_end(struct pin_writer *w)
{
	size_t r;
	int err;

	if (w->streaming)
		return 0;
	if (!w->widths)
		return -ENOMEM;	/* pin_writer__begin() failed */
	for (r = 0; r < w->nrows; r++)
		widen(w, &w->rows[r * w->ncols]);
	err = table_head(w);
	for (r = 0; r < w->nrows && !err; r++)
		err = table_row(w, &w->rows[r * w->ncols]);
	if (!err)
		table_hists(w);
	return err;
}

/* Prometheus: bpfpin_<module>_<name>[_<unit>][_total] */
static void prom_name(const struct pin_writer *w, const struct pin_col *c,
		      char *buf, size_t size)
{
	const char *unit = "";
	size_t len = strlen(c->name);

	if (c->view == PIN_V_BYTES &&
	    (len < 6 || strcmp(c->name + len - 6, "_bytes")))
		unit = "_bytes";
	else if (c->view == PIN_V_DURATION)
		unit = "_seconds";
	snprintf(buf, size, "bpfpin_%s_%s%s%s", w->module, c->name, unit,
		 c->role == PIN_ROLE_COUNTER && c->type != PIN_COL_HIST ?
		 "_total" : "");
}

/*
 * The text format's escapes for \, " and newline; U+FFFD for bad bytes and
 * other control characters (promtool refuses invalid UTF-8, and a label
 * is no place for a terminal's escape sequences).
 */
static void prom_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	unsigned int cp;
	int n;

	while (*p) {
		for (run = p; is_plain(*p); p++)
			;
		if (p > run)
			fwrite(run, 1, p - run, f);
		if (!*p)
			break;
		n = utf8_next(p, &cp);
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (!n || is_control(cp)) {
			fputs(UTF8_REPLACEMENT, f);
		} else {
			fwrite(p, 1, n, f);
		}
		p += n ? n : 1;
	}
}

/* {a="x",b="y"[,le="..."]}; nothing when there is no label at all */
static void prom_labels(const struct pin_writer *w, const struct pin_val *row,
			const char *le)
{
	bool first = true;
	int j;

	for (j = 0; j < w->ncols; j++) {
		const struct pin_col *l = &w->cols[j];

		if (l->role != PIN_ROLE_LABEL || (l->flags & PIN_COL_NO_PROM))
			continue;
		fprintf(w->out, "%s%s=\"", first ? "{" : ",", l->name);
		first = false;
		if (row[j].null)
			;
		else if (l->type == PIN_COL_STR)
			prom_label_value(w->out, row[j].str);
		else if (l->type == PIN_COL_S64)
			fprintf(w->out, "%lld", (long long)row[j].s);
		else
			fprintf(w->out, "%llu", (unsigned long long)row[j].u);
		fputc('"', w->out);
	}
	if (le)
		fprintf(w->out, "%sle=\"%s\"", first ? "{" : ",", le);
	if (!first || le)
		fputc('}', w->out);
}

/*
 * A histogram: cumulative buckets up to the highest slot any row of the set
 * uses (so all series share their bounds), then +Inf, _sum and _count, in
 * seconds.
 */
static void prom_hist(struct pin_writer *w, int col, const char *name)
{
	char le[32];
	size_t r;
	int s, top = 0;

	for (r = 0; r < w->nrows; r++) {
		const struct bpfpin_hist *h = w->rows[r * w->ncols + col].hist;

		if (h && hist_top(h) > top)
			top = hist_top(h);
	}
	for (r = 0; r < w->nrows; r++) {
		const struct pin_val *row = w->rows + r * w->ncols;
		const struct bpfpin_hist *h = row[col].hist;
		__u64 cum = 0;

		if (!h)
			continue;
		for (s = 0; s <= top; s++) {
			cum += h->slots[s];
			snprintf(le, sizeof(le), "%.6f", (double)(1ull << s) / 1e6);
			fprintf(w->out, "%s_bucket", name);
			prom_labels(w, row, le);
			fprintf(w->out, " %llu\n", (unsigned long long)cum);
		}
		fprintf(w->out, "%s_bucket", name);
		prom_labels(w, row, "+Inf");
		fprintf(w->out, " %llu\n", (unsigned long long)hist_count(h));
		fprintf(w->out, "%s_sum", name);
		prom_labels(w, row, NULL);
		fprintf(w->out, " %llu.%09llu\n",
			(unsigned long long)(h->sum_ns / 1000000000),
			(unsigned long long)(h->sum_ns % 1000000000));
		fprintf(w->out, "%s_count", name);
		prom_labels(w, row, NULL);
		fprintf(w->out, " %llu\n", (unsigned long long)hist_count(h));
	}
}

static void prom_end(struct pin_writer *w)
{
	char name[256];
	size_t r;
	int i;

	for (i = 0; i < w->ncols; i++) {
		const struct pin_col *c = &w->cols[i];
		bool hist = c->type == PIN_COL_HIST;

		if (c->role == PIN_ROLE_LABEL || (c->flags & PIN_COL_NO_PROM))
			continue;
		prom_name(w, c, name, sizeof(name));
		fprintf(w->out, "# HELP %s %s\n", name,
			c->help ? c->help : c->name);
		fprintf(w->out, "# TYPE %s %s\n", name, hist ? "histogram" :
			c->role == PIN_ROLE_COUNTER ? "counter" : "gauge");
		if (hist) {
			prom_hist(w, i, name);
			continue;
		}
		for (r = 0; r < w->nrows; r++) {
			const struct pin_val *row = w->rows + r * w->ncols;

			fputs(name, w->out);
			prom_labels(w, row, NULL);
			if (c->view == PIN_V_DURATION)
				fprintf(w->out, " %.9f\n", row[i].u / 1e9);
			else if (c->type == PIN_COL_S64)
				fprintf(w->out, " %lld\n", (long long)row[i].s);
			else
				fprintf(w->out, " %llu\n", (unsigned long long)row[i].u);
		}
	}
}

int pin_writer__end(struct pin_writer *w)
{
	int err = 0;

	if (w->fmt == PIN_FMT_TABLE)
		err = table_end(w);
	else if (w->fmt == PIN_FMT_PROM)
		prom_end(w);
	free_rows(w);
	if (err)
		return err;
	if (fflush(w->out) || ferror(w->out))
		return -errno ? -errno : -EIO;
	return 0;
}

/*
 * A field of a text record: cleaned as a table cell, then quoted when it
 * holds what separates fields (space, =) or quotes (", \), with " and \
 * escaped inside the quotes. Control characters (tab) are '?' by then.
 */
static void text_value(FILE *f, const struct pin_col *c, const struct pin_val *v)
{
	char cell[PATH_MAX];
	const char *p;

	cell_text(c, v, cell, sizeof(cell));
	if (c->type != PIN_COL_STR || !strpbrk(cell, " \"=\\")) {
		fputs(cell, f);
		return;
	}
	fputc('"', f);
	for (p = cell; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/*
 * Content as text, below its record: printable ASCII and printable UTF-8
 * characters as they are; \\, \t, \r and \n escaped, \n followed by a
 * line break so that lines read as lines; every other byte (control
 * characters, C1 included, bidi controls, and bytes of no valid
 * sequence) as \xNN. Each byte can be told back from the text. A newline
 * ends the block.
 */
static void text_data(struct line *l, const unsigned char *p, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *end = p + len, *run;
	unsigned int cp;
	char esc[4] = { '\\', 'x' };
	int n, i;

	while (p < end) {
		for (run = p; p < end && *p >= 0x20 && *p < 0x7f && *p != '\\'; p++)
			;
		if (p > run)
			line_put(l, run, p - run);
		if (p == end)
			break;
		switch (*p) {
		case '\\': line_put(l, "\\\\", 2); p++; continue;
		case '\t': line_put(l, "\\t", 2); p++; continue;
		case '\r': line_put(l, "\\r", 2); p++; continue;
		case '\n':
			line_put(l, "\\n", 2);
			if (++p < end)
				line_putc(l, '\n');
			continue;
		}
		n = utf8_next_n(p, end - p, &cp);
		if (n > 1 && !is_control(cp) && !is_bidi(cp)) {
			line_put(l, p, n);
			p += n;
			continue;
		}
		for (i = 0; i < (n ? n : 1); i++, p++) {
			esc[2] = hexd[*p >> 4];
			esc[3] = hexd[*p & 15];
			line_put(l, esc, 4);
		}
	}
	line_putc(l, '\n');
}

/*
 * Content as `hexdump -C` shows it: offset, 16 bytes in two groups of 8,
 * the printable ASCII between bars; a line equal to the one before it is
 * one "*"; the length last. No bytes: nothing.
 */
static void hex_data(struct line *l, const unsigned char *p, size_t len)
{
	char buf[96];
	size_t off, i, k;
	bool squeezed = false;
	int n;

	for (off = 0; off < len; off += 16) {
		k = len - off < 16 ? len - off : 16;
		if (off && k == 16 && !memcmp(p + off, p + off - 16, 16)) {
			if (!squeezed)
				line_put(l, "*\n", 2);
			squeezed = true;
			continue;
		}
		squeezed = false;
		n = snprintf(buf, sizeof(buf), "%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				buf[n++] = ' ';
			if (i < k)
				n += snprintf(buf + n, sizeof(buf) - n, " %02x", p[off + i]);
			else
				n += snprintf(buf + n, sizeof(buf) - n, "   ");
		}
		n += snprintf(buf + n, sizeof(buf) - n, "  |");
		for (i = 0; i < k; i++)
			buf[n++] = p[off + i] >= 0x20 && p[off + i] < 0x7f ?
				   p[off + i] : '.';
		buf[n++] = '|';
		buf[n++] = '\n';
		line_put(l, buf, n);
	}
	if (len) {
		n = snprintf(buf, sizeof(buf), "%08zx\n", len);
		line_put(l, buf, n);
	}
}

/* The content columns of a text record, each below its header line. */
static int record_data(struct pin_writer *w, const struct pin_col *cols,
		       const struct pin_val *vals, int ncols)
{
	struct line *l = &w->line;
	int i;

	l->len = 0;
	for (i = 0; i < ncols; i++) {
		if (cols[i].type != PIN_COL_DATA ||
		    (cols[i].flags & PIN_COL_NO_TABLE) || vals[i].null ||
		    (!vals[i].data && vals[i].len))
			continue;
		if (w->hex)
			hex_data(l, vals[i].data, vals[i].len);
		else
			text_data(l, vals[i].data, vals[i].len);
	}
	return l->len ? line_out(w) : 0;
}

int pin_writer__record(struct pin_writer *w, const struct pin_col *cols,
		       const struct pin_val *vals, int ncols)
{
	int i, n = 0, err;

	if (w->fmt == PIN_FMT_JSON) {
		return json_object(w, cols, vals, ncols);
	} else {
		for (i = 0; i < ncols; i++) {
			if ((cols[i].flags & PIN_COL_NO_TABLE) ||
			    cols[i].type == PIN_COL_DATA)
				continue;
			if (n++)
				fputc(' ', w->out);
			if (!(cols[i].flags & PIN_COL_BARE))
				fprintf(w->out, "%s=", cols[i].name);
			text_value(w->out, &cols[i], &vals[i]);
		}
		fputc('\n', w->out);
		err = record_data(w, cols, vals, ncols);
		if (err)
			return err;
	}
	return ferror(w->out) ? -EIO : 0;
}

int pin_writer__flush(struct pin_writer *w)
{
	if (fflush(w->out) || ferror(w->out))
		return errno ? -errno : -EIO;
	return 0;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFIFO: return "a named pipe";
	case S_IFSOCK: return "a socket";
	default: return "an unknown kind of file";
	}
}

/*
 * The rename that puts the file in place replaces whatever has the name:
 * a device (/dev/full as root), a symbolic link rather than its target.
 */
int pin_output_check(const char *path, char *why, size_t size)
{
	char dir[PATH_MAX];
	struct stat st;
	size_t len = strlen(path);
	const char *d;
	int err;

	if (!len) {
		snprintf(why, size, "empty file name");
		return -EINVAL;
	}
	if (!lstat(path, &st)) {
		if (S_ISREG(st.st_mode))
			return 0;
		if (S_ISLNK(st.st_mode))
			snprintf(why, size, "is a symbolic link (give the file it points to)");
		else
			snprintf(why, size, "not a regular file (%s)",
				 file_kind(st.st_mode));
		return -EINVAL;
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		err = -errno;
		snprintf(why, size, "%s", strerror(errno));
		return err;
	}
	if (path[len - 1] == '/') {
		snprintf(why, size, "a directory name, not a file name");
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	d = dirname(dir);
	if (stat(d, &st)) {
		err = -errno;
		snprintf(why, size, "directory '%s': %s", d, strerror(errno));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "directory '%s': %s", d, strerror(ENOTDIR));
		return -ENOTDIR;
	}
	return 0;
}

/* Checked again: an interval reader opens the path again each round. */
static int output_still_ok(const char *path)
{
	char why[PATH_MAX + 64];

	if (!pin_output_check(path, why, sizeof(why)))
		return 0;
	pin_warn("output '%s': %s", path, why);
	return -EINVAL;
}

int pin_output_open(struct pin_output *o, const char *path)
{
	char dir[PATH_MAX];
	int fd;

	memset(o, 0, sizeof(*o));
	if (output_still_ok(path))
		return -EINVAL;
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (pin_path(o->tmp, sizeof(o->tmp), "%s/.%s.XXXXXX", dirname(dir),
		     basename(o->path)))
		return -ENAMETOOLONG;
	/* mode 0600 until it is complete; pin_output_commit makes it 0644 */
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		int err = -errno;

		pin_warn("output '%s': %s", path, strerror(errno));
		return err;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		return -ENOMEM;
	}
	return 0;
}

int pin_output_sync(struct pin_output *o)
{
	int err = 0;

	errno = 0;
	if (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f)) ||
	    fchmod(fileno(o->f), 0644))
		err = errno ? -errno : -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	return err;
}

int pin_output_commit(struct pin_output *o)
{
	int err = pin_output_sync(o);

	if (!err && output_still_ok(o->path)) {
		unlink(o->tmp);
		return -EINVAL;
	}
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (err) {
		pin_warn("output '%s': %s", o->path, strerror(-err));
		unlink(o->tmp);
	}
	return err;
}

void pin_output_abort(struct pin_output *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	unlink(o->tmp);
}
