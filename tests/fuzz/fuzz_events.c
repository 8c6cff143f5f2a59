// SPDX-License-Identifier: GPL-2.0
/* fuzz_events.c: libFuzzer target for ring records: decoded (content too) and written in each event format */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"

/*
 * Input: a byte choosing the module, one choosing its event type (set in
 * the header, so that most inputs get past the type), one choosing the
 * format; the rest is the record as the ring would give it, of that size.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pin_format fmts[] = { PIN_FMT_TABLE, PIN_FMT_JSON, PIN_FMT_HEX };
	static struct pin_event_row row;
	static FILE *out;
	const struct pin_module_desc *d;
	struct bpfpin_event_hdr h;
	struct pin_writer *w;
	uint8_t *rec;

	if (size < 3 || !pin_nmodules)
		return 0;
	if (!out)
		out = fopen("/dev/null", "w");
	d = pin_modules[data[0] % pin_nmodules];
	/* a copy of exactly its size: ASan sees any read past the record */
	rec = malloc(size - 3 ? size - 3 : 1);
	if (!rec || !out) {
		free(rec);
		return 0;
	}
	memcpy(rec, data + 3, size - 3);
	if (d->nevents && size - 3 >= sizeof(h)) {
		memcpy(&h, rec, sizeof(h));
		h.type = d->events[data[1] % d->nevents].type;
		memcpy(rec, &h, sizeof(h));
	}
	if (!pin_event_decode(d, rec, size - 3, 0, &row)) {
		w = pin_writer__new(out, fmts[data[2] % 3]);
		if (w) {
			pin_writer__record(w, row.cols, row.vals, row.n);
			pin_writer__flush(w);
			pin_writer__free(w);
		}
	}
	free(rec);
	return 0;
}
