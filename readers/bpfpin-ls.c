// SPDX-License-Identifier: GPL-2.0
/* bpfpin-ls: list loaded modules, their programs, maps, drops and health */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

#define PROG "bpfpin-ls"
#define MAX_MODULES 64

static const unsigned int meta_col = PIN_COL_NO_TABLE | PIN_COL_NO_PROM;

static const struct pin_col module_cols[] = {
	{ "module", PIN_COL_STR },
	{ "type", PIN_COL_STR, .flags = meta_col },
	{ "health", PIN_COL_STR },
	{ "schema", PIN_COL_U64 },
	{ "generation", PIN_COL_U64 },
	{ "loaded", PIN_COL_STR },
	{ "version", PIN_COL_STR },
	{ "programs", PIN_COL_U64 },
	{ "attached", PIN_COL_U64 },
	{ "drops", PIN_COL_U64 },
	{ "filter", PIN_COL_STR },
	{ "detail", PIN_COL_STR },
};

enum { MC_MODULE, MC_TYPE, MC_HEALTH, MC_SCHEMA, MC_GENERATION, MC_LOADED,
       MC_VERSION, MC_PROGRAMS, MC_ATTACHED, MC_DROPS, MC_FILTER, MC_DETAIL,
       MC_N };
_Static_assert(PIN_LEN(module_cols) == MC_N, "module_cols and MC_* differ");

static const struct pin_col object_cols[] = {
	{ "module", PIN_COL_STR },
	{ "type", PIN_COL_STR, .flags = meta_col },
	{ "kind", PIN_COL_STR },
	{ "name", PIN_COL_STR },
	{ "bpf_type", PIN_COL_STR },
	{ "id", PIN_COL_U64 },
	{ "entries", PIN_COL_U64 },
	{ "max_entries", PIN_COL_U64 },
	{ "memlock", PIN_COL_U64, .view = PIN_V_BYTES },
	{ "run_cnt", PIN_COL_U64 },
	{ "run_time", PIN_COL_U64, .view = PIN_V_DURATION },
	{ "attached", PIN_COL_STR },
};

enum { OC_MODULE, OC_TYPE, OC_KIND, OC_NAME, OC_BPF_TYPE, OC_ID, OC_ENTRIES,
       OC_MAX, OC_MEMLOCK, OC_RUN_CNT, OC_RUN_TIME, OC_ATTACHED, OC_N };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"\n"
		"List loaded modules with their health (ok, degraded, broken), then\n"
		"their programs and maps. Run counts need kernel.bpf_stats_enabled=1.\n"
		"\n"
		"options:\n"
		"  -f, --format F       table (default) or json\n"
		"  -r, --pin-root DIR   pin root (default $BPFPIN_ROOT or " PIN_DEFAULT_ROOT ")\n"
		"  -v, --verbose        more messages\n"
		"  -h, --help           this help\n"
		"  -V, --version        versions of " PROG " and libbpf\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 3 not loaded, 4 permission\n");
}

struct module_state {
	int programs;
	int attached;
};

static int list_objects(struct pin_writer *w, const char *dir, const char *module,
			const char *kind, struct module_state *ms)
{
	char path[PATH_MAX], link[PATH_MAX], why[256];
	struct pin_val v[OC_N];
	struct dirent *e;
	DIR *d;
	int err = 0;

	pin_path(path, sizeof(path), "%s/%s", dir, kind);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && !err) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		pin_path(path, sizeof(path), "%s/%s/%s", dir, kind, e->d_name);
		memset(v, 0, sizeof(v));
		v[OC_MODULE].str = module;
		v[OC_TYPE].str = "object";
		v[OC_NAME].str = e->d_name;
		v[OC_ENTRIES].null = v[OC_MAX].null = v[OC_MEMLOCK].null = true;
		v[OC_RUN_CNT].null = v[OC_RUN_TIME].null = v[OC_ATTACHED].null = true;
		v[OC_ID].null = true;
		fd = pin_obj_get(path, PIN_RDONLY, why, sizeof(why));
		if (fd < 0) {
			/* show what is there, and go on: a root-only pin (captured
			 * content) is no reason to hide the rest */
			v[OC_KIND].str = strcmp(kind, "maps") ? "prog" : "map";
			v[OC_BPF_TYPE].str = fd == -EACCES || fd == -EPERM ?
					     "(root-only)" : "(not a pin)";
			err = pin_writer__row(w, v);
			continue;
		}
		v[OC_ID].null = false;
		if (!strcmp(kind, "maps")) {
			struct bpf_map_info info = {};
			__u32 len = sizeof(info);

			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				v[OC_KIND].str = "map";
				v[OC_BPF_TYPE].str = libbpf_bpf_map_type_str(info.type);
				v[OC_ID].u = info.id;
				v[OC_MAX].null = v[OC_MEMLOCK].null = false;
				v[OC_MAX].u = info.max_entries;
				v[OC_MEMLOCK].u = pin_fd_memlock(fd);
				if (info.type != BPF_MAP_TYPE_RINGBUF) {
					v[OC_ENTRIES].null = false;
					pin_map_count_keys(fd, info.key_size,
							   &v[OC_ENTRIES].u);
				}
			}
		} else {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				v[OC_KIND].str = "prog";
				v[OC_BPF_TYPE].str = pin_prog_type_name(info.type);
				v[OC_ID].u = info.id;
				v[OC_RUN_CNT].null = v[OC_RUN_TIME].null = false;
				v[OC_RUN_CNT].u = info.run_cnt;
				v[OC_RUN_TIME].u = info.run_time_ns;
				pin_path(link, sizeof(link), "%s/links/%s", dir, e->d_name);
				v[OC_ATTACHED].null = false;
				v[OC_ATTACHED].str = access(link, F_OK) ? "no" : "yes";
				ms->programs++;
				ms->attached += !access(link, F_OK);
			}
		}
		close(fd);
		if (!v[OC_KIND].str)
			v[OC_KIND].str = "?";
		if (!v[OC_BPF_TYPE].str)
			v[OC_BPF_TYPE].str = "?";
		err = pin_writer__row(w, v);
	}
	closedir(d);
	return err;
}

