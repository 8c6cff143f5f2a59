// SPDX-License-Identifier: GPL-2.0
/* seccomp.bpf.c: seccomp denials: kill and trap from their SIGSYS, the others from the filters' verdict */
#include "common.bpf.h"
#include "seccomp.h"

char LICENSE[] SEC("license") = "GPL";

BPFPIN_STATS_MAP(stats, struct seccomp_key, struct seccomp_stats, SECCOMP_STATS_ENTRIES);
BPFPIN_EVENTS_RING(SECCOMP_RING_BYTES);

#define SIGSYS		31
#define SYS_SECCOMP	1
/* kernel-internal (linux/signal_types.h): a forced signal's locked action */
#define SA_IMMUTABLE	0x00800000

static const struct seccomp_stats zero_stats;

/*
 * force_sig_seccomp() raises SIGSYS in the offending task. For kill actions
 * it forces the default action and marks it SA_IMMUTABLE before sending
 * (HANDLER_EXIT); a trap leaves the task's handler alone.
 */
static __always_inline int on_signal(int sig, struct kernel_siginfo *info,
				     struct task_struct *task)
{
	struct seccomp_key key = {};
	struct seccomp_event *e;
	struct seccomp_stats *s;
	unsigned long flags;

	if (sig != SIGSYS || BPF_CORE_READ(info, si_code) != SYS_SECCOMP ||
	    !bpfpin_wanted_task(task))
		return 0;
	flags = BPF_CORE_READ(task, sighand, action[SIGSYS - 1].sa.sa_flags);
	key.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	key.syscall_nr = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	key.action = flags & SA_IMMUTABLE ? SECCOMP_ACTION_KILL : SECCOMP_ACTION_TRAP;
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->denials++;
	e = bpfpin_event_reserve(&events, sizeof(*e), SECCOMP_EV_DENIAL);
	if (!e)
		return 0;
	e->syscall_nr = key.syscall_nr;
	e->action = key.action;
	e->arch = BPF_CORE_READ(info, _sifields._sigsys._arch);
	e->data = BPF_CORE_READ(info, si_errno);
	bpfpin_event_submit(&events, e);
	return 0;
}

BPFPIN_HOOK(signal_generate, sigsys, SECCOMP_HOOK_SIGSYS,
	    int sig COMMA struct kernel_siginfo *info COMMA struct task_struct *task COMMA
	    int group COMMA int result,
	    on_signal(sig, info, task))

/*
 * The other actions (errno, trace, log, user-notify) raise no signal: where
 * the kernel lets a kprobe or fentry program on __seccomp_filter() run, the
 * verdict is computed again here, as seccomp_run_filters() does: every
 * filter of the task, run by the classic-BPF interpreter below on the same
 * struct seccomp_data, the lowest action winning. The filters' original
 * instructions are kept by the kernel (bpf_prog.orig_prog) when it is built
 * with CONFIG_CHECKPOINT_RESTORE, as distribution kernels are; without them
 * nothing is counted here. Kill and trap stay with the SIGSYS program.
 */
#define SECCOMP_RET_KILL_PROCESS	0x80000000U
#define SECCOMP_RET_KILL_THREAD		0x00000000U
#define SECCOMP_RET_TRAP		0x00030000U
#define SECCOMP_RET_ERRNO		0x00050000U
#define SECCOMP_RET_USER_NOTIF		0x7fc00000U
#define SECCOMP_RET_TRACE		0x7ff00000U
#define SECCOMP_RET_LOG			0x7ffc0000U
#define SECCOMP_RET_ALLOW		0x7fff0000U
#define SECCOMP_RET_ACTION_FULL		0xffff0000U
#define SECCOMP_RET_DATA		0x0000ffffU
#define AUDIT_ARCH_X86_64		0xc000003eU
#define AUDIT_ARCH_I386			0x40000003U
#define TS_COMPAT			0x0002
#define SECCOMP_MAX_FILTERS		32	/* filters of one task looked at */
#define CBPF_MAX_INSNS			4096	/* BPF_MAXINSNS */

/* classic BPF opcodes (linux/filter.h) */
#define CBPF_CLASS(c)	((c) & 0x07)
#define CBPF_LD		0x00
#define CBPF_LDX	0x01
#define CBPF_ST		0x02
#define CBPF_STX	0x03
#define CBPF_ALU	0x04
#define CBPF_JMP	0x05
#define CBPF_RET	0x06
#define CBPF_MISC	0x07
#define CBPF_MODE(c)	((c) & 0xe0)
#define CBPF_IMM	0x00
#define CBPF_ABS	0x20
#define CBPF_MEM	0x60
#define CBPF_LEN	0x80
#define CBPF_OP(c)	((c) & 0xf0)
#define CBPF_SRC(c)	((c) & 0x08)
#define CBPF_X		0x08
#define CBPF_RVAL(c)	((c) & 0x18)
#define CBPF_A		0x10

/* struct seccomp_data as the 16 words a filter loads */
#define SECCOMP_DATA_WORDS	16

