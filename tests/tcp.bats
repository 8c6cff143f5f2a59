#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# tcp.bats: connections the tests make, with exact bytes, owners, resets, SYN timeouts, retransmits, RTT and evictions

load helpers

setup_file() {
	bpfpin_setup_file
	# its warnings say whether this kernel took the seed programs
	bpfpin-load up tcp 2> "$BATS_FILE_TMPDIR/up.err" >/dev/null
}

# Seeding needs the tcp socket iterator program, which 6.1 refuses.
require_seed() {
	if grep -q "seed 'seed_socks' left out" "$BATS_FILE_TMPDIR/up.err"; then
		skip "needs hook seed_socks (iter/tcp, refused by this kernel)"
	fi
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module tcp
	# what earlier tests left in the ring is theirs
	bpfpin-events tcp --duration 0.2 >/dev/null
}

teardown() {
	restore_variants
	cleanup_netns
	cleanup_cgroups
}

# tcp_value MAP SELECT FIELD: one field of the stats row jq SELECT picks
tcp_value() {
	bpfpin-stat tcp --format json |
		jq -r "select(.type == \"$1\" and ($2)) | .$3"
}

# start_server CGROUP ADDR K [NETNS]: sets SERVER_PID and PORT
start_server() {
	local ns=${4:-}
	if [ -n "$ns" ]; then
		in_netns_cgroup "$ns" "$1" "$BUILD/tests/tcp-peer" serve "$2" \
			"$BATS_TEST_TMPDIR/port" "$3" &
	else
		in_cgroup "$1" "$BUILD/tests/tcp-peer" serve "$2" "$BATS_TEST_TMPDIR/port" "$3" &
	fi
	SERVER_PID=$!
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
}

@test "tcp: 100000 bytes each way over loopback: connect, accept and two closes with exact payload, ports and owners" {
	new_cgroup server
	server_cg=$CG
	server_rel=$CG_REL
	start_server "$server_cg" 127.0.0.1 100000
	new_cgroup client
	# sh execs the client: $! is its pid
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" connect 127.0.0.1 "$3" 100000' \
		client "$CG" "$BUILD/tests/tcp-peer" "$PORT" &
	client_pid=$!
	wait "$client_pid"
	wait "$SERVER_PID"
	run bpfpin-events tcp --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --argjson p "$PORT" 'select(.rport == $p or .lport == $p)' <<< "$output")
	echo "$ev" >&3
	connect=$(jq -c 'select(.type == "connect")' <<< "$ev")
	accept=$(jq -c 'select(.type == "accept")' <<< "$ev")
	[ "$(jq -r .comm <<< "$connect")" = tcp-client ]
	[ "$(jq .pid <<< "$connect")" -eq "$client_pid" ]
	[ "$(jq -r .cgroup <<< "$connect")" = "$CG_REL" ]
	[ "$(jq -r .raddr <<< "$connect")" = 127.0.0.1 ]
	client_port=$(jq .lport <<< "$connect")
	[ "$(jq -r .comm <<< "$accept")" = tcp-server ]
	[ "$(jq -r .cgroup <<< "$accept")" = "$server_rel" ]
	[ "$(jq .lport <<< "$accept")" -eq "$PORT" ]
	[ "$(jq .rport <<< "$accept")" -eq "$client_port" ]
	# each side's close: its own owner, exactly 100000 payload bytes each way
	client_close=$(jq -c 'select(.type == "close" and .comm == "tcp-client")' <<< "$ev")
	server_close=$(jq -c 'select(.type == "close" and .comm == "tcp-server")' <<< "$ev")
	for c in "$client_close" "$server_close"; do
		[ "$(jq .bytes_sent <<< "$c")" -eq 100000 ]
		[ "$(jq .bytes_received <<< "$c")" -eq 100000 ]
		[ "$(jq .duration_ns <<< "$c")" -gt 0 ]
		[ "$(jq .segs_out <<< "$c")" -gt 0 ]
	done
	[ "$(jq .lport <<< "$client_close")" -eq "$client_port" ]
	[ "$(jq .rport <<< "$client_close")" -eq "$PORT" ]
	[ "$(jq .lport <<< "$server_close")" -eq "$PORT" ]
	# the stats agree, per cgroup and per remote endpoint
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" connects)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" closes)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_sent)" -eq 100000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$server_rel\"" accepts)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$server_rel\"" bytes_received)" -eq 100000 ]
	# per remote endpoint, keyed by the service's side: the client's row is
	# the server's port it connected to, the server's its own port, not
	# the client's ephemeral one
	client_row=".raddr == \"127.0.0.1\" and .port == $PORT and .direction == \"connect\""
	server_row=".raddr == \"127.0.0.1\" and .port == $PORT and .direction == \"accept\""
	for f in connects closes; do
		[ "$(tcp_value remotes "$client_row" $f)" -eq 1 ]
	done
	[ "$(tcp_value remotes "$client_row" accepts)" -eq 0 ]
	[ "$(tcp_value remotes "$server_row" accepts)" -eq 1 ]
	[ "$(tcp_value remotes "$server_row" closes)" -eq 1 ]
	[ "$(tcp_value remotes "$server_row" connects)" -eq 0 ]
	for r in "$client_row" "$server_row"; do
		[ "$(tcp_value remotes "$r" bytes_sent)" -eq 100000 ]
		[ "$(tcp_value remotes "$r" bytes_received)" -eq 100000 ]
	done
	not has_record ".type == \"remotes\" and .port == $client_port and .direction == \"accept\"" <<< "$(bpfpin-stat tcp --format json)"
	# RTT samples, as JSON buckets whose counts add up
	rtt=$(bpfpin-stat tcp --format json | jq -c "select(.type == \"remotes\" and $client_row) | .rtt")
	echo "$rtt" >&3
	[ "$(jq .count <<< "$rtt")" -gt 0 ]
	[ "$(jq '[.buckets[].count] | add' <<< "$rtt")" -eq "$(jq .count <<< "$rtt")" ]
}

