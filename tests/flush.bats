#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# flush.bats: --flush is exact while probes fire: every increment lands in exactly one flushed delta

load helpers

setup_file() {
	bpfpin_setup_file
	# before 'up': the pins get the group, for the lock tests' member
	ensure_bpfpin_group
	bpfpin-load up proc >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
}

teardown() {
	local pid
	if [ -f "$BATS_TEST_TMPDIR/pids" ]; then
		while read -r pid; do
			pkill -9 -P "$pid" 2>/dev/null || true
			kill -9 "$pid" 2>/dev/null || true
		done < "$BATS_TEST_TMPDIR/pids"
	fi
	if [ -n "${MEMBER:-}" ]; then
		pkill -9 -u "$MEMBER" 2>/dev/null || true
		userdel "$MEMBER" 2>/dev/null || true
	fi
	cleanup_cgroups
}

# Run a command in the background and remember it for teardown.
bg() {
	"$@" &
	echo $! >> "$BATS_TEST_TMPDIR/pids"
}

# exec_true N: N execs of /bin/true in $CG
exec_true() {
	in_cgroup "$CG" sh -c "i=0; while [ \$i -lt $1 ]; do /bin/true; i=\$((i + 1)); done"
}

# The flush state of module proc, one field: flush_state phase|seq
flush_state() {
	bpftool map dump pinned "$BPFPIN_ROOT/proc/maps/flush" -j |
		jq -r ".[0].formatted.value.$1"
}

# Milliseconds since the epoch.
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

@test "flush: a raw_tp/sys_enter counter hammered on every CPU is flushed exactly: each call flushed, read at the end or counted as dropped (C stress test)" {
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

@test "flush: 200 flushes killed at random points under an exec storm: the delivered files plus a final read sum to the execs, exactly" {
	new_cgroup kill
	dir=$BATS_TEST_TMPDIR/out
	mkdir "$dir"
	# the storm: execs of true until told to stop, then how many
	in_cgroup "$CG" sh -c "i=0; while [ ! -e $dir/stop ]; do /bin/true; i=\$((i + 1)); done; echo \$i > $dir/count" &
	storm=$!
	# kill points within twice what one whole flush takes here (an
	# emulated kernel is far slower), so about half of them complete
	# (the median of three timed flushes: one can meet a slow fsync)
	for t in 1 2 3; do
		t0=$(now_ms)
		bpfpin-stat proc --flush --format json --output "$dir/flush.t$t"
		echo $((($(now_ms) - t0) * 2))
	done > "$dir/took"
	window=$(sort -n "$dir/took" | sed -n 2p)
	[ "$window" -ge 40 ] || window=40
	killed=0 ok=0 other=0
	for n in $(seq 200); do
		ms=$((RANDOM % window + 1))
		rc=0
		# in a subshell: bash says nothing of the killed timeout
		(timeout -s KILL "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" \
			bpfpin-stat proc --flush --format json --output "$dir/flush.$n" 2>>"$dir/stderr") 2>/dev/null || rc=$?
		case $rc in
		0) ok=$((ok + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
	done
	touch "$dir/stop"
	wait "$storm"
	caused=$(cat "$dir/count")
	files=$(ls "$dir" | grep -c '^flush\.')
	echo "# $caused execs; 200 flushes killed within $window ms: $ok ok, $killed killed, $other other; $files files delivered" >&3
	grep -v "delivered '" "$dir/stderr" | sort | uniq -c | head -5 | sed 's/^/# /' >&3
	[ "$other" -eq 0 ]
	[ "$killed" -ge 20 ]
	[ "$ok" -ge 20 ]
	# a plain read skips what a killed flusher already delivered
	bpfpin-stat proc --format json > "$dir/final"
	execs=$(sum_field execs "$dir"/flush.* "$dir/final")
	exits=$(sum_field exits "$dir"/flush.* "$dir/final")
	echo "# execs in files + final read: $execs, exits $exits" >&3
	[ "$execs" -eq "$caused" ]
	[ "$exits" -eq "$caused" ]
	# and a flush that completes what the last killed one left, then a read
	bpfpin-stat proc --flush --format json --output "$dir/flush.last"
	[ "$(flush_state phase)" = 0 ]
	bpfpin-stat proc --format json > "$dir/final"
	[ "$(sum_field execs "$dir"/flush.* "$dir/final")" -eq "$caused" ]
	[ "$(sum_field exits "$dir"/flush.* "$dir/final")" -eq "$caused" ]
}

@test "flush: output to /dev/full, a closed pipe or a directory fails with one line and keeps the counts" {
	new_cgroup fail
	out=$BATS_TEST_TMPDIR
	bpfpin-stat proc --flush --format json > /dev/null
	exec_true 5
	run sh -c 'bpfpin-stat proc --flush --format json > /dev/full'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"flush: output failed: No space left on device; counts kept for the next flush"* ]]
	[ "$(flush_state phase)" = 1 ]
	exec_true 3
	# the reader is gone before the flusher writes
	run bash -c 'set -o pipefail; sh -c "sleep 0.3; exec bpfpin-stat proc --flush --format json" | true'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"flush: output failed: Broken pipe; counts kept for the next flush"* ]]
	exec_true 2
	mkdir "$out/dir"
	run bpfpin-stat proc --flush --format json --output "$out/dir"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$out/dir"* ]]
	[ -z "$(ls -A "$out/dir")" ]
	# nothing was lost: one good flush and a read hold all 10
	bpfpin-stat proc --flush --format json --output "$out/good"
	bpfpin-stat proc --format json > "$out/final"
	[ "$(sum_field execs "$out/good" "$out/final")" -eq 10 ]
	# the failed flushes swapped once, before the first 5: that interval
	# is what the next good flush delivers, the rest stays counting
	[ "$(sum_field execs "$out/good")" -eq 5 ]
	[ "$(sum_field execs "$out/final")" -eq 5 ]
	[ "$(flush_state phase)" = 0 ]
}

