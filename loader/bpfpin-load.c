// SPDX-License-Identifier: GPL-2.0
/* bpfpin-load: load, pin and unpin bpfpin modules, then exit; the kernel keeps collecting */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define PROG "bpfpin-load"
#define MAX_MODULES 64
#define MAX_SETS 64

/* A filter option of 'filter' (--cgroup ...), or a --set KEY=VALUE. */
struct kv {
	const char *key;
	const char *value;
};

struct opts {
	const char *pin_root;
	const char *profile;
	const char *config;
	const char *format;
	int verbose;
	bool reset;
	double wait;
	struct settings settings;
	const struct pin_module_desc *modules[MAX_MODULES];
	int nmodules;
	struct kv sets[MAX_SETS];	/* --set, after the config file */
	int nsets;
	struct kv filters[MAX_SETS];	/* filter's options, in order */
	int nfilters;
	bool clear;
};

static const struct opts defaults = {
	.format = "table",
	.wait = 10,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " COMMAND [options] [MODULE...]\n"
		"\n"
		"commands:\n"
		"  up [MODULE...]     load and pin modules (default: profile 'default')\n"
		"  down [MODULE...]   unpin modules (default: every loaded module)\n"
		"  reload [MODULE...] swap in this build's programs, keeping the maps and\n"
		"                     their counts (default: every loaded module)\n"
		"  check              what this kernel offers and which modules can load\n"
		"  list               the modules and profiles of this build\n"
		"  filter MODULE      replace the filter of a loaded module, at once\n"
		"\n"
		"options:\n"
		"  -p, --profile P    modules of profile P (up)\n"
		"  -c, --config FILE  read pin_root, profile and modules from FILE\n"
		"  -s, --set K=V      a bpfpin.conf setting, e.g. proc.filter.cgroup=/a (up,\n"
		"                     reload; wins over the config file)\n"
		"      --reset        reload: recreate the maps (needed after a schema change)\n"
		"      --cgroup P     filter: cgroups P[,P] (paths or container ids) and below\n"
		"      --pid N        filter: processes N[,N]\n"
		"      --comm C       filter: command name C\n"
		"      --uid N        filter: user id N\n"
		"      --no-system    filter: no kernel threads, pid 1, init.scope, system.slice\n"
		"      --events E     filter: emit events E[,E] only (names, all or none)\n"
		"      --max-events-per-s N  filter: at most N events a second per CPU\n"
		"      --clear        filter: no filter, every event, no limit\n"
		"  -w, --wait SEC     wait up to SEC seconds for another bpfpin-load (default 10)\n"
		"  -r, --pin-root DIR pin root (default $BPFPIN_ROOT or " PIN_DEFAULT_ROOT ")\n"
		"  -f, --format F     table or json (check, list)\n"
		"  -v, --verbose      more messages; twice adds libbpf's\n"
		"  -h, --help         this help\n"
		"  -V, --version      versions of " PROG " and libbpf\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 3 not loaded, 4 permission,\n"
		"            5 schema mismatch, 6 busy\n");
}

static int add_module(struct opts *o, const char *name)
{
	const struct pin_module_desc *d = pin_module_find(name);
	int i;

	if (!d)
		return pin_usage_error("unknown module '%s' (see '" PROG " list')", name);
	for (i = 0; i < o->nmodules; i++)
		if (o->modules[i] == d)
			return 0;
	if (o->nmodules == MAX_MODULES)
		return pin_usage_error("too many modules");
	o->modules[o->nmodules++] = d;
	return 0;
}

