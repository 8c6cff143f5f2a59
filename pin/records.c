// SPDX-License-Identifier: GPL-2.0
/* records.c: turn pinned stats and raw events into writer rows, guided by the module description */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pin.h"

#define MAX_COLS 64

__u64 pin_clock_offset(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * 1000000000ull + rt.tv_nsec - bt.tv_nsec;
}

int pin_group_by_parse(const char *s, enum pin_group_by *by)
{
	static const char *const names[] = {
		[PIN_BY_PID] = "pid", [PIN_BY_COMM] = "comm",
		[PIN_BY_CGROUP] = "cgroup", [PIN_BY_CONTAINER] = "container",
	};
	int i;

	for (i = PIN_BY_PID; i <= PIN_BY_CONTAINER; i++)
		if (!strcmp(s, names[i])) {
			*by = i;
			return 0;
		}
	return -EINVAL;
}

static __u64 field_u64(const unsigned char *p, const struct pin_field *f)
{
	switch (f->size) {
	case 8: { __u64 v; memcpy(&v, p + f->offset, 8); return v; }
	case 4: { __u32 v; memcpy(&v, p + f->offset, 4);
		  return f->type == PIN_T_S32 ? (__u64)(__s64)(__s32)v : v; }
	case 2: { __u16 v; memcpy(&v, p + f->offset, 2); return v; }
	case 1: return p[f->offset];
	}
	return 0;
}

static void field_str(const unsigned char *p, const struct pin_field *f,
		      char *buf, size_t size)
{
	size_t n = f->size < size - 1 ? f->size : size - 1;

	memcpy(buf, p + f->offset, n);
	buf[n] = '\0';
}

/* ---- stats ---- */

struct stat_row {
	const unsigned char *key;
	unsigned char *value;	/* combined value of the group */
	char *group;		/* what rows are grouped and sorted by */
	__u64 first;		/* the first key field, when a number: sorts fast */
	__u64 weight;		/* sum of counters, for --top */
};

/*
 * Rows sort by their group when grouping (--by), else by their raw key
 * fields: numbers as numbers, strings as bytes. No string is built per row
 * for a plain read, which is what a large map costs most.
 */
static int by_key(const void *a, const void *b, void *arg)
{
	const struct stat_row *x = a, *y = b;
	const struct pin_map_desc *d = arg;
	int i, c;

	if (x->group && y->group)
		return strcmp(x->group, y->group);
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	for (i = 0; i < d->nkeys; i++) {
		const struct pin_field *f = &d->keys[i];

		if (f->type == PIN_T_STR) {
			c = strncmp((const char *)x->key + f->offset,
				    (const char *)y->key + f->offset, f->size);
		} else if (f->type == PIN_T_BYTES) {
			c = memcmp(x->key + f->offset, y->key + f->offset, f->size);
		} else {
			__u64 p = field_u64(x->key, f), q = field_u64(y->key, f);

			c = p < q ? -1 : p > q;
		}
		if (c)
			return c;
	}
	return 0;
}

static int by_weight(const void *a, const void *b, void *arg)
{
	const struct stat_row *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return by_key(a, b, arg);
}

static const struct pin_field *find_key(const struct pin_map_desc *d,
					const char *name, enum pin_view view)
{
	int i;

	for (i = 0; i < d->nkeys; i++)
		if ((name && !strcmp(d->keys[i].name, name)) ||
		    (!name && d->keys[i].view == view))
			return &d->keys[i];
	return NULL;
}

/* The key rows are grouped by for --by @by, or NULL. */
static const struct pin_field *group_key_of(const struct pin_map_desc *d,
					    enum pin_group_by by)
{
	if (by == PIN_BY_PID || by == PIN_BY_COMM)
		return find_key(d, by == PIN_BY_PID ? "pid" : "comm", 0);
	if (by != PIN_BY_NONE)
		return find_key(d, NULL, PIN_V_CGROUP);
	return NULL;
}

