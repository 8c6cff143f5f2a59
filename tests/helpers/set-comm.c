// SPDX-License-Identifier: GPL-2.0
/* set-comm: set our own comm to the bytes of NAME (prctl PR_SET_NAME) and exit */
#include <stdio.h>
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: set-comm NAME\n");
		return 2;
	}
	/* the kernel keeps the first 15 bytes, whatever they are */
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0)) {
		perror("set-comm: prctl");
		return 1;
	}
	return 0;
}
