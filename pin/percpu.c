// SPDX-License-Identifier: GPL-2.0
/* percpu.c: read per-CPU maps whole, with batch lookups, and combine the CPUs */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

/* ~4096 keys per batch read fastest here (measured: see ARCHITECTURE.md). */
#define BATCH_KEYS 4096

int pin_ncpus(void)
{
	static int n;

	if (!n) {
		n = libbpf_num_possible_cpus();
		if (n < 1)
			n = 1;
	}
	return n;
}

size_t pin_percpu_stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

static inline __u64 field_get(const unsigned char *p, const struct pin_field *f)
{
	p += f->offset;
	switch (f->size) {
	case 8: { __u64 x; memcpy(&x, p, 8); return x; }
	case 4: { __u32 x; memcpy(&x, p, 4);
		  return f->type == PIN_T_S32 ? (__u64)(__s64)(__s32)x : x; }
	case 2: { __u16 x; memcpy(&x, p, 2); return x; }
	case 1: return *p;
	}
	return 0;
}

static inline void field_put(unsigned char *p, const struct pin_field *f,
			     __u64 v)
{
	p += f->offset;
	switch (f->size) {
	case 8: memcpy(p, &v, 8); break;
	case 4: { __u32 x = v; memcpy(p, &x, 4); break; }
	case 2: { __u16 x = v; memcpy(p, &x, 2); break; }
	case 1: *p = v; break;
	}
}

__u64 pin_field_get(const void *data, const struct pin_field *f)
{
	return field_get(data, f);
}

void pin_field_put(void *data, const struct pin_field *f, __u64 v)
{
	field_put(data, f, v);
}

/* Always inlined: pin_percpu_reduce() runs it per CPU for every key read. */
static inline __attribute__((always_inline)) void
combine(const struct pin_map_desc *d, unsigned char *a, const unsigned char *b)
{
	int i;

	for (i = 0; i < d->nvalues; i++) {
		const struct pin_field *f = &d->values[i];
		__u64 x, y;
		unsigned int w;

		/* a histogram is a run of u64 sums */
		if (f->type == PIN_T_HIST) {
			for (w = f->offset; w + 8 <= f->offset + f->size; w += 8) {
				memcpy(&x, a + w, 8);
				memcpy(&y, b + w, 8);
				x += y;
				memcpy(a + w, &x, 8);
			}
			continue;
		}
		x = field_get(a, f);
		y = field_get(b, f);
		if (f->agg == PIN_AGG_MAX)
			field_put(a, f, x > y ? x : y);
		else
			field_put(a, f, x + y);
	}
}

void pin_value_combine(const struct pin_map_desc *d, void *acc, const void *v)
{
	combine(d, acc, v);
}

void pin_percpu_reduce(const struct pin_map_desc *d, const void *percpu,
		       void *out)
{
	size_t stride = pin_percpu_stride(d->value_size);
	const unsigned char *p = percpu;
	int cpu, ncpus = pin_ncpus();

	memset(out, 0, d->value_size);
	for (cpu = 0; cpu < ncpus; cpu++)
		combine(d, out, p + cpu * stride);
}

static int rows_reserve(struct pin_rows *rows, size_t more)
{
	size_t cap = rows->cap ? rows->cap : 64;
	unsigned char *k, *v;

	if (rows->n + more <= rows->cap)
		return 0;
	while (cap < rows->n + more)
		cap *= 2;
	k = realloc(rows->keys, cap * rows->key_size);
	if (!k)
		return -ENOMEM;
	rows->keys = k;
	v = realloc(rows->values, cap * rows->value_size);
	if (!v)
		return -ENOMEM;
	rows->values = v;
	rows->cap = cap;
	return 0;
}

static bool is_array(const struct pin_map_desc *d)
{
	return d->type == BPF_MAP_TYPE_PERCPU_ARRAY || d->type == BPF_MAP_TYPE_ARRAY;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Every index of an array exists: only those that counted something are rows. */
static int rows_add(struct pin_rows *rows, const struct pin_map_desc *d,
		    const unsigned char *keys, const unsigned char *percpu,
		    size_t n)
{
	size_t stride = pin_percpu_stride(d->value_size) * pin_ncpus();
	size_t i;
	int err = rows_reserve(rows, n);

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		unsigned char *value = rows->values + rows->n * rows->value_size;

		pin_percpu_reduce(d, percpu + i * stride, value);
		if (is_array(d) && all_zero(value, d->value_size))
			continue;
		memcpy(rows->keys + rows->n * rows->key_size,
		       keys + i * rows->key_size, rows->key_size);
		rows->n++;
	}
	return 0;
}

