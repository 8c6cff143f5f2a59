// SPDX-License-Identifier: GPL-2.0
/* fileio.bpf.c: opens, bytes read and written per (cgroup, comm) and per file, at syscall exits */
#include "common.bpf.h"
#include "fileio.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT		00170000
#define S_IFREG		0100000
#define AT_FDCWD	-100
#define O_WRONLY	01
#define O_CREAT		0100
#define O_TRUNC		01000
#define __O_TMPFILE	020000000
#define NAME_MAX	255

/* Set by the loader: fileio.open_events. */
const volatile __u32 cfg_open_events = FILEIO_OPEN_EVENTS_ALL;

BPFPIN_STATS_MAP(cgroups, struct fileio_cgroup_key, struct fileio_stats, FILEIO_CGROUP_ENTRIES);
BPFPIN_STATS_MAP(errnos, struct fileio_errno_key, struct fileio_errno_stats, FILEIO_ERRNO_ENTRIES);
BPFPIN_STATS_LRU(files, struct fileio_file_key, struct fileio_stats, FILEIO_FILE_ENTRIES);
BPFPIN_EVENTS_RING(FILEIO_RING_BYTES);

/* A regular file: what its stats row and its path are found by. */
struct file_id {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct path_value {
	char path[FILEIO_PATH_LEN];
};

/*
 * The path each file was last opened by, resolved at the open: read and
 * write exits find it here rather than walk the dentry chain each time. A
 * file opened before the load (or evicted here) is walked once, at its
 * first read or write.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FILEIO_PATH_ENTRIES);
	__type(key, struct file_id);
	__type(value, struct path_value);
} paths SEC(".maps");

/*
 * Per-CPU room to build a file key in (too big for the stack). A name
 * read at the end of the path may run past it: into spill, never out of
 * the value.
 */

static const struct fileio_stats zero_stats;
static const struct fileio_errno_stats zero_errno;

/* st_dev as user space sees it (the kernel's new_encode_dev()). */
static __always_inline __u32 encode_dev(__u32 dev)
{
	__u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The current task's file at @fd, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xffffff]))
		return NULL;
	return file;
}

/* True for a regular file, whose @id it fills. */
static __always_inline bool inode_id(const struct inode *inode,
				     struct file_id *id)
{
	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return false;
	id->ino = BPF_CORE_READ(inode, i_ino);
	id->dev = encode_dev(BPF_CORE_READ(inode, i_sb, s_dev));
	id->pad = 0;
	return true;
}

/*
 * An offset into a path, masked where the verifier sees it: the compiler
 * would drop a mask the loop makes redundant, but the verifier's bound on
 * the offset is looser than the loop's.
 */
static __always_inline __u32 path_at(__u32 off)
{
	barrier_var(off);
	return off & (FILEIO_PATH_LEN - 1);
}

/*
 * The state of a path walk, in the scratch map, not on the stack: a
 * verifier that checks a bpf_loop() step once, with the caller's stack as
 * it was at the call (6.1), takes the zeroes of a stack state as constants
 * and drops the branches that test them (the depth and length limits).
 */
struct walk {
	struct dentry *d;
	struct mount *mnt;
	__u32 n;		/* names kept in s->names, file first */
	__u32 used;		/* their bytes, a '/' each */
	__u32 fit;		/* how many fit after "..." */
	__u32 off;		/* writing: the next byte of s->key.path */
	bool complete;		/* the walk reached the root */
};

struct scratch {
	struct fileio_file_key key;
	char spill[FILEIO_PATH_LEN];
	const unsigned char *names[FILEIO_MAX_COMPONENTS];
	struct walk w;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* bpf_loop()'s context (on the stack, as 6.1 wants it) */
struct walk_ctx {
	struct scratch *s;
};

/* One step up: a name, or a mount crossed; 1 ends the walk. */
static long walk_step(__u64 i, void *arg)
{
	struct scratch *s = ((struct walk_ctx *)arg)->s;
	struct walk *w = &s->w;
	/* locals: CO-RE must not relocate struct walk's own fields */
	struct dentry *d = w->d, *parent;
	struct mount *mnt = w->mnt, *up;
	__u32 len;

	if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
		up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt) {
			w->complete = true;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->complete = true;	/* a detached tree's top */
		return 1;
	}
	if (w->n >= FILEIO_MAX_COMPONENTS)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	s->names[w->n & (FILEIO_MAX_COMPONENTS - 1)] = BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->used += len + 1;
	if (w->used <= FILEIO_PATH_LEN - 1 - 3)
		w->fit = w->n;
	w->d = parent;
	return 0;
}

/* Write name @i (0: the topmost kept) after a '/'; 1 ends the writing. */
static long write_step(__u64 i, void *arg)
{
	struct scratch *s = ((struct walk_ctx *)arg)->s;
	struct walk *w = &s->w;
	__u32 j = (w->fit - 1 - (__u32)i) & (FILEIO_MAX_COMPONENTS - 1);
	long r;

	if (i >= w->fit || w->off >= FILEIO_PATH_LEN - 1)
		return 1;
	s->key.path[path_at(w->off)] = '/';
	w->off++;
	r = bpf_probe_read_kernel_str(&s->key.path[path_at(w->off)],
				      NAME_MAX + 1, s->names[j]);
	if (r <= 0) {
		bpfpin_drop(DROP_READ);
		return 1;
	}
	w->off += r - 1;
	return 0;
}

/*
 * The path of @file into s->key.path, from its dentry up to the root of
 * the mount tree, crossing mounts as d_path() does; bpf_d_path() is not
 * allowed from tracepoints. At most FILEIO_MAX_COMPONENTS names; a path
 * that is longer, or does not fit in the key, keeps its tail after "...".
 * bpf_loop(): each step is verified once, whatever the path.
 */
static __always_inline void walk_path(struct scratch *s, struct file *file)
{
	struct vfsmount *vmnt = BPF_CORE_READ(file, f_path.mnt);
	struct walk_ctx x = { .s = s };
	struct walk *w = &s->w;

	__builtin_memset(w, 0, sizeof(*w));
	w->d = BPF_CORE_READ(file, f_path.dentry);
	w->mnt = (void *)vmnt - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(FILEIO_MAX_COMPONENTS + 8, walk_step, &x, 0);
	__builtin_memset(s->key.path, 0, sizeof(s->key.path));
	if (w->complete && w->used <= FILEIO_PATH_LEN - 1) {
		w->fit = w->n;
	} else {
		s->key.path[0] = s->key.path[1] = s->key.path[2] = '.';
		w->off = 3;
	}
	bpf_loop(FILEIO_MAX_COMPONENTS, write_step, &x, 0);
	/* a name renamed meanwhile may have run longer than measured */
	if (w->off < FILEIO_PATH_LEN)
		s->key.path[path_at(w->off)] = '\0';
	s->key.path[FILEIO_PATH_LEN - 1] = '\0';
}

/*
 * The stats key of a regular file, in the per-CPU scratch. @opened: the
 * path is (re)resolved and remembered; else the remembered one is used,
 * and a file never seen opened is walked once.
 */
static __always_inline struct fileio_file_key *file_key(struct file *file,
							 const struct file_id *id,
							 bool opened)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct path_value *p;

