// SPDX-License-Identifier: GPL-2.0
/* test_targets.c: user-space hook targets: symbols found by name and pattern at the right offset, paths, discovery */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "loader.h"
#include "tap.h"

/* Two functions to find in this very binary: one plain, one named as a mangled C++ one. */
__attribute__((noinline, used)) int bpfpin_test_fn(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline, used)) int test_mangled(int x) __asm__("_Z16dispatch_commandP3THDPcj");
__attribute__((noinline, used)) int test_mangled(int x)
{
	return x * 5 + 2;
}

/* Whether @offset in this executable's file is where @fn is mapped. */
static bool maps_to(size_t offset, void *fn)
{
	unsigned long start, end, pgoff;
	char line[512], exe[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f || n <= 0)
		return false;
	exe[n] = '\0';
	while (!found && fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &start, &end, &pgoff,
			   path) < 3 || strcmp(path, exe))
			continue;
		found = (uintptr_t)fn >= start && (uintptr_t)fn < end &&
			(uintptr_t)fn == start + offset - pgoff;
	}
	fclose(f);
	return found;
}


/* @path: a copy of this executable */
static void copy_exe(const char *path)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY), out;
	ssize_t n;

	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

/* Whether a target of @t is the file at @path. */
static bool has_file(const struct targets *t, const char *path)
{
	struct stat st;
	int i;

	if (stat(path, &st))
		return false;
	for (i = 0; i < t->n; i++)
		if (t->v[i].dev == st.st_dev && t->v[i].ino == st.st_ino)
			return true;
	return false;
}

/*
 * targets_find() of @set in a child where openat2 fails with ENOSYS (as
 * before Linux 5.6): 0 if it finds @want (a path, or NULL: skipped) and
 * not @never.
 */
static int without_openat2(const struct pin_setting *set, const char *want,
			   const char *never)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	struct targets t;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ||
		    syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) != -1 || errno != ENOSYS ||
		    targets_find(NULL, set, &t))
			_exit(2);
		_exit((want && !has_file(&t, want)) || has_file(&t, never));
	}
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ?
		-1 : WEXITSTATUS(status);
}

/*
 * A process in a chroot, as in a container, maps two files named
 * test_targets executable; then, as its owner could, each of their paths
 * in its root becomes an absolute symlink: one to a file of its own root,
 * one to a file only the host has. Return: the process's pid.
 */
