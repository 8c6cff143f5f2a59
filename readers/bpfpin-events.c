// SPDX-License-Identifier: GPL-2.0
/* bpfpin-events: stream the events of one or more modules' pinned ring buffers */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

#define PROG "bpfpin-events"
#define MAX_MODULES 64
/* Programs batch wake-ups, so poll with a timeout and drain what waits. */
#define POLL_MS 100

struct opts {
	const char *pin_root;
	const char *format;
	const char *comm;
	const char *container;
	const char *output;	/* --format pcapng: the file */
	long pid;
	double duration;
	long count;
	int verbose;
	enum pin_format fmt;
	bool pcapng;		/* --format pcapng: the writer picks the rest */
	bool done;		/* --help or --version answered */
	char **names;		/* the modules named on the command line */
	int nnames;
	const struct pin_module_desc *modules[MAX_MODULES];
	int nmodules;
};

static const struct opts defaults = {
	.format = "text",
	.pid = -1,
	.count = -1,
};

struct ring {
	struct pin_module mod;
	int map_fd;
	int lock_fd;
};

/*
 * Where a decoded event goes. Every format so far is a back end of the one
 * writer (pin_writer__record); a format that writes a file of its own
 * (pcapng, with --output FILE) is another emit function, picked in
 * read_rings() by o->fmt.
 */
struct stream;
typedef int (*emit_fn)(struct stream *s, const struct pin_event_row *r);

struct stream {
	const struct opts *o;
	emit_fn emit;
	struct pin_writer *w;
	struct pin_pcapng *pcap;
	FILE *pcap_file;
	/* the raw event being handled, for an emit function that wants it */
	const struct pin_module_desc *desc;
	const void *data;
	size_t size;
	struct pin_event_row row;
	__u64 clock_offset;
	long seen;
	long malformed;
	int err;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [MODULE...] [options]\n"
		"\n"
		"Stream the events of loaded modules (default: all of them), merged.\n"
		"One reader per ring: a second one gets exit code 6.\n"
		"\n"
		"options:\n"
		"  -f, --format F       text (default), hex, json, or pcapng (with --output)\n"
		"  -o, --output FILE    pcapng: the file to write (mode 0600: it holds plaintext)\n"
		"  -p, --pid PID        only events of process PID\n"
		"  -c, --comm NAME      only events of command NAME\n"
		"  -C, --container ID   only events of the container ID (a prefix will do)\n"
		"  -d, --duration SEC   stop after SEC seconds\n"
		"  -n, --count N        stop after N events\n"
		"  -r, --pin-root DIR   pin root (default $BPFPIN_ROOT or " PIN_DEFAULT_ROOT ")\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this help\n"
		"  -V, --version        versions of " PROG " and libbpf\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 3 not loaded, 4 permission,\n"
		"            5 schema mismatch, 6 busy\n");
}

static bool wanted(const struct opts *o, const struct pin_event_row *r)
{
	if (o->pid >= 0 && r->pid != (__u64)o->pid)
		return false;
	if (o->comm && strcmp(o->comm, r->comm))
		return false;
	if (o->container && (!r->has_container ||
			     strncmp(r->container, o->container,
				     strlen(o->container))))
		return false;
	return true;
}

static int emit_writer(struct stream *s, const struct pin_event_row *r)
{
	return pin_writer__record(s->w, r->cols, r->vals, r->n);
}

/* pcapng: the raw event's content as a TCP segment of its connection */
static int emit_pcapng(struct stream *s, const struct pin_event_row *r)
{
	int err = pin_pcapng__event(s->pcap, s->desc, s->data, s->size,
				    s->clock_offset);

	(void)r;
	if (err == -EPROTO) {
		s->malformed++;
		return 0;
	}
	return err < 0 ? err : 0;
}

/* libbpf gives one ctx per ring: carry both the ring and the stream. */
struct ring_ctx {
	struct ring *ring;
	struct stream *stream;
};

static int handle_event(void *ctx, void *data, size_t size)
{
	struct ring_ctx *rc = ctx;
	struct stream *s = rc->stream;
	int err;

	if (pin_event_decode(rc->ring->mod.desc, data, size, s->clock_offset,
			     &s->row)) {
		s->malformed++;
		return 0;
	}
	if (!wanted(s->o, &s->row))
		return 0;
	s->desc = rc->ring->mod.desc;
	s->data = data;
	s->size = size;
	err = s->emit(s, &s->row);
	if (err) {
		s->err = err;
		return err;
	}
	s->seen++;
	if (s->o->count > 0 && s->seen >= s->o->count) {
		pin_stop = 1;
		/* libbpf 1.1 stops only on a negative return, sample consumed */
		return -ECANCELED;
	}
	return 0;
}

/* Write what the batch left in the output buffers; the first error stays. */
static void flush_output(struct stream *s)
{
	int err;

	if (s->err)
		return;
	err = s->pcap ? pin_pcapng__flush(s->pcap) : pin_writer__flush(s->w);
	if (err)
		s->err = err;
}

