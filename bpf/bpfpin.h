/* SPDX-License-Identifier: GPL-2.0 */
/* bpfpin.h: the structs and constants every module shares with user space */
#ifndef __BPFPIN_H
#define __BPFPIN_H

#define BPFPIN_COMM_LEN 16
#define BPFPIN_VERSION_LEN 16

#define BPFPIN_MAX_HOOKS 16

/*
 * meta: ARRAY[1] written by the loader. Programs compare `gate` with their
 * own generation first and stand aside when it is not theirs: that lets a
 * reload attach new programs beside the old ones, then switch with one map
 * update. The gate is one byte so a program never sees it half-written.
 */
struct bpfpin_meta {
	__u32 schema_version;
	__u32 abi_hash;
	__u64 load_time_ns;	/* CLOCK_REALTIME when the module was loaded */
	__u32 generation;	/* of the programs that count; 0: none yet */
	__u32 hooks_missing;	/* bit i: optional hook i is not attached */
	char loader_version[BPFPIN_VERSION_LEN];
	__u8 gate;		/* generation & 0xff, what programs compare */
	__u8 pad[7];
};

/*
 * handoff: PERCPU_ARRAY[BPFPIN_MAX_HOOKS] of __u32, (generation << 1) |
 * counted, written by every program for the event it just saw. During a
 * reload the old and the new program run back to back for each event, old
 * first, on one CPU; the new one reads what the old one decided, so an event
 * that meets the gate flip between the two is still counted once.
 */
#define BPFPIN_HANDOFF(gen, counted) ((((__u32)(gen) & 0xff) << 1) | (counted))

/* drops: PERCPU_ARRAY[DROP_NR] of __u64, indexed by reason */
#define DROP_RINGBUF	0	/* ring buffer full: event not recorded */
#define DROP_MAP_FULL	1	/* stats map full: increment not recorded */
#define DROP_READ	2	/* a kernel read failed: field left empty */
#define DROP_RATE	3	/* refused by a rate limit */
#define DROP_NR		4

/*
 * flush: ARRAY[1] of struct bpfpin_flush, the state of a module's flush
 * transaction, written by `bpfpin-stat --flush` under the module's flush
 * lock and never touched by programs. In IDLE the half of every stats map
 * that the slot does not name is empty; a flush swaps (SWAPPED), writes
 * its output (READY once an output file is synced: the rename delivers
 * it), then empties the old halves (DELETING) and returns to IDLE. A
 * flusher that dies leaves a phase the next flush completes.
 */
#define BPFPIN_FLUSH_IDLE	0
#define BPFPIN_FLUSH_SWAPPED	1	/* old halves hold undelivered counts */
#define BPFPIN_FLUSH_READY	2	/* tmp, synced, is renamed to dst */
#define BPFPIN_FLUSH_DELETING	3	/* old halves delivered: empty them */

#define BPFPIN_MAX_STATS_MAPS	8
#define BPFPIN_FLUSH_PATH	1024
#define BPFPIN_MODULE_NAME_LEN	16

struct bpfpin_flush {
	__u64 seq;		/* flushes completed */
	__u32 phase;		/* BPFPIN_FLUSH_* */
	__u32 nmaps;		/* stats maps of the module when it swapped */
	/* keys drained from each LRU stats map (by its index in the module's
	 * description), for counting evictions */
	__u64 drained[BPFPIN_MAX_STATS_MAPS];
	/* READY: the module whose READY decides a flush of several modules
	 * (written last); the synced output and where its rename puts it */
	char coord[BPFPIN_MODULE_NAME_LEN];
	char tmp[BPFPIN_FLUSH_PATH];
	char dst[BPFPIN_FLUSH_PATH];
};

/*
 * filter: HASH[1] (key 0) of struct bpfpin_filter, written by the loader
 * (`up`, `filter`) in one update; no entry: no filter. A hash, not an
 * array: an update swaps in a new element, so a program reads the old
 * filter or the new one, never half of each. Programs apply it after the
 * gate, where they decide to count (common.bpf.h, bpfpin_wanted_*()).
 */
#define BPFPIN_FILTER_CGROUPS	8
#define BPFPIN_FILTER_PIDS	8
#define BPFPIN_FILTER_SYSTEM	2

#define BPFPIN_F_CGROUP		(1u << 0)	/* in cgroups[] or below */
#define BPFPIN_F_PID		(1u << 1)	/* process (tgid) in pids[] */
#define BPFPIN_F_COMM		(1u << 2)
#define BPFPIN_F_UID		(1u << 3)
#define BPFPIN_F_NO_SYSTEM	(1u << 4)	/* see bpfpin_wanted_task() */
/* the filters that need a task: modules without one refuse them */
#define BPFPIN_F_TASK		(BPFPIN_F_PID | BPFPIN_F_COMM | BPFPIN_F_UID)

