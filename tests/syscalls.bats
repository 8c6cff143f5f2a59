#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# syscalls.bats: exact calls, errors, errno rows and latency slots per (cgroup, syscall); slow and failed-call events where asked; settings refused

load helpers

# what the helper does in its cgroup: getppid, failing openat, close(-1), ms of nanosleep
N=7
M=5
K=3
SLEEP_MS=20

setup_file() {
	bpfpin_setup_file
	bpfpin-load up syscalls >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module syscalls
}

teardown() {
	cleanup_cgroups
}

# One row of the stats: row TYPE SYSCALL [ERRNO] (from $STATS, of $CG_REL)
row() {
	jq -c --arg cg "$CG_REL" --arg t "$1" --arg sc "$2" --arg e "${3:-}" \
		'select(.type == $t and .cgroup == $cg and .syscall == $sc and
			($e == "" or .errno == $e))' <<< "$STATS"
}

# Run sys-burst in a fresh cgroup $1: N getppid, M openat, K close(-1),
# one nanosleep of SLEEP_MS; its pid in $PID.
burst() {
	new_cgroup "$1"
	run "$BUILD/tests/sys-burst" "$CG" "$N" "$M" "$K" "$SLEEP_MS"
	[ "$status" -eq 0 ]
	PID=$output
}

@test "syscalls: $N getppid, $M failing openat, $K close(-1) in a fresh cgroup: exact calls, errors, errno rows and histogram counts" {
	burst counts
	STATS=$(bpfpin-stat syscalls --format json)
	[ "$(row calls getppid | jq .calls)" -eq "$N" ]
	[ "$(row calls getppid | jq .errors)" -eq 0 ]
	[ "$(row calls openat | jq .calls)" -eq "$M" ]
	[ "$(row calls openat | jq .errors)" -eq "$M" ]
	[ "$(row calls close | jq .calls)" -eq "$K" ]
	[ "$(row calls close | jq .errors)" -eq "$K" ]
	[ "$(row calls nanosleep | jq .calls)" -eq 1 ]
	# the errno rows: exactly these two in the cgroup
	[ "$(row errnos openat ENOENT | jq .errors)" -eq "$M" ]
	[ "$(row errnos openat ENOENT | jq .errno_nr)" -eq 2 ]
	[ "$(row errnos close EBADF | jq .errors)" -eq "$K" ]
	[ "$(row errnos close EBADF | jq .errno_nr)" -eq 9 ]
	[ "$(jq -c --arg cg "$CG_REL" 'select(.type == "errnos" and .cgroup == $cg)' <<< "$STATS" | wc -l)" -eq 2 ]
	# every call of the cgroup began after the load: one latency each
	rows=$(jq -c --arg cg "$CG_REL" 'select(.type == "calls" and .cgroup == $cg)' <<< "$STATS")
	[ -n "$rows" ]
	[ "$(jq -s 'map(select(.latency.count != .calls or
			.latency.count != ([.latency.buckets[].count] | add))) | length' <<< "$rows")" -eq 0 ]
	[ "$(row calls getppid | jq .latency.count)" -eq "$N" ]
	# the 20 ms sleep: one call, in the one slot that holds its duration,
	# le/2 < us <= le (16384 < us <= 32768 unless a loaded host woke it late)
	sleep_us=$(row calls nanosleep | jq .latency.sum)
	[ "$sleep_us" -ge 20000 ]
	[ "$(row calls nanosleep | jq .latency.sum_ns)" -ge 20000000 ]
	le=$(row calls nanosleep | jq '[.latency.buckets[] | select(.count > 0)] |
		if length == 1 and .[0].count == 1 then .[0].le else 0 end')
	[ "$le" -ge "$sleep_us" ]
	[ $((le / 2)) -lt "$sleep_us" ]
	# names in the other formats too
	run bpfpin-stat syscalls --format prom
	[ "$status" -eq 0 ]
	grep -qx "bpfpin_syscalls_calls_total{cgroup=\"$CG_REL\",container=\"\",syscall=\"getppid\"} $N" <<< "$output"
	grep -qx "bpfpin_syscalls_errnos_errors_total{cgroup=\"$CG_REL\",container=\"\",syscall=\"openat\",errno=\"ENOENT\"} $M" <<< "$output"
	grep -qx "bpfpin_syscalls_errnos_errors_total{cgroup=\"$CG_REL\",container=\"\",syscall=\"close\",errno=\"EBADF\"} $K" <<< "$output"
	le_s=$(printf '%d.%06d' $((le / 1000000)) $((le % 1000000)))
	below_s=$(printf '%d.%06d' $((le / 2000000)) $((le / 2 % 1000000)))
	grep -qx "bpfpin_syscalls_latency_seconds_bucket{cgroup=\"$CG_REL\",container=\"\",syscall=\"nanosleep\",le=\"$le_s\"} 1" <<< "$output"
	grep -qx "bpfpin_syscalls_latency_seconds_bucket{cgroup=\"$CG_REL\",container=\"\",syscall=\"nanosleep\",le=\"$below_s\"} 0" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
	run bpfpin-stat syscalls
	[ "$status" -eq 0 ]
	grep -Eq "^$CG_REL +- +close +EBADF +$K\$" <<< "$output"
	grep -Eq "^$CG_REL +- +getppid +$N +0 +$N avg " <<< "$output"
}

