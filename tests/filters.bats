#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# filters.bats: cgroup filters exact and changed at run time without a reload, event selection, the per-CPU event budget, profile minimal, bad filter input refused

load helpers

K=5

setup_file() {
	bpfpin_setup_file
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
}

teardown() {
	[ -n "${READER:-}" ] && kill "$READER" 2>/dev/null
	READER=
	cleanup_cgroups
	bpfpin-load down >/dev/null 2>&1 || true
}

# execs of proc in cgroup $1 (comm true), 0 when there is no row
execs() {
	local v
	v=$(stat_value "$1" true execs)
	echo "${v:-0}"
}

# run K /bin/true in cgroup directory $1
run_true() {
	in_cgroup "$1" sh -c "for i in \$(seq $K); do /bin/true; done"
}

# the filter column of module $1 in bpfpin-ls
filter_of() {
	bpfpin-ls --format json | jq -r --arg m "$1" 'select(.type == "module" and .module == $m) | .filter'
}

# drops of module $1 for reason $2
drops_of() {
	bpfpin-stat "$1" --format json |
		jq -r --arg r "$2" 'select(.type == "drops" and .reason == $r) | .drops'
}

# Start bpfpin-events for module $1 writing JSON to $2, ready when it holds the ring.
start_reader() {
	bpfpin-events "$1" --format json > "$2" &
	READER=$!
	ring_reader "$READER" "$1"
}

# SIGINT: the reader drains the ring, writes, and exits 0
stop_reader() {
	kill -INT "$READER"
	wait "$READER"
	READER=
}

@test "filters: with a cgroup filter, a sibling's events are neither counted nor emitted, the filtered cgroup's (and its children's) are exact; a run-time change keeps counts and needs no reload" {
	new_cgroup sib a
	A=$CG A_REL=$CG_REL
	new_cgroup sib2 sub
	mkdir "$A/sub"
	echo "$A/sub" >> "$BATS_FILE_TMPDIR/cgroups"
	B=$CG B_REL=$CG_REL
	run bpfpin-load up proc --set "proc.filter.cgroup=$A_REL"
	[ "$status" -eq 0 ]
	[ "$(filter_of proc)" = "cgroup=$A_REL" ]
	gen=$(bpfpin-ls --format json | jq -r 'select(.type == "module") | .generation')
	links=$(pinned_link_ids proc)
	events="$BATS_TEST_TMPDIR/events"
	start_reader proc "$events"
	run_true "$A"
	run_true "$A/sub"
	run_true "$B"
	stop_reader
	[ "$(execs "$A_REL")" -eq "$K" ]
	[ "$(execs "$A_REL/sub")" -eq "$K" ]
	[ "$(execs "$B_REL")" -eq 0 ]
	[ -z "$(bpfpin-stat proc --format json | jq -r --arg cg "$B_REL" 'select(.type == "stats" and .cgroup == $cg)')" ]
	[ "$(jq -s --arg cg "$A_REL" 'map(select(.type == "exec" and .comm == "true" and .cgroup == $cg)) | length' "$events")" -eq "$K" ]
	[ "$(jq -s --arg cg "$A_REL/sub" 'map(select(.type == "exec" and .comm == "true" and .cgroup == $cg)) | length' "$events")" -eq "$K" ]
	[ "$(jq -s --arg cg "$B_REL" 'map(select(.cgroup == $cg)) | length' "$events")" -eq 0 ]
	# filtered out is no drop
	[ "$(bpfpin-ls --format json | jq -r 'select(.type == "module") | .drops')" -eq 0 ]

	# at run time: B only, in one command; no reload, counts kept
	run bpfpin-load filter proc --cgroup "$CG2$B_REL"
	[ "$status" -eq 0 ]
	[ "$output" = "proc: filter cgroup=$B_REL" ]
	[ "$(filter_of proc)" = "cgroup=$B_REL" ]
	start_reader proc "$events"
	run_true "$A"
	run_true "$B"
	stop_reader
	[ "$(execs "$A_REL")" -eq "$K" ]
	[ "$(execs "$B_REL")" -eq "$K" ]
	[ "$(jq -s --arg cg "$A_REL" 'map(select(.cgroup == $cg)) | length' "$events")" -eq 0 ]
	[ "$(jq -s --arg cg "$B_REL" 'map(select(.type == "exec" and .comm == "true" and .cgroup == $cg)) | length' "$events")" -eq "$K" ]
	[ "$(bpfpin-ls --format json | jq -r 'select(.type == "module") | .generation')" = "$gen" ]
	[ "$(pinned_link_ids proc)" = "$links" ]

	# --clear: everything again
	run bpfpin-load filter proc --clear
	[ "$status" -eq 0 ]
	[ "$(filter_of proc)" = none ]
	run_true "$A"
	[ "$(execs "$A_REL")" -eq $((2 * K)) ]
}

