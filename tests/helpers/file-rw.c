// SPDX-License-Identifier: GPL-2.0
/* file-rw: move into a cgroup, then create a file, write it exactly B bytes in three writes, read it back in odd-sized reads, open a missing path once; or read N small files; or copy a file by sendfile and io_uring and read it mapped; for fileio tests */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>

#define READ_CHUNK 4099

static char buf[1 << 20];

/* A whole number from 3 to sizeof(buf), or exit 2. */
static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 3 || v > (long)sizeof(buf)) {
		fprintf(stderr, "file-rw: '%s': expected a number from 3 to %zu\n",
			s, sizeof(buf));
		exit(2);
	}
	return v;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "file-rw: %s '%s': %s\n", what, path, strerror(errno));
	return 1;
}

/*
 * Everything after the move goes straight to the kernel (syscall()), so
 * the cgroup sees exactly these calls: the write of our pid into
 * cgroup.procs (it returns in the new cgroup), the file's I/O, the failed
 * open, and the pid on stdout at the end. Every write is whole (a regular
 * file, a pipe under PIPE_BUF): exactly B bytes written, B read.
 */
static int many(int argc, char **argv);
static int other(int argc, char **argv);
static int move_to(const char *cgroup, char *pid, size_t size, int *len);

int main(int argc, char **argv)
{
	long b, sizes[3], done, r, i;
	char missing[4096], pid[32];
	int fd, len;

	if (argc == 5 && !strcmp(argv[1], "--many"))
		return many(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "--other"))
		return other(argc, argv);
	if (argc != 4) {
		fprintf(stderr, "usage: file-rw CGROUP_DIR FILE BYTES\n"
			"       file-rw --many CGROUP_DIR DIR N\n"
			"       file-rw --other CGROUP_DIR SRC DIR\n");
		return 2;
	}
	b = number(argv[3]);
	for (i = 0; i < b; i++)
		buf[i] = 'a' + i % 26;
	/* three odd sizes summing to b */
	sizes[0] = b / 3 | 1;
	sizes[1] = (b - sizes[0]) / 2 | 1;
	sizes[2] = b - sizes[0] - sizes[1];
	snprintf(missing, sizeof(missing), "%s.missing", argv[2]);
	if (move_to(argv[1], pid, sizeof(pid), &len))
		return 1;

	fd = syscall(SYS_openat, AT_FDCWD, argv[2],
		     O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
	if (fd < 0)
		return fail("create", argv[2]);
	for (i = 0, done = 0; i < 3; done += sizes[i++])
		if (syscall(SYS_write, fd, buf + done, sizes[i]) != sizes[i])
			return fail("write", argv[2]);
	if (syscall(SYS_close, fd))
		return fail("close", argv[2]);

	fd = syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", argv[2]);
	done = 0;
	while ((r = syscall(SYS_read, fd, buf, READ_CHUNK)) > 0)
		done += r;
	if (r < 0 || done != b)
		return fail("read", argv[2]);
	if (syscall(SYS_close, fd))
		return fail("close", argv[2]);

	if (syscall(SYS_openat, AT_FDCWD, missing, O_RDONLY) != -1 || errno != ENOENT)
		return fail("open of missing", missing);
	if (syscall(SYS_write, 1, pid, len) != len)
		return 1;
	return 0;
}

/* Move into the cgroup (our pid into @procs), the pid in @pid. */
static int move_to(const char *cgroup, char *pid, size_t size, int *len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	*len = snprintf(pid, size, "%d\n", getpid());
	if (syscall(SYS_write, fd, pid, *len) != *len)
		return fail("write", path);
	return 0;
}

/*
 * --many CGROUP_DIR DIR N: open DIR/f1 ... DIR/fN (the caller made them)
 * and read each once: N opens, N reads, N distinct files.
 */
static int many(int argc, char **argv)
{
	char path[4096], pid[32], small[64];
	long n, i;
	int fd, len;

	(void)argc;
	n = number(argv[4]);
	if (move_to(argv[2], pid, sizeof(pid), &len))
		return 1;
	for (i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", argv[3], i);
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open", path);
		if (syscall(SYS_read, fd, small, sizeof(small)) <= 0)
			return fail("read", path);
		if (syscall(SYS_close, fd))
			return fail("close", path);
	}
	if (syscall(SYS_write, 1, pid, len) != len)
		return 1;
	return 0;
}

/* One io_uring request on @fd at offset 0 (IORING_OP_READ or _WRITE), waited for: its res. */
static long uring_rw(int op, int fd, void *data, unsigned int len)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned int *tail, *array, *head;
	void *sq, *cq;
	long res;
	int ring;

	ring = syscall(SYS_io_uring_setup, 2, &p);
	if (ring < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(*cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqe = mmap(NULL, p.sq_entries * sizeof(*sqe), PROT_READ | PROT_WRITE,
		   MAP_SHARED, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED)
		return -errno;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (unsigned long)data;
	sqe->len = len;
	sqe->user_data = 1;
	array = (unsigned int *)((char *)sq + p.sq_off.array);
	tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	array[*tail & *(unsigned int *)((char *)sq + p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = (unsigned int *)((char *)cq + p.cq_off.head);
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes) +
	      (*head & *(unsigned int *)((char *)cq + p.cq_off.ring_mask));
	res = cqe->res;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
	close(ring);
	return res;
}

/*
 * --other CGROUP_DIR SRC DIR: copy SRC (at most sizeof(buf)) to
 * DIR/sendfile.out by sendfile, to DIR/uring.out by an io_uring read and
 * write, then read SRC through a mapping, page by page, after dropping it
 * from the page cache (MADV_RANDOM: no readahead to fault in for us).
 */
static int other(int argc, char **argv)
{
	char path[4096], pid[32];
	long size, done, r, page = sysconf(_SC_PAGESIZE);
	volatile char sum = 0;
	int in, out, len;
	char *map;

	(void)argc;
	if (move_to(argv[2], pid, sizeof(pid), &len))
		return 1;
	in = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail("open", argv[3]);
	size = lseek(in, 0, SEEK_END);
	if (size <= 0 || size > (long)sizeof(buf) || lseek(in, 0, SEEK_SET))
		return fail("size of", argv[3]);
	snprintf(path, sizeof(path), "%s/sendfile.out", argv[4]);
	out = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
	if (out < 0)
		return fail("create", path);
	for (done = 0; done < size; done += r)
		if ((r = sendfile(out, in, NULL, size - done)) <= 0)
			return fail("sendfile to", path);
	close(out);

	snprintf(path, sizeof(path), "%s/uring.out", argv[4]);
	out = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
	if (out < 0)
		return fail("create", path);
	if ((r = uring_rw(IORING_OP_READ, in, buf, size)) != size) {
		errno = r < 0 ? -r : EIO;
		return fail("io_uring read of", argv[3]);
	}
	if ((r = uring_rw(IORING_OP_WRITE, out, buf, size)) != size) {
		errno = r < 0 ? -r : EIO;
		return fail("io_uring write to", path);
	}
	close(out);

	if (fdatasync(in) || posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED))
		return fail("drop the cache of", argv[3]);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, in, 0);
	if (map == MAP_FAILED || madvise(map, size, MADV_RANDOM))
		return fail("map", argv[3]);
	for (done = 0; done < size; done += page)
		sum += map[done];
	munmap(map, size);
	close(in);
	if (syscall(SYS_write, 1, pid, len) != len)
		return 1;
	(void)sum;
	return 0;
}
