// SPDX-License-Identifier: GPL-2.0
/* flush.c: the flush transaction: swap, deliver, then empty; a dead flusher loses no count */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "pin.h"

/*
 * The phases of one module (bpfpin.h, struct bpfpin_flush), and what the
 * next flush does when a flusher died in each:
 *
 *	IDLE	 the old halves are empty: swap
 *	SWAPPED	 the old halves hold counts nobody delivered: deliver them,
 *		 without a swap (the interval ends where the dead one swapped)
 *	READY	 the output was synced as tmp: rename it to dst, unless the
 *		 flush was never decided (below); then as DELETING
 *	DELETING the old halves were delivered: empty them
 *
 * A flush of several modules writes one output, so READY is written to
 * every module and last to the coordinator (the last module): its READY
 * decides. A module found READY whose coordinator is not READY with the
 * same tmp, while tmp still exists, was never decided, and goes back to
 * SWAPPED. Once renamed, tmp is gone, and a module found READY without it
 * has delivered.
 */

#define MAX_MODULES 64

struct flush_map {
	const struct pin_map_desc *d;
	struct pin_stats_maps maps;
	int old;		/* the half read: the one the slot does not name */
	struct pin_rows rows;
};

struct flush_mod {
	const struct pin_module *m;
	int lock;
	int state_fd;
	bool ready;		/* we wrote READY */
	struct bpfpin_flush st;
	struct flush_map maps[BPFPIN_MAX_STATS_MAPS];
};

struct pin_flush {
	struct flush_mod mods[MAX_MODULES];
	int n;
};

/*
 * BPFPIN_FAULT=flush-<step> kills the flusher at that step, as the loader's
 * steps do: the tests prove the next flush completes each one.
 */
static void fault_point(const char *step)
{
	const char *want = getenv("BPFPIN_FAULT");

	if (want && !strncmp(want, "flush-", 6) && !strcmp(want + 6, step)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}

static const char *const phase_names[] = {
	[BPFPIN_FLUSH_IDLE] = "idle", [BPFPIN_FLUSH_SWAPPED] = "swapped",
	[BPFPIN_FLUSH_READY] = "ready", [BPFPIN_FLUSH_DELETING] = "deleting",
};

struct pin_flush *pin_flush__new(void)
{
	return calloc(1, sizeof(struct pin_flush));
}

static int state_write(struct flush_mod *fm)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(fm->state_fd, &zero, &fm->st, BPF_ANY)) {
		int err = -errno;

		pin_warn("map '%s/maps/flush': %s", fm->m->dir, strerror(-err));
		return err;
	}
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Whether the coordinator of @fm's flush wrote READY for the same output. */
static bool decided(const struct flush_mod *fm)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char root[PATH_MAX], path[PATH_MAX], *slash;
	struct bpfpin_flush c;
	__u32 zero = 0;
	bool ready;
	int fd;

	if (!strncmp(fm->st.coord, fm->m->desc->name, sizeof(fm->st.coord)))
		return true;	/* its own READY decided it */
	snprintf(root, sizeof(root), "%s", fm->m->dir);
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	if (pin_path(path, sizeof(path), "%s/%.*s/maps/flush", root,
		     (int)sizeof(fm->st.coord), fm->st.coord))
		return false;
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return false;	/* unloaded: nobody can decide it any more */
	ready = !bpf_map_lookup_elem(fd, &zero, &c) &&
		c.phase == BPFPIN_FLUSH_READY &&
		!strncmp(c.tmp, fm->st.tmp, sizeof(c.tmp));
	close(fd);
	return ready;
}

/*
 * READY left by a dead flusher: deliver its output by the rename it did
 * not do, or find that it did. Return: the phase to go on from.
 */
