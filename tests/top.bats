#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# top.bats: bpfpin-top against a program it did not load, run an exact number of times, its maps and its owners

load helpers

N=1000	# runs of the test program
K=7	# keys the test puts into its 64-entry hash map

setup_file() {
	bpfpin_setup_file
	# top-probe attaches a classic tracepoint too: tracefs, as up would mount
	# it (in tests/run's mount namespace, gone with it)
	[ -e /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
	STATE=$(mktemp -d /tmp/bpfpin-top-state.XXXXXX)
	export STATE
	echo "$STATE" > "$BATS_FILE_TMPDIR/state"
}

teardown_file() {
	if [ -f "$STATE/pid" ]; then
		kill "$(cat "$STATE/pid")" 2>/dev/null || true
	fi
	rm -rf "$STATE"
	bpfpin_teardown_file
}

# top-probe loads its raw_tp program (attached to cpuhp_enter, which fires on
# CPU hotplug only: no one else runs it), pins the link and the map, and runs
# the program N times by BPF_PROG_TEST_RUN once $STATE/go exists. Each test
# run is one run the kernel counts, so run_cnt grows by exactly N.
start_probe() {
	rm -f "$STATE"/{ready,ran,go}
	"$BUILD/tests/top-probe" "$BPFFS" "$STATE" "$N" "$@" 3>&- &
	echo $! > "$STATE/pid"
	for _ in $(seq 100); do
		[ -e "$STATE/ready" ] && break
		sleep 0.05
	done
	read -r PROBE_PID PROG_ID MAP_ID LINK_ID < "$STATE/ready"
}

stop_probe() {
	if [ -f "$STATE/pid" ]; then
		kill "$(cat "$STATE/pid")" 2>/dev/null || true
		wait "$(cat "$STATE/pid")" 2>/dev/null || true
		rm -f "$STATE/pid"
	fi
}

# each test starts from no probe and no pins, also after a failure
teardown() {
	stop_probe
	rm -f "$BPFFS/top_link" "$BPFFS/top_hash"
}

# the runs the kernel counted for the test program
run_cnt() {
	bpftool prog show id "$PROG_ID" --json | jq '.run_cnt // 0'
}

@test "top: the test program's runs over the interval are exactly N, its owner is the process, its map has K of 64 entries; then the pins own them" {
	new_cgroup top
	start_probe "$CG"
	for k in $(seq 1 "$K"); do
		bpftool map update pinned "$BPFFS/top_hash" key "$k" 0 0 0 value 1 0 0 0 0 0 0 0
	done
	# the first sample is taken at start; the runs come after it, inside the interval
	bpfpin-top --format json --interval 3 > "$STATE/json" &
	top=$!
	sleep 1
	touch "$STATE/go"
	wait "$top"
	[ "$(cat "$STATE/ran")" = "$N" ]	# the program's own count
	prog=$(jq -c "select(.kind == \"prog\" and .id == $PROG_ID)" "$STATE/json")
	echo "$prog"
	[ "$(jq -r .name <<< "$prog")" = top_tick ]
	[ "$(jq -r .type <<< "$prog")" = raw_tracepoint ]
	[ "$(jq -r .attach <<< "$prog")" = raw_tp:cpuhp_enter ]
	[ "$(jq -r .owner <<< "$prog")" = "top-probe[$PROBE_PID]" ]
	[ "$(jq -r .module <<< "$prog")" = - ]
	[ "$(jq -r .runs <<< "$prog")" = "$N" ]
	[ "$(jq -r ".run_cnt >= $N" <<< "$prog")" = true ]
	[ "$(jq -r '.run_time_ns > 0 and .ns_per_run > 0' <<< "$prog")" = true ]
	[ "$(jq -r .missed <<< "$prog")" = 0 ]
	map=$(jq -c "select(.kind == \"map\" and .id == $MAP_ID)" "$STATE/json")
	echo "$map"
	[ "$(jq -r '[.name, .type, .key_size, .value_size, .max_entries, .entries] | @tsv' <<< "$map")" = \
		"$(printf 'top_hash\thash\t4\t8\t64\t%s' "$K")" ]
	[ "$(jq -r .owner <<< "$map")" = "top-probe[$PROBE_PID]" ]
	[ "$(jq -r '.memory > 0' <<< "$map")" = true ]
	# its tracepoint program, by a perf_event link the process holds
	[ "$(jq -r "select(.kind == \"prog\" and .name == \"top_tp\" and .owner == \"top-probe[$PROBE_PID]\") | .attach" "$STATE/json")" = \
		tracepoint:cpuhp_exit ]
	# its cgroup_skb program, by a cgroup link: the cgroup's path
	[ "$(jq -r "select(.kind == \"prog\" and .name == \"top_skb\" and .owner == \"top-probe[$PROBE_PID]\") | .attach" "$STATE/json")" = \
		"cgroup:$CG_REL:cgroup_inet_ingress" ]
	# the owner's totals: its four programs (top_tick, top_pass, top_tp, top_skb),
	# the maps its skeleton holds, and their memory
	owner=$(jq -c "select(.kind == \"owner\" and .owner == \"top-probe[$PROBE_PID]\")" "$STATE/json")
	maps=$(jq -r "select(.kind == \"map\" and .owner == \"top-probe[$PROBE_PID]\") | .id" "$STATE/json" | wc -l)
	[ "$maps" -ge 2 ]
	[ "$(jq -r '[.programs, .maps] | @tsv' <<< "$owner")" = "$(printf '4\t%s' "$maps")" ]
	[ "$(jq -s "[.[] | select(.kind != \"owner\" and .owner == \"top-probe[$PROBE_PID]\") | .memory] | add" "$STATE/json")" = \
		"$(jq -r .memory <<< "$owner")" ]

	# the loader gone, the link pinned: the pins hold the program and the map
	stop_probe
	run bpfpin-top --format json --interval 0.2
	[ "$status" -eq 0 ]
	# the test program's pinned link and map, without a process
	[ "$(jq -r "select(.kind == \"prog\" and .id == $PROG_ID) | .owner" <<< "$output")" = "pinned:$BPFFS/top_link" ]
	[ "$(jq -r "select(.kind == \"prog\" and .id == $PROG_ID) | .runs" <<< "$output")" = 0 ]
	[ "$(jq -r "select(.kind == \"map\" and .id == $MAP_ID) | .owner" <<< "$output")" = "pinned:$BPFFS/top_hash" ]
	[ "$(jq -r "select(.kind == \"map\" and .id == $MAP_ID) | .entries" <<< "$output")" = "$K" ]
	# totals go to the pins' directory: the program, its pinned map and
	# the maps only the program holds (owned as the program is)
	maps=$(jq -r "select(.kind == \"map\" and (.owner | startswith(\"pinned:$BPFFS/\"))) | .id" <<< "$output" | wc -l)
	[ "$maps" -ge 2 ]
	[ "$(jq -r "select(.kind == \"owner\" and .owner == \"pinned:$BPFFS\") | [.programs, .maps] | @tsv" <<< "$output")" = \
		"$(printf '1\t%s' "$maps")" ]
}

@test "top: --max-keys caps the keys counted; 0 counts none" {
	start_probe
	for k in $(seq 1 "$K"); do
		bpftool map update pinned "$BPFFS/top_hash" key "$k" 0 0 0 value 1 0 0 0 0 0 0 0
	done
	run bpfpin-top --format json --interval 0.1 --max-keys 3
	[ "$status" -eq 0 ]
	[ "$(jq -r "select(.kind == \"map\" and .id == $MAP_ID) | .entries" <<< "$output")" = 3 ]
	run bpfpin-top --format json --interval 0.1 --max-keys 0
	[ "$(jq -r "select(.kind == \"map\" and .id == $MAP_ID) | .entries" <<< "$output")" = null ]
}

# Processes holding run-time statistics on (an fd from BPF_ENABLE_STATS),
# other than $1: another tool (a benchmark) may hold them while we test.
stats_holders() {
	local fd
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = anon_inode:bpf-stats ] || continue
		fd=${fd#/proc/}
		[ "${fd%%/*}" = "${1:-}" ] || echo "${fd%%/*}"
	done
}

# Whether a run of the test program is counted now: 1 or 0.
counted() {
	local n
	n=$(run_cnt)
	bpftool prog run id "$PROG_ID" repeat 0 > /dev/null
	echo $(($(run_cnt) - n))
}

# Statistics off: a run is not counted. Another holder (a benchmark running
# beside the tests) may turn them on for a while: then wait, bounded; a run
# counted while no one else holds them fails.
stats_off() {
	local i
	for i in $(seq 120); do
		[ "$(counted)" = 0 ] && return 0
		[ -n "$(stats_holders)" ] || return 1
		sleep 0.5
	done
	echo "statistics held by others for a minute: $(stats_holders)" >&2
	return 1
}

@test "top: statistics are on while it samples and off after it exits, also after SIGKILL; kernel.bpf_stats_enabled unchanged" {
	# the sysctl shows only what was written to it, not the fds that hold
	# statistics on: whether a run of the test program is counted shows it
	before=$(sysctl -n kernel.bpf_stats_enabled)
	[ "$before" = 0 ]
	start_probe
	stats_off
	run bpfpin-top --interval 0.1
	[ "$status" -eq 0 ]
	stats_off	# after a normal exit
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = "$before" ]

	bpfpin-top --interval 60 > /dev/null 3>&- &
	top=$!
	on=0
	for _ in $(seq 100); do
		on=$(counted)
		[ "$on" = 1 ] && [ -n "$(stats_holders | grep -x "$top")" ] && break
		sleep 0.05
	done
	[ "$on" = 1 ]	# on while bpfpin-top holds its fd
	kill -KILL "$top"
	wait "$top" 2>/dev/null || true
	stats_off	# the fd closed with the process
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = "$before" ]
}

@test "top: Prometheus text passes promtool and names the program's run time, the map's memory and entries; JSON Lines parse" {
	start_probe
	touch "$STATE/go"
	for _ in $(seq 100); do
		[ -e "$STATE/ran" ] && break
		sleep 0.05
	done
	run bpfpin-top --format prom --interval 0.2
	[ "$status" -eq 0 ]
	promtool check metrics <<< "$output"
	grep -q "^bpfpin_host_prog_run_seconds_total{id=\"$PROG_ID\",name=\"top_tick\",type=\"raw_tracepoint\",owner=\"top-probe\[$PROBE_PID\]\"} " <<< "$output"
	grep -q "^bpfpin_host_prog_runs_total{id=\"$PROG_ID\",.*} " <<< "$output"
	grep -q "^bpfpin_host_map_memory_bytes{id=\"$MAP_ID\",name=\"top_hash\",type=\"hash\",owner=\"top-probe\[$PROBE_PID\]\"} [1-9]" <<< "$output"
	grep -q "^bpfpin_host_map_entries{id=\"$MAP_ID\",.*} 0$" <<< "$output"
	grep -q "^bpfpin_host_owner_memory_bytes{owner=\"top-probe\[$PROBE_PID\]\"} [1-9]" <<< "$output"
	run bpfpin-top --format json --interval 0.1 --count 2
	[ "$status" -eq 0 ]
	jq -e . <<< "$output" > /dev/null
	# two samples: the program in each
	[ "$(jq -r "select(.kind == \"prog\" and .id == $PROG_ID) | .id" <<< "$output" | wc -l)" = 2 ]
}

@test "top: the table is sorted by CPU and --top N keeps N programs and N maps" {
	# programs and maps of our own: a quiet host may have none
	bpfpin-load up proc >/dev/null
	run bpfpin-top --format json --interval 0.2 --top 2
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.kind == "prog") | .id' <<< "$output" | wc -l)" = 2 ]
	[ "$(jq -r 'select(.kind == "map") | .id' <<< "$output" | wc -l)" = 2 ]
	# sorted by run time over the interval, the highest first (ns_per_run
	# is rounded: runs x ns_per_run is within one ns a run of it)
	[ "$(jq -s '[.[] | select(.kind == "prog") | {r: .runs, n: .ns_per_run}] as $p |
		all(range(1; $p | length); ($p[. - 1].r * $p[. - 1].n) >= ($p[.].r * $p[.].n) - ($p[. - 1].r + $p[.].r))' <<< "$output")" = true ]
	run bpfpin-top --interval 0.1 --top 1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = programs ]
	[[ "${lines[1]}" == *ID*NAME*TYPE*ATTACH*OWNER*RUNS*CPU* ]]
	bpfpin-load down proc >/dev/null
}

@test "top: refusals: a bad format, prom with --count, a bad --max-keys, an argument; and no root" {
	run bpfpin-top --format yaml
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--format 'yaml'"* ]]
	run bpfpin-top --format prom --count 2
	[ "$status" -eq 2 ]
	[[ "$output" == *"--count 2"* ]]
	run bpfpin-top --max-keys -1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-keys '-1'"* ]]
	run bpfpin-top extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument 'extra'"* ]]
	# a user without CAP_SYS_ADMIN (a bpfpin group member too): the kernel
	# lists no object to them, and statistics stay off
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$BUILD/bpfpin-top" --interval 0.1
	[ "$status" -eq 4 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"BPF_ENABLE_STATS"*"CAP_SYS_ADMIN"* ]]
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 0 ]
}
