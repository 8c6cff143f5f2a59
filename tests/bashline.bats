#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# bashline.bats: interactive shells under a pty read known lines; exactly those lines come out, in order, with pid, uid, tty

load helpers

setup_file() {
	bpfpin_setup_file
	ensure_bpfpin_group
	bpfpin-load up bashline > "$BATS_FILE_TMPDIR/up"
	# a name of this run's own: a run from another worktree does not collide
	BL_USER=bpfpin-bl$$
	export BL_USER
	make_user "$BL_USER"
	# where the shells leave their pid, writable by the test user
	SHARE=$(mktemp -d /tmp/bpfpin-bashline.XXXXXX)
	chmod 777 "$SHARE"
	export SHARE
}

teardown_file() {
	# unset if setup_file failed early: then "/" would match every process
	if [ -n "${SHARE:-}" ]; then
		pkill -9 -f "$SHARE/" 2>/dev/null || true
		rm -rf "$SHARE"
	fi
	bpfpin_teardown_file
}

setup() {
	require_module bashline
}

teardown() {
	cleanup_cgroups
}

# The lines the shells read: the second one leaves the shell's pid (no tab:
# at a prompt, that is completion).
lines() {
	printf '%s\n' 'echo first line > /dev/null' "echo \$\$ > $SHARE/pid-$1" \
		"printf '%s\n' 'third:  two spaces, a \"quote\" and é'"
}

# Run shell command $2 as user $1 under a pty (script), in cgroup $CG,
# reading lines($3) as typed at its prompt; it exits at their end (EOF).
typed() {
	lines "$3" | in_cgroup "$CG" script -qec \
		"setpriv --reuid $1 --regid $(id -g "$1") --init-groups $2" /dev/null > /dev/null
}

# The line events of cgroup $CG_REL still in the ring, as JSON.
line_events() {
	bpfpin-events bashline --format json --duration 0.5 |
		jq -c --arg cg "$CG_REL" 'select(.type == "line" and .cgroup == $cg)'
}

@test "bashline: up and check name each shell binary or library attached, with its symbol" {
	bash=$(readlink -f "$(command -v bash)")
	cat "$BATS_FILE_TMPDIR/up" >&3
	grep -Eq "^bashline readline: (/usr)?/bin/bash \(PATH\): readline attached$" \
		"$BATS_FILE_TMPDIR/up"
	[ -e "$BPFPIN_ROOT/bashline/links/readline_ret" ]
	[ -e "$BPFPIN_ROOT/bashline/progs/readline_ret" ]
	run bpfpin-load check --format json
	[ "$status" -eq 0 ]
	row=$(jq -c 'select(.check == "hook bashline.readline")' <<< "$output")
	echo "$row" >&3
	[ "$(jq -r .ok <<< "$row")" = yes ]
	jq -r .detail <<< "$row" | grep -Eq "(/usr)?/bin/bash \(PATH\): readline"
	# zsh has no readline: skipped, and said so
	if command -v zsh >/dev/null; then
		jq -r .detail <<< "$row" | grep -q "zsh (PATH): skipped: none of its symbols"
	fi
	[ -n "$bash" ]
}

