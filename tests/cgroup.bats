#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# cgroup.bats: cgroups made and removed in v2 and a v1 hierarchy, exact counts per parent, container ids, flush intervals, filter

load helpers

# the v1 hierarchy the tests use, and its number in /proc/cgroups
V1=/sys/fs/cgroup/freezer
ID64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

setup_file() {
	bpfpin_setup_file
	bpfpin-load up cgroup >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module cgroup
	# what earlier tests left in the ring is theirs
	bpfpin-events cgroup --duration 0.2 >/dev/null
	PARENT=bpfpin-test-$$-$BATS_TEST_NUMBER
}

teardown() {
	cleanup_cgroups
}

# mk DIR: make a cgroup directory, noted for clean-up
mk() {
	mkdir "$1"
	echo "$1" >> "$BATS_FILE_TMPDIR/cgroups"
}

# Events of this test's parent ($PARENT), from a stream read for $1 s.
our_events() {
	bpfpin-events cgroup --format json --duration "$1" |
		jq -c --arg p "/$PARENT" 'select((.path // "") | startswith($p))'
}

# stat_of MAP HIERARCHY KEYFIELD KEY FIELD: one figure of one row, from $STATS
stat_of() {
	jq -r --arg t "$1" --argjson h "$2" --arg kf "$3" --arg k "$4" \
		'select(.type == $t and .hierarchy == $h and .[$kf] == $k) | .'"$5" <<< "$STATS"
}

@test "cgroup: 5 made and removed in v2 and 5 in the v1 freezer hierarchy: exactly 5+5 creations and removals each, with paths and parents" {
	[ -d "$V1" ] || skip "no v1 freezer hierarchy mounted at $V1"
	h1=$(awk '$1 == "freezer" { print $2 }' /proc/cgroups)
	[ "$h1" -gt 0 ]
	mk "$CG2/$PARENT"
	mk "$V1/$PARENT"
	for i in 1 2 3 4 5; do
		mk "$CG2/$PARENT/c$i"
		mk "$V1/$PARENT/c$i"
	done
	for i in 1 2 3 4 5; do
		rmdir "$CG2/$PARENT/c$i" "$V1/$PARENT/c$i"
	done
	run our_events 1
	[ "$status" -eq 0 ]
	echo "$output" >&3
	ev=$output
	for h in 0 "$h1"; do
		# the parent itself, then its 5 children
		[ "$(jq -c --argjson h "$h" 'select(.type == "create" and .hierarchy == $h)' <<< "$ev" | wc -l)" -eq 6 ]
		[ "$(jq -c --argjson h "$h" 'select(.type == "remove" and .hierarchy == $h)' <<< "$ev" | wc -l)" -eq 5 ]
		for i in 1 2 3 4 5; do
			for t in create remove; do
				c=$(jq -c --argjson h "$h" --arg p "/$PARENT/c$i" --arg t "$t" \
					'select(.type == $t and .hierarchy == $h and .path == $p)' <<< "$ev")
				[ "$(wc -l <<< "$c")" -eq 1 ]
				[ "$(jq .level <<< "$c")" -eq 2 ]
				[ "$(jq -r .container_id <<< "$c")" = null ]
			done
			[ "$(jq -r .comm <<< "$(jq -c --argjson h "$h" --arg p "/$PARENT/c$i" \
				'select(.type == "create" and .hierarchy == $h and .path == $p)' <<< "$ev")")" = mkdir ]
		done
	done
	# v2: the id is the directory's inode, and the children's parent_id is the parent's
	pid2=$(stat -c %i "$CG2/$PARENT")
	[ "$(jq -c --arg p "/$PARENT" 'select(.type == "create" and .hierarchy == 0 and .path == $p) | .id' <<< "$ev")" -eq "$pid2" ]
	[ "$(jq -c --argjson i "$pid2" 'select(.hierarchy == 0 and .parent_id == $i)' <<< "$ev" | wc -l)" -eq 10 ]
	STATS=$(bpfpin-stat cgroup --format json)
	for h in 0 "$h1"; do
		[ "$(stat_of parents "$h" parent "/$PARENT" created)" -eq 5 ]
		[ "$(stat_of parents "$h" parent "/$PARENT" removed)" -eq 5 ]
		for i in 1 2 3 4 5; do
			[ "$(stat_of paths "$h" path "/$PARENT/c$i" created)" -eq 1 ]
			[ "$(stat_of paths "$h" path "/$PARENT/c$i" removed)" -eq 1 ]
		done
		[ "$(stat_of paths "$h" path "/$PARENT" created)" -eq 1 ]
		[ "$(stat_of paths "$h" path "/$PARENT" removed)" -eq 0 ]
	done
	# Prometheus carries the same
	bpfpin-stat cgroup --format prom |
		grep -qxF "bpfpin_cgroup_created_total{hierarchy=\"$h1\",parent=\"/$PARENT\"} 5"
}