/* A cgroup v2 group: its id (the directory's inode) and depth (root 0). */
struct bpfpin_cgroup_ref {
	__u64 id;
	__u32 level;
	__u32 pad;
};

struct bpfpin_filter {
	__u32 flags;		/* BPFPIN_F_*: the tests in force, all must pass */
	__u32 ncgroups;
	struct bpfpin_cgroup_ref cgroups[BPFPIN_FILTER_CGROUPS];
	/* no_system: /init.scope and /system.slice where they exist (id 0:
	 * none), resolved when the filter was written */
	struct bpfpin_cgroup_ref system[BPFPIN_FILTER_SYSTEM];
	__u32 pids[BPFPIN_FILTER_PIDS];
	__u32 npids;
	__u32 uid;
	char comm[BPFPIN_COMM_LEN];
	__u64 events_off;	/* bit t: events of type t are not emitted */
	__u32 max_events_per_s;	/* per CPU; 0: no limit */
	__u32 pad;
};

/*
 * ratelimit: PERCPU_ARRAY[1] of struct bpfpin_bucket, the token bucket of
 * the module's events on each CPU, kept in nanoseconds of credit: an event
 * costs 10^9 / max_events_per_s, the credit grows with time up to one
 * second's worth (the burst is one second of budget).
 */
struct bpfpin_bucket {
	__u64 credit_ns;
	__u64 last_ns;
};

/* Every event starts with this header; `type` selects the rest. */
struct bpfpin_event_hdr {
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;	/* cgroup v2 id of the task */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u16 type;
	__u16 pad0;
	__u32 pad1;
	char comm[BPFPIN_COMM_LEN];
};

/* Who owned something when it began: events seen later, in softirq
 * context, are reported as theirs rather than whoever ran then. */
struct bpfpin_owner {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	char comm[BPFPIN_COMM_LEN];
};

/*
 * A log2 histogram of durations: slot i counts values of v whole
 * microseconds with 2^(i-1) < v <= 2^i (slot 0: v <= 1), so every slot has
 * an exact upper bound, the `le` of a Prometheus bucket. `sum_ns` is the
 * values' exact sum in nanoseconds (a sum of whole microseconds made every
 * sub-microsecond mean 0). BPFPIN_HIST_LAYOUT names this layout and its
 * units in the ABI hash of every histogram field: change it with them.
 */
#define BPFPIN_HIST_SLOTS 32
#define BPFPIN_HIST_LAYOUT "sum_ns:u64,slots:u64[32]:log2_us"

struct bpfpin_hist {
	__u64 sum_ns;
	__u64 slots[BPFPIN_HIST_SLOTS];
};

/* A DNS message as captured: its first bytes and its whole length. */
#define BPFPIN_DNS_CAPTURE 256

struct bpfpin_dns_capture {
	__u16 len;		/* of the whole message; data holds up to 256 */
	__u8 data[BPFPIN_DNS_CAPTURE];
	__u8 pad[6];
};

/*
 * Content an event carries (a shell line, TLS plaintext, a query): `len`
 * bytes follow this header at the event's end, and the event submitted is
 * only as long as what was captured (its description's size stops where
 * the data begins). `total` is what the call carried; total - len bytes
 * were not captured, and the module counts them in its stats
 * (`truncated_bytes`). Every module with content sizes it by the setting
 * `<module>.capture_bytes` (BPF constant cfg_capture_bytes).
 */
struct bpfpin_content {
	__u32 len;		/* bytes captured, following this header */
	__u32 total;		/* bytes the call carried */
};

/*
 * A TLS secret as an SSLKEYLOGFILE line holds it (NSS key log format):
 * the label, the connection's client random, the secret. Readers write it
 * as that line (PIN_V_KEYLOG: the column `keylog`).
 */
#define BPFPIN_KEYLOG_CLIENT_RANDOM	0	/* TLS 1.2: the master secret */
#define BPFPIN_KEYLOG_CLIENT_TRAFFIC_0	1	/* TLS 1.3 */
#define BPFPIN_KEYLOG_SERVER_TRAFFIC_0	2
#define BPFPIN_KEYLOG_EXPORTER		3
#define BPFPIN_KEYLOG_SECRET		64	/* a secret's most bytes */

struct bpfpin_keylog {
	__u32 label;		/* BPFPIN_KEYLOG_* */
	__u32 len;		/* bytes of secret used */
	__u8 client_random[32];
	__u8 secret[BPFPIN_KEYLOG_SECRET];
};

#endif /* __BPFPIN_H */
