/* SPDX-License-Identifier: GPL-2.0 */
/* records.h: the steps of building rows, for libpin and its unit tests only */
#ifndef __BPFPIN_RECORDS_H
#define __BPFPIN_RECORDS_H

#include "pin.h"

/* ---- columns (columns.c) ---- */

/* How an output column is filled from its field. */
enum pin_derive {
	PIN_D_META,		/* module, type, time, ts_ns: the caller fills them */
	PIN_D_RAW,		/* the field's number or string */
	PIN_D_PATH,		/* path of a cgroup or memory cgroup id */
	PIN_D_CONTAINER,	/* container id of a cgroup id */
	PIN_D_SYSCALL,		/* syscall name */
	PIN_D_NAME,		/* names[value] */
	PIN_D_IP,		/* an address, as text */
	PIN_D_GROUP,		/* the row's group (--by container) */
	PIN_D_DNS_NAME,		/* a captured DNS message's question name */
	PIN_D_DNS_TYPE,		/* and its type */
	PIN_D_CONTENT_LEN,	/* struct bpfpin_content: bytes captured */
	PIN_D_CONTENT_TOTAL,	/* bytes the call carried */
	PIN_D_CONTENT_TRUNC,	/* total - len: bytes not captured */
	PIN_D_CONTENT_DATA,	/* the bytes, which follow the struct */

	PIN_D_PATH_CONTAINER,	/* container id a cgroup path names */
	PIN_D_KEYLOG,		/* struct bpfpin_keylog as an SSLKEYLOGFILE line */
};

struct pin_colspec {
	const struct pin_field *f;
	enum pin_derive how;
};

/* Most columns a field becomes (content: len, total, truncated, data). */
#define PIN_FIELD_MAX_COLS 4

/**
 * pin_col_expand() - the columns field @f becomes
 * @container: a cgroup field adds its container column
 * Return: how many were written to @cols and @spec (at most 4)
 */
int pin_col_expand(const struct pin_field *f, bool container,
		   struct pin_col *cols, struct pin_colspec *spec);

/** pin_fill_ctx_row() - a new row: its strings and DNS question start over */
void pin_fill_ctx_row(struct pin_fill_ctx *ctx);

/**
 * pin_col_fill() - fill one column of a row from the raw struct @data
 * Strings go into @ctx's arena and stay until pin_fill_ctx_row(). Content
 * data points into @data: its length is checked first (pin_event_decode()).
 */
void pin_col_fill(struct pin_fill_ctx *ctx, const struct pin_colspec *sp,
		  const void *data, struct pin_val *v);

/**
 * pin_cgroup_resolve() - path and container of cgroup @id, through @c
 * An id that does not resolve gets the path "cgroup:<id>".
 */
const struct pin_cgroup_cache *pin_cgroup_resolve(struct pin_cgroup_cache *c,
						  __u64 id);

/* ---- stats rows (stats.c) ---- */

struct pin_stat_row {
	const unsigned char *key;
	unsigned char *value;	/* combined value of the group */
	char *group;		/* what rows are grouped and sorted by, or NULL */
	__u64 first;		/* the first key field, when a number: sorts fast */
	__u64 weight;		/* sum of counters, for --top */
};

/* The rows of one stats map, as they are grouped, sorted, merged and cut. */
struct pin_stat_table {
	const struct pin_map_desc *d;
	struct pin_stat_row *r;
	size_t n;		/* rows [0, n) own their group strings */
};

/**
 * pin_stats_grouping() - what the rows of map @d group by, for --by @by
 * @key: the key field grouped by, or NULL
 * @eff: @by, or PIN_BY_NONE when another map of @m has the key and @d
 *	 must be written whole (a flush drained it: nothing may be left out)
 * Return: 0, or -EINVAL (no map of @m has the key) after a message
 */
int pin_stats_grouping(const struct pin_module *m, const struct pin_map_desc *d,
		       enum pin_group_by by, const struct pin_field **key,
		       enum pin_group_by *eff);

/** pin_stat_table__init() - one row per entry of @rows; values stay in @rows */
int pin_stat_table__init(struct pin_stat_table *t, const struct pin_map_desc *d,
			 const struct pin_rows *rows);
/**
 * pin_stat_table__group() - give each row its group string for --by @by
 * (not PIN_BY_NONE), from key field @key; cgroups resolve through @cg
 * Return: 0 or -ENOMEM
 */
int pin_stat_table__group(struct pin_stat_table *t, enum pin_group_by by,
			  const struct pin_field *key,
			  struct pin_cgroup_cache *cg);
/** pin_stat_table__sort() - by group, else by key fields */
void pin_stat_table__sort(struct pin_stat_table *t);
/** pin_stat_table__merge() - sorted rows of one group, or one key, become one */
void pin_stat_table__merge(struct pin_stat_table *t);
/** pin_stat_table__top() - keep the @top rows with most counts (0: all) */
void pin_stat_table__top(struct pin_stat_table *t, int top);
/**
 * pin_stat_table__write() - write the rows as one set, at time @now_ns
 * @by, @key: as pin_stats_grouping() gave them
 */
int pin_stat_table__write(const struct pin_stat_table *t, struct pin_writer *w,
			  const struct pin_module *m, enum pin_group_by by,
			  const struct pin_field *key, __u64 now_ns,
			  struct pin_fill_ctx *ctx);
void pin_stat_table__free(struct pin_stat_table *t);

#endif /* __BPFPIN_RECORDS_H */