@test "tcp: RTT histogram as bars in a table and a Prometheus histogram that promtool accepts" {
	new_cgroup server
	start_server "$CG" 127.0.0.1 1000
	new_cgroup client
	in_cgroup "$CG" "$BUILD/tests/tcp-peer" connect 127.0.0.1 "$PORT" 1000
	wait "$SERVER_PID"
	run bpfpin-stat tcp
	[ "$status" -eq 0 ]
	echo "$output" | head -30 >&3
	grep -q "usecs *: count *distribution" <<< "$output"
	grep -Eq "^rtt raddr=127.0.0.1 port=$PORT direction=connect\$" <<< "$output"
	grep -Eq "^rtt raddr=127.0.0.1 port=$PORT direction=accept\$" <<< "$output"
	grep -Eq '^ +[0-9]+ -> [0-9]+ : [0-9]+ +\|\*+ *\|$' <<< "$output"
	run bpfpin-stat tcp --format prom
	[ "$status" -eq 0 ]
	grep -qx '# TYPE bpfpin_tcp_rtt_seconds histogram' <<< "$output"
	grep -q "^bpfpin_tcp_rtt_seconds_bucket{cgroup=\"$CG_REL\",container=\"\",le=\"+Inf\"} [1-9]" <<< "$output"
	grep -q "^bpfpin_tcp_remotes_rtt_seconds_count{raddr=\"127.0.0.1\",port=\"$PORT\",direction=\"connect\"} [1-9]" <<< "$output"
	grep -q "^bpfpin_tcp_remotes_rtt_seconds_count{raddr=\"127.0.0.1\",port=\"$PORT\",direction=\"accept\"} [1-9]" <<< "$output"
	run promtool check metrics <<< "$output"
	echo "$output" >&3
	[ "$status" -eq 0 ]
}

# closed_port_resets NAME: a connect from a new cgroup NAME to a closed
# port: a reset each way, no SYN timeout
closed_port_resets() {
	new_cgroup "$1"
	# a port nobody listens on
	port=$((20000 + RANDOM % 10000))
	while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done
	status=0
	in_cgroup "$CG" "$BUILD/tests/tcp-peer" connect 127.0.0.1 "$port" 10 || status=$?
	[ "$status" -eq 2 ]
	run bpfpin-events tcp --format json --duration 1
	ev=$(jq -c --argjson p "$port" 'select(.type == "reset" and (.rport == $p or .lport == $p))' <<< "$output")
	echo "$ev" >&3
	[ "$(wc -l <<< "$ev")" -eq 2 ]
	received=$(jq -c 'select(.direction == "received")' <<< "$ev")
	[ "$(jq -r .comm <<< "$received")" = tcp-client ]
	[ "$(jq -r .state <<< "$received")" = SYN_SENT ]
	[ "$(jq .rport <<< "$received")" -eq "$port" ]
	# the kernel answered for no socket: nobody's
	sent=$(jq -c 'select(.direction == "sent")' <<< "$ev")
	[ "$(jq .pid <<< "$sent")" -eq 0 ]
	[ "$(jq .lport <<< "$sent")" -eq "$port" ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" resets_received)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" syn_timeouts)" -eq 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" connects)" -eq 0 ]
	[ "$(tcp_value remotes ".raddr == \"127.0.0.1\" and .port == $port and .direction == \"connect\"" resets_received)" -eq 1 ]
	# the kernel's reset answered a packet to a local port: the accept side
	[ "$(tcp_value remotes ".raddr == \"127.0.0.1\" and .port == $port and .direction == \"accept\"" resets_sent)" -eq 1 ]
	! has_record ".type == \"syn_timeout\" and .rport == $port" <<< "$output"
}

