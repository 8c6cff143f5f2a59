#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# reload.bats: reload keeps the maps with no gap and no double count; killed or concurrent loaders leave a repairable state

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	bpfpin_setup_file
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
	bpfpin-load up proc >/dev/null
	note_our_maps
}

teardown() {
	cleanup_cgroups
}


module_row() {
	bpfpin-ls --format json 2>/dev/null | jq -c 'select(.type == "module" and .module == "proc")'
}

# the module is whole and counts: ok, 5 of 5 attached, its 5 pinned links are
# the only links of ours attached, nothing staged
assert_healthy() {
	row=$(module_row)
	[ "$(jq -r .health <<< "$row")" = ok ]
	[ "$(jq -r .attached <<< "$row")" = 5 ]
	links_settle proc 5
	[ "$(root_entries)" = proc ]
	HEALTHY=$((${HEALTHY:-0} + 1))
	new_cgroup "healthy$HEALTHY"
	in_cgroup "$CG" sh -c '/bin/true; /bin/true; /bin/true; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 3 ]
}

@test "reload: new programs, same maps, counts carry on, generation goes up" {
	new_cgroup keep
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	gen=$(module_row | jq .generation)
	stats=$(bpftool map show pinned "$BPFPIN_ROOT/proc/maps/stats_a" -j | jq .id)
	prog=$(bpftool prog show pinned "$BPFPIN_ROOT/proc/progs/exec_btf" -j | jq .id)
	run bpfpin-load reload proc
	[ "$status" -eq 0 ]
	[[ "$output" == "proc: reloaded (sched_process_exec=tp_btf "* ]]
	[ "$(module_row | jq .generation)" -eq $((gen + 1)) ]
	[ "$(bpftool map show pinned "$BPFPIN_ROOT/proc/maps/stats_a" -j | jq .id)" = "$stats" ]
	[ "$(bpftool prog show pinned "$BPFPIN_ROOT/proc/progs/exec_btf" -j | jq .id)" != "$prog" ]
	# the old program goes once the kernel has released its link
	for i in $(seq 40); do
		bpftool prog show id "$prog" >/dev/null 2>&1 || break
		sleep 0.05
	done
	not bpftool prog show id "$prog" 2>/dev/null
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 2 ]
	assert_healthy
}

@test "reload: N execs running across repeated reloads are counted exactly N times, three times" {
	for run in 1 2 3; do
		new_cgroup "across$run"
		# execs until the stop file, then their number N
		stop="$BATS_TEST_TMPDIR/stop$run" count="$BATS_TEST_TMPDIR/n$run"
		in_cgroup "$CG" sh -c 'i=0; while [ ! -e "$1" ]; do /bin/true; i=$((i + 1)); done; echo $i > "$2"' \
			sh "$stop" "$count" &
		workload=$!
		for reloads in 1 2 3 4; do
			bpfpin-load reload proc >/dev/null
		done
		touch "$stop"
		wait "$workload"
		n=$(cat "$count")
		execs=$(stat_value "$CG_REL" true execs)
		exits=$(stat_value "$CG_REL" true exits)
		forks=$(stat_value "$CG_REL" sh forks)
		echo "# run $run: N=$n across $reloads reloads: execs=$execs exits=$exits forks=$forks" >&3
		[ "$n" -gt 0 ]
		[ "$execs" -eq "$n" ]
		[ "$exits" -eq "$n" ]
		[ "$forks" -eq "$n" ]
	done
	assert_healthy
}

@test "reload: a schema change is refused (exit 5, both versions) unless --reset, which recreates the maps" {
	new_cgroup schema
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	# pretend another build pinned it: abi_hash 0xdeadbeef
	hex=$(bpftool map lookup pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 -j |
		jq -r '.value | (.[0:4] + ["0xef", "0xbe", "0xad", "0xde"] + .[8:]) | map(ltrimstr("0x")) | join(" ")')
	bpftool map update pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 value hex $hex
	run bpfpin-load reload proc
	[ "$status" -eq 5 ]
	[[ "$output" == *"module 'proc': pinned schema 2 (abi deadbeef), this build has 2 (abi "*"refusing to reload"* ]]
	# refused: the pins are as they were, the other build's abi still in meta
	[ "$(bpftool map lookup pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 -j |
		jq -r '.value[4:8] | map(ltrimstr("0x")) | join("")')" = efbeadde ]
	run bpfpin-load reload --reset proc
	[ "$status" -eq 0 ]
	[[ "$output" == *"proc: unloaded"*"proc: loaded"* ]]
	[ -z "$(stat_value "$CG_REL" true execs)" ]
	assert_healthy
}

@test "reload: a reader holding the ring notices a reset and exits 3 with a message" {
	bpfpin-events proc --format json --duration 20 > "$BATS_TEST_TMPDIR/events" 2> "$BATS_TEST_TMPDIR/err" &
	reader=$!
	ring_reader "$reader" proc
	bpfpin-load reload --reset proc >/dev/null
	for i in $(seq 50); do
		kill -0 "$reader" 2>/dev/null || break
		sleep 0.1
	done
	status=0
	wait "$reader" || status=$?
	[ "$status" -eq 3 ]
	grep -q "ring '$BPFPIN_ROOT/proc/maps/events' is no longer pinned" "$BATS_TEST_TMPDIR/err"
}

