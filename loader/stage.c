// SPDX-License-Identifier: GPL-2.0
/* stage.c: one module's programs opened, picked, configured, loaded, attached and pinned */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

void fault_point(const char *step)
{
	const char *want = getenv("BPFPIN_FAULT");

	if (want && !strcmp(want, step)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}

struct bpf_object *module_open(const struct pin_module_desc *d)
{
	const struct module_elf *elf = module_elf_find(d->name);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = d->name);
	struct bpf_object *obj;
	const void *bytes;
	size_t size;

	if (!elf) {
		pin_warn("module '%s': not built into this bpfpin-load", d->name);
		errno = ENOENT;
		return NULL;
	}
	bytes = elf->bytes(&size);
	obj = bpf_object__open_mem(bytes, size, &opts);
	if (!obj)
		pin_warn("module '%s': open BPF object: %s", d->name,
			 strerror(errno));
	return obj;
}

void prog_kind(const struct bpf_object *obj, const struct bpf_program *prog,
	       const struct pin_hook *hook, char *buf, size_t size)
{
	const struct bpf_program *first =
		bpf_object__find_program_by_name(obj, hook->variants[0]);
	size_t len;

	static const char *const traces[] = { "tp_btf", "raw_tp", "tracepoint",
		"fentry", "fexit", "kprobe", "kretprobe" };
	const char *sec = bpf_program__section_name(prog);
	int kind = strcspn(sec, "/");
	const char *target = strrchr(sec, '/');
	size_t i;

	snprintf(buf, size, "%.*s", kind, sec);
	/* a fallback on another tracepoint or function says which */
	for (i = 0; target && i < PIN_LEN(traces); i++)
		if (!strcmp(buf, traces[i]) && strcmp(target + 1, hook->name))
			snprintf(buf, size, "%.*s:%s", kind, sec, target + 1);
	/* a fallback of the same kind (one that does without a helper) */
	len = strlen(buf);
	if (first && first != prog &&
	    !strcmp(bpf_program__section_name(first), sec) && len < size)
		snprintf(buf + len, size - len, "(%s)", bpf_program__name(prog));
}

/* Set a `const volatile` global of .rodata before load, found by BTF name. */
static int set_rodata_bytes(struct bpf_object *obj, const char *var,
			    const void *value, size_t len)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	const char *init;
	size_t size;
	void *data;
	int id, i, err;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 &&
		    !strcmp(name + len - 7, ".rodata"))
			break;
	}
	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		init = bpf_map__initial_value(map, &size);
		if (!init || vs->size != len || vs->offset + len > size)
			return -EINVAL;
		data = malloc(size);
		if (!data)
			return -ENOMEM;
		memcpy(data, init, size);
		memcpy((char *)data + vs->offset, value, len);
		err = bpf_map__set_initial_value(map, data, size);
		free(data);
		return err;
	}
	return -ENOENT;
}

static int set_rodata(struct bpf_object *obj, const char *var, __u32 value)
{
	return set_rodata_bytes(obj, var, &value, sizeof(value));
}

/*
 * Each `const volatile __u32 cfg_nargs_TP` of a module: the arguments
 * tracepoint TP takes on this kernel (one gained an argument: the program
 * reads it only where it is there). Left as compiled without BTF for TP.
 */
