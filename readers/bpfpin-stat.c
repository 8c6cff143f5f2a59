// SPDX-License-Identifier: GPL-2.0
/* bpfpin-stat: pinned stats summed over CPUs, as table, JSON Lines or Prometheus */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "pin.h"

#define PROG "bpfpin-stat"
#define MAX_MODULES 64

struct opts {
	const char *pin_root;
	const char *format;
	const char *output;
	double interval;
	double wait;
	long count;
	bool flush;
	int verbose;
	struct pin_stat_opts stat;
	enum pin_format fmt;
	bool done;		/* --help or --version answered */
	char **names;		/* the modules named on the command line */
	int nnames;
	const struct pin_module_desc *modules[MAX_MODULES];
	int nmodules;
};

static const struct opts defaults = {
	.format = "table",
	.count = -1,
	.wait = 10,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [MODULE...] [options]\n"
		"\n"
		"Print the cumulative stats of loaded modules (default: all of them).\n"
		"\n"
		"options:\n"
		"  -f, --format F       table (default), json or prom\n"
		"  -b, --by K           group rows by pid, comm, cgroup or container\n"
		"  -t, --top N          only the N rows with the largest counts\n"
		"  -i, --interval SEC   print again every SEC seconds\n"
		"  -n, --count N        with --interval: stop after N prints\n"
		"  -o, --output FILE    write FILE atomically (temporary file, rename)\n"
		"      --flush          print the exact counts since the previous flush and\n"
		"                       start a new interval (root; cumulative totals restart)\n"
		"      --wait SEC       --flush: wait up to SEC seconds for another flusher\n"
		"                       (default 10; 0: do not wait)\n"
		"  -r, --pin-root DIR   pin root (default $BPFPIN_ROOT or " PIN_DEFAULT_ROOT ")\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this help\n"
		"  -V, --version        versions of " PROG " and libbpf\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 3 not loaded, 4 permission,\n"
		"            5 schema mismatch, 6 busy (another flusher holds the lock)\n");
}

static int print_once(const struct opts *o, const char *root, FILE *out,
		      enum pin_format fmt)
{
	struct pin_writer *w = pin_writer__new(out, fmt);
	int i, err = 0;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < o->nmodules && !err; i++) {
		struct pin_module m;

		err = pin_module__open(&m, root, o->modules[i], PIN_RDONLY);
		if (err)
			break;
		err = pin_stats_write(w, &m, &o->stat);
		if (!err)
			err = pin_drops_write(w, &m);
		pin_module__close(&m);
	}
	pin_writer__free(w);
	return err;
}

/* Write every flushed module's rows to @out. */
static int flush_write(const struct opts *o, struct pin_flush *f, FILE *out,
		       enum pin_format fmt)
{
	struct pin_writer *w = pin_writer__new(out, fmt);
	int err;

	if (!w)
		return -ENOMEM;
	err = pin_flush__write(f, w, &o->stat);
	pin_writer__free(w);
	return err;
}

/* stdout written out without error, and on disk when it is a file. */
static int stdout_deliver(void)
{
	struct stat st;

	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		return errno ? -errno : -EIO;
	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
	    fsync(STDOUT_FILENO))
		return -errno;
	return 0;
}

/*
 * One flush of every module: lock them all, take out their counts, write
 * them, and only once the output is complete (stdout flushed, or the file
 * synced and renamed) empty what was taken out. A failed output leaves the
 * counts for the next flush.
 */
static int flush_once(const struct opts *o, const char *root,
		      enum pin_format fmt)
{
	struct pin_module *mods = calloc(o->nmodules, sizeof(*mods));
	struct pin_flush *f = pin_flush__new();
	struct pin_output out = {};
	FILE *file = stdout;
	bool failed_output = false;
	int i, n = 0, err = 0;

	if (!mods || !f) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < o->nmodules && !err; i++) {
		/* a flush writes: it swaps and empties the maps */
		err = pin_module__open(&mods[i], root, o->modules[i], 0);
		if (err)
			break;
		n++;
		err = pin_flush__begin(f, &mods[i], o->wait);
	}
	if (!err && o->output) {
		err = pin_output_open(&out, o->output);
		file = out.f;
	}
	if (err)
		goto out_free;
	err = flush_write(o, f, file, fmt);
	failed_output = err && ferror(file);
	if (!err && o->output) {
		err = pin_output_sync(&out);
		failed_output = err;
		if (!err)
			err = pin_flush__ready(f, out.tmp, out.path);
		if (!err && rename(out.tmp, out.path)) {
			err = -errno;
			failed_output = true;
		}
	} else if (!err) {
		err = stdout_deliver();
		failed_output = err;
	}
	if (err) {
		pin_flush__abort(f);
		if (o->output)
			pin_output_abort(&out);
		if (failed_output) {
			if (o->output)
				pin_warn("flush: output '%s' failed: %s; counts kept for the next flush",
					 o->output, strerror(-err));
			else
				pin_warn("flush: output failed: %s; counts kept for the next flush",
					 strerror(-err));
			err = -EIO;	/* said: exit 1, whatever the cause */
		}
		goto out_free;
	}
	err = pin_flush__end(f);
