// SPDX-License-Identifier: GPL-2.0
/* stats.c: stats maps into rows: group, sort, merge, keep the top, write */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "records.h"

#define MAX_COLS 64

static const char *const group_names[] = {
	[PIN_BY_PID] = "pid", [PIN_BY_COMM] = "comm",
	[PIN_BY_CGROUP] = "cgroup", [PIN_BY_CONTAINER] = "container",
};

int pin_group_by_parse(const char *s, enum pin_group_by *by)
{
	int i;

	for (i = PIN_BY_PID; i <= PIN_BY_CONTAINER; i++)
		if (!strcmp(s, group_names[i])) {
			*by = i;
			return 0;
		}
	return -EINVAL;
}

/* The key rows are grouped by for --by @by, or NULL. */
static const struct pin_field *group_key_of(const struct pin_map_desc *d,
					    enum pin_group_by by)
{
	const char *name = by == PIN_BY_PID ? "pid" : "comm";
	int i;

	for (i = 0; by != PIN_BY_NONE && i < d->nkeys; i++) {
		const struct pin_field *f = &d->keys[i];

		if (by == PIN_BY_PID || by == PIN_BY_COMM ?
		    !strcmp(f->name, name) : f->view == PIN_V_CGROUP)
			return f;
	}
	return NULL;
}

int pin_stats_grouping(const struct pin_module *m, const struct pin_map_desc *d,
		       enum pin_group_by by, const struct pin_field **key,
		       enum pin_group_by *eff)
{
	int k;

	*key = group_key_of(d, by);
	*eff = by;
	if (by == PIN_BY_NONE || *key)
		return 0;
	for (k = 0; k < m->desc->nmaps; k++)
		if (group_key_of(&m->desc->maps[k], by))
			break;
	if (k == m->desc->nmaps) {
		return pin_usage_error("map '%s/%s' has no key to group by %s",
				       m->desc->name, d->name,
				       by == PIN_BY_CONTAINER ? "cgroup" : group_names[by]);
	}
	*eff = PIN_BY_NONE;
	return 0;
}

int pin_stat_table__init(struct pin_stat_table *t, const struct pin_map_desc *d,
			 const struct pin_rows *rows)
{
	bool numeric = d->nkeys && d->keys[0].type != PIN_T_STR;
	size_t i;

	t->d = d;
	t->n = 0;
	t->r = calloc(rows->n ? rows->n : 1, sizeof(*t->r));
	if (!t->r)
		return -ENOMEM;
	for (i = 0; i < rows->n; i++) {
		struct pin_stat_row *row = &t->r[i];

		row->key = rows->keys + i * d->key_size;
		row->value = rows->values + i * d->value_size;
		row->first = numeric ? pin_field_get(row->key, &d->keys[0]) : 0;
	}
	t->n = rows->n;
	return 0;
}

/*
 * A row's group: the container id (or "" outside containers) for --by
 * container, else the key field's text. A cgroup sorts by its path, and its
 * id keeps two groups of one path apart.
 */
static void group_string(const struct pin_field *f, enum pin_group_by by,
			 const unsigned char *key, struct pin_cgroup_cache *cg,
			 char *buf, size_t size)
{
	__u64 v = pin_field_get(key, f);
	const struct pin_cgroup_cache *c;

	if (by == PIN_BY_CONTAINER) {
		c = pin_cgroup_resolve(cg, v);
		snprintf(buf, size, "%s", c->has_ctr ? c->ctr : "");
	} else if (f->view == PIN_V_CGROUP) {
		c = pin_cgroup_resolve(cg, v);
		snprintf(buf, size, "%s\x02%020llu\x01", c->path,
			 (unsigned long long)v);
	} else if (f->type == PIN_T_STR) {
		snprintf(buf, size, "%.*s\x01", (int)f->size,
			 (const char *)key + f->offset);
	} else {
		snprintf(buf, size, "%020llu\x01", (unsigned long long)v);
	}
}

int pin_stat_table__group(struct pin_stat_table *t, enum pin_group_by by,
			  const struct pin_field *key,
			  struct pin_cgroup_cache *cg)
{
	/* a path, then its id */
	size_t i, size = PATH_MAX + 32;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		group_string(key, by, t->r[i].key, cg, buf, size);
		free(t->r[i].group);
		t->r[i].group = strdup(buf);
		if (!t->r[i].group)
			break;
	}
	free(buf);
	return i < t->n ? -ENOMEM : 0;
}

/* Key fields in order: numbers as numbers, strings and addresses as bytes. */
static __attribute__((noinline)) int key_cmp(const struct pin_map_desc *d,
					     const unsigned char *x,
					     const unsigned char *y)
{
	int i, c;

	for (i = 0; i < d->nkeys; i++) {
		const struct pin_field *f = &d->keys[i];

		if (f->type == PIN_T_STR) {
			c = strncmp((const char *)x + f->offset,
				    (const char *)y + f->offset, f->size);
		} else if (f->type == PIN_T_BYTES) {
			c = memcmp(x + f->offset, y + f->offset, f->size);
		} else {
			__u64 p = pin_field_get(x, f), q = pin_field_get(y, f);

			c = p < q ? -1 : p > q;
		}
		if (c)
			return c;
	}
	return 0;
}