@test "tcp: a connect to a closed port: a reset each way, no SYN timeout" {
	require_hook tcp tcp_v4_send_reset "a reset sent for no socket, before 6.10"
	closed_port_resets refused
}

@test "tcp: the same from hook tcp_v4_send_reset's kprobe (fentry passed over), where the tracepoint misses it" {
	use_variant tcp tcp_v4_send_reset kprobe reset4_fentry
	closed_port_resets kprobe
}

@test "tcp: a connection opened before the module loaded: followed from up (existing), its resets keyed by the service's side, told by the port its listener bound" {
	require_seed
	bpfpin-load down tcp >/dev/null
	new_cgroup before
	port=$((20000 + RANDOM % 10000))
	while ss -Htan "sport = :$port or dport = :$port" | grep -q .; do port=$((port + 1)); done
	mkfifo "$BATS_TEST_TMPDIR/go"
	in_cgroup "$CG" "$BUILD/tests/tcp-peer" reset 127.0.0.1 "$port" \
		< "$BATS_TEST_TMPDIR/go" > "$BATS_TEST_TMPDIR/out" &
	peer=$!
	exec 5> "$BATS_TEST_TMPDIR/go"
	for i in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	bpfpin-load up tcp >/dev/null
	echo go >&5
	exec 5>&-
	wait "$peer"
	# the client resets: its port was not bound, it connected; the
	# server's end was accepted on the port its listener bound
	service=".raddr == \"127.0.0.1\" and .port == $port"
	[ "$(tcp_value remotes "$service and .direction == \"connect\"" resets_sent)" -eq 1 ]
	[ "$(tcp_value remotes "$service and .direction == \"connect\"" resets_received)" -eq 0 ]
	[ "$(tcp_value remotes "$service and .direction == \"accept\"" resets_received)" -eq 1 ]
	[ "$(tcp_value remotes "$service and .direction == \"accept\"" resets_sent)" -eq 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" resets_sent)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" resets_received)" -eq 1 ]
	# followed from the load on (existing), not as a connect or an accept
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" closes)" -eq 2 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" existing)" -eq 2 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" connects)" -eq 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" accepts)" -eq 0 ]
	# and no row for the client's ephemeral port
	client_port=$(bpfpin-events tcp --format json --duration 1 |
		jq -s --argjson p "$port" 'map(select(.type == "reset" and .direction == "received" and .lport == $p)) | .[0].rport')
	echo "# client port $client_port" >&3
	[ "$client_port" -gt 0 ]
	not has_record ".type == \"remotes\" and .raddr == \"127.0.0.1\" and .port == $client_port" <<< "$(bpfpin-stat tcp --format json)"
}

