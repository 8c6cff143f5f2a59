/* SPDX-License-Identifier: GPL-2.0 */
/* sql.h: MariaDB/MySQL and PostgreSQL queries by uprobes: text, latency, result */
#ifndef __BPFPIN_SQL_H
#define __BPFPIN_SQL_H

#include "bpfpin.h"

#define SQL_SCHEMA_VERSION	2
#define SQL_STMT_LEN		256	/* normalized statement in the stats key */
#define SQL_DB_LEN		64	/* MariaDB and PostgreSQL allow 64 and 63 */
#define SQL_USER_LEN		32
/* the text kept of a query: sql.capture_bytes, at most SQL_CAPTURE_MAX */
#define SQL_CAPTURE_BYTES	1024
#define SQL_CAPTURE_MAX		4096
/* LRU, per CPU: 336 B + 296 B x CPUs an entry, 2 halves; sql.statement_entries */
#define SQL_STATEMENT_ENTRIES	2048
#define SQL_INFLIGHT_ENTRIES	4096	/* queries running at once */
#define SQL_SESSION_ENTRIES	8192	/* connections: database, user */
#define SQL_RING_BYTES		(4 << 20)

/* The server a query ran in. */
enum sql_server {
	SQL_SERVER_MARIADB,	/* mariadbd or mysqld */
	SQL_SERVER_POSTGRES,
};

/*
 * MariaDB's enum_server_command, the commands counted: those that carry
 * SQL text (query, prepare), the database (init_db), and the execution of
 * a prepared statement (no text of its own). PostgreSQL's are all `query`.
 */
#define SQL_COM_INIT_DB		2
#define SQL_COM_QUERY		3
#define SQL_COM_STMT_PREPARE	22
#define SQL_COM_STMT_EXECUTE	23
#define SQL_COM_NR		24

/*
 * Stats per statement: literals are replaced by `?` in the BPF program
 * (sql.bpf.c, normalize()), so the key already groups `id = 7` and
 * `id = 8`; with the raw text as key every literal would take an LRU
 * entry of its own and evict the others' counts.
 */
struct sql_stmt_key {
	__u64 cgroup_id;	/* the server's (the backend's, for PostgreSQL) */
	__u32 server_pid;	/* mariadbd's pid; PostgreSQL's postmaster's */
	__u8 server;		/* enum sql_server */
	__u8 command;		/* SQL_COM_* */
	__u16 pad;
	char database[SQL_DB_LEN];	/* "" when not known */
	char statement[SQL_STMT_LEN];	/* normalized, NUL-padded */
};

struct sql_stats {
	__u64 calls;
	__u64 errors;		/* MariaDB: an error sent to the client;
				 * PostgreSQL: the transaction aborted, or
				 * the backend ended within the query */
	__u64 truncated;	/* queries longer than sql.capture_bytes */
	__u64 truncated_bytes;	/* their bytes not captured */
	struct bpfpin_hist latency;	/* command start to end, us */
};
_Static_assert(sizeof(struct sql_stats) % 8 == 0, "sql: stats padded to 8 bytes");

enum sql_event_type {
	SQL_EV_QUERY = 1,
};

#define SQL_RESULT_OK		0
#define SQL_RESULT_ERROR	1

/* A query, ended; its text (`query.len` bytes) follows the event. */
struct sql_event {
	struct bpfpin_event_hdr hdr;	/* the server thread or backend */
	__u64 latency_ns;
	__u64 conn_id;		/* MariaDB: the server thread's tid (a THD's
				 * thread_id is not reachable without debug
				 * info); PostgreSQL: the backend's pid */
	__u32 server_pid;
	__u32 error_code;	/* MariaDB: the error number; else 0 */
	__u8 server;
	__u8 command;
	__u8 result;		/* SQL_RESULT_* */
	__u8 pad[5];
	char database[SQL_DB_LEN];
	char user[SQL_USER_LEN];	/* PostgreSQL only */
	struct bpfpin_content query;
};
_Static_assert(__builtin_offsetof(struct sql_event, query) + sizeof(struct bpfpin_content) ==
	       sizeof(struct sql_event), "sql: the text must follow the event");

/*
 * A hook's index in sql_hooks[], which is also the slot in `handoff` its
 * programs pass to bpfpin_active(): one name for both.
 */