@test "filters: comm and pid filters of proc; --events exec emits only execs while every stat is counted" {
	new_cgroup sel
	# nothing from elsewhere waits in the ring
	bpfpin-load up proc --set "proc.filter.cgroup=$CG_REL" >/dev/null
	run bpfpin-load filter proc --cgroup "$CG_REL" --events exec
	[ "$status" -eq 0 ]
	[ "$output" = "proc: filter cgroup=$CG_REL events=exec" ]
	events="$BATS_TEST_TMPDIR/events"
	start_reader proc "$events"
	run_true "$CG"
	stop_reader
	[ "$(jq -s 'map(select(.type == "exec" and .comm == "true")) | length' "$events")" -eq "$K" ]
	[ "$(jq -s 'map(select(.type != "exec" and .type != "drops")) | length' "$events")" -eq 0 ]
	[ "$(stat_value "$CG_REL" true exits)" -eq "$K" ]
	# a comm filter: echo counted, true not
	bpfpin-load filter proc --cgroup "$CG_REL" --comm echo >/dev/null
	in_cgroup "$CG" sh -c '/bin/echo >/dev/null; /bin/true; /bin/echo >/dev/null'
	[ "$(stat_value "$CG_REL" echo execs)" -eq 2 ]
	[ "$(execs "$CG_REL")" -eq "$K" ]
	# a pid filter: a process that is not it counts nothing
	bpfpin-load filter proc --pid 1 >/dev/null
	run_true "$CG"
	[ "$(execs "$CG_REL")" -eq "$K" ]
	# a reload keeps the filter in force, and says so when given another
	run bpfpin-load reload proc --set proc.filter.comm=true
	[ "$status" -eq 0 ]
	[[ "$output" == *"a reload keeps the filter in force"* ]]
	[ "$(filter_of proc)" = "pid=1" ]
	run_true "$CG"
	[ "$(execs "$CG_REL")" -eq "$K" ]
}

@test "rate limit: 100000 failed close(-1) against 1000 events/s: events shown + rate_limited = 100000 exactly" {
	require_module syscalls
	new_cgroup storm
	run bpfpin-load up syscalls --set syscalls.trace=close \
		--set "syscalls.filter.cgroup=$CG_REL" --set syscalls.max_events_per_s=1000
	[ "$status" -eq 0 ]
	[ "$(filter_of syscalls)" = "cgroup=$CG_REL rate=1000/s" ]
	events="$BATS_TEST_TMPDIR/events"
	start_reader syscalls "$events"
	"$BUILD/tests/sys-burst" "$CG" 0 0 100000 0 >/dev/null
	stop_reader
	shown=$(jq -s --arg cg "$CG_REL" 'map(select(.type == "failed" and .cgroup == $cg and .syscall == "close")) | length' "$events")
	limited=$(drops_of syscalls rate_limited)
	echo "shown $shown rate_limited $limited" >&2
	# the ring never filled (the reader ran): nothing else was lost
	[ "$(drops_of syscalls ringbuf_full)" -eq 0 ]
	[ $((shown + limited)) -eq 100000 ]
	# a full second's budget passes at least once, the storm is refused
	[ "$shown" -ge 1000 ]
	[ "$limited" -gt 0 ]
	# stats are never limited
	[ "$(bpfpin-stat syscalls --format json | jq -r --arg cg "$CG_REL" 'select(.type == "calls" and .cgroup == $cg and .syscall == "close") | .errors')" -eq 100000 ]
}

@test "profiles: minimal loads proc alone with no events; list shows each profile's modules" {
	run bpfpin-load list
	[ "$status" -eq 0 ]
	grep -Eq '^minimal +proc +proc.events=none$' <<< "$output"
	grep -Eq '^syscall +seccomp syscalls' <<< "$output"
	run bpfpin-load up --profile minimal
	[ "$status" -eq 0 ]
	[ "$(root_entries)" = proc ]
	[ "$(filter_of proc)" = "events=none" ]
	new_cgroup minimal
	events="$BATS_TEST_TMPDIR/events"
	start_reader proc "$events"
	run_true "$CG"
	stop_reader
	[ "$(execs "$CG_REL")" -eq "$K" ]
	[ "$(jq -s 'map(select(.type != "drops")) | length' "$events")" -eq 0 ]
}

# expect STATUS MESSAGE COMMAND...: exit code, one line naming the cause,
# and nothing pinned changed (the tree, the filter in force)
expect() {
	local want=$1 words=$2 before
	shift 2
	before="$(cd "$BPFPIN_ROOT" && find . | sort) $(filter_of proc)"
	run "$@"
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "command: $*" >&2
		echo "status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(cd "$BPFPIN_ROOT" && find . | sort) $(filter_of proc)" = "$before" ]
}

