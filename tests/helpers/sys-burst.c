// SPDX-License-Identifier: GPL-2.0
/* sys-burst: move into a cgroup, then make exactly N getppid, M failing openat, K close(-1) and one nanosleep; for syscalls tests */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

/* A whole number >= 0 from @s, or exit 2. */
static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "sys-burst: '%s': expected a number\n", s);
		exit(2);
	}
	return v;
}

/*
 * Everything after the move goes straight to the kernel (syscall()), so
 * the cgroup sees exactly these calls of each kind: libc wrappers may use
 * others (nanosleep() is clock_nanosleep) and startup is over by then.
 * The cgroup.procs fd stays open: closing it would be one more close.
 */
int main(int argc, char **argv)
{
	long n, m, k, sleep_ms, i;
	struct timespec ts;
	char path[4096], pid[32];
	int fd, len;

	if (argc != 6) {
		fprintf(stderr, "usage: sys-burst CGROUP_DIR N_GETPPID M_OPENAT K_CLOSE SLEEP_MS\n");
		return 2;
	}
	n = number(argv[2]);
	m = number(argv[3]);
	k = number(argv[4]);
	sleep_ms = number(argv[5]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	len = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (fd < 0 || write(fd, pid, len) != len) {
		fprintf(stderr, "sys-burst: '%s': %s\n", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	for (i = 0; i < m; i++)
		if (syscall(SYS_openat, AT_FDCWD, "/nonexistent/bpfpin-sys-burst",
			    O_RDONLY) != -1 || errno != ENOENT)
			return 1;
	for (i = 0; i < k; i++)
		if (syscall(SYS_close, -1) != -1 || errno != EBADF)
			return 1;
	if (sleep_ms) {
		ts.tv_sec = sleep_ms / 1000;
		ts.tv_nsec = sleep_ms % 1000 * 1000000;
		if (syscall(SYS_nanosleep, &ts, NULL))
			return 1;
	}
	printf("%d\n", getpid());
	return 0;
}
