#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# tcpqueue.bats: a server that does not read shows the bytes waiting in its receive queue; a flush starts from zero

load helpers

setup_file() {
	bpfpin_setup_file
	bpfpin-load up tcpqueue >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module tcpqueue
}

teardown() {
	cleanup_cgroups
}

queue_of() {
	bpfpin-stat tcpqueue --format json |
		jq -r --arg cg "$1" "select(.type == \"stats\" and .cgroup == \$cg) | .$2"
}

@test "tcpqueue: 32 KiB written to a server that never reads: its rqueue_max is 32 KiB, within its buffer" {
	k=32768
	new_cgroup server
	server_cg=$CG_REL
	in_cgroup "$CG" "$BUILD/tests/tcp-fill" server "$BATS_TEST_TMPDIR/port" &
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	new_cgroup client
	client_cg=$CG_REL
	in_cgroup "$CG" "$BUILD/tests/tcp-fill" client "$(cat "$BATS_TEST_TMPDIR/port")" "$k"
	sleep 0.2
	rq=$(queue_of "$server_cg" rqueue_max)
	rcvbuf=$(queue_of "$server_cg" rcvbuf)
	wq=$(queue_of "$client_cg" wqueue_max)
	echo "# server rqueue_max=$rq rcvbuf=$rcvbuf; client wqueue_max=$wq" >&3
	[ "$rq" -eq "$k" ]
	[ "$rcvbuf" -ge "$rq" ]
	[ "$wq" -gt 0 ]
	[ "$wq" -le "$k" ]
	# the client's socket never had unread data
	[ "$(queue_of "$client_cg" rqueue_max)" -eq 0 ]
	run bpfpin-stat tcpqueue --format prom
	grep -qx "bpfpin_tcpqueue_rqueue_max_bytes{cgroup=\"$server_cg\",container=\"\"} $k" <<< "$output"
	grep -qx '# TYPE bpfpin_tcpqueue_rqueue_max_bytes gauge' <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
	# a flush hands over the interval's maxima, and the next one starts from zero
	run bpfpin-stat tcpqueue --flush --format json
	[ "$(jq -r --arg cg "$server_cg" 'select(.cgroup == $cg) | .rqueue_max' <<< "$output")" -eq "$k" ]
	[ -z "$(queue_of "$server_cg" rqueue_max)" ]
}

@test "tcpqueue: it has no events; bpfpin-events says so (exit 2)" {
	run bpfpin-events tcpqueue
	[ "$status" -eq 2 ]
	[[ "$output" == *"module 'tcpqueue' has no events"* ]]
}