	if (!s)
		return NULL;
	s->key.ino = id->ino;
	s->key.dev = id->dev;
	s->key.pad = 0;
	if (!opened) {
		p = bpf_map_lookup_elem(&paths, id);
		if (p) {
			__builtin_memcpy(s->key.path, p->path, FILEIO_PATH_LEN);
			return &s->key;
		}
	}
	if (!file)
		return NULL;
	walk_path(s, file);
	bpf_map_update_elem(&paths, id, s->key.path, opened ? BPF_ANY : BPF_NOEXIST);
	return &s->key;
}

static __always_inline struct fileio_stats *cgroup_stats(void)
{
	struct fileio_cgroup_key ck = {};

	ck.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ck.comm, sizeof(ck.comm));
	return bpfpin_stats_slot(&cgroups_slot, &ck, &zero_stats);
}

/* @bytes > 0 read from (or written to) @file, NULL if unknown. */
static __always_inline void count_rw(__u64 bytes, struct file *file, bool write)
{
	__u32 cnt = write ? offsetof(struct fileio_stats, writes) :
			    offsetof(struct fileio_stats, reads);
	__u32 sum = write ? offsetof(struct fileio_stats, bytes_written) :
			    offsetof(struct fileio_stats, bytes_read);
	struct fileio_stats *c = cgroup_stats(), *f = NULL;
	struct fileio_file_key *k;
	struct file_id id;

	if (file && inode_id(BPF_CORE_READ(file, f_inode), &id)) {
		k = file_key(file, &id, false);
		if (k)
			f = bpfpin_lru_slot(&files_slot, &files_inserts, k, &zero_stats);
	}
	bpfpin_add2(c, f, cnt, 1);
	bpfpin_add2(c, f, sum, bytes);
}

/* Syscall argument @n (1-based) of the current task, as it entered. */
static __always_inline long sys_arg(int n)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	switch (n) {
	case 1: return PT_REGS_PARM1_CORE_SYSCALL(regs);
	case 2: return PT_REGS_PARM2_CORE_SYSCALL(regs);
	case 3: return PT_REGS_PARM3_CORE_SYSCALL(regs);
	default: return PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
}

