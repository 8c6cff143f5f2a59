// SPDX-License-Identifier: GPL-2.0
/* columns.c: the columns a described field becomes, and how each is filled */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "records.h"

/*
 * The columns one field becomes: its raw value, and what its view adds
 * (a cgroup's path and container, a syscall's name). Raw ids stay in JSON
 * but out of tables and Prometheus labels.
 */
int pin_col_expand(const struct pin_field *f, bool container,
		   struct pin_col *cols, struct pin_colspec *spec)
{
	static const unsigned int hidden = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;
	enum pin_col_type t = f->type == PIN_T_STR ? PIN_COL_STR :
			      f->type == PIN_T_S32 || f->type == PIN_T_S64 ? PIN_COL_S64 :
			      f->type == PIN_T_HIST ? PIN_COL_HIST : PIN_COL_U64;
	int n = 0;

#define ADD(how, ...) (cols[n] = (struct pin_col){ __VA_ARGS__ }, \
		       spec[n++] = (struct pin_colspec){ f, how })
	switch (f->view) {
	case PIN_V_CGROUP:
	case PIN_V_MEMCG:
		ADD(PIN_D_RAW, f->name, PIN_COL_U64, .view = f->view, .flags = hidden);
		ADD(PIN_D_PATH, f->label, PIN_COL_STR, .view = f->view);
		if (container && f->view == PIN_V_CGROUP)
			ADD(PIN_D_CONTAINER, "container", PIN_COL_STR,
			    .view = PIN_V_CONTAINER);
		break;
	case PIN_V_SYSCALL:
	case PIN_V_ERRNO:
		ADD(PIN_D_RAW, f->name, PIN_COL_U64, .flags = hidden);
		ADD(PIN_D_SYSCALL, f->label, PIN_COL_STR);
		break;
	case PIN_V_NAMES:
		ADD(PIN_D_NAME, f->name, PIN_COL_STR, f->role, .help = f->help);
		break;
	case PIN_V_IP:
		ADD(PIN_D_IP, f->name, PIN_COL_STR, f->role, .help = f->help);
		break;
	case PIN_V_CONTENT:
		ADD(PIN_D_CONTENT_LEN, "len", PIN_COL_U64, f->role,
		    .help = "bytes captured");
		ADD(PIN_D_CONTENT_TOTAL, "total", PIN_COL_U64, f->role,
		    .help = "bytes the call carried");
		ADD(PIN_D_CONTENT_TRUNC, "truncated", PIN_COL_U64, f->role,
		    .help = "bytes not captured");
		ADD(PIN_D_CONTENT_DATA, "data", PIN_COL_DATA, f->role,
		    .flags = PIN_COL_NO_PROM, .help = f->help);
		break;
	case PIN_V_CGPATH:
		ADD(PIN_D_RAW, f->name, PIN_COL_STR, f->role, .help = f->help);
		ADD(PIN_D_PATH_CONTAINER, f->label, PIN_COL_STR, .view = PIN_V_CONTAINER);
		break;
	case PIN_V_KEYLOG:
		ADD(PIN_D_KEYLOG, "keylog", PIN_COL_STR, f->role,
		    .flags = PIN_COL_NO_PROM, .help = f->help);
		break;
	case PIN_V_DNS:
		ADD(PIN_D_DNS_NAME, "qname", PIN_COL_STR, f->role, .help = "question name");
		ADD(PIN_D_DNS_TYPE, "qtype", PIN_COL_STR, f->role, .help = "question type");
		break;
	default:
		ADD(PIN_D_RAW, f->name, t, f->role, f->view, .help = f->help);
	}
#undef ADD
	return n;
}

const struct pin_cgroup_cache *pin_cgroup_resolve(struct pin_cgroup_cache *c,
						  __u64 id)
{
	if (c->valid && c->id == id)
		return c;
	c->id = id;
	c->valid = !pin_cgroup_path(id, c->path, sizeof(c->path));
	if (!c->valid)
		snprintf(c->path, sizeof(c->path), "cgroup:%llu",
			 (unsigned long long)id);
	c->has_ctr = pin_container_id(c->path, c->ctr, sizeof(c->ctr));
	return c;
}

