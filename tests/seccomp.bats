#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# seccomp.bats: a filter that traps, kills, fails, traces or logs getppid, called once: one denial with its name and action

load helpers

setup_file() {
	bpfpin_setup_file
	bpfpin-load up seccomp >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module seccomp
}

teardown() {
	restore_variants
	cleanup_cgroups
}

denials() {
	bpfpin-stat seccomp --format json |
		jq -r --arg cg "$CG_REL" --arg a "$1" \
			'select(.type == "stats" and .cgroup == $cg and .syscall == "getppid" and .action == $a) | .denials'
}

@test "seccomp: a trapped getppid is one denial, action trap, with the filter's data" {
	new_cgroup trap
	run in_cgroup "$CG" "$BUILD/tests/seccomp-deny" trap
	[ "$status" -eq 0 ]
	run bpfpin-events seccomp --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.type == "denial" and .cgroup == $cg)' <<< "$output")
	[ "$(wc -l <<< "$ev")" -eq 1 ]
	[ "$(jq -r .syscall <<< "$ev")" = getppid ]
	[ "$(jq -r .action <<< "$ev")" = trap ]
	[ "$(jq -r .comm <<< "$ev")" = seccomp-deny ]
	[ "$(jq .data <<< "$ev")" -eq 42 ]
	[ "$(jq .arch <<< "$ev")" -eq $((0xc000003e)) ]	# AUDIT_ARCH_X86_64
	[ "$(denials trap)" = 1 ]
	[ -z "$(denials kill)" ]
}

@test "seccomp: a killed getppid is one denial, action kill; the process dies by SIGSYS" {
	new_cgroup kill
	run in_cgroup "$CG" "$BUILD/tests/seccomp-deny" kill
	[ "$status" -eq $((128 + 31)) ]
	run bpfpin-events seccomp --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.type == "denial" and .cgroup == $cg)' <<< "$output")
	[ "$(wc -l <<< "$ev")" -eq 1 ]
	[ "$(jq -r .syscall <<< "$ev")" = getppid ]
	[ "$(jq -r .action <<< "$ev")" = kill ]
	[ "$(denials kill)" = 1 ]
	[ -z "$(denials trap)" ]
	run bpfpin-stat seccomp --format prom
	grep -qx "bpfpin_seccomp_denials_total{cgroup=\"$CG_REL\",container=\"\",syscall=\"getppid\",action=\"kill\"} 1" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
}

@test "seccomp: other signals are not denials" {
	new_cgroup other
	in_cgroup "$CG" sh -c 'kill -USR1 $$' || true
	in_cgroup "$CG" sh -c 'kill -SYS $$' || true
	[ -z "$(bpfpin-stat seccomp --format json | jq -r --arg cg "$CG_REL" 'select(.type == "stats" and .cgroup == $cg) | .denials')" ]
}

@test "seccomp: bpfpin-load check says which actions are visible on this kernel" {
	run bpfpin-load check --format json
	[ "$status" -eq 0 ]
	detail=$(jq -r 'select(.check == "module seccomp") | .detail' <<< "$output")
	fentry=$(jq -r 'select(.check == "fentry") | .ok' <<< "$output")
	kprobes=$(jq -r 'select(.check == "kprobes") | .ok' <<< "$output")
	[[ "$detail" == "signal_generate=tp_btf __seccomp_filter="* ]]
	# fentry preferred, then a kprobe; neither here on 6.18 (fentry refused)
	if [ "$fentry" = yes ]; then
		[[ "$detail" == *" __seccomp_filter=fentry; "* ]]
	elif [ "$kprobes" = yes ]; then
		[[ "$detail" == *" __seccomp_filter=kprobe; "* ]]
	else
		[[ "$detail" == *" __seccomp_filter=none [fentry: "*"; kprobe: this kernel has no kprobes]; "* ]]
	fi
	[[ "$detail" == *"; sees kill and trap actions"*"errno, trace, log and user-notify actions raise no signal: they are seen only where hook __seccomp_filter loads"* ]]
}

# run_action ACTION: seccomp-deny ACTION in a new cgroup; $ev: its one denial event
run_action() {
	new_cgroup "$1"
	run in_cgroup "$CG" "$BUILD/tests/seccomp-deny" "$1"
	[ "$status" -eq 0 ]
	run bpfpin-events seccomp --format json --duration 1
	[ "$status" -eq 0 ]
	ev=$(jq -c --arg cg "$CG_REL" 'select(.type == "denial" and .cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	[ "$(wc -l <<< "$ev")" -eq 1 ]
	[ "$(jq -r .syscall <<< "$ev")" = getppid ]
	[ "$(jq -r .action <<< "$ev")" = "$1" ]
	[ "$(jq -r .comm <<< "$ev")" = seccomp-deny ]
	[ "$(jq .arch <<< "$ev")" -eq $((0xc000003e)) ]	# AUDIT_ARCH_X86_64
}

@test "seccomp: getppid(7) failed with errno 42 by the filter is one denial, action errno, data 42" {
	require_hook seccomp __seccomp_filter "fentry or kprobe on __seccomp_filter"
	run_action errno
	[ "$(jq .data <<< "$ev")" -eq 42 ]
	# getppid(0), allowed by the same filter, is not counted
	[ "$(denials errno)" = 1 ]
	[ -z "$(denials trap)" ]
	[ -z "$(denials kill)" ]
	run bpfpin-stat seccomp --format prom
	grep -qx "bpfpin_seccomp_denials_total{cgroup=\"$CG_REL\",container=\"\",syscall=\"getppid\",action=\"errno\"} 1" <<< "$output"
}

@test "seccomp: getppid(7) logged by the filter (and run) is one denial, action log" {
	require_hook seccomp __seccomp_filter "fentry or kprobe on __seccomp_filter"
	run_action log
	[ "$(jq .data <<< "$ev")" -eq 0 ]
	[ "$(denials log)" = 1 ]
	[ -z "$(denials errno)" ]
}

@test "seccomp: getppid(7) traced by the filter with no tracer (ENOSYS) is one denial, action trace, data 5" {
	require_hook seccomp __seccomp_filter "fentry or kprobe on __seccomp_filter"
	run_action trace
	[ "$(jq .data <<< "$ev")" -eq 5 ]
	[ "$(denials trace)" = 1 ]
}

@test "seccomp: hook __seccomp_filter on its kprobe (fentry passed over): errno 42, log and trace, one denial each" {
	use_variant seccomp __seccomp_filter kprobe verdict_fentry
	run_action errno
	[ "$(jq .data <<< "$ev")" -eq 42 ]
	[ "$(denials errno)" = 1 ]
	run_action log
	[ "$(denials log)" = 1 ]
	run_action trace
	[ "$(jq .data <<< "$ev")" -eq 5 ]
	[ "$(denials trace)" = 1 ]
}
