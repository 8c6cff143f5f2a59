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
	{ "detail", PIN_COL_STR },
};

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

/* The kernel reports a map's charged memory only in fdinfo. */
static __u64 fd_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct module_state {
	int programs;
	int attached;
};

static int list_objects(struct pin_writer *w, const char *dir, const char *module,
			const char *kind, struct module_state *ms)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char path[PATH_MAX], link[PATH_MAX];
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
		fd = bpf_obj_get_opts(path, &opts);
		if (fd < 0) {
			err = -errno;
			pin_warn("pin '%s': %s", path, strerror(errno));
			break;
		}
		memset(v, 0, sizeof(v));
		v[OC_MODULE].str = module;
		v[OC_TYPE].str = "object";
		v[OC_NAME].str = e->d_name;
		v[OC_ENTRIES].null = v[OC_MAX].null = v[OC_MEMLOCK].null = true;
		v[OC_RUN_CNT].null = v[OC_RUN_TIME].null = v[OC_ATTACHED].null = true;
		if (!strcmp(kind, "maps")) {
			struct bpf_map_info info = {};
			__u32 len = sizeof(info);

			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				v[OC_KIND].str = "map";
				v[OC_BPF_TYPE].str = libbpf_bpf_map_type_str(info.type);
				v[OC_ID].u = info.id;
				v[OC_MAX].null = v[OC_MEMLOCK].null = false;
				v[OC_MAX].u = info.max_entries;
				v[OC_MEMLOCK].u = fd_memlock(fd);
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
				v[OC_BPF_TYPE].str = libbpf_bpf_prog_type_str(info.type);
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

/* ok: every hook attached; degraded: an optional one is not; broken: pins missing */
static const char *health(const struct pin_module *m, char *detail, size_t size)
{
	char link[PATH_MAX];
	size_t len = 0;
	bool degraded = false, broken = false;
	int h, v;

	detail[0] = '\0';
	for (h = 0; h < m->desc->nhooks; h++) {
		const struct pin_hook *hook = &m->desc->hooks[h];
		bool found = false;

		for (v = 0; v < 4 && hook->variants[v] && !found; v++) {
			pin_path(link, sizeof(link), "%s/links/%s", m->dir,
				 hook->variants[v]);
			found = access(link, F_OK) == 0;
		}
		if (found)
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
	struct pin_val v[PIN_LEN(module_cols)];
	char loaded[40];
	char version[BPFPIN_VERSION_LEN + 1];
	char detail[512];
};

static int list_module(struct pin_writer *w, const char *root,
		       const struct pin_module_desc *d, struct module_row *mr)
{
	struct pin_val *row = mr->v;
	char *detail = mr->detail;
	size_t size = sizeof(mr->detail);
	struct module_state ms = {};
	struct pin_module m;
	__u64 drops[DROP_NR] = {}, evicted = 0;
	bool has_lru;
	int i, err;

	row[0].str = d->name;
	row[1].str = "module";
	err = pin_module__open(&m, root, d, PIN_RDONLY);
	if (err) {
		row[2].str = "broken";
		for (i = 3; i <= 9; i++)
			row[i].null = true;
		snprintf(detail, size, "%s", strerror(-err));
		row[10].str = detail;
		return err == -EACCES || err == -EPERM ? err : 0;
	}
	pin_writer__begin(w, d->name, NULL, object_cols, PIN_LEN(object_cols));
	err = list_objects(w, m.dir, d->name, "progs", &ms);
	if (!err)
		err = list_objects(w, m.dir, d->name, "maps", &ms);
	row[2].str = health(&m, detail, size);
	if (!err)
		err = pin_module__drops(&m, drops);
	row[3].u = m.meta.schema_version;
	row[4].u = m.meta.generation;
	pin_format_rfc3339(m.meta.load_time_ns, mr->loaded, sizeof(mr->loaded));
	row[5].str = mr->loaded;
	snprintf(mr->version, sizeof(mr->version), "%.*s",
		 (int)sizeof(m.meta.loader_version), m.meta.loader_version);
	row[6].str = mr->version;
	row[7].u = ms.programs;
	row[8].u = ms.attached;
	for (i = 0; i < DROP_NR; i++)
		row[9].u += drops[i];
	if (!err && !pin_module__evicted(&m, &evicted, &has_lru))
		row[9].u += evicted;	/* LRU evictions are records lost too */
	row[10].str = detail;
	if (!err)
		err = pin_writer__end(w);
	pin_module__close(&m);
	return err;
}

int main(int argc, char **argv)
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
	const struct pin_module_desc *mods[MAX_MODULES];
	static struct module_row rows[MAX_MODULES];
	const char *format = "table", *pin_root = NULL, *root;
	struct pin_writer *w;
	enum pin_format fmt;
	int c, i, n, verbose = 0, err = 0;

	pin_tool_log_init(PROG, 0);
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'r': pin_root = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			pin_print_version();
			return 0;
		default:
			return pin_option_error(argv, optstring);
		}
	}
	pin_tool_log_init(PROG, verbose);
	if (optind < argc)
		return pin_usage_error("unexpected argument '%s'", argv[optind]);
	if (pin_format_parse(format, &fmt) || fmt == PIN_FMT_PROM)
		return pin_usage_error("--format '%s': expected table or json", format);
	root = pin_root_resolve(pin_root);
	err = pin_check_root(root);
	if (err)
		return pin_exit_code(err);
	n = pin_loaded_modules(root, mods, MAX_MODULES);
	if (n < 0) {
		pin_warn("pin root '%s': %s%s", root, strerror(-n),
			 pin_access_hint(n));
		return pin_exit_code(n);
	}
	signal(SIGPIPE, SIG_IGN);
	w = pin_writer__new(stdout, fmt);
	if (!w)
		return 1;
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
		fprintf(stderr, PROG ": no module is loaded under '%s'\n", root);
	pin_writer__free(w);
	if (err == -EPIPE)
		return 0;
	return pin_exit_code(err);
}
