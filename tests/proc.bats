#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# proc.bats: the proc module counts and reports exactly what the tests make the kernel do

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

@test "proc: 50 processes in a fresh cgroup are 50 execs and 50 exits, after the loader exited" {
	new_cgroup fifty
	# dash runs the loop itself: the only execs are sh (once) and 50 x true
	in_cgroup "$CG" sh -c 'i=0; while [ $i -lt 50 ]; do /bin/true; i=$((i + 1)); done'
	not pgrep -x bpfpin-load
	[ "$(stat_value "$CG_REL" true execs)" = 50 ]
	[ "$(stat_value "$CG_REL" true exits)" = 50 ]
	[ "$(stat_value "$CG_REL" true exits_failed)" = 0 ]
	[ "$(stat_value "$CG_REL" sh execs)" = 1 ]
	[ "$(stat_value "$CG_REL" sh forks)" = 50 ]
	[ "$(stat_value "$CG_REL" sh exits)" = 1 ]
	[ "$(stat_value "$CG_REL" sh cgroup_moves)" = 1 ]
	run bpfpin-stat proc --by cgroup --format json
	[ "$status" -eq 0 ]
	row=$(jq -c --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg)' <<< "$output")
	[ "$(jq .execs <<< "$row")" = 51 ]
	[ "$(jq .exits <<< "$row")" = 51 ]
	[ "$(jq .forks <<< "$row")" = 50 ]
}

@test "proc: exit code 3 and SIGKILL appear with their code and signal" {
	new_cgroup codes
	in_cgroup "$CG" sh -c 'sh -c "exit 3"; sh -c "kill -9 \$\$"; exit 0' || true
	run bpfpin-events proc --format json --duration 1
	[ "$status" -eq 0 ]
	exits=$(jq -c --arg cg "$CG_REL" 'select(.type == "exit" and .cgroup == $cg)' <<< "$output")
	[ "$(wc -l <<< "$exits")" -eq 3 ]
	[ "$(jq -s 'map(select(.exit_code == 3 and .signal == 0)) | length' <<< "$exits")" -eq 1 ]
	[ "$(jq -s 'map(select(.signal == 9 and .exit_code == 0)) | length' <<< "$exits")" -eq 1 ]
	[ "$(jq -s 'map(select(.signal == 0 and .exit_code == 0)) | length' <<< "$exits")" -eq 1 ]
	has_record '.duration_ns > 0 and .comm == "sh" and (.pid | type) == "number"' <<< "$exits"
	[ "$(stat_value "$CG_REL" sh exits_failed)" = 2 ]
	[ "$(stat_value "$CG_REL" sh exits)" = 3 ]
}

@test "proc: exec, fork, rename and cgroup_move events carry their fields" {
	new_cgroup fields
	in_cgroup "$CG" sh -c '/bin/true; printf renamed > /proc/self/comm; exit 0'
	run bpfpin-events proc --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	has_record '.type == "exec" and .filename == "/bin/true" and .comm == "true" and .uid == 0 and .ppid > 0' <<< "$ev"
	has_record '.type == "fork" and .child_pid > 0 and .parent_pid == .pid' <<< "$ev"
	has_record '.type == "rename" and .old_comm == "sh" and .new_comm == "renamed"' <<< "$ev"
	# the mover is still counted in its old cgroup: find it by destination
	has_record ".type == \"cgroup_move\" and .dst_cgroup == \"$CG_REL\" and .moved_pid == .pid" <<< "$output"
	# every record has the common fields, container null outside containers
	jq -e -s 'all(has("type") and has("module") and has("ts_ns") and has("time") and has("pid") and has("comm") and has("cgroup_id") and .container == null)' <<< "$ev" >/dev/null
	# exec renames the task too; only the write to comm counts as a rename
	[ "$(stat_value "$CG_REL" sh renames)" = 1 ]
	[ "$(jq -s 'map(select(.type == "rename")) | length' <<< "$ev")" -eq 1 ]
}