@test "tcp: a server that resets as it closes (SO_LINGER 0): the reset keeps the connection's ends, owner and service-side key" {
	new_cgroup aborting
	port=$((20000 + RANDOM % 10000))
	while ss -Htan "sport = :$port or dport = :$port" | grep -q .; do port=$((port + 1)); done
	# sh execs the peer: $! is its pid
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" reset 127.0.0.1 "$3" server' \
		aborting "$CG" "$BUILD/tests/tcp-peer" "$port" < /dev/null &
	peer=$!
	wait "$peer"
	run bpfpin-events tcp --format json --duration 1
	[ "$status" -eq 0 ]
	sent=$(jq -c --argjson p "$port" 'select(.type == "reset" and .direction == "sent" and .lport == $p)' <<< "$output")
	received=$(jq -c --argjson p "$port" 'select(.type == "reset" and .direction == "received" and .rport == $p)' <<< "$output")
	echo "$sent" >&3
	[ "$(grep -c . <<< "$sent")" -eq 1 ]
	[ "$(grep -c . <<< "$received")" -eq 1 ]
	# sent after the close: the ends as established, the accepting owner
	[ "$(jq .pid <<< "$sent")" -eq "$peer" ]
	[ "$(jq -r .state <<< "$sent")" = CLOSE ]
	[ "$(jq .rport <<< "$sent")" -eq "$(jq .lport <<< "$received")" ]
	service=".raddr == \"127.0.0.1\" and .port == $port"
	for f in accepts closes resets_sent; do
		[ "$(tcp_value remotes "$service and .direction == \"accept\"" $f)" -eq 1 ]
	done
	[ "$(tcp_value remotes "$service and .direction == \"accept\"" resets_received)" -eq 0 ]
	for f in connects closes resets_received; do
		[ "$(tcp_value remotes "$service and .direction == \"connect\"" $f)" -eq 1 ]
	done
	[ "$(tcp_value remotes "$service and .direction == \"connect\"" resets_sent)" -eq 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" resets_sent)" -eq 1 ]
}

@test "tcp: a connect to a blackholed address in a test namespace: one SYN timeout, error ETIMEDOUT" {
	new_netns_pair
	# B drops every SYN to port 9: the client hears nothing
	ip netns exec "$NS_B" nft add table inet bpfpin_test
	ip netns exec "$NS_B" nft add chain inet bpfpin_test in '{ type filter hook input priority 0; }'
	ip netns exec "$NS_B" nft add rule inet bpfpin_test in tcp dport 9 drop
	new_cgroup blackholed
	status=0
	# one SYN retry: the connect gives up after ~3 s
	in_netns_cgroup "$NS_A" "$CG" "$BUILD/tests/tcp-peer" connect "$ADDR_B" 9 10 1 || status=$?
	[ "$status" -eq 3 ]
	run bpfpin-events tcp --format json --duration 1
	ev=$(jq -c --arg a "$ADDR_B" 'select(.type == "syn_timeout" and .raddr == $a)' <<< "$output")
	echo "$ev" >&3
	[ "$(wc -l <<< "$ev")" -eq 1 ]
	[ "$(jq .error <<< "$ev")" -eq 110 ]
	[ "$(jq .rport <<< "$ev")" -eq 9 ]
	[ "$(jq -r .comm <<< "$ev")" = tcp-client ]
	[ "$(jq .duration_ns <<< "$ev")" -gt 2000000000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" syn_timeouts)" -eq 1 ]
	[ "$(tcp_value remotes ".raddr == \"$ADDR_B\" and .port == 9 and .direction == \"connect\"" syn_timeouts)" -eq 1 ]
	# the SYN's retries are retransmits too, one event each
	retries=$(jq -c --arg a "$ADDR_B" 'select(.type == "retransmit" and .raddr == $a and .state == "SYN_SENT")' <<< "$output" | grep -c .)
	[ "$retries" -ge 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" retransmits)" -eq "$retries" ]
}

@test "tcp: one packet in ten dropped by nftables: retransmits seen, counted once each, bytes still exact" {
	new_netns_pair
	ip netns exec "$NS_B" nft add table inet bpfpin_test
	ip netns exec "$NS_B" nft add chain inet bpfpin_test in '{ type filter hook input priority 0; }'
	ip netns exec "$NS_B" nft add rule inet bpfpin_test in tcp sport != 0 numgen inc mod 10 == 0 drop
	new_cgroup lossy-server
	start_server "$CG" "$ADDR_B" 300000 "$NS_B"
	new_cgroup lossy-client
	in_netns_cgroup "$NS_A" "$CG" "$BUILD/tests/tcp-peer" connect "$ADDR_B" "$PORT" 300000
	wait "$SERVER_PID"
	run bpfpin-events tcp --format json --duration 1
	mine=$(jq -c --arg a "$ADDR_B" --argjson p "$PORT" \
		'select(.raddr == $a and .rport == $p and .comm == "tcp-client")' <<< "$output")
	retrans=$(jq -c 'select(.type == "retransmit")' <<< "$mine" | grep -c . || true)
	close=$(jq -c 'select(.type == "close")' <<< "$mine")
	echo "# $retrans retransmit events; close: $close" >&3
	[ "$retrans" -gt 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" retransmits)" -eq "$retrans" ]
	# the socket's own count: segments, so GSO packets can count more than once
	[ "$(jq .retransmits <<< "$close")" -ge "$retrans" ]
	[ "$(jq .bytes_sent <<< "$close")" -eq 300000 ]
	[ "$(jq .bytes_received <<< "$close")" -eq 300000 ]
}