enum sql_hook {
	SQL_HOOK_MY_DISPATCH,		/* dispatch_command(): a command */
	SQL_HOOK_MY_DISPATCH_RET,	/* its return: the end */
	SQL_HOOK_MY_ERROR,		/* Protocol::net_send_error_packet() */
	SQL_HOOK_MY_USE,		/* mysql_change_db() */
	SQL_HOOK_MY_USE_RET,
	SQL_HOOK_MY_LOGIN,		/* acl_authenticate(): a new connection */
	SQL_HOOK_MY_THD_FREE,		/* THD::~THD() */
	SQL_HOOK_PG_PARSE,		/* pg_parse_query(): the text, the start */
	SQL_HOOK_PG_READY,		/* ReadyForQuery(): the end */
	SQL_HOOK_PG_ABORT,		/* AbortCurrentTransaction(): an error */
	SQL_HOOK_PG_INIT,		/* InitPostgres(): database and user */
	SQL_HOOK_PG_EXIT,		/* proc_exit(): the backend ends */
	SQL_HOOK_NR
};
_Static_assert(SQL_HOOK_NR <= BPFPIN_MAX_HOOKS, "sql: more hooks than handoff slots");

#ifndef __bpf__
#include "desc.h"

static const char *const sql_servers[] = { "mariadb", "postgres" };

static const char *const sql_commands[SQL_COM_NR] = {
	[SQL_COM_INIT_DB] = "init_db",
	[SQL_COM_QUERY] = "query",
	[SQL_COM_STMT_PREPARE] = "prepare",
	[SQL_COM_STMT_EXECUTE] = "execute",
};

static const char *const sql_results[] = { "ok", "error" };

/* A one-byte field shown by name. */
#define SQL_NAMED_U8(s, m, n, h)					\
	{ .name = #m, .offset = offsetof(s, m), .size = 1,		\
	  .type = PIN_T_U8, .role = PIN_ROLE_LABEL, .view = PIN_V_NAMES,	\
	  .help = h, .names = n, .nnames = PIN_LEN(n) }

static const struct pin_field sql_key_fields[] = {
	PIN_LABELLED(struct sql_stmt_key, cgroup_id, PIN_T_U64, PIN_V_CGROUP, "cgroup",
		"server's cgroup v2 id"),
	SQL_NAMED_U8(struct sql_stmt_key, server, sql_servers, "server"),
	PIN_KEY(struct sql_stmt_key, server_pid, PIN_T_U32, PIN_V_PLAIN, "server's pid"),
	SQL_NAMED_U8(struct sql_stmt_key, command, sql_commands, "command"),
	PIN_KEY(struct sql_stmt_key, database, PIN_T_STR, PIN_V_PLAIN, "database"),
	PIN_KEY(struct sql_stmt_key, statement, PIN_T_STR, PIN_V_PLAIN,
		"statement, literals replaced by ?"),
};

static const struct pin_field sql_stat_fields[] = {
	PIN_COUNTER(struct sql_stats, calls, "SQL commands run."),
	PIN_COUNTER(struct sql_stats, errors, "SQL commands that failed."),
	PIN_COUNTER(struct sql_stats, truncated, "SQL texts longer than sql.capture_bytes."),
	PIN_FIELD(struct sql_stats, truncated_bytes, PIN_T_U64, PIN_ROLE_COUNTER, PIN_AGG_SUM,
		PIN_V_BYTES, "SQL text bytes not captured."),
	PIN_HIST(struct sql_stats, latency, "SQL command latency, start to end."),
};

static const struct pin_map_desc sql_maps[] = {
	{ .name = "statements", .type = BPF_MAP_TYPE_LRU_PERCPU_HASH,
	  .key_size = sizeof(struct sql_stmt_key),
	  .value_size = sizeof(struct sql_stats),
	  .keys = sql_key_fields, .nkeys = PIN_LEN(sql_key_fields),
	  .values = sql_stat_fields, .nvalues = PIN_LEN(sql_stat_fields),
	  .entries_setting = "statement_entries" },
};

static const struct pin_field sql_query_fields[] = {
	SQL_NAMED_U8(struct sql_event, server, sql_servers, "server"),
	PIN_EV(struct sql_event, server_pid, PIN_T_U32, PIN_V_PLAIN, "server's pid"),
	PIN_EV(struct sql_event, conn_id, PIN_T_U64, PIN_V_PLAIN,
		"MariaDB: the connection's thread; PostgreSQL: the backend's pid"),
	SQL_NAMED_U8(struct sql_event, command, sql_commands, "command"),
	PIN_EV(struct sql_event, database, PIN_T_STR, PIN_V_PLAIN, "database"),
	PIN_EV(struct sql_event, user, PIN_T_STR, PIN_V_PLAIN, "user (PostgreSQL)"),
	SQL_NAMED_U8(struct sql_event, result, sql_results, "result"),
	PIN_EV(struct sql_event, error_code, PIN_T_U32, PIN_V_PLAIN, "error number (MariaDB)"),
	PIN_EV(struct sql_event, latency_ns, PIN_T_U64, PIN_V_DURATION, "start to end"),
	PIN_FIELD(struct sql_event, query, PIN_T_BYTES, PIN_ROLE_LABEL, PIN_AGG_SUM,
		PIN_V_CONTENT, "the query's text"),
};

