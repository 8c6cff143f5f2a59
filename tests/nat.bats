#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# nat.bats: nftables DNAT and SNAT in the tests' own network namespaces: mappings with both tuples, joined with tcp's close events

load helpers

setup_file() {
	bpfpin_setup_file
	# tcp sees every namespace (tracepoints); nat is loaded in each test's
	bpfpin-load up tcp >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module nat
	require_module tcp
	bpfpin-events tcp --duration 0.2 >/dev/null
	T=$BATS_TEST_TMPDIR
}

teardown() {
	# nat's links live in the namespaces: down before they go
	bpfpin-load down nat >/dev/null 2>&1 || true
	cleanup_netns
	cleanup_cgroups
}

# in_ns NS CMD...: CMD in network namespace NS, mounts and cgroup as they are
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# start_pair NS CGROUP SERVER_ADDR CONNECT_ADDR CONNECT_PORT [CLIENT_NS]:
# a tcp-sink on SERVER_ADDR in NS, then $NAT_RULE (@PORT@: the sink's port)
# in $NAT_NS, then a tcp-holder in CLIENT_NS (default NS) connecting to
# CONNECT_ADDR:CONNECT_PORT (empty: the sink's port). Sets SINK_PID,
# HOLD_PID, PORT (the sink's); the holder obeys fd 4.
start_pair() {
	local ns=$1 cg=$2 cns=${6:-$1}
	sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" sink "$4" "$5"' \
		sink "$cg" "$ns" "$BUILD/tests/tcp-hold" "$T/port" "$3" > "$T/sunk" &
	SINK_PID=$!
	for i in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/port")
	[ -n "${NAT_RULE:-}" ] && in_ns "$NAT_NS" nft -f - <<< "${NAT_RULE//@PORT@/$PORT}"
	mkfifo "$T/ctl"
	sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" hold "$4" "$5"' \
		hold "$cg" "$cns" "$BUILD/tests/tcp-hold" "${5:-$PORT}" "$4" < "$T/ctl" > "$T/out" &
	HOLD_PID=$!
	exec 4> "$T/ctl"
	for i in $(seq 100); do grep -q ok "$T/out" && break; sleep 0.05; done
	grep -q ok "$T/out"
}

stop_pair() {
	echo "send 1000" >&4
	echo close >&4
	exec 4>&-
	wait "$HOLD_PID"
	wait "$SINK_PID"
	[ "$(cat "$T/sunk")" -eq 1000 ]
}

@test "nat: an nftables DNAT of port 7777 to a local server's port: one mapping event with both tuples, counted once; tcp's closes show each side's tuple" {
	NS="bpfpin-test-$$-$BATS_TEST_NUMBER-nat"
	echo "$NS" >> "$BATS_FILE_TMPDIR/netns"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	in_ns "$NS" bpfpin-load up nat >/dev/null
	new_cgroup dnat
	NAT_NS=$NS
	NAT_RULE='table ip nat { chain output { type nat hook output priority -100; tcp dport 7777 dnat ip to 127.0.0.1:@PORT@; }; }'
	start_pair "$NS" "$CG" 127.0.0.1 127.0.0.1 7777
	stop_pair
	run bpfpin-events nat --format json --duration 1
	[ "$status" -eq 0 ]
	m=$(jq -c 'select(.type == "mapping")' <<< "$output")
	echo "$m" >&3
	[ "$(wc -l <<< "$m")" -eq 1 ]
	[ "$(jq -r .kind <<< "$m")" = dnat ]
	[ "$(jq .proto <<< "$m")" -eq 6 ]
	[ "$(jq -r '[.orig_daddr, .orig_dport, .new_daddr, .new_dport] | @tsv' <<< "$m")" = \
		"$(printf '127.0.0.1\t7777\t127.0.0.1\t%s' "$PORT")" ]
	client_port=$(jq .orig_sport <<< "$m")
	# DNAT leaves the source as it was
	[ "$(jq .new_sport <<< "$m")" -eq "$client_port" ]
	[ "$(jq -r .new_saddr <<< "$m")" = 127.0.0.1 ]
	# the client's socket has the original tuple, the server's the translated one
	ev=$(bpfpin-events tcp --format json --duration 1 | jq -c 'select(.type == "close")')
	echo "$ev" >&3
	client=$(jq -c --argjson p "$client_port" 'select(.lport == $p and .comm == "tcp-holder")' <<< "$ev")
	server=$(jq -c --argjson p "$client_port" 'select(.rport == $p and .comm == "tcp-sink")' <<< "$ev")
	[ "$(jq .rport <<< "$client")" -eq 7777 ]
	[ "$(jq .pid <<< "$client")" -eq "$HOLD_PID" ]
	[ "$(jq .lport <<< "$server")" -eq "$PORT" ]
	[ "$(jq .bytes_sent <<< "$client")" -eq 1000 ]
	[ "$(jq .bytes_received <<< "$server")" -eq 1000 ]
	STATS=$(bpfpin-stat nat --format json)
	row=$(jq -c 'select(.type == "mappings")' <<< "$STATS")
	[ "$(wc -l <<< "$row")" -eq 1 ]
	[ "$(jq -r '[.kind, .orig_saddr, .orig_daddr, .orig_dport, .new_daddr, .new_dport, .connections] | @tsv' <<< "$row")" = \
		"$(printf 'dnat\t::\t127.0.0.1\t7777\t127.0.0.1\t%s\t1' "$PORT")" ]
}