@test "syscalls: 1000 getppid, mostly under 1 us each: the latency sum is exact nanoseconds, the mean sum_ns / count and not 0, in every format" {
	new_cgroup subus
	run "$BUILD/tests/sys-burst" "$CG" 1000 0 0 0
	[ "$status" -eq 0 ]
	STATS=$(bpfpin-stat syscalls --format json)
	lat=$(row calls getppid | jq -c .latency)
	[ "$(jq .count <<< "$lat")" -eq 1000 ]
	# the case whole microseconds summed to about 0: most calls in slot 0
	[ "$(jq '.buckets[] | select(.le == 1) | .count' <<< "$lat")" -ge 500 ]
	sum_ns=$(jq .sum_ns <<< "$lat")
	[ "$sum_ns" -gt 0 ]
	[ "$(jq .sum <<< "$lat")" -eq $((sum_ns / 1000)) ]
	# within the slots' bounds: slot le=2^i holds whole us v, 2^(i-1) < v <= 2^i
	lo=$(jq '[.buckets[] | select(.le > 1) | .count * (.le / 2 + 1) * 1000] | add // 0' <<< "$lat")
	hi=$(jq '[.buckets[] | .count * (.le + 1) * 1000] | add' <<< "$lat")
	[ "$sum_ns" -ge "$lo" ]
	[ "$sum_ns" -lt "$hi" ]
	mean=$((sum_ns / 1000))
	if [ "$mean" -lt 1000 ]; then
		avg="${mean}ns"
	else
		avg=$(awk -v d="$mean" 'BEGIN { printf "%.1fus", d / 1e3 }')
	fi
	[ "$mean" -gt 0 ]
	run bpfpin-stat syscalls
	[ "$status" -eq 0 ]
	grep -Eq "^$CG_REL +- +getppid +1000 +0 +1000 avg $avg( |\$)" <<< "$output"
	run bpfpin-stat syscalls --format prom
	[ "$status" -eq 0 ]
	secs=$(printf '%d.%09d' $((sum_ns / 1000000000)) $((sum_ns % 1000000000)))
	grep -qx "bpfpin_syscalls_latency_seconds_sum{cgroup=\"$CG_REL\",container=\"\",syscall=\"getppid\"} $secs" <<< "$output"
}

@test "syscalls: no events unless asked: the 20 ms nanosleep and the failed openat make none by default" {
	burst quiet
	run bpfpin-events syscalls --format json --duration 1
	[ "$status" -eq 0 ]
	[ -z "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")" ]
}

@test "syscalls: slow_us = 10000 and trace = openat: the nanosleep is one slow event, each failed openat a failed event, close(-1) none" {
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'syscalls.slow_us = 10000\nsyscalls.trace = openat\n' > "$conf"
	bpfpin-load down syscalls >/dev/null
	bpfpin-load up --config "$conf" syscalls >/dev/null
	burst events
	run bpfpin-events syscalls --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	slow=$(jq -c 'select(.type == "slow" and .syscall == "nanosleep")' <<< "$ev")
	[ "$(wc -l <<< "$slow")" -eq 1 ]
	[ "$(jq .pid <<< "$slow")" -eq "$PID" ]
	[ "$(jq .tid <<< "$slow")" -eq "$PID" ]
	[ "$(jq -r .comm <<< "$slow")" = sys-burst ]
	[ "$(jq .ret <<< "$slow")" -eq 0 ]
	[ "$(jq .errno <<< "$slow")" = null ]
	# the sleep's own 20 ms, plus what a loaded host adds (not seconds)
	[ "$(jq .duration_ns <<< "$slow")" -ge 20000000 ]
	[ "$(jq .duration_ns <<< "$slow")" -lt 1000000000 ]
	# no quick call of the helper is slow
	[ -z "$(jq -c 'select(.type == "slow" and (.syscall | IN("getppid", "openat", "close")))' <<< "$ev")" ]
	failed=$(jq -c 'select(.type == "failed")' <<< "$ev")
	[ "$(wc -l <<< "$failed")" -eq "$M" ]
	[ "$(jq -c '[.syscall, .ret, .errno_nr, .errno, .pid]' <<< "$failed" | sort -u)" = "[\"openat\",-2,2,\"ENOENT\",$PID]" ]
	# text: the names too, from a second burst (the first one's events are read)
	burst events-text
	run bpfpin-events syscalls --duration 1
	[ "$status" -eq 0 ]
	echo "$output"
	grep -E "sys-burst.*nanosleep" <<< "$output"
	[ "$(grep -cE "sys-burst.*openat.*ENOENT" <<< "$output")" -eq "$M" ]
	bpfpin-load down syscalls >/dev/null
	bpfpin-load up syscalls >/dev/null
}