@test "tcp: remote endpoints past tcp.remote_entries are evicted and counted, never lost silently" {
	require_hook tcp tcp_v4_send_reset "a reset sent for no socket, before 6.10"
	bpfpin-load down tcp >/dev/null
	echo "tcp.remote_entries = 64" > "$BATS_TEST_TMPDIR/conf"
	bpfpin-load up --config "$BATS_TEST_TMPDIR/conf" tcp >/dev/null
	[ "$(bpftool map show pinned "$BPFPIN_ROOT/tcp/maps/remotes_a" -j | jq .max_entries)" -eq 64 ]
	new_cgroup many
	# 150 refused connects: 150 remote ports reset each way, the client's
	# row (connect) and the kernel's answer to a closed local port (accept).
	# The ports are below the ephemeral range: a connect whose source port
	# were its destination would connect to itself, not be refused.
	[ "$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)" -gt 10150 ]
	[ -z "$(ss -Htln 'sport >= :10001 and sport <= :10150')" ]
	for i in $(seq 150); do
		in_cgroup "$CG" "$BUILD/tests/tcp-peer" connect 127.0.0.1 $((10000 + i)) 1 2>/dev/null || true
	done
	rows=$(bpfpin-stat tcp --format json | jq -c 'select(.type == "remotes")' | grep -c .)
	evicted=$(bpfpin-stat tcp --format json | jq 'select(.type == "drops" and .reason == "evicted") | .drops')
	# the remote endpoints the resets named: each was inserted at least once
	distinct=$(bpfpin-events tcp --format json --duration 1 |
		jq -s '[.[] | select(.type == "reset") |
			if .direction == "received" then [.raddr, .rport, "connect"]
			else [.raddr, .lport, "accept"] end |
			select(.[1] > 10000 and .[1] <= 10150)] | unique | length')
	echo "# $distinct endpoints: $rows remote rows kept, $evicted evicted" >&3
	[ "$distinct" -eq 300 ]
	[ "$rows" -le 64 ]
	[ "$evicted" -ge $((distinct - rows)) ]
	# every reset was counted, in the cgroup map that does not evict
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" resets_received)" -eq 150 ]
	# a flush drains what is kept: the evictions stay as they were
	bpfpin-stat tcp --flush --format json > /dev/null
	[ "$(bpfpin-stat tcp --format json | jq 'select(.type == "drops" and .reason == "evicted") | .drops')" -eq "$evicted" ]
	bpfpin-load down tcp >/dev/null
	bpfpin-load up tcp >/dev/null
}

# hold_start CGROUP: a tcp-sink server and a tcp-holder client connected to
# it, both in CGROUP; the client obeys lines written to fd 4 (hold_cmd).
# Sets SINK_PID, HOLD_PID, PORT.
hold_start() {
	local t=$BATS_TEST_TMPDIR
	# sh execs the helper: $! is its pid
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" sink "$3"' \
		sink "$1" "$BUILD/tests/tcp-hold" "$t/port" > "$t/sunk" &
	SINK_PID=$!
	for i in $(seq 50); do [ -s "$t/port" ] && break; sleep 0.1; done
	PORT=$(cat "$t/port")
	mkfifo "$t/ctl"
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" hold "$3"' \
		hold "$1" "$BUILD/tests/tcp-hold" "$PORT" < "$t/ctl" > "$t/out" &
	HOLD_PID=$!
	exec 4> "$t/ctl"
	hold_wait 1
}