/*
 * A down, or a reload with --reset, unpins the ring we read: nothing will
 * come through it any more. Say so rather than wait in silence.
 */
static int check_rings(struct ring *rings, int n)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < n; i++) {
		pin_path(path, sizeof(path), "%s/maps/events", rings[i].mod.dir);
		if (!pin_map_is_pinned(rings[i].map_fd, path)) {
			pin_warn("ring '%s' is no longer pinned (module '%s' was unloaded or reset); run bpfpin-events again",
				 path, rings[i].mod.desc->name);
			return -ENOENT;
		}
	}
	return 0;
}

/* A closed pipe (`| head`) ends the stream even when no event comes. */
static bool stdout_closed(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static int open_ring(struct ring *r, const char *root,
		     const struct pin_module_desc *d)
{
	char path[PATH_MAX], what[PATH_MAX + 64];
	int err;

	r->map_fd = r->lock_fd = -1;
	err = pin_module__open(&r->mod, root, d, PIN_RDONLY);
	if (err)
		return err;
	/* one consumer per ring: a lock only root can take (pin_lock) */
	pin_path(path, sizeof(path), "%s/locks/events", r->mod.dir);
	snprintf(what, sizeof(what), "ring '%s/maps/events' is busy (one consumer per ring)",
		 r->mod.dir);
	r->lock_fd = pin_lock(path, 0, what);
	if (r->lock_fd < 0)
		return r->lock_fd;
	pin_path(path, sizeof(path), "%s/maps/events", r->mod.dir);
	/* the consumer position is written by us: read-write */
	r->map_fd = pin_map_open(path, BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0);
	return r->map_fd < 0 ? r->map_fd : 0;
}

static void close_ring(struct ring *r)
{
	if (r->map_fd >= 0)
		close(r->map_fd);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	pin_module__close(&r->mod);
}

static void report_drops(struct stream *s, struct ring *rings, int n,
			 enum pin_format fmt)
{
	__u64 drops[DROP_NR], evicted;
	bool has_lru;
	int i, j;

	for (i = 0; i < n; i++) {
		if (fmt == PIN_FMT_JSON) {
			pin_drops_write(s->w, &rings[i].mod);
			continue;
		}
		if (pin_module__drops(&rings[i].mod, drops))
			continue;
		fprintf(stderr, PROG ": %s: %ld events shown; drops since load:",
			rings[i].mod.desc->name, s->seen);
		for (j = 0; j < DROP_NR; j++)
			fprintf(stderr, " %s %llu", pin_drop_names[j],
				(unsigned long long)drops[j]);
		if (!pin_module__evicted(&rings[i].mod, &evicted, &has_lru) && has_lru)
			fprintf(stderr, " evicted %llu", (unsigned long long)evicted);
		fputc('\n', stderr);
	}
	if (s->malformed)
		pin_warn("%ld malformed events skipped", s->malformed);
}

/* --output goes with pcapng alone, to a path a file can be made at */
static int check_output(const struct opts *o)
{
	char why[256];

	if (o->pcapng && !o->output)
		return pin_usage_error("--format pcapng writes a file: give it with --output FILE");
	if (o->output && !o->pcapng)
		return pin_usage_error("--output is for --format pcapng (text, hex and json go to stdout)");
	if (o->output && pin_output_check(o->output, why, sizeof(why)))
		return pin_usage_error("--output '%s': %s", o->output, why);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "container", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static const char optstring[] = "f:o:p:c:C:d:n:r:vhV";
	int c, err = 0;

	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': o->format = optarg; break;
		case 'o': o->output = optarg; break;
		case 'p': err = pin_parse_count("--pid", optarg, &o->pid); break;
		case 'c': o->comm = optarg; break;
		case 'C': o->container = optarg; break;
		case 'd': err = pin_parse_seconds("--duration", optarg, &o->duration); break;
		case 'n': err = pin_parse_count("--count", optarg, &o->count); break;
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
	/* pcapng: drops are reported on stderr, as for text */
	o->pcapng = !strcmp(o->format, "pcapng");
	if (o->pcapng)
		o->fmt = PIN_FMT_TABLE;
	else if (pin_event_format_parse(o->format, &o->fmt))
		return pin_usage_error("--format '%s': expected text, hex, json or pcapng", o->format);
	err = check_output(o);
	if (err)
		return err;
	o->names = argv + optind;
	o->nnames = argc - optind;
	return 0;
}

/* The modules to read: those named, or every loaded one that has events. */
static int select_rings(struct opts *o, const char *root)
{
	int i, n = 0;

	o->nmodules = pin_select_modules(root, o->names, o->nnames, o->modules,
					 MAX_MODULES);
	if (o->nmodules < 0)
		return o->nmodules;
	/* stats-only modules have no ring: refuse when named, skip otherwise */
	for (i = 0; i < o->nmodules; i++) {
		const struct pin_module_desc *d = o->modules[i];

		if (o->pcapng && d->nevents && !pin_pcapng_supported(d)) {
			if (o->nnames)
				return pin_usage_error("module '%s' has no events pcapng can write (content with a connection's addresses and ports)",
						       d->name);
			continue;
		}
		if (d->nevents)
			o->modules[n++] = d;
		else if (o->nnames)
			return pin_usage_error("module '%s' has no events (its figures are stats: 'bpfpin-stat %s')",
					       d->name, d->name);
	}
	o->nmodules = n;
	if (!n) {
		pin_warn("no loaded module has events under '%s'", root);
		return -ENOENT;
	}
	return 0;
}

/*
 * The pcapng file is written as events come (a follower can read it
 * growing), not renamed into place, and is root's alone: it holds the
 * plaintext the ring did.
 */
static int open_pcapng(const char *path, struct stream *s)
{
	FILE *f;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600)) {
		int err = -errno;

		pin_warn("--output '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	f = fdopen(fd, "w");
	if (f)
		s->pcap = pin_pcapng__new(f, PROG " " BPFPIN_VERSION);
	if (!f || !s->pcap) {
		int err = -errno;

		pin_warn("--output '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		return err;
	}
	s->pcap_file = f;
	return 0;
}

/* Flush and close the pcapng file: @err, or the first write error */
static int close_pcapng(struct stream *s, int err)
{
	int e;

	if (!s->pcap)
		return err;
	e = pin_pcapng__flush(s->pcap);
	if (fclose(s->pcap_file) && !e)
		e = -errno;
	if (e && !err) {
		pin_warn("--output '%s': %s", s->o->output, strerror(-e));
		err = e;
	} else if (!err) {
		pin_info("%s: %llu packets", s->o->output,
			 (unsigned long long)pin_pcapng__packets(s->pcap));
	}
	pin_pcapng__free(s->pcap);
	return err;
}

static int read_rings(struct opts *o, const char *root)
{
	struct ring rings[MAX_MODULES];
	struct ring_ctx ctxs[MAX_MODULES];
	struct ring_buffer *rb = NULL;
	struct stream s = {};
	struct timespec start, now;
	int i, nrings = 0, polls = 0, err = 0;

	s.o = o;
	s.emit = emit_writer;
	s.clock_offset = pin_clock_offset();
	s.w = pin_writer__new(stdout, o->fmt);
	if (!s.w)
		return -ENOMEM;
	if (o->pcapng) {
		err = open_pcapng(o->output, &s);
		if (err)
			goto out;
		s.emit = emit_pcapng;
	}
	for (i = 0; i < o->nmodules; i++) {
		struct ring *r = &rings[nrings];

		err = open_ring(r, root, o->modules[i]);
		if (err) {
			close_ring(r);
			goto out;
		}
		nrings++;
		ctxs[i] = (struct ring_ctx){ r, &s };
		if (!rb)
			rb = ring_buffer__new(r->map_fd, handle_event, &ctxs[i], NULL);
		else if (ring_buffer__add(rb, r->map_fd, handle_event, &ctxs[i]))
			err = -errno;
		if (!rb || err) {
			err = err ?: -errno;
			pin_warn("ring '%s/maps/events': %s", r->mod.dir, strerror(-err));
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!pin_stop) {
		err = ring_buffer__poll(rb, POLL_MS);
		if (err >= 0 && !pin_stop)
			err = ring_buffer__consume(rb);
		/*
		 * One write per drained batch, not per event: at a million events
		 * a second a syscall each is the cost. An event still reaches
		 * the pipe within one poll round (POLL_MS).
		 */
		flush_output(&s);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0 || s.err)
			break;
		err = 0;
		if (stdout_closed()) {
			err = -EPIPE;
			break;
		}
		/* about once a second: is what we read still pinned? */
		if (++polls % (1000 / POLL_MS) == 0) {
			err = check_rings(rings, nrings);
			if (err)
				break;
		}
		if (o->duration > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec +
			    (now.tv_nsec - start.tv_nsec) / 1e9 >= o->duration)
				break;
		}
	}
	/*
	 * Stopped by a signal: what the ring holds was submitted before it
	 * (and may not have woken us, BPF_RB_NO_WAKEUP), so it is read too.
	 */
	if (pin_stop && err >= 0 && !s.err && !(o->count > 0 && s.seen >= o->count)) {
		err = ring_buffer__consume(rb);
		flush_output(&s);
	}
	if (s.err)
		err = s.err;
	if (err > 0 || err == -ECANCELED)
		err = 0;
	if (err == -EPIPE)
		goto out;	/* `| head` closed the pipe: nobody reads a report */
	if (err < 0)
		pin_warn("reading events: %s", strerror(-err));
	report_drops(&s, rings, nrings, o->fmt);
out:
	ring_buffer__free(rb);
	for (i = 0; i < nrings; i++)
		close_ring(&rings[i]);
	pin_writer__free(s.w);
	err = close_pcapng(&s, err);
	return err;
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
	if (!err)
		err = select_rings(&o, root);
	if (!err) {
		pin_catch_stop_signals();
		err = read_rings(&o, root);
	}
	if (err == -EPIPE)
		err = 0;	/* `| head` closed the pipe: a normal end */
	return pin_exit_code(err);
}
