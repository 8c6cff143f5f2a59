// SPDX-License-Identifier: GPL-2.0
/* touch-pages: write once to each of P new anonymous pages (or read each page of FILE, dropped from the page cache first), then exit; for the mem tests */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

/* VmRSS of this process in KiB, from /proc/self/status */
static long vm_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

/*
 * Prints "rss_before_kb rss_after_kb" (VmRSS around the touching). With
 * FILE, the pages are the file's, read through a shared mapping after
 * POSIX_FADV_DONTNEED: the first fault of each readahead window is major.
 */
int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), n, i, before, after;
	volatile char *p;
	char *map;
	int fd = -1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: touch-pages PAGES [FILE]\n");
		return 2;
	}
	n = atol(argv[1]);
	before = vm_rss_kb();
	if (n > 0) {
		if (argc == 3) {
			fd = open(argv[2], O_RDONLY);
			if (fd < 0 || fdatasync(fd) ||
			    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
				perror(argv[2]);
				return 1;
			}
			map = mmap(NULL, n * page, PROT_READ, MAP_SHARED, fd, 0);
		} else {
			map = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		if (map == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		/* one fault per page: no transparent huge pages */
		if (fd < 0)
			madvise(map, n * page, MADV_NOHUGEPAGE);
		p = map;
		for (i = 0; i < n; i++) {
			if (fd < 0)
				p[i * page] = 1;
			else
				(void)p[i * page];
		}
	}
	after = vm_rss_kb();
	printf("%ld %ld\n", before, after);
	return 0;
}
