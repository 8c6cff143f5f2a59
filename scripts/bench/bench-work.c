// SPDX-License-Identifier: GPL-2.0
/* bench-work: workloads that fire the modules' hooks; prints nanoseconds per operation */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void syscalls(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(__NR_getppid);
}

static void execs(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			execl("/bin/true", "true", NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
}

/* 64-byte messages over a loopback TCP connection, read back each time */
static void tcp(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s, one = 1;
	char buf[64] = "";
	long i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		exit(1);
	c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		exit(1);
	s = accept(l, NULL, NULL);
	for (i = 0; i < n; i++) {
		if (write(c, buf, sizeof(buf)) != sizeof(buf) ||
		    read(s, buf, sizeof(buf)) <= 0)
			exit(1);
	}
	close(c);
	close(s);
	close(l);
}

static void on_sigsys(int sig)
{
	(void)sig;
}

/* a seccomp filter that traps getppid; each call is one SIGSYS */
static void seccomp_traps(long n)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	long i;

	signal(SIGSYS, on_sigsys);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		exit(1);
	for (i = 0; i < n; i++)
		syscall(__NR_getppid);
}

/*
 * getppid at a paced rate, as the bench module's target: each call is one
 * event. Paced in batches of 1000 against the clock; rate 0 is flat out.
 */
static void events(long n, double rate, const char *target_pin)
{
	__u32 zero = 0, pid = getpid();
	int fd = bpf_obj_get(target_pin);
	__u64 start;
	long i;

	if (fd < 0 || bpf_map_update_elem(fd, &zero, &pid, BPF_ANY))
		exit(1);
	start = now_ns();
	for (i = 0; i < n; i++) {
		syscall(__NR_getppid);
		if (rate > 0 && i % 1000 == 999)
			while (now_ns() - start < (i + 1) / rate * 1e9)
				;
	}
	pid = 0;
	bpf_map_update_elem(fd, &zero, &pid, BPF_ANY);
}

/* a 64-byte datagram sent and received over loopback UDP */
static void udp(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int r = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64] = "";
	long i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(r, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(r, (struct sockaddr *)&a, &len) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		exit(1);
	for (i = 0; i < n; i++) {
		if (write(c, buf, sizeof(buf)) != sizeof(buf) ||
		    read(r, buf, sizeof(buf)) <= 0)
			exit(1);
	}
	close(c);
	close(r);
}

/* a whole TCP connection over loopback: connect, accept, close */
static void tcpconn(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s, one = 1;
	long i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		exit(1);
	for (i = 0; i < n; i++) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			exit(1);
		s = accept4(l, NULL, NULL, 0);
		if (s < 0)
			exit(1);
		/* a reset, not TIME_WAIT: thousands of connections leave no trace */
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		close(s);
	}
	close(l);
}

/*
 * An HTTP/1.1 exchange over a loopback keep-alive connection: a request
 * written, read by the server end, a response written and read back
 */
static void http(long n)
{
	static const char req[] = "GET /bench HTTP/1.1\r\nHost: bench\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s, one = 1;
	char buf[128];
	long i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		exit(1);
	c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		exit(1);
	s = accept(l, NULL, NULL);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < n; i++) {
		if (write(c, req, sizeof(req) - 1) != sizeof(req) - 1 ||
		    read(s, buf, sizeof(buf)) <= 0 ||
		    write(s, resp, sizeof(resp) - 1) != sizeof(resp) - 1 ||
		    read(c, buf, sizeof(buf)) <= 0)
			exit(1);
	}
	close(c);
	close(s);
	close(l);
}

/* a scratch file of 256 pages in a temp dir, for the fileio workloads */
static char work_dir[] = "/tmp/bench-work.XXXXXX";
static char work_file[sizeof(work_dir) + 8];

