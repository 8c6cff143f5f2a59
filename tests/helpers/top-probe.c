// SPDX-License-Identifier: GPL-2.0
/* top-probe.c: load top_probe (and an empty XDP program, unattached, a tracepoint program, a cgroup_skb program), pin its link and hash map, run the program N times by BPF_PROG_TEST_RUN when told, then wait to be killed */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "top_probe.skel.h"

/* DIR/name written whole: a temporary, then renamed */
static int put(const char *dir, const char *name, const char *text)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "top-probe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static __u32 fd_id(int fd)
{
	struct bpf_link_info info = {};	/* id is the second field of all three */
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

int main(int argc, char **argv)
{
	struct top_probe_bpf *skel;
	struct bpf_link *link;
	char path[4096], text[128];
	struct timespec delay = { 0, 10000000 };
	long n, i;
	__u64 runs = 0;
	__u32 zero = 0;

	/* PIN_DIR on bpffs; STATE_DIR gets "ready" (pid prog map link ids),
	 * then the runs start when STATE_DIR/go exists, and "ran" holds the
	 * runs the program counted */
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: top-probe PIN_DIR STATE_DIR N [CGROUP]\n");
		return 2;
	}
	n = atol(argv[3]);
	skel = top_probe_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "top-probe: load: %s\n", strerror(errno));
		return 1;
	}
	link = bpf_program__attach(skel->progs.top_tick);
	if (!link) {
		fprintf(stderr, "top-probe: attach: %s\n", strerror(errno));
		return 1;
	}
	/* a perf_event link, not pinned: its owner is this process */
	if (!bpf_program__attach(skel->progs.top_tp)) {
		fprintf(stderr, "top-probe: attach top_tp: %s\n", strerror(errno));
		return 1;
	}
	/* a cgroup link on CGROUP, held by this process */
	if (argc == 5) {
		int cg = open(argv[4], O_RDONLY | O_DIRECTORY);

		if (cg < 0 || !bpf_program__attach_cgroup(skel->progs.top_skb, cg)) {
			fprintf(stderr, "top-probe: attach %s: %s\n", argv[4], strerror(errno));
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/top_link", argv[1]);
	if (bpf_link__pin(link, path)) {
		fprintf(stderr, "top-probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/top_hash", argv[1]);
	if (bpf_map__pin(skel->maps.top_hash, path)) {
		fprintf(stderr, "top-probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(text, sizeof(text), "%d %u %u %u\n", getpid(),
		 fd_id(bpf_program__fd(skel->progs.top_tick)),
		 fd_id(bpf_map__fd(skel->maps.top_hash)),
		 fd_id(bpf_link__fd(link)));
	if (put(argv[2], "ready", text))
		return 1;
	snprintf(path, sizeof(path), "%s/go", argv[2]);
	while (access(path, F_OK))
		nanosleep(&delay, NULL);
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.top_tick), &opts)) {
			fprintf(stderr, "top-probe: test run: %s\n", strerror(errno));
			return 1;
		}
	}
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.top_runs), &zero, &runs);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)runs);
	if (put(argv[2], "ran", text))
		return 1;
	pause();	/* the owner until killed; the pins stay */
	return 0;
}