static const struct pin_event_desc sql_events[] = {
	{ .type = SQL_EV_QUERY, .name = "query", .size = sizeof(struct sql_event),
	  .fields = sql_query_fields, .nfields = PIN_LEN(sql_query_fields) },
};

/*
 * Uprobes on the servers' own exported functions. MariaDB 10.x's (and
 * MySQL 5.6's) dispatch_command() takes (command, THD *, packet, length
 * [, blocking]); MySQL 5.7 and 8 take (THD *, COM_DATA *, command), a
 * mangled name that is not matched.
 * PostgreSQL's binary is stripped of static functions such as
 * exec_simple_query(): these are exported for extensions.
 */
#define SQL_MY_HOOK(n, prog, syms) \
	{ n, { prog }, true, .targets = "servers", .symbols = syms }
#define SQL_DISPATCH "_Z16dispatch_command19enum_server_commandP3THDPcjb " \
	"_Z16dispatch_command19enum_server_commandP3THDPcj"
#define SQL_CHANGE_DB "_Z15mysql_change_dbP3THDPK25st_mysql_const_lex_stringb"

static const struct pin_hook sql_hooks[] = {
	[SQL_HOOK_MY_DISPATCH] = SQL_MY_HOOK("mariadb_dispatch", "my_dispatch", SQL_DISPATCH),
	[SQL_HOOK_MY_DISPATCH_RET] = SQL_MY_HOOK("mariadb_dispatch_ret", "my_dispatch_ret",
		SQL_DISPATCH),
	[SQL_HOOK_MY_ERROR] = SQL_MY_HOOK("mariadb_error", "my_error",
		"_ZN8Protocol21net_send_error_packetEP3THDjPKcS3_"),
	[SQL_HOOK_MY_USE] = SQL_MY_HOOK("mariadb_use", "my_use", SQL_CHANGE_DB),
	[SQL_HOOK_MY_USE_RET] = SQL_MY_HOOK("mariadb_use_ret", "my_use_ret", SQL_CHANGE_DB),
	[SQL_HOOK_MY_LOGIN] = SQL_MY_HOOK("mariadb_login", "my_login",
		"_Z16acl_authenticateP3THDj"),
	[SQL_HOOK_MY_THD_FREE] = SQL_MY_HOOK("mariadb_thd_free", "my_thd_free",
		"_ZN3THDD2Ev _ZN3THDD1Ev"),
	[SQL_HOOK_PG_PARSE] = SQL_MY_HOOK("pg_parse", "pg_parse", "pg_parse_query"),
	[SQL_HOOK_PG_READY] = SQL_MY_HOOK("pg_ready", "pg_ready", "ReadyForQuery"),
	[SQL_HOOK_PG_ABORT] = SQL_MY_HOOK("pg_abort", "pg_abort", "AbortCurrentTransaction"),
	[SQL_HOOK_PG_INIT] = SQL_MY_HOOK("pg_init", "pg_init", "InitPostgres"),
	[SQL_HOOK_PG_EXIT] = SQL_MY_HOOK("pg_exit", "pg_exit", "proc_exit"),
};
_Static_assert(PIN_LEN(sql_hooks) == SQL_HOOK_NR, "sql: a hook without a table entry");

static const struct pin_setting sql_settings[] = {
	{ "servers", "MariaDB/MySQL and PostgreSQL server binaries: auto, or paths",
	  0, 0, 0, PIN_SET_TARGETS, .discover = "mariadbd mysqld postgres" },
	{ "capture_bytes", "bytes of each query's text kept in its event",
	  SQL_CAPTURE_BYTES, 0, SQL_CAPTURE_MAX },
	{ "statement_entries", "statements kept (LRU; evictions are counted)",
	  SQL_STATEMENT_ENTRIES, 16, 1 << 20 },
};

static const struct pin_module_desc sql_module = {
	.name = "sql",
	.summary = "MariaDB/MySQL and PostgreSQL queries by uprobes: text, latency and result, "
		"per cgroup, server, database and normalized statement",
	.schema_version = SQL_SCHEMA_VERSION,
	.profiles = "capture",
	.filter_task = true,
	.captures_content = true,
	.content_maps = "inflight sessions pending_use scratch",
	.notes = "statements are normalized in the kernel (literals -> ?, blanks collapsed, "
		"255 bytes kept); PostgreSQL: from the first pg_parse_query() to ReadyForQuery() "
		"(a pipeline is one query; a named prepared statement executed again is not "
		"seen); database and user are known for connections made after the load",
	.maps = sql_maps, .nmaps = PIN_LEN(sql_maps),
	.events = sql_events, .nevents = PIN_LEN(sql_events),
	.hooks = sql_hooks, .nhooks = PIN_LEN(sql_hooks),
	.settings = sql_settings, .nsettings = PIN_LEN(sql_settings),
};
#endif /* !__bpf__ */

#endif /* __BPFPIN_SQL_H */