/* A profile's modules, and its settings (which later ones override). */
static int add_profile(struct opts *o, const char *profile)
{
	const struct pin_module_desc *mods[MAX_MODULES];
	int i, n = pin_profile_modules(profile, mods, MAX_MODULES), err;
	char words[256], why[512], *tok, *save, *eq;

	if (n < 0)
		return pin_usage_error("unknown profile '%s' (see '" PROG " list')",
				   profile);
	if (n == 0)
		return pin_usage_error("profile '%s' has no module in this build",
				   profile);
	for (i = 0; i < n; i++) {
		err = add_module(o, mods[i]->name);
		if (err)
			return err;
	}
	snprintf(words, sizeof(words), "%s", pin_profile_settings(profile));
	for (tok = strtok_r(words, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (settings_set(&o->settings, tok, eq + 1, why, sizeof(why)))
			return pin_usage_error("profile '%s': %s", profile, why);
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Config file: "key = value" lines, '#' comments. Keys: pin_root, profile,
 * modules (space-separated), and <module>.<setting> for the numbers a
 * module lets you set. The command line wins over the file.
 */
static int read_config(struct opts *o, bool cli_root, bool cli_mods)
{
	static char root[PATH_MAX], profile[64];
	char line[1024], why[256], *key, *val, *tok, *save;
	int lineno = 0, err = 0;
	FILE *f = fopen(o->config, "r");

	if (!f)
		return pin_usage_error("config '%s': %s", o->config, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		val = strchr(key, '=');
		if (!val) {
			err = pin_usage_error("config '%s' line %d: expected 'key = value'",
					      o->config, lineno);
			break;
		}
		*val++ = '\0';
		key = trim(key);
		val = trim(val);
		if (!strcmp(key, "pin_root")) {
			snprintf(root, sizeof(root), "%s", val);
			if (!cli_root)
				o->pin_root = root;
		} else if (!strcmp(key, "profile")) {
			snprintf(profile, sizeof(profile), "%s", val);
			if (!cli_mods)
				err = add_profile(o, profile);
		} else if (!strcmp(key, "modules")) {
			for (tok = strtok_r(val, " \t,", &save); tok && !cli_mods && !err;
			     tok = strtok_r(NULL, " \t,", &save))
				err = add_module(o, tok);
		} else if (settings_set(&o->settings, key, val, why, sizeof(why))) {
			err = pin_usage_error("config '%s' line %d: %s",
					      o->config, lineno, why);
		}
	}
	fclose(f);
	return err;
}

static int need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	pin_warn("%s: %s BPF programs needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)",
		 cmd, strcmp(cmd, "down") ? "loading" : "unpinning");
	return -EPERM;
}

/*
 * Open and lock the root, then repair what a killed loader left: every
 * command that changes the tree starts here. Return: the lock fd.
 */
static int begin(struct loader *l, const char *root, bool create)
{
	int lock, err;

	l->root = root;
	l->root_fd = root_open(root, create);
	if (l->root_fd < 0)
		return l->root_fd;
	lock = root_lock(root, l->wait_s);
	if (lock < 0) {
		close(l->root_fd);
		return lock;
	}
	err = clean_stale(l);
	if (err) {
		close(lock);
		close(l->root_fd);
		return err;
	}
	return lock;
}

static void end(struct loader *l, int lock)
{
	close(lock);	/* drops the flock */
	close(l->root_fd);
	probe_release();
}

/* Run @op on every module of @o; the first error is the command's. */
static int for_each_module(struct opts *o, struct loader *l,
			   int (*op)(const struct loader *, const struct pin_module_desc *,
				     bool), bool arg)
{
	int i, err = 0, e;

	for (i = 0; i < o->nmodules; i++) {
		e = op(l, o->modules[i], arg);
		if (e && !err)
			err = e;
	}
	return err;
}

static int up_one(const struct loader *l, const struct pin_module_desc *d,
		  bool unused)
{
	(void)unused;
	return module_up(l, d);
}

static int down_one(const struct loader *l, const struct pin_module_desc *d,
		    bool unused)
{
	(void)unused;
	return module_down(l, d);
}

static int do_up(struct opts *o, const char *root)
{
	struct loader l = { .settings = &o->settings, .wait_s = o->wait };
	struct features f;
	int lock, err;

	if (!o->nmodules) {
		err = add_profile(o, "default");
		if (err)
			return err;
	}
	err = need_root("up");
	if (err)
		return err;
	ensure_tracefs();
	lock = begin(&l, root, true);
	if (lock < 0)
		return lock;
	probe_features(&f, root);
	l.features = &f;
	err = for_each_module(o, &l, up_one, false);
	end(&l, lock);
	return err;
}

/* No module named: every one loaded under @root. Return: how many. */
static int default_to_loaded(struct opts *o, const char *root)
{
	int n;

	if (o->nmodules)
		return o->nmodules;
	n = pin_loaded_modules(root, o->modules, MAX_MODULES);
	o->nmodules = n > 0 ? n : 0;
	return o->nmodules;
}

static int do_reload(struct opts *o, const char *root)
{
	struct loader l = { .settings = &o->settings, .wait_s = o->wait };
	struct features f;
	int lock, err;

	err = need_root("reload");
	if (err)
		return err;
	ensure_tracefs();
	lock = begin(&l, root, false);
	if (lock < 0)
		return lock;
	if (!default_to_loaded(o, root)) {
		pin_warn("no module is loaded under '%s' (try 'bpfpin-load up')", root);
		end(&l, lock);
		return -ENOENT;
	}
	probe_features(&f, root);
	l.features = &f;
	err = for_each_module(o, &l, module_reload, o->reset);
	end(&l, lock);
	return err;
}

/*
 * A directory under the root that no module of this build is named like:
 * likely pinned by another bpfpin version. Say so rather than pass it over.
 */
static void warn_unknown(const char *root)
{
	struct dirent *e;
	DIR *dir = opendir(root);

	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' && e->d_name[0] != '_' &&
		    !pin_module_find(e->d_name))
			pin_warn("'%s/%s' is not a module of this build: left alone (unload it with the bpfpin-load that loaded it, or remove its pins)",
				 root, e->d_name);
	closedir(dir);
}

static int do_down(struct opts *o, const char *root)
{
	struct loader l = { .wait_s = o->wait };
	struct stat st;
	int lock, err;

	if (lstat(root, &st) && errno == ENOENT) {
		printf("nothing loaded under '%s'\n", root);
		return 0;
	}
	err = need_root("down");
	if (err)
		return err;
	lock = begin(&l, root, false);
	if (lock < 0)
		return lock;
	if (!o->nmodules)
		warn_unknown(root);
	if (!default_to_loaded(o, root))
		printf("nothing loaded under '%s'\n", root);
	err = for_each_module(o, &l, down_one, false);
	end(&l, lock);
	return err;
}

/* One row of 'check': what, yes or no, and why. */
static const struct pin_col check_cols[] = {
	{ "check", PIN_COL_STR },
	{ "ok", PIN_COL_STR },
	{ "detail", PIN_COL_STR },
};

static int write_check(struct pin_writer *w, const char *what, bool ok,
		       const char *detail)
{
	struct pin_val v[3] = { { .str = what }, { .str = ok ? "yes" : "no" },
				{ .str = detail } };

	return pin_writer__row(w, v);
}

/*
 * A row per user-space hook: the binaries and libraries it would attach
 * to, with the symbol found in each, and those skipped and why.
 */
static void check_targets(struct pin_writer *w, const struct opts *o,
			  const struct pin_module_desc *d, struct bpf_object *obj,
			  const char *const *picked)
{
	char what[128], report[4096], joined[4096], *p;
	size_t len;
	int h, n;

	for (h = 0; h < d->nhooks; h++) {
		if (!d->hooks[h].targets)
			continue;
		report[0] = '\0';
		n = targets_attach(&o->settings, d, h, NULL, NULL, report,
				   sizeof(report));
		/* one line per target, joined for the table */
		joined[0] = '\0';
		for (p = report, len = 0; *p && len < sizeof(joined); p += strcspn(p, "\n") + 1)
			len += snprintf(joined + len, sizeof(joined) - len, "%s%.*s",
					len ? "; " : "", (int)strcspn(p, "\n"), p);
		if (n < 0)
			snprintf(joined, sizeof(joined), "%s", strerror(-n));
		snprintf(what, sizeof(what), "hook %s.%s", d->name, d->hooks[h].name);
		write_check(w, what, n > 0 && picked[h] &&
			    bpf_object__find_program_by_name(obj, picked[h]), joined);
	}
}

static int do_check(struct opts *o, const char *root)
{
	enum pin_format fmt;
	struct pin_writer *w;
	struct features f;
	char detail[1024];
	bool mounted;
	int i, err;

	if (pin_format_parse(o->format, &fmt) || fmt == PIN_FMT_PROM)
		return pin_usage_error("check: format '%s' (table or json)", o->format);
	w = pin_writer__new(stdout, fmt);
	if (!w)
		return -ENOMEM;
	mounted = peek_tracefs();
	probe_features(&f, root);
	f.tracefs = mounted;
	pin_writer__begin(w, "check", "kernel features", check_cols,
			  PIN_LEN(check_cols));
	write_check(w, "btf", f.btf, "/sys/kernel/btf/vmlinux");
	write_check(w, "bpffs", f.bpffs, f.bpffs ? "mounted" : "not mounted; 'up' mounts it");
	write_check(w, "tracefs", f.tracefs,
		    f.tracefs ? "/sys/kernel/tracing" : "not mounted; 'up' mounts it");
	write_check(w, "kprobes", f.kprobes,
		    f.kprobes ? "" : "CONFIG_KPROBES off: kprobe variants unavailable");
	write_check(w, "fentry", f.fentry, f.fentry ? "" : f.fentry_why);
	write_check(w, "uprobes", f.uprobes, "");
	write_check(w, "netfilter", f.netfilter,
		    f.netfilter ? "BPF netfilter links (per network namespace)" : f.netfilter_why);
	write_check(w, "ringbuf", f.ringbuf, "");
	write_check(w, "cgroup_v2", f.cgroup_v2, f.cgroup_v2 ? pin_cgroup2_mount() : "not mounted");
	write_check(w, "bpf_stats", f.bpf_stats,
		    f.bpf_stats ? "run counts and times shown" :
		    "sysctl kernel.bpf_stats_enabled=1 to see run counts");
	for (i = 0; i < pin_nmodules; i++) {
		const struct pin_module_desc *d = pin_modules[i];
		const char *picked[16] = {};
		struct bpf_object *obj = module_open(d);
		char name[64], why[800];
		size_t len = 0;
		int h;

		snprintf(name, sizeof(name), "module %s", d->name);
		if (!obj) {
			write_check(w, name, false, "not built in");
			continue;
		}
		/* loaded for real: the kernel may refuse a helper, an argument */
		err = module_probe_load(&f, d, picked, why, sizeof(why));
		for (h = 0; h < d->nhooks && len < sizeof(detail); h++) {
			struct bpf_program *p = picked[h] ?
				bpf_object__find_program_by_name(obj, picked[h]) : NULL;
			char kind[64] = "none";

			if (p)
				prog_kind(obj, p, &d->hooks[h], kind, sizeof(kind));
			len += snprintf(detail + len, sizeof(detail) - len, "%s%s=%s",
					h ? " " : "", d->hooks[h].name, kind);
		}
		if (why[0] && len < sizeof(detail))
			len += snprintf(detail + len, sizeof(detail) - len, " [%s]", why);
		if (d->notes && len < sizeof(detail))
			snprintf(detail + len, sizeof(detail) - len, "; %s", d->notes);
		write_check(w, name, !err, detail);
		check_targets(w, o, d, obj, picked);
		bpf_object__close(obj);
	}
	err = pin_writer__end(w);
	pin_writer__free(w);
	probe_release();
	return err;
}

static const struct pin_col profile_cols[] = {
	{ "profile", PIN_COL_STR },
	{ "modules", PIN_COL_STR },
	{ "settings", PIN_COL_STR },
};

static int do_list(struct opts *o, const char *root)
{
	static const struct pin_col cols[] = {
		{ "module", PIN_COL_STR },
		{ "profiles", PIN_COL_STR },
		{ "settings", PIN_COL_STR },
		{ "summary", PIN_COL_STR },
	};
	enum pin_format fmt;
	struct pin_writer *w;
	char settings[512];
	int i, j, err;

	(void)root;
	if (pin_format_parse(o->format, &fmt) || fmt == PIN_FMT_PROM)
		return pin_usage_error("list: format '%s' (table or json)", o->format);
	w = pin_writer__new(stdout, fmt);
	if (!w)
		return -ENOMEM;
	pin_writer__begin(w, "list", NULL, cols, PIN_LEN(cols));
	for (i = 0; i < pin_nmodules; i++) {
		const struct pin_module_desc *d = pin_modules[i];
		size_t len = 0;

		/* what bpfpin.conf can set, with the defaults */
		settings[0] = '\0';
		for (j = 0; j < d->nsettings && len < sizeof(settings); j++) {
			const struct pin_setting *st = &d->settings[j];

			/* a list of names is empty by default */
			len += snprintf(settings + len, sizeof(settings) - len,
					st->kind == PIN_SET_NUMBER ? "%s%s.%s=%u" :
					st->kind == PIN_SET_TARGETS ? "%s%s.%s=auto" :
					st->kind == PIN_SET_NETNS ? "%s%s.%s=self" :
					"%s%s.%s=", j ? " " : "", d->name,
					st->name, st->def);
		}
		struct pin_val v[4] = { { .str = d->name }, { .str = d->profiles },
					{ .str = settings }, { .str = d->summary } };
		pin_writer__row(w, v);
	}
	err = pin_writer__end(w);
	/* then each profile: its modules, and what it sets */
	if (!err)
		err = pin_writer__begin(w, "profiles", NULL, profile_cols,
					PIN_LEN(profile_cols));
	for (i = 0; !err && pin_profiles[i]; i++) {
		const struct pin_module_desc *mods[MAX_MODULES];
		char names[512] = "";
		size_t len = 0;
		int n = pin_profile_modules(pin_profiles[i], mods, MAX_MODULES);

		for (j = 0; j < n && len < sizeof(names); j++)
			len += snprintf(names + len, sizeof(names) - len, "%s%s",
					j ? " " : "", mods[j]->name);
		struct pin_val v[3] = { { .str = pin_profiles[i] }, { .str = names },
					{ .str = pin_profile_settings(pin_profiles[i]) } };
		err = pin_writer__row(w, v);
	}
	if (!err)
		err = pin_writer__end(w);
	pin_writer__free(w);
	return err;
}

/*
 * filter MODULE [options]: the new filter is what the options say (not
 * added to the old one); every option is checked, cgroups resolved,
 * before anything is opened.
 */
static int do_filter(struct opts *o, const char *root)
{
	struct loader l = { .settings = &o->settings, .wait_s = o->wait };
	const struct pin_module_desc *d;
	struct bpfpin_filter f = {};
	char why[512];
	int i, lock, err;

	if (o->nmodules != 1)
		return pin_usage_error("filter: name one module");
	d = o->modules[0];
	if (o->clear && o->nfilters)
		return pin_usage_error("filter: --clear goes alone");
	if (!o->clear && !o->nfilters)
		return pin_usage_error("filter: nothing to set (--cgroup, --pid, --comm, --uid, --no-system, --events, --max-events-per-s or --clear)");
	for (i = 0; i < o->nfilters; i++)
		if (pin_filter_set(d, &f, o->filters[i].key, o->filters[i].value,
				   why, sizeof(why)))
			return pin_usage_error("filter %s: %s", d->name, why);
	err = need_root("filter");
	if (err)
		return err;
	lock = begin(&l, root, false);
	if (lock < 0)
		return lock;
	err = module_filter(&l, d, o->clear ? NULL : &f);
	end(&l, lock);
	return err;
}

static const struct command {
	const char *name;
	int (*run)(struct opts *o, const char *root);
	bool takes_modules;
} commands[] = {
	{ "up", do_up, true },
	{ "down", do_down, true },
	{ "reload", do_reload, true },
	{ "check", do_check, false },
	{ "list", do_list, false },
	{ "filter", do_filter, true },
};

static int parse_args(int argc, char **argv, struct opts *o,
		      const struct command **cmd)
{
	static const struct option long_opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "reset", no_argument, NULL, 'R' },
		{ "set", required_argument, NULL, 's' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "pid", required_argument, NULL, 'P' },
		{ "comm", required_argument, NULL, 'C' },
		{ "uid", required_argument, NULL, 'U' },
		{ "no-system", no_argument, NULL, 'N' },
		{ "events", required_argument, NULL, 'E' },
		{ "max-events-per-s", required_argument, NULL, 'M' },
		{ "clear", no_argument, NULL, 'X' },
		{ "wait", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static const char optstring[] = "p:c:r:f:w:s:vhV";
	const char *name, *fkey;
	char why[512];
	bool cli_mods = false;
	int c, i, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->profile = optarg; break;
		case 'c': o->config = optarg; break;
		case 'r': o->pin_root = optarg; break;
		case 'f': o->format = optarg; break;
		case 'R': o->reset = true; break;
		case 's':
			if (o->nsets == MAX_SETS)
				return pin_usage_error("too many --set");
			o->sets[o->nsets].key = optarg;
			o->sets[o->nsets++].value = "";
			break;
		case 'G': case 'P': case 'C': case 'U': case 'N': case 'E': case 'M':
			fkey = c == 'G' ? "cgroup" : c == 'P' ? "pid" : c == 'C' ? "comm" :
			       c == 'U' ? "uid" : c == 'N' ? "no_system" :
			       c == 'E' ? "events" : "max_events_per_s";
			if (o->nfilters == MAX_SETS)
				return pin_usage_error("too many filter options");
			o->filters[o->nfilters].key = fkey;
			o->filters[o->nfilters++].value = c == 'N' ? "1" : optarg;
			break;
		case 'X': o->clear = true; break;
		case 'w':
			err = pin_parse_wait("--wait", optarg, &o->wait);
			if (err)
				return err;
			break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); *cmd = NULL; return 0;
		case 'V': pin_print_version(); *cmd = NULL; return 0;
		default: return pin_option_error(argv, optstring);
		}
	}
	pin_tool_log_init(PROG, o->verbose);
	if (optind >= argc)
		return pin_usage_error("missing command");
	name = argv[optind++];
	*cmd = NULL;
	for (i = 0; i < PIN_LEN(commands); i++)
		if (!strcmp(commands[i].name, name))
			*cmd = &commands[i];
	if (!*cmd)
		return pin_usage_error("unknown command '%s'", name);
	if (o->reset && strcmp(name, "reload"))
		return pin_usage_error("--reset goes with 'reload'");
	if ((o->nfilters || o->clear) && strcmp(name, "filter"))
		return pin_usage_error("filter options (--cgroup ... --clear) go with 'filter'");
	if (o->nsets && strcmp(name, "up") && strcmp(name, "reload"))
		return pin_usage_error("--set goes with 'up' or 'reload'");
	for (i = optind; i < argc; i++) {
		if (!(*cmd)->takes_modules)
			return pin_usage_error("%s takes no module", name);
		err = add_module(o, argv[i]);
		if (err)
			return err;
		cli_mods = true;
	}
	if (o->profile) {
		if (strcmp(name, "up"))
			return pin_usage_error("--profile goes with 'up'");
		err = add_profile(o, o->profile);
		if (err)
			return err;
		cli_mods = true;
	}
	if (o->config) {
		err = read_config(o, o->pin_root != NULL,
				  cli_mods || strcmp(name, "up"));
		if (err)
			return err;
	}
	/* the command line wins over the file */
	for (i = 0; i < o->nsets; i++) {
		char kv[1024], *eq;

		snprintf(kv, sizeof(kv), "%s", o->sets[i].key);
		eq = strchr(kv, '=');
		if (!eq)
			return pin_usage_error("--set '%s': expected KEY=VALUE", kv);
		*eq = '\0';
		if (settings_set(&o->settings, trim(kv), trim(eq + 1), why, sizeof(why)))
			return pin_usage_error("--set: %s", why);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct opts o;
	const struct command *cmd = NULL;
	const char *root;
	int err;

	o = defaults;
	pin_tool_log_init(PROG, 0);
	err = parse_args(argc, argv, &o, &cmd);
	if (!err && cmd)
		err = pin_root_resolve(o.pin_root, &root);
	if (!err && cmd) {
		signal(SIGPIPE, SIG_IGN);
		err = cmd->run(&o, root);
	}
	if (fflush(stdout) && errno != EPIPE && !err)
		err = -EIO;
	return pin_exit_code(err);
}
