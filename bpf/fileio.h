/* SPDX-License-Identifier: GPL-2.0 */
/* fileio.h: opens, failed opens, bytes read and written per cgroup and per file */
#ifndef __BPFPIN_FILEIO_H
#define __BPFPIN_FILEIO_H

#include "bpfpin.h"

#define FILEIO_SCHEMA_VERSION	1
#define FILEIO_CGROUP_ENTRIES	4096	/* (cgroup, comm) */
#define FILEIO_ERRNO_ENTRIES	4096	/* (cgroup, errno) */
/* fileio.file_entries: LRU, per CPU: key 272 B + 56 B x CPUs, x 2 halves */
#define FILEIO_FILE_ENTRIES	2048
#define FILEIO_PATH_ENTRIES	8192	/* (dev, ino) -> path, LRU, shared by the CPUs */
#define FILEIO_RING_BYTES	(1 << 20)
#define FILEIO_PATH_LEN		256	/* path bytes kept, NUL included */
#define FILEIO_MAX_COMPONENTS	16	/* dentry names walked up from a file */
#define FILEIO_MAX_ERRNO	4095

/* fileio.open_events */
#define FILEIO_OPEN_EVENTS_NONE		0
#define FILEIO_OPEN_EVENTS_FAILED	1
#define FILEIO_OPEN_EVENTS_ALL		2

struct fileio_cgroup_key {
	__u64 cgroup_id;
	char comm[BPFPIN_COMM_LEN];
};

struct fileio_errno_key {
	__u64 cgroup_id;
	__u32 errno_nr;		/* -return value of the failed open */
	__u32 pad;
};

struct fileio_errno_stats {
	__u64 open_errors;
};

/*
 * A regular file: its device and inode, and the path its last open was
 * seen with (resolved from the dentry chain, so absolute); a path that
 * does not start with '/' was cut at the front ("..." then the tail).
 */
struct fileio_file_key {
	__u64 ino;
	__u32 dev;		/* st_dev as stat(2) shows it */
	__u32 pad;
	char path[FILEIO_PATH_LEN];
};

struct fileio_stats {
	__u64 opens;		/* opens that returned an fd */
	__u64 open_errors;	/* opens that failed (per cgroup only) */
	__u64 reads;		/* reads that returned > 0 bytes */
	__u64 bytes_read;
	__u64 writes;		/* writes that returned > 0 bytes */
	__u64 bytes_written;
	__u64 mmap_faults;	/* page faults served by filemap_fault */
};

enum fileio_event_type {
	FILEIO_EV_OPEN = 1,
	FILEIO_EV_OPEN_FAILED,
};

struct fileio_event {
	struct bpfpin_event_hdr hdr;
	__u64 ino;		/* open: the file opened (0: not known) */
	__u32 dev;
	__u32 syscall_nr;	/* openat, openat2, open or creat */
	__s32 dfd;		/* directory fd a relative path starts from
				 * (-100: AT_FDCWD) */
	__u32 flags;		/* O_* as passed (creat: O_CREAT|O_WRONLY|O_TRUNC) */
	__u32 mode;
	__s32 fd;		/* open: the fd returned */
	__u32 errno_nr;		/* open_failed: -return value */
	__u8 path_cut;		/* the path was longer than 255 bytes */
	__u8 pad[3];
	char path[FILEIO_PATH_LEN];	/* as passed to the call */
};

/*
 * A hook's index in fileio_hooks[], which is also the slot in `handoff`
 * its programs pass to bpfpin_active(): one name for both.
 */
