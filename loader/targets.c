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
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* how a candidate is opened: never blocking on a FIFO, never a terminal */
#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
/* a symbol table larger than this is not read (memory bound) */
#define SYMTAB_MAX (256ul << 20)
/* files attached to at most: each holds an fd while found, then a link */
#define TARGETS_MAX 256
#define STR_(x) #x
#define STR(x) STR_(x)
/* the scan of /proc stops after this long (thousands of processes) */
#define PROCS_SCAN_NS (10ull * 1000000000ull)

void targets_free(struct targets *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		close(t->v[i].fd);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/*
 * @in for a message: bytes below 0x20, DEL and the backslash as \xNN, so
 * that a name a process chose cannot forge a line of the report.
 */
static const char *esc(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 5 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
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

/*
 * Add the file open as @fd, reached as @path (found by @from), unless it
 * is not a regular file or its file is there already. @fd is the
 * target's, or closed: it is what is read and attached to, so that the
 * file checked is the file used.
 */
static int add(struct targets *t, int fd, const char *path, const char *from)
{
	struct target *v;
	struct stat st;
	int i;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    strlen(path) >= sizeof(t->v[0].path))
		goto skip;
	for (i = 0; i < t->n; i++)
		if (t->v[i].dev == st.st_dev && t->v[i].ino == st.st_ino)
			goto skip;
	if (t->n >= TARGETS_MAX) {
		/* processes can map any number of files so named */
		if (!t->full)
			note(t, "files found past the first %s%s (a setting takes no more)",
			     STR(TARGETS_MAX), "");
		t->full = true;
		goto skip;
	}
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	t->v = v;
	v = &t->v[t->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->path, sizeof(v->path), "%s", path);
	snprintf(v->from, sizeof(v->from), "%s", from);
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->fd = fd;
	return 0;
skip:
	close(fd);
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

/*
 * ldconfig's cache: "\tlibssl.so.3 (libc6,x86-64) => /lib/.../libssl.so.3",
 * from ldconfig run by its absolute path, without a shell, with a fixed
 * environment, /dev/null as stdin and stderr.
 */
static int from_ldconfig(struct targets *t, const char *list)
{
	static const char *const exes[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char line[PATH_MAX + 128], *arrow, *nl;
	posix_spawn_file_actions_t fa;
	int i, p[2], err = 0, status;
	pid_t pid;
	FILE *f;

	for (i = 0; i < PIN_LEN(exes); i++)
		if (!access(exes[i], X_OK))
			break;
	if (i == PIN_LEN(exes) || pipe2(p, O_CLOEXEC))
		return 0;
	{
		char *const argv[] = { (char *)exes[i], "-p", NULL };

		if (posix_spawn_file_actions_init(&fa)) {
			close(p[0]);
			close(p[1]);
			return 0;
		}
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		err = posix_spawn(&pid, exes[i], &fa, NULL, argv, envp);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	f = err ? NULL : fdopen(p[0], "re");
	if (!f) {
		close(p[0]);
		if (!err)
			waitpid(pid, &status, 0);
		return 0;
	}
	err = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		arrow = strstr(line, " => ");
		if (!arrow)
			continue;
		nl = strchr(arrow, '\n');
		if (nl)
			*nl = '\0';
		if (arrow[4] == '/' && matches(list, arrow + 4))
			err = add(t, open(arrow + 4, OPEN_FLAGS), arrow + 4, "ldconfig");
	}
	fclose(f);
	waitpid(pid, &status, 0);
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
				err = add(t, open(path, OPEN_FLAGS), path, "PATH");
		}
	}
	return err;
}

/*
 * @file (absolute) under the root directory @rootfd, resolved as the
 * process whose root it is would: an absolute symlink or ".." stays
 * inside that root (through /proc/PID/root, the kernel would resolve
 * them from the host's root). openat2 RESOLVE_IN_ROOT (5.6+); before
 * it, a walk that refuses any symlink.
 * Return: an fd, or a negative errno
 */
static int open_in_root(int rootfd, const char *file)
{
	struct open_how how = {
		.flags = OPEN_FLAGS,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char part[NAME_MAX + 1];
	int fd, dir, next;
	size_t n;

	fd = syscall(SYS_openat2, rootfd, file, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd >= 0 ? fd : -errno;
	dir = dup(rootfd);
	while (dir >= 0) {
		file += strspn(file, "/");
		n = strcspn(file, "/");
		if (!n || n >= sizeof(part) || (n <= 2 && !strncmp(file, "..", n))) {
			close(dir);
			return -EINVAL;
		}
		memcpy(part, file, n);
		part[n] = '\0';
		file += n;
		if (!*file) {
			fd = openat(dir, part, OPEN_FLAGS | O_NOFOLLOW);
			fd = fd >= 0 ? fd : -errno;
			close(dir);
			return fd;
		}
		next = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		dir = next;
	}
	return -errno;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The objects running processes have mapped executable, in their root: a
 * container's library is reached as /proc/PID/root/usr/lib/... A process
 * that ends meanwhile is passed over; the scan stops after PROCS_SCAN_NS.
 */
static int from_procs(struct targets *t, const char *list)
{
	char maps[300], line[PATH_MAX + 256], path[PATH_MAX + 64], from[32];
	__u64 deadline = now_ns() + PROCS_SCAN_NS;
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int err = 0, rootfd, seen = 0;
	FILE *f;

	if (!dir)
		return 0;
	while (!err && (e = readdir(dir))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (now_ns() > deadline) {
			snprintf(maps, sizeof(maps), "%d", seen);
			note(t, "processes after the first %s: the scan of /proc took over %s s",
			     maps, "10");
			break;
		}
		seen++;
		snprintf(maps, sizeof(maps), "/proc/%s/maps", e->d_name);
		f = fopen(maps, "re");
		if (!f)
			continue;
		snprintf(maps, sizeof(maps), "/proc/%s/root", e->d_name);
		rootfd = open(maps, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			fclose(f);
			continue;
		}
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
			err = add(t, open_in_root(rootfd, file), path, from);
		}
		close(rootfd);
		fclose(f);
	}
	closedir(dir);
	return err;
}

int targets_find(const struct settings *st, const struct pin_setting *s,
		 struct targets *t)
{
	const char *p = settings_text(st, s);
	char path[PATH_MAX], shown[400];
	bool discover = false;
	struct stat sb;
	int err = 0, fd, why;
	size_t n;

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
		fd = open(path, OPEN_FLAGS);
		why = fd < 0 ? errno : fstat(fd, &sb) ? errno : S_ISREG(sb.st_mode) ? 0 : -1;
		if (why) {
			note(t, "'%s': %s", esc(path, shown, sizeof(shown)),
			     why > 0 ? strerror(why) : "not a regular file");
			if (fd >= 0)
				close(fd);
		} else {
			err = add(t, fd, path, "setting");
		}
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
		    !sh.sh_entsize || sh.sh_size > SYMTAB_MAX)
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
			/* in the section it names, which the file holds */
			if (!text || !gelf_getshdr(text, &tsh) ||
			    tsh.sh_type == SHT_NOBITS || sym.st_value < tsh.sh_addr ||
			    sym.st_value - tsh.sh_addr >= tsh.sh_size)
				continue;
			snprintf(found, fsize, "%s", name);
			return sym.st_value - tsh.sh_addr + tsh.sh_offset;
		}
	}
	return 0;
}

