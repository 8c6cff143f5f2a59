// SPDX-License-Identifier: GPL-2.0
/* sql.bpf.c: MariaDB/MySQL and PostgreSQL queries from uprobes on the server binaries */
#include "common.bpf.h"
#include "sql.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 cfg_capture_bytes = SQL_CAPTURE_BYTES;

BPFPIN_STATS_LRU(statements, struct sql_stmt_key, struct sql_stats, SQL_STATEMENT_ENTRIES);
BPFPIN_EVENTS_RING(SQL_RING_BYTES);

/*
 * A query running in a server thread (MariaDB) or backend (PostgreSQL),
 * from its start to its end, keyed by the thread's pid_tgid. The event is
 * built in place; its text follows it, as the ring record wants it.
 */
struct inflight {
	struct sql_stmt_key key;
	__u64 start_ns;
	__u32 depth;		/* MariaDB: nested dispatch_command() calls */
	__u32 pad;
	struct sql_event ev;
	char data[SQL_CAPTURE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SQL_INFLIGHT_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

/*
 * A connection: MariaDB's by its THD's address (from its login to
 * THD::~THD()), PostgreSQL's by its backend's pid (from InitPostgres()).
 * LRU: an entry whose end was not seen (a crash) must not stay for good.
 */
struct session {
	char database[SQL_DB_LEN];
	char user[SQL_USER_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SQL_SESSION_ENTRIES);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

/* mysql_change_db()'s arguments, kept for its return (by pid_tgid) */
struct pending_use {
	__u64 thd;
	char database[SQL_DB_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pending_use);
} pending_use SEC(".maps");

/* where a PostgreSQL text longer than SQL_CAPTURE_MAX is measured */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[SQL_CAPTURE_MAX]);
} scratch SEC(".maps");

static const struct inflight zero_inflight;
static const struct sql_stats zero_stats;
static const struct session zero_session;

/*
 * Normalization, one input byte per bpf_loop() step: string and number
 * literals become `?`, runs of blanks one space (none at either end);
 * identifiers, quoted ones too, operators and keywords stay as typed.
 * MariaDB strings take backslash escapes and "..." is a string there; in
 * PostgreSQL "..." is an identifier (standard_conforming_strings).
 */
enum norm_state {
	N_CODE,
	N_NUMBER,
	N_STRING,	/* inside a string literal, quote in `quote` */
	N_STRING_ESC,	/* after a backslash in one */
	N_STRING_END,	/* after its closing quote: a doubled quote goes on */
	N_IDENT,	/* inside a quoted identifier, verbatim */
};

struct norm {
	__u32 n;		/* input bytes in in->data */
	__u32 o;		/* output bytes in in->key.statement */
	__u8 state;
	__u8 quote;
	__u8 word;		/* the last byte was part of a word */
	__u8 space;		/* a blank waits to be written */
	__u8 mariadb;
	__u8 exp;		/* the last byte of a number was e or E */
	__u8 pad[2];
};

/*
 * The state lives in a map, not on the stack: a verifier that checks a
 * bpf_loop() step once, with the caller's stack as it was at the call
 * (6.1), takes a stack state's zeroes as constants and drops the branches
 * that depend on them; a map value's bytes are unknown to it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct norm);
} norm_state SEC(".maps");

/* bpf_loop()'s context (on the stack, as 6.1 wants it): the state */
struct norm_ctx {
	struct norm *s;
	struct inflight *in;
};

static __always_inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static __always_inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static __always_inline bool is_word(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '$' || (__u8)c >= 0x80;
}

/* An index into the statement, masked where the verifier sees it. */
static __always_inline __u32 stmt_at(__u32 o)
{
	barrier_var(o);
	return o & (SQL_STMT_LEN - 1);
}

/* Write @c; 1 once the statement is full (the last byte stays NUL). */
static __always_inline long put(struct norm_ctx *x, char c)
{
	struct norm *s = x->s;

	if (s->space && s->o) {
		if (s->o >= SQL_STMT_LEN - 1)
			return 1;
		x->in->key.statement[stmt_at(s->o)] = ' ';
		s->o++;
	}
	s->space = 0;
	if (s->o >= SQL_STMT_LEN - 1)
		return 1;
	x->in->key.statement[stmt_at(s->o)] = c;
	s->o++;
	return 0;
}

static long norm_step(__u64 i, void *arg)
{
	struct norm_ctx *x = arg;
	struct norm *s = x->s;
	char c;

	if (i >= s->n)
		return 1;
	c = x->in->data[i & (SQL_CAPTURE_MAX - 1)];
	switch (s->state) {
	case N_STRING:
		if (c == '\\' && s->mariadb)
			s->state = N_STRING_ESC;
		else if (c == s->quote)
			s->state = N_STRING_END;
		return 0;
	case N_STRING_ESC:
		s->state = N_STRING;
		return 0;
	case N_STRING_END:
		if (c == s->quote) {
			s->state = N_STRING;
			return 0;
		}
		break;
	case N_IDENT:
		if (c == s->quote)
			s->state = N_CODE;
		return put(x, c);
	case N_NUMBER:
		if (is_word(c) || c == '.' ||
		    (s->exp && (c == '+' || c == '-'))) {
			s->exp = c == 'e' || c == 'E';
			return 0;
		}
		break;
	}
	/* code, or the byte that ended a literal */
	s->state = N_CODE;
	if (is_blank(c)) {
		s->space = 1;
		s->word = 0;
		return 0;
	}
	if (c == '\'' || (c == '"' && s->mariadb)) {
		s->state = N_STRING;
		s->quote = c;
		s->word = 0;
		return put(x, '?');
	}
	if (is_digit(c) && !s->word) {
		s->state = N_NUMBER;
		s->exp = 0;
		return put(x, '?');
	}
	if (c == '`' || (c == '"' && !s->mariadb)) {
		s->state = N_IDENT;
		s->quote = c;
		s->word = 0;
		return put(x, c);
	}
	s->word = is_word(c);
	return put(x, c);
}

static __always_inline void normalize(struct inflight *in, __u32 n, bool mariadb)
{
	struct norm_ctx x = { .in = in };
	__u32 zero = 0;

	x.s = bpf_map_lookup_elem(&norm_state, &zero);
	if (!x.s)
		return;
	__builtin_memset(x.s, 0, sizeof(*x.s));
	x.s->n = n;
	x.s->mariadb = mariadb;
	bpf_loop(SQL_CAPTURE_MAX, norm_step, &x, 0);
}

/* A new query of the current thread, zeroed, or NULL (one is running). */
static __always_inline struct inflight *start(__u64 id)
{
	struct inflight *in;

	if (bpf_map_update_elem(&inflight, &id, &zero_inflight, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&inflight, &id))
			bpfpin_drop(DROP_MAP_FULL);
		return NULL;
	}
	in = bpf_map_lookup_elem(&inflight, &id);
	if (!in)
		return NULL;
	in->key.cgroup_id = bpf_get_current_cgroup_id();
	return in;
}