struct cbpf_run {
	const struct sock_filter *insns;
	__u32 len;
	__u32 pc;
	__u32 a, x;
	__u32 mem[16];
	__u32 ret;
	__u32 done;
	__u32 data[SECCOMP_DATA_WORDS];
};

/* bpf_loop()'s context must be on the stack (6.1): it points at the state */
struct cbpf_ctx {
	struct cbpf_run *r;
};

/* One instruction; 1 ends the run (a return, or an invalid program). */
static long cbpf_step(__u32 i, void *arg)
{
	struct cbpf_run *r = ((struct cbpf_ctx *)arg)->r;
	struct sock_filter in;
	__u32 src, pc = r->pc;
	bool jump;

	if (pc >= r->len || bpf_probe_read_kernel(&in, sizeof(in), &r->insns[pc])) {
		r->ret = SECCOMP_RET_KILL_THREAD;	/* the kernel refuses such a program */
		r->done = 1;
		return 1;
	}
	r->pc = pc + 1;
	src = CBPF_SRC(in.code) == CBPF_X ? r->x : in.k;
	switch (CBPF_CLASS(in.code)) {
	case CBPF_RET:
		r->ret = CBPF_RVAL(in.code) == CBPF_A ? r->a : in.k;
		r->done = 1;
		return 1;
	case CBPF_LD:
	case CBPF_LDX:
		switch (CBPF_MODE(in.code)) {
		case CBPF_ABS:
			src = r->data[(in.k >> 2) & (SECCOMP_DATA_WORDS - 1)];
			break;
		case CBPF_LEN:
			src = SECCOMP_DATA_WORDS * 4;
			break;
		case CBPF_MEM:
			src = r->mem[in.k & 15];
			break;
		default:
			src = in.k;
		}
		if (CBPF_CLASS(in.code) == CBPF_LD)
			r->a = src;
		else
			r->x = src;
		return 0;
	case CBPF_ST:
		r->mem[in.k & 15] = r->a;
		return 0;
	case CBPF_STX:
		r->mem[in.k & 15] = r->x;
		return 0;
	case CBPF_MISC:
		if (in.code & 0x80)	/* BPF_TXA */
			r->a = r->x;
		else			/* BPF_TAX */
			r->x = r->a;
		return 0;
	case CBPF_ALU:
		switch (CBPF_OP(in.code)) {
		case 0x00: r->a += src; break;
		case 0x10: r->a -= src; break;
		case 0x20: r->a *= src; break;
		case 0x30:
		case 0x90:
			if (!src) {	/* division by zero: the program returns 0 */
				r->ret = 0;
				r->done = 1;
				return 1;
			}
			r->a = CBPF_OP(in.code) == 0x30 ? r->a / src : r->a % src;
			break;
		case 0x40: r->a |= src; break;
		case 0x50: r->a &= src; break;
		case 0x60: r->a = src < 32 ? r->a << src : 0; break;
		case 0x70: r->a = src < 32 ? r->a >> src : 0; break;
		case 0x80: r->a = -r->a; break;
		case 0xa0: r->a ^= src; break;
		}
		return 0;
	case CBPF_JMP:
		switch (CBPF_OP(in.code)) {
		case 0x00:	/* BPF_JA */
			r->pc += in.k;
			return 0;
		case 0x10: jump = r->a == src; break;
		case 0x20: jump = r->a > src; break;
		case 0x30: jump = r->a >= src; break;
		default: jump = (r->a & src) != 0; break;	/* BPF_JSET */
		}
		r->pc += jump ? in.jt : in.jf;
		return 0;
	}
	return 0;
}

/* the interpreter's state: too big for the stack, one per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cbpf_run);
} cbpf_scratch SEC(".maps");

/*
 * The struct seccomp_data the filters see: @sd when the caller built one,
 * else what populate_seccomp_data() takes from the task's registers.
 */
static __always_inline bool seccomp_data_of(const struct seccomp_data *sd,
					    int nr, __u32 *w)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u64 args[6];
	__u32 arch;
	int i;

	if (sd)
		return !bpf_probe_read_kernel(w, SECCOMP_DATA_WORDS * 4, sd);
#if defined(__TARGET_ARCH_x86)
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return false;
	if (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT) {
		arch = AUDIT_ARCH_I386;
		args[0] = (__u32)BPF_CORE_READ(regs, bx);
		args[1] = (__u32)BPF_CORE_READ(regs, cx);
		args[2] = (__u32)BPF_CORE_READ(regs, dx);
		args[3] = (__u32)BPF_CORE_READ(regs, si);
		args[4] = (__u32)BPF_CORE_READ(regs, di);
		args[5] = (__u32)BPF_CORE_READ(regs, bp);
	} else {
		arch = AUDIT_ARCH_X86_64;
		args[0] = BPF_CORE_READ(regs, di);
		args[1] = BPF_CORE_READ(regs, si);
		args[2] = BPF_CORE_READ(regs, dx);
		args[3] = BPF_CORE_READ(regs, r10);
		args[4] = BPF_CORE_READ(regs, r8);
		args[5] = BPF_CORE_READ(regs, r9);
	}
	w[0] = nr;
	w[1] = arch;
	*(__u64 *)&w[2] = BPF_CORE_READ(regs, ip);
	for (i = 0; i < 6; i++)
		*(__u64 *)&w[4 + 2 * i] = args[i];
	return true;
