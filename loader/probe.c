// SPDX-License-Identifier: GPL-2.0
/* probe.c: what this kernel offers, and whether it can run a given program */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define TRACEFS "/sys/kernel/tracing"

static struct btf *vmlinux_btf;

static struct btf *kernel_btf(void)
{
	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			return NULL;
	}
	return vmlinux_btf;
}

void probe_release(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int ensure_tracefs(void)
{
	if (exists(TRACEFS "/events"))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		int err = -errno;

		pin_warn("tracefs at '%s': mount failed: %s (classic tracepoints will not attach)",
			 TRACEFS, strerror(errno));
		return err;
	}
	pin_info("mounted tracefs at %s", TRACEFS);
	return 0;
}

/*
 * check changes nothing, yet answers for 'up', which mounts tracefs: where
 * tracefs is missing, the classic tracepoints are looked up through a mount
 * of our own in a private mount namespace, gone when check exits.
 */
bool peek_tracefs(void)
{
	if (exists(TRACEFS "/events"))
		return true;
	if (geteuid() != 0)
		return false;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		pin_warn("tracefs at '%s': private mount for the check failed: %s "
			 "(classic tracepoints shown as missing)", TRACEFS, strerror(errno));
	return false;
}

/*
 * fentry needs more than BTF: here it is refused with EPERM at attach, so
 * try it for real on a function every kernel has.
 */
static bool probe_fentry(char *why, size_t size)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *btf = kernel_btf();
	int id, prog, link;

	if (!btf) {
		snprintf(why, size, "no kernel BTF");
		return false;
	}
	id = btf__find_by_name_kind(btf, "do_getpgid", BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, size, "no BTF for 'do_getpgid'");
		return false;
	}
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bpfpin_probe", "GPL", insns,
			     2, &opts);
	if (prog < 0) {
		snprintf(why, size, "load: %s", strerror(errno));
		return false;
	}
	link = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0) {
		snprintf(why, size, "attach: %s", strerror(errno));
		close(prog);
		return false;
	}
	close(link);
	close(prog);
	return true;
}

/*
 * Netfilter programs: load one that accepts every packet. libbpf 1.1 does
 * not know the type, but bpf_prog_load() passes numbers through.
 */
static bool probe_netfilter(char *why, size_t size)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)PIN_ATTACH_NETFILTER);
	int prog;

	prog = bpf_prog_load((enum bpf_prog_type)PIN_PROG_TYPE_NETFILTER, "bpfpin_probe",
			     "GPL", insns, 2, &opts);
	if (prog < 0) {
		snprintf(why, size, "netfilter program load: %s", strerror(errno));
		return false;
	}
	close(prog);
	return true;
}

void probe_features(struct features *f, const char *root)
{
	char buf[8] = "", parent[PATH_MAX];
	int fd;

	memset(f, 0, sizeof(*f));
	f->btf = exists("/sys/kernel/btf/vmlinux") && kernel_btf();
	snprintf(parent, sizeof(parent), "%s", root);
	f->bpffs = pin_is_bpffs(root) || pin_is_bpffs(dirname(parent));
	f->tracefs = exists(TRACEFS "/events");
	f->kprobes = exists("/sys/bus/event_source/devices/kprobe/type") ||
		     exists(TRACEFS "/kprobe_events");
	f->uprobes = exists("/sys/bus/event_source/devices/uprobe/type");
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->cgroup_v2 = pin_cgroup2_mount() != NULL;
	f->fentry = probe_fentry(f->fentry_why, sizeof(f->fentry_why));
	f->netfilter = probe_netfilter(f->netfilter_why, sizeof(f->netfilter_why));
	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			f->bpf_stats = buf[0] == '1';
		close(fd);
	}
}

static bool has_btf_trace(const char *tp)
{
	char name[128];
	struct btf *btf = kernel_btf();

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

int probe_tp_nargs(const char *tp)
{
	char name[128];
	struct btf *btf = kernel_btf();
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	/* typedef -> pointer -> prototype (void *__data, the arguments...) */
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -EINVAL;
	return btf_vlen(t) - 1;
}

static bool has_tracefs_event(const char *tp)
{
	char pattern[256];
	glob_t g;
	bool found;

	snprintf(pattern, sizeof(pattern), TRACEFS "/events/*/%s", tp);
	found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0;
	globfree(&g);
	return found;
}

static bool has_btf_func(const char *fn)
{
	struct btf *btf = kernel_btf();

	return btf && btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0;
}

/* A text symbol @fn in /proc/kallsyms: a function a kprobe can find. */
static bool has_kallsym(const char *fn)
{
	char line[512], type, name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %c %255s", &type, name) == 2 &&
		    (type == 't' || type == 'T') && !strcmp(name, fn))
			found = true;
	}
	fclose(f);
	return found;
}

static bool starts(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return false;
	*rest = s + n;
	return true;
}

bool probe_program(const struct features *f, const struct bpf_program *prog,
		   char *why, size_t size)
{
	const char *sec = bpf_program__section_name(prog), *rest;
	char path[256];

	if (starts(sec, "tp_btf/", &rest)) {
		if (has_btf_trace(rest))
			return true;
		snprintf(why, size, "tp_btf: no BTF for tracepoint '%s'", rest);
	} else if (starts(sec, "raw_tp/", &rest) ||
		   starts(sec, "raw_tracepoint/", &rest)) {
		if (has_btf_trace(rest) || has_tracefs_event(rest))
			return true;
		snprintf(why, size, "raw_tp: no tracepoint '%s'", rest);
	} else if (starts(sec, "tracepoint/", &rest) || starts(sec, "tp/", &rest)) {
		snprintf(path, sizeof(path), TRACEFS "/events/%s", rest);
		if (exists(path))
			return true;
		snprintf(why, size, "tracepoint: no '%s' in tracefs", rest);
	} else if (starts(sec, "kprobe/", &rest) || starts(sec, "kretprobe/", &rest)) {
		if (!f->kprobes)
			snprintf(why, size, "kprobe: this kernel has no kprobes");
		else if (!has_kallsym(rest))
			snprintf(why, size, "kprobe: no function '%s' in /proc/kallsyms", rest);
		else
			return true;
	} else if (starts(sec, "fentry/", &rest) || starts(sec, "fexit/", &rest)) {
		if (!f->fentry)
			snprintf(why, size, "fentry: %s", f->fentry_why);
		else if (!has_btf_func(rest))
			snprintf(why, size, "fentry: no BTF for function '%s'", rest);
		else
			return true;
	} else if (starts(sec, "uprobe", &rest) || starts(sec, "uretprobe", &rest)) {
		if (f->uprobes)
			return true;
		snprintf(why, size, "uprobe: no uprobe event source");
	} else if (starts(sec, "netfilter/", &rest)) {
		if (f->netfilter)
			return true;
		snprintf(why, size, "netfilter: %s", f->netfilter_why);
	} else if (starts(sec, "iter/", &rest)) {
		snprintf(path, sizeof(path), "bpf_iter__%s", rest);
		if (kernel_btf() &&
		    btf__find_by_name_kind(kernel_btf(), path, BTF_KIND_STRUCT) > 0)
			return true;
		snprintf(why, size, "iter: no iterator target '%s'", rest);
	} else if (starts(sec, "cgroup_skb/", &rest)) {
		if (f->cgroup_v2)
			return true;
		snprintf(why, size, "cgroup_skb: no cgroup v2 hierarchy mounted");
	} else {
		return true;
	}
	return false;
}
