// SPDX-License-Identifier: GPL-2.0
/* paths.c: the pin root, pin paths, and which modules are pinned */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "pin.h"

/* Room below the root for "/<module>/maps/<name>_slot" and the like. */
#define PIN_ROOT_MAX (PATH_MAX - 128)

int pin_root_resolve(const char *opt, const char **root)
{
	const char *env = getenv("BPFPIN_ROOT");

	if (opt && !*opt)
		return pin_usage_error("--pin-root '': expected a directory");
	*root = opt ? opt : env && *env ? env : PIN_DEFAULT_ROOT;
	if (strlen(*root) >= PIN_ROOT_MAX)
		return pin_usage_error("pin root '%.40s...': path too long (%zu bytes, at most %d)",
				       *root, strlen(*root), PIN_ROOT_MAX - 1);
	return 0;
}

int pin_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

bool pin_is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int pin_check_root(const char *root)
{
	struct stat st;

	if (stat(root, &st)) {
		int err = -errno;

		if (err == -ENOENT)
			pin_warn("pin root '%s': %s (is bpfpin loaded? try 'bpfpin-load up', or check --pin-root)",
				 root, strerror(-err));
		else
			pin_warn("pin root '%s': %s%s", root, strerror(-err),
				 pin_access_hint(err, PIN_RDONLY));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		pin_warn("pin root '%s': not a directory (check --pin-root)", root);
		return -ENOENT;
	}
	if (!pin_is_bpffs(root)) {
		pin_warn("pin root '%s': not on a bpf filesystem, so nothing is pinned there (check --pin-root or BPFPIN_ROOT)",
			 root);
		return -ENOENT;
	}
	return 0;
}

int pin_loaded_modules(const char *root, const struct pin_module_desc **out,
		       int max)
{
	char path[PATH_MAX];
	struct stat st;
	int i, n = 0;

	for (i = 0; i < pin_nmodules && n < max; i++) {
		if (pin_path(path, sizeof(path), "%s/%s", root, pin_modules[i]->name))
			return -ENAMETOOLONG;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			out[n++] = pin_modules[i];
		else if (errno == EACCES)
			return -EACCES;
	}
	return n;
}
