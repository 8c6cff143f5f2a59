// SPDX-License-Identifier: GPL-2.0
/* events.c: raw ring buffer events into rows of columns, by the module's description */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "records.h"

__u64 pin_clock_offset(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * 1000000000ull + rt.tv_nsec - bt.tv_nsec;
}

static const struct pin_event_desc *event_desc(const struct pin_module_desc *d,
					       unsigned int type)
{
	int i;

	for (i = 0; i < d->nevents; i++)
		if (d->events[i].type == type)
			return &d->events[i];
	return NULL;
}

/*
 * An event with content (PIN_V_CONTENT) is as long as what it captured:
 * its struct bpfpin_content, then len bytes. Its description's size is
 * where the data begins; a content field elsewhere, or len bytes the
 * event does not hold, or more captured than the call carried, make the
 * event malformed.
 * Return: 0, or -EPROTO
 */
static int content_check(const struct pin_event_desc *e, const void *data,
			 size_t size)
{
	const struct pin_field *f;
	struct bpfpin_content c;
	size_t start;
	int i;

	for (i = 0; i < e->nfields; i++) {
		f = &e->fields[i];
		if (f->view != PIN_V_CONTENT)
			continue;
		start = (size_t)f->offset + sizeof(c);
		if (f->size != sizeof(c) || start != e->size)
			return -EPROTO;
		memcpy(&c, (const char *)data + f->offset, sizeof(c));
		if (c.len > c.total || c.len > size - start)
			return -EPROTO;
	}
	return 0;
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
	struct pin_colspec spec[PIN_EVENT_MAX_COLS];
	int i, n = 0, c;
	__u64 ts;

	if (size < sizeof(*h))
		return -EPROTO;
	e = event_desc(d, h->type);
	if (!e || size < e->size || content_check(e, data, size))
		return -EPROTO;
	ts = h->ts_ns + clock_offset;
	pin_format_rfc3339(ts, r->time, sizeof(r->time));
	memcpy(r->comm, h->comm, BPFPIN_COMM_LEN);
	r->comm[BPFPIN_COMM_LEN] = '\0';
	r->pid = h->pid;

	/* each value is zeroed as its column is made: not all 40 per event */
#define COL(...) (r->cols[n] = (struct pin_col){ __VA_ARGS__ }, \
		  r->vals[n] = (struct pin_val){ 0 }, &r->vals[n++])
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
	n += pin_col_expand(&hdr_cgroup, true, r->cols + n, spec + n);
	for (i = 0; i < e->nfields; i++) {
		if (n + PIN_FIELD_MAX_COLS > PIN_EVENT_MAX_COLS)
			break;
		n += pin_col_expand(&e->fields[i], false, r->cols + n, spec + n);
	}
	pin_fill_ctx_row(&r->fill);
	for (i = c; i < n; i++) {
		pin_col_fill(&r->fill, &spec[i], data, &r->vals[i]);
		if (spec[i].how == PIN_D_CONTAINER) {
			r->has_container = !r->vals[i].null;
			r->container = r->vals[i].str;
		}
	}
	r->n = n;
	return 0;
}