/* Arrays cannot delete: draining one writes zeros back over what was read. */
static int zero_keys(int fd, const struct pin_map_desc *d,
		     const unsigned char *keys, __u32 count)
{
	size_t size = pin_percpu_stride(d->value_size) * pin_ncpus() * count;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	void *zeros = calloc(1, size ? size : 1);
	int err = 0;

	if (!zeros)
		return -ENOMEM;
	if (count && bpf_map_update_batch(fd, keys, zeros, &count, &opts))
		err = -errno;
	free(zeros);
	return err;
}

/* For maps without batch ops (older kernels): one key at a time. */
static int read_by_key(int fd, const struct pin_map_desc *d,
		       struct pin_rows *rows, unsigned char *keys,
		       unsigned char *values, bool drain)
{
	unsigned char *key = keys, *next = keys + d->key_size;
	void *prev = NULL;
	int err;

	/* a drained hash shrinks under us: start over; an array stays */
	bool restart = drain && !is_array(d);

	while (bpf_map_get_next_key(fd, restart ? NULL : prev, next) == 0) {
		if (bpf_map_lookup_elem(fd, next, values) == 0) {
			err = rows_add(rows, d, next, values, 1);
			if (!err && drain)
				err = is_array(d) ? zero_keys(fd, d, next, 1) :
				      bpf_map_delete_elem(fd, next) ? -errno : 0;
			if (err)
				return err;
		} else if (errno != ENOENT) {
			return -errno;
		}
		memcpy(key, next, d->key_size);
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

void pin_rows_init(struct pin_rows *rows, const struct pin_map_desc *d)
{
	memset(rows, 0, sizeof(*rows));
	rows->key_size = d->key_size;
	rows->value_size = d->value_size;
}

int pin_map_read(int fd, const struct pin_map_desc *d, struct pin_rows *rows,
		 bool drain)
{
	size_t vstride = pin_percpu_stride(d->value_size) * pin_ncpus();
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	unsigned char *keys, *values;
	__u64 in_batch = 0, out_batch = 0;
	bool first = true;
	int err = 0;

	keys = malloc((size_t)BATCH_KEYS * d->key_size);
	values = malloc((size_t)BATCH_KEYS * vstride);
	if (!keys || !values) {
		err = -ENOMEM;
		goto out_free;
	}
	for (;;) {
		__u32 count = BATCH_KEYS;

		/* hash maps take a 4-byte bucket token, arrays a key: 8 fits both */
		if (drain && !is_array(d))
			err = bpf_map_lookup_and_delete_batch(fd,
					first ? NULL : &in_batch, &out_batch,
					keys, values, &count, &opts);
		else
			err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch,
						   &out_batch, keys, values,
						   &count, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			if (first && (err == -EINVAL || err == -ENOTSUP ||
				      err == -EOPNOTSUPP))
				err = read_by_key(fd, d, rows, keys, values, drain);
			break;
		}
		if (count) {
			int e = rows_add(rows, d, keys, values, count);

			if (!e && drain && is_array(d))
				e = zero_keys(fd, d, keys, count);
			if (e) {
				err = e;
				break;
			}
		}
		if (err) {	/* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
out_free:
	free(keys);
	free(values);
	return err;
}

/* A hash without batch delete (older kernels): one key at a time. */
static int delete_by_key(int fd, const unsigned char *keys, size_t key_size,
			 __u32 count)
{
	__u32 i;

	for (i = 0; i < count; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT)
			return -errno;
	return 0;
}

int pin_map_delete_rows(int fd, const struct pin_map_desc *d,
			const struct pin_rows *rows)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t done = 0;
	int err = 0;

	while (done < rows->n && !err) {
		const unsigned char *keys = rows->keys + done * d->key_size;
		__u32 want = rows->n - done > BATCH_KEYS ? BATCH_KEYS :
			     rows->n - done, count = want;

		if (is_array(d)) {
			err = zero_keys(fd, d, keys, count);
		} else if (bpf_map_delete_batch(fd, keys, &count, &opts)) {
			err = -errno;
			/* a missing key stops the batch: skip it and go on */
			if (err == -ENOENT) {
				done += count + 1;
				err = 0;
				continue;
			}
			if (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP)
				err = delete_by_key(fd, keys, d->key_size, want);
		}
		done += want;
	}
	return err;
}

void pin_rows_free(struct pin_rows *rows)
{
	free(rows->keys);
	free(rows->values);
	rows->keys = rows->values = NULL;
	rows->n = rows->cap = 0;
}
