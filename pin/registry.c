// SPDX-License-Identifier: GPL-2.0
/* registry.c: the module descriptions of this build, profiles and ABI hashes */
#include <errno.h>
#include <string.h>

#include "pin.h"
#include "modules.h"	/* generated from MODULES: includes every <module>.h */

#define X(m) &m##_module,
const struct pin_module_desc *const pin_modules[] = { BPFPIN_MODULES };
#undef X
const int pin_nmodules = PIN_LEN(pin_modules);

/* The profile names; a module lists the ones it belongs to. */
const char *const pin_profiles[] = {
	"default", "minimal", "process", "network", "syscall", "fileio",
	"memory", "capture", NULL,
};

/* What a profile sets besides its modules; settings given explicitly win. */
static const struct {
	const char *profile;
	const char *settings;
} profile_settings[] = {
	{ "minimal", "proc.events=none" },
};

const char *pin_profile_settings(const char *profile)
{
	int i;

	for (i = 0; i < PIN_LEN(profile_settings); i++)
		if (!strcmp(profile_settings[i].profile, profile))
			return profile_settings[i].settings;
	return "";
}

const struct pin_module_desc *pin_module_find(const char *name)
{
	int i;

	for (i = 0; i < pin_nmodules; i++)
		if (!strcmp(pin_modules[i]->name, name))
			return pin_modules[i];
	return NULL;
}

bool pin_list_has(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	if (!list || !len)
		return false;
	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (!p[len] || p[len] == ' ' || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

int pin_profile_modules(const char *profile, const struct pin_module_desc **out,
			int max)
{
	bool known = false;
	int i, n = 0;

	for (i = 0; pin_profiles[i]; i++)
		known |= !strcmp(pin_profiles[i], profile);
	if (!known)
		return -EINVAL;
	for (i = 0; i < pin_nmodules && n < max; i++)
		if (pin_list_has(pin_modules[i]->profiles, profile))
			out[n++] = pin_modules[i];
	return n;
}

/* FNV-1a over names, offsets, sizes and types of every shared field. */
static __u32 fnv(__u32 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static __u32 hash_fields(__u32 h, const struct pin_field *f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		__u32 shape[4] = { f[i].offset, f[i].size, f[i].type, f[i].agg };

		h = fnv(h, f[i].name, strlen(f[i].name));
		h = fnv(h, shape, sizeof(shape));
		/* a histogram's inner fields and units are not in its shape */
		if (f[i].type == PIN_T_HIST)
			h = fnv(h, BPFPIN_HIST_LAYOUT,
				sizeof(BPFPIN_HIST_LAYOUT) - 1);
	}
	return h;
}

__u32 pin_module_abi_hash(const struct pin_module_desc *d)
{
	__u32 h = 2166136261u;
	int i;

	h = fnv(h, d->name, strlen(d->name));
	h = fnv(h, &d->schema_version, sizeof(d->schema_version));
	for (i = 0; i < d->nmaps; i++) {
		const struct pin_map_desc *m = &d->maps[i];
		__u32 shape[3] = { m->type, m->key_size, m->value_size };

		h = fnv(h, m->name, strlen(m->name));
		h = fnv(h, shape, sizeof(shape));
		h = hash_fields(h, m->keys, m->nkeys);
		h = hash_fields(h, m->values, m->nvalues);
	}
	for (i = 0; i < d->nevents; i++) {
		const struct pin_event_desc *e = &d->events[i];
		__u32 shape[2] = { e->type, e->size };

		h = fnv(h, e->name, strlen(e->name));
		h = fnv(h, shape, sizeof(shape));
		h = hash_fields(h, e->fields, e->nfields);
	}
	return h;
}