static int set_tp_nargs(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	const char *name;
	int id, i, n, err;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		name = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
		if (strncmp(name, "cfg_nargs_", 10))
			continue;
		n = probe_tp_nargs(name + 10);
		if (n < 0)
			continue;
		err = set_rodata(obj, name, n);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The verifier's reason and the program it refused, from what libbpf
 * prints when a load fails; programs refused so far (MODULE/PROGRAM,
 * comma-separated), which module_pick() passes over for the next variant.
 */
static char try_reason[160], try_prog[64], refused[512];

static int try_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL, *end, *line;

	if (level != LIBBPF_WARN || vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (!try_prog[0] && strstr(msg, "': failed to load"))
		sscanf(msg, "libbpf: prog '%63[^']'", try_prog);
	/* the line before "processed N insns" says why */
	end = strstr(msg, "\nprocessed ");
	if (end) {
		*end = '\0';
		line = strrchr(msg, '\n');
		snprintf(try_reason, sizeof(try_reason), "%s", line ? line + 1 : msg);
	}
	free(msg);
	return 0;
}

int module_try_load(struct bpf_object *obj, char *why, size_t size)
{
	libbpf_print_fn_t old;
	int err;

	err = set_tp_nargs(obj);
	if (err) {
		snprintf(why, size, "set tracepoint arguments: %s", strerror(-err));
		return err;
	}
	try_reason[0] = try_prog[0] = '\0';
	old = libbpf_set_print(try_print);
	err = bpf_object__load(obj);
	libbpf_set_print(old);
	if (err)
		snprintf(why, size, "load: %s%s%s", strerror(-err),
			 try_reason[0] ? ": " : "", try_reason);
	return err;
}

/* Whether the kernel refused program @prog of module @d in a trial. */
static bool is_refused(const struct pin_module_desc *d, const char *prog)
{
	char key[128];

	snprintf(key, sizeof(key), "%s/%s", d->name, prog);
	return pin_list_has(refused, key);
}

/* Whether the hook of program @prog has a variant after it to try. */
static bool has_next_variant(const struct pin_module_desc *d, const char *prog)
{
	int h, v;

	for (h = 0; h < d->nhooks; h++)
		for (v = 0; v + 1 < PIN_LEN(d->hooks[h].variants); v++)
			if (d->hooks[h].variants[v] && d->hooks[h].variants[v + 1] &&
			    !strcmp(d->hooks[h].variants[v], prog))
				return true;
	return false;
}

/*
 * After a failed load: whether the program the kernel refused (try_prog)
 * can be passed over, its hook having a next variant or it being a seed
 * (left out, the module loads without); if so it joins the refused list
 * and the caller loads again.
 */
static bool refuse_and_retry(const struct pin_module_desc *d, const char *why)
{
	size_t len = strlen(refused);

	if (!try_prog[0] || is_refused(d, try_prog) ||
	    (!has_next_variant(d, try_prog) && !pin_list_has(d->seed_programs, try_prog)))
		return false;
	if (snprintf(refused + len, sizeof(refused) - len, "%s%s/%s", len ? "," : "",
		     d->name, try_prog) >= (int)(sizeof(refused) - len)) {
		refused[len] = '\0';	/* no room: no more retries */
		return false;
	}
	pin_debug("module '%s': %s refused (%s), trying the next variant", d->name,
		  try_prog, why);
	try_prog[0] = '\0';
	return true;
}

static int netfilter_prepare(struct bpf_object *obj);
static void pick_seeds(const struct features *f, struct bpf_object *obj,
		       const struct pin_module_desc *d, bool quiet);

int module_probe_load(const struct features *f, const struct pin_module_desc *d,
		      const char **picked, char *why, size_t size)
{
	struct bpf_object *obj;
	int err, tries;

	for (tries = 0; tries < 8; tries++) {
		obj = module_open(d);
		if (!obj) {
			snprintf(why, size, "not built in");
			return -ENOENT;
		}
		err = module_pick(f, obj, d, picked, why, size);
		if (!err) {
			pick_seeds(f, obj, d, true);
			err = netfilter_prepare(obj);
		}
		if (!err)
			err = module_try_load(obj, why, size);
		bpf_object__close(obj);
		if (!err || !refuse_and_retry(d, why))
			return err;
	}
	return err;
}

/* Whether @hook's unless_tp_args holds here; if so, why says so. */
static bool is_unneeded(const struct pin_hook *hook, char *why, size_t size,
			size_t *len)
{
	char tp[64];
	int n, args;

	if (!hook->unless_tp_args ||
	    sscanf(hook->unless_tp_args, "%63s %d", tp, &n) != 2)
		return false;
	args = probe_tp_nargs(tp);
	if (args < n)
		return false;
	if (*len < size)
		*len += snprintf(why + *len, size - *len,
				 "%s%s: not needed (tracepoint '%s' takes %d arguments here)",
				 *len ? "; " : "", hook->name, tp, args);
	return true;
}

int module_pick(const struct features *f, struct bpf_object *obj,
		const struct pin_module_desc *d, const char **picked,
		char *why, size_t size)
{
	/* for tests: a kernel without these hooks, or without these variants
	 * (programs), comma-separated names */
	const char *off = getenv("BPFPIN_NO_HOOK");
	const char *off_variants = getenv("BPFPIN_NO_VARIANT");
	struct bpf_program *prog;
	size_t len = 0, start;
	int h, v, err = 0;

	why[0] = '\0';
	/* only the picked variants load */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (h = 0; h < d->nhooks; h++) {
		const struct pin_hook *hook = &d->hooks[h];
		bool disabled = off && pin_list_has(off, hook->name);

		start = len;
		picked[h] = NULL;
		if (is_unneeded(hook, why, size, &len))
			continue;
		for (v = 0; v < PIN_LEN(hook->variants) && hook->variants[v]; v++) {
			char reason[160];

			prog = bpf_object__find_program_by_name(obj, hook->variants[v]);
			if (disabled) {
				snprintf(reason, sizeof(reason),
					 "%s: disabled by BPFPIN_NO_HOOK", hook->variants[v]);
			} else if (off_variants &&
				   pin_list_has(off_variants, hook->variants[v])) {
				snprintf(reason, sizeof(reason),
					 "%s: disabled by BPFPIN_NO_VARIANT", hook->variants[v]);
			} else if (!prog) {
				snprintf(reason, sizeof(reason), "no program '%s'",
					 hook->variants[v]);
			} else if (is_refused(d, hook->variants[v])) {
				snprintf(reason, sizeof(reason), "%s: refused by the kernel",
					 hook->variants[v]);
			} else if (probe_program(f, prog, reason, sizeof(reason))) {
				bpf_program__set_autoload(prog, true);
				picked[h] = hook->variants[v];
				break;
			}
			if (len < size)
				len += snprintf(why + len, size - len, "%s%s",
						len ? "; " : "", reason);
		}
		if (!picked[h] && !hook->optional && !err) {
			err = -EOPNOTSUPP;
			if (len < size)
				len += snprintf(why + len, size - len,
						" (required hook '%s')", hook->name);
		}
		/* a hook that found a variant needs no excuse */
		if (picked[h] && start < size) {
			len = start;
			why[len] = '\0';
		}
	}
	return err;
}

/*
 * Attach one program. Tracepoints attach by their section; cgroup programs
 * need a cgroup: the root of the cgroup v2 hierarchy, so they see every
 * socket below it.
 */
static struct bpf_link *attach(struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog), *mnt;
	struct bpf_link *link;
	int fd;

	if (strncmp(sec, "cgroup", 6))
		return bpf_program__attach(prog);
	mnt = pin_cgroup2_mount();
	if (!mnt) {
		errno = ENOENT;
		return NULL;
	}
	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	link = bpf_program__attach_cgroup(prog, fd);
	close(fd);
	return link;
}