static void cgroup_strings(__u64 id, char *path, size_t psize, char *ctr,
			   size_t csize, bool *has_ctr)
{
	if (pin_cgroup_path(id, path, psize))
		snprintf(path, psize, "cgroup:%llu", (unsigned long long)id);
	*has_ctr = pin_container_id(path, ctr, csize);
}

/* How an output column is filled from its field. */
enum derive {
	D_META,		/* module, type, time, ts_ns: the caller fills them */
	D_RAW,		/* the field's number or string */
	D_PATH,		/* path of a cgroup or memory cgroup id */
	D_CONTAINER,	/* container id of a cgroup id */
	D_SYSCALL,	/* syscall name */
	D_NAME,		/* names[value] */
	D_IP,		/* an address, as text */
	D_GROUP,	/* the row's group (--by container) */
	D_DNS_NAME,	/* a captured DNS message's question name */
	D_DNS_TYPE,	/* and its type */
};

struct colspec {
	const struct pin_field *f;
	enum derive how;
};

/*
 * The columns one field becomes: its raw value, and what its view adds
 * (a cgroup's path and container, a syscall's name). Raw ids stay in JSON
 * but out of tables and Prometheus labels.
 */
static int expand_field(const struct pin_field *f, bool container,
			struct pin_col *cols, struct colspec *spec)
{
	static const unsigned int hidden = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
	enum pin_col_type t = f->type == PIN_T_STR ? PIN_COL_STR :
			      f->type == PIN_T_S32 || f->type == PIN_T_S64 ? PIN_COL_S64 :
			      f->type == PIN_T_HIST ? PIN_COL_HIST : PIN_COL_U64;
	int n = 0;

#define ADD(how, ...) (cols[n] = (struct pin_col){ __VA_ARGS__ }, \
		       spec[n++] = (struct colspec){ f, how })
	switch (f->view) {
	case PIN_V_CGROUP:
	case PIN_V_MEMCG:
		ADD(D_RAW, f->name, PIN_COL_U64, .view = f->view, .flags = hidden);
		ADD(D_PATH, f->label, PIN_COL_STR, .view = f->view);
		if (container && f->view == PIN_V_CGROUP)
			ADD(D_CONTAINER, "container", PIN_COL_STR,
			    .view = PIN_V_CONTAINER);
		break;
	case PIN_V_SYSCALL:
	case PIN_V_ERRNO:
		ADD(D_RAW, f->name, PIN_COL_U64, .flags = hidden);
		ADD(D_SYSCALL, f->label, PIN_COL_STR);
		break;
	case PIN_V_NAMES:
		ADD(D_NAME, f->name, PIN_COL_STR, f->role, .help = f->help);
		break;
	case PIN_V_IP:
		ADD(D_IP, f->name, PIN_COL_STR, f->role, .help = f->help);
		break;
	case PIN_V_DNS:
		ADD(D_DNS_NAME, "qname", PIN_COL_STR, f->role, .help = "question name");
		ADD(D_DNS_TYPE, "qtype", PIN_COL_STR, f->role, .help = "question type");
		break;
	default:
		ADD(D_RAW, f->name, t, f->role, f->view, .help = f->help);
	}
#undef ADD
	return n;
}

/*
 * The last cgroup resolved: rows and events of one cgroup come in runs, and
 * each needs its path and then its container.
 */
static struct {
	__u64 id;
	bool valid;
	bool has_ctr;
	char path[PATH_MAX];
	char ctr[80];
} last_cg;

static void cgroup_cached(__u64 id)
{
	if (last_cg.valid && last_cg.id == id)
		return;
	cgroup_strings(id, last_cg.path, sizeof(last_cg.path), last_cg.ctr,
		       sizeof(last_cg.ctr), &last_cg.has_ctr);
	last_cg.id = id;
	/* a miss is not kept: the cgroup may be newer than the last scan */
	last_cg.valid = strncmp(last_cg.path, "cgroup:", 7) != 0;
}

static const char *dns_type_name(unsigned int t)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 255: return "ANY";
	}
	return NULL;
}

/*
 * The question of a captured message. One the parser refuses (malformed,
 * or cut short by the capture) leaves both columns null.
 */
