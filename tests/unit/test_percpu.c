// SPDX-License-Identifier: GPL-2.0
/* test_percpu.c: per-CPU values combine by each field's rule (sum or max) */
#include <stdlib.h>

#include "pin.h"
#include "tap.h"

struct val {
	__u64 count;
	__u32 peak;
	__u32 pad;
};

static const struct pin_field fields[] = {
	PIN_COUNTER(struct val, count, NULL),
	PIN_FIELD(struct val, peak, PIN_T_U32, PIN_ROLE_GAUGE, PIN_AGG_MAX,
		  PIN_V_PLAIN, NULL),
};

static const struct pin_map_desc desc = {
	.name = "t", .type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 4,
	.value_size = sizeof(struct val), .values = fields, .nvalues = 2,
};

int main(void)
{
	int ncpus = pin_ncpus(), cpu;
	size_t stride = pin_percpu_stride(sizeof(struct val));
	unsigned char *buf = calloc(ncpus, stride);
	struct val out, *v;
	__u64 sum = 0;
	__u32 peak = 0;

	ok(ncpus >= 1, "possible cpus: %d", ncpus);
	ok(pin_percpu_stride(12) == 16 && pin_percpu_stride(8) == 8,
	   "per-CPU stride rounds to 8 bytes");
	for (cpu = 0; cpu < ncpus; cpu++) {
		v = (struct val *)(buf + cpu * stride);
		v->count = 1000 + cpu;
		v->peak = (cpu * 37) % 101 + 5;
		sum += v->count;
		peak = v->peak > peak ? v->peak : peak;
	}
	pin_percpu_reduce(&desc, buf, &out);
	ok(out.count == sum, "counters sum over CPUs: %llu", (unsigned long long)out.count);
	ok(out.peak == peak, "maxima take the largest CPU: %u", out.peak);
	free(buf);
	return tap_done();
}
