// SPDX-License-Identifier: GPL-2.0
/* flush.c: swap each stats map to its other half and write what the old one held */
#include <string.h>
#include <unistd.h>

#include "pin.h"

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
			err = pin_stats_write_rows(w, m, d, &rows, o);
		pin_rows_free(&rows);
	}
	close(lock);
	return err;
}
