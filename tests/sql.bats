#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# sql.bats: queries sent by mariadb and psql to a MariaDB and a PostgreSQL of the test's own, seen by the sql module

load helpers
load sql-servers

my() {
	sql_my "$SQLD" "$@"
}

pg() {
	sql_pg "$SQLD" "$@"
}

setup_file() {
	bpfpin_setup_file
	sql_install_servers
	MY_BIN=$(sql_my_bin)
	PG_BIN=$(sql_pg_bindir)
	SQLD=$(mktemp -d /tmp/bpfpin-sql.XXXXXX)
	chmod 755 "$SQLD"
	echo "$SQLD" > "$BATS_FILE_TMPDIR/sqld"
	new_cgroup mariadb
	MY_CG_REL=$CG_REL
	sql_start_mariadb "$SQLD" "$CG"
	new_cgroup postgres
	PG_CG_REL=$CG_REL
	sql_start_postgres "$SQLD" "$CG"
	my -e "CREATE DATABASE shop; CREATE TABLE shop.items (id INT, name VARCHAR(40));
		INSERT INTO shop.items VALUES (1, 'one'), (2, 'two'), (3, 'three')"
	pg -c "CREATE DATABASE shop"
	pg -d shop -c "CREATE TABLE items (id INT, name TEXT);
		INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')"
	bpfpin-load up --set "sql.servers=$MY_BIN,$PG_BIN/postgres" sql > "$BATS_FILE_TMPDIR/up"
	export MY_BIN PG_BIN SQLD MY_CG_REL PG_CG_REL
}

teardown_file() {
	SQLD=${SQLD:-$(cat "$BATS_FILE_TMPDIR/sqld" 2>/dev/null)}
	if [ -n "$SQLD" ]; then
		sql_stop_mariadb "$SQLD"
		sql_stop_postgres "$SQLD"
		rm -rf "$SQLD"
	fi
	bpfpin_teardown_file
}

setup() {
	require_module sql
	bpfpin-events sql --duration 0.2 > /dev/null
}

# The events of the server in cgroup $1, read for a second.
server_events() {
	bpfpin-events sql --format json --duration 1 |
		jq -c --arg cg "$1" 'select(.type == "query" and .cgroup == $cg)'
}

# The stats rows of the server in cgroup $1.
server_stats() {
	bpfpin-stat sql --format json |
		jq -c --arg cg "$1" 'select(.type == "statements" and .cgroup == $cg)'
}

# stat_of ROWS STATEMENT FIELD
stat_of() {
	jq -r --arg s "$2" "select(.statement == \$s) | .$3" <<< "$1"
}

@test "sql: up and check name each server binary and the symbol attached" {
	cat "$BATS_FILE_TMPDIR/up" >&3
	grep -q "sql mariadb_dispatch: $MY_BIN .*: _Z16dispatch_command19enum_server_commandP3THDPcjb attached" "$BATS_FILE_TMPDIR/up"
	grep -q "sql pg_parse: $PG_BIN/postgres .*: pg_parse_query attached" "$BATS_FILE_TMPDIR/up"
	grep -q "sql pg_ready: $PG_BIN/postgres .*: ReadyForQuery attached" "$BATS_FILE_TMPDIR/up"
	grep -q "sql mariadb_error: $MY_BIN .*: _ZN8Protocol21net_send_error_packetEP3THDjPKcS3_ attached" "$BATS_FILE_TMPDIR/up"
	# each hook has a link: the mariadb ones on mariadbd, the others on postgres
	[ "$(ls "$BPFPIN_ROOT/sql/links" | wc -l)" -eq 12 ]
	grep -q "sql pg_parse: $MY_BIN .*: skipped: none of its symbols" "$BATS_FILE_TMPDIR/up"
	run bpfpin-ls --format json
	[ "$(jq -r 'select(.module == "sql" and .type == "module") | .health' <<< "$output")" = ok ]
	# check: which binary and symbol each hook would take (auto: the running servers)
	run bpfpin-load check --format json
	[ "$status" -eq 0 ]
	[[ "$(jq -r 'select(.check == "hook sql.pg_parse") | .detail' <<< "$output")" == *postgres*": pg_parse_query"* ]]
	[[ "$(jq -r 'select(.check == "hook sql.mariadb_dispatch") | .detail' <<< "$output")" == *mariadbd*": _Z16dispatch_command19enum_server_commandP3THDPcjb"* ]]
}

