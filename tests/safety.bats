#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# safety.bats: a bpffs is often mode 1777; root's loader never follows a symlink under the pin root and never acts in what another user made

load helpers

setup_file() {
	bpfpin_setup_file
	# tracefs is mounted once here, so later refusals print one line only
	bpfpin-load up proc >/dev/null
	bpfpin-load down proc >/dev/null
	make_user "bpfpin-u$$"
	make_user "bpfpin-v$$"
	export USER_A="bpfpin-u$$" USER_B="bpfpin-v$$"
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module proc
	CANARY=$(mktemp -d /tmp/bpfpin-canary.XXXXXX)
	touch "$CANARY/one" "$CANARY/two"
	chmod 755 "$CANARY"
}

teardown() {
	cleanup_cgroups
	rm -rf "$CANARY"
	bpfpin-load down >/dev/null 2>&1 || true
}

# The canary directory outside the root is as setup() left it.
canary_intact() {
	[ -f "$CANARY/one" ] && [ -f "$CANARY/two" ] &&
		[ "$(stat -c '%U %a' "$CANARY")" = "root 755" ]
}

# refused STATUS WORDS: exit STATUS, one line holding WORDS
refused() {
	if [ "$status" -ne "$1" ] || [[ "$output" != *"$2"* ]] ||
		[ "$(wc -l <<< "$output")" -ne 1 ]; then
		echo "status $status (want $1), output: $output" >&2
		return 1
	fi
}

@test "symlinks: a user's _trash- directory pointing at root's files: up refuses (exit 5), nothing outside the root is touched" {
	root="$BPFFS/user-root"
	as_user "$USER_A" mkdir "$root" "$root/_trash-x"
	as_user "$USER_A" ln -s "$CANARY" "$root/_trash-x/maps"
	run bpfpin-load up proc --pin-root "$root"
	refused 5 "'$root' is not owned by root"
	canary_intact
	[ ! -e "$root/proc" ]
	[ "$(stat -c %U "$root")" = "$USER_A" ]
	run bpfpin-load down --pin-root "$root"
	refused 5 "'$root' is not owned by root"
	canary_intact
	rm -rf "$root"
}

@test "symlinks: a user's pin root that is a symlink to another user's directory: up refuses (exit 5) and chowns nothing" {
	victim=$(mktemp -d /tmp/bpfpin-victim.XXXXXX)
	chown "$USER_B" "$victim"
	chmod 700 "$victim"
	as_user "$USER_A" ln -s "$victim" "$BPFFS/link-root"
	run bpfpin-load up proc --pin-root "$BPFFS/link-root"
	refused 5 "'$BPFFS/link-root' is a symbolic link"
	[ "$(stat -c '%U %a' "$victim")" = "$USER_B 700" ]
	[ -z "$(ls -A "$victim")" ]
	rm "$BPFFS/link-root"
	rmdir "$victim"
}

@test "symlinks: <root>/proc/links pointing at a directory: down and reload refuse (exit 5), the files there stay, the module keeps counting" {
	bpfpin-load up proc >/dev/null
	links="$BPFPIN_ROOT/proc/links"
	mv "$links" "$BPFPIN_ROOT/proc/links-real"
	ln -s "$CANARY" "$links"
	run bpfpin-load down proc
	refused 5 "'$links' is a symbolic link"
	canary_intact
	run bpfpin-load reload proc
	refused 5 "'$links' is a symbolic link"
	canary_intact
	# the programs stayed attached through both refusals
	new_cgroup links
	in_cgroup "$CG" /bin/true
	[ "$(stat_value "$CG_REL" true execs)" = 1 ]
	rm "$links"
	mv "$BPFPIN_ROOT/proc/links-real" "$links"
	bpfpin-load down proc >/dev/null
	canary_intact
}

@test "symlinks: a pin that is a symlink under maps/: reload refuses (exit 5) rather than reuse what it points to" {
	bpfpin-load up proc >/dev/null
	maps="$BPFPIN_ROOT/proc/maps"
	mv "$maps/stats_a" "$maps/stats_x"
	ln -s "$maps/stats_b" "$maps/stats_a"
	run bpfpin-load reload proc
	refused 5 "'$maps/stats_a' is a symbolic link"
	rm "$maps/stats_a"
	mv "$maps/stats_x" "$maps/stats_a"
	run bpfpin-load reload proc
	[ "$status" -eq 0 ]
}

