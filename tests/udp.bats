#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# udp.bats: K datagrams of a known size over loopback are exactly K packets and K x size bytes, each side

load helpers

setup_file() {
	bpfpin_setup_file
	bpfpin-load up udp >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module udp
}

teardown() {
	cleanup_cgroups
}

# udp_value CGROUP RADDR RPORT FIELD
udp_value() {
	bpfpin-stat udp --format json |
		jq -r --arg cg "$1" --arg a "$2" --argjson p "$3" \
			"select(.type == \"stats\" and .cgroup == \$cg and .raddr == \$a and .rport == \$p) | .$4"
}

# start_server RCVBUF: a receiver in its own cgroup; sets SERVER_CG, PORT, SERVER_PID
start_server() {
	new_cgroup "server$RANDOM"
	SERVER_CG=$CG_REL
	in_cgroup "$CG" "$BUILD/tests/udp-fill" server "$BATS_TEST_TMPDIR/port" "$1" \
		"$BATS_TEST_TMPDIR/go" > "$BATS_TEST_TMPDIR/read" &
	SERVER_PID=$!
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
}

@test "udp: 100 datagrams of 512 bytes: 100 packets and 51200 bytes on each side, with the endpoints" {
	start_server 0
	new_cgroup client
	client_port=$(in_cgroup "$CG" "$BUILD/tests/udp-fill" client "$PORT" 100 512)
	touch "$BATS_TEST_TMPDIR/go"
	wait "$SERVER_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/read")" -eq 100 ]
	[ "$(udp_value "$CG_REL" 127.0.0.1 "$PORT" packets_sent)" -eq 100 ]
	[ "$(udp_value "$CG_REL" 127.0.0.1 "$PORT" bytes_sent)" -eq 51200 ]
	[ "$(udp_value "$CG_REL" 127.0.0.1 "$PORT" packets_received)" -eq 0 ]
	[ "$(udp_value "$SERVER_CG" 127.0.0.1 "$client_port" packets_received)" -eq 100 ]
	[ "$(udp_value "$SERVER_CG" 127.0.0.1 "$client_port" bytes_received)" -eq 51200 ]
	[ "$(udp_value "$SERVER_CG" 127.0.0.1 "$client_port" packets_sent)" -eq 0 ]
	run bpfpin-stat udp --format prom
	grep -qx "bpfpin_udp_bytes_sent_bytes_total{cgroup=\"$CG_REL\",container=\"\",raddr=\"127.0.0.1\",rport=\"$PORT\"} 51200" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
}

@test "udp: a receive queue that overflows: read plus dropped is exactly what was sent" {
	start_server 4096
	new_cgroup burst
	client_port=$(in_cgroup "$CG" "$BUILD/tests/udp-fill" client "$PORT" 200 1000)
	touch "$BATS_TEST_TMPDIR/go"
	wait "$SERVER_PID"
	read=$(cat "$BATS_TEST_TMPDIR/read")
	drops=$(bpfpin-stat udp --format json | jq -r --arg cg "$SERVER_CG" \
		'select(.type == "stats" and .cgroup == $cg and .raddr == "::") | .receive_drops')
	echo "# 200 sent: $read read, $drops dropped" >&3
	[ "$drops" -gt 0 ]
	[ $((read + drops)) -eq 200 ]
	# every datagram reached the socket, the dropped ones too
	[ "$(udp_value "$SERVER_CG" 127.0.0.1 "$client_port" packets_received)" -eq 200 ]
	[ "$(udp_value "$CG_REL" 127.0.0.1 "$PORT" packets_sent)" -eq 200 ]
}