#else
	return false;	/* registers of other architectures: not done */
#endif
}

/* The cached "always allowed" bit of the newest filter (5.11+), if set. */
static __always_inline bool seccomp_cached_allow(struct seccomp_filter *f,
						 __u32 arch, int nr)
{
	unsigned long word = 0;
	__u32 bits;

	if (!bpf_core_field_exists(f->cache) || nr < 0)
		return false;
	bits = bpf_core_field_size(f->cache.allow_native) * 8;
	if ((__u32)nr >= bits)
		return false;
	if (arch == AUDIT_ARCH_X86_64)
		bpf_core_read(&word, sizeof(word), &f->cache.allow_native[nr / 64]);
	else if (arch == AUDIT_ARCH_I386)
		bpf_core_read(&word, sizeof(word), &f->cache.allow_compat[nr / 64]);
	return word & (1UL << (nr % 64));
}

static __always_inline int on_verdict(int nr, const struct seccomp_data *sd,
				      bool recheck)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct seccomp_filter *f = BPF_CORE_READ(t, seccomp.filter);
	struct cbpf_run *r;
	struct sock_fprog_kern *orig;
	struct seccomp_key key = {};
	struct seccomp_event *e;
	struct seccomp_stats *s;
	__u32 ret = SECCOMP_RET_ALLOW, action, cur, i, j, zero = 0;
	struct cbpf_ctx ctx;

	/* a trace action checked again after the tracer ran: counted once */
	if (recheck || !f || !bpfpin_wanted_current())
		return 0;
	r = bpf_map_lookup_elem(&cbpf_scratch, &zero);
	if (!r || !seccomp_data_of(sd, nr, r->data))
		return 0;
	if (seccomp_cached_allow(f, r->data[1], nr))
		return 0;
	for (i = 0; i < SECCOMP_MAX_FILTERS && f; i++) {
		orig = BPF_CORE_READ(f, prog, orig_prog);
		if (!orig)
			return 0;	/* no original instructions kept */
		r->insns = BPF_CORE_READ(orig, filter);
		r->len = BPF_CORE_READ(orig, len);
		r->pc = 0;
		r->a = r->x = 0;
		for (j = 0; j < 16; j++)
			r->mem[j] = 0;
		r->done = 0;
		r->ret = SECCOMP_RET_KILL_THREAD;
		ctx.r = r;
		bpf_loop(r->len < CBPF_MAX_INSNS ? r->len : CBPF_MAX_INSNS, cbpf_step, &ctx, 0);
		if (!r->done)
			return 0;
		cur = r->ret;
		/* the lowest action wins, compared as signed (ACTION_ONLY) */
		if ((int)(cur & SECCOMP_RET_ACTION_FULL) < (int)(ret & SECCOMP_RET_ACTION_FULL))
			ret = cur;
		f = BPF_CORE_READ(f, prev);
	}
	action = ret & SECCOMP_RET_ACTION_FULL;
	switch (action) {
	case SECCOMP_RET_ERRNO:
		key.action = SECCOMP_ACTION_ERRNO;
		break;
	case SECCOMP_RET_TRACE:
		key.action = SECCOMP_ACTION_TRACE;
		break;
	case SECCOMP_RET_LOG:
		key.action = SECCOMP_ACTION_LOG;
		break;
	case SECCOMP_RET_USER_NOTIF:
		key.action = SECCOMP_ACTION_USER_NOTIF;
		break;
	default:
		return 0;	/* allowed, or kill/trap: the SIGSYS program's */
	}
	key.cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	key.syscall_nr = nr;
	s = bpfpin_stats_slot(&stats_slot, &key, &zero_stats);
	if (s)
		s->denials++;
	e = bpfpin_event_reserve(&events, sizeof(*e), SECCOMP_EV_DENIAL);
	if (!e)
		return 0;
	e->syscall_nr = nr;
	e->action = key.action;
	e->arch = r->data[1];
	e->data = ret & SECCOMP_RET_DATA;
	bpfpin_event_submit(&events, e);
	return 0;
}

SEC("fentry/__seccomp_filter")
int BPF_PROG(verdict_fentry, int this_syscall, const struct seccomp_data *sd,
	     const bool recheck_after_trace)
{
	return bpfpin_active(SECCOMP_HOOK_VERDICT) ?
	       on_verdict(this_syscall, sd, recheck_after_trace) : 0;
}

SEC("kprobe/__seccomp_filter")
int BPF_KPROBE(verdict_kprobe, int this_syscall, const struct seccomp_data *sd,
	       bool recheck_after_trace)
{
	return bpfpin_active(SECCOMP_HOOK_VERDICT) ?
	       on_verdict(this_syscall, sd, recheck_after_trace) : 0;
}
