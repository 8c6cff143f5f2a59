/* SPDX-License-Identifier: GPL-2.0 */
/* pin.h: libpin, the one library every bpfpin tool links */
#ifndef __BPFPIN_PIN_H
#define __BPFPIN_PIN_H

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "bpfpin.h"
#include "desc.h"

#define PIN_DEFAULT_ROOT "/sys/fs/bpf/bpfpin"
#define PIN_GROUP "bpfpin"

/* ---- logging (log.c) ---- */

enum pin_log_level {
	PIN_LOG_WARN,
	PIN_LOG_INFO,
	PIN_LOG_DEBUG,
	PIN_LOG_LIBBPF,	/* libbpf's own debug output, shown at -vv */
};

typedef void (*pin_print_fn)(enum pin_log_level level, const char *fmt,
			     va_list ap);

/**
 * pin_set_print() - route every message of the library through @fn
 * @fn: NULL restores the default (warnings to stderr)
 */
void pin_set_print(pin_print_fn fn);
void pin_log(enum pin_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define pin_warn(...) pin_log(PIN_LOG_WARN, __VA_ARGS__)
#define pin_info(...) pin_log(PIN_LOG_INFO, __VA_ARGS__)
#define pin_debug(...) pin_log(PIN_LOG_DEBUG, __VA_ARGS__)

/**
 * pin_tool_log_init() - the tools' print callback: "prog: message" on stderr
 * @prog: the tool's name
 * @verbosity: 0 warnings and info, 1 adds debug, 2 adds libbpf's debug
 */
void pin_tool_log_init(const char *prog, int verbosity);

/** pin_tool_name() - the name pin_tool_log_init() was given */
const char *pin_tool_name(void);

/* ---- command lines (tool.c) ---- */

/*
 * A usage error (bad flag or value, unknown module or profile): exit code 2.
 * Outside errno's range, as libbpf's own error codes are, so that an EINVAL
 * from the kernel is never taken for one.
 */
#define PIN_EUSAGE 4200

/**
 * pin_usage_error() - "prog: message (try 'prog --help')" on stderr
 * Return: -PIN_EUSAGE
 */
int pin_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/**
 * pin_option_error() - one line for what getopt_long refused (set opterr = 0)
 * Return: -PIN_EUSAGE
 */
int pin_option_error(char *const *argv, const char *optstring);
/* Set by SIGINT or SIGTERM once pin_catch_stop_signals() ran. */
extern volatile sig_atomic_t pin_stop;
/** pin_catch_stop_signals() - SIGINT/SIGTERM set pin_stop; SIGPIPE ignored */
void pin_catch_stop_signals(void);

/** pin_print_version() - "prog version (libbpf version)" on stdout */
void pin_print_version(void);
/** pin_parse_count() - a whole number >= 1; Return: 0, or -PIN_EUSAGE after a message */
int pin_parse_count(const char *opt, const char *arg, long *out);
/** pin_parse_wait() - seconds in [0, 86400]; Return: 0, or -PIN_EUSAGE after a message */
int pin_parse_wait(const char *opt, const char *arg, double *out);
/** pin_parse_seconds() - seconds in (0, 86400]; Return: 0, or -PIN_EUSAGE after a message */
int pin_parse_seconds(const char *opt, const char *arg, double *out);

/**
 * pin_select_modules() - the modules named on the command line, or else
 * every module loaded under @root
 * Return: how many; -PIN_EUSAGE (unknown name, printed), -ENOENT
 * (nothing loaded, or no root), -EACCES
 */
struct pin_module_desc;
int pin_select_modules(const char *root, char *const *names, int n,
		       const struct pin_module_desc **out, int max);

/**
 * pin_exit_code() - the exit code of a tool that ends with @err: the one
 * place errors become exit codes
 * @err: 0, -PIN_EUSAGE or a negative errno
 *
 * Return: 0, 2 (-PIN_EUSAGE), 3 (ENOENT), 4 (EACCES, EPERM), 5 (EPROTO),
 * 6 (EBUSY), else 1.
 */
int pin_exit_code(int err);

/**
 * pin_access_hint() - what to do about an errno met opening a pin
 * @flags: PIN_RDONLY when it was opened to be read only
 * Return: " (…)" naming what is needed for EACCES/EPERM, "" otherwise
 */
const char *pin_access_hint(int err, int flags);

/* ---- paths (paths.c) ---- */

/**
 * pin_root_resolve() - the pin root: @opt (--pin-root), else $BPFPIN_ROOT,
 * else the default
 * Return: 0; -PIN_EUSAGE after a message for an empty @opt or a path too
 * long to hold the pins below it
 */
int pin_root_resolve(const char *opt, const char **root);

/**
 * pin_path() - format a path into @buf
 * Return: 0, or -ENAMETOOLONG
 */
int pin_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** pin_is_bpffs() - whether @path lies on a bpf filesystem */
bool pin_is_bpffs(const char *path);

/**
 * pin_check_root() - check that the pin root exists and is on bpffs
 * Return: 0; -ENOENT (missing, or not on bpffs) after one message naming it
 */
int pin_check_root(const char *root);

/**
 * pin_loaded_modules() - names of the modules pinned under @root
 * @names: filled with registry entries, in registry order
 * Return: how many, or a negative errno
 */
int pin_loaded_modules(const char *root, const struct pin_module_desc **names,
		       int max);

/* ---- module registry (registry.c) ---- */

extern const struct pin_module_desc *const pin_modules[];
extern const int pin_nmodules;
extern const char *const pin_profiles[];

/**
 * pin_list_has() - whether @word is an item of @list, whose items are
 * separated by spaces or commas ("default process", "a,b")
 */
bool pin_list_has(const char *list, const char *word);

/** pin_module_find() - the module called @name, or NULL */
const struct pin_module_desc *pin_module_find(const char *name);

/**
 * pin_profile_settings() - the settings profile @profile brings, as
 * "key=value" words ("" for none): minimal's "proc.events=none"
 */
const char *pin_profile_settings(const char *profile);

/**
 * pin_profile_modules() - the modules of profile @profile
 * Return: how many, -EINVAL for an unknown profile
 */
int pin_profile_modules(const char *profile,
			const struct pin_module_desc **out, int max);

/** pin_module_abi_hash() - hash of every shared struct layout of @d */
__u32 pin_module_abi_hash(const struct pin_module_desc *d);

/* ---- pinned objects (obj.c) ---- */

struct pin_module {
	const struct pin_module_desc *desc;
	char dir[PATH_MAX];
	struct bpfpin_meta meta;
	int meta_fd;
	int drops_fd;
};

#define PIN_RDONLY 1

/**
 * pin_obj_kind() - what a BPF fd is: "map", "program", "link" or "unknown"
 */
const char *pin_obj_kind(int fd);

/**
 * pin_prog_type_name() - a program type's name, as libbpf spells it
 * @type: enum bpf_prog_type
 *
 * Also names the types newer than libbpf 1.1 (netfilter).
 * Return: the name, or NULL for a type unknown to this build.
 */
const char *pin_prog_type_name(__u32 type);

/**
 * pin_link_type_name() - a link type's name, as libbpf spells it
 * @type: enum bpf_link_type
 *
 * Also names the types newer than libbpf 1.1 (netfilter, tcx, ...).
 * Return: the name, or NULL for a type unknown to this build.
 */
const char *pin_link_type_name(__u32 type);

/**
 * pin_obj_get() - open the object pinned at @path, without a message
 * Refuses a symlink or a directory at @path (bpf_obj_get would follow one).
 * Return: fd; -EPROTO (not a pin) or the errno of BPF_OBJ_GET, with the
 * cause in @why
 */
int pin_obj_get(const char *path, int flags, char *why, size_t size);

/**
 * pin_map_verify() - check that @fd is a map of this shape named like @path
 * Return: 0, or -EPROTO with the cause in @why ("type hash, expected ...")
 */
int pin_map_verify(int fd, const char *path, __u32 type, __u32 key_size,
		   __u32 value_size, __u32 max_entries, char *why, size_t size);

/**
 * pin_map_open() - open the map pinned at @path and verify its shape
 * @type, @key_size, @value_size: expected; @max_entries: 0 for any
 * @flags: PIN_RDONLY opens read-only
 *
 * Return: fd; -ENOENT (no pin), -EACCES, -EPROTO (not a map, or another
 * type or size), each after one message naming the path.
 */
int pin_map_open(const char *path, __u32 type, __u32 key_size,
		 __u32 value_size, __u32 max_entries, int flags);

/**
 * pin_module__open() - open a pinned module and check its schema
 * Return: 0; -ENOENT (not loaded), -EPROTO (schema or ABI mismatch), ...
 */
int pin_module__open(struct pin_module *m, const char *root,
		     const struct pin_module_desc *d, int flags);
void pin_module__close(struct pin_module *m);

/*
 * A stats map NAME is pinned as NAME_a and NAME_b, two per-CPU hashes, and
 * NAME_slot, the ARRAY_OF_MAPS that names the one the programs write.
 */
struct pin_stats_maps {
	int slot;
	int half[2];
};

/** pin_module__open_stats() - open and verify the three pins of stats map @d */
int pin_module__open_stats(const struct pin_module *m,
			   const struct pin_map_desc *d, int flags,
			   struct pin_stats_maps *s);
void pin_stats_maps__close(struct pin_stats_maps *s);

/**
 * pin_stats_maps__swap() - point the slot at the inactive half
 * Return: the index (0, 1) of the half that was active, now written by no
 * program (the slot update waits for them); or a negative errno
 */
int pin_stats_maps__swap(const struct pin_stats_maps *s);

/**
 * pin_stats_maps__active() - the index (0, 1) of the half the slot names,
 * the one programs write
 * Return: 0, 1, or a negative errno (-EPROTO: the slot names neither)
 */
int pin_stats_maps__active(const struct pin_stats_maps *s);

/**
 * pin_map_is_pinned() - whether the map behind @fd is still the one pinned
 * at @path (a down, or a reload with --reset, replaces it)
 */
bool pin_map_is_pinned(int fd, const char *path);

/** pin_module__drops() - the module's drop counters, summed over CPUs */
int pin_module__drops(const struct pin_module *m, __u64 drops[DROP_NR]);
/** pin_map_is_lru() - whether stats map @d evicts (and so counts evictions) */
bool pin_map_is_lru(const struct pin_map_desc *d);
/**
 * pin_module__evicted() - keys evicted from the module's LRU stats maps
 * @has: set when the module has LRU maps at all
 */
int pin_module__evicted(const struct pin_module *m, __u64 *evicted, bool *has);
/**
 * pin_map_count_keys() - how many keys the map behind @fd holds now
 * @n: the count; the keys counted so far when an error stops it
 * Return: 0 or a negative errno
 */
int pin_map_count_keys(int fd, __u32 key_size, __u64 *n);
/** pin_map_count_keys_max() - pin_map_count_keys(), stopping at @max keys */
int pin_map_count_keys_max(int fd, __u32 key_size, __u64 max, __u64 *n);
/** pin_fd_memlock() - the kernel memory charged to BPF object @fd (fdinfo), or 0 */
__u64 pin_fd_memlock(int fd);

/**
 * pin_module__flush_state() - read the module's flush state (maps/flush)
 * Return: 0, or a negative errno after one message naming the pin
 */
int pin_module__flush_state(const struct pin_module *m,
			    struct bpfpin_flush *st);

extern const char *const pin_drop_names[DROP_NR];

/* ---- per-CPU maps (percpu.c) ---- */

/** pin_ncpus() - possible CPUs, the number of per-CPU copies */
int pin_ncpus(void);

/** pin_percpu_stride() - bytes of one CPU's copy of a @value_size value */
size_t pin_percpu_stride(size_t value_size);

/**
 * pin_field_get() - the number field @f holds in the struct at @data
 * Sizes 1, 2, 4 and 8 bytes; PIN_T_S32 is sign-extended.
 * Return: the value, 0 for any other size
 */
__u64 pin_field_get(const void *data, const struct pin_field *f);

/** pin_field_put() - store @v into field @f of @data, cut to its size */
void pin_field_put(void *data, const struct pin_field *f, __u64 v);

/**
 * pin_value_combine() - add value @v of map @d into @acc, field by field
 * Counters sum, PIN_AGG_MAX fields keep the larger, histograms sum slot by
 * slot. The only rule by which two values combine: per-CPU copies, and
 * keys that merge (both halves of a stats map, one --by group).
 */
void pin_value_combine(const struct pin_map_desc *d, void *acc, const void *v);

/**
 * pin_percpu_reduce() - combine the per-CPU copies of one value
 * @d: the map, whose value fields say sum or max
 * @percpu: pin_ncpus() copies, pin_percpu_stride() apart
 * @out: one value of d->value_size bytes
 *
 * The only place per-CPU values are summed: pin_value_combine() per CPU.
 */
void pin_percpu_reduce(const struct pin_map_desc *d, const void *percpu,
		       void *out);

struct pin_rows {
	size_t n;
	size_t cap;
	unsigned int key_size;
	unsigned int value_size;
	unsigned char *keys;	/* n keys */
	unsigned char *values;	/* n reduced values */
};

/** pin_rows_init() - empty rows for entries of map @d */
void pin_rows_init(struct pin_rows *rows, const struct pin_map_desc *d);

/**
 * pin_map_read() - append every entry of a per-CPU map, values reduced
 * @drain: delete what was read (lookup-and-delete); only for a map no
 *	   program writes any more
 *
 * Uses batch operations where the map supports them, else get_next_key.
 * Return: 0 or a negative errno
 */
int pin_map_read(int fd, const struct pin_map_desc *d, struct pin_rows *rows,
		 bool drain);
/**
 * pin_map_delete_rows() - delete the keys of @rows from a map no program
 * writes any more (an array's slots are written with zeros)
 * Return: 0 or a negative errno
 */
int pin_map_delete_rows(int fd, const struct pin_map_desc *d,
			const struct pin_rows *rows);
void pin_rows_free(struct pin_rows *rows);

/* ---- cgroups and containers (cgroup.c) ---- */

/* ---- filters (filter.c) ---- */

/**
 * pin_cgroup_find() - a cgroup v2 group named by a path (under the
 * mount, "/a/b", or with the mount in front) or a container id (12 to 64
 * hex digits): its id and level
 * Return: 0; -ENOENT (no such cgroup) or -EINVAL, with the cause in @why
 */
int pin_cgroup_find(const char *spec, struct bpfpin_cgroup_ref *ref,
		       char *why, size_t size);
/**
 * pin_filter_set() - set one filter key of module @d in @f: cgroup, pid,
 * comm, uid (comma lists where several make sense), no_system (0 or 1),
 * events (names, "all" or "none"), max_events_per_s (1 to 10^9)
 * Return: 0, or -EINVAL/-ENOENT with the cause in @why (nothing else done)
 */
int pin_filter_set(const struct pin_module_desc *d, struct bpfpin_filter *f,
		   const char *key, const char *value, char *why, size_t size);
/** pin_filter_is_empty() - whether @f filters, selects or limits nothing */
bool pin_filter_is_empty(const struct bpfpin_filter *f);
/**
 * pin_filter_format() - @f as text: "cgroup=/a,/b comm=x events=exec
 * rate=1000/s", or "none"
 */
void pin_filter_format(const struct pin_module_desc *d,
		       const struct bpfpin_filter *f, char *buf, size_t size);
/**
 * pin_module__filter() - the filter in force in module @m (*@set false and
 * @f zeroed when there is none)
 * Return: 0; -ENOENT (no filter map: loaded by an older bpfpin), ...
 */
int pin_module__filter(const struct pin_module *m, struct bpfpin_filter *f,
		       bool *set);

/** pin_cgroup2_mount() - where the cgroup v2 hierarchy is mounted, or NULL */
const char *pin_cgroup2_mount(void);

/**
 * pin_cgroup_path() - the path of cgroup v2 @id, relative to its mount
 * Return: 0, or -ENOENT (gone, or no cgroup v2)
 */
int pin_cgroup_path(__u64 id, char *buf, size_t size);

/**
 * pin_memcg_path() - the path of memory cgroup @id: in the v1 memory
 * hierarchy where one is mounted, else in cgroup v2
 * Return: 0, or -ENOENT
 */
int pin_memcg_path(__u64 id, char *buf, size_t size);

/** pin_syscall_name() - the name of syscall @nr on this architecture, or NULL */
const char *pin_syscall_name(__u64 nr);
/** pin_syscall_nr() - the number of syscall @name on this architecture, or -ENOENT */
int pin_syscall_nr(const char *name);
/**
 * pin_errno_nr() - errno @name ("ENOENT") or number ("2") as a number
 * Return: 1 to 4095; -ENOENT for an unknown name, -EINVAL for a number
 * out of that range
 */
int pin_errno_nr(const char *name);
/** pin_errno_name() - the symbolic name of errno @nr ("ENOENT"), or NULL */
const char *pin_errno_name(__u64 nr);
/**
 * pin_errno_str() - errno @nr as a column shows it: its name, else
 * "errno_<nr>"
 * Return: 0; -ENOENT for 0 (no error), @buf then empty
 */
int pin_errno_str(__u64 nr, char *buf, size_t size);

/**
 * pin_container_id() - the container id in a cgroup path
 * Knows docker, containerd/CRI, cri-o and podman (scope or path forms).
 * Return: true and the 64-hex id in @id, or false
 */
bool pin_container_id(const char *path, char *id, size_t size);

/* ---- output (out.c) ---- */

enum pin_format {
	PIN_FMT_TABLE,	/* "table" for stats, "text" for events */
	PIN_FMT_JSON,
	PIN_FMT_PROM,
	PIN_FMT_HEX,	/* events: text, with content as a hex dump */
};

/** pin_format_parse() - "table", "text", "json", "prom"; -EINVAL otherwise */
int pin_format_parse(const char *s, enum pin_format *fmt);
/**
 * pin_event_format_parse() - the formats of events: "text" (or "table"),
 * "hex", "json"
 * Return: 0, or -EINVAL for any other name
 */
int pin_event_format_parse(const char *s, enum pin_format *fmt);

enum pin_col_type {
	PIN_COL_STR,
	PIN_COL_U64,
	PIN_COL_S64,
	PIN_COL_HIST,	/* struct bpfpin_hist: log2 us slots, sum in ns */
	PIN_COL_DATA,	/* bytes an event captured: pin_val.data, .len */
};

/* Column flags: where a column is left out. */
#define PIN_COL_NO_TABLE	1
#define PIN_COL_NO_PROM		2
#define PIN_COL_BARE		4	/* text records: the value alone, no name= */

struct pin_col {
	const char *name;
	enum pin_col_type type;
	enum pin_role role;
	enum pin_view view;
	unsigned int flags;
	const char *help;
};

struct pin_val {
	bool null;
	__u64 u;
	__s64 s;
	const char *str;
	const struct bpfpin_hist *hist;	/* PIN_COL_HIST */
	const unsigned char *data;	/* PIN_COL_DATA: any bytes, not NUL-ended */
	size_t len;			/* PIN_COL_DATA: bytes at data */
};

struct pin_writer;

/**
 * pin_writer__new() - a writer of @fmt to @out; NULL and errno on failure
 * PIN_FMT_HEX is PIN_FMT_TABLE but for the content of records.
 */
struct pin_writer *pin_writer__new(FILE *out, enum pin_format fmt);
void pin_writer__free(struct pin_writer *w);
/**
 * pin_writer__set_width() - write a table wider than @width columns
 * expanded: a "name  value" line per column, a blank line between rows
 * @width: 0 for no limit. The default is the terminal's width when the
 * output is a terminal (its size, else $COLUMNS, else 80), else no limit.
 */
void pin_writer__set_width(struct pin_writer *w, int width);

/**
 * pin_writer__begin() - start a set of rows with the same columns
 * @module: the module, for Prometheus names and table headings
 * @title: heading of the table
 */
int pin_writer__begin(struct pin_writer *w, const char *module,
		      const char *title, const struct pin_col *cols, int ncols);
int pin_writer__row(struct pin_writer *w, const struct pin_val *vals);
/**
 * pin_writer__measures() - whether this set is a table that can be written
 * row by row: then the caller may pass every row to pin_writer__measure()
 * first, and pin_writer__row() writes each row at once instead of holding
 * them all. A set with histograms (their bars follow the table) is held.
 */
bool pin_writer__measures(const struct pin_writer *w);
/** pin_writer__measure() - the first pass: widen the columns to fit @vals */
int pin_writer__measure(struct pin_writer *w, const struct pin_val *vals);
/** pin_writer__end() - write what the set buffered (table, prom) */
int pin_writer__end(struct pin_writer *w);

/**
 * pin_writer__record() - write one record at once: events. In table format
 * a line "TIME MODULE TYPE PID COMM key=value...". Buffered: the caller
 * flushes (pin_writer__flush) after each batch it drained.
 *
 * A PIN_COL_DATA column (content) is not on that line: text writes it
 * below as text, each byte that is not printable ASCII or a printable
 * UTF-8 character escaped (\\, \t, \r, \n followed by a line break,
 * \xNN), then a newline; hex writes it below as `hexdump -C` does; JSON
 * writes it as the string "<name>" when it is valid UTF-8, else as
 * "<name>_b64", its base64.
 */
int pin_writer__record(struct pin_writer *w, const struct pin_col *cols,
		       const struct pin_val *vals, int ncols);
/** pin_writer__flush() - write out what is buffered; -EPIPE when the pipe closed */
int pin_writer__flush(struct pin_writer *w);

/** pin_format_rfc3339() - UTC time with nanoseconds */
void pin_format_rfc3339(__u64 ns, char *buf, size_t size);
/** pin_format_human() - a value in human units (KiB, ms) per @view */
void pin_format_human(__u64 v, enum pin_view view, char *buf, size_t size);

/* Atomic file output: write to a temporary beside @path, then rename. */
struct pin_output {
	FILE *f;
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

/**
 * pin_output_check() - can @path take an output file: it is a regular file,
 * or missing in an existing directory. Not a device, directory or symbolic
 * link, which the rename would replace. Prints nothing.
 * Return: 0; -EINVAL (not a regular file, empty), or the errno of the
 * directory's lookup, with the reason in @why
 */
int pin_output_check(const char *path, char *why, size_t size);
/**
 * pin_output_open() - a temporary file (mode 0600) beside @path
 * Return: 0; -EINVAL when pin_output_check() refuses @path (after a message)
 */
int pin_output_open(struct pin_output *o, const char *path);
/**
 * pin_output_sync() - flush, sync and close the temporary file, which
 * stays where it is (pin_output_commit() without the rename)
 * Return: 0 or a negative errno; prints nothing
 */
int pin_output_sync(struct pin_output *o);
/** pin_output_commit() - flush, sync and rename into place; closes */
int pin_output_commit(struct pin_output *o);
void pin_output_abort(struct pin_output *o);

/* ---- DNS messages (dns.c) ---- */

struct pin_dns_msg {
	__u16 id;
	bool response;
	__u8 opcode;
	__u8 rcode;
	__u16 qdcount;
	__u16 ancount;
	char qname[1024];	/* dotted; odd bytes as \DDD; "." for the root */
	__u16 qtype;
	__u16 qclass;
};

/**
 * pin_dns_parse() - the header and first question of a DNS message
 * Compression pointers must point backwards (no loops), labels and names
 * keep their RFC 1035 limits, nothing is read past @len.
 * Return: 0, or -EPROTO for a malformed message
 */
int pin_dns_parse(const void *data, size_t len, struct pin_dns_msg *m);

/**
 * pin_keylog_line() - a struct bpfpin_keylog at @data as its SSLKEYLOGFILE
 * line, without a newline: "LABEL <client random> <secret>" in lowercase
 * hex; empty for an unknown label or length
 * Return: the line's length
 */
size_t pin_keylog_line(const void *data, char *buf, size_t size);

/* ---- pcapng output of captured content (pcapng.c) ---- */

struct pin_pcapng;

/**
 * pin_pcapng__new() - a pcapng writer on @f: writes the section header
 * (user application @appl) and one interface, "bpfpin", LINKTYPE_RAW (IP
 * packets, no link header), timestamps in nanoseconds (if_tsresol 9)
 * Return: the writer, or NULL with errno set
 */
struct pin_pcapng *pin_pcapng__new(FILE *f, const char *appl);
void pin_pcapng__free(struct pin_pcapng *p);
/**
 * pin_pcapng_supported() - whether module @d has an event pcapng can
 * write: a PIN_V_CONTENT field, fields `local`, `remote` (16-byte
 * addresses), `local_port`, `remote_port` and `direction` (names, one of
 * them "write": sent from local to remote; any other: received)
 */
bool pin_pcapng_supported(const struct pin_module_desc *d);
/**
 * pin_pcapng__event() - write a raw event's content as one TCP segment of
 * its connection, in stream order per direction. A connection's first
 * event is preceded by a synthesized handshake (the client: the end with
 * an ephemeral port, from 32768, when only one has one; else the end that
 * sent the first byte seen). Bytes seen twice (a write at one end, the read at the other,
 * both captured) are written once; bytes not captured leave a gap in the
 * sequence numbers. Timestamps: the event's, @clock_offset added (boot
 * time to real time, pin_clock_offset()).
 * An event with a PIN_V_KEYLOG field (the tls module's keys) becomes a
 * Decryption Secrets Block holding its SSLKEYLOGFILE line.
 * Return: 1 written, 0 not an event pcapng writes, -EPROTO for a short or
 * malformed event, or the errno of a failed write
 */
int pin_pcapng__event(struct pin_pcapng *p, const struct pin_module_desc *d,
		      const void *data, size_t size, __u64 clock_offset);
/** pin_pcapng__flush() - flush the file; 0 or the first write error */
int pin_pcapng__flush(struct pin_pcapng *p);
/** pin_pcapng__packets() - packets written so far, handshakes included */
__u64 pin_pcapng__packets(const struct pin_pcapng *p);

/* ---- reading a module into records (stats.c, events.c, flush.c) ---- */

/** pin_clock_offset() - CLOCK_REALTIME minus CLOCK_BOOTTIME, in ns */
__u64 pin_clock_offset(void);

enum pin_group_by {
	PIN_BY_NONE,
	PIN_BY_PID,
	PIN_BY_COMM,
	PIN_BY_CGROUP,
	PIN_BY_CONTAINER,
};

int pin_group_by_parse(const char *s, enum pin_group_by *by);

struct pin_stat_opts {
	enum pin_group_by by;
	int top;		/* 0: all rows */
};

/**
 * pin_stats_write() - read the module's stats maps and drops, write them
 * Return: 0 or a negative errno (-PIN_EUSAGE: the map lacks the --by key)
 */
int pin_stats_write(struct pin_writer *w, const struct pin_module *m,
		    const struct pin_stat_opts *o);

/**
 * pin_stats_write_rows() - write the rows of one stats map @d of module @m
 * @rows: entries read from the map (both halves, or one drained half);
 *	  values of keys that merge are combined in place
 *
 * Groups by o->by, sorts, merges equal keys (pin_value_combine()), keeps
 * the o->top heaviest, and writes every column the description gives.
 * Return: 0 or a negative errno (-PIN_EUSAGE: no map of @m has the --by key)
 */
int pin_stats_write_rows(struct pin_writer *w, const struct pin_module *m,
			 const struct pin_map_desc *d, const struct pin_rows *rows,
			 const struct pin_stat_opts *o);


/**
 * pin_drops_write() - write the module's drop counters as a set of rows
 */
int pin_drops_write(struct pin_writer *w, const struct pin_module *m);

/*
 * The last cgroup resolved, with its path and container: rows and events
 * of one cgroup come in runs. A miss is not kept (the cgroup may be newer
 * than the last scan). Zeroed: empty.
 */
struct pin_cgroup_cache {
	__u64 id;
	bool valid;
	bool has_ctr;
	char path[PATH_MAX];
	char ctr[80];
};

/* Bytes of column strings one row or event holds (paths, names, text). */
#define PIN_ROW_ARENA 16384

/*
 * What filling the columns of one row takes besides its bytes: the cgroup
 * cache, the DNS question of the row (parsed once, whichever of its
 * columns asks first) and the arena the row's strings are written into.
 * Zero it before its first row.
 */
struct pin_fill_ctx {
	struct pin_cgroup_cache cg;
	const void *dns_of;	/* the capture dns was parsed from, this row */
	bool dns_ok;
	struct pin_dns_msg dns;
	size_t used;
	char arena[PIN_ROW_ARENA];
};

/* Event decoding for bpfpin-events: columns and values of one event. */
#define PIN_EVENT_MAX_COLS 40

/* Zero it before the first pin_event_decode(), then reuse it. */
struct pin_event_row {
	struct pin_col cols[PIN_EVENT_MAX_COLS];
	struct pin_val vals[PIN_EVENT_MAX_COLS];
	int n;
	__u32 pid;
	bool has_container;
	const char *container;
	char time[40];
	char comm[BPFPIN_COMM_LEN + 1];
	struct pin_fill_ctx fill;	/* what vals point to */
};

/**
 * pin_event_decode() - turn a raw event of module @d into columns
 * The strings @r points to stay valid until its next decode; a content
 * field's data (PIN_V_CONTENT: columns len, total, truncated, and data of
 * type PIN_COL_DATA) points into @data itself.
 * Return: 0, or -EPROTO for an unknown type, a short event, or content
 * whose len bytes the event does not hold (or len > total)
 */
int pin_event_decode(const struct pin_module_desc *d, const void *data,
		     size_t size, __u64 clock_offset, struct pin_event_row *r);

/* ---- flush transactions (flush.c) ---- */

/*
 * A flush of one or more modules, driven by the tool in steps so that the
 * counts it takes out of the kernel are either delivered or kept:
 *
 *	f = pin_flush__new();
 *	pin_flush__begin(f, m, wait)	per module: lock it, open its maps
 *	pin_flush__write(f, w, o)	finish what a dead flusher left, swap,
 *					read the old halves; write the rows
 *					and drops
 *	output file: pin_output_sync(), pin_flush__ready(f, tmp, dst),
 *		rename (the commit); stdout: fflush without error
 *	pin_flush__end(f)		empty the old halves: the flush is done
 *	on a failed output: pin_flush__abort(f) (before removing tmp): the
 *		counts stay for the next flush
 *	pin_flush__free(f)		unlock
 *
 * The state lives in each module's `flush` map (struct bpfpin_flush).
 */
struct pin_flush;

/** pin_flush__new() - an empty flush; NULL and errno on failure */
struct pin_flush *pin_flush__new(void);

/**
 * pin_flush__begin() - add module @m (opened read-write, kept open until
 * pin_flush__free()) to the flush
 * @wait_s: how long to wait for another flusher's lock (0: not at all)
 *
 * Takes `<module>/locks/flush` and opens the module's flush state and
 * stats maps; nothing changes before pin_flush__write().
 * Return: 0; -EBUSY (lock held past @wait_s), -EINTR (SIGINT/SIGTERM while
 * waiting), -E2BIG (too many modules or maps), or another negative errno,
 * each after one message
 */
int pin_flush__begin(struct pin_flush *f, const struct pin_module *m,
		     double wait_s);

/**
 * pin_flush__write() - per module, complete a flush its last flusher left
 * (rename an output that was ready, or empty halves already delivered;
 * halves not delivered are delivered by this flush instead of a swap), else
 * swap every stats map; read the halves no program writes; then write every
 * module's rows and drops to @w
 * Return: 0 or a negative errno (after a message, except the writer's)
 */
int pin_flush__write(struct pin_flush *f, struct pin_writer *w,
		     const struct pin_stat_opts *o);

/**
 * pin_flush__ready() - record in every module that the synced output @tmp
 * is to be renamed to @dst: from here a flusher that dies has delivered,
 * the next flush redoes the rename. Relative paths are made absolute.
 * Return: 0 or a negative errno (-ENAMETOOLONG past BPFPIN_FLUSH_PATH)
 */
int pin_flush__ready(struct pin_flush *f, const char *tmp, const char *dst);

/**
 * pin_flush__end() - the output is delivered: empty the old halves, count
 * the keys drained, and mark the flush done
 * Return: 0 or a negative errno (the next flush finishes the emptying)
 */
int pin_flush__end(struct pin_flush *f);

/**
 * pin_flush__abort() - the output failed: undo pin_flush__ready() (call it
 * before removing the temporary file) and keep the counts where the next
 * flush, or a plain read, finds them
 */
void pin_flush__abort(struct pin_flush *f);

/** pin_flush__free() - unlock and release; NULL is fine */
void pin_flush__free(struct pin_flush *f);

/**
 * pin_flush_delivered_half() - the half of stats map @s that a cumulative
 * read must skip: one a flush delivered and has not emptied yet
 * Return: 0 or 1, or -1 when both halves count
 */
int pin_flush_delivered_half(const struct pin_module *m,
			     const struct pin_stats_maps *s);

/* ---- locks (lock.c) ---- */

/**
 * pin_lock() - take the exclusive lock @path: a directory only root can
 * open (0700, root's), flocked, so that no member of group bpfpin can
 * hold it. Created with its parent (0700) when missing, if euid is 0.
 * @wait_s: how long to wait for a holder (0: not at all); SIGINT/SIGTERM
 *	    (pin_catch_stop_signals()) end the wait
 * @what: what the lock guards, for the message ("flush of module 'proc'")
 *
 * On -EBUSY one line names @what, the lock, the holder's pid and comm (from
 * /proc/locks), and, when @wait_s > 0, the hint "(--wait SECONDS waits
 * longer)".
 * Return: an fd to close to unlock; -EBUSY, -EINTR, -EPROTO (a symlink, not
 * a directory, or a directory others could open), -EACCES (not root), each
 * after one message
 */
int pin_lock(const char *path, double wait_s, const char *what);

/**
 * pin_lock_holder() - the process holding the flock on @path, from /proc/locks
 * Return: 0 and @pid, @comm ("?" when gone); -ENOENT when nobody holds it
 */
int pin_lock_holder(const char *path, int *pid, char *comm, size_t size);

#endif /* __BPFPIN_PIN_H */
