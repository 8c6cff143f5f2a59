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
	[ -d "$BPFPIN_ROOT/proc" ] || bpfpin-load up proc >/dev/null
}

# A clean proc again after a test planted something in its tree; rm -rf is
# what a person would do with a tree bpfpin-load refuses to touch.
fresh_proc() {
	rm -rf "$BPFPIN_ROOT/proc"
	bpfpin-load up proc >/dev/null
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
	expect 2 "--format 'prom': expected text, hex, json or pcapng" bpfpin-events --format prom
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
	# down of what is not loaded succeeds, and says so
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

@test "bad input: what stands at a map pin is checked: symlink, directory, program, link, map of another shape or name (exit 5, one line naming the pin)" {
	maps="$BPFPIN_ROOT/proc/maps"
	mv "$maps/stats_a" "$maps/stats_x"
	ln -s "$maps/stats_b" "$maps/stats_a"
	expect 5 "pin '$maps/stats_a': a symbolic link, not a pin" bpfpin-stat proc
	expect 5 "'$maps/stats_a' is a symbolic link" bpfpin-load reload proc
	expect 5 "'$maps/stats_a' is a symbolic link" bpfpin-load down proc
	rm "$maps/stats_a"
	mkdir "$maps/stats_a"
	expect 5 "pin '$maps/stats_a': a directory, not a pin" bpfpin-stat proc
	expect 5 "'$maps/stats_a' is not a file, not a pin" bpfpin-load reload proc
	rmdir "$maps/stats_a"
	bpftool map create "$maps/stats_a" type hash key 4 value 8 entries 4 name stats_a
	expect 5 "map '$maps/stats_a': type hash, expected percpu_hash" bpfpin-stat proc
	expect 5 "map '$maps/stats_a': type hash, expected percpu_hash" bpfpin-load reload proc
	run bpfpin-ls --format json
	[ "$status" -eq 0 ]
	has_record '.type == "module" and .module == "proc" and .health == "broken" and (.detail | test("stats_a"))' <<< "$output"
	rm "$maps/stats_a"
	# the right shape, but another map's name, or another map behind it
	bpftool map create "$maps/stats_a" type percpu_hash key 24 value 48 entries 16384 name other flags 1
	expect 5 "named 'other', expected 'stats_a'" bpfpin-stat proc
	expect 5 "named 'other', expected 'stats_a'" bpfpin-load reload proc
	rm "$maps/stats_a"
	mv "$maps/stats_x" "$maps/stats_a"
	mv "$maps/events" "$maps/events_x"
	bpftool map create "$maps/events" type hash key 4 value 8 entries 4 name events
	expect 5 "map '$maps/events': type hash, expected ringbuf" bpfpin-events proc
	expect 5 "map '$maps/events': type hash, expected ringbuf" bpfpin-load reload proc
	expect 5 "map '$maps/events': type hash, expected ringbuf" bpfpin-load up proc
	rm "$maps/events"
	mv "$maps/events_x" "$maps/events"
	mv "$maps/stats_slot" "$maps/slot_x"
	bpftool map create "$maps/stats_slot" type array key 4 value 4 entries 1 name stats_slot
	expect 5 "map '$maps/stats_slot': type array, expected array_of_maps" bpfpin-stat proc
	expect 5 "map '$maps/stats_slot': type array, expected array_of_maps" bpfpin-load reload proc
	rm "$maps/stats_slot"
	mv "$maps/slot_x" "$maps/stats_slot"
	# a program or a link where a map should be
	mv "$maps/meta" "$maps/meta_x"
	bpftool prog pin pinned "$BPFPIN_ROOT/proc/progs/exec_btf" "$maps/meta"
	expect 5 "map '$maps/meta': a BPF program, not a map" bpfpin-stat proc
	expect 5 "map '$maps/meta': a BPF program, not a map" bpfpin-events proc
	expect 5 "a BPF program, not a map" bpfpin-load down proc
	rm "$maps/meta"
	bpftool link pin pinned "$BPFPIN_ROOT/proc/links/exec_btf" "$maps/meta" 2>/dev/null ||
		ln "$BPFPIN_ROOT/proc/links/exec_btf" "$maps/meta"
	expect 5 "map '$maps/meta': a BPF link, not a map" bpfpin-stat proc
	expect 5 "map '$maps/meta': a BPF link, not a map" bpfpin-events proc
	rm "$maps/meta"
	mv "$maps/meta_x" "$maps/meta"
	run bpfpin-stat proc
	[ "$status" -eq 0 ]
}

@test "bad input: a module path that is a map pin, or a symlink, is not a module (exit 5)" {
	bpftool map create "$BPFPIN_ROOT/tcp" type array key 4 value 8 entries 1 name tcp
	expect 5 "module 'tcp': '$BPFPIN_ROOT/tcp' is not a directory, not a bpfpin module" bpfpin-stat tcp
	expect 5 "'$BPFPIN_ROOT/tcp' is not a directory" bpfpin-load up tcp
	expect 5 "'$BPFPIN_ROOT/tcp' is not a directory" bpfpin-load down tcp
	rm "$BPFPIN_ROOT/tcp"
	ln -s "$BPFPIN_ROOT/proc" "$BPFPIN_ROOT/tcp"
	expect 5 "module 'tcp': '$BPFPIN_ROOT/tcp' is a symbolic link, not a bpfpin module" bpfpin-stat tcp
	expect 5 "'$BPFPIN_ROOT/tcp' is a symbolic link" bpfpin-load down tcp
	rm "$BPFPIN_ROOT/tcp"
}

@test "bad input: pin roots that are empty or too long (exit 2)" {
	long=/$(printf 'a%.0s' $(seq 4000))
	expect 2 "--pin-root '': expected a directory" bpfpin-stat --pin-root ''
	expect 2 "--pin-root '': expected a directory" bpfpin-load up proc --pin-root ''
	expect 2 "path too long" bpfpin-stat --pin-root "$long"
	expect 2 "path too long" bpfpin-load up proc --pin-root "$long"
	expect 2 "path too long" env BPFPIN_ROOT="$long" bpfpin-ls
}

@test "bad input: what a group member and a non-member are told (exit 4, one line saying what is needed)" {
	ensure_bpfpin_group
	make_user "bpfpin-m$$" bpfpin
	make_user "bpfpin-n$$"
	chmod 755 "$BPFFS"
	fresh_proc
	expect 4 "down: unpinning BPF programs needs root" as_user "bpfpin-m$$" bpfpin-load down proc
	expect 4 "Permission denied (readers need group 'bpfpin' or root)" as_user "bpfpin-n$$" bpfpin-stat
	expect 4 "Permission denied (readers need group 'bpfpin' or root)" as_user "bpfpin-n$$" bpfpin-stat proc
	run as_user "bpfpin-m$$" bpfpin-stat proc --format json
	[ "$status" -eq 0 ]
	# a member reads; what writes needs root, and is told so
	expect 4 "Permission denied (writing to it needs root)" as_user "bpfpin-m$$" bpfpin-stat proc --flush
	expect 4 "needs root" as_user "bpfpin-m$$" bpfpin-events proc --duration 0.1
	# a root-only pin (dns's captured content) hides nothing else from
	# bpfpin-ls (where dns loads: not on 6.1)
	can_load dns || return 0
	bpfpin-load up dns >/dev/null
	run as_user "bpfpin-m$$" bpfpin-ls --format json
	[ "$status" -eq 0 ]
	has_record '.type == "object" and .module == "dns" and .name == "scratch" and .bpf_type == "(root-only)"' <<< "$output"
	has_record '.type == "object" and .module == "dns" and .name == "cgroups_a" and .bpf_type == "percpu_hash"' <<< "$output"
	has_record '.type == "module" and .module == "dns" and .health == "ok"' <<< "$output"
	has_record '.type == "module" and .module == "proc" and .health == "ok"' <<< "$output"
	bpfpin-load down dns proc >/dev/null
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
	[ -f "$out" ]
	[ ! -L "$out" ]
	grep -q '^# TYPE bpfpin_proc_execs_total counter$' "$out"
	[ "$(grep -c '^old$' "$out")" -eq 0 ]
	[ "$(stat -c %a "$out")" = 644 ]
	rm "$out"
	run bpfpin-stat proc --format json --output "$out"
	[ "$status" -eq 0 ]
	has_record '.type == "stats" and .module == "proc"' < "$out"
	[ "$(ls -A "$BATS_TEST_TMPDIR")" = bpfpin.prom ]
}