/*
 * target_symbol() on the file open as @fd, read (not mapped: a file
 * truncated meanwhile is an error, not a SIGBUS).
 */
static int symbol_in(int fd, const char *symbols, char *found, size_t fsize,
		     size_t *offset)
{
	char want[256];
	struct stat st;
	size_t n;
	Elf *elf;

	*offset = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOEXEC;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
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
	return *offset ? 0 : -ENOENT;
}

int target_symbol(const char *path, const char *symbols, char *found,
		  size_t fsize, size_t *offset)
{
	int fd, err;

	*offset = 0;
	fd = open(path, OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	err = symbol_in(fd, symbols, found, fsize, offset);
	close(fd);
	return err;
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
		char sym[256] = "", path[PATH_MAX], shown[PATH_MAX], esym[256];
		struct bpf_link *link;
		size_t off;

		/* paths and symbol names come from files others write */
		esc(t.v[i].path, shown, sizeof(shown));
		err = symbol_in(t.v[i].fd, hook->symbols, sym, sizeof(sym), &off);
		if (err) {
			say(report, size, &len, "%s%s (%s): skipped: %s\n",
			    lead, shown, t.v[i].from,
			    err == -ENOENT ? "none of its symbols" :
			    err == -ENOEXEC ? "not an ELF file" : strerror(-err));
			continue;
		}
		esc(sym, esym, sizeof(esym));
		if (!prog) {
			/* only looking: say what would be attached */
			say(report, size, &len, "%s%s (%s): %s\n", lead,
			    shown, t.v[i].from, esym);
			n++;
			continue;
		}
		/* the file examined, by its fd: not whatever the path is now */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", t.v[i].fd);
		link = bpf_program__attach_uprobe_opts(prog, -1, path, off, &opts);
		if (!link) {
			failed = -errno;
			say(report, size, &len, "%s%s (%s): %s: skipped: attach: %s\n",
			    lead, shown, t.v[i].from, esym, strerror(-failed));
			snprintf(last, sizeof(last), "%s", shown);
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
		    shown, t.v[i].from, esym);
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
