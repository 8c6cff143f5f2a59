// SPDX-License-Identifier: GPL-2.0
/* test_paths.c: pin root precedence, path limits, exit codes, registry */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"
#include "tap.h"

int main(void)
{
	const struct pin_module_desc *mods[8];
	char buf[16], longroot[4000];
	const char *root;
	int n;

	unsetenv("BPFPIN_ROOT");
	ok(!pin_root_resolve(NULL, &root) && !strcmp(root, PIN_DEFAULT_ROOT),
	   "default root");
	setenv("BPFPIN_ROOT", "/env/root", 1);
	ok(!pin_root_resolve(NULL, &root) && !strcmp(root, "/env/root"),
	   "BPFPIN_ROOT when no option");
	ok(!pin_root_resolve("/opt/root", &root) && !strcmp(root, "/opt/root"),
	   "--pin-root wins over BPFPIN_ROOT");
	ok(pin_root_resolve("", &root) == -PIN_EUSAGE, "--pin-root '' is a usage error");
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	ok(pin_root_resolve(longroot, &root) == -PIN_EUSAGE,
	   "a root too long for its pins is a usage error");
	setenv("BPFPIN_ROOT", longroot, 1);
	ok(pin_root_resolve(NULL, &root) == -PIN_EUSAGE,
	   "so is a BPFPIN_ROOT too long");
	setenv("BPFPIN_ROOT", "/env/root", 1);
	ok(pin_path(buf, sizeof(buf), "%s/%s", "/sys/fs/bpf", "bpfpin") == -ENAMETOOLONG,
	   "too long a path is refused");
	ok(pin_path(buf, sizeof(buf), "%s", "/a/b") == 0 && !strcmp(buf, "/a/b"),
	   "a path that fits");
	ok(pin_exit_code(0) == 0 && pin_exit_code(-ENOENT) == 3 &&
	   pin_exit_code(-EACCES) == 4 && pin_exit_code(-EPERM) == 4 &&
	   pin_exit_code(-EPROTO) == 5 && pin_exit_code(-EBUSY) == 6 &&
	   pin_exit_code(-EIO) == 1 && pin_exit_code(-PIN_EUSAGE) == 2 &&
	   pin_exit_code(-EINVAL) == 1, "exit codes as documented (README, Exit codes)");
	ok(pin_module_find("proc") != NULL && pin_module_find("nope") == NULL,
	   "module lookup by exact name");
	ok(pin_module_find("pro") == NULL, "no prefix matching");
	n = pin_profile_modules("default", mods, 8);
	ok(n >= 1 && !strcmp(mods[0]->name, "proc"), "profile default has proc");
	ok(pin_profile_modules("nonsense", mods, 8) == -EINVAL, "unknown profile");
	ok(pin_module_abi_hash(pin_module_find("proc")) ==
	   pin_module_abi_hash(pin_module_find("proc")), "abi hash is stable");
	return tap_done();
}