/* The text's length as the event keeps it. */
static __always_inline __u32 kept(__u32 read)
{
	__u32 cap = cfg_capture_bytes;

	return read < cap ? read : cap;
}

/* The end: count the statement, emit the event, forget the query. */
static __always_inline void finish(struct inflight *in, __u64 id)
{
	__u64 now = bpf_ktime_get_ns(), latency = now - in->start_ns;
	struct sql_event *e = &in->ev;
	struct sql_stats *s;
	__u32 len, size;

	e->latency_ns = latency;
	len = e->query.len;
	s = bpfpin_lru_slot(&statements_slot, &statements_inserts, &in->key, &zero_stats);
	if (s) {
		s->calls++;
		s->errors += e->result == SQL_RESULT_ERROR;
		if (e->query.total > len) {
			s->truncated++;
			s->truncated_bytes += e->query.total - len;
		}
		bpfpin_hist_add_ns(&s->latency, latency);
	}
	if (bpfpin_event_allowed(SQL_EV_QUERY)) {
		e->hdr.ts_ns = bpf_ktime_get_boot_ns();
		e->hdr.cgroup_id = in->key.cgroup_id;
		e->hdr.pid = id >> 32;
		e->hdr.tid = (__u32)id;
		e->hdr.type = SQL_EV_QUERY;
		bpf_get_current_comm(e->hdr.comm, sizeof(e->hdr.comm));
		if (len > SQL_CAPTURE_MAX)
			len = 0;
		size = sizeof(*e) + len;
		bpfpin_event_output(&events, e, size);
	}
	bpf_map_delete_elem(&inflight, &id);
}

