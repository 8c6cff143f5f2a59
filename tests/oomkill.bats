#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# oomkill.bats: a process over its memory cgroup's limit is killed; exactly one event and one count

load helpers

setup_file() {
	bpfpin_setup_file
	bpfpin-load up oomkill >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module oomkill
}

teardown() {
	restore_variants
	cleanup_cgroups
}

@test "oomkill: 64 MiB in a 20 MiB memory cgroup: killed, one event with victim and figures, kills 1" {
	new_memcg oom 20M
	new_cgroup victim
	sh -c 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && exec "$3" 64' \
		oom "$MEMCG" "$CG" "$BUILD/tests/memhog" &
	pid=$!
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 137 ]	# SIGKILL from the OOM killer
	run bpfpin-events oomkill --format json --duration 1
	[ "$status" -eq 0 ]
	# exactly one in the test's cgroup (another OOM on the host is not ours)
	kills=$(jq -c --arg cg "$CG_REL" 'select(.type == "oom_kill" and .cgroup == $cg)' <<< "$output")
	echo "$kills" >&3
	[ "$(wc -l <<< "$kills")" -eq 1 ]
	[ "$(jq .pid <<< "$kills")" -eq "$pid" ]
	[ "$(jq -r .comm <<< "$kills")" = memhog ]
	[ "$(jq -r .cgroup <<< "$kills")" = "$CG_REL" ]
	[ "$(jq -r .memcg <<< "$kills")" = "$MEMCG_REL" ]
	[ "$(jq -r .constraint <<< "$kills")" = memcg ]
	[ "$(jq .memcg_limit_bytes <<< "$kills")" -eq $((20 << 20)) ]
	# the victim held most of its 20 MiB as anonymous memory
	[ "$(jq .anon_rss_bytes <<< "$kills")" -gt $((10 << 20)) ]
	[ "$(jq .total_vm_bytes <<< "$kills")" -gt "$(jq .anon_rss_bytes <<< "$kills")" ]
	[ "$(jq -r '.container' <<< "$kills")" = null ]
	[ "$(bpfpin-stat oomkill --format json | jq -r --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg) | .kills')" = 1 ]
	run bpfpin-stat oomkill --format prom
	grep -qx "bpfpin_oomkill_kills_total{cgroup=\"$CG_REL\",container=\"\"} 1" <<< "$output"
}

# The victim's points as oom_badness() counts them: its RSS and page
# tables in pages (no swap in the tests), as the event reports them.
badness_pages() {
	jq '(.anon_rss_bytes + .file_rss_bytes + .shmem_rss_bytes + .pgtables_bytes) / 4096' <<< "$1"
}

# oom_control_kill NAME: memhog over a 20 MiB memory cgroup NAME; its kill
# event has the kernel's constraint and the victim's points
oom_control_kill() {
	new_memcg "$1" 20M
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 64' oom "$MEMCG" "$BUILD/tests/memhog" &
	pid=$!
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 137 ]
	run bpfpin-events oomkill --format json --duration 1
	[ "$status" -eq 0 ]
	kill=$(jq -c --argjson pid "$pid" 'select(.type == "oom_kill" and .pid == $pid)' <<< "$output")
	echo "$kill" >&3
	[ "$(wc -l <<< "$kill")" -eq 1 ]
	[ "$(jq -r .constraint <<< "$kill")" = memcg ]
	[ "$(jq -r .constraint_from <<< "$kill")" = oom_control ]
	[ "$(jq .points <<< "$kill")" -eq "$(badness_pages "$kill")" ]
}

@test "oomkill: the constraint is the kernel's (memcg, constraint_from oom_control) and the points the victim's" {
	require_hook oomkill oom_kill_process "fentry or kprobe on oom_kill_process"
	oom_control_kill oomctl
}

@test "oomkill: the same from hook oom_kill_process's kprobe (fentry passed over)" {
	use_variant oomkill oom_kill_process kprobe control_fentry
	oom_control_kill oomkprobe
}

@test "oomkill: without hook oom_kill_process the constraint is inferred, points 0" {
	# where it loads, the test turns it off
	VARIANT_MODULE=oomkill
	run env BPFPIN_NO_HOOK=oom_kill_process bpfpin-load reload oomkill
	[ "$status" -eq 0 ]
	[[ "$output" != *"oom_kill_process="* ]]
	new_memcg inferred 20M
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 64' oom "$MEMCG" "$BUILD/tests/memhog" &
	pid=$!
	wait "$pid" || true
	run bpfpin-events oomkill --format json --duration 1
	kill=$(jq -c --argjson pid "$pid" 'select(.type == "oom_kill" and .pid == $pid)' <<< "$output")
	[ "$(wc -l <<< "$kill")" -eq 1 ]
	[ "$(jq -r .constraint <<< "$kill")" = memcg ]
	[ "$(jq -r .constraint_from <<< "$kill")" = inferred ]
	[ "$(jq .points <<< "$kill")" -eq 0 ]
}