static pid_t contained(const char *d)
{
	char p[PATH_MAX + 64], q[PATH_MAX + 64];
	int sync[2], fd;
	pid_t pid;
	char c;

	snprintf(p, sizeof(p), "mkdir -p %s/lib %s/lib2 %s/real %s/host %s%s/lib %s%s/lib2",
		 d, d, d, d, d, d, d, d);
	if (system(p) || pipe(sync))
		return -1;
	snprintf(p, sizeof(p), "%s/lib/test_targets", d);
	copy_exe(p);
	snprintf(p, sizeof(p), "%s/lib2/test_targets", d);
	copy_exe(p);
	snprintf(p, sizeof(p), "%s/real/test_targets", d);
	copy_exe(p);
	snprintf(p, sizeof(p), "%s/host/test_targets", d);
	copy_exe(p);
	pid = fork();
	if (!pid) {
		const char *f[] = { "lib", "lib2" };
		int i;

		for (i = 0; i < 2; i++) {
			snprintf(p, sizeof(p), "%s/%s/test_targets", d, f[i]);
			fd = open(p, O_RDONLY);
			if (fd < 0 || mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE,
					   fd, 0) == MAP_FAILED)
				_exit(1);
		}
		if (chroot(d) || chdir("/") || write(sync[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (pid < 0 || read(sync[0], &c, 1) != 1)
		return -1;
	/* the process's /D/lib/test_targets is the host's D/D/lib/test_targets */
	snprintf(p, sizeof(p), "%s%s/lib/test_targets", d, d);
	snprintf(q, sizeof(q), "%s/host/test_targets", d);
	if (symlink(q, p))
		return -1;
	snprintf(p, sizeof(p), "%s%s/lib2/test_targets", d, d);
	if (symlink("/real/test_targets", p))
		return -1;
	return pid;
}

int main(void)
{
	const struct pin_setting auto_set = {
		.name = "bins", .kind = PIN_SET_TARGETS, .discover = "test_targets",
	};
	const struct pin_module_desc *d = pin_module_find("bashline");
	const struct pin_setting *shells = d ? settings_find(d, "shells") : NULL;
	static struct settings st;
	char found[256], why[256], exe[PATH_MAX], dir[PATH_MAX + 32];
	static const struct pin_setting bins[] = { {
		.name = "bins", .kind = PIN_SET_TARGETS, .discover = "test_targets",
	} };
	static const struct pin_hook hooks[] = {
		{ "fn", { "fn" }, .targets = "bins", .symbols = "bpfpin_test_fn" },
	};
	static const struct pin_module_desc fake = {
		.name = "fake", .hooks = hooks, .nhooks = 1, .settings = bins, .nsettings = 1,
	};
	static char paths[16384];
	char tmp[] = "/tmp/test_targets.XXXXXX", p[PATH_MAX + 64], report[PATH_MAX + 128];
	struct targets t;
	size_t off;
	ssize_t n;
	pid_t pid;
	int err;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';

	err = target_symbol("/proc/self/exe", "bpfpin_test_fn", found, sizeof(found), &off);
	ok(!err && !strcmp(found, "bpfpin_test_fn"), "a symbol by its name");
	ok(!err && maps_to(off, (void *)bpfpin_test_fn),
	   "its file offset is where the function is mapped");
	err = target_symbol("/proc/self/exe", "no_such_fn _Z16dispatch_command*", found,
			    sizeof(found), &off);
	ok(!err && !strcmp(found, "_Z16dispatch_commandP3THDPcj"),
	   "a mangled name by a pattern, after a name that is not there");
	ok(!err && maps_to(off, (void *)test_mangled), "at its offset");
	err = target_symbol("/proc/self/exe", "bpfpin_test_fn _Z16dispatch_command*", found,
			    sizeof(found), &off);
	ok(!err && !strcmp(found, "bpfpin_test_fn"), "the first of the symbols there wins");
	ok(target_symbol("/proc/self/exe", "bpfpin_test", found, sizeof(found), &off) == -ENOENT,
	   "a name is whole: a prefix without a pattern is not it");
	ok(target_symbol("/proc/self/exe", "no_such_fn", found, sizeof(found), &off) == -ENOENT,
	   "none of the symbols: -ENOENT");
	ok(target_symbol("/proc/self/maps", "x", found, sizeof(found), &off) == -ENOEXEC,
	   "not an ELF file: -ENOEXEC");

	ok(shells && shells->kind == PIN_SET_TARGETS, "bashline.shells is a targets setting");
	ok(shells && !strcmp(settings_text(&st, shells), "auto"), "whose default is auto");
	ok(settings_set(&st, "bashline.shells", "/proc/self/exe, /nonexistent,/proc/self/exe",
			why, sizeof(why)) == 0, "paths are taken");
	ok(settings_set(&st, "bashline.shells", "auto,bin/bash", why, sizeof(why)) == -EINVAL &&
	   strstr(why, "'bin/bash' is neither 'auto' nor an absolute path"),
	   "a relative path is refused: %s", why);
	err = shells ? targets_find(&st, shells, &t) : -ENOENT;
	ok(!err && t.n == 1 && !strcmp(t.v[0].path, "/proc/self/exe") &&
	   !strcmp(t.v[0].from, "setting"), "a file named twice is one target");
	ok(!err && strstr(t.why, "'/nonexistent': No such file or directory"),
	   "a path that cannot be read is reported: %s", err ? "" : t.why);
	if (!err)
		targets_free(&t);

	/* auto: found in $PATH, and mapped by this process: one file */
	snprintf(dir, sizeof(dir), "%s", exe);
	setenv("PATH", dirname(dir), 1);
	err = targets_find(NULL, &auto_set, &t);
	ok(!err && t.n == 1 && !strcmp(t.v[0].path, exe) && !strcmp(t.v[0].from, "PATH"),
	   "auto: a name found in $PATH (and mapped by this process: once)");
	if (!err)
		targets_free(&t);
	setenv("PATH", "/nonexistent", 1);
	err = targets_find(NULL, &auto_set, &t);
	snprintf(dir, sizeof(dir), "/proc/%d/root%s", (int)getpid(), exe);
	ok(!err && t.n >= 1 && !strcmp(t.v[0].path, dir) && !strncmp(t.v[0].from, "pid ", 4),
	   "auto: a running process's mapping, through /proc/PID/root: %s",
	   !err && t.n ? t.v[0].path : "none");
	if (!err)
		targets_free(&t);

	/* files others control */
	if (!mkdtemp(tmp))
		return 1;
	snprintf(p, sizeof(p), "%s/fifo", tmp);
	err = mkfifo(p, 0600);
	ok(!err, "a FIFO");
	alarm(10);	/* an open that blocks fails the test, not hangs it */
	ok(target_symbol(p, "x", found, sizeof(found), &off) == -ENOEXEC,
	   "a FIFO is not read (nor waited on): -ENOEXEC");
	snprintf(report, sizeof(report), "%s,/proc/self/exe", p);
	ok(settings_set(&st, "bashline.shells", report, why, sizeof(why)) == 0, "a FIFO named");
	err = shells ? targets_find(&st, shells, &t) : -ENOENT;
	ok(!err && t.n == 1 && strstr(t.why, "/fifo': not a regular file"),
	   "a FIFO named is not a target, and is reported: %s", err ? "" : t.why);
	if (!err)
		targets_free(&t);
	alarm(0);
	snprintf(p, sizeof(p), "%s/short", tmp);
	copy_exe(p);
	err = truncate(p, 3000) ? -errno : target_symbol(p, "bpfpin_test_fn", found,
							      sizeof(found), &off);
	ok(err < 0, "a truncated ELF file: an error, not a crash: %s", strerror(-err));

	/* a name with a newline and an escape in the report: escaped */
	snprintf(p, sizeof(p), "%s/a\nb\033[2Jc", tmp);
	err = mkdir(p, 0755);
	ok(!err, "a directory named with a newline and ESC");
	setenv("PATH", p, 1);
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/test_targets");
	copy_exe(p);
	report[0] = '\0';
	err = targets_attach(NULL, &fake, 0, NULL, NULL, report, sizeof(report));
	snprintf(p, sizeof(p), "%s/a\\x0ab\\x1b[2Jc/test_targets (PATH): bpfpin_test_fn\n/proc/",
		 tmp);
	ok(err >= 1 && !strchr(report, '\033') && !strncmp(report, p, strlen(p)),
	   "control characters in a path are escaped: a line of its own: %s", report);

	/* more files than a setting takes: the first 256, and a note */
	snprintf(p, sizeof(p), "%s/many", tmp);
	err = mkdir(p, 0755);
	paths[0] = '\0';
	for (n = 0; !err && n < 300; n++) {
		snprintf(p, sizeof(p), "%s/many/%d", tmp, (int)n);
		snprintf(dir, sizeof(dir), "%s/test_targets", p);
		err = mkdir(p, 0755) || close(open(dir, O_WRONLY | O_CREAT, 0755));
		snprintf(paths + strlen(paths), sizeof(paths) - strlen(paths), "%s%s",
			 n ? ":" : "", p);
	}
	ok(!err, "300 directories of \\$PATH, each with a file test_targets");
	setenv("PATH", paths, 1);
	err = targets_find(NULL, &auto_set, &t);
	ok(!err && t.n == 256 && strstr(t.why, "files found past the first 256"),
	   "300 files found: 256 taken, the rest noted: %d: %s", err ? -1 : t.n,
	   err ? "" : t.why);
	if (!err)
		targets_free(&t);

	/* a process in its own root: paths resolved in that root */
	setenv("PATH", "/usr/bin:/bin", 1);
	pid = contained(tmp);
	setenv("PATH", "/nonexistent", 1);
	ok(pid > 0, "a process in a chroot, its files swapped for symlinks");
	err = targets_find(NULL, &auto_set, &t);
	snprintf(p, sizeof(p), "%s/host/test_targets", tmp);
	ok(!err && !has_file(&t, p),
	   "an absolute symlink in a process's root does not reach the host's file");
	snprintf(p, sizeof(p), "%s/real/test_targets", tmp);
	ok(!err && has_file(&t, p), "it is resolved in the process's root");
	if (!err)
		targets_free(&t);
	snprintf(p, sizeof(p), "%s/host/test_targets", tmp);
	ok(without_openat2(&auto_set, exe, p) == 0,
	   "without openat2 (before 5.6): no symlink followed, a plain path still found");
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	setenv("PATH", "/usr/bin:/bin", 1);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmp);
	if (system(p))
		return 1;

	ok(bpfpin_test_fn(1) + test_mangled(1) == 11, "the functions are real");
	return tap_done();
}