@test "reload: bpfpin-stat --interval keeps reading across a reload --reset (it reopens the pins each time)" {
	new_cgroup interval
	out="$BATS_TEST_TMPDIR/out"
	bpfpin-stat proc --format json --by cgroup --interval 0.3 > "$out" 2> "$BATS_TEST_TMPDIR/err" &
	reader=$!
	sleep 0.5
	bpfpin-load reload --reset proc >/dev/null
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	# the snapshots after it read the new maps: one sees the exec made after the reset
	for i in $(seq 100); do
		jq -r --arg cg "$CG_REL" 'select(.cgroup == $cg) | .execs' "$out" 2>/dev/null | grep -qx 2 && break
		sleep 0.1
	done
	kill -INT "$reader"
	# not `run wait`: run's subshell cannot wait for our child
	status=0
	wait "$reader" || status=$?
	[ "$status" -eq 0 ]
	# a round that met the module mid-reload says so on stderr, JSON stays clean
	grep "skipping this round" "$BATS_TEST_TMPDIR/err" >&3 || true
	jq -e . "$out" > /dev/null
	jq -r --arg cg "$CG_REL" 'select(.cgroup == $cg) | .execs' "$out" | tail -n 1 | grep -qx 2
}

@test "crash: a loader killed at every step leaves a state the next run repairs" {
	for step in loaded attached meta; do
		bpfpin-load down >/dev/null
		run env BPFPIN_FAULT=$step bpfpin-load up proc
		[ "$status" -eq 137 ]
		note_our_maps
		# killed before the rename: the module is not there for readers
		run bpfpin-stat proc
		[ "$status" -eq 3 ]
		run bpfpin-load up proc
		[ "$status" -eq 0 ]
		[[ "$output" == *"removing '$BPFPIN_ROOT/_staging-proc'"*"proc: loaded"* ]]
		assert_healthy
	done
	for step in down-renamed down-unlinked; do
		run env BPFPIN_FAULT=$step bpfpin-load down proc
		[ "$status" -eq 137 ]
		note_our_maps
		run bpfpin-stat proc
		[ "$status" -eq 3 ]
		run bpfpin-load up proc
		[ "$status" -eq 0 ]
		assert_healthy
	done
	for step in loaded attached reload-staged reload-flipped reload-unpinned reload-moving; do
		gen=$(module_row | jq .generation)
		run env BPFPIN_FAULT=$step bpfpin-load reload proc
		[ "$status" -eq 137 ]
		note_our_maps
		# readers meanwhile: a consistent read
		run bpfpin-stat proc --format json
		[ "$status" -eq 0 ]
		run bpfpin-load up proc
		[ "$status" -eq 0 ]
		after=$(module_row | jq .generation)
		echo "# reload killed at $step: generation $gen -> $after" >&3
		case $step in
		reload-flipped|reload-unpinned|reload-moving) [ "$after" -eq $((gen + 1)) ] ;;
		*) [ "$after" -eq "$gen" ] ;;
		esac
		assert_healthy
	done
}

@test "concurrency: two loaders at once attach once" {
	bpfpin-load down >/dev/null
	bpfpin-load up proc > "$BATS_TEST_TMPDIR/a" 2>&1 &
	a=$!
	bpfpin-load up proc > "$BATS_TEST_TMPDIR/b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | sort > "$BATS_TEST_TMPDIR/both"
	[ "$(grep -c '^proc: loaded' "$BATS_TEST_TMPDIR/both")" -eq 1 ]
	[ "$(grep -c '^proc: already loaded' "$BATS_TEST_TMPDIR/both")" -eq 1 ]
	assert_healthy
}

@test "concurrency: readers during up, down and reload get a clean read or a clear error, never a crash" {
	(for i in 1 2 3 4 5 6; do
		bpfpin-load reload proc
		bpfpin-load down proc
		bpfpin-load up proc
	done) >/dev/null 2>&1 &
	churn=$!
	reads=0
	while kill -0 "$churn" 2>/dev/null; do
		# stdout is the read; a warning may come with it on stderr
		run --separate-stderr bpfpin-stat proc --format json
		[ "$status" -ne 0 ] || [ -z "$stderr" ] || echo "# a read with a warning: $stderr" >&3
		[ -z "$stderr" ] || [[ "$stderr" == bpfpin-stat:* ]]
		case $status in
		0) jq -e -s 'length > 0' <<< "$output" >/dev/null ;;
		3|5) [[ "$stderr" == bpfpin-stat:* ]] ;;
		*) echo "bpfpin-stat exited $status: $output" >&2; false ;;
		esac
		run bpfpin-ls --format json
		[ "$status" -lt 128 ]
		reads=$((reads + 1))
	done
	wait "$churn"
	echo "# $reads reads during the churn" >&3
	[ "$reads" -ge 5 ]
}

@test "pins: a module path holding something else exits 5 and nothing is overwritten" {
	bpfpin-load down >/dev/null
	mkdir "$BPFPIN_ROOT/proc"
	run bpfpin-load up proc
	[ "$status" -eq 5 ]
	[[ "$output" == *"'$BPFPIN_ROOT/proc' holds something else than a bpfpin module"* ]]
	[ -z "$(ls -A "$BPFPIN_ROOT/proc")" ]
	run bpfpin-load down proc
	[ "$status" -eq 5 ]
	[ -d "$BPFPIN_ROOT/proc" ]
	rmdir "$BPFPIN_ROOT/proc"
	ln -s /tmp "$BPFPIN_ROOT/proc"
	run bpfpin-load up proc
	[ "$status" -eq 5 ]
	[ -L "$BPFPIN_ROOT/proc" ]
	rm "$BPFPIN_ROOT/proc"
	# a map of the right shape but another program's
	bpfpin-load up proc >/dev/null
	rm "$BPFPIN_ROOT/proc/maps/drops"
	bpftool map create "$BPFPIN_ROOT/proc/maps/drops" type percpu_array key 4 value 8 entries 4 name other
	run bpfpin-stat proc
	[ "$status" -eq 5 ]
	[[ "$output" == *"map '$BPFPIN_ROOT/proc/maps/drops': named 'other', expected 'drops'"* ]]
	bpfpin-load down >/dev/null
}