# hold_wait N: until the client has said "ok" N times
hold_wait() {
	for i in $(seq 100); do
		[ "$(grep -c ok "$BATS_TEST_TMPDIR/out")" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# hold_close: the client closes, the sink reads to EOF; both exit
hold_close() {
	echo close >&4
	exec 4>&-
	wait "$HOLD_PID"
	wait "$SINK_PID"
}

@test "tcp: a connection opened before up: its close names its owner, counts the bytes sent after up exactly, and is marked existing" {
	require_seed
	bpfpin-load down tcp >/dev/null
	new_cgroup before
	hold_start "$CG"
	# 3000 bytes before the load, acknowledged before it: not counted
	echo "send 3000" >&4
	hold_wait 2
	sleep 0.2
	bpfpin-load up tcp >/dev/null
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" existing)" -eq 2 ]
	echo "send 70000" >&4
	hold_wait 3
	sleep 0.2
	# counted while it lives, from the load on
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_sent)" -eq 70000 ]
	hold_close
	[ "$(cat "$BATS_TEST_TMPDIR/sunk")" -eq 73000 ]
	run bpfpin-events tcp --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --argjson p "$PORT" 'select(.type == "close" and (.rport == $p or .lport == $p))' <<< "$output")
	echo "$ev" >&3
	[ "$(wc -l <<< "$ev")" -eq 2 ]
	client=$(jq -c 'select(.rport == '"$PORT"')' <<< "$ev")
	server=$(jq -c 'select(.lport == '"$PORT"')' <<< "$ev")
	[ "$(jq .pid <<< "$client")" -eq "$HOLD_PID" ]
	[ "$(jq -r .comm <<< "$client")" = tcp-holder ]
	[ "$(jq -r .cgroup <<< "$client")" = "$CG_REL" ]
	[ "$(jq .existing <<< "$client")" -eq 1 ]
	[ "$(jq .bytes_sent <<< "$client")" -eq 70000 ]
	[ "$(jq .bytes_received <<< "$client")" -eq 0 ]
	[ "$(jq .pid <<< "$server")" -eq "$SINK_PID" ]
	[ "$(jq -r .comm <<< "$server")" = tcp-sink ]
	[ "$(jq .existing <<< "$server")" -eq 1 ]
	[ "$(jq .bytes_received <<< "$server")" -eq 70000 ]
	[ "$(jq .bytes_sent <<< "$server")" -eq 0 ]
	# the ends as seeded: the client's port is the server's remote one
	[ "$(jq .lport <<< "$client")" -eq "$(jq .rport <<< "$server")" ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" closes)" -eq 2 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_sent)" -eq 70000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_received)" -eq 70000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" connects)" -eq 0 ]
}

@test "tcp: a reload does not seed again what it follows: a connection opened while loaded keeps all its bytes, not existing" {
	new_cgroup during
	hold_start "$CG"
	echo "send 5000" >&4
	hold_wait 2
	run bpfpin-load reload tcp
	[ "$status" -eq 0 ]
	echo "send 6000" >&4
	hold_wait 3
	hold_close
	ev=$(bpfpin-events tcp --format json --duration 1 |
		jq -c --argjson p "$PORT" 'select(.type == "close" and .rport == $p)')
	echo "$ev" >&3
	[ "$(jq .existing <<< "$ev")" -eq 0 ]
	[ "$(jq .bytes_sent <<< "$ev")" -eq 11000 ]
	[ "$(jq .pid <<< "$ev")" -eq "$HOLD_PID" ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" existing)" -eq 0 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" connects)" -eq 1 ]
}

@test "tcp: live bytes: 50000 sent, then a wait: a read before the close shows 50000 each way; a flush, 1 more and the close add exactly 1" {
	new_cgroup live
	hold_start "$CG"
	echo "send 50000" >&4
	hold_wait 2
	sleep 0.3
	client=".raddr == \"127.0.0.1\" and .port == $PORT and .direction == \"connect\""
	server=".raddr == \"127.0.0.1\" and .port == $PORT and .direction == \"accept\""
	[ "$(tcp_value remotes "$client" bytes_sent)" -eq 50000 ]
	[ "$(tcp_value remotes "$client" bytes_received)" -eq 0 ]
	[ "$(tcp_value remotes "$server" bytes_received)" -eq 50000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_sent)" -eq 50000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_received)" -eq 50000 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" closes)" -eq 0 ]
	# the interval up to here holds the 50000; the next one only what follows
	flushed=$(bpfpin-stat tcp --flush --format json)
	[ "$(jq -r "select(.type == \"cgroups\" and .cgroup == \"$CG_REL\") | .bytes_sent" <<< "$flushed")" -eq 50000 ]
	echo "send 1" >&4
	hold_wait 3
	hold_close
	[ "$(cat "$BATS_TEST_TMPDIR/sunk")" -eq 50001 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_sent)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" bytes_received)" -eq 1 ]
	[ "$(tcp_value cgroups ".cgroup == \"$CG_REL\"" closes)" -eq 2 ]
	# the close events still carry the whole connection
	ev=$(bpfpin-events tcp --format json --duration 1 |
		jq -c --argjson p "$PORT" 'select(.type == "close" and .rport == $p)')
	[ "$(jq .bytes_sent <<< "$ev")" -eq 50001 ]
}