/*
 * Rows sort by their group when grouping (--by), else by their raw key
 * fields, the first one at once when it is a number. No string is built
 * per row for a plain read, which is what a large map costs most; and
 * key_cmp() stays out of line, so this common case costs a few
 * instructions.
 */
static int by_key(const void *a, const void *b, void *arg)
{
	const struct pin_stat_row *x = a, *y = b;

	if (x->group && y->group)
		return strcmp(x->group, y->group);
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return key_cmp(arg, x->key, y->key);
}

static int by_weight(const void *a, const void *b, void *arg)
{
	const struct pin_stat_row *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return by_key(a, b, arg);
}

void pin_stat_table__sort(struct pin_stat_table *t)
{
	qsort_r(t->r, t->n, sizeof(*t->r), by_key, (void *)t->d);
}

/* Rows of one group, or one key read from both halves, are one row. */
void pin_stat_table__merge(struct pin_stat_table *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (n && !by_key(&t->r[n - 1], &t->r[i], (void *)t->d)) {
			pin_value_combine(t->d, t->r[n - 1].value, t->r[i].value);
			free(t->r[i].group);
			t->r[i].group = NULL;
			continue;
		}
		t->r[n] = t->r[i];
		if (n++ != i)
			t->r[i].group = NULL;	/* moved: one owner per string */
	}
	t->n = n;
}

void pin_stat_table__top(struct pin_stat_table *t, int top)
{
	const struct pin_map_desc *d = t->d;
	size_t i;
	int c;

	if (top <= 0)
		return;
	for (i = 0; i < t->n; i++) {
		t->r[i].weight = 0;
		for (c = 0; c < d->nvalues; c++)
			if (d->values[c].role == PIN_ROLE_COUNTER &&
			    d->values[c].type != PIN_T_HIST)
				t->r[i].weight += pin_field_get(t->r[i].value,
								&d->values[c]);
	}
	qsort_r(t->r, t->n, sizeof(*t->r), by_weight, (void *)d);
	for (i = top; i < t->n; i++) {
		free(t->r[i].group);
		t->r[i].group = NULL;
	}
	if ((size_t)top < t->n)
		t->n = top;
}

void pin_stat_table__free(struct pin_stat_table *t)
{
	size_t i;

	for (i = 0; t->r && i < t->n; i++)
		free(t->r[i].group);
	free(t->r);
	t->r = NULL;
	t->n = 0;
}

/* Key columns as the grouping leaves them; values follow. */
static int stat_columns(const struct pin_map_desc *d, enum pin_group_by by,
			const struct pin_field *key, struct pin_col *cols,
			struct pin_colspec *spec)
{
	static const unsigned int meta = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
	int i, n = 0;

	cols[n++] = (struct pin_col){ "module", PIN_COL_STR, .flags = meta };
	cols[n++] = (struct pin_col){ "type", PIN_COL_STR, .flags = meta };
	cols[n++] = (struct pin_col){ "time", PIN_COL_STR, .flags = meta };
	cols[n++] = (struct pin_col){ "ts_ns", PIN_COL_U64, .flags = meta };
	if (by == PIN_BY_CONTAINER) {
		cols[n] = (struct pin_col){ "container", PIN_COL_STR,
					    .view = PIN_V_CONTAINER };
		spec[n++] = (struct pin_colspec){ key, PIN_D_GROUP };
	}
	for (i = 0; i < d->nkeys && n + PIN_FIELD_MAX_COLS <= MAX_COLS; i++) {
		if (by == PIN_BY_NONE ||
		    (by != PIN_BY_CONTAINER && &d->keys[i] == key))
			n += pin_col_expand(&d->keys[i], true, cols + n, spec + n);
	}
	for (i = 0; i < d->nvalues && n + PIN_FIELD_MAX_COLS <= MAX_COLS; i++)
		n += pin_col_expand(&d->values[i], false, cols + n, spec + n);
	return n;
}

int pin_stat_table__write(const struct pin_stat_table *t, struct pin_writer *w,
			  const struct pin_module *m, enum pin_group_by by,
			  const struct pin_field *key, __u64 now_ns,
			  struct pin_fill_ctx *ctx)
{
	const struct pin_map_desc *d = t->d;
	struct pin_colspec spec[MAX_COLS] = {};
	struct pin_col cols[MAX_COLS];
	struct pin_val vals[MAX_COLS];
	char now[40], title[80], prefix[80];
	bool first_map = d == m->desc->maps;
	int c, ncols, pass, err = 0;
	size_t i;

