// SPDX-License-Identifier: GPL-2.0
/* targets.c: the binaries and libraries user-space hooks attach to, found and attached */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void targets_free(struct targets *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static void note(struct targets *t, const char *fmt, const char *a, const char *b)
{
	size_t len = strlen(t->why);

	if (len < sizeof(t->why))
		snprintf(t->why + len, sizeof(t->why) - len, "%s", len ? "; " : "");
	len = strlen(t->why);
	if (len < sizeof(t->why))
		snprintf(t->why + len, sizeof(t->why) - len, fmt, a, b);
}

/* Add @path (found by @from) unless its file is there already. */
static int add(struct targets *t, const char *path, const char *from)
{
	struct target *v;
	struct stat st;
	int i;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->v[i].dev == st.st_dev && t->v[i].ino == st.st_ino)
			return 0;
	if (strlen(path) >= sizeof(t->v[0].path))
		return 0;
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	v = &t->v[t->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->path, sizeof(v->path), "%s", path);
	snprintf(v->from, sizeof(v->from), "%s", from);
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	return 0;
}

static bool has_pattern(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Whether the base name of @path matches one of the patterns of @list. */
static bool matches(const char *list, const char *path)
{
	const char *base = strrchr(path, '/');
	char pat[256];
	size_t n;

	base = base ? base + 1 : path;
	while (list && *list) {
		n = strcspn(list, " ");
		if (n && n < sizeof(pat)) {
			memcpy(pat, list, n);
			pat[n] = '\0';
			if (!fnmatch(pat, base, 0))
				return true;
		}
		list += n + (list[n] == ' ');
	}
	return false;
}

/* ldconfig's cache: "\tlibssl.so.3 (libc6,x86-64) => /lib/.../libssl.so.3" */
static int from_ldconfig(struct targets *t, const char *list)
{
	static const char *const cmds[] = {
		"/sbin/ldconfig -p 2>/dev/null", "/usr/sbin/ldconfig -p 2>/dev/null",
	};
	char line[PATH_MAX + 128], *arrow, *nl;
	int i, err = 0;
	FILE *f;

	for (i = 0; i < PIN_LEN(cmds); i++) {
		char exe[32];

		snprintf(exe, sizeof(exe), "%.*s", (int)strcspn(cmds[i], " "), cmds[i]);
		if (!access(exe, X_OK))
			break;
	}
	if (i == PIN_LEN(cmds))
		return 0;
	f = popen(cmds[i], "r");
	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		arrow = strstr(line, " => ");
		if (!arrow)
			continue;
		nl = strchr(arrow, '\n');
		if (nl)
			*nl = '\0';
		if (arrow[4] == '/' && matches(list, arrow + 4))
			err = add(t, arrow + 4, "ldconfig");
	}
	pclose(f);
	return err;
}

/* Names without a pattern, in the directories of $PATH. */
static int from_path(struct targets *t, const char *list)
{
	const char *dirs = getenv("PATH"), *d;
	char name[256], path[PATH_MAX];
	size_t n, dn;
	int err = 0;

	if (!dirs || !*dirs)
		dirs = DEFAULT_PATH;
	for (; list && *list && !err; list += n + (list[n] == ' ')) {
		n = strcspn(list, " ");
		if (!n || n >= sizeof(name))
			continue;
		memcpy(name, list, n);
		name[n] = '\0';
		if (has_pattern(name))
			continue;
		for (d = dirs; *d && !err; d += dn + (d[dn] == ':')) {
			dn = strcspn(d, ":");
			if (dn && d[0] == '/' &&
			    (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)dn, d,
					     name) < sizeof(path) &&
			    !access(path, X_OK))
				err = add(t, path, "PATH");
		}
	}
	return err;
}

/*
 * The objects running processes have mapped executable, through their
 * root: a container's library is reached as /proc/PID/root/usr/lib/...
 */
static int from_procs(struct targets *t, const char *list)
{
	char maps[300], line[PATH_MAX + 256], path[PATH_MAX + 64], from[32];
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int err = 0;
	FILE *f;

	if (!dir)
		return 0;
	while (!err && (e = readdir(dir))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(maps, sizeof(maps), "/proc/%s/maps", e->d_name);
		f = fopen(maps, "re");
		if (!f)
			continue;
		snprintf(from, sizeof(from), "pid %.20s", e->d_name);
		while (!err && fgets(line, sizeof(line), f)) {
			char perms[8] = "", *file = strchr(line, '/'), *nl;

			if (!file || sscanf(line, "%*s %7s", perms) != 1 ||
			    !strchr(perms, 'x'))
				continue;
			nl = strchr(file, '\n');
			if (nl)
				*nl = '\0';
			if (strstr(file, " (deleted)") || !matches(list, file))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/root%s", e->d_name, file);
			err = add(t, path, from);
		}
		fclose(f);
	}
	closedir(dir);
	return err;
}

int targets_find(const struct settings *st, const struct pin_setting *s,
		 struct targets *t)
{
	const char *p = settings_text(st, s);
	char path[PATH_MAX];
	bool discover = false;
	size_t n;
	int err = 0;

	memset(t, 0, sizeof(*t));
	for (; *p && !err; p += n + (p[n] != '\0')) {
		n = strcspn(p, ", \t");
		if (!n)
			continue;
		if (n == 4 && !strncmp(p, "auto", 4)) {
			discover = true;
			continue;
		}
		snprintf(path, sizeof(path), "%.*s", (int)n, p);
		if (access(path, R_OK))
			note(t, "'%.300s': %s", path, strerror(errno));
		else
			err = add(t, path, "setting");
	}
	if (discover && !err)
		err = from_ldconfig(t, s->discover);
	if (discover && !err)
		err = from_path(t, s->discover);
	if (discover && !err)
		err = from_procs(t, s->discover);
	if (err)
		targets_free(t);
	return err;
}

