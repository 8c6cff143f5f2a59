// SPDX-License-Identifier: GPL-2.0
/* bench-floor: attach the named counting-floor programs and hold them until stdin closes */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pin.h"

#include "floor.skel.h"

int main(int argc, char **argv)
{
	struct floor_bpf *skel = floor_bpf__open();
	struct bpf_program *prog;
	char buf[1];
	int i, n = 0;

	if (!skel)
		return 1;
	/* only the programs asked for load and attach */
	bpf_object__for_each_program(prog, skel->obj) {
		bool want = false;

		for (i = 1; i < argc; i++)
			want |= !strcmp(bpf_program__name(prog), argv[i]);
		bpf_program__set_autoload(prog, want);
		n += want;
	}
	if (n != argc - 1 || floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "bench-floor: cannot attach %s\n", argc > 1 ? argv[1] : "");
		floor_bpf__destroy(skel);
		return 1;
	}
	/* cgroup programs have no automatic attach point: the v2 root, as
	 * the modules use */
	bpf_object__for_each_program(prog, skel->obj) {
		const char *mnt = pin_cgroup2_mount();
		int fd;

		if (!bpf_program__autoload(prog) ||
		    strncmp(bpf_program__section_name(prog), "cgroup", 6))
			continue;
		fd = mnt ? open(mnt, O_RDONLY | O_DIRECTORY) : -1;
		if (fd < 0 || !bpf_program__attach_cgroup(prog, fd)) {
			fprintf(stderr, "bench-floor: cannot attach %s to the cgroup v2 root\n",
				bpf_program__name(prog));
			return 1;
		}
	}
	/* their ids, for bench-stats */
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__autoload(prog) &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			printf("prog %s %u\n", bpf_program__name(prog), info.id);
	}
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, 1) > 0)
		;
	floor_bpf__destroy(skel);
	return 0;
}
