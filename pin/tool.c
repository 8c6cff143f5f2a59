// SPDX-License-Identifier: GPL-2.0
/* tool.c: what every bpfpin command line shares: usage errors, versions, numbers, module lists */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "pin.h"

int pin_usage_error(const char *fmt, ...)
{
	const char *prog = pin_tool_name();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pin_warn("%s (try '%s --help')", msg, prog);
	return -PIN_EUSAGE;
}

int pin_option_error(char *const *argv, const char *optstring)
{
	const char *arg = argv[optind - 1];

	if (!optopt)
		return pin_usage_error("unrecognized option '%s'", arg);
	if (!strncmp(arg, "--", 2))
		return pin_usage_error("option '%s' needs a value", arg);
	if (strchr(optstring, optopt))
		return pin_usage_error("option '-%c' needs a value", optopt);
	return pin_usage_error("unrecognized option '-%c'", optopt);
}

void pin_print_version(void)
{
	printf("%s %s (libbpf %s)\n", pin_tool_name(), BPFPIN_VERSION,
	       libbpf_version_string());
}

int pin_parse_count(const char *opt, const char *arg, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	if (errno || *end || end == arg || *out < 1)
		return pin_usage_error("%s '%s': expected a count of 1 or more",
				       opt, arg);
	return 0;
}

int pin_parse_seconds(const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || *end || end == arg || !(*out > 0) || *out > 86400)
		return pin_usage_error("%s '%s': expected seconds, more than 0 and at most 86400",
				       opt, arg);
	return 0;
}

int pin_parse_wait(const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || *end || end == arg || !(*out >= 0) || *out > 86400)
		return pin_usage_error("%s '%s': expected seconds, from 0 to 86400",
				       opt, arg);
	return 0;
}

int pin_select_modules(const char *root, char *const *names, int n,
		       const struct pin_module_desc **out, int max)
{
	int i, count = 0, err;

	for (i = 0; i < n && count < max; i++) {
		out[count] = pin_module_find(names[i]);
		if (!out[count])
			return pin_usage_error("unknown module '%s' (see 'bpfpin-load list')",
					       names[i]);
		count++;
	}
	if (count)
		return count;
	err = pin_check_root(root);
	if (err)
		return err;
	count = pin_loaded_modules(root, out, max);
	if (count < 0) {
		pin_warn("pin root '%s': %s%s", root, strerror(-count),
			 pin_access_hint(count, PIN_RDONLY));
		return count;
	}
	if (count == 0) {
		pin_warn("no module is loaded under '%s' (try 'bpfpin-load up')", root);
		return -ENOENT;
	}
	return count;
}

volatile sig_atomic_t pin_stop;

static void on_stop(int sig)
{
	(void)sig;
	pin_stop = 1;
}

void pin_catch_stop_signals(void)
{
	signal(SIGPIPE, SIG_IGN);	/* EPIPE instead: `| head` is a normal end */
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
}