@test "cgroup: paths named like docker containers (systemd and cgroupfs drivers) show the container id; others none" {
	mk "$CG2/$PARENT"
	mk "$CG2/$PARENT/docker-$ID64.scope"
	mk "$CG2/$PARENT/docker"
	mk "$CG2/$PARENT/docker/$ID64"
	mk "$CG2/$PARENT/docker/$ID64/inner"
	mk "$CG2/$PARENT/docker-${ID64:1}.scope"
	run our_events 1
	[ "$status" -eq 0 ]
	echo "$output" >&3
	ctr() {
		jq -r --arg p "/$PARENT/$1" 'select(.type == "create" and .path == $p) | .container_id' <<< "$output"
	}
	[ "$(ctr "docker-$ID64.scope")" = "$ID64" ]
	[ "$(ctr "docker/$ID64")" = "$ID64" ]
	# nested in a container: still that container
	[ "$(ctr "docker/$ID64/inner")" = "$ID64" ]
	[ "$(ctr docker)" = null ]
	# 63 hex digits name no container
	[ "$(ctr "docker-${ID64:1}.scope")" = null ]
	STATS=$(bpfpin-stat cgroup --format json)
	[ "$(stat_of paths 0 path "/$PARENT/docker-$ID64.scope" container_id)" = "$ID64" ]
	# tables show the first 12 characters
	bpfpin-stat cgroup | grep -E "^ +0  /$PARENT/docker-$ID64.scope +${ID64:0:12} +1 +0$"
}

@test "cgroup: --flush lists what was made and removed in each interval, exactly" {
	mk "$CG2/$PARENT"
	bpfpin-stat cgroup --flush >/dev/null
	mk "$CG2/$PARENT/a"
	mk "$CG2/$PARENT/b"
	rmdir "$CG2/$PARENT/a"
	STATS=$(bpfpin-stat cgroup --flush --format json)
	[ "$(stat_of parents 0 parent "/$PARENT" created)" -eq 2 ]
	[ "$(stat_of parents 0 parent "/$PARENT" removed)" -eq 1 ]
	[ "$(stat_of paths 0 path "/$PARENT/a" removed)" -eq 1 ]
	[ "$(stat_of paths 0 path "/$PARENT/b" created)" -eq 1 ]
	rmdir "$CG2/$PARENT/b"
	STATS=$(bpfpin-stat cgroup --flush --format json)
	[ -z "$(stat_of paths 0 path "/$PARENT/a" created)" ]
	[ "$(stat_of paths 0 path "/$PARENT/b" created)" -eq 0 ]
	[ "$(stat_of paths 0 path "/$PARENT/b" removed)" -eq 1 ]
	[ "$(stat_of parents 0 parent "/$PARENT" created)" -eq 0 ]
	[ "$(stat_of parents 0 parent "/$PARENT" removed)" -eq 1 ]
}

@test "cgroup: a cgroup filter counts the v2 cgroups below it only, and v1 ones not at all" {
	[ -d "$V1" ] || skip "no v1 freezer hierarchy mounted at $V1"
	mk "$CG2/$PARENT"
	mk "$CG2/$PARENT-other"
	mk "$V1/$PARENT"
	bpfpin-events cgroup --duration 0.2 >/dev/null
	bpfpin-load filter cgroup --cgroup "/$PARENT" >/dev/null
	mk "$CG2/$PARENT/in"
	mk "$CG2/$PARENT/in/deeper"
	mk "$CG2/$PARENT-other/out"
	mk "$V1/$PARENT/v1"
	run our_events 1
	bpfpin-load filter cgroup --clear >/dev/null
	[ "$status" -eq 0 ]
	echo "$output" >&3
	[ "$(jq -r 'select(.type == "create") | "\(.hierarchy) \(.path)"' <<< "$output" | tr '\n' ,)" = \
		"0 /$PARENT/in,0 /$PARENT/in/deeper," ]
}

# refused STATUS WORDS CMD...: exit STATUS, one line naming WORDS, nothing pinned changed
refused() {
	local want=$1 words=$2 before
	shift 2
	before=$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids cgroup)
	run "$@"
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "command: $*; status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids cgroup)" = "$before" ]
}

@test "cgroup: a pid filter, or cgroup.path_entries out of range, exits 2 with one line and changes nothing pinned" {
	[ -d "$BPFPIN_ROOT/cgroup" ]
	refused 2 "module 'cgroup' has no pid filter: it filters on the cgroup made or removed" \
		bpfpin-load filter cgroup --pid 1
	[[ "$output" == *"(cgroup and no_system apply)"* ]]
	bpfpin-load down cgroup >/dev/null
	refused 2 "'cgroup.path_entries' must be a number from 64 to 1048576, not '63'" \
		bpfpin-load up cgroup --set cgroup.path_entries=63
	[ ! -e "$BPFPIN_ROOT/cgroup" ]
	bpfpin-load up cgroup --set cgroup.path_entries=128 >/dev/null
	[ "$(bpftool map show pinned "$BPFPIN_ROOT/cgroup/maps/paths_a" -j | jq .max_entries)" -eq 128 ]
}
