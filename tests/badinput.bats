#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# badinput.bats: every bad input gets its documented exit code, one line naming the cause, and changes nothing pinned

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

# what is pinned: the tree, and the ids of the objects behind it
pinned_state() {
	local p
	(cd "$BPFPIN_ROOT" && find . | sort)
	for p in "$BPFPIN_ROOT"/proc/maps/*; do
		bpftool map show pinned "$p" -j | jq -c '[.id, .name]'
	done
	bpftool map lookup pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 -j | jq -c .value
	pinned_link_ids proc
}

# expect STATUS MESSAGE-FRAGMENT COMMAND...: exit code, one line, nothing changed
expect() {
	local want=$1 words=$2
	shift 2
	local before
	before=$(pinned_state)
	run "$@"
	if [ "$status" -ne "$want" ] || [[ "$output" != *"$words"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "command: $*" >&2
		echo "status $status (want $want), output: $output" >&2
		return 1
	fi
	[ "$(pinned_state)" = "$before" ]
}

@test "bad input: flags and values of the readers (exit 2)" {
	expect 2 "unrecognized option '--bogus'" bpfpin-stat --bogus
	expect 2 "option '--format' needs a value" bpfpin-stat --format
	expect 2 "option '-n' needs a value" bpfpin-events -n
	expect 2 "unrecognized option '-x'" bpfpin-events -x
	expect 2 "--format 'xml': expected table, json or prom" bpfpin-stat --format xml
	expect 2 "--format 'prom': expected text or json" bpfpin-events --format prom
	expect 2 "--interval '0': expected seconds" bpfpin-stat --interval 0
	expect 2 "--interval '-1': expected seconds" bpfpin-stat --interval -1
	expect 2 "--interval 'soon': expected seconds" bpfpin-stat --interval soon
	expect 2 "--interval '1e400': expected seconds" bpfpin-stat --interval 1e400
	expect 2 "--count '99999999999999999999': expected a count" bpfpin-stat --interval 1 --count 99999999999999999999
	expect 2 "--count goes with --interval" bpfpin-stat --count 3
	expect 2 "--count '0': expected a count" bpfpin-events --count 0
	expect 2 "--top '0': expected a count" bpfpin-stat --top 0
	expect 2 "--pid 'me': expected a count" bpfpin-events --pid me
	expect 2 "--duration '0': expected seconds" bpfpin-events --duration 0
	expect 2 "--by 'weather': expected pid, comm, cgroup or container" bpfpin-stat --by weather
	expect 2 "map 'proc/stats' has no key to group by pid" bpfpin-stat proc --by pid
	expect 2 "unknown module 'nope'" bpfpin-stat nope
	expect 2 "unknown module 'nope'" bpfpin-events nope
	expect 2 "unexpected argument 'proc'" bpfpin-ls proc
}

@test "bad input: commands, modules, profiles and config files of the loader (exit 2)" {
	conf="$BATS_TEST_TMPDIR/bad.conf"
	expect 2 "missing command" bpfpin-load
	expect 2 "unknown command 'start'" bpfpin-load start
	expect 2 "unknown command 'u'" bpfpin-load u
	expect 2 "unknown module 'nope'" bpfpin-load up nope
	expect 2 "unknown module 'nope'" bpfpin-load down nope
	expect 2 "unknown profile 'fast'" bpfpin-load up --profile fast
	expect 2 "profile 'fileio' has no module in this build" bpfpin-load up --profile fileio
	expect 2 "--reset goes with 'reload'" bpfpin-load up --reset
	expect 2 "--profile goes with 'up'" bpfpin-load down --profile default
	expect 2 "check takes no module" bpfpin-load check proc
	printf 'modules proc\n' > "$conf"
	expect 2 "config '$conf' line 1: expected 'key = value'" bpfpin-load up --config "$conf"
	printf '# fine\n\npin_root = /x\ncolour = blue\n' > "$conf"
	expect 2 "config '$conf' line 4: unknown key 'colour'" bpfpin-load up --config "$conf"
	printf 'modules = proc nope\n' > "$conf"
	expect 2 "unknown module 'nope'" bpfpin-load up --config "$conf"
	expect 2 "config '/nonexistent.conf': No such file or directory" bpfpin-load up --config /nonexistent.conf
}

@test "bad input: pin roots that do not hold bpfpin (exit 3, or 1 for a loader that will not mount over files)" {
	expect 3 "pin root '/nonexistent/bpfpin': No such file or directory" bpfpin-stat --pin-root /nonexistent/bpfpin
	expect 3 "pin root '/tmp': not on a bpf filesystem" bpfpin-stat --pin-root /tmp
	expect 3 "pin root '/tmp': not on a bpf filesystem" bpfpin-events --pin-root /tmp
	expect 3 "pin root '/etc': not on a bpf filesystem" bpfpin-ls --pin-root /etc
	expect 3 "pin root '/etc/passwd': not a directory" bpfpin-ls --pin-root /etc/passwd
	expect 1 "'/etc' is not a bpffs mount and not empty; refusing to mount over it" bpfpin-load up proc --pin-root /etc/bpfpin
	[ ! -e /etc/bpfpin ]
	# down of what is not loaded succeeds, and says so (DESIGN.md)
	expect 0 "nothing loaded under '/nonexistent/bpfpin'" bpfpin-load down --pin-root /nonexistent/bpfpin
}

@test "bad input: no permission (exit 4) for users outside group bpfpin and for loading without root" {
	chmod 755 "$BPFFS"
	chmod 750 "$BPFPIN_ROOT"
	expect 4 "Permission denied (readers need group 'bpfpin'" setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-stat proc
	expect 4 "Permission denied (readers need group 'bpfpin'" setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-ls
	expect 4 "Permission denied (readers need group 'bpfpin'" setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-events proc
	expect 4 "up: loading BPF programs needs root" setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-load up proc
	expect 4 "reload: loading BPF programs needs root" setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-load reload proc
}

@test "bad input: --output that is not a regular file (exit 2)" {
	local dir=$BATS_TEST_TMPDIR
	echo keep > "$dir/target"
	ln -s "$dir/target" "$dir/link"
	mkfifo "$dir/fifo"
	expect 2 "--output '/dev/full': not a regular file (a character device)" bpfpin-stat proc --format prom --output /dev/full
	[ -c /dev/full ]
	# a flush would drain the maps: refused before anything is read
	expect 2 "--output '/dev/full': not a regular file (a character device)" bpfpin-stat proc --flush --output /dev/full
	[ -c /dev/full ]
	expect 2 "--output '': empty file name" bpfpin-stat proc --output ''
	expect 2 "--output '$dir': not a regular file (a directory)" bpfpin-stat proc --output "$dir"
	expect 2 "--output '$dir/fifo': not a regular file (a named pipe)" bpfpin-stat proc --output "$dir/fifo"
	[ -p "$dir/fifo" ]
	expect 2 "--output '$dir/link': is a symbolic link (give the file it points to)" bpfpin-stat proc --output "$dir/link"
	[ -L "$dir/link" ]
	[ "$(cat "$dir/target")" = keep ]
	expect 2 "--output '/nonexistent/x': directory '/nonexistent': No such file or directory" bpfpin-stat proc --output /nonexistent/x
	expect 2 "--output '$dir/target/x': directory '$dir/target': Not a directory" bpfpin-stat proc --output "$dir/target/x"
	[ ! -e /nonexistent ]
	# no temporary file left behind
	[ "$(ls -A "$dir" | tr '\n' ' ')" = "fifo link target " ]
}

@test "bad input: --output of a regular file, or a new one, is written whole (mode 0644)" {
	local out=$BATS_TEST_TMPDIR/bpfpin.prom
	echo old > "$out"
	run bpfpin-stat proc --format prom --output "$out"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -f "$out" ] && [ ! -L "$out" ]
	grep -q '^# TYPE bpfpin_proc_execs_total counter$' "$out"
	[ "$(grep -c '^old$' "$out")" -eq 0 ]
	[ "$(stat -c %a "$out")" = 644 ]
	rm "$out"
	run bpfpin-stat proc --format json --output "$out"
	[ "$status" -eq 0 ]
	has_record '.type == "stats" and .module == "proc"' < "$out"
	[ "$(ls -A "$BATS_TEST_TMPDIR")" = bpfpin.prom ]
}
