// SPDX-License-Identifier: GPL-2.0
/* test_targets.c: user-space hook targets: symbols found by name and pattern at the right offset, paths, discovery */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
	const struct pin_setting auto_set = {
		.name = "bins", .kind = PIN_SET_TARGETS, .discover = "test_targets",
	};
	const struct pin_module_desc *d = pin_module_find("bashline");
	const struct pin_setting *shells = d ? settings_find(d, "shells") : NULL;
	static struct settings st;
	char found[256], why[256], exe[PATH_MAX], dir[PATH_MAX + 32];
	struct targets t;
	size_t off;
	ssize_t n;
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
	ok(bpfpin_test_fn(1) + test_mangled(1) == 11, "the functions are real");
	return tap_done();
}