/*
 * Netfilter hooks. The section names the hook, "netfilter/<ipv4|ipv6>/
 * <hook>/<priority>", as a tracepoint's names its tracepoint; libbpf 1.1
 * knows neither the program type nor the link, so the type is set by
 * number before load and the link is made by the bpf(2) syscall.
 */
struct nf_spec {
	__u32 pf;		/* NFPROTO_IPV4 2, NFPROTO_IPV6 10 */
	__u32 hooknum;		/* enum nf_inet_hooks */
	__s32 priority;
};

static bool is_netfilter(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "netfilter/", 10);
}

static int nf_spec_parse(const char *sec, struct nf_spec *nf)
{
	static const char *const hooks[] = {
		"pre_routing", "local_in", "forward", "local_out", "post_routing",
	};
	char pf[8], hook[16];
	long prio;
	char *end;
	int n = 0, h;

	if (sscanf(sec, "netfilter/%7[^/]/%15[^/]/%n", pf, hook, &n) != 2 || !n)
		return -EINVAL;
	errno = 0;
	prio = strtol(sec + n, &end, 10);
	if (errno || end == sec + n || *end || prio <= -2147483647L - 1 ||
	    prio >= 2147483647L)
		return -EINVAL;
	if (!strcmp(pf, "ipv4"))
		nf->pf = 2;
	else if (!strcmp(pf, "ipv6"))
		nf->pf = 10;
	else
		return -EINVAL;
	for (h = 0; h < PIN_LEN(hooks) && strcmp(hooks[h], hook); h++)
		;
	if (h == PIN_LEN(hooks))
		return -EINVAL;
	nf->hooknum = (__u32)h;
	nf->priority = (__s32)prio;
	return 0;
}