@test "symlinks: stale stages: one that is a symlink is refused (exit 5); a symlink inside one is removed, not followed" {
	ln -s "$CANARY" "$BPFPIN_ROOT/_staging-proc" 2>/dev/null ||
		{ mkdir -p "$BPFPIN_ROOT" && ln -s "$CANARY" "$BPFPIN_ROOT/_staging-proc"; }
	run bpfpin-load up proc
	refused 5 "'$BPFPIN_ROOT/_staging-proc' is a symbolic link"
	canary_intact
	rm "$BPFPIN_ROOT/_staging-proc"
	mkdir "$BPFPIN_ROOT/_trash-proc"
	ln -s "$CANARY" "$BPFPIN_ROOT/_trash-proc/maps"
	ln -s "$CANARY/one" "$BPFPIN_ROOT/_trash-proc/pin"
	run bpfpin-load up proc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removing '$BPFPIN_ROOT/_trash-proc'"* ]]
	[ ! -e "$BPFPIN_ROOT/_trash-proc" ]
	canary_intact
}

@test "bpffs: the loader mounts its own bpffs 1755, so nobody else can plant entries beside the root" {
	dir=$(mktemp -d /tmp/bpfpin-mnt.XXXXXX)
	run bpfpin-load up proc --pin-root "$dir/bpfpin"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mounted bpffs at $dir"* ]]
	[ "$(stat -f -c %T "$dir")" = bpf_fs ]
	[ "$(stat -c %a "$dir")" = 1755 ]
	[ "$(stat -c '%U %a' "$dir/bpfpin")" = "root 750" ]
	run as_user "$USER_A" mkdir "$dir/planted"
	[ "$status" -ne 0 ]
	bpfpin-load down --pin-root "$dir/bpfpin" >/dev/null
	umount "$dir"
	rmdir "$dir"
}

@test "locks: a member of group bpfpin cannot block bpfpin-load; root's holder makes --wait end with exit 6 naming it; SIGTERM ends the wait" {
	ensure_bpfpin_group
	make_user "bpfpin-w$$" bpfpin
	chmod 755 "$BPFFS"
	bpfpin-load up proc >/dev/null
	[ "$(stat -c '%a %U' "$BPFPIN_ROOT/_lock")" = "700 root" ]
	# what a member can open, it may flock: none of it is a lock of ours
	as_user "bpfpin-w$$" flock "$BPFPIN_ROOT" sleep 30 &
	as_user "bpfpin-w$$" flock "$BPFPIN_ROOT/proc" sleep 30 &
	locked "$BPFPIN_ROOT"
	locked "$BPFPIN_ROOT/proc"
	run as_user "bpfpin-w$$" flock -n "$BPFPIN_ROOT/_lock" true
	[ "$status" -ne 0 ]
	run timeout 5 bpfpin-load reload proc --wait 1
	[ "$status" -eq 0 ]
	# root holds the loader's lock: --wait 1 gives up after about a second
	flock "$BPFPIN_ROOT/_lock" sleep 30 &
	holder=$!
	locked "$BPFPIN_ROOT/_lock" "$holder"
	start=$(now_ms)
	run bpfpin-load down proc --wait 1
	elapsed=$(($(now_ms) - start))
	refused 6 "bpfpin-load on '$BPFPIN_ROOT': pid"
	[[ "$output" == *"holds lock '$BPFPIN_ROOT/_lock' (--wait SECONDS waits longer)"* ]]
	[ "$elapsed" -ge 900 ]
	[ "$elapsed" -lt 3000 ]
	[ -d "$BPFPIN_ROOT/proc" ]
	bpfpin-load up tcpqueue --wait 30 2> "$BATS_TEST_TMPDIR/err" &
	waiter=$!
	catches "$waiter" 15
	kill -TERM "$waiter"
	start=$(now_ms)
	rc=0
	wait "$waiter" || rc=$?
	[ $(($(now_ms) - start)) -lt 1000 ]
	[ "$rc" -ne 0 ]
	grep -q "interrupted while waiting for lock" "$BATS_TEST_TMPDIR/err"
	[ ! -e "$BPFPIN_ROOT/tcpqueue" ]
	pkill -P "$holder" sleep 2>/dev/null || true
	kill "$holder" 2>/dev/null || true
	pkill -u "bpfpin-w$$" 2>/dev/null || true
	wait 2>/dev/null || true
	run bpfpin-load down proc --wait 5
	[ "$status" -eq 0 ]
}