static void dns_column(enum derive how, const unsigned char *p,
		       struct pin_val *v, char *buf, size_t size)
{
	/* qname comes first, then qtype of the same message: parse once */
	static struct pin_dns_msg msg;
	static bool valid;
	const struct bpfpin_dns_capture *cap = (const void *)p;
	size_t len = cap->len < BPFPIN_DNS_CAPTURE ? cap->len : BPFPIN_DNS_CAPTURE;
	const char *name;

	if (how == D_DNS_NAME)
		valid = !pin_dns_parse(cap->data, len, &msg) && msg.qdcount;
	if (!valid) {
		v->null = true;
		return;
	}
	if (how == D_DNS_NAME) {
		snprintf(buf, size, "%s", msg.qname);
		return;
	}
	name = dns_type_name(msg.qtype);
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "TYPE%u", msg.qtype);
}

/* Fill one column of a row from the raw struct @data into @buf. */
static void fill_column(const struct colspec *sp, const unsigned char *data,
			struct pin_val *v, char *buf, size_t size)
{
	const struct pin_field *f = sp->f;
	__u64 raw = field_u64(data, f);
	const char *name;

	memset(v, 0, sizeof(*v));
	v->str = buf;
	switch (sp->how) {
	case D_RAW:
		if (f->type == PIN_T_HIST)
			v->hist = (const struct bpfpin_hist *)(data + f->offset);
		else if (f->type == PIN_T_STR)
			field_str(data, f, buf, size);
		else if (f->type == PIN_T_S32 || f->type == PIN_T_S64)
			v->s = (__s64)raw;
		else
			v->u = raw;
		break;
	case D_PATH:
		if (f->view == PIN_V_CGROUP) {
			cgroup_cached(raw);
			v->str = last_cg.path;
		} else if (pin_memcg_path(raw, buf, size)) {
			snprintf(buf, size, "cgroup:%llu", (unsigned long long)raw);
		}
		break;
	case D_CONTAINER:
		cgroup_cached(raw);
		v->str = last_cg.ctr;
		v->null = !last_cg.has_ctr;
		break;
	case D_SYSCALL:
		if (f->view == PIN_V_ERRNO) {
			v->null = pin_errno_str(raw, buf, size) < 0;
			break;
		}
		name = pin_syscall_name(raw);
		if (name)
			snprintf(buf, size, "%s", name);
		else
			snprintf(buf, size, "syscall_%llu", (unsigned long long)raw);
		break;
	case D_IP:
		/* IPv4-mapped addresses print as IPv4 */
		if (!memcmp(data + f->offset, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET, data + f->offset + 12, buf, size);
		else
			inet_ntop(AF_INET6, data + f->offset, buf, size);
		break;
	case D_DNS_NAME:
	case D_DNS_TYPE:
		dns_column(sp->how, data + f->offset, v, buf, size);
		break;
	case D_NAME:
		if (raw < f->nnames && f->names[raw])
			snprintf(buf, size, "%s", f->names[raw]);
		else
			snprintf(buf, size, "%llu", (unsigned long long)raw);
		break;
	default:
		break;
	}
}

/* Key columns as the grouping leaves them; values follow. */
static int stat_columns(const struct pin_map_desc *d, enum pin_group_by by,
			const struct pin_field *group_key, struct pin_col *cols,
			struct colspec *spec)
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
		spec[n++] = (struct colspec){ group_key, D_GROUP };
	}
	for (i = 0; i < d->nkeys; i++) {
		if (by == PIN_BY_NONE || (by != PIN_BY_CONTAINER &&
					  &d->keys[i] == group_key))
			n += expand_field(&d->keys[i], true, cols + n, spec + n);
	}
	for (i = 0; i < d->nvalues; i++)
		n += expand_field(&d->values[i], false, cols + n, spec + n);
	return n;
}