/* Whether map @name of the module has this shape; the cause goes to @why. */
static bool map_ok(const struct pin_module *m, const char *name, __u32 type,
		   __u32 key_size, __u32 value_size, char *why, size_t size)
{
	char path[PATH_MAX], cause[256];
	int fd, err;

	pin_path(path, sizeof(path), "%s/maps/%s", m->dir, name);
	fd = pin_obj_get(path, PIN_RDONLY, cause, sizeof(cause));
	if (fd == -EACCES || fd == -EPERM)
		return true;	/* root-only: not ours to judge */
	err = fd < 0 ? fd : pin_map_verify(fd, path, type, key_size, value_size,
					   0, cause, sizeof(cause));
	if (fd >= 0)
		close(fd);
	if (err)
		snprintf(why, size, "map '%s': %s", name, cause);
	return !err;
}

/* Every map the readers use: stats halves and slots, and the ring. */
static bool maps_ok(const struct pin_module *m, char *why, size_t size)
{
	char name[64];
	int i, h;

	for (i = 0; i < m->desc->nmaps; i++) {
		const struct pin_map_desc *d = &m->desc->maps[i];

		for (h = 0; h < 2; h++) {
			snprintf(name, sizeof(name), "%s_%c", d->name, 'a' + h);
			if (!map_ok(m, name, d->type, d->key_size, d->value_size,
				    why, size))
				return false;
		}
		snprintf(name, sizeof(name), "%s_slot", d->name);
		if (!map_ok(m, name, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, why, size))
			return false;
	}
	return !m->desc->nevents ||
	       map_ok(m, "events", BPF_MAP_TYPE_RINGBUF, 0, 0, why, size);
}

/*
 * ok: every hook attached; degraded: an optional one is not; broken: a hook
 * that must be attached is not, or a map is not what the module pins there
 */
static const char *health(const struct pin_module *m, char *detail, size_t size)
{
	char link[PATH_MAX];
	size_t len = 0;
	bool degraded = false, broken = false;
	int h, v;

	detail[0] = '\0';
	if (!maps_ok(m, detail, size))
		return "broken";
	for (h = 0; h < m->desc->nhooks; h++) {
		const struct pin_hook *hook = &m->desc->hooks[h];
		bool found = false;

		for (v = 0; v < PIN_HOOK_VARIANTS && hook->variants[v] && !found; v++) {
			pin_path(link, sizeof(link), "%s/links/%s", m->dir,
				 hook->variants[v]);
			found = access(link, F_OK) == 0;
		}
		/* an extra hook this kernel cannot load is not missed */
		if (found || (hook->extra && !(m->meta.hooks_missing & (1u << h))))
			continue;
		if (m->meta.hooks_missing & (1u << h))
			degraded = true;
		else
			broken = true;
		if (len < size)
			len += snprintf(detail + len, size - len, "%shook %s not attached",
					len ? "; " : "", hook->name);
	}
	return broken ? "broken" : degraded ? "degraded" : "ok";
}

/* A module's summary row and the strings it points to. */
struct module_row {
	struct pin_val v[MC_N];
	char loaded[40];
	char version[BPFPIN_VERSION_LEN + 1];
	char filter[1024];
	char detail[512];
};