/* union bpf_attr's link_create for a netfilter link, as of Linux 6.4 */
struct nf_link_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u32 pf;
	__u32 hooknum;
	__s32 priority;
	__u32 nf_flags;
};

/* A netfilter link for @prog in the calling thread's network namespace. */
static int nf_link_create(int prog_fd, const struct nf_spec *nf)
{
	struct nf_link_attr attr = {
		.prog_fd = prog_fd,
		.attach_type = PIN_ATTACH_NETFILTER,
		.pf = nf->pf,
		.hooknum = nf->hooknum,
		.priority = nf->priority,
	};
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));

	return fd < 0 ? -errno : (int)fd;
}

/* Set the type of netfilter programs, which libbpf 1.1 leaves unknown. */
static int netfilter_prepare(struct bpf_object *obj)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) {
		if (!is_netfilter(prog))
			continue;
		err = bpf_program__set_type(prog, (enum bpf_prog_type)PIN_PROG_TYPE_NETFILTER);
		if (!err)
			err = bpf_program__set_expected_attach_type(prog,
				(enum bpf_attach_type)PIN_ATTACH_NETFILTER);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Enter network namespace @path ("self": stay) and make a link there; the
 * calling thread returns to namespace @home (an fd) whatever happens. Its
 * inode goes to @ino; one of the @n in @seen is not linked again: -EEXIST.
 */
static int nf_link_in(const char *path, int home, int prog_fd,
		      const struct nf_spec *nf, const ino_t *seen, int n, ino_t *ino)
{
	bool self = !strcmp(path, "self");
	struct stat sb;
	int fd, link, err, i;

	fd = self ? dup(home) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		close(fd);
		return err;
	}
	*ino = sb.st_ino;
	for (i = 0; i < n && seen[i] != sb.st_ino; i++)
		;
	if (i < n || self) {
		close(fd);
		return i < n ? -EEXIST : nf_link_create(prog_fd, nf);
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(fd);
		return err == -EINVAL ? -ENOTSUP : err;
	}
	close(fd);
	link = nf_link_create(prog_fd, nf);
	if (setns(home, CLONE_NEWNET)) {
		err = -errno;
		if (link >= 0)
			close(link);
		pin_warn("network namespace: return to the loader's own: %s",
			 strerror(-err));
		return err;
	}
	return link;
}

/*
 * Netfilter runs one BPF program per (family, hook, priority): a second
 * link at the same priority is refused with EBUSY. So a link's priority is
 * the section's plus the module's generation: a reload's programs attach
 * right after the ones they replace and run after them on each packet, as
 * the handoff words want (old first, then new).
 */
static int nf_priority(const struct nf_spec *nf, __u32 gen, __s32 *prio)
{
	if (gen >= (__u32)(2147483647 - nf->priority))
		return -ERANGE;
	*prio = nf->priority + (__s32)gen;
	return 0;
}

/*
 * A netfilter hook: a link in each network namespace its setting names,
 * pinned as links/<prog> for the first, <prog>-2, -3... for the others,
 * and a line per namespace in the report. A namespace named twice (by two
 * paths) is attached once.
 */