static int recover_ready(struct flush_mod *fm)
{
	const char *tmp = fm->st.tmp, *dst = fm->st.dst;

	if (!exists(tmp))
		return BPFPIN_FLUSH_DELETING;
	if (decided(fm)) {
		if (rename(tmp, dst) && errno != ENOENT) {
			int err = -errno;

			pin_warn("module '%s': a killed flush left '%s' to rename to '%s': %s (counts kept; fix it and flush again)",
				 fm->m->desc->name, tmp, dst, strerror(-err));
			return err;
		}
		pin_info("module '%s': delivered '%s', the output of a flush that was killed before its rename",
			 fm->m->desc->name, dst);
		return BPFPIN_FLUSH_DELETING;
	}
	/* the coordinator renames before it moves on: look again */
	if (!exists(tmp))
		return BPFPIN_FLUSH_DELETING;
	pin_debug("module '%s': flush into '%s' was never decided: delivering again",
		  fm->m->desc->name, dst);
	return BPFPIN_FLUSH_SWAPPED;
}

static int open_maps(struct flush_mod *fm)
{
	const struct pin_module_desc *desc = fm->m->desc;
	int i, err;

	for (i = 0; i < desc->nmaps; i++) {
		struct flush_map *fmap = &fm->maps[i];

		fmap->d = &desc->maps[i];
		pin_rows_init(&fmap->rows, fmap->d);
		err = pin_module__open_stats(fm->m, fmap->d, 0, &fmap->maps);
		if (err)
			return err;
	}
	return 0;
}

/* The half of each map no program writes: the old one, once swapped. */
static int find_old(struct flush_mod *fm)
{
	int i, active;

	for (i = 0; i < fm->m->desc->nmaps; i++) {
		struct flush_map *fmap = &fm->maps[i];

		active = pin_stats_maps__active(&fmap->maps);
		if (active < 0) {
			pin_warn("map '%s/maps/%s_slot': %s", fm->m->dir,
				 fmap->d->name, strerror(-active));
			return active;
		}
		fmap->old = !active;
	}
	return 0;
}

