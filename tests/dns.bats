#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# dns.bats: queries from dig and getent to a responder in a test namespace, matched to responses, timeouts and malformed messages

load helpers

setup_file() {
	bpfpin_setup_file
	echo "dns.timeout_ms = 500" > "$BATS_FILE_TMPDIR/conf"
	! can_load dns || bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" dns >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module dns
	bpfpin-events dns --duration 0.2 >/dev/null
	# a namespace of its own: port 53 on its loopback is ours
	NS="bpfpin-test-$$-$BATS_TEST_NUMBER-dns"
	echo "$NS" >> "$BATS_FILE_TMPDIR/netns"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}

teardown() {
	restore_variants
	cleanup_netns
	rm -rf "/etc/netns/$NS"
	cleanup_cgroups
}

# start_responder ADDR [silent]
start_responder() {
	rm -f "$BATS_TEST_TMPDIR/ready"
	ip netns exec "$NS" "$BUILD/tests/dns-peer" serve "$1" "$BATS_TEST_TMPDIR/ready" ${2:-} &
	for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
	[ -e "$BATS_TEST_TMPDIR/ready" ]
}

# Whether the events name the querier's pid and comm: not where the kernel
# refuses current-task helpers in cgroup_skb (6.1), which loads the _nt
# programs
knows_querier() {
	! check_json | jq -r 'select(.check == "module dns") | .detail' | grep -q '(dns_egress_nt)'
}

# cgroup_events: the events of the test's cgroup ($CG_REL) in $ev
cgroup_events() {
	run bpfpin-events dns --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
}

# dns_value MAP SELECT FIELD
dns_value() {
	bpfpin-stat dns --format json | jq -r "select(.type == \"$1\" and ($2)) | .$3"
}

@test "dns: dig's A and AAAA queries: each matched to its response with name, type, rcode, answers and latency" {
	start_responder 127.0.0.1
	new_cgroup dig
	in_netns_cgroup "$NS" "$CG" dig @127.0.0.1 example.test A +tries=1 +time=2 > "$BATS_TEST_TMPDIR/out1"
	in_netns_cgroup "$NS" "$CG" dig @127.0.0.1 nx.example.test AAAA +tries=1 +time=2 > "$BATS_TEST_TMPDIR/out2"
	grep -q "status: NOERROR" "$BATS_TEST_TMPDIR/out1"
	grep -q "status: NXDOMAIN" "$BATS_TEST_TMPDIR/out2"
	cgroup_events
	[ "$(jq -c 'select(.type == "query")' <<< "$ev" | grep -c .)" -eq 2 ]
	a=$(jq -c 'select(.type == "response" and .qname == "example.test")' <<< "$ev")
	[ "$(jq -r .qtype <<< "$a")" = A ]
	[ "$(jq -r .rcode <<< "$a")" = NOERROR ]
	[ "$(jq .answers <<< "$a")" -eq 1 ]
	[ "$(jq -r .server <<< "$a")" = 127.0.0.1 ]
	[ "$(jq .latency_ns <<< "$a")" -gt 0 ]
	if knows_querier; then
		[[ "$(jq -r .comm <<< "$a")" == isc-* || "$(jq -r .comm <<< "$a")" == dig ]]
	else
		[ "$(jq -c '[.pid, .comm]' <<< "$a")" = '[0,""]' ]
	fi
	# the response names the query it answers
	[ "$(jq .id <<< "$a")" -eq "$(jq 'select(.type == "query" and .qname == "example.test") | .id' <<< "$ev")" ]
	nx=$(jq -c 'select(.type == "response" and .qname == "nx.example.test")' <<< "$ev")
	[ "$(jq -r .qtype <<< "$nx")" = AAAA ]
	[ "$(jq -r .rcode <<< "$nx")" = NXDOMAIN ]
	[ "$(jq .answers <<< "$nx")" -eq 0 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" queries)" -eq 2 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" responses)" -eq 2 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" noerror)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" nxdomain)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" timeouts)" -eq 0 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" latency.count)" -eq 2 ]
	run bpfpin-stat dns --format prom
	grep -q "^bpfpin_dns_latency_seconds_count{cgroup=\"$CG_REL\",container=\"\"} 2\$" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
}

@test "dns: IPv6: a query to ::1 and its response" {
	start_responder ::1
	new_cgroup dig6
	in_netns_cgroup "$NS" "$CG" dig @::1 v6.example.test A +tries=1 +time=2 > /dev/null
	run bpfpin-events dns --format json --duration 1
	r=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "response")' <<< "$output")
	echo "$r" >&3
	[ "$(jq -r .server <<< "$r")" = ::1 ]
	[ "$(jq -r .qname <<< "$r")" = v6.example.test ]
	[ "$(dns_value servers '.addr == "::1" and .port == 53' responses)" -ge 1 ]
}