static int attach_netfilter(const struct settings *settings,
			    const struct pin_module_desc *d, struct staged *st,
			    struct bpf_program *prog, int h, const char *stage)
{
	const struct pin_hook *hook = &d->hooks[h];
	const char *list = settings_text(settings, settings_find(d, hook->netns));
	const char *name = bpf_program__name(prog), *p;
	char path[PATH_MAX], ns[PATH_MAX];
	ino_t seen[64], ino = 0;
	int home, link, n = 0, err = 0;
	struct nf_spec nf;
	size_t len, rlen = strlen(st->targets);

	if (nf_spec_parse(bpf_program__section_name(prog), &nf)) {
		pin_warn("module '%s': program '%s': section '%s' is not netfilter/<ipv4|ipv6>/<hook>/<priority>",
			 d->name, name, bpf_program__section_name(prog));
		return -EINVAL;
	}
	if (nf_priority(&nf, st->gen, &nf.priority)) {
		pin_warn("module '%s': hook '%s': generation %u leaves no netfilter priority below conntrack's confirm (reload --reset starts again at 1)",
			 d->name, hook->name, st->gen);
		return -ERANGE;
	}
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		err = -errno;
		pin_warn("module '%s': network namespace '/proc/thread-self/ns/net': %s",
			 d->name, strerror(-err));
		return err;
	}
	for (p = list; *p && !err; p += len + (p[len] != '\0')) {
		len = strcspn(p, ", \t");
		if (!len)
			continue;
		snprintf(ns, sizeof(ns), "%.*s", (int)len, p);
		link = nf_link_in(ns, home, bpf_program__fd(prog), &nf, seen, n, &ino);
		if (link == -EEXIST)
			continue;	/* the same namespace by another name */
		if (link < 0) {
			err = link;
			pin_warn("module '%s': hook '%s': network namespace '%s': %s; nothing pinned",
				 d->name, hook->name, ns, err == -ENOTSUP ?
				 "not a network namespace (/proc/PID/ns/net, /run/netns/NAME)" :
				 err == -EBUSY ?
				 "another BPF program holds this netfilter priority (one per priority)" :
				 strerror(-err));
			/* a path that is missing is no module "not loaded" (exit 3) */
			if (err != -EACCES && err != -EPERM)
				err = -ENODEV;
			break;
		}
		if (n == PIN_LEN(seen)) {
			close(link);
			err = -E2BIG;
			pin_warn("module '%s': hook '%s': more than %d network namespaces",
				 d->name, hook->name, PIN_LEN(seen));
			break;
		}
		seen[n++] = ino;
		if (n == 1)
			pin_path(path, sizeof(path), "%s/links/%s", stage, name);
		else
			pin_path(path, sizeof(path), "%s/links/%s-%d", stage, name, n);
		err = bpf_obj_pin(link, path) ? -errno : 0;
		close(link);
		if (err)
			pin_warn("module '%s': pin '%s': %s", d->name, path, strerror(-err));
		else if (rlen < sizeof(st->targets))
			rlen += snprintf(st->targets + rlen, sizeof(st->targets) - rlen,
					 "  %s: netns %s (net:[%lu]), priority %d\n",
					 hook->name, ns, (unsigned long)ino, nf.priority);
	}
	close(home);
	if (!err && !n) {
		pin_warn("module '%s': hook '%s': %s.%s names no network namespace",
			 d->name, hook->name, d->name, hook->netns);
		err = -EINVAL;
	}
	return err;
}

