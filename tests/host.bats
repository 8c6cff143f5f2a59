#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# host.bats: systemd units, man pages against --help, install, completion, and the README's commands as written

load helpers

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup_file() {
	bpfpin_setup_file
	ensure_bpfpin_group
	bpfpin-load up proc >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

# README section $1: the lines inside its fenced blocks, comments left out
readme_commands() {
	awk -v h="## $1" '
		$0 == h { on = 1; next }
		on && /^## / { exit }
		on && /^```/ { fence = !fence; next }
		on && fence && !/^#/ && NF { print }
	' "$REPO/README.md"
}

# the README's paths, moved into this test's sandbox
sandboxed() {
	sed -e "s|/sys/fs/bpf/bpfpin|$BPFPIN_ROOT|g" \
	    -e "s|/var/log/|$BATS_TEST_TMPDIR/|g" \
	    -e "s|/var/lib/prometheus/node-exporter/|$BATS_TEST_TMPDIR/|g"
}

@test "host: the systemd units pass systemd-analyze verify" {
	units="$BATS_TEST_TMPDIR/units"
	mkdir "$units"
	for u in "$REPO"/systemd/*.in; do
		sed -e "s|@SBINDIR@|$BUILD|g" -e "s|@BINDIR@|$BUILD|g" -e 's|@SYSCONFDIR@|/etc|g' \
			"$u" > "$units/$(basename "$u" .in)"
	done
	cp "$REPO"/systemd/*.timer "$units/"
	run systemd-analyze verify --man=no "$units"/*.service "$units"/*.timer
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -qx 'Type=oneshot' "$units/bpfpin.service"
	grep -qx 'RemainAfterExit=yes' "$units/bpfpin.service"
	grep -qx "ExecReload=$BUILD/bpfpin-load reload --config /etc/bpfpin/bpfpin.conf" "$units/bpfpin.service"
	grep -qx 'User=bpfpin' "$units/bpfpin-textfile.service"
	grep -qx 'OnUnitActiveSec=15s' "$units/bpfpin-textfile.timer"
}

@test "host: every flag of --help is in the man page and back, and the synopses agree" {
	for page in loader/bpfpin-load.8 readers/bpfpin-stat.1 readers/bpfpin-events.1 readers/bpfpin-ls.1 readers/bpfpin-top.1; do
		tool=$(basename "$page" | cut -d. -f1)
		scd="$REPO/$page.scd"
		help_flags=$("$tool" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
		man_flags=$(sed -n '/^# OPTIONS/,/^# EXIT/p' "$scd" | grep -o -- '--[a-z][a-z-]*' | sort -u)
		if [ "$help_flags" != "$man_flags" ]; then
			diff <(echo "$help_flags") <(echo "$man_flags") >&2
			false
		fi
		help_synopsis=$("$tool" --help | head -n 1 | sed 's/^usage: //')
		man_synopsis=$(sed -n '/^# SYNOPSIS/{n;n;p}' "$scd" | tr -d '*_')
		[ "$help_synopsis" = "$man_synopsis" ]
		# every exit code the tool documents is in its man page
		for code in $("$tool" --help | sed -n '/^exit codes/,$p' | grep -o '[0-9] [a-z]' | cut -c1); do
			grep -q "^\*$code\*\|; \*$code\*" "$scd"
		done
	done
	# the config file's keys are the ones bpfpin.conf(5) documents
	for key in pin_root profile modules; do
		grep -q "^#$key = " "$REPO/systemd/bpfpin.conf"
		grep -q "^\*$key\* = " "$REPO/loader/bpfpin.conf.5.scd"
	done
}

@test "host: make install puts binaries, units, sysusers, config, man pages and completion in place" {
	dest="$BATS_TEST_TMPDIR/dest"
	run make -C "$REPO" --no-print-directory BUILD="$BUILD" install DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ]
	for f in usr/sbin/bpfpin-load usr/bin/bpfpin-stat usr/bin/bpfpin-events usr/bin/bpfpin-ls \
		usr/lib/systemd/system/bpfpin.service usr/lib/systemd/system/bpfpin-textfile.service \
		usr/lib/systemd/system/bpfpin-textfile.timer usr/lib/sysusers.d/bpfpin.conf \
		etc/bpfpin/bpfpin.conf usr/share/man/man8/bpfpin-load.8 usr/share/man/man1/bpfpin-stat.1 \
		usr/share/man/man1/bpfpin-events.1 usr/share/man/man1/bpfpin-ls.1 \
		usr/share/man/man5/bpfpin.conf.5 usr/share/bash-completion/completions/bpfpin-load \
		usr/share/bash-completion/completions/bpfpin-stat; do
		[ -e "$dest/$f" ] || { echo "missing $f" >&2; false; }
	done
	grep -qx 'ExecStart=/usr/sbin/bpfpin-load up --config /etc/bpfpin/bpfpin.conf' \
		"$dest/usr/lib/systemd/system/bpfpin.service"
	# the installed loader works with no .o files beside it
	"$dest/usr/sbin/bpfpin-load" list | grep -q '^proc '
	# the default config file loads what up would load without it
	run "$dest/usr/sbin/bpfpin-load" up --config "$dest/etc/bpfpin/bpfpin.conf" --pin-root "$BPFPIN_ROOT"
	[ "$status" -eq 0 ]
	grep -q '^proc: already loaded' <<< "$output"
	# an edited config file survives a reinstall
	echo 'modules = proc' > "$dest/etc/bpfpin/bpfpin.conf"
	make -C "$REPO" --no-print-directory BUILD="$BUILD" install DESTDIR="$dest" PREFIX=/usr >/dev/null
	[ "$(cat "$dest/etc/bpfpin/bpfpin.conf")" = 'modules = proc' ]
	bpfpin-load down >/dev/null
	bpfpin-load up proc >/dev/null
}

@test "host: bash completion offers commands, modules, flags and values" {
	source "$REPO/scripts/bash-completion/bpfpin"
	complete_words() {
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_bpfpin
		echo "${COMPREPLY[*]}"
	}
	[ "$(complete_words bpfpin-load r)" = reload ]
	[ "$(complete_words bpfpin-load '')" = "up down reload check list filter" ]
	[ "$(complete_words bpfpin-load up '')" = "$(bpfpin-load list | awk 'NR > 1 && !NF { exit } NR > 1 { print $1 }' | tr '\n' ' ' | sed 's/ $//')" ]
	[ "$(complete_words bpfpin-load up --profile m)" = "minimal memory" ]
	[ "$(complete_words bpfpin-load filter pro)" = proc ]
	[ "$(complete_words bpfpin-load -v up pro)" = proc ]
	[ "$(complete_words bpfpin-load up --profile def)" = default ]
	[ "$(complete_words bpfpin-stat --fl)" = --flush ]
	[ "$(complete_words bpfpin-stat --format p)" = prom ]
	[ "$(complete_words bpfpin-top --format p)" = prom ]
	[ "$(complete_words bpfpin-events --format '')" = "text hex json pcapng" ]
	[ "$(complete_words bpfpin-stat --by c)" = "comm cgroup container" ]
	[ "$(complete_words bpfpin-events se)" = seccomp ]
	[ -z "$(complete_words bpfpin-load check '')" ]
}

@test "host: README 'Use with cron': the cron commands work as written" {
	readme_commands "Use with cron" | grep -q 'bpfpin-stat --flush'
	while read -r m h dom mon dow user command; do
		[ "$user" = root ]
		run bash -c "$(sandboxed <<< "$command")"
		[ "$status" -eq 0 ]
	done < <(readme_commands "Use with cron")
	jq -e -s 'map(select(.type == "stats")) | length > 0' "$BATS_TEST_TMPDIR/bpfpin-deltas.jsonl"
	jq -e -s 'map(select(.type == "stats" and has("container"))) | length > 0' "$BATS_TEST_TMPDIR/bpfpin-hourly.jsonl"
}

@test "host: README 'Use with Prometheus': the textfile commands work as written, as an unprivileged bpfpin reader" {
	ensure_bpfpin_group
	gid=$BPFPIN_GID
	readme_commands "Use with Prometheus" | grep -q 'promtool check metrics'
	while read -r line; do
		case $line in systemctl* | systemd-sysusers*) continue ;; esac
		run bash -c "$(sandboxed <<< "$line")"
		[ "$status" -eq 0 ]
	done < <(readme_commands "Use with Prometheus")
	grep -q '^bpfpin_proc_execs_total{' "$BATS_TEST_TMPDIR/bpfpin.prom"
	# the timer's command, as the bpfpin user would run it: no root needed,
	# in a directory that user owns (bats' own is root's, 0700 above it)
	chmod 755 "$BPFFS"
	out=$(mktemp -d /tmp/bpfpin-textfile.XXXXXX)
	chown 65534:"$gid" "$out"
	run setpriv --reuid 65534 --regid "$gid" --clear-groups \
		bpfpin-stat --format prom --output "$out/bpfpin.prom"
	ok=$status
	promtool check metrics < "$out/bpfpin.prom" && valid=0 || valid=1
	rm -rf "$out"
	[ "$ok" -eq 0 ]
	[ "$valid" -eq 0 ]
}

@test "host: README 'Inspect with bpftool': the commands work as written and show named fields" {
	/bin/true	# at least one exec in the stats
	[ "$(readme_commands "Inspect with bpftool" | wc -l)" -ge 4 ]
	while read -r line; do
		run bash -c "$(sandboxed <<< "$line")"
		[ "$status" -eq 0 ]
	done < <(readme_commands "Inspect with bpftool")
	# capture first: grep -q would close the pipe on bpftool (pipefail)
	dump=$(bpftool map dump pinned "$BPFPIN_ROOT/proc/maps/stats_a"
	       bpftool map dump pinned "$BPFPIN_ROOT/proc/maps/stats_b")
	grep -q '"execs": ' <<< "$dump"
	grep -q '"cgroup_id": ' <<< "$dump"
}