/* MariaDB: dispatch_command(command, THD *, packet, packet_length, blocking) */
SEC("uprobe")
int BPF_KPROBE(my_dispatch, int command, void *thd, const char *packet,
	       unsigned int packet_len)
{
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)thd;
	struct session *sess;
	struct inflight *in;
	__u64 n = packet_len;

	if (!bpfpin_active(SQL_HOOK_MY_DISPATCH))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (in) {
		in->depth++;	/* a command run from within one, of any kind */
		return 0;
	}
	if (command != SQL_COM_QUERY && command != SQL_COM_STMT_PREPARE &&
	    command != SQL_COM_STMT_EXECUTE && command != SQL_COM_INIT_DB)
		return 0;
	if (!bpfpin_wanted_current())
		return 0;
	in = start(id);
	if (!in)
		return 0;
	in->key.server = in->ev.server = SQL_SERVER_MARIADB;
	in->key.command = in->ev.command = command;
	in->key.server_pid = in->ev.server_pid = id >> 32;
	in->ev.conn_id = (__u32)id;
	sess = bpf_map_lookup_elem(&sessions, &key);
	if (sess) {
		__builtin_memcpy(in->key.database, sess->database, SQL_DB_LEN);
		__builtin_memcpy(in->ev.database, sess->database, SQL_DB_LEN);
	}
	if (command != SQL_COM_STMT_EXECUTE) {
		/* barriers: the clamped copy is the one the verifier checks */
		barrier_var(n);
		if (n > SQL_CAPTURE_MAX)
			n = SQL_CAPTURE_MAX;
		barrier_var(n);
		if (n && bpf_probe_read_user(in->data, n, packet))
			n = 0;
		in->ev.query.total = packet_len;
		in->ev.query.len = kept(n);
		if (command != SQL_COM_INIT_DB)
			normalize(in, n, true);
	}
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(my_dispatch_ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *in;

	if (!bpfpin_active(SQL_HOOK_MY_DISPATCH_RET))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (!in)
		return 0;
	if (in->depth) {
		in->depth--;
		return 0;
	}
	finish(in, id);
	return 0;
}

/*
 * MariaDB: Protocol::net_send_error_packet(this, THD *, sql_errno,
 * message, sqlstate): the error a command ends with, as the client gets
 * it (Protocol::send_error() is inlined into Protocol::end_statement())
 */
SEC("uprobe")
int BPF_KPROBE(my_error, void *protocol, void *thd, unsigned int sql_errno)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *in;

	if (!bpfpin_active(SQL_HOOK_MY_ERROR))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (in && in->ev.result != SQL_RESULT_ERROR) {
		in->ev.result = SQL_RESULT_ERROR;
		in->ev.error_code = sql_errno;
	}
	return 0;
}

struct lex_cstring {
	const char *str;
	__u64 length;
};

/* MariaDB: mysql_change_db(THD *, const LEX_CSTRING *new_db, force_switch) */
SEC("uprobe")
int BPF_KPROBE(my_use, void *thd, const struct lex_cstring *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_use p = { .thd = (__u64)thd };
	struct lex_cstring s = {};

	if (!bpfpin_active(SQL_HOOK_MY_USE))
		return 0;
	if (name && !bpf_probe_read_user(&s, sizeof(s), name) && s.str && s.length)
		bpf_probe_read_user_str(p.database, sizeof(p.database), s.str);
	bpf_map_update_elem(&pending_use, &id, &p, BPF_ANY);
	return 0;
}

/* its return: false when the database changed */
SEC("uretprobe")
int BPF_KRETPROBE(my_use_ret, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_use *p;
	struct session *sess;

	if (!bpfpin_active(SQL_HOOK_MY_USE_RET))
		return 0;
	p = bpf_map_lookup_elem(&pending_use, &id);
	if (!p)
		return 0;
	if (!(ret & 0xff)) {
		sess = bpf_map_lookup_elem(&sessions, &p->thd);
		if (!sess) {
			bpf_map_update_elem(&sessions, &p->thd, &zero_session, BPF_NOEXIST);
			sess = bpf_map_lookup_elem(&sessions, &p->thd);
		}
		if (sess)
			__builtin_memcpy(sess->database, p->database, SQL_DB_LEN);
	}
	bpf_map_delete_elem(&pending_use, &id);
	return 0;
}

/*
 * MariaDB: acl_authenticate(THD *, ...), each login (and COM_CHANGE_USER):
 * the connection starts with no database; mysql_change_db() within sets
 * the one it asks for. MariaDB 10.4+ keeps THDs in the thread cache, so a
 * THD outlives its connection: its entry is reset here, not made by
 * THD::THD().
 */
SEC("uprobe")
int BPF_KPROBE(my_login, void *thd)
{
	__u64 key = (__u64)thd;

	if (!bpfpin_active(SQL_HOOK_MY_LOGIN))
		return 0;
	bpf_map_update_elem(&sessions, &key, &zero_session, BPF_ANY);
	return 0;
}

/* MariaDB: THD::~THD(this) */
SEC("uprobe")
int BPF_KPROBE(my_thd_free, void *thd)
{
	__u64 key = (__u64)thd;

	if (!bpfpin_active(SQL_HOOK_MY_THD_FREE))
		return 0;
	bpf_map_delete_elem(&sessions, &key);
	return 0;
}

