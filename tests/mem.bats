#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# mem.bats: page faults of P touched pages, RSS step events, limit reclaim and major faults, large allocations; settings refused

load helpers

# pages the helper touches: 100 MiB
P=25600
# the helper's faults besides its pages (the shell between joining the
# cgroups and exec, ld.so, libc, two reads of /proc/self/status): 55 user
# and 3 kernel-mode faults here; a run touching no page must stay below
STARTUP_MAX=128

setup_file() {
	bpfpin_setup_file
	bpfpin-load up mem >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module mem
}

teardown() {
	cleanup_cgroups
}

# run_in NAME [LIMIT] -- COMMAND...: COMMAND in a fresh cgroup v2 group and
# a fresh memory cgroup (the same group on a v2-only host), through `run`
run_in() {
	local name=$1 limit=
	shift
	[ "$1" = -- ] || { limit=$1; shift; }
	shift
	CG=
	new_memcg "$name" "$limit"
	[ "$MEMCG" = "$CG" ] || new_cgroup "$name"
	run sh -c 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec "$@"' \
		run_in "$MEMCG" "$CG" "$@"
}

# The stats row of the last run_in's groups, as JSON
row() {
	bpfpin-stat mem --format json |
		jq -c --arg cg "$CG_REL" --arg mc "$MEMCG_REL" \
			'select(.type == "stats" and .cgroup == $cg and .memcg == $mc)'
}

# A field of the memory cgroup's memory.stat
memcg_stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$MEMCG/memory.stat"
}

@test "mem: $P pages touched in a fresh cgroup: at least $P faults, at most $P plus a run that touches none" {
	run_in base -- "$BUILD/tests/touch-pages" 0
	[ "$status" -eq 0 ]
	base=$(row)
	echo "no page: $base" >&3
	base_user=$(jq .faults_user <<< "$base")
	base_faults=$(jq .faults <<< "$base")
	[ "$base_user" -gt 0 ]
	[ "$base_user" -le "$STARTUP_MAX" ]
	[ "$base_faults" -le "$STARTUP_MAX" ]

	run_in pages -- "$BUILD/tests/touch-pages" "$P"
	[ "$status" -eq 0 ]
	r=$(row)
	echo "$P pages: $r" >&3
	user=$(jq .faults_user <<< "$r")
	faults=$(jq .faults <<< "$r")
	# one user-mode fault per page, plus the startup: the bound
	# documented above, and within 16 of the run that touched none
	[ "$user" -ge "$P" ]
	[ "$user" -le $((P + STARTUP_MAX)) ]
	[ "$user" -le $((P + base_user + 16)) ]
	[ "$faults" -le $((P + base_faults + 16)) ]
	# anonymous pages and no swap: nothing major
	[ "$(jq .major_faults <<< "$r")" -eq 0 ]
	# memory.stat's pgfault: memcg:count_memcg_events (on 6.1 a kprobe/fentry on __count_memcg_events)
	if has_hook mem count_memcg_events; then
		[ "$faults" -ge "$P" ]
		[ "$faults" -le $((P + STARTUP_MAX)) ]
		# memory.stat lags by the updates not yet flushed (rstat:
		# under 128 per CPU), never leads
		pgfault=$(memcg_stat pgfault)
		[ "$pgfault" -le "$faults" ]
		[ "$faults" -le $((pgfault + 128 * $(nproc))) ]
	fi
	# the same row in Prometheus text
	run bpfpin-stat mem --format prom
	grep -qx "bpfpin_mem_faults_user_total{cgroup=\"$CG_REL\",container=\"\",memcg=\"$MEMCG_REL\"} $user" <<< "$output"
}

@test "mem: rss_step_kb = 32768: one rss_step event per 32 MiB multiple the RSS reaches, with the helper's pid and figures" {
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'mem.rss_step_kb = 32768\n' > "$conf"
	bpfpin-load down mem >/dev/null
	bpfpin-load up --config "$conf" mem >/dev/null
	step=$((32 << 20))
	run_in rss -- "$BUILD/tests/touch-pages" "$P"
	[ "$status" -eq 0 ]
	read -r before_kb after_kb <<< "$output"
	echo "VmRSS before ${before_kb} kB, after ${after_kb} kB" >&3
	run bpfpin-events mem --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.type == "rss_step" and .cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	n=$(wc -l <<< "$ev")
	# the helper starts below one step and ends past three
	[ $((before_kb * 1024 / step)) -eq 0 ]
	[ "$n" -ge 3 ]
	# one event per multiple reached, each reached once, in order
	[ "$(jq -s -c 'map(.step_bytes)' <<< "$ev")" = "$(jq -n -c --argjson n "$n" --argjson s "$step" '[range(1; $n + 1) | . * $s]')" ]
	[ "$(jq -s -c 'map(.steps) | unique' <<< "$ev")" = "[1]" ]
	# as many events as multiples below the highest RSS they report
	[ "$(jq -s --argjson s "$step" 'map(.rss_bytes) | max / $s | floor' <<< "$ev")" -eq "$n" ]
	# and as many as VmRSS at the end passed
	[ $((after_kb * 1024 / step)) -eq "$n" ]
	# each event: just past its step (one percpu_counter batch, under
	# 1 MiB), the parts add up, the helper's pid, comm and groups
	[ "$(jq -s -c --argjson s "$step" 'map(select(.rss_bytes < .step_bytes or
		.rss_bytes >= .step_bytes + 1048576 or
		.rss_bytes != .anon_bytes + .file_bytes + .shmem_bytes)) | length' <<< "$ev")" -eq 0 ]
	[ "$(jq -r '[.comm, .memcg] | @tsv' <<< "$ev" | sort -u)" = "$(printf 'touch-pages\t%s' "$MEMCG_REL")" ]
	[ "$(jq .pid <<< "$ev" | sort -u | wc -l)" -eq 1 ]
	[ "$(jq -s '.[0].pid == .[0].tid' <<< "$ev")" = true ]
	bpfpin-load down mem >/dev/null
	bpfpin-load up mem >/dev/null
}

