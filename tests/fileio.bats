#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# fileio.bats: exact bytes written and read per cgroup and per file, open and failed-open events, errno rows, evictions, settings refused

load helpers

# what file-rw writes and reads back: three odd writes, reads of 4099 bytes
B=100003
READ_CHUNK=4099

setup_file() {
	bpfpin_setup_file
	bpfpin-load up fileio >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module fileio
}

teardown() {
	cleanup_cgroups
}

# The rows of type $1 (from $STATS) matching jq FILTER $2.
rows() {
	jq -c "select(.type == \"$1\" and ($2))" <<< "$STATS"
}

@test "fileio: $B bytes written to a new file and read back in a fresh cgroup: exact per cgroup and per file, open events with path and flags, ENOENT event and row" {
	new_cgroup rw
	dir=$(realpath "$BATS_TEST_TMPDIR")
	file="$dir/fileio-test.data"
	events="$BATS_TEST_TMPDIR/events.json"
	bpfpin-events fileio --format json --duration 3 > "$events" &
	reader=$!
	sleep 0.5
	run "$BUILD/tests/file-rw" "$CG" "$file" "$B"
	[ "$status" -eq 0 ]
	PID=$output
	wait "$reader"
	dev=$(stat -c %d "$file")
	ino=$(stat -c %i "$file")
	STATS=$(bpfpin-stat fileio --format json)
	# the cgroup: only the helper ran in it, every call after the move is
	# known: the file's I/O, plus its pid written to cgroup.procs (that
	# write returns in the new cgroup) and to stdout
	cg=$(rows cgroups ".cgroup == \"$CG_REL\"")
	[ "$(wc -l <<< "$cg")" -eq 1 ]
	[ "$(jq -r .comm <<< "$cg")" = file-rw ]
	[ "$(jq .bytes_read <<< "$cg")" -eq "$B" ]
	[ "$(jq .reads <<< "$cg")" -eq $(((B + READ_CHUNK - 1) / READ_CHUNK)) ]
	[ "$(jq .bytes_written <<< "$cg")" -eq $((B + 2 * (${#PID} + 1))) ]
	[ "$(jq .writes <<< "$cg")" -eq 5 ]
	[ "$(jq .opens <<< "$cg")" -eq 2 ]
	[ "$(jq .open_errors <<< "$cg")" -eq 1 ]
	# the file, by (dev, ino): exactly B each way, its whole path
	f=$(rows files ".dev == $dev and .ino == $ino and .path == \"$file\"")
	[ "$(wc -l <<< "$f")" -eq 1 ]
	[ "$(jq .bytes_written <<< "$f")" -eq "$B" ]
	[ "$(jq .writes <<< "$f")" -eq 3 ]
	[ "$(jq .bytes_read <<< "$f")" -eq "$B" ]
	[ "$(jq .reads <<< "$f")" -eq $(((B + READ_CHUNK - 1) / READ_CHUNK)) ]
	[ "$(jq .opens <<< "$f")" -eq 2 ]
	# the failed open: one errno row
	e=$(rows errnos ".cgroup == \"$CG_REL\"")
	[ "$(jq -c '[.errno, .errno_nr, .open_errors]' <<< "$e")" = '["ENOENT",2,1]' ]
	# events: two opens of the file, with its path, flags, fd, dev and ino;
	# one failed open of the missing path, ENOENT
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' "$events")
	[ "$(wc -l <<< "$ev")" -eq 3 ]
	opens=$(jq -c 'select(.type == "open")' <<< "$ev")
	[ "$(wc -l <<< "$opens")" -eq 2 ]
	# O_CREAT|O_EXCL|O_WRONLY|O_CLOEXEC, mode 0640; then O_RDONLY|O_CLOEXEC
	[ "$(jq -c '[.syscall, .path, .dfd, .flags, .mode, .dev, .ino, .pid, .comm]' <<< "$opens" | head -1)" = \
		"[\"openat\",\"$file\",-100,$((0100 | 0200 | 01 | 02000000)),$((0640)),$dev,$ino,$PID,\"file-rw\"]" ]
	[ "$(jq -c '[.path, .flags, .mode]' <<< "$opens" | tail -1)" = "[\"$file\",$((02000000)),0]" ]
	[ "$(jq -c '.fd >= 3' <<< "$opens" | sort -u)" = true ]
	failed=$(jq -c 'select(.type == "open_failed")' <<< "$ev")
	[ "$(jq -c '[.syscall, .path, .errno_nr, .errno, .pid]' <<< "$failed")" = \
		"[\"openat\",\"$file.missing\",2,\"ENOENT\",$PID]" ]
	# the other formats name them too
	run bpfpin-stat fileio --format prom
	[ "$status" -eq 0 ]
	grep -qx "bpfpin_fileio_bytes_read_bytes_total{cgroup=\"$CG_REL\",container=\"\",comm=\"file-rw\"} $B" <<< "$output"
	grep -qx "bpfpin_fileio_errnos_open_errors_total{cgroup=\"$CG_REL\",container=\"\",errno=\"ENOENT\"} 1" <<< "$output"
	grep -qx "bpfpin_fileio_files_bytes_written_bytes_total{dev=\"$dev\",ino=\"$ino\",path=\"$file\"} $B" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
	run bpfpin-stat fileio
	[ "$status" -eq 0 ]
	grep -q "$file" <<< "$output"
}

@test "fileio: a path deeper than 16 names keeps its last 16 after \"...\"" {
	new_cgroup deep
	dir=$(realpath "$BATS_TEST_TMPDIR")
	deep=$dir
	for i in $(seq -w 1 20); do deep=$deep/d$i; done
	mkdir -p "$deep"
	run "$BUILD/tests/file-rw" "$CG" "$deep/f" 1000
	[ "$status" -eq 0 ]
	STATS=$(bpfpin-stat fileio --format json)
	path=$(rows files ".dev == $(stat -c %d "$deep/f") and .ino == $(stat -c %i "$deep/f")" | jq -r .path)
	echo "# $path" >&3
	want=...
	for i in $(seq -w 6 20); do want=$want/d$i; done
	[ "$path" = "$want/f" ]
}

@test "fileio: files past fileio.file_entries are evicted and counted; the cgroup row stays exact" {
	bpfpin-load down fileio >/dev/null
	echo "fileio.file_entries = 64" > "$BATS_TEST_TMPDIR/conf"
	bpfpin-load up --config "$BATS_TEST_TMPDIR/conf" fileio >/dev/null
	[ "$(bpftool map show pinned "$BPFPIN_ROOT/fileio/maps/files_a" -j | jq .max_entries)" -eq 64 ]
	n=200
	dir=$(realpath "$BATS_TEST_TMPDIR")
	for i in $(seq $n); do echo x > "$dir/f$i"; done
	new_cgroup many
	run "$BUILD/tests/file-rw" --many "$CG" "$dir" "$n"
	[ "$status" -eq 0 ]
	STATS=$(bpfpin-stat fileio --format json)
	kept=$(rows files "(.path | startswith(\"$dir/f\"))" | grep -c . || true)
	all=$(rows files true | grep -c .)
	evicted=$(jq 'select(.type == "drops" and .reason == "evicted") | .drops' <<< "$STATS")
	echo "# $n files read: $kept of them kept, $all rows, $evicted evicted" >&3
	[ "$all" -le 64 ]
	[ "$evicted" -ge $((n - kept)) ]
	cg=$(rows cgroups ".cgroup == \"$CG_REL\"")
	[ "$(jq -c '[.opens, .reads, .bytes_read, .open_errors]' <<< "$cg")" = "[$n,$n,$((2 * n)),0]" ]
	bpfpin-load down fileio >/dev/null
	bpfpin-load up fileio >/dev/null
}

@test "fileio: open_events = 1 makes only failed opens events, 0 none; counting goes on" {
	for want in 1 0; do
		echo "fileio.open_events = $want" > "$BATS_TEST_TMPDIR/conf"
		run bpfpin-load reload --config "$BATS_TEST_TMPDIR/conf" fileio
		[ "$status" -eq 0 ]
		new_cgroup "quiet$want"
		events="$BATS_TEST_TMPDIR/events$want.json"
		bpfpin-events fileio --format json --duration 2 > "$events" &
		reader=$!
		sleep 0.5
		run "$BUILD/tests/file-rw" "$CG" "$BATS_TEST_TMPDIR/quiet$want.data" 1000
		[ "$status" -eq 0 ]
		wait "$reader"
		ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg) | .type' "$events")
		if [ "$want" = 1 ]; then
			[ "$ev" = '"open_failed"' ]
		else
			[ -z "$ev" ]
		fi
		STATS=$(bpfpin-stat fileio --format json)
		[ "$(rows cgroups ".cgroup == \"$CG_REL\"" | jq -c '[.opens, .open_errors, .bytes_read]')" = "[2,1,1000]" ]
	done
	run bpfpin-load reload fileio
	[ "$status" -eq 0 ]
}

@test "fileio: --flush gives the cgroup, errno and file rows once, then none of them" {
	new_cgroup flush
	file="$(realpath "$BATS_TEST_TMPDIR")/flush.data"
	run "$BUILD/tests/file-rw" "$CG" "$file" 5000
	[ "$status" -eq 0 ]
	sel=".cgroup == \"$CG_REL\" or .path == \"$file\""
	STATS=$(bpfpin-stat fileio --flush --format json)
	[ "$(rows cgroups "$sel" | jq .bytes_read)" -eq 5000 ]
	[ "$(rows errnos "$sel" | jq .open_errors)" -eq 1 ]
	[ "$(rows files "$sel" | jq -c '[.bytes_written, .bytes_read]')" = "[5000,5000]" ]
	STATS=$(bpfpin-stat fileio --flush --format json)
	[ -z "$(jq -c "select($sel)" <<< "$STATS")" ]
}

@test "fileio: in profile fileio, not in default" {
	run bpfpin-load list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.module == "fileio") | .profiles' <<< "$output")" = fileio ]
	[ "$(jq -r 'select(.module == "proc") | .profiles' <<< "$output" | grep -cw fileio)" -eq 0 ]
}

# refused STATUS MESSAGE CONFIG-TEXT: exit code, one line, nothing pinned changed
refused() {
	local want=$1 words=$2 before
	conf="$BATS_TEST_TMPDIR/bad.conf"
	printf '%b' "$3" > "$conf"
	before=$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids fileio)
	run bpfpin-load up --config "$conf" fileio
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "config: $3; status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(cd "$BPFPIN_ROOT" && find . | sort; pinned_link_ids fileio)" = "$before" ]
}

@test "fileio: bad settings exit 2 with one line and change nothing pinned" {
	[ -d "$BPFPIN_ROOT/fileio" ]
	refused 2 "line 1: 'fileio.open_events' must be a number from 0 to 2, not '3'" 'fileio.open_events = 3\n'
	refused 2 "line 1: 'fileio.open_events' must be a number from 0 to 2, not '-1'" 'fileio.open_events = -1\n'
	refused 2 "line 2: 'fileio.file_entries' must be a number from 64 to 1048576, not '63'" 'fileio.open_events = 1\nfileio.file_entries = 63\n'
	refused 2 "line 1: 'fileio.stats_entries' must be a number from 64 to 1048576, not 'lots'" 'fileio.stats_entries = lots\n'
	refused 2 "line 1: 'fileio.errno_entries' must be a number from 64 to 1048576, not '1048577'" 'fileio.errno_entries = 1048577\n'
	refused 2 "line 1: module 'fileio' has no setting 'path_len'" 'fileio.path_len = 4096\n'
}

# file-rw --other: SRC (3 pages and 5 bytes, written by head) sent to
# DIR/sendfile.out, read by io_uring into DIR/uring.out, then mapped and
# touched page by page. Sets dir, size, pid (file-rw's), STATS.
run_other() {
	new_cgroup "$1"
	dir=$(realpath "$BATS_TEST_TMPDIR")
	size=$((3 * 4096 + 5))
	head -c "$size" /dev/urandom > "$dir/src"
	run "$BUILD/tests/file-rw" --other "$CG" "$dir/src" "$dir"
	[ "$status" -eq 0 ]
	pid=$output
	STATS=$(bpfpin-stat fileio --format json)
}

# The files row of path $1, by (dev, ino, path): an earlier test's deleted
# file may have had the inode number, under its own path
file_row() {
	rows files ".dev == $(stat -c %d "$1") and .ino == $(stat -c %i "$1") and .path == \"$1\""
}

@test "fileio: sendfile, io_uring read and write are seen per file" {
	run_other other
	src=$(file_row "$dir/src")
	echo "# src: $src" >&3
	rows cgroups ".cgroup == \"$CG_REL\"" | sed 's/^/# cgroup: /' >&3
	[ "$(wc -l <<< "$src")" -eq 1 ]
	# written by head; read by sendfile once and by io_uring once
	[ "$(jq .bytes_written <<< "$src")" -eq "$size" ]
	[ "$(jq .bytes_read <<< "$src")" -eq $((2 * size)) ]
	[ "$(file_row "$dir/sendfile.out" | jq -c '[.path, .bytes_written, .opens]')" = "[\"$dir/sendfile.out\",$size,1]" ]
	[ "$(file_row "$dir/uring.out" | jq -c '[.path, .bytes_written, .writes, .opens]')" = "[\"$dir/uring.out\",$size,1,1]" ]
	# the cgroup: io_uring may complete the write in its io-wq worker
	# (comm iou-wrk-PID), so sum over comms; plus the pid written twice
	cg=$(rows cgroups ".cgroup == \"$CG_REL\"" | jq -s -c '[(map(.bytes_read) | add), (map(.bytes_written) | add)]')
	[ "$cg" = "[$((2 * size)),$((2 * size + 2 * (${#pid} + 1)))]" ]
}

@test "fileio: page faults on a mapping are seen per file" {
	require_hook fileio mm_filemap_fault "tracepoint filemap:mm_filemap_fault, not in 6.1"
	run_other mapped
	src=$(file_row "$dir/src")
	# faulted in page by page (fault-around may map several at once)
	faults=$(jq .mmap_faults <<< "$src")
	echo "# $faults faults on a 4-page mapping" >&3
	[ "$faults" -ge 1 ]
	[ "$faults" -le 4 ]
	[ "$(rows cgroups ".cgroup == \"$CG_REL\"" | jq -s 'map(.mmap_faults) | add')" -ge "$faults" ]
}