void pin_fill_ctx_row(struct pin_fill_ctx *ctx)
{
	ctx->used = 0;
	ctx->dns_of = NULL;
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
 * The question of a captured message, parsed once per row. One the parser
 * refuses (malformed, or cut short by the capture) has no question.
 */
static const struct pin_dns_msg *dns_question(struct pin_fill_ctx *ctx,
					      const unsigned char *p)
{
	const struct bpfpin_dns_capture *cap = (const void *)p;
	size_t len;

	if (ctx->dns_of != p) {
		len = cap->len < BPFPIN_DNS_CAPTURE ? cap->len : BPFPIN_DNS_CAPTURE;
		ctx->dns_ok = !pin_dns_parse(cap->data, len, &ctx->dns) &&
			      ctx->dns.qdcount;
		ctx->dns_of = p;
	}
	return ctx->dns_ok ? &ctx->dns : NULL;
}

/* Copy @s into @buf, cut to @size; Return: the length copied */
static size_t put(char *buf, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
	return n;
}

/* The length snprintf() wrote into @size bytes, from what it returned. */
static size_t cut(int n, size_t size)
{
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static const char *const keylog_labels[] = {
	[BPFPIN_KEYLOG_CLIENT_RANDOM] = "CLIENT_RANDOM",
	[BPFPIN_KEYLOG_CLIENT_TRAFFIC_0] = "CLIENT_TRAFFIC_SECRET_0",
	[BPFPIN_KEYLOG_SERVER_TRAFFIC_0] = "SERVER_TRAFFIC_SECRET_0",
	[BPFPIN_KEYLOG_EXPORTER] = "EXPORTER_SECRET",
};

size_t pin_keylog_line(const void *data, char *buf, size_t size)
{
	struct bpfpin_keylog k;
	size_t n = 0, i;

	memcpy(&k, data, sizeof(k));
	if (k.label >= sizeof(keylog_labels) / sizeof(keylog_labels[0]) ||
	    k.len > sizeof(k.secret)) {
		buf[0] = '\0';
		return 0;
	}
	n = cut(snprintf(buf, size, "%s ", keylog_labels[k.label]), size);
	for (i = 0; i < sizeof(k.client_random) && n + 3 <= size; i++)
		n += snprintf(buf + n, size - n, "%02x", k.client_random[i]);
	if (n + 2 <= size)
		buf[n++] = ' ';
	for (i = 0; i < k.len && n + 3 <= size; i++)
		n += snprintf(buf + n, size - n, "%02x", k.secret[i]);
	buf[n < size ? n : size - 1] = '\0';
	return strlen(buf);
}

/*
 * Fill one column: v->str points at a constant string (a name), or at @buf,
 * which holds what the row's later columns must not overwrite.
 * Return: the length of the string written into @buf
 */
static size_t fill(struct pin_fill_ctx *ctx, const struct pin_colspec *sp,
		   const unsigned char *data, struct pin_val *v, char *buf,
		   size_t size)
{
	const struct pin_field *f = sp->f;
	__u64 raw = pin_field_get(data, f);
	const struct pin_cgroup_cache *cg;
	const struct pin_dns_msg *q;
	const char *name;

	v->str = buf;
	switch (sp->how) {
	case PIN_D_RAW:
		v->str = NULL;
		if (f->type == PIN_T_HIST) {
			v->hist = (const struct bpfpin_hist *)(data + f->offset);
		} else if (f->type == PIN_T_STR) {
			size_t n = f->size < size - 1 ? f->size : size - 1;

			v->str = buf;
			memcpy(buf, data + f->offset, n);
			buf[n] = '\0';
			return strlen(buf);
		} else if (f->type == PIN_T_S32 || f->type == PIN_T_S64) {
			v->s = (__s64)raw;
		} else {
			v->u = raw;
		}
		return 0;
	case PIN_D_PATH:
		if (f->view == PIN_V_CGROUP) {
			cg = pin_cgroup_resolve(&ctx->cg, raw);
			return put(buf, size, cg->path);
		}
		if (pin_memcg_path(raw, buf, size))
			return cut(snprintf(buf, size, "cgroup:%llu",
					    (unsigned long long)raw), size);
		return strlen(buf);
	case PIN_D_CONTAINER:
		cg = pin_cgroup_resolve(&ctx->cg, raw);
		v->null = !cg->has_ctr;
		return cg->has_ctr ? put(buf, size, cg->ctr) : 0;
	case PIN_D_PATH_CONTAINER: {
		char path[1024];
		size_t n = f->size < sizeof(path) - 1 ? f->size : sizeof(path) - 1;

		memcpy(path, data + f->offset, n);
		path[n] = '\0';
		v->null = !pin_container_id(path, buf, size);
		return v->null ? 0 : strlen(buf);
	}
	case PIN_D_SYSCALL:
		if (f->view == PIN_V_ERRNO) {
			v->null = pin_errno_str(raw, buf, size) < 0;
			return v->null ? 0 : strlen(buf);
		}
		name = pin_syscall_name(raw);
		if (name) {
			v->str = name;
			return 0;
		}
		return cut(snprintf(buf, size, "syscall_%llu",
				    (unsigned long long)raw), size);
	case PIN_D_IP:
		/* IPv4-mapped addresses print as IPv4 */
		if (!memcmp(data + f->offset, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET, data + f->offset + 12, buf, size);
		else
			inet_ntop(AF_INET6, data + f->offset, buf, size);
		return strlen(buf);
	case PIN_D_DNS_NAME:
	case PIN_D_DNS_TYPE:
		q = dns_question(ctx, data + f->offset);
		if (!q) {
			v->null = true;
			return 0;
		}
		if (sp->how == PIN_D_DNS_NAME)
			return put(buf, size, q->qname);
		name = dns_type_name(q->qtype);
		if (name) {
			v->str = name;
			return 0;
		}
		return cut(snprintf(buf, size, "TYPE%u", q->qtype), size);
	case PIN_D_CONTENT_LEN:
	case PIN_D_CONTENT_TOTAL:
	case PIN_D_CONTENT_TRUNC:
	case PIN_D_CONTENT_DATA: {
		struct bpfpin_content c;

		/* pin_event_decode() checked that len bytes follow */
		memcpy(&c, data + f->offset, sizeof(c));
		v->str = NULL;
		if (sp->how == PIN_D_CONTENT_DATA) {
			v->data = data + f->offset + sizeof(c);
			v->len = c.len;
		} else {
			v->u = sp->how == PIN_D_CONTENT_LEN ? c.len :
			       sp->how == PIN_D_CONTENT_TOTAL ? c.total :
			       c.total - c.len;
		}
		return 0;
	}
	case PIN_D_KEYLOG:
		return pin_keylog_line(data + f->offset, buf, size);
	case PIN_D_NAME:
		if (raw < f->nnames && f->names[raw]) {
			v->str = f->names[raw];
			return 0;
		}
		return cut(snprintf(buf, size, "%llu", (unsigned long long)raw), size);
	default:
		return 0;
	}
}

void pin_col_fill(struct pin_fill_ctx *ctx, const struct pin_colspec *sp,
		  const void *data, struct pin_val *v)
{
	size_t size = sizeof(ctx->arena) - ctx->used;
	char *buf = ctx->arena + ctx->used;

	/* a full arena leaves the rest of the row's strings empty */
	if (!size) {
		buf = ctx->arena + sizeof(ctx->arena) - 1;
		size = 1;
	}
	memset(v, 0, sizeof(*v));
	buf[0] = '\0';
	if (size > 1)
		ctx->used += fill(ctx, sp, data, v, buf, size) + 1;
	else
		fill(ctx, sp, data, v, buf, size);
}