/* Whether symbol @name is @want: the same, a match of the pattern, or @want@VERSION. */
static bool symbol_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	if (has_pattern(want))
		return !fnmatch(want, name, 0);
	return !strncmp(name, want, n) && (!name[n] || name[n] == '@');
}

/* The file offset of the function @want defines in @elf, or 0. */
static size_t find_in(Elf *elf, const char *want, char *found, size_t fsize)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t i, n;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; data && i < n; i++) {
			GElf_Sym sym;
			GElf_Shdr tsh;
			Elf_Scn *text;
			const char *name;

			if (!gelf_getsym(data, i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !symbol_is(name, want))
				continue;
			text = elf_getscn(elf, sym.st_shndx);
			if (!text || !gelf_getshdr(text, &tsh))
				continue;
			snprintf(found, fsize, "%s", name);
			return sym.st_value - tsh.sh_addr + tsh.sh_offset;
		}
	}
	return 0;
}

int target_symbol(const char *path, const char *symbols, char *found,
		  size_t fsize, size_t *offset)
{
	char want[256];
	size_t n;
	Elf *elf;
	int fd;

	*offset = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	for (; symbols && *symbols && !*offset; symbols += n + (symbols[n] == ' ')) {
		n = strcspn(symbols, " ");
		if (!n || n >= sizeof(want))
			continue;
		memcpy(want, symbols, n);
		want[n] = '\0';
		*offset = find_in(elf, want, found, fsize);
	}
	elf_end(elf);
	close(fd);
	return *offset ? 0 : -ENOENT;
}

static void say(char *out, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(char *out, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	*len += vsnprintf(out + *len, size - *len, fmt, ap);
	va_end(ap);
}

int targets_attach(const struct settings *st, const struct pin_module_desc *d,
		   int h, struct bpf_program *prog, const char *links_dir,
		   char *report, size_t size)
{
	const struct pin_hook *hook = &d->hooks[h];
	const struct pin_setting *s = settings_find(d, hook->targets);
	const char *sec = prog ? bpf_program__section_name(prog) : "";
	size_t len = strlen(report);
	char lead[128] = "", last[PATH_MAX] = "";
	int i, n = 0, failed = 0, err;
	struct targets t;

	if (!s || s->kind != PIN_SET_TARGETS)
		return -EINVAL;
	/* 'check' names the hook in its row */
	if (prog)
		snprintf(lead, sizeof(lead), "%s %s: ", d->name, hook->name);
	err = targets_find(st, s, &t);
	if (err)
		return err;
	if (t.why[0])
		say(report, size, &len, "%sskipped %s\n", lead, t.why);
	for (i = 0; i < t.n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts,
			    .retprobe = !strncmp(sec, "uretprobe", 9));
		char sym[256] = "", path[PATH_MAX];
		struct bpf_link *link;
		size_t off;

		err = target_symbol(t.v[i].path, hook->symbols, sym, sizeof(sym), &off);
		if (err) {
			say(report, size, &len, "%s%s (%s): skipped: %s\n",
			    lead, t.v[i].path, t.v[i].from,
			    err == -ENOENT ? "none of its symbols" :
			    err == -ENOEXEC ? "not an ELF file" : strerror(-err));
			continue;
		}
		if (!prog) {
			/* only looking: say what would be attached */
			say(report, size, &len, "%s%s (%s): %s\n", lead,
			    t.v[i].path, t.v[i].from, sym);
			n++;
			continue;
		}
		link = bpf_program__attach_uprobe_opts(prog, -1, t.v[i].path, off,
						       &opts);
		if (!link) {
			failed = -errno;
			say(report, size, &len, "%s%s (%s): %s: skipped: attach: %s\n",
			    lead, t.v[i].path, t.v[i].from, sym, strerror(-failed));
			snprintf(last, sizeof(last), "%s", t.v[i].path);
			continue;
		}
		/* bpffs names take no dots: the program's name, then -2, -3... */
		if (n)
			pin_path(path, sizeof(path), "%s/%s-%d", links_dir,
				 bpf_program__name(prog), n + 1);
		else
			pin_path(path, sizeof(path), "%s/%s", links_dir,
				 bpf_program__name(prog));
		err = bpf_link__pin(link, path);
		bpf_link__disconnect(link);	/* the pin keeps it attached */
		bpf_link__destroy(link);
		if (err) {
			pin_warn("module '%s': pin '%s': %s", d->name, path,
				 strerror(-err));
			targets_free(&t);
			return err;
		}
		say(report, size, &len, "%s%s (%s): %s attached\n", lead,
		    t.v[i].path, t.v[i].from, sym);
		n++;
	}
	if (!t.n && !t.why[0])
		say(report, size, &len, "%sno target found (%s.%s = %s)\n",
		    lead, d->name, s->name, settings_text(st, s));
	targets_free(&t);
	/* files had the symbol, but none would take the probe: say why */
	if (!n && failed && !hook->optional) {
		pin_warn("module '%s': hook '%s': attach to '%s' (and any other with %s) failed: %s; nothing pinned",
			 d->name, hook->name, last, hook->symbols, strerror(-failed));
		return failed;
	}
	return n;
}