enum fileio_hook {
	FILEIO_HOOK_OPENAT,
	FILEIO_HOOK_OPENAT2,
	FILEIO_HOOK_OPEN,
	FILEIO_HOOK_CREAT,
	FILEIO_HOOK_READ,
	FILEIO_HOOK_WRITE,
	FILEIO_HOOK_PREAD64,
	FILEIO_HOOK_PWRITE64,
	FILEIO_HOOK_READV,
	FILEIO_HOOK_WRITEV,
	FILEIO_HOOK_PREADV,
	FILEIO_HOOK_PWRITEV,
	FILEIO_HOOK_SENDFILE64,
	FILEIO_HOOK_URING_COMPLETE,
	FILEIO_HOOK_FILEMAP_FAULT,
	FILEIO_HOOK_NR
};
_Static_assert(FILEIO_HOOK_NR <= BPFPIN_MAX_HOOKS, "fileio: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

_Static_assert(sizeof(struct fileio_stats) % 8 == 0, "fileio: stats padded to 8 bytes");

static const struct pin_field fileio_cgroup_key_fields[] = {
	PIN_LABELLED(struct fileio_cgroup_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id"),
	PIN_KEY(struct fileio_cgroup_key, comm, PIN_T_STR, PIN_V_PLAIN, "command name"),
};

static const struct pin_field fileio_stat_fields[] = {
	PIN_COUNTER(struct fileio_stats, opens,
		"Opens (openat, openat2, open, creat) that returned an fd."),
	PIN_COUNTER(struct fileio_stats, open_errors, "Opens that failed."),
	PIN_COUNTER(struct fileio_stats, reads,
		"Reads that returned data: read, pread64, readv, preadv, sendfile's source, "
		"io_uring reads; any kind of fd."),
	PIN_FIELD(struct fileio_stats, bytes_read, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"Bytes those reads returned."),
	PIN_COUNTER(struct fileio_stats, writes,
		"Writes that wrote data: write, pwrite64, writev, pwritev, sendfile's "
		"destination, io_uring writes; any kind of fd."),
	PIN_FIELD(struct fileio_stats, bytes_written, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"Bytes those writes wrote."),
	PIN_COUNTER(struct fileio_stats, mmap_faults,
		"Page faults on file mappings served by filemap_fault (mmap'd reads; "
		"fault-around pages not counted)."),
};

static const struct pin_field fileio_errno_key_fields[] = {
	PIN_LABELLED(struct fileio_errno_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"cgroup v2 id"),
	PIN_LABELLED(struct fileio_errno_key, errno_nr, PIN_T_U32, PIN_V_ERRNO, "errno",
		"errno number"),
};

static const struct pin_field fileio_errno_stat_fields[] = {
	PIN_COUNTER(struct fileio_errno_stats, open_errors, "Opens that failed with this errno."),
};

static const struct pin_field fileio_file_key_fields[] = {
	PIN_KEY(struct fileio_file_key, dev, PIN_T_U32, PIN_V_PLAIN, "device (st_dev)"),
	PIN_KEY(struct fileio_file_key, ino, PIN_T_U64, PIN_V_PLAIN, "inode number"),
	PIN_KEY(struct fileio_file_key, path, PIN_T_STR, PIN_V_PLAIN,
		"path of the last open seen (from the dentry chain)"),
};

/* regular files only; a failed open has no file */
static const struct pin_field fileio_file_stat_fields[] = {
	PIN_COUNTER(struct fileio_stats, opens, "Opens of this file that returned an fd."),
	PIN_COUNTER(struct fileio_stats, reads, "Reads of this file that returned data."),
	PIN_FIELD(struct fileio_stats, bytes_read, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"Bytes read from this file."),
	PIN_COUNTER(struct fileio_stats, writes, "Writes to this file that wrote data."),
	PIN_FIELD(struct fileio_stats, bytes_written, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES,
		"Bytes written to this file."),
	PIN_COUNTER(struct fileio_stats, mmap_faults,
		"Page faults on mappings of this file served by filemap_fault."),
};

static const struct pin_map_desc fileio_maps[] = {
	{ .name = "cgroups", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct fileio_cgroup_key),
	  .value_size = sizeof(struct fileio_stats),
	  .keys = fileio_cgroup_key_fields, .nkeys = PIN_LEN(fileio_cgroup_key_fields),
	  .values = fileio_stat_fields, .nvalues = PIN_LEN(fileio_stat_fields),
	  .entries_setting = "stats_entries" },
	{ .name = "errnos", .type = BPF_MAP_TYPE_PERCPU_HASH,
	  .key_size = sizeof(struct fileio_errno_key),
	  .value_size = sizeof(struct fileio_errno_stats),
	  .keys = fileio_errno_key_fields, .nkeys = PIN_LEN(fileio_errno_key_fields),
	  .values = fileio_errno_stat_fields, .nvalues = PIN_LEN(fileio_errno_stat_fields),
	  .entries_setting = "errno_entries" },
	{ .name = "files", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct fileio_file_key),
	  .value_size = sizeof(struct fileio_stats),
	  .keys = fileio_file_key_fields, .nkeys = PIN_LEN(fileio_file_key_fields),
	  .values = fileio_file_stat_fields, .nvalues = PIN_LEN(fileio_file_stat_fields),
	  .entries_setting = "file_entries" },
};

