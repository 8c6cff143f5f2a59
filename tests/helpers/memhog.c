// SPDX-License-Identifier: GPL-2.0
/* memhog: allocate and touch MIB mebibytes, one at a time, then sleep; for OOM tests */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64, i;

	for (i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);

		if (!p)
			return 1;
		memset(p, 0xa5, 1 << 20);	/* touch every page */
	}
	pause();
	return 0;
}