/*
 * read, write and kin returned @ret: their fd is the first argument, from
 * the registers saved at entry (the call does not change them).
 */
static __always_inline int on_rw(long ret, bool write)
{
	if (ret <= 0 || !bpfpin_wanted_current())
		return 0;
	count_rw(ret, fd_file(sys_arg(1)), write);
	return 0;
}

#define RW_EXIT(sc, hook, write)						\
	SEC("tracepoint/syscalls/sys_exit_" #sc)				\
	int sc##_exit(struct trace_event_raw_sys_exit *ctx)			\
	{									\
		return bpfpin_active(hook) ? on_rw(ctx->ret, write) : 0;	\
	}

RW_EXIT(read, FILEIO_HOOK_READ, false)
RW_EXIT(write, FILEIO_HOOK_WRITE, true)
RW_EXIT(pread64, FILEIO_HOOK_PREAD64, false)
RW_EXIT(pwrite64, FILEIO_HOOK_PWRITE64, true)
RW_EXIT(readv, FILEIO_HOOK_READV, false)
RW_EXIT(writev, FILEIO_HOOK_WRITEV, true)
RW_EXIT(preadv, FILEIO_HOOK_PREADV, false)
RW_EXIT(pwritev, FILEIO_HOOK_PWRITEV, true)

/* sendfile(out_fd, in_fd, ...): read from in_fd, written to out_fd. */
static __always_inline int on_sendfile(long ret)
{
	if (ret <= 0 || !bpfpin_wanted_current())
		return 0;
	count_rw(ret, fd_file(sys_arg(2)), false);
	count_rw(ret, fd_file(sys_arg(1)), true);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_sendfile64")
int sendfile64_exit(struct trace_event_raw_sys_exit *ctx)
{
	return bpfpin_active(FILEIO_HOOK_SENDFILE64) ? on_sendfile(ctx->ret) : 0;
}

enum open_kind { K_OPENAT, K_OPENAT2, K_OPEN, K_CREAT };

/* An open returned @ret (an fd, or -errno): count it, remember the path. */
static __always_inline int on_open(struct trace_event_raw_sys_exit *ctx,
				   enum open_kind kind)
{
	long ret = ctx->ret, dfd = AT_FDCWD;
	bool failed = ret < 0 && ret >= -FILEIO_MAX_ERRNO;
	struct fileio_errno_key ek = {};
	struct fileio_errno_stats *es;
	struct fileio_stats *c, *f;
	struct fileio_file_key *k;
	struct open_how how = {};
	struct fileio_event *e;
	struct file_id id = {};
	const char *upath;
	__u32 flags, mode;
	struct file *file;
	long n;

	if (!bpfpin_wanted_current())
		return 0;
	switch (kind) {
	case K_OPENAT:
		dfd = sys_arg(1);
		upath = (const char *)sys_arg(2);
		flags = sys_arg(3);
		mode = sys_arg(4);
		break;
	case K_OPENAT2:
		dfd = sys_arg(1);
		upath = (const char *)sys_arg(2);
		bpf_probe_read_user(&how, sizeof(how), (void *)sys_arg(3));
		flags = how.flags;
		mode = how.mode;
		break;
	case K_OPEN:
		upath = (const char *)sys_arg(1);
		flags = sys_arg(2);
		mode = sys_arg(3);
		break;
	default:
		upath = (const char *)sys_arg(1);
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = sys_arg(2);
		break;
	}
	/* the mode argument means something only when a file may be made */
	if (!(flags & (O_CREAT | __O_TMPFILE)))
		mode = 0;
	c = cgroup_stats();
	if (failed) {
		bpfpin_add2(c, NULL, offsetof(struct fileio_stats, open_errors), 1);
		ek.cgroup_id = bpf_get_current_cgroup_id();
		ek.errno_nr = -ret;
		es = bpfpin_stats_slot(&errnos_slot, &ek, &zero_errno);
		if (es)
			es->open_errors++;
	} else if (ret >= 0) {
		bpfpin_add2(c, NULL, offsetof(struct fileio_stats, opens), 1);
		file = fd_file(ret);
		if (file && inode_id(BPF_CORE_READ(file, f_inode), &id)) {
			k = file_key(file, &id, true);
			f = k ? bpfpin_lru_slot(&files_slot, &files_inserts, k, &zero_stats) : NULL;
			if (f)
				f->opens++;
		}
	} else {
		return 0;
	}
	if (cfg_open_events == FILEIO_OPEN_EVENTS_NONE ||
	    (cfg_open_events == FILEIO_OPEN_EVENTS_FAILED && !failed))
		return 0;
	e = bpfpin_event_reserve(&events, sizeof(*e),
				 failed ? FILEIO_EV_OPEN_FAILED : FILEIO_EV_OPEN);
	if (!e)
		return 0;
	e->ino = id.ino;
	e->dev = id.dev;
	e->syscall_nr = (__u32)ctx->id;
	e->dfd = dfd;
	e->flags = flags;
	e->mode = mode;
	e->fd = failed ? -1 : ret;
	e->errno_nr = failed ? -ret : 0;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	n = bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
	if (n < 0) {
		e->path[0] = '\0';
		bpfpin_drop(DROP_READ);
	}
	/* a full buffer: the path may have gone on */
	e->path_cut = n == sizeof(e->path);
	bpfpin_event_submit(&events, e);
	return 0;
}

#define OPEN_EXIT(sc, hook, kind)						\
	SEC("tracepoint/syscalls/sys_exit_" #sc)				\
	int sc##_exit(struct trace_event_raw_sys_exit *ctx)			\
	{									\
		return bpfpin_active(hook) ? on_open(ctx, kind) : 0;		\
	}

OPEN_EXIT(openat, FILEIO_HOOK_OPENAT, K_OPENAT)
OPEN_EXIT(openat2, FILEIO_HOOK_OPENAT2, K_OPENAT2)
OPEN_EXIT(open, FILEIO_HOOK_OPEN, K_OPEN)
OPEN_EXIT(creat, FILEIO_HOOK_CREAT, K_CREAT)

/*
 * io_uring: a read or write completed with @res bytes, in the submitter's
 * context or its io-wq worker's (same cgroup, comm iou-wrk-*). Auxiliary
 * completions have no request.
 */
static __always_inline int on_uring(void *req, __s32 res)
{
	struct io_kiocb *r = req;
	bool write;

	if (!r || !bpfpin_wanted_current())
		return 0;
	switch (BPF_CORE_READ(r, opcode)) {
	case IORING_OP_READV:
	case IORING_OP_READ_FIXED:
	case IORING_OP_READ:
	case IORING_OP_READ_MULTISHOT:
		write = false;
		break;
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITE:
		write = true;
		break;
	default:
		return 0;
	}
	if (res > 0)
		count_rw(res, BPF_CORE_READ(r, file), write);
	return 0;
}

/*
 * io_uring_complete(ctx, req, cqe) on newer kernels; 6.1's passes the
 * cqe's fields: (ctx, req, user_data, res, cflags, extra1, extra2). The
 * loader sets how many arguments it has here; read through the raw
 * context so one object loads on both (the other branch is never
 * verified).
 */
const volatile __u32 cfg_nargs_io_uring_complete = 3;

static __always_inline int on_uring_ctx(unsigned long long *ctx)
{
	__s32 res;

	if (!bpfpin_active(FILEIO_HOOK_URING_COMPLETE))
		return 0;
	if (cfg_nargs_io_uring_complete >= 7)
		res = (__s32)ctx[3];
	else
		res = BPF_CORE_READ((struct io_uring_cqe *)ctx[2], res);
	return on_uring((void *)ctx[1], res);
}

SEC("tp_btf/io_uring_complete")
int uring_complete_btf(unsigned long long *ctx)
{
	return on_uring_ctx(ctx);
}

SEC("raw_tp/io_uring_complete")
int uring_complete_raw(unsigned long long *ctx)
{
	return on_uring_ctx(ctx);
}

/*
 * A page fault on a file mapping that filemap_fault() serves: mmap'd
 * reads (fault-around maps neighbouring pages without a fault each).
 * Per file only when its path is known: a mapping has no dentry to walk.
 */
static __always_inline int on_fault(struct address_space *mapping)
{
	struct fileio_stats *c, *f = NULL;
	struct fileio_file_key *k;
	struct file_id id;

	if (!bpfpin_wanted_current())
		return 0;
	c = cgroup_stats();
	if (inode_id(BPF_CORE_READ(mapping, host), &id)) {
		k = file_key(NULL, &id, false);
		if (k)
			f = bpfpin_lru_slot(&files_slot, &files_inserts, k, &zero_stats);
	}
	bpfpin_add2(c, f, offsetof(struct fileio_stats, mmap_faults), 1);
	return 0;
}

BPFPIN_HOOK(mm_filemap_fault, filemap_fault, FILEIO_HOOK_FILEMAP_FAULT,
	    struct address_space *mapping COMMA unsigned long index,
	    on_fault(mapping))
