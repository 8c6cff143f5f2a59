/* SPDX-License-Identifier: GPL-2.0 */
/* tap.h: the smallest TAP producer, so unit and BATS counts add up */
#ifndef __BPFPIN_TAP_H
#define __BPFPIN_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)							\
	do {								\
		tap_n++;						\
		if (!(cond))						\
			tap_failed++;					\
		printf("%sok %d - ", (cond) ? "" : "not ", tap_n);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	} while (0)

/* Compare strings, and show both when they differ. */
#define is_str(got, want, ...)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		ok(!strcmp(g_, w_), __VA_ARGS__);			\
		if (strcmp(g_, w_))					\
			printf("# got:\n%s\n# want:\n%s\n", g_, w_);	\
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* __BPFPIN_TAP_H */