@test "bad input: a cgroup that does not exist, a budget of 0 or negative, an unknown event, a pid filter for udp, cgroup or nat: exit 2, one line, nothing pinned changed" {
	new_cgroup bad
	bpfpin-load up proc --set "proc.filter.cgroup=$CG_REL" >/dev/null
	expect 2 "cgroup '/bpfpin-no-such-cgroup' does not exist" \
		bpfpin-load filter proc --cgroup /bpfpin-no-such-cgroup
	expect 2 "cgroup '$CG2/bpfpin-no-such-cgroup' does not exist" \
		bpfpin-load filter proc --cgroup "$CG_REL,$CG2/bpfpin-no-such-cgroup"
	expect 2 "no cgroup of container '0123456789abcdef'" \
		bpfpin-load filter proc --cgroup 0123456789abcdef
	expect 2 "max_events_per_s '0': expected a number" \
		bpfpin-load filter proc --max-events-per-s 0
	expect 2 "max_events_per_s '-5': expected a number" \
		bpfpin-load filter proc --max-events-per-s -5
	expect 2 "module 'proc' has no event 'bogus'" \
		bpfpin-load filter proc --events exec,bogus
	expect 2 "module 'udp' has no pid filter: it filters on its sockets' cgroups only" \
		bpfpin-load filter udp --pid 1
	# modules with no sockets say what they filter on instead
	expect 2 "module 'cgroup' has no pid filter: it filters on the cgroup made or removed, not on who ran mkdir/rmdir" \
		bpfpin-load filter cgroup --pid 1
	expect 2 "module 'nat' has no comm filter: its packets have no task and no cgroup" \
		bpfpin-load filter nat --comm x
	expect 2 "'cgroup.filter.uid': module 'cgroup' has no uid filter: it filters on the cgroup made or removed" \
		bpfpin-load up cgroup --set cgroup.filter.uid=0
	[ ! -e "$BPFPIN_ROOT/cgroup" ]
	expect 2 "filter: --clear goes alone" bpfpin-load filter proc --clear --pid 1
	expect 2 "filter options (--cgroup ... --clear) go with 'filter'" \
		bpfpin-load up proc --cgroup /
	# at load: the module is not pinned at all
	expect 2 "'syscalls.max_events_per_s': max_events_per_s '0'" \
		bpfpin-load up syscalls --set syscalls.max_events_per_s=0
	expect 2 "'syscalls.filter.cgroup': cgroup '/bpfpin-no-such-cgroup' does not exist" \
		bpfpin-load up syscalls --set syscalls.filter.cgroup=/bpfpin-no-such-cgroup
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'modules = syscalls\nsyscalls.max_events_per_s = -1\n' > "$conf"
	expect 2 "line 2: 'syscalls.max_events_per_s': max_events_per_s '-1'" \
		bpfpin-load up --config "$conf"
	[ ! -e "$BPFPIN_ROOT/syscalls" ]
	# not loaded: exit 3
	run bpfpin-load filter syscalls --pid 1
	[ "$status" -eq 3 ]
}

@test "filters: udp filters on the socket's cgroup: a client below the filtered cgroup is counted exactly, its sibling and the server not at all" {
	require_module udp
	new_cgroup udpf a
	A=$CG A_REL=$CG_REL P_REL=${CG_REL%/a}
	new_cgroup udpsib
	B=$CG B_REL=$CG_REL
	new_cgroup udpsrv
	S=$CG S_REL=$CG_REL
	bpfpin-load up udp --set "udp.filter.cgroup=$P_REL" >/dev/null
	[ "$(filter_of udp)" = "cgroup=$P_REL" ]
	in_cgroup "$S" "$BUILD/tests/udp-fill" server "$BATS_TEST_TMPDIR/port" 0 \
		"$BATS_TEST_TMPDIR/go" > "$BATS_TEST_TMPDIR/read" &
	server=$!
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	port=$(cat "$BATS_TEST_TMPDIR/port")
	in_cgroup "$A" "$BUILD/tests/udp-fill" client "$port" 100 512 >/dev/null
	in_cgroup "$B" "$BUILD/tests/udp-fill" client "$port" 50 512 >/dev/null
	touch "$BATS_TEST_TMPDIR/go"
	wait "$server"
	[ "$(cat "$BATS_TEST_TMPDIR/read")" -eq 150 ]
	stats=$(bpfpin-stat udp --format json)
	[ "$(jq -r --arg cg "$A_REL" --argjson p "$port" 'select(.type == "stats" and .cgroup == $cg and .rport == $p) | .packets_sent' <<< "$stats")" -eq 100 ]
	[ "$(jq -r --arg cg "$A_REL" --argjson p "$port" 'select(.type == "stats" and .cgroup == $cg and .rport == $p) | .bytes_sent' <<< "$stats")" -eq 51200 ]
	[ -z "$(jq -r --arg b "$B_REL" --arg s "$S_REL" 'select(.type == "stats" and (.cgroup == $b or .cgroup == $s))' <<< "$stats")" ]
	# pid, comm and uid mean nothing to a socket: refused
	run bpfpin-load filter udp --uid 0
	[ "$status" -eq 2 ]
	[ "$(filter_of udp)" = "cgroup=$P_REL" ]
}
