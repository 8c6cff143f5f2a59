#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# flush.bats: --flush is exact while probes fire: every increment lands in exactly one flushed delta

load helpers

setup_file() {
	bpfpin_setup_file
	bpfpin-load up proc >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
}

teardown() {
	cleanup_cgroups
}

# sum_execs FILE...: execs and exits of comm true in $CG_REL, over every record
sum_field() {
	local field=$1
	shift
	cat "$@" | jq -s --arg cg "$CG_REL" \
		"map(select(.type == \"stats\" and .cgroup == \$cg and .comm == \"true\") | .$field) | add // 0"
}

@test "flush: N execs while flushing as fast as possible: the deltas plus the final read sum to N, three times" {
	n=2000
	for run in 1 2 3; do
		new_cgroup "flush$run"
		: > "$BATS_TEST_TMPDIR/flushed"
		in_cgroup "$CG" sh -c "i=0; while [ \$i -lt $n ]; do /bin/true; i=\$((i + 1)); done" &
		workload=$!
		flushes=0
		while kill -0 "$workload" 2>/dev/null; do
			bpfpin-stat proc --flush --format json >> "$BATS_TEST_TMPDIR/flushed"
			flushes=$((flushes + 1))
		done
		wait "$workload"
		bpfpin-stat proc --format json > "$BATS_TEST_TMPDIR/final"
		execs=$(sum_field execs "$BATS_TEST_TMPDIR/flushed" "$BATS_TEST_TMPDIR/final")
		exits=$(sum_field exits "$BATS_TEST_TMPDIR/flushed" "$BATS_TEST_TMPDIR/final")
		in_final=$(sum_field execs "$BATS_TEST_TMPDIR/final")
		echo "# run $run: N=$n, $flushes flushes, execs flushed+final=$execs (final $in_final), exits=$exits" >&3
		[ "$flushes" -ge 5 ]
		[ "$execs" -eq "$n" ]
		[ "$exits" -eq "$n" ]
	done
}

@test "flush: cumulative totals are monotonic without flushes, and restart after one" {
	new_cgroup mono
	in_cgroup "$CG" sh -c '/bin/true; /bin/true; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 2 ]
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 3 ]
	run bpfpin-stat proc --flush --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg and .comm == "true") | .execs' <<< "$output")" = 3 ]
	# the next interval starts from zero
	[ -z "$(stat_value "$CG_REL" true execs)" ]
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 1 ]
}

@test "flush: a raw_tp/sys_enter counter hammered on every CPU is flushed exactly (C stress test)" {
	run "$BUILD/tests/flush-stress" 3000000
	echo "$output" | sed 's/^/# /' >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"3000000 getppid calls on"*"= 3000000"* ]]
	! grep -q '^not ok' <<< "$output"
}

@test "flush: a reader without write access cannot flush (exit 4)" {
	chmod 755 "$BPFFS"
	run setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-stat proc --flush
	[ "$status" -eq 4 ]
}
