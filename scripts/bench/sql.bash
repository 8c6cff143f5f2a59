# SPDX-License-Identifier: GPL-2.0
# sql.bash: the sql module's cost per query, sourced by scripts/bench/run (BENCH_WORKLOADS=sql)
#
# A MariaDB and a PostgreSQL of our own (tests/sql-servers.bash) each run
# SQL_QUERIES point selects sent by one client over a unix socket, with
# distinct literals (one normalized statement): wall clock per query with
# nothing attached (bare) and with the module loaded and a reader draining
# its events (bpfpin); then, in a pass of its own, the kernel's run_cnt and
# run_time_ns of every program of the module across the same workload.

# shellcheck source=../../tests/sql-servers.bash
. tests/sql-servers.bash

SQL_QUERIES=${SQL_QUERIES:-20000}

sql_bench() {
	local d run c server reader q="$T/sql-queries" i wall servers
	sql_install_servers
	d=$(mktemp -d /tmp/bpfpin-bench-sql.XXXXXX)
	chmod 755 "$d"
	if ! sql_start_mariadb "$d" || ! sql_start_postgres "$d"; then
		say "sql: servers did not start"
		return 1
	fi
	sql_my "$d" -e "CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40));
		INSERT INTO shop.items VALUES (1, 'one'), (2, 'two')"
	sql_pg "$d" -c "CREATE TABLE items (id INT PRIMARY KEY, name TEXT);
		INSERT INTO items VALUES (1, 'one'), (2, 'two')"
	for ((i = 1; i <= SQL_QUERIES; i++)); do
		echo "SELECT name FROM items WHERE id = $i;"
	done > "$q"
	sql_client() {	# $1 server: the workload, on the workload's CPU
		case $1 in
		mariadb) taskset -c "$WORK_CPU" mariadb --no-defaults -S "$d/myrun/sock" -u root -B shop < "$q" ;;
		postgres) taskset -c "$WORK_CPU" psql -X -q -h "$d/pgrun" -U postgres -f "$q" ;;
		esac
	}
	servers="$(sql_my_bin),$(sql_pg_bindir)/postgres"
	say "sql: $SQL_QUERIES queries per run, mariadb and postgres (bare bpfpin, then kernel stats)"
	for run in $(seq "$RUNS"); do
		for server in mariadb postgres; do
			for c in bare bpfpin; do
				reader=""
				if [ "$c" = bpfpin ]; then
					bpfpin-load up --set "sql.servers=$servers" sql > /dev/null
					taskset -c "$READ_CPU" bpfpin-events sql --format json > /dev/null 2>&1 &
					reader=$!
					sleep 0.3
				fi
				read -r wall _ < <(bench-run bash -c "$(declare -f sql_client); d=$d q=$q WORK_CPU=$WORK_CPU sql_client $server")
				record --arg s "$server" --arg c "$c" --argjson run "$run" --argjson n "$SQL_QUERIES" \
					--argjson wall "$wall" \
					'{bench: "sql", server: $s, config: $c, run: $run, queries: $n, ns_per_query: ($wall / $n)}'
				if [ -n "$reader" ]; then
					kill -INT "$reader"; wait "$reader" || true
					bpfpin-load down sql > /dev/null
				fi
			done
			# the kernel's figure
			bpfpin-load up --set "sql.servers=$servers" sql > /dev/null
			taskset -c "$READ_CPU" bpfpin-events sql --format json > /dev/null 2>&1 &
			reader=$!
			rm -f "$T/stats.in" "$T/stats.out"; mkfifo "$T/stats.in"
			bench-stats hold < "$T/stats.in" > "$T/stats.out" &
			local holder=$!
			exec 8> "$T/stats.in"
			until grep -q ready "$T/stats.out" 2>/dev/null; do sleep 0.05; done
			bench-stats read "$BPFPIN_ROOT/sql/progs" > "$T/k.before"
			sql_client "$server" > /dev/null
			bench-stats read "$BPFPIN_ROOT/sql/progs" > "$T/k.after"
			exec 8>&-
			wait "$holder"
			kill -INT "$reader"; wait "$reader" || true
			bpfpin-load down sql > /dev/null
			join <(sort "$T/k.before") <(sort "$T/k.after") |
			while read -r prog cnt0 ns0 cnt1 ns1; do
				record --arg w "sql-$server" --arg p "$prog" --argjson run "$run" \
					--argjson ops "$SQL_QUERIES" --argjson runs $((cnt1 - cnt0)) --argjson ns $((ns1 - ns0)) \
					'{bench: "kstats", workload: $w, config: "bpfpin", prog: $p, run: $run, ops: $ops, runs: $runs, run_time_ns: $ns}'
			done
		done
	done
	sql_stop_mariadb "$d"
	sql_stop_postgres "$d"
	rm -rf "$d"
}