@test "flush: --top hides rows, so --flush --top 1 is refused (exit 2) and changes nothing" {
	new_cgroup top
	exec_true 2
	seq=$(flush_state seq)
	run bpfpin-stat proc --flush --top 1
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--top hides rows: not with --flush"* ]]
	[ "$(flush_state seq)" = "$seq" ]
	[ "$(stat_value "$CG_REL" true execs)" = 2 ]
}

@test "flush: a member of group bpfpin cannot take or block the locks; root's holder makes --wait end with exit 6 naming it" {
	ensure_bpfpin_group
	MEMBER=bpfpin-test-$$
	useradd -M -N -G bpfpin "$MEMBER"
	chmod 755 "$BPFFS"
	as_member() {
		setpriv --reuid "$MEMBER" --regid "$BPFPIN_GID" --groups "$BPFPIN_GID" "$@"
	}
	bpfpin-stat proc --flush >/dev/null
	[ "$(stat -c '%a %U' "$BPFPIN_ROOT/proc/locks/flush")" = "700 root" ]
	# the member holds what it can open: the root and the module's directories
	bg as_member flock "$BPFPIN_ROOT" sleep 30
	bg as_member flock "$BPFPIN_ROOT/proc" sleep 30
	bg as_member flock "$BPFPIN_ROOT/proc/maps" sleep 30
	locked "$BPFPIN_ROOT"
	locked "$BPFPIN_ROOT/proc"
	locked "$BPFPIN_ROOT/proc/maps"
	run as_member flock -n "$BPFPIN_ROOT/proc/locks/flush" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	start=$(now_ms)
	run bpfpin-stat proc --flush --wait 1
	[ "$status" -eq 0 ]
	[ $(($(now_ms) - start)) -lt 2000 ]
	run bpfpin-events proc --duration 0.2
	[ "$status" -eq 0 ]

	# root holding the flush lock: --wait 1 gives up after about a second
	flock "$BPFPIN_ROOT/proc/locks/flush" sleep 30 &
	holder=$!
	echo "$holder" >> "$BATS_TEST_TMPDIR/pids"
	locked "$BPFPIN_ROOT/proc/locks/flush" "$holder"
	start=$(now_ms)
	run bpfpin-stat proc --flush --wait 1
	took=$(($(now_ms) - start))
	echo "$output (${took} ms)"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"flush of module 'proc': pid $holder (flock) holds lock '$BPFPIN_ROOT/proc/locks/flush' (--wait SECONDS waits longer)"* ]]
	[ "$took" -ge 900 ]
	[ "$took" -lt 2000 ]
	# SIGTERM ends the wait at once
	bpfpin-stat proc --flush --wait 30 2> "$BATS_TEST_TMPDIR/err" &
	waiter=$!
	catches "$waiter" 15
	start=$(now_ms)
	kill -TERM "$waiter"
	rc=0
	wait "$waiter" || rc=$?
	took=$(($(now_ms) - start))
	echo "rc $rc, ${took} ms: $(cat "$BATS_TEST_TMPDIR/err")"
	[ "$rc" -eq 1 ]
	[ "$took" -lt 1000 ]
	grep -q "interrupted while waiting for lock" "$BATS_TEST_TMPDIR/err"
	# flock's command inherits the lock: the message names it once flock is gone
	sleeper=$(pgrep -P "$holder" sleep)
	kill "$holder"
	wait "$holder" || true
	run bpfpin-stat proc --flush --wait 0
	[ "$status" -eq 6 ]
	[[ "$output" == *"pid $sleeper (sleep) holds lock"* ]]
	[[ "$output" != *"--wait SECONDS"* ]]
	kill "$sleeper"

	# a lock directory others could open is refused
	chmod 750 "$BPFPIN_ROOT/proc/locks/flush"
	run bpfpin-stat proc --flush
	chmod 700 "$BPFPIN_ROOT/proc/locks/flush"
	[ "$status" -eq 5 ]
	[[ "$output" == *"lock '$BPFPIN_ROOT/proc/locks/flush': owner 0, mode 0750: others could hold it"* ]]
}

