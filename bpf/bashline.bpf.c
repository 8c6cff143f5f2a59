// SPDX-License-Identifier: GPL-2.0
/* bashline.bpf.c: each line bash's readline or zsh's line editor returns, as an event and a count */
#include "common.bpf.h"
#include "bashline.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 cfg_capture_bytes = BASHLINE_CAPTURE_DEF;
const volatile __u32 cfg_interactive_only = 0;

BPFPIN_STATS_MAP(stats, struct bashline_key, struct bashline_stats, BASHLINE_STATS_ENTRIES);
BPFPIN_EVENTS_RING(BASHLINE_RING_BYTES);

/* Where an event and its line are put together: root-only, as the ring. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bashline_scratch);
} scratch SEC(".maps");

/*
 * zleentry(ZLE_CMD_READ, ...) calls in progress, by thread: the stack
 * pointer at entry, so that the return matched is that call's, not a
 * nested zleentry's (which may return another string).
 */
#define ZLE_CMD_READ 1

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} zle_reads SEC(".maps");

static const struct bashline_stats zero_stats;

/*
 * The length of the line past its first @cap bytes, up to 64 x 255 more;
 * *@nl: whether its last byte, if any, is a newline.
 */
static __always_inline __u32 rest_len(struct bashline_scratch *s, const char *p,
				      bool *nl)
{
	__u32 total = 0;
	long n;
	int i;

	for (i = 0; i < 64; i++) {
		n = bpf_probe_read_user_str(s->rest, sizeof(s->rest), p);
		if (n <= 1)
			break;
		total += n - 1;
		*nl = s->rest[(n - 2) & (sizeof(s->rest) - 1)] == '\n';
		if (n < (long)sizeof(s->rest))
			break;
		p += n - 1;
	}
	return total;
}

static __always_inline int on_line(const char *line)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0, cap = cfg_capture_bytes, len, total;
	struct bashline_key key = {};
	struct bashline_scratch *s;
	struct bashline_stats *st;
	struct tty_struct *tty;
	bool nl;
	__u64 id;
	long n;

	if (!line || !bpfpin_wanted_current())
		return 0;
	tty = BPF_CORE_READ(t, signal, tty);
	if (cfg_interactive_only && !tty)
		return 0;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	if (cap > BASHLINE_CAPTURE_MAX)
		cap = BASHLINE_CAPTURE_MAX;
	/* up to cap bytes and the NUL */
	n = bpf_probe_read_user_str(s->data, cap + 1, line);
	if (n <= 0) {
		bpfpin_drop(DROP_READ);
		return 0;
	}
	len = n - 1;
	total = len;
	nl = len && len <= BASHLINE_CAPTURE_MAX &&
	     s->data[(len - 1) & (BASHLINE_CAPTURE_MAX - 1)] == '\n';
	if (len >= cap)
		total += rest_len(s, line + cap, &nl);
	/* zsh's line ends with its newline, readline's does not: not counted */
	if (nl) {
		if (total == len)
			len--;
		total--;
	}

	key.cgroup_id = bpf_get_current_cgroup_id();
	key.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(key.shell, sizeof(key.shell));
	st = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (st) {
		st->lines++;
		st->bytes += total;
		st->truncated_bytes += total - len;
	}
	if (!bpfpin_event_allowed(BASHLINE_EV_LINE))
		return 0;
	id = bpf_get_current_pid_tgid();
	s->e.hdr.ts_ns = bpf_ktime_get_boot_ns();
	s->e.hdr.cgroup_id = key.cgroup_id;
	s->e.hdr.pid = id >> 32;
	s->e.hdr.tid = (__u32)id;
	s->e.hdr.type = BASHLINE_EV_LINE;
	s->e.hdr.pad0 = 0;
	s->e.hdr.pad1 = 0;
	__builtin_memcpy(s->e.hdr.comm, key.shell, sizeof(s->e.hdr.comm));
	s->e.uid = key.uid;
	s->e.pad = 0;
	__builtin_memset(s->e.tty, 0, sizeof(s->e.tty));
	if (tty)
		BPF_CORE_READ_STR_INTO(&s->e.tty, tty, name);
	s->e.content.len = len;
	s->e.content.total = total;
	if (len > BASHLINE_CAPTURE_MAX)
		return 0;	/* for the verifier: never */
	bpfpin_event_output(&events, s, sizeof(s->e) + len);
	return 0;
}

/* bash (its own readline) and libreadline: the line, malloc'd, or NULL at EOF */
SEC("uretprobe")
int BPF_KRETPROBE(readline_ret, const char *line)
{
	if (!bpfpin_active(BASHLINE_HOOK_READLINE))
		return 0;
	return on_line(line);
}

/* zsh: zleentry(cmd, ...) serves several commands; only ZLE_CMD_READ returns a line */
SEC("uprobe")
int BPF_KPROBE(zle_enter, int cmd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 sp = PT_REGS_SP(ctx);

	if (bpfpin_active(BASHLINE_HOOK_ZLE_ENTER) && cmd == ZLE_CMD_READ)
		bpf_map_update_elem(&zle_reads, &tid, &sp, BPF_ANY);
	return 0;
}

/* at the return, the return address is popped: the stack pointer is 8 up */
SEC("uretprobe")
int BPF_KRETPROBE(zle_ret, const char *line)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *sp;

	if (!bpfpin_active(BASHLINE_HOOK_ZLE))
		return 0;
	sp = bpf_map_lookup_elem(&zle_reads, &tid);
	if (!sp || *sp + 8 != PT_REGS_SP(ctx))
		return 0;
	bpf_map_delete_elem(&zle_reads, &tid);
	return on_line(line);
}