@test "sql: MariaDB: 5 known queries and an error through mariadb: each event once with its exact text; one normalized row of 5 calls; the error counted" {
	my -N -B -D shop -f -e "SELECT name FROM items WHERE id = 1; SELECT name FROM items WHERE id = 2;
		SELECT name FROM items WHERE id = 3; SELECT name FROM items WHERE id = 4;
		SELECT name FROM items WHERE id = 5; SELECT * FROM no_such_table" \
		> "$BATS_TEST_TMPDIR/out" 2>&1 || true
	grep -q "ERROR 1146" "$BATS_TEST_TMPDIR/out"
	ev=$(server_events "$MY_CG_REL")
	echo "$ev" >&3
	# one connection: one server thread
	conn=$(jq -r .conn_id <<< "$ev" | sort -u)
	[ "$(grep -c . <<< "$conn")" -eq 1 ]
	[ "$(jq -r .tid <<< "$ev" | sort -u)" = "$conn" ]
	for i in 1 2 3 4 5; do
		e=$(jq -c --arg q "SELECT name FROM items WHERE id = $i" 'select(.data == $q)' <<< "$ev")
		[ "$(grep -c . <<< "$e")" -eq 1 ]
		[ "$(jq -r .server <<< "$e")" = mariadb ]
		[ "$(jq -r .command <<< "$e")" = query ]
		[ "$(jq -r .database <<< "$e")" = shop ]
		[ "$(jq -r .result <<< "$e")" = ok ]
		[ "$(jq .conn_id <<< "$e")" -eq "$conn" ]
		[ "$(jq .server_pid <<< "$e")" -eq "$(cat "$SQLD/myrun/pid")" ]
		[ "$(jq .latency_ns <<< "$e")" -gt 0 ]
		[ "$(jq .len <<< "$e")" -eq 35 ]
		[ "$(jq .total <<< "$e")" -eq 35 ]
	done
	e=$(jq -c 'select(.data == "SELECT * FROM no_such_table")' <<< "$ev")
	[ "$(jq -r .result <<< "$e")" = error ]
	[ "$(jq .error_code <<< "$e")" -eq 1146 ]
	rows=$(server_stats "$MY_CG_REL")
	echo "$rows" >&3
	q='SELECT name FROM items WHERE id = ?'
	[ "$(grep -c . <<< "$(stat_of "$rows" "$q" calls)")" -eq 1 ]
	[ "$(stat_of "$rows" "$q" calls)" -eq 5 ]
	[ "$(stat_of "$rows" "$q" errors)" -eq 0 ]
	[ "$(stat_of "$rows" "$q" server)" = mariadb ]
	[ "$(stat_of "$rows" "$q" database)" = shop ]
	[ "$(stat_of "$rows" "$q" latency.count)" -eq 5 ]
	[ "$(stat_of "$rows" "$q" 'latency.buckets | map(.count) | add')" -eq 5 ]
	[ "$(stat_of "$rows" 'SELECT * FROM no_such_table' calls)" -eq 1 ]
	[ "$(stat_of "$rows" 'SELECT * FROM no_such_table' errors)" -eq 1 ]
	# every row's histogram holds its calls
	[ "$(jq -s 'map(select(.latency.count != .calls)) | length' <<< "$rows")" -eq 0 ]
}

@test "sql: MariaDB: the database follows the connection: USE, a login naming one, and none after (a reused THD)" {
	my -e "USE shop; SELECT 'in shop' AS here" > /dev/null
	my -D mysql -e "SELECT 'in mysql' AS here" > /dev/null
	my -e "SELECT 'in none' AS here" > /dev/null
	ev=$(server_events "$MY_CG_REL")
	echo "$ev" >&3
	[ "$(jq -r 'select(.data == "SELECT '"'in shop'"' AS here") | .database' <<< "$ev")" = shop ]
	[ "$(jq -r 'select(.data == "SELECT '"'in mysql'"' AS here") | .database' <<< "$ev")" = mysql ]
	[ "$(jq -r 'select(.data == "SELECT '"'in none'"' AS here") | .database' <<< "$ev")" = "" ]
	[ "$(jq -r 'select(.command == "init_db") | .data' <<< "$ev")" = shop ]
}