static int read_old(struct flush_mod *fm, bool drain)
{
	int i, err;

	for (i = 0; i < fm->m->desc->nmaps; i++) {
		struct flush_map *fmap = &fm->maps[i];

		pin_rows_free(&fmap->rows);
		pin_rows_init(&fmap->rows, fmap->d);
		err = pin_map_read(fmap->maps.half[fmap->old], fmap->d,
				   &fmap->rows, drain);
		if (err) {
			pin_warn("map '%s/maps/%s_%c': %s", fm->m->dir,
				 fmap->d->name, 'a' + fmap->old, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void state_idle(struct flush_mod *fm)
{
	fm->st.phase = BPFPIN_FLUSH_IDLE;
	fm->st.seq++;
	memset(fm->st.coord, 0, sizeof(fm->st.coord));
	memset(fm->st.tmp, 0, sizeof(fm->st.tmp));
	memset(fm->st.dst, 0, sizeof(fm->st.dst));
}

/* DELETING: count the keys delivered, then delete them, then IDLE. */
static int finish(struct flush_mod *fm)
{
	int i, err;

	fm->st.phase = BPFPIN_FLUSH_DELETING;
	for (i = 0; i < fm->m->desc->nmaps; i++)
		if (pin_map_is_lru(fm->maps[i].d))
			fm->st.drained[i] += fm->maps[i].rows.n;
	err = state_write(fm);
	if (err)
		return err;
	fault_point("deleting");
	for (i = 0; i < fm->m->desc->nmaps; i++) {
		struct flush_map *fmap = &fm->maps[i];

		err = pin_map_delete_rows(fmap->maps.half[fmap->old], fmap->d,
					  &fmap->rows);
		if (err) {
			pin_warn("map '%s/maps/%s_%c': delete: %s", fm->m->dir,
				 fmap->d->name, 'a' + fmap->old, strerror(-err));
			return err;
		}
	}
	state_idle(fm);
	fm->ready = false;
	return state_write(fm);
}

/* Complete what a dead flusher left, so that the module is IDLE or SWAPPED. */
static int recover(struct flush_mod *fm)
{
	int phase = fm->st.phase, err;

	if (phase != BPFPIN_FLUSH_IDLE && phase < PIN_LEN(phase_names))
		pin_debug("module '%s': the last flush was left %s",
			  fm->m->desc->name, phase_names[phase]);
	if (phase == BPFPIN_FLUSH_READY) {
		phase = recover_ready(fm);
		if (phase < 0)
			return phase;
		if (phase == BPFPIN_FLUSH_DELETING) {
			/* delivered: count and delete what the old halves hold */
			err = find_old(fm) ?: read_old(fm, false) ?: finish(fm);
			return err;
		}
		fm->st.phase = phase;
		err = state_write(fm);
		if (err)
			return err;
	}
	if (phase == BPFPIN_FLUSH_DELETING) {
		/* drained was counted with DELETING: just empty the halves */
		err = find_old(fm) ?: read_old(fm, true);
		if (err)
			return err;
		state_idle(fm);
		return state_write(fm);
	}
	if (phase != BPFPIN_FLUSH_IDLE && phase != BPFPIN_FLUSH_SWAPPED) {
		pin_warn("map '%s/maps/flush': unknown phase %d", fm->m->dir, phase);
		return -EPROTO;
	}
	return 0;
}

/* IDLE: record SWAPPED, then swap every map; the old halves are then read. */
static int swap(struct flush_mod *fm)
{
	int i, old, err;

	fm->st.phase = BPFPIN_FLUSH_SWAPPED;
	fm->st.nmaps = fm->m->desc->nmaps;
	err = state_write(fm);
	if (err)
		return err;
	for (i = 0; i < fm->m->desc->nmaps; i++) {
		struct flush_map *fmap = &fm->maps[i];

		old = pin_stats_maps__swap(&fmap->maps);
		if (old < 0) {
			pin_warn("map '%s/maps/%s_slot': swap: %s", fm->m->dir,
				 fmap->d->name, strerror(-old));
			return old;
		}
		fmap->old = old;
		fault_point("swapped");
	}
	return 0;
}

static void close_mod(struct flush_mod *fm)
{
	int i;

	for (i = 0; i < BPFPIN_MAX_STATS_MAPS; i++) {
		if (!fm->maps[i].d)
			continue;
		pin_stats_maps__close(&fm->maps[i].maps);
		pin_rows_free(&fm->maps[i].rows);
	}
	if (fm->state_fd >= 0)
		close(fm->state_fd);
	if (fm->lock >= 0)
		close(fm->lock);
	memset(fm, 0, sizeof(*fm));
}

int pin_flush__begin(struct pin_flush *f, const struct pin_module *m,
		     double wait_s)
{
	struct flush_mod *fm;
	char path[PATH_MAX], what[64];
	__u32 zero = 0;
	int err;

	if (f->n >= MAX_MODULES)
		return -E2BIG;
	if (m->desc->nmaps > BPFPIN_MAX_STATS_MAPS) {
		pin_warn("module '%s': %d stats maps, a flush handles %d",
			 m->desc->name, m->desc->nmaps, BPFPIN_MAX_STATS_MAPS);
		return -E2BIG;
	}
	fm = &f->mods[f->n];
	memset(fm, 0, sizeof(*fm));
	fm->m = m;
	fm->state_fd = -1;
	if (pin_path(path, sizeof(path), "%s/locks/flush", m->dir))
		return -ENAMETOOLONG;
	snprintf(what, sizeof(what), "flush of module '%s'", m->desc->name);
	fm->lock = pin_lock(path, wait_s, what);
	if (fm->lock < 0)
		return fm->lock;
	pin_path(path, sizeof(path), "%s/maps/flush", m->dir);
	fm->state_fd = pin_map_open(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				    sizeof(fm->st), 1, 0);
	if (fm->state_fd < 0) {
		err = fm->state_fd;
		goto err_close;
	}
	if (bpf_map_lookup_elem(fm->state_fd, &zero, &fm->st)) {
		err = -errno;
		pin_warn("map '%s': %s", path, strerror(-err));
		goto err_close;
	}
	err = open_maps(fm);
	if (err)
		goto err_close;
	f->n++;
	return 0;

err_close:
	close_mod(fm);
	return err;
}

/* With every module locked: finish old flushes, swap, read old halves. */
static int prepare(struct flush_mod *fm)
{
	int err = recover(fm);

	if (err)
		return err;
	if (fm->st.phase == BPFPIN_FLUSH_IDLE)
		err = swap(fm);
	else
		err = find_old(fm);
	return err ?: read_old(fm, false);
}

int pin_flush__write(struct pin_flush *f, struct pin_writer *w,
		     const struct pin_stat_opts *o)
{
	int i, j, err = 0;

	for (i = 0; i < f->n && !err; i++)
		err = prepare(&f->mods[i]);
	for (i = 0; i < f->n && !err; i++) {
		struct flush_mod *fm = &f->mods[i];

		for (j = 0; j < fm->m->desc->nmaps && !err; j++)
			err = pin_stats_write_rows(w, fm->m, fm->maps[j].d,
						   &fm->maps[j].rows, o);
		if (!err)
			err = pin_drops_write(w, fm->m);
	}
	return err;
}

/* @path made absolute into @buf: the next flush may run elsewhere. */
static int absolute(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(buf, size, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(buf, size, "%s/%s", cwd, path);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int pin_flush__ready(struct pin_flush *f, const char *tmp, const char *dst)
{
	char t[BPFPIN_FLUSH_PATH], d[BPFPIN_FLUSH_PATH];
	const char *coord;
	int i, err;

	if (!f->n)
		return 0;
	err = absolute(tmp, t, sizeof(t)) ?: absolute(dst, d, sizeof(d));
	if (err) {
		pin_warn("output '%s': %s (a flush records at most %d bytes of path)",
			 dst, strerror(-err), BPFPIN_FLUSH_PATH - 1);
		return err;
	}
	/* the coordinator, written last, decides */
	coord = f->mods[f->n - 1].m->desc->name;
	for (i = 0; i < f->n; i++) {
		struct flush_mod *fm = &f->mods[i];

		fm->st.phase = BPFPIN_FLUSH_READY;
		snprintf(fm->st.coord, sizeof(fm->st.coord), "%s", coord);
		memcpy(fm->st.tmp, t, sizeof(t));
		memcpy(fm->st.dst, d, sizeof(d));
		fm->ready = true;
		err = state_write(fm);
		if (err)
			return err;
		if (i < f->n - 1)
			fault_point("ready-partial");
	}
	fault_point("ready");
	return 0;
}

int pin_flush__end(struct pin_flush *f)
{
	int i, err = 0;

	fault_point("delivered");
	for (i = 0; i < f->n; i++) {
		int e = finish(&f->mods[i]);

		if (e && !err)
			err = e;
	}
	return err;
}

void pin_flush__abort(struct pin_flush *f)
{
	int i;

	/* the coordinator first: then no module can be found decided */
	for (i = f->n - 1; i >= 0; i--) {
		struct flush_mod *fm = &f->mods[i];

		if (!fm->ready)
			continue;
		fm->st.phase = BPFPIN_FLUSH_SWAPPED;
		memset(fm->st.coord, 0, sizeof(fm->st.coord));
		memset(fm->st.tmp, 0, sizeof(fm->st.tmp));
		memset(fm->st.dst, 0, sizeof(fm->st.dst));
		fm->ready = false;
		state_write(fm);
	}
}

void pin_flush__free(struct pin_flush *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		close_mod(&f->mods[i]);
	free(f);
}

int pin_flush_delivered_half(const struct pin_module *m,
			     const struct pin_stats_maps *s)
{
	struct bpfpin_flush st;
	int active;

	if (pin_module__flush_state(m, &st))
		return -1;
	if (st.phase != BPFPIN_FLUSH_DELETING &&
	    (st.phase != BPFPIN_FLUSH_READY || exists(st.tmp)))
		return -1;
	active = pin_stats_maps__active(s);
	return active < 0 ? -1 : !active;
}