static const char *const fileio_cut[] = { "no", "yes" };

#define FILEIO_OPEN_COMMON_FIELDS \
	PIN_LABELLED(struct fileio_event, syscall_nr, PIN_T_U32, PIN_V_SYSCALL, "syscall", \
		"syscall number"), \
	PIN_EV(struct fileio_event, path, PIN_T_STR, PIN_V_PLAIN, "path as passed"), \
	{ .name = "path_cut", .offset = offsetof(struct fileio_event, path_cut), \
	  .size = 1, .type = PIN_T_U8, .role = PIN_ROLE_LABEL, \
	  .view = PIN_V_NAMES, .help = "the path was longer than 255 bytes", \
	  .names = fileio_cut, .nnames = PIN_LEN(fileio_cut) }, \
	PIN_EV(struct fileio_event, dfd, PIN_T_S32, PIN_V_PLAIN, \
		"directory fd a relative path starts from (-100: the working directory)"), \
	PIN_EV(struct fileio_event, flags, PIN_T_U32, PIN_V_PLAIN, "open flags (O_*)"), \
	PIN_EV(struct fileio_event, mode, PIN_T_U32, PIN_V_PLAIN, \
		"mode for a created file (0 without O_CREAT or O_TMPFILE)")

static const struct pin_field fileio_open_fields[] = {
	FILEIO_OPEN_COMMON_FIELDS,
	PIN_EV(struct fileio_event, fd, PIN_T_S32, PIN_V_PLAIN, "the fd returned"),
	PIN_EV(struct fileio_event, dev, PIN_T_U32, PIN_V_PLAIN,
		"device (st_dev) of the file opened"),
	PIN_EV(struct fileio_event, ino, PIN_T_U64, PIN_V_PLAIN, "inode of the file opened"),
};

static const struct pin_field fileio_open_failed_fields[] = {
	FILEIO_OPEN_COMMON_FIELDS,
	PIN_LABELLED(struct fileio_event, errno_nr, PIN_T_U32, PIN_V_ERRNO, "errno",
		"errno number"),
};

#define FILEIO_EVENT(t, n, f) \
	{ .type = t, .name = n, .size = sizeof(struct fileio_event), \
	  .fields = f, .nfields = PIN_LEN(f) }

static const struct pin_event_desc fileio_events[] = {
	FILEIO_EVENT(FILEIO_EV_OPEN, "open", fileio_open_fields),
	FILEIO_EVENT(FILEIO_EV_OPEN_FAILED, "open_failed", fileio_open_failed_fields),
};

/*
 * One classic tracepoint per syscall, at exit: the arguments come from the
 * task's saved registers, so no enter hook and no per-task state. The
 * others see what the syscalls do not: io_uring completions and faults on
 * file mappings.
 */