static int make_file(void)
{
	char page[4096];
	int fd, i;

	memset(page, 'x', sizeof(page));
	if (!mkdtemp(work_dir))
		exit(1);
	snprintf(work_file, sizeof(work_file), "%s/data", work_dir);
	fd = open(work_file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		exit(1);
	for (i = 0; i < 256; i++)
		if (write(fd, page, sizeof(page)) != sizeof(page))
			exit(1);
	return fd;
}

static void remove_file(int fd)
{
	close(fd);
	unlink(work_file);
	rmdir(work_dir);
}

/* pread of 4 KiB from the page cache, one page after the other */
static void fileio(long n)
{
	int fd = make_file();
	char buf[4096];
	long i;

	for (i = 0; i < n; i++)
		if (pread(fd, buf, sizeof(buf), (i % 256) * sizeof(buf)) != sizeof(buf))
			exit(1);
	remove_file(fd);
}

/* openat and close of the scratch file */
static void openat_close(long n)
{
	int fd = make_file(), f;
	long i;

	for (i = 0; i < n; i++) {
		f = openat(AT_FDCWD, work_file, O_RDONLY);
		if (f < 0)
			exit(1);
		close(f);
	}
	remove_file(fd);
}

/*
 * anonymous memory, 256 pages mapped, each written once (one fault, one
 * page allocated), unmapped; N pages in all. No huge pages: a fault each.
 */
static void mem(long n)
{
	const long pages = 256, page = sysconf(_SC_PAGESIZE);
	long i, done = 0;

	while (done < n) {
		char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			exit(1);
		madvise(p, pages * page, MADV_NOHUGEPAGE);
		for (i = 0; i < pages && done < n; i++, done++)
			*(volatile char *)(p + i * page) = 1;
		munmap(p, pages * page);
	}
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * An empty cgroup made and removed under the cgroup v2 mount (the hybrid
 * layout's /sys/fs/cgroup/unified, else /sys/fs/cgroup), N times: one
 * cgroup_mkdir and one cgroup_rmdir each, in a parent of its own.
 */
static void cgroups(long n)
{
	static const char *const mounts[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup",
	};
	char parent[256], child[300];
	struct statfs sf;
	size_t m;
	long i;

	for (m = 0; m < sizeof(mounts) / sizeof(mounts[0]); m++)
		if (!statfs(mounts[m], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
			break;
	if (m == sizeof(mounts) / sizeof(mounts[0]))
		exit(1);
	snprintf(parent, sizeof(parent), "%s/bench-work-%d", mounts[m], getpid());
	snprintf(child, sizeof(child), "%s/c", parent);
	if (mkdir(parent, 0755))
		exit(1);
	for (i = 0; i < n; i++)
		if (mkdir(child, 0755) || rmdir(child))
			exit(1);
	rmdir(parent);
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	__u64 t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-work syscalls|exec|tcp|tcpconn|http|udp|seccomp|fileio|openat|mem|cgroups N | events N RATE TARGET_PIN\n");
		return 2;
	}
	t0 = now_ns();
	if (!strcmp(argv[1], "syscalls"))
		syscalls(n);
	else if (!strcmp(argv[1], "exec"))
		execs(n);
	else if (!strcmp(argv[1], "tcp"))
		tcp(n);
	else if (!strcmp(argv[1], "udp"))
		udp(n);
	else if (!strcmp(argv[1], "tcpconn"))
		tcpconn(n);
	else if (!strcmp(argv[1], "http"))
		http(n);
	else if (!strcmp(argv[1], "seccomp"))
		seccomp_traps(n);
	else if (!strcmp(argv[1], "fileio"))
		fileio(n);
	else if (!strcmp(argv[1], "openat"))
		openat_close(n);
	else if (!strcmp(argv[1], "mem"))
		mem(n);
	else if (!strcmp(argv[1], "cgroups"))
		cgroups(n);
	else if (!strcmp(argv[1], "events") && argc == 5)
		events(n, atof(argv[3]), argv[4]);
	else
		return 2;
	t1 = now_ns();
	/* ns per operation; events also the achieved rate */
	printf("%.2f %.0f\n", (double)(t1 - t0) / n, n / ((t1 - t0) / 1e9));
	return 0;
}