@test "sql: PostgreSQL: 5 known queries and an error through psql: each event once with its exact text, database and user; one normalized row of 5 calls; the error counted" {
	pg -d shop -A -t -c "SELECT pg_backend_pid()" \
		-c "SELECT name FROM items WHERE id = 1" -c "SELECT name FROM items WHERE id = 2" \
		-c "SELECT name FROM items WHERE id = 3" -c "SELECT name FROM items WHERE id = 4" \
		-c "SELECT name FROM items WHERE id = 5" -c "SELECT * FROM no_such_table" \
		> "$BATS_TEST_TMPDIR/out" 2>&1 || true
	backend=$(head -1 "$BATS_TEST_TMPDIR/out")
	[ "$backend" -gt 0 ]
	grep -q 'relation "no_such_table" does not exist' "$BATS_TEST_TMPDIR/out"
	ev=$(server_events "$PG_CG_REL")
	echo "$ev" >&3
	for i in 1 2 3 4 5; do
		e=$(jq -c --arg q "SELECT name FROM items WHERE id = $i" 'select(.data == $q)' <<< "$ev")
		[ "$(grep -c . <<< "$e")" -eq 1 ]
		[ "$(jq -r .server <<< "$e")" = postgres ]
		[ "$(jq -r .database <<< "$e")" = shop ]
		[ "$(jq -r .user <<< "$e")" = postgres ]
		[ "$(jq -r .result <<< "$e")" = ok ]
		[ "$(jq .conn_id <<< "$e")" -eq "$backend" ]
		[ "$(jq .pid <<< "$e")" -eq "$backend" ]
		[ "$(jq .server_pid <<< "$e")" -eq "$(head -1 "$SQLD/pg/postmaster.pid")" ]
		[ "$(jq .latency_ns <<< "$e")" -gt 0 ]
	done
	e=$(jq -c 'select(.data == "SELECT * FROM no_such_table")' <<< "$ev")
	[ "$(jq -r .result <<< "$e")" = error ]
	rows=$(server_stats "$PG_CG_REL")
	echo "$rows" >&3
	q='SELECT name FROM items WHERE id = ?'
	[ "$(grep -c . <<< "$(stat_of "$rows" "$q" calls)")" -eq 1 ]
	[ "$(stat_of "$rows" "$q" calls)" -eq 5 ]
	[ "$(stat_of "$rows" "$q" errors)" -eq 0 ]
	[ "$(stat_of "$rows" "$q" database)" = shop ]
	[ "$(stat_of "$rows" "$q" latency.count)" -eq 5 ]
	[ "$(stat_of "$rows" "$q" 'latency.buckets | map(.count) | add')" -eq 5 ]
	[ "$(stat_of "$rows" 'SELECT * FROM no_such_table' errors)" -eq 1 ]
	[ "$(jq -s 'map(select(.latency.count != .calls)) | length' <<< "$rows")" -eq 0 ]
}

@test "sql: PostgreSQL: an error inside a transaction counts once; its ROLLBACK and a plain ROLLBACK are no errors" {
	pg -d shop -c "BEGIN" -c "SELECT 1 / 0 AS boom" -c "ROLLBACK" -c "BEGIN" -c "ROLLBACK" \
		> /dev/null 2>&1 || true
	rows=$(server_stats "$PG_CG_REL")
	[ "$(stat_of "$rows" 'SELECT ? / ? AS boom' calls)" -eq 1 ]
	[ "$(stat_of "$rows" 'SELECT ? / ? AS boom' errors)" -eq 1 ]
	[ "$(stat_of "$rows" 'ROLLBACK' errors)" -eq 0 ]
	[ "$(stat_of "$rows" 'BEGIN' errors)" -eq 0 ]
}

