// SPDX-License-Identifier: GPL-2.0
/* registry.c: the BPF object of every module, embedded by bpftool gen skeleton */
#include <string.h>

#include "loader.h"
#include "skels.h"	/* generated from MODULES */

#define X(m) { #m, m##_bpf__elf_bytes },
static const struct module_elf elfs[] = { BPFPIN_SKELS };
#undef X

const struct module_elf *module_elf_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(elfs) / sizeof(elfs[0]); i++)
		if (!strcmp(elfs[i].name, name))
			return &elfs[i];
	return NULL;
}