out_free:
	pin_flush__free(f);
	for (i = 0; i < n; i++)
		pin_module__close(&mods[i]);
	free(mods);
	return err;
}

static int run(struct opts *o, const char *root, enum pin_format fmt)
{
	struct pin_output out;
	long n;
	int err = 0;

	for (n = 0; !pin_stop && (o->count < 0 || n < o->count); n++) {
		if (n) {
			struct timespec ts = {
				.tv_sec = (time_t)o->interval,
				.tv_nsec = (long)((o->interval - (time_t)o->interval) * 1e9),
			};

			if (nanosleep(&ts, NULL) && pin_stop)
				break;
			if (fmt == PIN_FMT_TABLE && !o->output)
				putchar('\n');
		}
		if (o->flush) {
			err = flush_once(o, root, fmt);
		} else if (o->output) {
			err = pin_output_open(&out, o->output);
			if (err)
				break;
			err = print_once(o, root, out.f, fmt);
			if (err)
				pin_output_abort(&out);
			else
				err = pin_output_commit(&out);
		} else {
			err = print_once(o, root, stdout, fmt);
		}
		if (o->interval <= 0)
			break;
		/*
		 * A module being reloaded with --reset, or down and up again, is
		 * missing for a moment: an interval reader waits for the next
		 * round rather than die. Its exit code is that of the last one.
		 */
		if (err == -ENOENT || err == -EPROTO)
			pin_warn("skipping this round; trying again in %g s",
				 o->interval);
		else if (err)
			break;
	}
	return err;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "flush", no_argument, NULL, 'F' },
		{ "wait", required_argument, NULL, 'W' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static const char optstring[] = "f:b:t:i:n:o:r:vhV";
	bool wait_set = false;
	char why[256];
	long top;
	int c, err = 0;

	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': o->format = optarg; break;
		case 'b':
			if (pin_group_by_parse(optarg, &o->stat.by))
				err = pin_usage_error("--by '%s': expected pid, comm, cgroup or container",
						      optarg);
			break;
		case 't':
			err = pin_parse_count("--top", optarg, &top);
			o->stat.top = top > 1000000 ? 1000000 : top;
			break;
		case 'i': err = pin_parse_seconds("--interval", optarg, &o->interval); break;
		case 'n': err = pin_parse_count("--count", optarg, &o->count); break;
		case 'o': o->output = optarg; break;
		case 'F': o->flush = true; break;
		case 'W':
			err = pin_parse_wait("--wait", optarg, &o->wait);
			wait_set = true;
			break;
		case 'r': o->pin_root = optarg; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); o->done = true; return 0;
		case 'V': pin_print_version(); o->done = true; return 0;
		default: return pin_option_error(argv, optstring);
		}
	}
	if (err)
		return err;
	pin_tool_log_init(PROG, o->verbose);
	if (pin_format_parse(o->format, &o->fmt))
		return pin_usage_error("--format '%s': expected table, json or prom", o->format);
	if (o->count > 0 && o->interval <= 0)
		return pin_usage_error("--count goes with --interval");
	if (wait_set && !o->flush)
		return pin_usage_error("--wait goes with --flush");
	/* a flush empties what it takes out: it must show all of it */
	if (o->flush && o->stat.top)
		return pin_usage_error("--top hides rows: not with --flush");
	/* before anything is read or flushed */
	if (o->output && pin_output_check(o->output, why, sizeof(why)))
		return pin_usage_error("--output '%s': %s", o->output, why);
	o->names = argv + optind;
	o->nnames = argc - optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = defaults;
	const char *root;
	int err;

	pin_tool_log_init(PROG, 0);
	err = parse_args(argc, argv, &o);
	if (err || o.done)
		return pin_exit_code(err);
	err = pin_root_resolve(o.pin_root, &root);
	if (!err) {
		o.nmodules = pin_select_modules(root, o.names, o.nnames,
						o.modules, MAX_MODULES);
		err = o.nmodules < 0 ? o.nmodules : 0;
	}
	if (!err) {
		pin_catch_stop_signals();
		err = run(&o, root, o.fmt);
	}
	if (!err && (fflush(stdout) || ferror(stdout))) {
		err = -errno;
		if (err != -EPIPE)
			pin_warn("stdout: %s", strerror(errno));
	}
	if (err == -EPIPE)
		err = 0;	/* `| head` closed the pipe: a normal end */
	return pin_exit_code(err);
}
