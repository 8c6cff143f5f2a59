// SPDX-License-Identifier: GPL-2.0
/* settings.c: the numbers bpfpin.conf sets per module ("<module>.<name> = N") */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/*
 * A list of syscall or errno names (or errno numbers), separated by commas
 * or spaces: a bitmap of their numbers. An empty list sets no bit.
 */
static int set_names(struct settings *st, const struct pin_setting *s,
		     const char *key, const char *value, char *why, size_t size)
{
	bool errnos = s->kind == PIN_SET_ERRNOS;
	__u64 bits[PIN_SYSCALL_WORDS] = {};
	char name[64];
	size_t n;
	int i, nr;

	while (*value) {
		n = strcspn(value, ", \t");
		if (n) {
			snprintf(name, sizeof(name), "%.*s", (int)n, value);
			nr = n >= sizeof(name) ? -ENOENT :
			     errnos ? pin_errno_nr(name) : pin_syscall_nr(name);
			if (nr < 0 || nr >= 64 * PIN_SYSCALL_WORDS) {
				snprintf(why, size, "'%s': %s '%.*s'%s", key,
					 errnos ? "unknown errno" : "unknown syscall",
					 (int)n, value, errnos ?
					 " (a name such as EACCES, or a number below 512)" : "");
				return -EINVAL;
			}
			bits[nr / 64] |= 1ull << (nr % 64);
		}
		value += n + (value[n] != '\0');
	}
	for (i = 0; i < st->n && st->v[i].s != s; i++)
		;
	if (i == MAX_SETTINGS) {
		snprintf(why, size, "too many settings");
		return -E2BIG;
	}
	st->v[i].s = s;
	memcpy(st->v[i].bits, bits, sizeof(bits));
	if (i == st->n)
		st->n++;
	return 0;
}

/*
 * "auto" (targets) or "self" (network namespaces) and/or absolute paths,
 * separated by commas or spaces: kept as text, for the loader to look them
 * up when it attaches.
 */
static int set_text(struct settings *st, const struct pin_setting *s,
		    const char *key, const char *value, char *why, size_t size)
{
	const char *word = s->kind == PIN_SET_NETNS ? "self" : "auto", *p = value;
	size_t n;
	int i;

	while (*p) {
		n = strcspn(p, ", \t");
		if (n && (n != 4 || strncmp(p, word, 4)) && *p != '/') {
			snprintf(why, size, "'%s': '%.*s' is neither '%s' nor an absolute path",
				 key, (int)n, p, word);
			return -EINVAL;
		}
		p += n + (p[n] != '\0');
	}
	for (i = 0; i < st->n && st->v[i].s != s; i++)
		;
	if (i == MAX_SETTINGS) {
		snprintf(why, size, "too many settings");
		return -E2BIG;
	}
	if (strlen(value) >= sizeof(st->v[i].text)) {
		snprintf(why, size, "'%s': longer than %zu characters", key,
			 sizeof(st->v[i].text) - 1);
		return -EINVAL;
	}
	st->v[i].s = s;
	snprintf(st->v[i].text, sizeof(st->v[i].text), "%s", value);
	if (i == st->n)
		st->n++;
	return 0;
}

/* "<module>.filter.<key>", "<module>.events", "<module>.max_events_per_s" */
static int set_filter(struct settings *st, const struct pin_module_desc *d,
		      const char *key, const char *name, const char *value,
		      char *why, size_t size)
{
	char cause[512];
	int i, err;

	for (i = 0; i < st->nfilters && st->filters[i].d != d; i++)
		;
	if (i == MAX_SETTINGS) {
		snprintf(why, size, "too many settings");
		return -E2BIG;
	}
	if (i == st->nfilters) {
		memset(&st->filters[i], 0, sizeof(st->filters[i]));
		st->filters[i].d = d;
		st->nfilters++;
	}
	err = pin_filter_set(d, &st->filters[i].f, name, value, cause,
			     sizeof(cause));
	if (err)
		snprintf(why, size, "'%s': %s", key, cause);
	return err;
}

const struct bpfpin_filter *settings_filter(const struct settings *st,
					    const struct pin_module_desc *d)
{
	int i;

	for (i = 0; st && i < st->nfilters; i++)
		if (st->filters[i].d == d && !pin_filter_is_empty(&st->filters[i].f))
			return &st->filters[i].f;
	return NULL;
}

int settings_set(struct settings *st, const char *key, const char *value,
		 char *why, size_t size)
{
	const struct pin_module_desc *d;
	const struct pin_setting *s = NULL;
	const char *dot = strchr(key, '.');
	char module[64], *end;
	unsigned long v;
	int i;

	snprintf(module, sizeof(module), "%.*s", dot ? (int)(dot - key) : 0, key);
	d = pin_module_find(module);
	if (!dot || !d) {
		snprintf(why, size, "unknown key '%s'", key);
		return -EINVAL;
	}
	/* common to every module */
	if (!strncmp(dot + 1, "filter.", 7))
		return set_filter(st, d, key, dot + 8, value, why, size);
	if (!strcmp(dot + 1, "events") || !strcmp(dot + 1, "max_events_per_s"))
		return set_filter(st, d, key, dot + 1, value, why, size);
	s = settings_find(d, dot + 1);
	if (!s) {
		snprintf(why, size, "module '%s' has no setting '%s'", module, dot + 1);
		return -EINVAL;
	}
	if (s->kind == PIN_SET_TARGETS || s->kind == PIN_SET_NETNS)
		return set_text(st, s, key, value, why, size);
	if (s->kind != PIN_SET_NUMBER)
		return set_names(st, s, key, value, why, size);
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno || end == value || *end || *value == '-' || v < s->min ||
	    v > s->max) {
		snprintf(why, size, "'%s' must be a number from %u to %u, not '%s'",
			 key, s->min, s->max, value);
		return -EINVAL;
	}
	for (i = 0; i < st->n && st->v[i].s != s; i++)
		;
	if (i == MAX_SETTINGS) {
		snprintf(why, size, "too many settings");
		return -E2BIG;
	}
	st->v[i].s = s;
	st->v[i].value = v;
	if (i == st->n)
		st->n++;
	return 0;
}

unsigned int settings_get(const struct settings *st, const struct pin_setting *s)
{
	int i;

	for (i = 0; st && i < st->n; i++)
		if (st->v[i].s == s)
			return st->v[i].value;
	return s->def;
}

const __u64 *settings_bits(const struct settings *st, const struct pin_setting *s)
{
	int i;

	for (i = 0; st && i < st->n; i++)
		if (st->v[i].s == s)
			return st->v[i].bits;
	return NULL;
}

const char *settings_text(const struct settings *st, const struct pin_setting *s)
{
	int i;

	for (i = 0; st && i < st->n; i++)
		if (st->v[i].s == s)
			return st->v[i].text;
	return s->kind == PIN_SET_NETNS ? "self" : "auto";
}

const struct pin_setting *settings_find(const struct pin_module_desc *d,
					const char *name)
{
	int i;

	for (i = 0; name && i < d->nsettings; i++)
		if (!strcmp(d->settings[i].name, name))
			return &d->settings[i];
	return NULL;
}