static void combine(const struct pin_map_desc *d, unsigned char *acc,
		    const unsigned char *v)
{
	int i;

	for (i = 0; i < d->nvalues; i++) {
		const struct pin_field *f = &d->values[i];
		__u64 a, b, r;
		unsigned int w;

		if (f->type == PIN_T_HIST) {
			for (w = 0; w < f->size; w += 8) {
				memcpy(&a, acc + f->offset + w, 8);
				memcpy(&b, v + f->offset + w, 8);
				a += b;
				memcpy(acc + f->offset + w, &a, 8);
			}
			continue;
		}
		a = field_u64(acc, f);
		b = field_u64(v, f);
		r = f->agg == PIN_AGG_MAX ? (a > b ? a : b) : a + b;
		memcpy(acc + f->offset, &r, f->size < 8 ? f->size : 8);
	}
}

static int write_map(struct pin_writer *w, const struct pin_module *m,
		     const struct pin_map_desc *d, const struct pin_rows *rows,
		     const struct pin_stat_opts *o)
{
	const struct pin_field *group_key = NULL, *cg_key;
	struct colspec spec[MAX_COLS] = {};
	struct pin_col cols[MAX_COLS];
	struct pin_val vals[MAX_COLS];
	char path[PATH_MAX], ctr[80], str[PATH_MAX], now[40], prefix[80];
	char (*bufs)[PATH_MAX] = NULL, *group = NULL;
	struct stat_row *r;
	size_t i, n = 0;
	int c, ncols, err = 0;
	struct pin_stat_opts ungrouped;
	struct timespec ts;
	__u64 now_ns;
	bool has_ctr;

	cg_key = find_key(d, NULL, PIN_V_CGROUP);
	group_key = group_key_of(d, o->by);
	if (o->by != PIN_BY_NONE && !group_key) {
		int k;

		for (k = 0; k < m->desc->nmaps; k++)
			if (group_key_of(&m->desc->maps[k], o->by))
				break;
		if (k == m->desc->nmaps) {
			pin_warn("map '%s/%s' has no key to group by %s",
				 m->desc->name, d->name,
				 o->by == PIN_BY_PID ? "pid" : o->by == PIN_BY_COMM ?
				 "comm" : "cgroup");
			return -EINVAL;
		}
		/* another map of the module groups; this one is written whole
		 * (a flush has drained it: nothing may be left out) */
		ungrouped = *o;
		ungrouped.by = PIN_BY_NONE;
		o = &ungrouped;
	}
	ncols = stat_columns(d, o->by, group_key, cols, spec);

	r = calloc(rows->n ? rows->n : 1, sizeof(*r));
	bufs = calloc(ncols, PATH_MAX);
	group = malloc(PATH_MAX);
	if (!r || !bufs || !group) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < rows->n; i++) {
		const unsigned char *key = rows->keys + i * d->key_size;
		struct stat_row *row = &r[i];
		size_t len = 0;
		int k;

		group[0] = '\0';
		row->key = key;
		row->value = rows->values + i * d->value_size;
		row->first = d->nkeys && d->keys[0].type != PIN_T_STR ?
			     field_u64(key, &d->keys[0]) : 0;
		if (o->by == PIN_BY_NONE)
			continue;
		for (k = 0; k < d->nkeys; k++) {
			const struct pin_field *f = &d->keys[k];

			if (o->by == PIN_BY_CONTAINER) {
				if (f != cg_key)
					continue;
				cgroup_strings(field_u64(key, f), path, sizeof(path),
					       ctr, sizeof(ctr), &has_ctr);
				snprintf(group, PATH_MAX, "%s", has_ctr ? ctr : "");
				break;
			}
			if (o->by != PIN_BY_NONE && f != group_key)
				continue;
			if (f->view == PIN_V_CGROUP) {
				__u64 id = field_u64(key, f);
				size_t l;

				/* sorted by path; the id keeps two groups apart */
				cgroup_strings(id, str, sizeof(str), ctr,
					       sizeof(ctr), &has_ctr);
				l = strlen(str);
				snprintf(str + l, sizeof(str) - l, "\x02%020llu",
					 (unsigned long long)id);
			}
			else if (f->type == PIN_T_STR)
				field_str(key, f, str, sizeof(str));
			else
				snprintf(str, sizeof(str), "%020llu",
					 (unsigned long long)field_u64(key, f));
			len += snprintf(group + len, PATH_MAX - len, "%s\x01", str);
			if (len >= PATH_MAX)
				len = PATH_MAX - 1;
		}
		row->group = strdup(group);
		if (!row->group) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	qsort_r(r, rows->n, sizeof(*r), by_key, (void *)d);
	/* merge rows of one group (or one key read from both halves) */
	for (i = 0; i < rows->n; i++) {
		if (n && !by_key(&r[n - 1], &r[i], (void *)d)) {
			combine(d, r[n - 1].value, r[i].value);
			free(r[i].group);
			r[i].group = NULL;
			continue;
		}
		r[n] = r[i];
		if (n++ != i)
			r[i].group = NULL;	/* moved: one owner per string */
	}
	for (i = 0; i < n; i++) {
		r[i].weight = 0;
		for (c = 0; c < d->nvalues; c++)
			if (d->values[c].role == PIN_ROLE_COUNTER &&
			    d->values[c].type != PIN_T_HIST)
				r[i].weight += field_u64(r[i].value, &d->values[c]);
	}
	if (o->top > 0) {
		qsort_r(r, n, sizeof(*r), by_weight, (void *)d);
		if ((size_t)o->top < n)
			n = o->top;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	pin_format_rfc3339(now_ns, now, sizeof(now));
	snprintf(str, sizeof(str), "%s %s", m->desc->name, d->name);
	/* metric names: bpfpin_<module>_<field> for the first map, and
	 * bpfpin_<module>_<map>_<field> for others, which share fields */
	snprintf(prefix, sizeof(prefix), "%s%s%s", m->desc->name,
		 d == m->desc->maps ? "" : "_", d == m->desc->maps ? "" : d->name);
	pin_writer__begin(w, prefix, str, cols, ncols);
	for (i = 0; i < n && !err; i++) {
		memset(vals, 0, sizeof(vals));
		vals[0].str = m->desc->name;
		vals[1].str = d->name;
		vals[2].str = now;
		vals[3].u = now_ns;
		for (c = 4; c < ncols; c++) {
			if (spec[c].how == D_GROUP) {
				vals[c].null = !r[i].group[0];
				vals[c].str = r[i].group;
			} else {
				fill_column(&spec[c], spec[c].f->role == PIN_ROLE_LABEL ?
					    r[i].key : r[i].value, &vals[c],
					    bufs[c], PATH_MAX);
			}
		}
		err = pin_writer__row(w, vals);
	}
	if (!err)
		err = pin_writer__end(w);
out_free:
	for (i = 0; r && i < rows->n; i++)
		free(r[i].group);
	free(group);
	free(bufs);
	free(r);
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

/* Cumulative: both halves, whose keys merge by their aggregation rule. */
int pin_stats_write(struct pin_writer *w, const struct pin_module *m,
		    const struct pin_stat_opts *o)
{
	struct pin_stats_maps maps;
	struct pin_rows rows;
	int i, h, err = 0;

	for (i = 0; i < m->desc->nmaps && !err; i++) {
		const struct pin_map_desc *d = &m->desc->maps[i];

		err = pin_module__open_stats(m, d, PIN_RDONLY, &maps);
		if (err)
			return err;
		pin_rows_init(&rows, d);
		for (h = 0; h < 2 && !err; h++)
			err = pin_map_read(maps.half[h], d, &rows, false);
		pin_stats_maps__close(&maps);
		if (err)
			pin_warn("map '%s/maps/%s': %s", m->dir, d->name,
				 strerror(-err));
		else
			err = write_map(w, m, d, &rows, o);
		pin_rows_free(&rows);
	}
	return err;
}

int pin_stats_flush(struct pin_writer *w, const struct pin_module *m,
		    const struct pin_stat_opts *o)
{
	struct pin_stats_maps maps;
	struct pin_rows rows;
	int i, old, lock, err = 0;

	lock = pin_module__lock(m);
	if (lock < 0) {
		pin_warn("module '%s': lock '%s': %s", m->desc->name, m->dir,
			 strerror(-lock));
		return lock;
	}
	for (i = 0; i < m->desc->nmaps && !err; i++) {
		const struct pin_map_desc *d = &m->desc->maps[i];

		err = pin_module__open_stats(m, d, 0, &maps);
		if (err)
			break;
		pin_rows_init(&rows, d);
		old = pin_stats_maps__swap(&maps);
		if (old < 0) {
			err = old;
			pin_warn("map '%s/maps/%s_slot': swap: %s", m->dir, d->name,
				 strerror(-err));
		} else {
			err = pin_map_read(maps.half[old], d, &rows, true);
			if (err)
				pin_warn("map '%s/maps/%s_%c': drain: %s", m->dir,
					 d->name, 'a' + old, strerror(-err));
			else if (pin_map_is_lru(d))
				err = pin_module__drained_add(m, d, rows.n);
		}
		pin_stats_maps__close(&maps);
		if (!err)
			err = write_map(w, m, d, &rows, o);
		pin_rows_free(&rows);
	}
	close(lock);
	return err;
}

/* ---- events ---- */

static const struct pin_event_desc *event_desc(const struct pin_module_desc *d,
					       unsigned int type)
{
	int i;

	for (i = 0; i < d->nevents; i++)
		if (d->events[i].type == type)
			return &d->events[i];
	return NULL;
}

int pin_event_decode(const struct pin_module_desc *d, const void *data,
		     size_t size, __u64 clock_offset, struct pin_event_row *r)
{
	static const unsigned int meta = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
	static const struct pin_field hdr_cgroup = {
		.name = "cgroup_id", .offset = offsetof(struct bpfpin_event_hdr, cgroup_id),
		.size = 8, .type = PIN_T_U64, .view = PIN_V_CGROUP, .label = "cgroup",
	};
	const struct bpfpin_event_hdr *h = data;
	const struct pin_event_desc *e;
	struct colspec spec[PIN_EVENT_MAX_COLS];
	int i, n = 0, c;
	__u64 ts;

	if (size < sizeof(*h))
		return -EPROTO;
	e = event_desc(d, h->type);
	if (!e || size < e->size)
		return -EPROTO;
	ts = h->ts_ns + clock_offset;
	pin_format_rfc3339(ts, r->time, sizeof(r->time));
	memcpy(r->comm, h->comm, BPFPIN_COMM_LEN);
	r->comm[BPFPIN_COMM_LEN] = '\0';
	r->pid = h->pid;

	memset(r->vals, 0, sizeof(r->vals));
#define COL(...) (r->cols[n] = (struct pin_col){ __VA_ARGS__ }, &r->vals[n++])
	COL("time", PIN_COL_STR, .flags = PIN_COL_BARE)->str = r->time;
	COL("module", PIN_COL_STR, .flags = PIN_COL_BARE)->str = d->name;
	COL("type", PIN_COL_STR, .flags = PIN_COL_BARE)->str = e->name;
	COL("ts_ns", PIN_COL_U64, .flags = meta)->u = ts;
	COL("pid", PIN_COL_U64)->u = h->pid;
	COL("tid", PIN_COL_U64, .flags = meta)->u = h->tid;
	COL("comm", PIN_COL_STR)->str = r->comm;
#undef COL
	/* the header's cgroup, then the type's own fields, as for stats */
	c = n;
	n += expand_field(&hdr_cgroup, true, r->cols + n, spec + n);
	for (i = 0; i < e->nfields; i++) {
		if (n + 3 > PIN_EVENT_MAX_COLS)
			break;
		n += expand_field(&e->fields[i], false, r->cols + n, spec + n);
	}
	for (i = c; i < n; i++) {
		fill_column(&spec[i], data, &r->vals[i], r->bufs[i],
			    sizeof(r->bufs[i]));
		if (spec[i].how == D_CONTAINER) {
			r->has_container = !r->vals[i].null;
			r->container = r->vals[i].str;
		}
	}
	r->n = n;
	return 0;
}