/* The rest of a long PostgreSQL text, a chunk a step, for its length. */
struct measure {
	const char *p;
	char *buf;
	__u32 total;
};

static long measure_step(__u64 i, void *arg)
{
	struct measure *m = arg;
	long r = bpf_probe_read_user_str(m->buf, SQL_CAPTURE_MAX, m->p);

	if (r <= 0)
		return 1;
	m->total += r - 1;
	m->p += r - 1;
	return r < SQL_CAPTURE_MAX;
}

/*
 * PostgreSQL: pg_parse_query(query_string), the text of a simple query or
 * of an extended protocol Parse. The first one starts the query; those
 * within it (SQL functions, a pipeline's next Parse) are part of it.
 */
SEC("uprobe")
int BPF_KPROBE(pg_parse, const char *query)
{
	__u64 id = bpf_get_current_pid_tgid(), key = id >> 32;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct measure m = { .p = query };
	struct session *sess;
	struct inflight *in;
	__u32 zero = 0, n = 0;
	long r;

	if (!bpfpin_active(SQL_HOOK_PG_PARSE))
		return 0;
	if (bpf_map_lookup_elem(&inflight, &id) || !bpfpin_wanted_current())
		return 0;
	in = start(id);
	if (!in)
		return 0;
	in->key.server = in->ev.server = SQL_SERVER_POSTGRES;
	in->key.command = in->ev.command = SQL_COM_QUERY;
	in->key.server_pid = in->ev.server_pid = BPF_CORE_READ(t, real_parent, tgid);
	in->ev.conn_id = key;
	sess = bpf_map_lookup_elem(&sessions, &key);
	if (sess) {
		__builtin_memcpy(in->key.database, sess->database, SQL_DB_LEN);
		__builtin_memcpy(in->ev.database, sess->database, SQL_DB_LEN);
		__builtin_memcpy(in->ev.user, sess->user, SQL_USER_LEN);
	}
	r = bpf_probe_read_user_str(in->data, SQL_CAPTURE_MAX, query);
	if (r > 0)
		n = r - 1;
	in->ev.query.total = n;
	if (n == SQL_CAPTURE_MAX - 1) {
		m.buf = bpf_map_lookup_elem(&scratch, &zero);
		m.p += n;
		if (m.buf)
			bpf_loop(256, measure_step, &m, 0);
		in->ev.query.total += m.total;
	}
	in->ev.query.len = kept(n);
	normalize(in, n, false);
	in->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* PostgreSQL: ReadyForQuery(dest), the backend waits for the next query */
SEC("uprobe")
int BPF_KPROBE(pg_ready)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *in;

	if (!bpfpin_active(SQL_HOOK_PG_READY))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (in)
		finish(in, id);
	return 0;
}

/* PostgreSQL: AbortCurrentTransaction(), PostgresMain's error recovery */
SEC("uprobe")
int BPF_KPROBE(pg_abort)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *in;

	if (!bpfpin_active(SQL_HOOK_PG_ABORT))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (in)
		in->ev.result = SQL_RESULT_ERROR;
	return 0;
}

/* PostgreSQL: InitPostgres(in_dbname, dboid, username, ...): a new backend */
SEC("uprobe")
int BPF_KPROBE(pg_init, const char *dbname, __u32 dboid, const char *user)
{
	__u64 id = bpf_get_current_pid_tgid(), key = id >> 32;
	struct session sess = {};

	if (!bpfpin_active(SQL_HOOK_PG_INIT))
		return 0;
	if (dbname)
		bpf_probe_read_user_str(sess.database, sizeof(sess.database), dbname);
	if (user)
		bpf_probe_read_user_str(sess.user, sizeof(sess.user), user);
	bpf_map_update_elem(&sessions, &key, &sess, BPF_ANY);
	/* a query a backend of the same pid left unfinished */
	bpf_map_delete_elem(&inflight, &id);
	return 0;
}

/*
 * PostgreSQL: proc_exit(code), the backend ends. A query still running
 * (FATAL, pg_terminate_backend(), the client gone) ends here, as an error;
 * the backend's session goes.
 */
SEC("uprobe")
int BPF_KPROBE(pg_exit)
{
	__u64 id = bpf_get_current_pid_tgid(), key = id >> 32;
	struct inflight *in;

	if (!bpfpin_active(SQL_HOOK_PG_EXIT))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &id);
	if (in) {
		in->ev.result = SQL_RESULT_ERROR;
		finish(in, id);
	}
	bpf_map_delete_elem(&sessions, &key);
	return 0;
}