@test "sql: PostgreSQL: a query whose backend is terminated ends then, as an error" {
	pg -d shop -c "SELECT pg_sleep(20) AS doomed" > /dev/null 2>&1 3>&- &
	client=$!
	for i in $(seq 50); do
		n=$(pg -d shop -A -t -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE query = 'SELECT pg_sleep(20) AS doomed'" | grep -c t) || true
		[ "$n" -eq 1 ] && break
		sleep 0.1
	done
	[ "$n" -eq 1 ]
	wait "$client" || true
	ev=$(server_events "$PG_CG_REL")
	echo "$ev" >&3
	e=$(jq -c 'select(.data == "SELECT pg_sleep(20) AS doomed")' <<< "$ev")
	[ "$(grep -c . <<< "$e")" -eq 1 ]
	[ "$(jq -r .result <<< "$e")" = error ]
	[ "$(jq .latency_ns <<< "$e")" -lt 20000000000 ]
	rows=$(server_stats "$PG_CG_REL")
	[ "$(stat_of "$rows" 'SELECT pg_sleep(?) AS doomed' errors)" -eq 1 ]
}

@test "sql: normalization: strings, escapes, numbers and blanks become one shape; identifiers stay" {
	my -D shop -e "SELECT 'it''s', \"dq\", 'a\\'b', 0x1F, 1.5e-3, -7, \`id\`, t1.name
		FROM   items AS t1
		WHERE  t1.id IN (1, 2)" > /dev/null
	pg -d shop -c "SELECT 'it''s' AS \"col 1\", 42::text AS c2, -1.5e-3 AS c3
		FROM   items WHERE id IN (1, 2)" > /dev/null
	rows=$(server_stats "$MY_CG_REL")
	echo "$rows" >&3
	[ "$(stat_of "$rows" 'SELECT ?, ?, ?, ?, ?, -?, `id`, t1.name FROM items AS t1 WHERE t1.id IN (?, ?)' calls)" -eq 1 ]
	rows=$(server_stats "$PG_CG_REL")
	echo "$rows" >&3
	[ "$(stat_of "$rows" 'SELECT ? AS "col 1", ?::text AS c2, -? AS c3 FROM items WHERE id IN (?, ?)' calls)" -eq 1 ]
}

@test "sql: a query longer than sql.capture_bytes: its event keeps 1024 bytes, the rest is counted as truncated" {
	long=$(head -c 1500 /dev/zero | tr '\0' x)
	q="SELECT '$long' AS long_text"
	my -e "$q" > /dev/null
	pg -c "$q" > /dev/null
	ev=$(bpfpin-events sql --format json --duration 1 | jq -c --argjson n ${#q} 'select(.total == $n)')
	echo "$ev" >&3
	[ "$(grep -c . <<< "$ev")" -eq 2 ]
	cut=$((${#q} - 1024))
	[ "$(jq -s --argjson cut $cut --arg head "${q:0:1024}" \
		'map(select(.len == 1024 and .truncated == $cut and .data == $head)) | length' <<< "$ev")" -eq 2 ]
	for cg in "$MY_CG_REL" "$PG_CG_REL"; do
		rows=$(server_stats "$cg")
		[ "$(stat_of "$rows" 'SELECT ? AS long_text' truncated)" -eq 1 ]
		[ "$(stat_of "$rows" 'SELECT ? AS long_text' truncated_bytes)" -eq "$cut" ]
	done
}

@test "sql: group bpfpin reads the statements without root; the events, which hold query text, stay root's" {
	ensure_bpfpin_group
	bpfpin-load down sql > /dev/null
	bpfpin-load up --set "sql.servers=$MY_BIN,$PG_BIN/postgres" sql > /dev/null
	[ "$(stat -c %a "$BPFPIN_ROOT/sql/maps/events")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/sql/maps/inflight")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/sql/maps/statements_a")" = 640 ]
	my -e "SELECT 1" > /dev/null
	chmod 755 "$BPFFS"
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-stat sql --format prom
	echo "$output" | grep -v '^#' >&3
	[ "$status" -eq 0 ]
	grep -q '^bpfpin_sql_calls_total{.*statement="SELECT ?".*} 1$' <<< "$output"
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-events sql --duration 0.1
	echo "$output" >&3
	[ "$status" -eq 4 ]
	[ "$(grep -c . <<< "$output")" -eq 1 ]
}

@test "sql: sql.servers = auto finds the running mariadbd and postgres" {
	bpfpin-load down sql > /dev/null
	run bpfpin-load up sql
	echo "$output" >&3
	[ "$status" -eq 0 ]
	grep -q "sql pg_parse: .*postgres .*: pg_parse_query attached" <<< "$output"
	grep -q "sql mariadb_dispatch: .*mariadbd .*: _Z16dispatch_command19enum_server_commandP3THDPcjb attached" <<< "$output"
	pg -d shop -c "SELECT name FROM items WHERE id = 3" > /dev/null
	rows=$(server_stats "$PG_CG_REL")
	[ "$(stat_of "$rows" 'SELECT name FROM items WHERE id = ?' calls)" -eq 1 ]
}

@test "sql: PostgreSQL extended protocol: pgbench -M extended, each Parse to Sync is one query; -M prepared, a named statement is seen when parsed only" {
	echo "SELECT name FROM items WHERE id = 2 AND name <> 'x';" > "$BATS_TEST_TMPDIR/extended.sql"
	echo "SELECT id FROM items WHERE name = 'two';" > "$BATS_TEST_TMPDIR/prepared.sql"
	"$PG_BIN/pgbench" -n -h "$SQLD/pgrun" -U postgres -M extended -t 4 \
		-f "$BATS_TEST_TMPDIR/extended.sql" shop > /dev/null 2>&1
	"$PG_BIN/pgbench" -n -h "$SQLD/pgrun" -U postgres -M prepared -t 4 \
		-f "$BATS_TEST_TMPDIR/prepared.sql" shop > /dev/null 2>&1
	rows=$(server_stats "$PG_CG_REL")
	echo "$rows" | jq -c '{statement, calls, errors}' >&3
	ext=$(jq -s 'map(select(.statement | startswith("SELECT name FROM items WHERE id = ? AND name <> ?")))' <<< "$rows")
	[ "$(jq length <<< "$ext")" -eq 1 ]
	[ "$(jq '.[0].calls' <<< "$ext")" -eq 4 ]
	[ "$(jq '.[0].errors' <<< "$ext")" -eq 0 ]
	[ "$(jq '.[0].database' <<< "$ext")" = '"shop"' ]
	prep=$(jq -s 'map(select(.statement | startswith("SELECT id FROM items WHERE name = ?")))' <<< "$rows")
	[ "$(jq length <<< "$prep")" -eq 1 ]
	[ "$(jq '.[0].calls' <<< "$prep")" -eq 1 ]
}

@test "sql: sql.capture_bytes out of range is refused (exit 2, one line), and the loaded module is left as it was" {
	before=$(pinned_link_ids sql)
	run bpfpin-load reload --set sql.capture_bytes=4097 sql
	echo "$output" >&3
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"'sql.capture_bytes' must be a number from 0 to 4096, not '4097'"* ]]
	[ "$(pinned_link_ids sql)" = "$before" ]
}

@test "sql: no server among sql.servers: loaded degraded, attached to nothing; a reload that names them attaches" {
	bpfpin-load down sql > /dev/null
	run bpfpin-load up --set sql.servers=/bin/true sql
	echo "$output" >&3
	[ "$status" -eq 0 ]
	grep -q "^sql: loaded, degraded" <<< "$output"
	grep -q "sql pg_parse: skipped '/bin/true'" <<< "$output" ||
		grep -q "sql pg_parse: /bin/true .*skipped" <<< "$output"
	run bpfpin-ls --format json
	[ "$(jq -r 'select(.module == "sql" and .type == "module") | "\(.health) \(.attached)"' <<< "$output")" = "degraded 0" ]
	run bpfpin-load reload --set "sql.servers=$MY_BIN,$PG_BIN/postgres" sql
	echo "$output" >&3
	[ "$status" -eq 0 ]
	[ "$(ls "$BPFPIN_ROOT/sql/links" | wc -l)" -eq 12 ]
	pg -d shop -c "SELECT name FROM items WHERE id = 3 AND 'after' = 'reload'" > /dev/null
	rows=$(server_stats "$PG_CG_REL")
	[ "$(stat_of "$rows" 'SELECT name FROM items WHERE id = ? AND ? = ?' calls)" -eq 1 ]
	run bpfpin-ls --format json
	[ "$(jq -r 'select(.module == "sql" and .type == "module") | .health' <<< "$output")" = ok ]
}

@test "sql: statements beyond sql.statement_entries are evicted, and counted: rows kept + evicted = statements" {
	bpfpin-load down sql > /dev/null
	bpfpin-load up --set "sql.servers=$MY_BIN,$PG_BIN/postgres" --set sql.statement_entries=16 sql > /dev/null
	args=()
	for i in $(seq 40); do
		args+=(-c "SELECT $i AS column_$i")
	done
	pg "${args[@]}" > /dev/null
	kept=$(bpfpin-stat sql --format json | jq -s 'map(select(.type == "statements")) | length')
	evicted=$(bpfpin-stat sql --format json | jq -s 'map(select(.type == "drops" and .reason == "evicted") | .drops) | add')
	echo "kept $kept evicted $evicted" >&3
	[ "$kept" -le 32 ]
	[ "$evicted" -gt 0 ]
	[ $((kept + evicted)) -eq 40 ]
}