@test "mem: reading a 64 MiB file through a 20 MiB memory cgroup: limit reclaims timed, major faults, no OOM" {
	require_hook mem count_memcg_events "tracepoint memcg:count_memcg_events, else fentry or kprobe on __count_memcg_events"
	file="$BATS_TEST_TMPDIR/data"
	head -c $((64 << 20)) /dev/zero > "$file"
	run_in limit 20M -- "$BUILD/tests/touch-pages" 16384 "$file"
	[ "$status" -eq 0 ]
	r=$(row)
	echo "$r" >&3
	reclaims=$(jq .limit_reclaims <<< "$r")
	[ "$reclaims" -ge 1 ]
	# every reclaim began after the load: each has its latency
	[ "$(jq .limit_reclaim_latency.count <<< "$r")" -eq "$reclaims" ]
	[ "$(jq .limit_reclaimed_bytes <<< "$r")" -ge 4096 ]
	major=$(jq .major_faults <<< "$r")
	pgmajfault=$(memcg_stat pgmajfault)
	[ "$major" -ge 1 ]
	[ "$pgmajfault" -le "$major" ]
	[ "$major" -le $((pgmajfault + 128 * $(nproc))) ]
	# no direct reclaim: the host has memory to spare
	[ "$(jq .direct_reclaims <<< "$r")" -eq 0 ]
}

setxattr_script='import os
for i in range(10):
    try:
        os.setxattr(os.environ["F"], "user.big", b"x" * 65536)
    except OSError:
        pass'

@test "mem: ten 64 KiB setxattr values are large kmallocs and page blocks; none at large_alloc_bytes = 1048576 (above a tmpfs value's 128 KiB block and check-vm's 512 KiB 9p buffers)" {
	export F="$BATS_TEST_TMPDIR/xattr"
	touch "$F"
	run_in large -- python3 -c "$setxattr_script"
	[ "$status" -eq 0 ]
	r=$(row)
	echo "$r" >&3
	[ "$(jq .large_kmallocs <<< "$r")" -ge 10 ]
	[ "$(jq .large_kmalloc_bytes <<< "$r")" -ge $((10 * 65536)) ]
	[ "$(jq .large_page_allocs <<< "$r")" -ge 10 ]
	[ "$(jq '.large_page_alloc_bytes % 65536' <<< "$r")" -eq 0 ]

	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'mem.large_alloc_bytes = 1048576\n' > "$conf"
	run bpfpin-load reload --config "$conf" mem
	[ "$status" -eq 0 ]
	run_in small -- python3 -c "$setxattr_script"
	[ "$status" -eq 0 ]
	r=$(row)
	echo "$r" >&3
	[ "$(jq .faults_user <<< "$r")" -gt 0 ]
	[ "$(jq -c '[.large_kmallocs, .large_page_allocs]' <<< "$r")" = "[0,0]" ]
	run bpfpin-load reload mem
	[ "$status" -eq 0 ]
}

@test "mem: in profile memory, not in default" {
	run bpfpin-load list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.module == "mem") | .profiles' <<< "$output")" = memory ]
}

# refused STATUS MESSAGE CONFIG-TEXT: exit code, one line, nothing pinned changed
refused() {
	local want=$1 words=$2 before
	conf="$BATS_TEST_TMPDIR/bad.conf"
	printf '%b' "$3" > "$conf"
	before=$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids mem)
	run bpfpin-load up --config "$conf" mem
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "config: $3; status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids mem)" = "$before" ]
}

@test "mem: settings out of range exit 2 with one line and change nothing pinned" {
	[ -d "$BPFPIN_ROOT/mem" ]
	refused 2 "line 1: 'mem.rss_step_kb' must be a number from 1024 to 1073741824, not '1023'" 'mem.rss_step_kb = 1023\n'
	refused 2 "line 1: 'mem.rss_step_kb' must be a number from 1024 to 1073741824, not '1073741825'" 'mem.rss_step_kb = 1073741825\n'
	refused 2 "line 1: 'mem.large_alloc_bytes' must be a number from 4096 to 1073741824, not '0'" 'mem.large_alloc_bytes = 0\n'
	refused 2 "line 2: 'mem.stats_entries' must be a number from 64 to 1048576, not 'lots'" 'mem.rss_step_kb = 2048\nmem.stats_entries = lots\n'
	refused 2 "line 1: module 'mem' has no setting 'step'" 'mem.step = 1\n'
}
