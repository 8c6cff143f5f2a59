#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# nat.bats: nftables DNAT and SNAT in the test's own network namespaces: each connection is one mapping, with both tuples

load helpers
bats_require_minimum_version 1.5.0

# Q: the server's port in $NS_B (a namespace of its own: no clash)
Q=18080

setup_file() {
	bpfpin_setup_file
	new_netns_pair
	# a second address in A, for SNAT
	ADDR_A3=${ADDR_A%.1}.3
	ip -n "$NS_A" addr add "$ADDR_A3/24" dev veth0
	# IPv6 too (no duplicate address detection: usable at once)
	ADDR6_A=fd00:b9f:1::1
	ADDR6_B=fd00:b9f:1::2
	ip -n "$NS_A" addr add "$ADDR6_A/64" dev veth0 nodad
	ip -n "$NS_B" addr add "$ADDR6_B/64" dev veth0 nodad
	NETNS_A=$(stat -L -c %i "/run/netns/$NS_A")
	NETNS_B=$(stat -L -c %i "/run/netns/$NS_B")
	export NS_A NS_B ADDR_A ADDR_B ADDR_A3 ADDR6_A ADDR6_B NETNS_A NETNS_B
	# an echo server: what a client writes comes back
	ip netns exec "$NS_B" socat "TCP-LISTEN:$Q,bind=$ADDR_B,reuseaddr,fork" EXEC:cat \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! > "$BATS_FILE_TMPDIR/server"
	ip netns exec "$NS_B" socat "TCP6-LISTEN:$Q,bind=[$ADDR6_B],reuseaddr,fork" EXEC:cat \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! >> "$BATS_FILE_TMPDIR/server"
	for i in $(seq 50); do
		[ "$(ip netns exec "$NS_B" ss -Htln "sport = :$Q" | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
	! can_load nat || bpfpin-load up nat --set "nat.netns=/run/netns/$NS_A,/run/netns/$NS_B" >/dev/null
}

teardown_file() {
	# the links first, then the namespaces they are in
	bpfpin-load down >/dev/null 2>&1 || true
	[ ! -f "$BATS_FILE_TMPDIR/server" ] || kill $(cat "$BATS_FILE_TMPDIR/server") 2>/dev/null || true
	bpfpin_teardown_file
}

setup() {
	require_module nat
	ip netns exec "$NS_A" nft flush ruleset
	ip netns exec "$NS_B" nft flush ruleset
	# events of earlier tests
	bpfpin-events nat --duration 0.2 >/dev/null
}

# dnat_rule P: in B, connections to port P go to the server's port Q
dnat_rule() {
	ip netns exec "$NS_B" nft add table ip bpfpin_test
	ip netns exec "$NS_B" nft "add chain ip bpfpin_test pre { type nat hook prerouting priority dstnat; }"
	ip netns exec "$NS_B" nft add rule ip bpfpin_test pre tcp dport "$1" dnat to "$ADDR_B:$Q"
}

# snat_rule: in A, connections to the server's port leave from $ADDR_A3
snat_rule() {
	ip netns exec "$NS_A" nft add table ip bpfpin_test
	ip netns exec "$NS_A" nft "add chain ip bpfpin_test post { type nat hook postrouting priority srcnat; }"
	ip netns exec "$NS_A" nft add rule ip bpfpin_test post ip saddr "$ADDR_A" tcp dport "$Q" snat to "$ADDR_A3"
}

# connect PORT: one connection from A to B's PORT, 100 bytes each way
connect() {
	ip netns exec "$NS_A" "$BUILD/tests/tcp-peer" connect "$ADDR_B" "$1" 100
}

# mapping KIND ORIG_ADDR ORIG_PORT XLAT_ADDR XLAT_PORT NETNS: its connections
mapping() {
	bpfpin-stat nat --format json |
		jq -r --arg k "$1" --arg oa "$2" --argjson op "$3" --arg xa "$4" \
			--argjson xp "$5" --argjson ns "$6" '
		select(.type == "mappings" and .kind == $k and .orig_addr == $oa and
		       .orig_port == $op and .xlat_addr == $xa and .xlat_port == $xp and
		       .netns == $ns) | .connections'
}

# rows NETNS: the mapping rows of that namespace
rows() {
	bpfpin-stat nat --format json |
		jq -s --argjson ns "$1" 'map(select(.type == "mappings" and .netns == $ns)) | length'
}

@test "nat: 3 connections to a DNAT port P: one dnat mapping P -> Q counting 3, and 3 events with both tuples" {
	local p=$((17000 + BATS_TEST_NUMBER))
	dnat_rule "$p"
	before=$(rows "$NETNS_B")
	for i in 1 2 3; do connect "$p"; done
	[ "$(mapping dnat "$ADDR_B" "$p" "$ADDR_B" "$Q" "$NETNS_B")" -eq 3 ]
	# that row only, and nothing in A (no rule there)
	[ "$(rows "$NETNS_B")" -eq $((before + 1)) ]
	[ "$(rows "$NETNS_A")" -eq 0 ]
	run bpfpin-events nat --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(grep '"type":"mapping"' <<< "$output")
	[ "$(jq -s 'length' <<< "$ev")" -eq 3 ]
	# each: sent to P, translated to Q, source unchanged, seen at local_in in B
	[ "$(jq -s --arg a "$ADDR_A" --arg b "$ADDR_B" --argjson p "$p" --argjson q "$Q" \
		--argjson ns "$NETNS_B" 'map(select(.proto == "tcp" and .kind == "dnat" and
		.orig_saddr == $a and .orig_daddr == $b and .orig_dport == $p and
		.xlat_saddr == $a and .xlat_sport == .orig_sport and .xlat_daddr == $b and
		.xlat_dport == $q and .netns == $ns and .hook == "ipv4_local_in")) | length' \
		<<< "$ev")" -eq 3 ]
	# three connections, three client ports
	[ "$(jq -s 'map(.orig_sport) | unique | length' <<< "$ev")" -eq 3 ]
}

