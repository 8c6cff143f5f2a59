// SPDX-License-Identifier: GPL-2.0
/* test_lock.c: pin_lock: root-only lock directories, refusals, a bounded wait that names the holder, SIGTERM */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pin.h"
#include "tap.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void quiet(enum pin_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
}

int main(void)
{
	char base[] = "/tmp/test_lock.XXXXXX", path[PATH_MAX], other[PATH_MAX];
	char comm[32];
	struct stat st;
	double t0, took;
	int fd, fd2, pid;

	if (geteuid() != 0) {
		ok(1, "# skip pin_lock creates root's directories: needs root");
		return tap_done();
	}
	pin_set_print(quiet);
	if (!mkdtemp(base))
		return 1;
	snprintf(path, sizeof(path), "%s/locks/flush", base);
	fd = pin_lock(path, 0, "test");
	ok(fd >= 0, "a missing lock directory is created and taken");
	ok(!stat(path, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700 &&
	   st.st_uid == 0, "it is root's, 0700");
	snprintf(other, sizeof(other), "%s/locks", base);
	ok(!stat(other, &st) && (st.st_mode & 0777) == 0700, "its parent too");

	/* flock conflicts between two opens, even in one process */
	t0 = now_s();
	fd2 = pin_lock(path, 0.2, "test");
	took = now_s() - t0;
	ok(fd2 == -EBUSY, "held: -EBUSY after the wait (%d)", fd2);
	ok(took >= 0.18 && took < 1, "the wait lasted about 0.2 s (%.3f s)", took);
	ok(!pin_lock_holder(path, &pid, comm, sizeof(comm)) && pid == getpid(),
	   "/proc/locks names the holder (pid %d, %s)", pid, comm);
	pin_stop = 1;
	t0 = now_s();
	fd2 = pin_lock(path, 30, "test");
	ok(fd2 == -EINTR && now_s() - t0 < 0.5, "a stop signal ends the wait: -EINTR");
	pin_stop = 0;
	close(fd);
	ok(pin_lock_holder(path, &pid, comm, sizeof(comm)) == -ENOENT,
	   "released: no holder");
	fd = pin_lock(path, 0, "test");
	ok(fd >= 0, "released: taken again at once");
	close(fd);

	chmod(path, 0750);
	ok(pin_lock(path, 0, "test") == -EPROTO, "a directory the group can open is refused");
	chmod(path, 0700);
	ok(!chown(path, 65534, 0) && pin_lock(path, 0, "test") == -EPROTO,
	   "a directory another user owns is refused");
	snprintf(other, sizeof(other), "%s/locks/link", base);
	fd = symlink(path, other) ? -errno : pin_lock(other, 0, "test");
	ok(fd == -EPROTO, "a symlink is refused (%d)", fd);
	snprintf(other, sizeof(other), "%s/locks/file", base);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ok(pin_lock(other, 0, "test") == -EPROTO, "a file is refused");

	snprintf(other, sizeof(other), "rm -rf '%s'", base);
	if (system(other))
		return 1;
	return tap_done();
}