static int list_module(struct pin_writer *w, const char *root,
		       const struct pin_module_desc *d, struct module_row *mr)
{
	struct pin_val *row = mr->v;
	char *detail = mr->detail;
	size_t size = sizeof(mr->detail);
	struct module_state ms = {};
	struct bpfpin_filter f;
	struct pin_module m;
	bool has_filter;
	__u64 drops[DROP_NR] = {}, evicted = 0;
	bool has_lru;
	int i, err;

	row[MC_MODULE].str = d->name;
	row[MC_TYPE].str = "module";
	err = pin_module__open(&m, root, d, PIN_RDONLY);
	if (err) {
		row[MC_HEALTH].str = "broken";
		for (i = MC_SCHEMA; i <= MC_FILTER; i++)
			row[i].null = true;
		snprintf(detail, size, "%s", strerror(-err));
		row[MC_DETAIL].str = detail;
		return err == -EACCES || err == -EPERM ? err : 0;
	}
	pin_writer__begin(w, d->name, NULL, object_cols, PIN_LEN(object_cols));
	err = list_objects(w, m.dir, d->name, "progs", &ms);
	if (!err)
		err = list_objects(w, m.dir, d->name, "maps", &ms);
	row[MC_HEALTH].str = health(&m, detail, size);
	if (!err)
		err = pin_module__drops(&m, drops);
	row[MC_SCHEMA].u = m.meta.schema_version;
	row[MC_GENERATION].u = m.meta.generation;
	pin_format_rfc3339(m.meta.load_time_ns, mr->loaded, sizeof(mr->loaded));
	row[MC_LOADED].str = mr->loaded;
	snprintf(mr->version, sizeof(mr->version), "%.*s",
		 (int)sizeof(m.meta.loader_version), m.meta.loader_version);
	row[MC_VERSION].str = mr->version;
	row[MC_PROGRAMS].u = ms.programs;
	row[MC_ATTACHED].u = ms.attached;
	for (i = 0; i < DROP_NR; i++)
		row[MC_DROPS].u += drops[i];
	if (!err && !pin_module__evicted(&m, &evicted, &has_lru))
		row[MC_DROPS].u += evicted;	/* LRU evictions are records lost too */
	/* the filter in force; "-" for a module loaded without filters */
	if (!pin_module__filter(&m, &f, &has_filter))
		pin_filter_format(d, has_filter ? &f : NULL, mr->filter,
				  sizeof(mr->filter));
	else
		snprintf(mr->filter, sizeof(mr->filter), "-");
	row[MC_FILTER].str = mr->filter;
	row[MC_DETAIL].str = detail;
	if (!err)
		err = pin_writer__end(w);
	pin_module__close(&m);
	return err;
}

struct opts {
	const char *format;
	const char *pin_root;
	int verbose;
	bool done;	/* --help or --version answered */
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static const char optstring[] = "f:r:vhV";
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': o->format = optarg; break;
		case 'r': o->pin_root = optarg; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); o->done = true; return 0;
		case 'V': pin_print_version(); o->done = true; return 0;
		default: return pin_option_error(argv, optstring);
		}
	}
	pin_tool_log_init(PROG, o->verbose);
	if (optind < argc)
		return pin_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int list(const char *root, enum pin_format fmt)
{
	const struct pin_module_desc *mods[MAX_MODULES];
	static struct module_row rows[MAX_MODULES];
	struct pin_writer *w;
	int i, n, err;

	err = pin_check_root(root);
	if (err)
		return err;
	n = pin_loaded_modules(root, mods, MAX_MODULES);
	if (n < 0) {
		pin_warn("pin root '%s': %s%s", root, strerror(-n),
			 pin_access_hint(n, PIN_RDONLY));
		return n;
	}
	w = pin_writer__new(stdout, fmt);
	if (!w)
		return -ENOMEM;
	/* objects first (a table per module), then the summary of all modules */
	memset(rows, 0, sizeof(rows));
	for (i = 0; i < n && !err; i++)
		err = list_module(w, root, mods[i], &rows[i]);
	if (!err) {
		pin_writer__begin(w, "ls", "modules", module_cols, PIN_LEN(module_cols));
		for (i = 0; i < n && !err; i++)
			err = pin_writer__row(w, rows[i].v);
		if (!err)
			err = pin_writer__end(w);
	}
	if (!err && n == 0)
		pin_warn("no module is loaded under '%s'", root);
	pin_writer__free(w);
	return err;
}

int main(int argc, char **argv)
{
	struct opts o = { .format = "table" };
	enum pin_format fmt;
	const char *root;
	int err;

	pin_tool_log_init(PROG, 0);
	err = parse_args(argc, argv, &o);
	if (err || o.done)
		return pin_exit_code(err);
	if (pin_format_parse(o.format, &fmt) || fmt == PIN_FMT_PROM)
		err = pin_usage_error("--format '%s': expected table or json", o.format);
	if (!err)
		err = pin_root_resolve(o.pin_root, &root);
	if (!err) {
		signal(SIGPIPE, SIG_IGN);
		err = list(root, fmt);
	}
	if (err == -EPIPE)
		err = 0;	/* `| head` closed the pipe: a normal end */
	return pin_exit_code(err);
}
