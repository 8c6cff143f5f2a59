// SPDX-License-Identifier: GPL-2.0
/* log.c: the library's one print callback, and the exit code table */
#include <errno.h>
#include <stdio.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "pin.h"

static pin_print_fn print_fn;
static const char *tool_name = "bpfpin";
static int tool_verbosity;

void pin_set_print(pin_print_fn fn)
{
	print_fn = fn;
}

void pin_log(enum pin_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (print_fn) {
		print_fn(level, fmt, ap);
	} else if (level == PIN_LOG_WARN) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void tool_print(enum pin_log_level level, const char *fmt, va_list ap)
{
	if ((level == PIN_LOG_DEBUG && tool_verbosity < 1) ||
	    (level == PIN_LOG_LIBBPF && tool_verbosity < 2))
		return;
	if (level != PIN_LOG_LIBBPF)
		fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	if (level != PIN_LOG_LIBBPF)
		fputc('\n', stderr);
}

/* libbpf's warnings become our debug: we print one verdict of our own. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN && tool_verbosity >= 1) {
		fprintf(stderr, "%s: libbpf: ", tool_name);
		return vfprintf(stderr, fmt, ap);
	}
	if (tool_verbosity >= 2)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

const char *pin_tool_name(void)
{
	return tool_name;
}

void pin_tool_log_init(const char *prog, int verbosity)
{
	tool_name = prog;
	tool_verbosity = verbosity;
	pin_set_print(tool_print);
	libbpf_set_print(libbpf_print);
}

int pin_exit_code(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -PIN_EUSAGE:
		return 2;
	case -ENOENT:
		return 3;
	case -EACCES:
	case -EPERM:
		return 4;
	case -EPROTO:
		return 5;
	case -EBUSY:
		return 6;
	default:
		return 1;
	}
}

static bool in_group(const char *name)
{
	const struct group *g = getgrnam(name);
	gid_t groups[256];
	int i, n;

	if (!g)
		return false;
	if (getegid() == g->gr_gid)
		return true;
	n = getgroups(PIN_LEN(groups), groups);
	for (i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

const char *pin_access_hint(int err, int flags)
{
	if (err != -EACCES && err != -EPERM)
		return "";
	if (!(flags & PIN_RDONLY))
		return " (writing to it needs root)";
	if (geteuid() != 0 && !in_group(PIN_GROUP))
		return " (readers need group '" PIN_GROUP "' or root)";
	return " (root-only: it holds captured content)";
}