	ncols = stat_columns(d, by, key, cols, spec);
	pin_format_rfc3339(now_ns, now, sizeof(now));
	snprintf(title, sizeof(title), "%s %s", m->desc->name, d->name);
	/* metric names: bpfpin_<module>_<field> for the first map, and
	 * bpfpin_<module>_<map>_<field> for others, which share fields */
	snprintf(prefix, sizeof(prefix), "%s%s%s", m->desc->name,
		 first_map ? "" : "_", first_map ? "" : d->name);
	err = pin_writer__begin(w, prefix, title, cols, ncols);
	/*
	 * A table is measured in a first pass over the rows, which are here
	 * as raw values, then written row by row: no formatted cell is held.
	 */
	for (pass = pin_writer__measures(w) ? 0 : 1; pass < 2 && !err; pass++) {
		for (i = 0; i < t->n && !err; i++) {
			const struct pin_stat_row *r = &t->r[i];

			memset(vals, 0, sizeof(vals));
			vals[0].str = m->desc->name;
			vals[1].str = d->name;
			vals[2].str = now;
			vals[3].u = now_ns;
			pin_fill_ctx_row(ctx);
			for (c = 4; c < ncols; c++) {
				if (spec[c].how == PIN_D_GROUP) {
					vals[c].null = !r->group[0];
					vals[c].str = r->group;
				} else {
					pin_col_fill(ctx, &spec[c],
						     spec[c].f->role == PIN_ROLE_LABEL ?
						     r->key : r->value, &vals[c]);
				}
			}
			err = pass ? pin_writer__row(w, vals) :
			      pin_writer__measure(w, vals);
		}
	}
	return err ? err : pin_writer__end(w);
}

int pin_stats_write_rows(struct pin_writer *w, const struct pin_module *m,
			 const struct pin_map_desc *d, const struct pin_rows *rows,
			 const struct pin_stat_opts *o)
{
	const struct pin_field *key;
	struct pin_stat_table t = {};
	struct pin_fill_ctx *ctx;
	enum pin_group_by by;
	struct timespec ts;
	int err;

	err = pin_stats_grouping(m, d, o->by, &key, &by);
	if (err)
		return err;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	err = pin_stat_table__init(&t, d, rows);
	if (!err && by != PIN_BY_NONE)
		err = pin_stat_table__group(&t, by, key, &ctx->cg);
	if (!err) {
		pin_stat_table__sort(&t);
		pin_stat_table__merge(&t);
		pin_stat_table__top(&t, o->top);
		clock_gettime(CLOCK_REALTIME, &ts);
		err = pin_stat_table__write(&t, w, m, by, key,
					    ts.tv_sec * 1000000000ull + ts.tv_nsec,
					    ctx);
	}
	pin_stat_table__free(&t);
	free(ctx);
	return err;
}

/* Cumulative: both halves, whose keys merge by their aggregation rule. */
int pin_stats_write(struct pin_writer *w, const struct pin_module *m,
		    const struct pin_stat_opts *o)
{
	struct pin_stats_maps maps;
	struct pin_rows rows;
	int i, h, skip, err = 0;

	for (i = 0; i < m->desc->nmaps && !err; i++) {
		const struct pin_map_desc *d = &m->desc->maps[i];

		err = pin_module__open_stats(m, d, PIN_RDONLY, &maps);
		if (err)
			return err;
		pin_rows_init(&rows, d);
		/* a half a flush delivered and has not emptied yet */
		skip = pin_flush_delivered_half(m, &maps);
		for (h = 0; h < 2 && !err; h++)
			if (h != skip)
				err = pin_map_read(maps.half[h], d, &rows, false);
		pin_stats_maps__close(&maps);
		if (err)
			pin_warn("map '%s/maps/%s': %s", m->dir, d->name,
				 strerror(-err));
		else
			err = pin_stats_write_rows(w, m, d, &rows, o);
		pin_rows_free(&rows);
	}
	return err;
}

int pin_drops_write(struct pin_writer *w, const struct pin_module *m)
{
	static const unsigned int meta = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
	static const struct pin_col cols[] = {
		{ "module", PIN_COL_STR, .flags = meta },
		{ "type", PIN_COL_STR, .flags = meta },
		{ "reason", PIN_COL_STR },
		{ "drops", PIN_COL_U64, PIN_ROLE_COUNTER,
		  .help = "Records the module could not keep, by reason." },
	};
	struct pin_val vals[4] = {};
	__u64 drops[DROP_NR], evicted;
	bool has_lru;
	char title[64];
	int i, err;

	err = pin_module__drops(m, drops);
	if (err)
		return err;
	snprintf(title, sizeof(title), "%s drops", m->desc->name);
	pin_writer__begin(w, m->desc->name, title, cols, PIN_LEN(cols));
	vals[0].str = m->desc->name;
	vals[1].str = "drops";
	for (i = 0; i < DROP_NR; i++) {
		vals[2].str = pin_drop_names[i];
		vals[3].u = drops[i];
		err = pin_writer__row(w, vals);
		if (err)
			return err;
	}
	err = pin_module__evicted(m, &evicted, &has_lru);
	if (err)
		return err;
	if (has_lru) {
		vals[2].str = "evicted";
		vals[3].u = evicted;
		err = pin_writer__row(w, vals);
		if (err)
			return err;
	}
	return pin_writer__end(w);
}