@test "nat: SNAT in the client's namespace: 2 connections are 2 snat mappings to the other address, seen at post_routing" {
	snat_rule
	before=$(mapping snat "$ADDR_A" 0 "$ADDR_A3" 0 "$NETNS_A")
	connect "$Q"
	connect "$Q"
	[ "$(mapping snat "$ADDR_A" 0 "$ADDR_A3" 0 "$NETNS_A")" -eq $((${before:-0} + 2)) ]
	run bpfpin-events nat --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(grep '"type":"mapping"' <<< "$output")
	[ "$(jq -s --arg a "$ADDR_A" --arg a3 "$ADDR_A3" --arg b "$ADDR_B" --argjson q "$Q" \
		--argjson ns "$NETNS_A" 'map(select(.kind == "snat" and .orig_saddr == $a and
		.xlat_saddr == $a3 and .orig_daddr == $b and .xlat_daddr == $b and
		.orig_dport == $q and .xlat_dport == $q and .netns == $ns and
		.hook == "ipv4_post_routing")) | length' <<< "$ev")" -eq 2 ]
	# B has no rule: its conntrack saw the connections untranslated
	[ "$(jq -s 'length' <<< "$ev")" -eq 2 ]
}

@test "nat: both rules: a connection is one dnat row in B and one snat row in A; the server's tcp close joins its original tuple" {
	local p=$((17000 + BATS_TEST_NUMBER))
	require_module tcp
	bpfpin-load up tcp >/dev/null
	dnat_rule "$p"
	snat_rule
	# A sees the connection to port P (B translates it): SNAT that too
	ip netns exec "$NS_A" nft add rule ip bpfpin_test post ip saddr "$ADDR_A" tcp dport "$p" snat to "$ADDR_A3"
	snat_before=$(mapping snat "$ADDR_A" 0 "$ADDR_A3" 0 "$NETNS_A")
	connect "$p"
	[ "$(mapping dnat "$ADDR_B" "$p" "$ADDR_B" "$Q" "$NETNS_B")" -eq 1 ]
	[ "$(mapping snat "$ADDR_A" 0 "$ADDR_A3" 0 "$NETNS_A")" -eq $((${snat_before:-0} + 1)) ]
	run bpfpin-events nat tcp --format json --duration 1
	[ "$status" -eq 0 ]
	bpfpin-load down tcp >/dev/null
	ev=$(grep '"type":"mapping"' <<< "$output")
	[ "$(jq -s 'length' <<< "$ev")" -eq 2 ]
	# the server's close, as its socket saw it: from $ADDR_A3 to port Q,
	# 100 bytes each way
	close=$(jq -c --arg b "$ADDR_B" --argjson q "$Q" 'select(.module == "tcp" and
		.type == "close" and .laddr == $b and .lport == $q)' <<< "$output")
	[ "$(jq -s 'length' <<< "$close")" -eq 1 ]
	[ "$(jq -r '.raddr' <<< "$close")" = "$ADDR_A3" ]
	[ "$(jq -r '.bytes_received' <<< "$close")" -eq 100 ]
	# joined on B's translated tuple: the client asked for port P, from
	# $ADDR_A before A's SNAT
	[ "$(jq -r -s '(map(select(.module == "tcp"))[0]) as $c |
		map(select(.module == "nat" and .kind == "dnat" and
			.xlat_saddr == $c.raddr and .xlat_sport == $c.rport and
			.xlat_daddr == $c.laddr and .xlat_dport == $c.lport))[0] |
		"\(.orig_daddr):\(.orig_dport)"' <<< "$close"$'\n'"$ev")" = "$ADDR_B:$p" ]
	# the server's socket sees $ADDR_A3:sport -> $ADDR_B:Q, which is B's
	# translated tuple; its original says the client asked for port P,
	# and A's event says who the client was before SNAT
	sport=$(jq -r 'select(.kind == "dnat") | .xlat_sport' <<< "$ev")
	[ "$(jq -r --arg a3 "$ADDR_A3" --argjson s "$sport" --arg b "$ADDR_B" --argjson q "$Q" '
		select(.kind == "dnat" and .xlat_saddr == $a3 and .xlat_sport == $s and
		       .xlat_daddr == $b and .xlat_dport == $q) | .orig_dport' <<< "$ev")" -eq "$p" ]
	[ "$(jq -r --arg a3 "$ADDR_A3" --argjson s "$sport" '
		select(.kind == "snat" and .xlat_saddr == $a3 and .xlat_sport == $s) |
		.orig_saddr' <<< "$ev")" = "$ADDR_A" ]
}

@test "nat: IPv6: 2 connections to a DNAT port are one dnat mapping counting 2, with IPv6 tuples, seen at ipv6 local_in" {
	local p=$((17000 + BATS_TEST_NUMBER))
	ip netns exec "$NS_B" nft add table ip6 bpfpin_test
	ip netns exec "$NS_B" nft "add chain ip6 bpfpin_test pre { type nat hook prerouting priority dstnat; }"
	ip netns exec "$NS_B" nft add rule ip6 bpfpin_test pre tcp dport "$p" dnat to "[$ADDR6_B]:$Q"
	ip netns exec "$NS_A" "$BUILD/tests/tcp-peer" connect "$ADDR6_B" "$p" 100
	ip netns exec "$NS_A" "$BUILD/tests/tcp-peer" connect "$ADDR6_B" "$p" 100
	[ "$(mapping dnat "$ADDR6_B" "$p" "$ADDR6_B" "$Q" "$NETNS_B")" -eq 2 ]
	run bpfpin-events nat --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(grep '"type":"mapping"' <<< "$output")
	[ "$(jq -s 'length' <<< "$ev")" -eq 2 ]
	[ "$(jq -s --arg a "$ADDR6_A" --arg b "$ADDR6_B" --argjson p "$p" --argjson q "$Q" '
		map(select(.proto == "tcp" and .kind == "dnat" and .orig_saddr == $a and
		.orig_daddr == $b and .orig_dport == $p and .xlat_daddr == $b and
		.xlat_dport == $q and .hook == "ipv6_local_in")) | length' <<< "$ev")" -eq 2 ]
}

@test "nat: reload keeps the links (one per hook and namespace) and counts the next connection once" {
	local p=$((17000 + BATS_TEST_NUMBER))
	dnat_rule "$p"
	connect "$p"
	links_settle nat 8
	bpfpin-load reload nat --set "nat.netns=/run/netns/$NS_A,/run/netns/$NS_B" >/dev/null
	links_settle nat 8
	connect "$p"
	[ "$(mapping dnat "$ADDR_B" "$p" "$ADDR_B" "$Q" "$NETNS_B")" -eq 2 ]
}

@test "nat: a namespace named twice (and the loader's own) is attached once per hook" {
	local p=$((17000 + BATS_TEST_NUMBER))
	# one BPF netfilter program per priority: this root's module steps aside
	bpfpin-load down nat >/dev/null
	ip netns exec "$NS_B" "$BUILD/bpfpin-load" up nat \
		--set "nat.netns=/run/netns/$NS_B self,/proc/self/ns/net" >/dev/null
	[ "$(ls "$BPFPIN_ROOT/nat/links" | wc -l)" -eq 4 ]
	dnat_rule "$p"
	connect "$p"
	[ "$(mapping dnat "$ADDR_B" "$p" "$ADDR_B" "$Q" "$NETNS_B")" -eq 1 ]
	bpfpin-load down nat >/dev/null
	bpfpin-load up nat --set "nat.netns=/run/netns/$NS_A,/run/netns/$NS_B" >/dev/null
}

@test "nat: bpfpin-ls and bpfpin-top name the netfilter program and link type, which libbpf 1.1 does not know" {
	run bpfpin-ls --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.module == "nat" and .kind == "prog") | .bpf_type' <<< "$output" | sort | uniq -c | tr -s ' ')" = " 4 netfilter" ]
	run bpfpin-ls
	[ "$status" -eq 0 ]
	[ "$(grep -Ec '^nat +prog +nat_(in|out)[46] +netfilter ' <<< "$output")" -eq 4 ]
	run bpfpin-top --format json --interval 0.01
	[ "$status" -eq 0 ]
	progs=$(jq -c 'select(.kind == "prog" and .module == "nat")' <<< "$output")
	[ "$(wc -l <<< "$progs")" -eq 4 ]
	[ "$(jq -r .type <<< "$progs" | sort -u)" = netfilter ]
	# two links each (two namespaces), named by type, not "link type 10"
	[ "$(jq -r '.attach | split(",") | .[]' <<< "$progs" | sort -u)" = netfilter ]
}

@test "nat: nat.netns naming a file that is no network namespace: exit 1, one line naming it, nothing pinned" {
	local root=$BPFFS/refused
	touch "$BATS_TEST_TMPDIR/notns"
	run --separate-stderr env BPFPIN_ROOT="$root" bpfpin-load up nat \
		--set "nat.netns=$BATS_TEST_TMPDIR/notns,/run/netns/$NS_B"
	[ "$status" -eq 1 ]
	echo "$stderr"
	[ "$(grep -c "network namespace '$BATS_TEST_TMPDIR/notns': not a network namespace" <<< "$stderr")" -eq 1 ]
	[ "$(grep -vc "network namespace '$BATS_TEST_TMPDIR/notns'" <<< "$stderr")" -eq 0 ]
	[ -z "$(ls -A "$root" | grep -vx _lock)" ]
	# a relative path is a usage error
	run --separate-stderr env BPFPIN_ROOT="$root" bpfpin-load up nat --set nat.netns=netns-b
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'nat.netns': 'netns-b' is neither 'self' nor an absolute path"* ]]
}