/* The entries of pinned map @path, or 0 when it is not pinned. */
static __u32 pinned_entries(const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char why[128];
	int fd = pin_obj_get(path, PIN_RDONLY, why, sizeof(why));

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/*
 * A module's settings: map sizes, and cfg_<name> constants. A map already
 * pinned keeps its size (a reload reuses it): say so when that differs.
 */
static int apply_settings(struct bpf_object *obj, const struct settings *settings,
			  const struct pin_module_desc *d, const char *maps_dir)
{
	char name[64], path[PATH_MAX];
	int i, m, h, err;

	for (i = 0; i < d->nsettings; i++) {
		const struct pin_setting *s = &d->settings[i];
		unsigned int v = settings_get(settings, s), pinned;

		snprintf(name, sizeof(name), "cfg_%s", s->name);
		if (s->kind == PIN_SET_TARGETS || s->kind == PIN_SET_NETNS)
			continue;	/* the loader's alone */
		if (s->kind != PIN_SET_NUMBER) {
			static const __u64 none[PIN_SYSCALL_WORDS];
			const __u64 *bits = settings_bits(settings, s);

			err = set_rodata_bytes(obj, name, bits ? bits : none,
					       sizeof(none));
			if (err)
				return err;
			continue;
		}
		err = set_rodata(obj, name, v);
		if (err && err != -ENOENT)
			return err;
		for (m = 0; m < d->nmaps; m++) {
			const struct pin_map_desc *md = &d->maps[m];

			if (!md->entries_setting || strcmp(md->entries_setting, s->name))
				continue;
			for (h = 0; h < 2; h++) {
				struct bpf_map *map;

				snprintf(name, sizeof(name), "%s_%c", md->name, 'a' + h);
				map = bpf_object__find_map_by_name(obj, name);
				if (!map)
					return -ENOENT;
				pin_path(path, sizeof(path), "%s/%s", maps_dir, name);
				pinned = pinned_entries(path);
				if (pinned && pinned != v) {
					if (!h)
						pin_warn("module '%s': %s.%s = %u takes effect with 'reload --reset' (pinned maps have %u entries)",
							 d->name, d->name, s->name, v,
							 pinned);
					v = pinned;
				}
				err = bpf_map__set_max_entries(map, v);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

int stage_check_pinned(struct bpf_object *obj, const struct pin_module_desc *d,
		       const char *maps_dir, bool entries)
{
	char path[PATH_MAX], why[256];
	struct bpf_map *map;
	int fd, err;

	/*
	 * libbpf reuses what stands at a map's pin path when type and sizes
	 * agree, through a symlink too: check name and shape ourselves first.
	 */
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_path(path, sizeof(path), "%s/%s", maps_dir, bpf_map__name(map));
		fd = pin_obj_get(path, PIN_RDONLY, why, sizeof(why));
		if (fd == -ENOENT)
			continue;
		err = fd < 0 ? fd :
		      pin_map_verify(fd, path, bpf_map__type(map),
				     bpf_map__key_size(map), bpf_map__value_size(map),
				     entries ? bpf_map__max_entries(map) : 0, why,
				     sizeof(why));
		if (fd >= 0)
			close(fd);
		if (err) {
			pin_warn("module '%s': map '%s': %s; nothing changed (reload --reset recreates the maps)",
				 d->name, path, why);
			return err == -EACCES || err == -EPERM ? err : -EPROTO;
		}
	}
	return 0;
}

void staged_close(struct staged *st)
{
	bpf_object__close(st->obj);
	st->obj = NULL;
}

/*
 * A user-space hook: a link per target. None for a hook that must be
 * attached is an error, and nothing of the module is pinned.
 */
static int attach_targets(const struct settings *settings,
			  const struct pin_module_desc *d, struct staged *st,
			  struct bpf_program *prog, int h, const char *stage)
{
	const struct pin_hook *hook = &d->hooks[h];
	char links[PATH_MAX];
	int n;

	pin_path(links, sizeof(links), "%s/links", stage);
	n = targets_attach(settings, d, h, prog, links, st->targets,
			   sizeof(st->targets));
	if (n > 0)
		return 0;
	if (n < 0 && n != -ENOENT)
		return n;
	if (!hook->optional) {
		pin_warn("module '%s': hook '%s': no binary or library with %s found (%s.%s = %s; see 'bpfpin-load check'); nothing pinned",
			 d->name, hook->name, hook->symbols, d->name, hook->targets,
			 settings_text(settings, settings_find(d, hook->targets)));
		return -ENODEV;
	}
	pin_warn("module '%s': optional hook '%s' not attached: no binary or library with %s found",
		 d->name, hook->name, hook->symbols);
	st->hooks_missing |= 1u << h;
	return 1;
}

/* Attach the picked program of hook @h and pin its link(s) and program. */
static int attach_hook(const struct settings *settings,
		       const struct pin_module_desc *d, struct staged *st,
		       const char *picked, int h, const char *stage, size_t *slen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(st->obj, picked);
	char path[PATH_MAX], kind[64];
	struct bpf_link *link;
	int err;

	prog_kind(st->obj, prog, &d->hooks[h], kind, sizeof(kind));
	if (is_netfilter(prog)) {
		err = attach_netfilter(settings, d, st, prog, h, stage);
		if (err)
			return err;
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
		goto pinned;
	}
	if (d->hooks[h].targets) {
		err = attach_targets(settings, d, st, prog, h, stage);
		if (err < 0)
			return err;
		if (err > 0)
			return 0;	/* optional, and not attached */
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
		goto pinned;
	}
	link = attach(prog);
	if (!link) {
		err = -errno;
		if (!d->hooks[h].optional) {
			pin_warn("module '%s': attach '%s' (%s): %s", d->name,
				 picked, kind, strerror(-err));
			return err;
		}
		pin_warn("module '%s': optional hook '%s' not attached: %s",
			 d->name, d->hooks[h].name, strerror(-err));
		st->hooks_missing |= 1u << h;
		return 0;
	}
	pin_path(path, sizeof(path), "%s/links/%s", stage, picked);
	err = bpf_link__pin(link, path);
	if (!err) {
		pin_path(path, sizeof(path), "%s/progs/%s", stage, picked);
		err = bpf_program__pin(prog, path);
	}
	bpf_link__disconnect(link);	/* the pin keeps it attached */
	bpf_link__destroy(link);
pinned:
	if (err) {
		pin_warn("module '%s': pin '%s': %s", d->name, path, strerror(-err));
		return err;
	}
	if (*slen < sizeof(st->summary))
		*slen += snprintf(st->summary + *slen, sizeof(st->summary) - *slen,
				  "%s%s=%s", *slen ? " " : "", d->hooks[h].name,
				  kind);
	return 0;
}

/*
 * Load the module's seed programs with the rest, those this kernel can
 * run; one it cannot is said once and left out (the module still loads,
 * without that seeding).
 */
static void pick_seeds(const struct features *f, struct bpf_object *obj,
		       const struct pin_module_desc *d, bool quiet)
{
	const char *p = d->seed_programs;
	struct bpf_program *prog;
	char name[64], why[160];
	size_t n;

	while (p && *p) {
		n = strcspn(p, " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n + !!p[n];
		prog = bpf_object__find_program_by_name(obj, name);
		if (!prog) {
			if (!quiet)
				pin_warn("module '%s': no seed program '%s'", d->name,
					 name);
		} else if (is_refused(d, name)) {
			if (!quiet)
				pin_warn("module '%s': seed '%s' left out: the kernel refused it",
					 d->name, name);
		} else if (probe_program(f, prog, why, sizeof(why))) {
			bpf_program__set_autoload(prog, true);
		} else if (!quiet) {
			pin_warn("module '%s': seed '%s' left out: %s", d->name, name,
				 why);
		}
	}
}

/*
 * Run each loaded seed program once (an iterator read to its end), in the
 * table's order. A failure is said and the rest still run: seeding adds
 * what predates the load, the module counts without it.
 */
void stage_seed(const struct pin_module_desc *d, struct staged *st)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	char buf[4096];
	ssize_t r;
	int fd;

	bpf_object__for_each_program(prog, st->obj) {
		const char *name = bpf_program__name(prog);

		if (!pin_list_has(d->seed_programs, name) ||
		    !bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach_iter(prog, NULL);
		fd = link ? bpf_iter_create(bpf_link__fd(link)) : -errno;
		if (fd < 0) {
			pin_warn("module '%s': seed '%s': %s; what predates the load is not seen",
				 d->name, name, strerror(link ? errno : -fd));
			bpf_link__destroy(link);
			continue;
		}
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			;
		if (r < 0)
			pin_warn("module '%s': seed '%s': read: %s", d->name, name,
				 strerror(errno));
		else
			pin_debug("module '%s': seed '%s' run", d->name, name);
		close(fd);
		bpf_link__destroy(link);
	}
}

/* While a module loads for real: what try_print() catches, then the
 * printer that was set (libbpf's warnings stay -v debug) */
static libbpf_print_fn_t load_print_next;

static int load_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	try_print(level, fmt, copy);
	va_end(copy);
	return load_print_next ? load_print_next(level, fmt, ap) : 0;
}

/*
 * Open, pick, configure and load module @d once; -EAGAIN when the kernel
 * refused a program that has a next variant (or is a seed), now in the
 * refused list: the caller starts over with what remains.
 */
static int stage_load(const struct features *f, const struct settings *settings,
		      const struct pin_module_desc *d, const char *maps_dir,
		      const char **picked, struct staged *st)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	st->obj = module_open(d);
	if (!st->obj)
		return -errno;
	err = module_pick(f, st->obj, d, picked, st->why, sizeof(st->why));
	if (err) {
		pin_warn("module '%s': cannot load on this kernel: %s", d->name,
			 st->why);
		return err;
	}
	pick_seeds(f, st->obj, d, false);
	err = netfilter_prepare(st->obj);
	if (err) {
		pin_warn("module '%s': netfilter program type: %s", d->name,
			 strerror(-err));
		return err;
	}
	/* what every module is told: its generation, the host's page size */
	err = set_rodata(st->obj, "cfg_generation", st->gen);
	if (!err)
		err = set_rodata(st->obj, "cfg_page_size", sysconf(_SC_PAGESIZE));
	if (!err)
		err = set_tp_nargs(st->obj);
	if (!err)
		err = apply_settings(st->obj, settings, d, maps_dir);
	if (err) {
		pin_warn("module '%s': configure before load: %s", d->name,
			 strerror(-err));
		return err;
	}
	err = stage_check_pinned(st->obj, d, maps_dir, true);
	if (err)
		return err;
	bpf_object__for_each_map(map, st->obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_path(path, sizeof(path), "%s/%s", maps_dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	try_reason[0] = try_prog[0] = '\0';
	load_print_next = libbpf_set_print(load_print);
	err = bpf_object__load(st->obj);
	libbpf_set_print(load_print_next);
	if (!err)
		return 0;
	/* libbpf unpinned the maps this load created */
	if (refuse_and_retry(d, try_reason))
		return -EAGAIN;
	pin_warn("module '%s': load failed: %s (run with -vv for the verifier log)",
		 d->name, strerror(-err));
	return err;
}

/*
 * Load module @d for real, without a trial: a program the kernel refuses
 * makes it start over with that hook's next variant (up to 8 times), so
 * a module that loads as picked is verified once.
 */
int stage_module(const struct features *f, const struct settings *settings,
		 const struct pin_module_desc *d, __u32 gen,
		 const char *maps_dir, const char *stage, struct staged *st)
{
	const char *picked[BPFPIN_MAX_HOOKS] = {};
	size_t slen = 0;
	int h, err, tries;

	for (tries = 0; tries < 8; tries++) {
		memset(st, 0, sizeof(*st));
		st->gen = gen;
		err = stage_load(f, settings, d, maps_dir, picked, st);
		if (err != -EAGAIN)
			break;
		bpf_object__close(st->obj);
		st->obj = NULL;
	}
	if (err == -EAGAIN) {
		pin_warn("module '%s': load failed: the kernel refused 8 variants", d->name);
		err = -EOPNOTSUPP;
	}
	if (err)
		return err;
	fault_point("loaded");
	for (h = 0; h < d->nhooks && !err; h++) {
		if (!picked[h]) {
			if (!d->hooks[h].extra)
				st->hooks_missing |= 1u << h;
		} else
			err = attach_hook(settings, d, st, picked[h], h, stage, &slen);
	}
	if (!err)
		fault_point("attached");
	return err;
}
