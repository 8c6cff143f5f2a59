// SPDX-License-Identifier: GPL-2.0
/* lock.c: exclusive locks in root-only directories; bounded, interruptible waits */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "pin.h"

/* What a lock refused for want of root says. */
#define NEEDS_ROOT " (needs root: reading events, flushing and loading write to the pins)"

/* How often a wait tries again. */
#define POLL_NS (20 * 1000000L)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* mkdir 0700, root's; an existing one is checked when opened. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Create @path and its parent, both 0700, when missing: only root may. */
static int make_lock_dir(const char *path)
{
	char parent[PATH_MAX];
	char *slash;
	int err;

	if (geteuid() != 0)
		return -EACCES;
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		err = make_dir(parent);
		if (err)
			return err;
	}
	return make_dir(path);
}

/*
 * A process with @st open: /proc/locks names the one that took a flock,
 * which may be gone while a child that inherited the fd still holds it.
 */
static int find_opener(const struct stat *st)
{
	char path[600];
	struct dirent *p, *e;
	struct stat fst;
	DIR *procs, *fds;
	int pid = 0;

	procs = opendir("/proc");
	if (!procs)
		return 0;
	while (!pid && (p = readdir(procs))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((e = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name,
				 e->d_name);
			if (e->d_name[0] != '.' && !stat(path, &fst) &&
			    fst.st_dev == st->st_dev && fst.st_ino == st->st_ino &&
			    atoi(p->d_name) != getpid()) {
				pid = atoi(p->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(procs);
	return pid;
}

static void read_comm(int pid, char *comm, size_t size)
{
	char file[64];
	FILE *f;

	snprintf(comm, size, "?");
	snprintf(file, sizeof(file), "/proc/%d/comm", pid);
	f = fopen(file, "re");
	if (!f)
		return;
	if (fgets(comm, size, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

int pin_lock_holder(const char *path, int *pid, char *comm, size_t size)
{
	char line[256];
	struct stat st;
	FILE *f;
	int found = -ENOENT;

	*pid = 0;
	snprintf(comm, size, "?");
	if (stat(path, &st))
		return -errno;
	f = fopen("/proc/locks", "re");
	if (!f)
		return -errno;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF"; waiters have "->" */
	while (fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long ino;
		char kind[16], type[16];
		int holder;

		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%lu", kind, type,
			   &holder, &maj, &min, &ino) != 6)
			continue;
		if (strcmp(kind, "FLOCK") || ino != st.st_ino ||
		    maj != major(st.st_dev) || min != minor(st.st_dev))
			continue;
		*pid = holder;
		found = 0;
		break;
	}
	fclose(f);
	if (found)
		return found;
	if (kill(*pid, 0) && errno == ESRCH) {
		int opener = find_opener(&st);

		if (opener)
			*pid = opener;
	}
	read_comm(*pid, comm, size);
	return 0;
}

/* Open lock directory @path, refusing one group members could open too. */
static int open_lock_dir(const char *path)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		err = make_lock_dir(path);
		if (err) {
			pin_warn("lock '%s': cannot create it: %s%s", path,
				 strerror(-err), err == -EACCES ?
				 NEEDS_ROOT : "");
			return err;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP || err == -ENOTDIR) {
			pin_warn("lock '%s': not a directory (a symlink or a file): refusing it",
				 path);
			return -EPROTO;
		}
		pin_warn("lock '%s': %s%s", path, strerror(-err),
			 err == -EACCES ? NEEDS_ROOT : "");
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (st.st_uid != 0 || (st.st_mode & 077)) {
		pin_warn("lock '%s': owner %u, mode %04o: others could hold it, refusing it (expected root's, 0700)",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int pin_lock(const char *path, double wait_s, const char *what)
{
	struct timespec poll = { .tv_nsec = POLL_NS };
	double deadline = now_s() + (wait_s > 0 ? wait_s : 0);
	char comm[32];
	int fd, pid, err, waited = 0;

	fd = open_lock_dir(path);
	if (fd < 0)
		return fd;
	for (;;) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return fd;
		if (errno != EWOULDBLOCK) {
			err = -errno;
			pin_warn("lock '%s': %s", path, strerror(-err));
			goto err_close;
		}
		if (pin_stop) {
			pin_warn("%s: interrupted while waiting for lock '%s'",
				 what, path);
			err = -EINTR;
			goto err_close;
		}
		if (now_s() >= deadline)
			break;
		if (!waited++)
			pin_debug("%s: waiting up to %g s for lock '%s'", what,
				  wait_s, path);
		nanosleep(&poll, NULL);
	}
	if (pin_lock_holder(path, &pid, comm, sizeof(comm)))
		pin_warn("%s: lock '%s' is held (holder not found in /proc/locks)%s",
			 what, path, wait_s > 0 ? " (--wait SECONDS waits longer)" : "");
	else
		pin_warn("%s: pid %d (%s) holds lock '%s'%s", what, pid, comm,
			 path, wait_s > 0 ? " (--wait SECONDS waits longer)" : "");
	err = -EBUSY;
err_close:
	close(fd);
	return err;
}
