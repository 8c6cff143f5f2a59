#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# load.bats: bpfpin-load up/down/check/list, idempotence, and the documented errors and exit codes

load helpers

setup_file() {
	bpfpin_setup_file
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
}

prog_ids() {
	local p
	for p in "$BPFPIN_ROOT"/proc/progs/*; do
		bpftool prog show pinned "$p" -j | jq .id
	done
}

@test "load: up pins maps, progs and links, and reports the hooks it picked" {
	# stderr: "mounted tracefs" where this file's up is the first
	run --separate-stderr bpfpin-load up proc
	[ "$status" -eq 0 ]
	[ -z "$stderr" ] || [ "$stderr" = "bpfpin-load: mounted tracefs at /sys/kernel/tracing" ]
	[[ "$output" == "proc: loaded (sched_process_exec=tp_btf "* ]]
	[ "$(ls "$BPFPIN_ROOT/proc/maps" | tr '\n' ' ')" = "drops events filter flush handoff meta ratelimit stats_a stats_b stats_slot " ]
	[ "$(ls "$BPFPIN_ROOT/proc/links" | wc -l)" -eq 5 ]
	[ "$(ls "$BPFPIN_ROOT/proc/progs" | wc -l)" -eq 5 ]
	# nothing half-built is left beside it
	[ "$(root_entries)" = proc ]
	# ordinary stats: directories 0750, pins 0640, owned by root
	[ "$(stat -c %a "$BPFPIN_ROOT/proc")" = 750 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/proc/maps/stats_a")" = 640 ]
	[ "$(stat -c %u "$BPFPIN_ROOT/proc/maps/stats_a")" = 0 ]
}

@test "load: up twice is harmless: same programs, same links" {
	bpfpin-load up proc >/dev/null
	before=$(prog_ids | sort | tr '\n' ' ')
	links=$(pinned_link_ids proc)
	run bpfpin-load up proc
	[ "$status" -eq 0 ]
	[ "$output" = "proc: already loaded" ]
	[ "$(prog_ids | sort | tr '\n' ' ')" = "$before" ]
	[ "$(pinned_link_ids proc)" = "$links" ]
	# no link of ours beyond the five pinned ones
	for id in $before; do
		[ "$(bpftool link show -j | jq --argjson p "$id" 'map(select(.prog_id == $p)) | length')" -eq 1 ]
	done
}

@test "load: up with --profile default loads its modules, leaving proc as it was" {
	run bpfpin-load up --profile default
	[ "$status" -eq 0 ]
	# (a module degraded on this kernel warns on stderr first)
	[ "$(grep -v '^bpfpin-load: ' <<< "$output" | sed -n 1p)" = "proc: already loaded" ]
	for m in oomkill seccomp tcpqueue; do
		grep -qE "^$m: loaded(, degraded)? \(" <<< "$output"
	done
	[ "$(root_entries | tr '\n' ' ')" = "oomkill proc seccomp tcpqueue " ]
}

@test "load: down removes every pin and detaches every link" {
	bpfpin-load up proc >/dev/null
	ids=$(prog_ids)
	[ -n "$ids" ]
	run bpfpin-load down
	[ "$status" -eq 0 ]
	grep -qx "proc: unloaded" <<< "$output"
	[ -z "$(root_entries)" ]
	# unpinned links are released from a kernel workqueue: allow it 2 s
	for id in $ids; do
		for i in $(seq 40); do
			bpftool prog show id "$id" >/dev/null 2>&1 || break
			sleep 0.05
		done
		bpftool link show -j | not jq -e --argjson id "$id" '.[] | select(.prog_id == $id)'
		not bpftool prog show id "$id" 2>/dev/null
	done
}

@test "load: down of a module that is not loaded succeeds and says so" {
	run bpfpin-load down proc
	[ "$status" -eq 0 ]
	[ "$output" = "proc: not loaded" ]
}

@test "load: a reader of a module that is not loaded exits 3 naming the root" {
	bpfpin-load down >/dev/null
	run bpfpin-stat proc
	[ "$status" -eq 3 ]
	[[ "$output" == *"module 'proc' is not loaded under '$BPFPIN_ROOT'"* ]]
	run bpfpin-events proc --count 1
	[ "$status" -eq 3 ]
	run bpfpin-stat
	[ "$status" -eq 3 ]
	[[ "$output" == *"no module is loaded under '$BPFPIN_ROOT'"* ]]
}

@test "load: a wrong --pin-root exits 3 and names the path; --pin-root wins over BPFPIN_ROOT" {
	bpfpin-load up proc >/dev/null
	run bpfpin-stat --pin-root /nonexistent/bpfpin
	[ "$status" -eq 3 ]
	[[ "$output" == *"pin root '/nonexistent/bpfpin': No such file or directory"* ]]
	run bpfpin-ls --pin-root /tmp
	[ "$status" -eq 3 ]
	[[ "$output" == *"pin root '/tmp': not on a bpf filesystem"* ]]
	run env BPFPIN_ROOT=/nonexistent bpfpin-stat proc --pin-root "$BPFPIN_ROOT" --format json
	[ "$status" -eq 0 ]
}

@test "load: usage errors exit 2 with one line and a hint" {
	run bpfpin-load up nosuchmodule
	[ "$status" -eq 2 ]
	[ "$output" = "bpfpin-load: unknown module 'nosuchmodule' (see 'bpfpin-load list') (try 'bpfpin-load --help')" ]
	run bpfpin-load up --profile nosuchprofile
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown profile 'nosuchprofile'"* ]]
	run bpfpin-load frobnicate
	[ "$status" -eq 2 ]
	run bpfpin-stat --format yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format 'yaml'"* ]]
	run bpfpin-stat --by weather
	[ "$status" -eq 2 ]
	run bpfpin-stat --interval 0
	[ "$status" -eq 2 ]
	run bpfpin-stat --bogus-flag
	[ "$status" -eq 2 ]
	run bpfpin-events --count 0
	[ "$status" -eq 2 ]
	run bpfpin-stat proc --by pid
	[ "$status" -eq 2 ]
	[[ "$output" == *"map 'proc/stats' has no key to group by pid"* ]]
}

@test "load: a config file names the root and modules; malformed lines exit 2" {
	bpfpin-load down >/dev/null
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf '# test\npin_root = %s\nmodules = proc\n' "$BPFPIN_ROOT" > "$conf"
	run env -u BPFPIN_ROOT bpfpin-load up --config "$conf"
	[ "$status" -eq 0 ]
	[[ "$output" == "proc: loaded"* ]]
	printf 'colour = blue\n' > "$conf"
	run bpfpin-load up --config "$conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config '$conf' line 1: unknown key 'colour'"* ]]
}

@test "load: module settings in the config: an unknown one or a value out of range exits 2 and loads nothing" {
	bpfpin-load down >/dev/null
	conf="$BATS_TEST_TMPDIR/bpfpin.conf"
	printf 'modules = tcp\ntcp.colour = 3\n' > "$conf"
	run bpfpin-load up --config "$conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config '$conf' line 2: module 'tcp' has no setting 'colour'"* ]]
	printf 'modules = tcp\ntcp.remote_entries = 12\n' > "$conf"
	run bpfpin-load up --config "$conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'tcp.remote_entries' must be a number from 64 to 1048576, not '12'"* ]]
	printf 'nomodule.size = 12\n' > "$conf"
	run bpfpin-load up --config "$conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key 'nomodule.size'"* ]]
	[ -z "$(root_entries)" ]
	# the sample config, every line commented out, is valid
	run bpfpin-load up --config "$BATS_TEST_DIRNAME/../systemd/bpfpin.conf" proc
	[ "$status" -eq 0 ]
	[[ "$output" == "proc: loaded"* ]]
}

@test "load: check reports the features and that proc can load here" {
	run bpfpin-load check --format json
	[ "$status" -eq 0 ]
	has_record '.check == "btf" and .ok == "yes"' <<< "$output"
	has_record '.check == "ringbuf" and .ok == "yes"' <<< "$output"
	has_record '.check == "kprobes"' <<< "$output"
	has_record '.check == "fentry"' <<< "$output"
	has_record '.check == "module proc" and .ok == "yes"' <<< "$output"
	run bpfpin-load list
	[ "$status" -eq 0 ]
	[[ "$output" == *"proc"*"default process"* ]]
}

@test "load: where tracefs is not mounted, check says so, finds the same modules loadable as with it, and mounts nothing; reload mounts it" {
	bpfpin-load up proc >/dev/null
	bpfpin-load check --format json > "$BATS_TEST_TMPDIR/with.json"
	# a mount namespace of its own, tracefs unmounted there
	run unshare -m --propagation private sh -c '
		umount /sys/kernel/tracing 2>/dev/null
		[ ! -e /sys/kernel/tracing/events ] || { echo "tracefs still there"; exit 1; }
		bpfpin-load check --format json > "$1/without.json" || exit 1
		[ ! -e /sys/kernel/tracing/events ] || { echo "check mounted tracefs"; exit 1; }
		bpfpin-load reload proc || exit 1
		[ -e /sys/kernel/tracing/events ] || { echo "reload did not mount tracefs"; exit 1; }' \
		sh "$BATS_TEST_TMPDIR"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mounted tracefs at /sys/kernel/tracing"* ]]
	has_record '.check == "tracefs" and .ok == "no"' < "$BATS_TEST_TMPDIR/without.json"
	has_record '.check == "tracefs" and .ok == "yes"' < "$BATS_TEST_TMPDIR/with.json"
	modules='[.[] | select(.check | startswith("module ")) | [.check, .ok, .detail]]'
	[ "$(jq -s -c "$modules" "$BATS_TEST_TMPDIR/without.json")" = \
		"$(jq -s -c "$modules" "$BATS_TEST_TMPDIR/with.json")" ]
	# fileio's syscall tracepoints are in tracefs alone
	has_record '.check == "module fileio" and (.detail | contains("=tracepoint"))' < "$BATS_TEST_TMPDIR/without.json"
}

@test "load: --help and --version go to stdout and exit 0" {
	for tool in bpfpin-load bpfpin-stat bpfpin-events bpfpin-ls; do
		run "$tool" --help
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: $tool"* ]]
		run "$tool" --version
		[ "$status" -eq 0 ]
		[[ "$output" == "$tool "*"(libbpf "* ]]
	done
}

@test "load: what a killed loader left (a staging directory with pins) is removed by the next up" {
	bpfpin-load down >/dev/null
	mkdir -p "$BPFPIN_ROOT/_staging-proc/maps"
	bpftool map create "$BPFPIN_ROOT/_staging-proc/maps/stats" type array key 4 value 8 entries 1 name stats
	run bpfpin-load up proc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removing '$BPFPIN_ROOT/_staging-proc', left by an interrupted bpfpin-load"* ]]
	[ "$(root_entries)" = proc ]
	# readers never take a staging directory for a module
	run bpfpin-stat --format json
	[ "$status" -eq 0 ]
}

@test "load: a pinned meta with another schema exits 5 naming both versions" {
	bpfpin-load down >/dev/null
	bpfpin-load up proc >/dev/null
	# schema_version 99 (little-endian), the rest of meta unchanged
	hex=$(bpftool map lookup pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 -j |
		jq -r '.value | .[4:] | map(ltrimstr("0x")) | join(" ")')
	bpftool map update pinned "$BPFPIN_ROOT/proc/maps/meta" key 0 0 0 0 value hex 63 00 00 00 $hex
	run bpfpin-stat proc
	[ "$status" -eq 5 ]
	[[ "$output" == *"module 'proc': pinned schema 99"*"this reader knows 2"* ]]
	bpfpin-ls --format json 2>/dev/null | has_record '.type == "module" and .health == "broken"'
}

@test "load: a pin holding a map of another type exits 5 and changes nothing" {
	bpfpin-load down >/dev/null
	bpfpin-load up proc >/dev/null
	rm "$BPFPIN_ROOT/proc/maps/stats_b"
	bpftool map create "$BPFPIN_ROOT/proc/maps/stats_b" type hash key 4 value 8 entries 4 name stats_b
	run bpfpin-stat proc
	[ "$status" -eq 5 ]
	[[ "$output" == *"map '$BPFPIN_ROOT/proc/maps/stats_b': type hash, expected percpu_hash"* ]]
	run bpfpin-stat proc --flush
	[ "$status" -eq 5 ]
	[ "$(bpftool map show pinned "$BPFPIN_ROOT/proc/maps/stats_b" -j | jq -r .type)" = hash ]
	bpfpin-load down >/dev/null
}

@test "load: a user in group bpfpin reads stats without root; one outside gets exit 4" {
	ensure_bpfpin_group
	gid=$BPFPIN_GID
	bpfpin-load down >/dev/null
	bpfpin-load up proc >/dev/null
	[ "$(stat -c %g "$BPFPIN_ROOT/proc/maps/stats_a")" = "$gid" ]
	[ "$(stat -c %g:%a "$BPFPIN_ROOT")" = "$gid:750" ]
	# readers need to traverse the test's own mount point
	chmod 755 "$BPFFS"
	run setpriv --reuid 65534 --regid "$gid" --clear-groups bpfpin-stat proc --format json
	[ "$status" -eq 0 ]
	has_record '.type == "stats"' <<< "$output"
	run setpriv --reuid 65534 --regid "$gid" --clear-groups bpfpin-ls
	[ "$status" -eq 0 ]
	run setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-stat proc
	[ "$status" -eq 4 ]
	[[ "$output" == *"Permission denied"*"group 'bpfpin'"* ]]
	run setpriv --reuid 65534 --regid 65534 --clear-groups bpfpin-load up proc
	[ "$status" -eq 4 ]
}

@test "load: an optional hook that cannot attach leaves the module degraded, and says where" {
	bpfpin-load down >/dev/null
	run env BPFPIN_NO_HOOK=task_rename bpfpin-load up proc
	[ "$status" -eq 0 ]
	[[ "$output" == *"proc: loaded, degraded (sched_process_exec=tp_btf"* ]]
	[[ "$output" == *"module 'proc': degraded: rename_btf: disabled by BPFPIN_NO_HOOK"* ]]
	[[ "$output" != *"task_rename=tp_btf"* ]]
	row=$(bpfpin-ls --format json | jq -c 'select(.type == "module")')
	[ "$(jq -r .health <<< "$row")" = degraded ]
	[ "$(jq -r .detail <<< "$row")" = "hook task_rename not attached" ]
	[ "$(jq .programs <<< "$row")" -eq 4 ]
	# the other hooks still count; the missing one does not
	new_cgroup degraded
	in_cgroup "$CG" sh -c '/bin/true; printf x > /proc/self/comm; exit 0'
	[ "$(stat_value "$CG_REL" true execs)" = 1 ]
	[ "$(stat_value "$CG_REL" sh renames)" = 0 ]
	run env BPFPIN_NO_HOOK=task_rename bpfpin-load check --format json
	has_record '.check == "module proc" and .ok == "yes" and (.detail | contains("task_rename=none"))' <<< "$output"
	bpfpin-load down >/dev/null
}

@test "load: a required hook that cannot attach refuses the module, names the hook, and pins nothing" {
	bpfpin-load down >/dev/null
	run env BPFPIN_NO_HOOK=sched_process_exec bpfpin-load up proc
	[ "$status" -eq 1 ]
	[[ "$output" == *"module 'proc': cannot load on this kernel: exec_btf: disabled by BPFPIN_NO_HOOK"*"(required hook 'sched_process_exec')"* ]]
	[ -z "$(root_entries)" ]
	run env BPFPIN_NO_HOOK=sched_process_exec bpfpin-load check --format json
	has_record '.check == "module proc" and .ok == "no"' <<< "$output"
}

@test "load: down names what it does not know under the root and leaves it alone" {
	bpfpin-load up proc >/dev/null
	mkdir "$BPFPIN_ROOT/futuremodule"
	run bpfpin-load down
	[ "$status" -eq 0 ]
	[[ "$output" == *"'$BPFPIN_ROOT/futuremodule' is not a module of this build: left alone"* ]]
	grep -qx "proc: unloaded" <<< "$output"
	[ "$(root_entries)" = futuremodule ]
	rmdir "$BPFPIN_ROOT/futuremodule"
}