@test "nat: SNAT to a second address on the way out of a namespace: one mapping with the source before and after; the server's close names the new source" {
	new_netns_pair
	NAT_SRC="${ADDR_A%.1}.3"
	ip -n "$NS_A" addr add "$NAT_SRC/24" dev veth0
	in_ns "$NS_A" bpfpin-load up nat >/dev/null
	new_cgroup snat
	NAT_NS=$NS_A
	NAT_RULE="table ip nat { chain post { type nat hook postrouting priority 100; ip daddr $ADDR_B tcp dport @PORT@ snat ip to $NAT_SRC; }; }"
	start_pair "$NS_B" "$CG" "$ADDR_B" "$ADDR_B" "" "$NS_A"
	stop_pair
	run bpfpin-events nat --format json --duration 1
	[ "$status" -eq 0 ]
	m=$(jq -c 'select(.type == "mapping")' <<< "$output")
	echo "$m" >&3
	[ "$(wc -l <<< "$m")" -eq 1 ]
	[ "$(jq -r '[.kind, .orig_saddr, .new_saddr, .orig_daddr, .new_daddr, .orig_dport, .new_dport] | @tsv' <<< "$m")" = \
		"$(printf 'snat\t%s\t%s\t%s\t%s\t%s\t%s' "$ADDR_A" "$NAT_SRC" "$ADDR_B" "$ADDR_B" "$PORT" "$PORT")" ]
	new_sport=$(jq .new_sport <<< "$m")
	ev=$(bpfpin-events tcp --format json --duration 1 | jq -c 'select(.type == "close")')
	echo "$ev" >&3
	client=$(jq -c --argjson p "$(jq .orig_sport <<< "$m")" 'select(.lport == $p and .comm == "tcp-holder")' <<< "$ev")
	server=$(jq -c --argjson p "$new_sport" 'select(.rport == $p and .comm == "tcp-sink")' <<< "$ev")
	[ "$(jq -r .laddr <<< "$client")" = "$ADDR_A" ]
	[ "$(jq -r .raddr <<< "$server")" = "$NAT_SRC" ]
	[ "$(jq .bytes_received <<< "$server")" -eq 1000 ]
	STATS=$(bpfpin-stat nat --format json)
	[ "$(jq -r 'select(.type == "mappings") | [.kind, .orig_saddr, .new_saddr, .orig_daddr, .connections] | @tsv' <<< "$STATS")" = \
		"$(printf 'snat\t%s\t%s\t::\t1' "$ADDR_A" "$NAT_SRC")" ]
}
