#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# output.bats: a comm of any bytes stays valid UTF-8, one line per record, in every format; promtool accepts the metrics

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

FFFD=$'\xef\xbf\xbd'

# valid_utf8 FILE: iconv refuses any invalid byte
valid_utf8() {
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null
}

# comm_shows COMM JSON PROM TEXT CELL: a process in a fresh cgroup sets its
# comm to the bytes COMM (prctl) and exits. In JSON the comm is the string
# literal JSON, in Prometheus the label value PROM, in a text event the
# field TEXT, in a table the cell CELL.
comm_shows() {
	local comm=$1 json=$2 prom=$3 text=$4 cell=$5 t=$BATS_TEST_TMPDIR rows line
	new_cgroup comm
	in_cgroup "$CG" "$BUILD/tests/set-comm" "$comm"

	# JSON: every line parses; the exit is counted under the new comm
	bpfpin-stat proc --format json > "$t/stat.json"
	valid_utf8 "$t/stat.json"
	jq -c . "$t/stat.json" >/dev/null
	[ "$(jq -s --arg cg "$CG_REL" --argjson comm "$json" \
		'map(select(.type == "stats" and .cgroup == $cg and .comm == $comm and .exits == 1)) | length' \
		"$t/stat.json")" -eq 1 ]
	rows=$(jq -s --arg cg "$CG_REL" \
		'map(select(.type == "stats" and .cgroup == $cg)) | length' "$t/stat.json")
	[ "$rows" -ge 2 ]	# set-comm (exec, rename) and the new comm (exit)

	# Prometheus: promtool accepts the whole text
	bpfpin-stat proc --format prom > "$t/stat.prom"
	valid_utf8 "$t/stat.prom"
	run promtool check metrics < "$t/stat.prom"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -qxF "bpfpin_proc_exits_total{cgroup=\"$CG_REL\",container=\"\",comm=\"$prom\"} 1" "$t/stat.prom"

	# table: one line per row of the cgroup, the new comm's among them
	bpfpin-stat proc > "$t/stat.txt"
	valid_utf8 "$t/stat.txt"
	[ "$(grep -caF "$CG_REL " "$t/stat.txt")" -eq "$rows" ]
	[ "$(grep -aF "$CG_REL " "$t/stat.txt" | grep -cF "  $cell  ")" -eq 1 ]

	# events as JSON: the rename and the exit, one valid object a line
	bpfpin-events proc --format json --duration 1 > "$t/ev.json" 2>/dev/null
	valid_utf8 "$t/ev.json"
	jq -c . "$t/ev.json" >/dev/null
	[ "$(jq -s --arg cg "$CG_REL" --argjson comm "$json" \
		'map(select(.cgroup == $cg and .type == "rename" and .old_comm == "set-comm" and .new_comm == $comm)) | length' \
		"$t/ev.json")" -eq 1 ]
	[ "$(jq -s --arg cg "$CG_REL" --argjson comm "$json" \
		'map(select(.cgroup == $cg and .type == "exit" and .comm == $comm)) | length' \
		"$t/ev.json")" -eq 1 ]

	# events as text (the JSON reader took the first process's): again
	in_cgroup "$CG" "$BUILD/tests/set-comm" "$comm"
	bpfpin-events proc --format text --duration 1 > "$t/ev.txt" 2>/dev/null
	valid_utf8 "$t/ev.txt"
	# every line is a record: it starts with its time
	[ -z "$(grep -avE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z proc ' "$t/ev.txt")" ]
	grep -aF " cgroup=$CG_REL " "$t/ev.txt" > "$t/ours.txt"
	[ "$(grep -cF ' proc rename ' "$t/ours.txt")" -eq 1 ]
	line=$(grep -F ' proc rename ' "$t/ours.txt")
	[[ "$line" == *" old_comm=set-comm new_comm=$text" ]]
	[ "$(grep -cF ' proc exit ' "$t/ours.txt")" -eq 1 ]
	grep -F ' proc exit ' "$t/ours.txt" | grep -qF " comm=$text cgroup=$CG_REL "
}

@test "output: a comm with a double quote" {
	comm_shows 'q"uote' '"q\"uote"' 'q\"uote' '"q\"uote"' 'q"uote'
}

@test "output: a comm with a backslash" {
	comm_shows 'back\slash' '"back\\slash"' 'back\\slash' '"back\\slash"' 'back\slash'
}

@test "output: a comm with a newline" {
	comm_shows $'new\nline' '"new\nline"' 'new\nline' 'new?line' 'new?line'
}

@test "output: a comm with an ANSI escape" {
	comm_shows $'\e[31mred' '"\u001b[31mred"' "$FFFD[31mred" '?[31mred' '?[31mred'
}

@test "output: a comm of invalid UTF-8 gets U+FFFD per bad byte" {
	comm_shows $'\xff\xfe\xc3(' '"\ufffd\ufffd\ufffd("' "$FFFD$FFFD$FFFD(" "$FFFD$FFFD$FFFD(" "$FFFD$FFFD$FFFD("
}

@test "output: a comm of valid multi-byte UTF-8 is kept" {
	comm_shows 'café 日本' '"café 日本"' 'café 日本' '"café 日本"' 'café 日本'
}
