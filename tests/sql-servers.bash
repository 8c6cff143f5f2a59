# SPDX-License-Identifier: GPL-2.0
# sql-servers.bash: our own MariaDB and PostgreSQL (temp dir, unix sockets) for sql.bats and the bench

# The newest PostgreSQL server's bin directory, or nothing (the client
# package alone makes a bin directory too).
sql_pg_bindir() {
	local server
	server=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -1)
	[ -z "$server" ] || dirname "$server"
}

sql_my_bin() {
	command -v mariadbd || command -v mysqld
}

# Install MariaDB and PostgreSQL from Debian when missing.
sql_install_servers() {
	local need=()
	{ sql_my_bin && command -v mariadb; } > /dev/null || need+=(mariadb-server mariadb-client)
	[ -n "$(sql_pg_bindir)" ] || need+=(postgresql)
	[ ${#need[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${need[@]}" > /dev/null 2>&1 ||
		{ apt-get update -q > /dev/null && apt-get install -y -q "${need[@]}" > /dev/null; }
}

# Run a command in cgroup $1 (none: where we are).
sql_in_cgroup() {
	local cg=$1
	shift
	if [ -z "$cg" ]; then
		"$@"
	else
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sql_in_cgroup "$cg" "$@"
	fi
}

# Clients: sql_my DIR [mariadb options...], sql_pg DIR [psql options...]
sql_my() {
	local d=$1
	shift
	mariadb --no-defaults -S "$d/myrun/sock" -u root "$@"
}

sql_pg() {
	local d=$1
	shift
	psql -X -q -h "$d/pgrun" -U postgres "$@"
}

# sql_start_mariadb DIR [CGROUP]: as user mysql, data in DIR/my
sql_start_mariadb() {
	local d=$1 cg=${2:-}
	mkdir "$d/my" "$d/myrun"
	chown mysql:mysql "$d/my" "$d/myrun"
	mariadb-install-db --no-defaults --datadir="$d/my" --user=mysql \
		--auth-root-authentication-method=normal --skip-test-db \
		> "$d/my-install.log" 2>&1 || { cat "$d/my-install.log" >&2; return 1; }
	sql_in_cgroup "$cg" "$(sql_my_bin)" --no-defaults --datadir="$d/my" --user=mysql \
		--socket="$d/myrun/sock" --skip-networking --pid-file="$d/myrun/pid" \
		--log-error="$d/myrun/err" --innodb-buffer-pool-size=32M \
		> /dev/null 2>&1 3>&- &
	for _ in $(seq 150); do
		sql_my "$d" -e 'SELECT 1' > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$d/myrun/err"* >&2
	return 1
}

sql_stop_mariadb() {
	local d=$1 pid
	pid=$(cat "$d/myrun/pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
}

# sql_start_postgres DIR [CGROUP]: as user postgres, data in DIR/pg
sql_start_postgres() {
	local d=$1 cg=${2:-} bin
	bin=$(sql_pg_bindir)
	mkdir "$d/pg" "$d/pgrun"
	chown postgres:postgres "$d/pg" "$d/pgrun"
	runuser -u postgres -- "$bin/initdb" -D "$d/pg" -A trust -U postgres \
		> "$d/pg-init.log" 2>&1 || { cat "$d/pg-init.log" >&2; return 1; }
	sql_in_cgroup "$cg" runuser -u postgres -- "$bin/pg_ctl" -D "$d/pg" -w -l "$d/pgrun/log" \
		-o "-k $d/pgrun -c listen_addresses= -c shared_buffers=16MB" start > /dev/null 3>&- ||
		{ cat "$d/pgrun/log" >&2; return 1; }
}

sql_stop_postgres() {
	local d=$1
	[ -e "$d/pg/postmaster.pid" ] || return 0
	runuser -u postgres -- "$(sql_pg_bindir)/pg_ctl" -D "$d/pg" -m fast -w stop > /dev/null 2>&1 ||
		kill -9 "$(head -1 "$d/pg/postmaster.pid")" 2>/dev/null || true
}