@test "events: a second bpfpin-events on a ring exits 6 naming the reader's pid" {
	bpfpin-events proc --duration 20 > /dev/null &
	reader=$!
	echo "$reader" >> "$BATS_TEST_TMPDIR/pids"
	ring_reader "$reader" proc
	run bpfpin-events proc --duration 1
	echo "$output"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"ring '$BPFPIN_ROOT/proc/maps/events' is busy (one consumer per ring): pid $reader (bpfpin-events) holds lock"* ]]
	kill "$reader"
}

@test "flush: two modules killed at every step of the transaction (BPFPIN_FAULT): each count delivered once, drained keys counted once" {
	require_module tcp
	bpfpin-load up tcp >/dev/null
	new_cgroup steps
	dir=$BATS_TEST_TMPDIR/out
	mkdir "$dir"
	bpfpin-stat proc tcp --flush --format json > /dev/null
	caused=0 port=41000
	for order in "proc tcp" "tcp proc"; do
		for step in swapped ready-partial ready deleting delivered; do
			exec_true 3
			caused=$((caused + 3))
			for i in 1 2; do
				in_cgroup "$CG" "$BUILD/tests/tcp-peer" connect 127.0.0.1 $port 1 2>/dev/null || true
				port=$((port + 1))
			done
			tag="${order% *}-$step"
			run env BPFPIN_FAULT=flush-$step bpfpin-stat $order --flush --format json --output "$dir/f.$tag.1"
			[ "$status" -eq 137 ]
			case $step in
			swapped|ready-partial) [ ! -e "$dir/f.$tag.1" ] ;;
			deleting|delivered) [ -e "$dir/f.$tag.1" ] ;;
			esac
			exec_true 2
			caused=$((caused + 2))
			# each module alone completes its part of the dead flush
			for m in $order; do
				bpfpin-stat "$m" --flush --format json --output "$dir/f.$tag.$m"
				[ "$(bpftool map dump pinned "$BPFPIN_ROOT/$m/maps/flush" -j | jq '.[0].formatted.value.phase')" = 0 ]
			done
			# a ready flush is delivered by whichever module completes
			# it; one not ready everywhere is never delivered
			[ "$step" != ready ] || [ -e "$dir/f.$tag.1" ]
			[ "$step" != ready-partial ] || [ ! -e "$dir/f.$tag.1" ]
		done
	done
	bpfpin-stat proc tcp --format json > "$dir/final"
	execs=$(sum_field execs "$dir"/f.* "$dir/final")
	evicted=$(jq -s 'map(select(.type == "drops" and .module == "tcp" and .reason == "evicted") | .drops) | last' "$dir/final")
	echo "# $caused execs caused, $execs delivered or kept; tcp evicted $evicted" >&3
	bpfpin-load down tcp >/dev/null
	[ "$execs" -eq "$caused" ]
	[ "$evicted" -eq 0 ]
}

@test "flush: killed after writing to stdout, the next flush delivers that interval again (at least once)" {
	new_cgroup again
	out=$BATS_TEST_TMPDIR
	bpfpin-stat proc --flush --format json > /dev/null
	exec_true 4
	run sh -c "BPFPIN_FAULT=flush-delivered bpfpin-stat proc --flush --format json > $out/first"
	[ "$status" -eq 137 ]
	[ "$(sum_field execs "$out/first")" -eq 4 ]
	exec_true 1
	bpfpin-stat proc --flush --format json > "$out/second"
	bpfpin-stat proc --format json > "$out/final"
	[ "$(sum_field execs "$out/second")" -eq 4 ]
	[ "$(sum_field execs "$out/final")" -eq 1 ]
}