@test "bashline: an interactive bash under a pty in a fresh cgroup: exactly its three lines, in order, with pid, uid and tty" {
	new_cgroup bash
	uid=$(id -u "$BL_USER")
	typed "$BL_USER" "bash --norc --noprofile -i" bash
	pid=$(cat "$SHARE/pid-bash")
	events=$(line_events)
	echo "$events" >&3
	[ "$(wc -l <<< "$events")" -eq 3 ]
	[ "$(jq -r .data <<< "$events")" = "$(lines bash)" ]
	[ "$(jq -s 'map(.pid) | unique' <<< "$events")" = "[
  $pid
]" ]
	[ "$(jq -s "map(select(.uid == $uid and .comm == \"bash\")) | length" <<< "$events")" -eq 3 ]
	[ "$(jq -s 'map(select(.tty | test("^pts[0-9]+$"))) | length' <<< "$events")" -eq 3 ]
	[ "$(jq -s 'map(select(.len == .total and .truncated == 0)) | length' <<< "$events")" -eq 3 ]
	# and counted: three lines of that cgroup, uid and shell, with their bytes
	bytes=$(lines bash | tr -d '\n' | wc -c)
	stats=$(bpfpin-stat bashline --format json |
		jq -c --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg)')
	echo "$stats" >&3
	[ "$(jq -r '"\(.uid) \(.shell) \(.lines) \(.bytes) \(.truncated_bytes)"' <<< "$stats")" = \
	  "$uid bash 3 $bytes 0" ]
}

@test "bashline: zsh's line editor: the same three lines, without zsh's newline" {
	command -v zsh	# scripts/install-deps installs it
	new_cgroup zsh
	typed "$BL_USER" "zsh -f -i" zsh
	pid=$(cat "$SHARE/pid-zsh")
	events=$(line_events)
	echo "$events" >&3
	[ "$(wc -l <<< "$events")" -eq 3 ]
	[ "$(jq -r .data <<< "$events")" = "$(lines zsh)" ]
	[ "$(jq -s "map(select(.pid == $pid and .comm == \"zsh\")) | length" <<< "$events")" -eq 3 ]
}

@test "bashline: a line longer than capture_bytes: its first bytes, the rest counted in truncated_bytes" {
	bpfpin-load reload bashline --set bashline.capture_bytes=8 > /dev/null
	new_cgroup long
	long="echo $(printf 'x%.0s' $(seq 600)) > /dev/null"
	printf '%s\n' "$long" | in_cgroup "$CG" script -qec "bash --norc --noprofile -i" /dev/null > /dev/null
	bpfpin-load reload bashline > /dev/null
	events=$(line_events)
	echo "$events" >&3
	[ "$(wc -l <<< "$events")" -eq 1 ]
	[ "$(jq -r '"\(.data)|\(.len)|\(.total)|\(.truncated)"' <<< "$events")" = \
	  "echo xxx|8|${#long}|$((${#long} - 8))" ]
	[ "$(bpfpin-stat bashline --format json | jq --arg cg "$CG_REL" \
	     'select(.type == "stats" and .cgroup == $cg) | .truncated_bytes')" -eq $((${#long} - 8)) ]
}

@test "bashline: a zsh line longer than capture_bytes: truncated_bytes without zsh's newline" {
	command -v zsh
	bpfpin-load reload bashline --set bashline.capture_bytes=8 > /dev/null
	new_cgroup zlong
	zlong="echo $(printf 'z%.0s' $(seq 600)) > /dev/null"
	printf '%s\n' "$zlong" | in_cgroup "$CG" script -qec "zsh -f -i" /dev/null > /dev/null
	bpfpin-load reload bashline > /dev/null
	events=$(line_events | jq -c 'select(.len == 8)')
	echo "$events" >&3
	[ "$(jq -r '"\(.comm) \(.data) \(.total) \(.truncated)"' <<< "$events")" = \
	  "zsh echo zzz ${#zlong} $((${#zlong} - 8))" ]
	stats=$(bpfpin-stat bashline --format json |
		jq -r --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg) |
			"\(.shell) \(.lines) \(.bytes) \(.truncated_bytes)"')
	echo "$stats" >&3
	[ "$stats" = "zsh 1 ${#zlong} $((${#zlong} - 8))" ]
}

@test "bashline: interactive_only = 1 drops lines of a shell without a controlling terminal" {
	new_cgroup notty
	# a pty for stdin, but no controlling terminal: readline still reads it
	notty() {
		in_cgroup "$CG" setsid -w python3 -c '
import os, subprocess, sys, time
m, s = os.openpty()
p = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=s, stdout=s, stderr=s)
os.close(s)
os.write(m, sys.argv[1].encode() + b"\nexit\n")
while p.poll() is None:
    try:
        os.read(m, 4096)
    except OSError:
        break
p.wait()' "$1"
	}
	notty "echo counted"
	bpfpin-load reload bashline --set bashline.interactive_only=1 > /dev/null
	notty "echo not counted"
	bpfpin-load reload bashline > /dev/null
	events=$(line_events)
	echo "$events" >&3
	[ "$(jq -r .data <<< "$events")" = "echo counted
exit" ]
	[ "$(jq -s 'map(select(.tty == "")) | length' <<< "$events")" -eq 2 ]
}

@test "bashline: a bash started after up is attached by reload (discovery through /proc/PID/maps)" {
	mkdir "$SHARE/opt"
	cp "$(readlink -f "$(command -v bash)")" "$SHARE/opt/bash"
	"$SHARE/opt/bash" -c 'sleep 60; :' &
	holder=$!
	run bpfpin-load check --format json
	jq -r 'select(.check == "hook bashline.readline") | .detail' <<< "$output" |
		grep -q "/proc/$holder/root$SHARE/opt/bash (pid $holder): readline"
	run bpfpin-load reload bashline
	echo "$output" >&3
	[ "$status" -eq 0 ]
	grep -q "^bashline readline: /proc/$holder/root$SHARE/opt/bash (pid $holder): readline attached$" \
		<<< "$output"
	kill "$holder"
	new_cgroup copy
	typed "$BL_USER" "$SHARE/opt/bash --norc --noprofile -i" copy
	events=$(line_events)
	echo "$events" >&3
	[ "$(jq -r .data <<< "$events")" = "$(lines copy)" ]
	[ "$(jq -s "map(select(.pid == $(cat "$SHARE/pid-copy"))) | length" <<< "$events")" -eq 3 ]
}

@test "bashline: group bpfpin reads the stats; the lines, its events, stay root's (exit 4)" {
	ensure_bpfpin_group	# made before 'up' in setup_file: this sets BPFPIN_GID
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/events")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/scratch")" = 600 ]
	# the stack pointers of shells waiting at a prompt (root's too): not the group's
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/zle_reads")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/stats_a")" = 640 ]
	[ "$(stat -c %G "$BPFPIN_ROOT/bashline/maps/stats_a")" = bpfpin ]
	chmod 755 "$BPFFS"
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-stat bashline --format json
	echo "$output" >&3
	[ "$status" -eq 0 ]
	run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups bpfpin-events bashline --duration 0.1
	echo "$output" >&3
	[ "$status" -eq 4 ]
	[ "$(wc -l <<< "$output")" -eq 1 ]
	grep -q "bashline/locks/events.*needs root" <<< "$output"
	# bpfpin-ls and bpfpin-stat, as a group member, print no line's content
	new_cgroup private
	printf '%s\n' "echo secret-$$-line" | in_cgroup "$CG" script -qec "bash --norc --noprofile -i" /dev/null > /dev/null
	for tool in "bpfpin-ls" "bpfpin-ls -v" "bpfpin-ls --format json" "bpfpin-stat bashline" \
		    "bpfpin-stat bashline --format json" "bpfpin-stat bashline --format prom"; do
		run setpriv --reuid 65534 --regid "$BPFPIN_GID" --clear-groups $tool
		echo "$tool: $status" >&3
		[ "$status" -eq 0 ]
		[ "$(grep -c "secret-$$" <<< "$output")" -eq 0 ]
	done
	bpfpin-events bashline --duration 0.5 | grep -q "secret-$$-line"	# root does see it
	# and after a reload, the ring and the scratch are root's alone again
	bpfpin-load reload bashline > /dev/null
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/events")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/scratch")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/bashline/maps/zle_reads")" = 600 ]
	[ "$(stat -c %U "$BPFPIN_ROOT/bashline/maps/scratch")" = root ]
	[ "$(find "$BPFPIN_ROOT/bashline" -perm /044 -name events -o -perm /044 -name scratch)" = "" ]
}

@test "bashline: no shell with readline among the targets: exit 1, one line naming hook and setting, nothing pinned" {
	bpfpin-load down bashline > /dev/null
	run bpfpin-load up bashline --set bashline.shells=/usr/bin/true,/nonexistent
	echo "$output" >&3
	[ "$status" -eq 1 ]
	[ "$(wc -l <<< "$output")" -eq 1 ]
	[ "$output" = "bpfpin-load: module 'bashline': hook 'readline': no binary or library with readline found (bashline.shells = /usr/bin/true,/nonexistent; see 'bpfpin-load check'); nothing pinned" ]
	[ -z "$(root_entries)" ]
	run bpfpin-load up bashline --set bashline.shells=bin/bash
	[ "$status" -eq 2 ]
	[ -z "$(root_entries)" ]
	bpfpin-load up bashline > /dev/null
}