@test "proc: text events filter by --comm and --pid" {
	new_cgroup filter
	in_cgroup "$CG" sh -c '/bin/true; /bin/echo hi >/dev/null; exit 0'
	run bpfpin-events proc --comm echo --duration 1
	[ "$status" -eq 0 ]
	[ "$(grep -c ' proc exec ' <<< "$output")" -eq 1 ]
	[ "$(grep -c ' proc exit ' <<< "$output")" -eq 1 ]
	not grep -q 'comm=true' <<< "$output"
	grep -q 'filename=/bin/echo' <<< "$output"
	pid=$(sed -n 's/.* proc exec pid=\([0-9]*\) .*/\1/p' <<< "$output")
	[ -n "$pid" ]
	# the drop counters are reported when the stream ends
	grep -q 'drops since load: ringbuf_full 0 map_full 0' <<< "$output"
	new_cgroup filter2
	in_cgroup "$CG" sh -c '/bin/true; exit 0'
	run bpfpin-events proc --pid "$pid" --format json --duration 1
	[ "$status" -eq 0 ]
	[ "$(jq -s "map(select(.pid != $pid and .type != \"drops\")) | length" <<< "$output")" -eq 0 ]
}

@test "proc: a container's cgroup is resolved to its id, and --by container groups it" {
	id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	new_cgroup ctr "docker-$id.scope"
	in_cgroup "$CG" sh -c '/bin/true; /bin/true; exit 0'
	run bpfpin-stat proc --by container --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg id "$id" 'select(.container == $id) | .execs' <<< "$output")" = 3 ]
	run bpfpin-events proc --container 0123456789ab --format json --duration 1
	[ "$status" -eq 0 ]
	[ "$(jq -s --arg id "$id" 'map(select(.type == "exec" and .container == $id)) | length' <<< "$output")" -eq 3 ]
}

@test "proc: --count stops after exactly N events; | head ends the stream cleanly" {
	new_cgroup count
	in_cgroup "$CG" sh -c 'for i in 1 2 3 4 5; do /bin/true; done'
	run bpfpin-events proc --format json --count 4
	[ "$status" -eq 0 ]
	[ "$(grep -c '"type":"' <<< "$output")" -ge 4 ]
	[ "$(jq -s 'map(select(.type != "drops")) | length' <<< "$output")" -eq 4 ]
	in_cgroup "$CG" sh -c 'for i in 1 2 3 4 5; do /bin/true; done'
	run bash -c 'set -o pipefail; timeout 10 bpfpin-events proc --format json | head -n 2 | jq -e .type'
	[ "$status" -eq 0 ]
}

@test "proc: a second events consumer gets exit 6 (busy)" {
	bpfpin-events proc --duration 10 >/dev/null 2>&1 &
	first=$!
	ring_reader "$first" proc
	run bpfpin-events proc --duration 0.1
	kill "$first"
	wait "$first" || true
	[ "$status" -eq 6 ]
	[[ "$output" == *"busy"*"events"* ]]
}

@test "proc: bpftool dumps the pinned stats with named fields" {
	new_cgroup bpftool
	in_cgroup "$CG" /bin/true
	run bpftool map dump pinned "$BPFPIN_ROOT/proc/maps/stats_a" -j
	[ "$status" -eq 0 ]
	jq -e '.[0].formatted.values[0].value | has("execs") and has("exits_failed") and has("cgroup_moves")' <<< "$output"
	jq -e '.[0].formatted.key | has("cgroup_id") and has("comm")' <<< "$output"
}

@test "proc: Prometheus text has HELP, TYPE and labelled counters" {
	new_cgroup prom
	in_cgroup "$CG" sh -c '/bin/true; /bin/true; exit 0'
	run bpfpin-stat proc --format prom
	[ "$status" -eq 0 ]
	grep -qx '# TYPE bpfpin_proc_execs_total counter' <<< "$output"
	grep -qx '# HELP bpfpin_proc_execs_total Successful execve calls.' <<< "$output"
	grep -qx "bpfpin_proc_execs_total{cgroup=\"$CG_REL\",container=\"\",comm=\"true\"} 2" <<< "$output"
	grep -qx 'bpfpin_proc_drops_total{reason="ringbuf_full"} 0' <<< "$output"
	# one TYPE line per metric family
	[ "$(grep -c '^# TYPE bpfpin_proc_execs_total ' <<< "$output")" -eq 1 ]
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "proc: --output writes the file atomically; --interval repeats --count times" {
	out="$BATS_TEST_TMPDIR/bpfpin.prom"
	run bpfpin-stat proc --format prom --output "$out"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -q '^bpfpin_proc_execs_total' "$out"
	[ "$(ls -A "$BATS_TEST_TMPDIR")" = bpfpin.prom ]
	run bpfpin-stat proc --format json --by cgroup --interval 0.2 --count 3
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.type == "stats") | .time' <<< "$output" | sort -u | wc -l)" -eq 3 ]
	run bpfpin-stat proc --top 1 --format json
	[ "$(jq -s 'map(select(.type == "stats")) | length' <<< "$output")" -eq 1 ]
}

@test "proc: bpfpin-ls shows the module ok, its programs attached and its maps" {
	run bpfpin-ls --format json
	[ "$status" -eq 0 ]
	has_record '.type == "module" and .module == "proc" and .health == "ok" and .programs == 5 and .attached == 5 and .schema == 2' <<< "$output"
	[ "$(jq -s 'map(select(.kind == "prog" and .attached == "yes")) | length' <<< "$output")" -eq 5 ]
	has_record '.kind == "map" and .name == "stats_a" and .bpf_type == "percpu_hash" and .max_entries == 16384 and .entries > 0' <<< "$output"
	has_record '.kind == "map" and .name == "events" and .bpf_type == "ringbuf"' <<< "$output"
}

@test "proc: --by comm sums one command over cgroups; --by cgroup sums a cgroup over commands" {
	cmd="$BATS_TEST_TMPDIR/bycomm$$"
	cp /bin/true "$cmd"
	comm=$(basename "$cmd" | cut -c1-15)
	new_cgroup comm1
	in_cgroup "$CG" sh -c "\"$cmd\"; \"$cmd\"; exit 0"
	first=$CG_REL
	new_cgroup comm2
	in_cgroup "$CG" sh -c "\"$cmd\"; \"$cmd\"; exit 0"
	run bpfpin-stat proc --by comm --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg c "$comm" 'select(.comm == $c) | .execs' <<< "$output")" = 4 ]
	# grouped by comm, rows carry no cgroup
	not has_record 'has("cgroup")' <<< "$(jq -c 'select(.type == "stats")' <<< "$output")"
	run bpfpin-stat proc --by cgroup --format json
	[ "$(jq -r --arg cg "$first" 'select(.cgroup == $cg) | .execs' <<< "$output")" = 3 ]
	! has_record 'has("comm") and .type == "stats"' <<< "$output"
}
