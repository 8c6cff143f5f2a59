// SPDX-License-Identifier: GPL-2.0
/* bench-stats: the kernel's own cost of BPF programs (run_cnt, run_time_ns), with run-time stats held on by fd */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* One line: NAME RUN_CNT RUN_TIME_NS. Return: 0, or -errno. */
static int print_prog(int fd, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	printf("%s %llu %llu\n", name ? name : info.name,
	       (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns);
	return 0;
}

/* Every program pinned in @dir, named by its pin. */
static int read_dir(const char *dir)
{
	char path[4096];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int fd, err = 0;

	if (!dp) {
		fprintf(stderr, "bench-stats: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			fprintf(stderr, "bench-stats: %s: %s\n", path, strerror(errno));
			err = -errno;
			continue;
		}
		if (print_prog(fd, d->d_name))
			err = -errno;
		close(fd);
	}
	closedir(dp);
	return err;
}

static int read_id(const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	int fd, err;

	if (*end || !id) {
		fprintf(stderr, "bench-stats: %s: not a program directory or id\n", arg);
		return -EINVAL;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		fprintf(stderr, "bench-stats: program %lu: %s\n", id, strerror(errno));
		return -errno;
	}
	err = print_prog(fd, NULL);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	char buf[64];
	int i, fd, err = 0;

	if (argc == 2 && !strcmp(argv[1], "hold")) {
		/* the stats stay on while this fd is open, and only then */
		fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (fd < 0) {
			fprintf(stderr, "bench-stats: BPF_ENABLE_STATS: %s\n", strerror(errno));
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		close(fd);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "read")) {
		fprintf(stderr, "usage: bench-stats hold | read PROG_DIR|PROG_ID...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strchr(argv[i], '/'))
			err |= read_dir(argv[i]);
		else
			err |= read_id(argv[i]);
	}
	return err ? 1 : 0;
}