static const struct pin_hook fileio_hooks[] = {
	[FILEIO_HOOK_OPENAT] = { "sys_exit_openat", { "openat_exit" } },
	[FILEIO_HOOK_OPENAT2] = { "sys_exit_openat2", { "openat2_exit" }, .optional = true },
	[FILEIO_HOOK_OPEN] = { "sys_exit_open", { "open_exit" }, .optional = true },
	[FILEIO_HOOK_CREAT] = { "sys_exit_creat", { "creat_exit" }, .optional = true },
	[FILEIO_HOOK_READ] = { "sys_exit_read", { "read_exit" } },
	[FILEIO_HOOK_WRITE] = { "sys_exit_write", { "write_exit" } },
	[FILEIO_HOOK_PREAD64] = { "sys_exit_pread64", { "pread64_exit" }, .optional = true },
	[FILEIO_HOOK_PWRITE64] = { "sys_exit_pwrite64", { "pwrite64_exit" }, .optional = true },
	[FILEIO_HOOK_READV] = { "sys_exit_readv", { "readv_exit" }, .optional = true },
	[FILEIO_HOOK_WRITEV] = { "sys_exit_writev", { "writev_exit" }, .optional = true },
	[FILEIO_HOOK_PREADV] = { "sys_exit_preadv", { "preadv_exit" }, .optional = true },
	[FILEIO_HOOK_PWRITEV] = { "sys_exit_pwritev", { "pwritev_exit" }, .optional = true },
	[FILEIO_HOOK_SENDFILE64] = { "sys_exit_sendfile64", { "sendfile64_exit" },
				     .optional = true },
	[FILEIO_HOOK_URING_COMPLETE] = { "io_uring_complete", { "uring_complete_btf",
		"uring_complete_raw" }, .optional = true },
	[FILEIO_HOOK_FILEMAP_FAULT] = { "mm_filemap_fault", { "filemap_fault_btf",
		"filemap_fault_raw" }, .optional = true },
};
_Static_assert(PIN_LEN(fileio_hooks) == FILEIO_HOOK_NR, "fileio: a hook without a table entry");

static const struct pin_setting fileio_settings[] = {
	{ "open_events", "which opens are events: 0 none, 1 failed ones, 2 all",
	  FILEIO_OPEN_EVENTS_ALL, 0, 2 },
	{ "file_entries", "regular files kept (LRU; evictions are counted)",
	  FILEIO_FILE_ENTRIES, 64, 1 << 20 },
	{ "stats_entries", "(cgroup, comm) rows kept (a full map counts map_full)",
	  FILEIO_CGROUP_ENTRIES, 64, 1 << 20 },
	{ "errno_entries", "(cgroup, errno) rows kept (a full map counts map_full)",
	  FILEIO_ERRNO_ENTRIES, 64, 1 << 20 },
};

static const struct pin_module_desc fileio_module = {
	.name = "fileio",
	.filter_task = true,
	.summary = "opens with path, flags and fd or errno; failed opens by errno; bytes read "
		"and written per cgroup and per regular file (device, inode, path)",
	.schema_version = FILEIO_SCHEMA_VERSION,
	.profiles = "fileio",
	.notes = "syscall exits of openat/openat2/open/creat, "
		"read/write/pread64/pwrite64/readv/writev/preadv/pwritev and sendfile64, "
		"io_uring completions and filemap faults; not seen: preadv2/pwritev2, splice, "
		"copy_file_range, writes through shared mappings, 32-bit compat calls, reads the "
		"kernel does itself (exec, swap); per-file rows for regular files only, their "
		"path from the dentry chain (16 components at most)",
	.maps = fileio_maps, .nmaps = PIN_LEN(fileio_maps),
	.events = fileio_events, .nevents = PIN_LEN(fileio_events),
	.hooks = fileio_hooks, .nhooks = PIN_LEN(fileio_hooks),
	.settings = fileio_settings, .nsettings = PIN_LEN(fileio_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_FILEIO_H */