@test "dns: getent through the namespace's resolv.conf: every query answered, by id" {
	start_responder 127.0.0.1
	mkdir -p "/etc/netns/$NS"
	echo "nameserver 127.0.0.1" > "/etc/netns/$NS/resolv.conf"
	new_cgroup getent
	in_netns_cgroup "$NS" "$CG" getent hosts example.test
	run bpfpin-events dns --format json --duration 1
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	q=$(jq -c 'select(.type == "query")' <<< "$ev" | grep -c .)
	[ "$q" -ge 1 ]
	[ "$(jq -c 'select(.type == "response" and .qname == "example.test")' <<< "$ev" | grep -c .)" -eq "$q" ]
	[ "$(jq -s '[.[] | select(.type == "query") | .id] | sort' <<< "$ev")" = \
	  "$(jq -s '[.[] | select(.type == "response") | .id] | sort' <<< "$ev")" ]
	! knows_querier || [ "$(jq -r 'select(.type == "query") | .comm' <<< "$ev" | sort -u)" = getent ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" responses)" -eq "$q" ]
}

@test "dns: a query to a silent server becomes a timeout after dns.timeout_ms, with its name" {
	start_responder 127.0.0.9 silent
	new_cgroup silent
	status=0
	in_netns_cgroup "$NS" "$CG" dig @127.0.0.9 silent.example.test A +tries=1 +time=1 > /dev/null || status=$?
	[ "$status" -eq 9 ]	# dig: no reply
	run bpfpin-events dns --format json --duration 1
	t=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "timeout")' <<< "$output")
	echo "$t" >&3
	[ "$(wc -l <<< "$t")" -eq 1 ]
	[ "$(jq -r .qname <<< "$t")" = silent.example.test ]
	[ "$(jq -r .server <<< "$t")" = 127.0.0.9 ]
	[ "$(jq .latency_ns <<< "$t")" -ge 500000000 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" queries)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" timeouts)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" responses)" -eq 0 ]
	[ "$(dns_value servers '.addr == "127.0.0.9"' timeouts)" -eq 1 ]
}

@test "dns: a response after the timeout: a timeout, then an unmatched response, never a latency" {
	start_responder 127.0.0.7 slow
	new_cgroup slow
	# dig waits 2 s: the answer comes at 1 s, after the 0.5 s timeout
	in_netns_cgroup "$NS" "$CG" dig @127.0.0.7 late.example.test A +tries=1 +time=2 > /dev/null
	run bpfpin-events dns --format json --duration 1
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	[ "$(jq -c 'select(.type == "timeout")' <<< "$ev" | grep -c .)" -eq 1 ]
	not jq -e 'select(.type == "response")' <<< "$ev" > /dev/null
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" timeouts)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" unmatched)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" responses)" -eq 0 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" latency.count)" -eq 0 ]
}

@test "dns: four malformed messages to port 53 are counted, and nothing else" {
	start_responder 127.0.0.1 silent
	new_cgroup junk
	for payload in abcd x 0123456789; do
		in_netns_cgroup "$NS" "$CG" bash -c "printf '$payload' > /dev/udp/127.0.0.1/53"
	done
	# a header and no question
	in_netns_cgroup "$NS" "$CG" bash -c "printf '\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00' > /dev/udp/127.0.0.1/53"
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" malformed)" -eq 4 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" queries)" -eq 0 ]
}

@test "dns: group bpfpin reads its stats without root; its events, which hold query names, stay root's" {
	ensure_bpfpin_group
	bpfpin-load down dns >/dev/null
	bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" dns >/dev/null
	[ "$(stat -c %a "$BPFPIN_ROOT/dns/maps/events")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/dns/maps/inflight")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/dns/maps/cgroups_a")" = 640 ]
	[ "$(stat -c %G "$BPFPIN_ROOT/dns/maps/cgroups_a")" = bpfpin ]
	chmod 755 "$BPFFS"
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-stat dns --format prom
	[ "$status" -eq 0 ]
	grep -q '^# TYPE bpfpin_dns_latency_seconds histogram$' <<< "$output"
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-events dns --duration 0.1
	echo "$output" >&3
	[ "$status" -eq 4 ]
}

@test "dns: the programs without current-task helpers (what 6.1 loads): a query and its response in the socket's cgroup, pid 0" {
	use_variant dns cgroup_skb_egress "cgroup_skb(dns_egress_nt)" dns_egress dns_ingress
	start_responder 127.0.0.1
	new_cgroup nt
	in_netns_cgroup "$NS" "$CG" dig @127.0.0.1 example.test A +tries=1 +time=2 > "$BATS_TEST_TMPDIR/out"
	grep -q "status: NOERROR" "$BATS_TEST_TMPDIR/out"
	cgroup_events
	[ "$(jq -c 'select(.type == "query")' <<< "$ev" | grep -c .)" -eq 1 ]
	a=$(jq -c 'select(.type == "response" and .qname == "example.test")' <<< "$ev")
	[ "$(jq -r .rcode <<< "$a")" = NOERROR ]
	[ "$(jq -s -c 'map([.pid, .comm]) | unique' <<< "$ev")" = '[[0,""]]' ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" queries)" -eq 1 ]
	[ "$(dns_value cgroups ".cgroup == \"$CG_REL\"" responses)" -eq 1 ]
}