@test "syscalls: a reload with a new config applies it; the counts carry on" {
	burst before
	first=$CG_REL
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'syscalls.trace = close, openat\n' > "$conf"
	run bpfpin-load reload --config "$conf" syscalls
	[ "$status" -eq 0 ]
	burst after
	run bpfpin-events syscalls --format json --duration 1
	[ "$status" -eq 0 ]
	[ "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "failed" and .syscall == "close" and .errno == "EBADF")' <<< "$output" | wc -l)" -eq "$K" ]
	[ "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "failed" and .syscall == "openat")' <<< "$output" | wc -l)" -eq "$M" ]
	[ -z "$(jq -c --arg cg "$first" 'select(.cgroup == $cg)' <<< "$output")" ]
	STATS=$(bpfpin-stat syscalls --format json)
	CG_REL=$first
	[ "$(row calls getppid | jq .calls)" -eq "$N" ]
	run bpfpin-load reload syscalls
	[ "$status" -eq 0 ]
}

@test "syscalls: trace_errnos = EBADF: only failures with that errno are events (close(-1)), not openat's ENOENT" {
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'syscalls.trace = close, openat\nsyscalls.trace_errnos = EBADF\n' > "$conf"
	run bpfpin-load reload --config "$conf" syscalls
	[ "$status" -eq 0 ]
	burst errnos
	run bpfpin-events syscalls --format json --duration 1
	[ "$status" -eq 0 ]
	[ "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "failed" and .syscall == "close" and .errno == "EBADF")' <<< "$output" | wc -l)" -eq "$K" ]
	[ -z "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg and .type == "failed" and .syscall == "openat")' <<< "$output")" ]
	# the stats count every failure still
	STATS=$(bpfpin-stat syscalls --format json)
	[ "$(row errnos openat ENOENT | jq .errors)" -eq "$M" ]
	run bpfpin-load reload syscalls
	[ "$status" -eq 0 ]
}

@test "syscalls: --flush gives both maps' rows once, then nothing for the cgroup" {
	burst flush
	STATS=$(bpfpin-stat syscalls --flush --format json)
	[ "$(row calls getppid | jq .calls)" -eq "$N" ]
	[ "$(row calls getppid | jq .latency.count)" -eq "$N" ]
	[ "$(row errnos close EBADF | jq .errors)" -eq "$K" ]
	STATS=$(bpfpin-stat syscalls --flush --format json)
	[ -z "$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$STATS")" ]
}

@test "syscalls: in profile syscall, not in default" {
	run bpfpin-load list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.module == "syscalls") | .profiles' <<< "$output")" = syscall ]
}

# expect STATUS MESSAGE CONFIG-TEXT: exit code, one line, nothing pinned changed
refused() {
	local want=$1 words=$2 before
	conf="$BATS_TEST_TMPDIR/bad.conf"
	printf '%b' "$3" > "$conf"
	before=$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids syscalls)
	run bpfpin-load up --config "$conf" syscalls
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "config: $3; status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids syscalls)" = "$before" ]
}

@test "syscalls: bad settings exit 2 with one line and change nothing pinned" {
	[ -d "$BPFPIN_ROOT/syscalls" ]
	refused 2 "line 1: 'syscalls.slow_us' must be a number from 0 to 3600000000, not '-1'" 'syscalls.slow_us = -1\n'
	refused 2 "line 1: 'syscalls.slow_us' must be a number from 0 to 3600000000, not '3600000001'" 'syscalls.slow_us = 3600000001\n'
	refused 2 "line 2: 'syscalls.trace': unknown syscall 'nosuchcall'" 'syscalls.slow_us = 5\nsyscalls.trace = openat,nosuchcall\n'
	refused 2 "line 1: 'syscalls.trace': unknown syscall 'ENOENT'" 'syscalls.trace = ENOENT\n'
	refused 2 "line 1: 'syscalls.trace_errnos': unknown errno 'ENOTANERRNO'" 'syscalls.trace_errnos = EBADF, ENOTANERRNO\n'
	refused 2 "line 1: 'syscalls.trace_errnos': unknown errno '9999'" 'syscalls.trace_errnos = 9999\n'
	refused 2 "line 1: 'syscalls.trace_errnos': unknown errno '-2'" 'syscalls.trace_errnos = -2\n'
	refused 2 "line 1: 'syscalls.trace_errnos': unknown errno 'openat'" 'syscalls.trace_errnos = openat\n'
	refused 2 "line 1: module 'syscalls' has no setting 'colour'" 'syscalls.colour = 1\n'
	refused 2 "line 1: 'syscalls.stats_entries' must be a number from 64 to 1048576, not '10'" 'syscalls.stats_entries = 10\n'
	refused 2 "line 1: 'syscalls.errno_entries' must be a number from 64 to 1048576, not 'many'" 'syscalls.errno_entries = many\n'
}
