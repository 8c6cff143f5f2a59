# SPDX-License-Identifier: GPL-2.0
# helpers.bash: a private bpffs per test file, test cgroups, and clean-up that runs when tests fail

BUILD=${BUILD:-$(cd "$BATS_TEST_DIRNAME/../build" && pwd)}
PATH=$BUILD:$PATH
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# Each file gets its own bpffs instance: never the host's /sys/fs/bpf/bpfpin.
bpfpin_setup_file() {
	[ "$(id -u)" = 0 ] || { echo "tests need root (tests/run re-runs with sudo)" >&2; return 1; }
	BPFFS=$(mktemp -d /tmp/bpfpin-test.XXXXXX)
	mount -t bpf bpf "$BPFFS"
	export BPFFS BPFPIN_ROOT="$BPFFS/bpfpin"
}

bpfpin_teardown_file() {
	cleanup_netns
	cleanup_cgroups
	cleanup_users
	bpfpin-load down >/dev/null 2>&1 || true
	# the group exists only if this file made it
	if [ -f "$BATS_FILE_TMPDIR/made_group" ]; then
		groupdel bpfpin
	fi
	if [ -n "${BPFFS:-}" ]; then
		umount "$BPFFS" 2>/dev/null || umount -l "$BPFFS"
		rmdir "$BPFFS"
	fi
}

# Group bpfpin, whose members read pins without root: made if missing (and
# removed by bpfpin_teardown_file). Before 'up': pins get the group at load.
ensure_bpfpin_group() {
	if ! getent group bpfpin >/dev/null; then
		groupadd --system bpfpin
		touch "$BATS_FILE_TMPDIR/made_group"
	fi
	BPFPIN_GID=$(getent group bpfpin | cut -d: -f3)
}

# 'bpfpin-load check --format json', run once (it loads every module into
# the kernel to be sure): per run where tests/run wrote it, else per file.
check_json() {
	local f=${BPFPIN_TEST_CHECK:-$BATS_FILE_TMPDIR/check.json}

	[ -s "$f" ] || bpfpin-load check --format json > "$f"
	cat "$f"
}

# Whether 'bpfpin-load check' says this kernel can load module $1: a
# setup_file loads it only then, and require_module skips each test.
can_load() {
	check_json | has_record ".check == \"module $1\" and .ok == \"yes\""
}

# Skip only when 'bpfpin-load check' says this kernel cannot run the module.
require_module() {
	local verdict
	verdict=$(check_json |
		jq -r --arg m "module $1" 'select(.check == $m) | "\(.ok) \(.detail)"')
	case "$verdict" in
	yes*) ;;
	*) skip "bpfpin-load check: module $1 cannot load here: ${verdict#* }" ;;
	esac
}

# Whether module $1's hook $2 loads here (a variant picked, not =none).
has_hook() {
	case " $(check_json | jq -r --arg m "module $1" 'select(.check == $m) | .detail')" in
	*" $2="none*) return 1 ;;
	*" $2="*) return 0 ;;
	esac
	return 1
}

# Skip unless module $1's optional hook $2 loads here ('bpfpin-load check'
# shows HOOK=none where it does not; a hook "not needed" here, its tracepoint
# seeing the same, passes); $3 says what the hook is, e.g.
# require_hook seccomp __seccomp_filter "fentry or kprobe on __seccomp_filter".
# tests/run does not count such a skip as a defect.
require_hook() {
	local detail
	detail=$(check_json | jq -r --arg m "module $1" 'select(.check == $m) | .detail')
	case " $detail" in
	*"[$2: not needed"* | *"; $2: not needed"*) ;;	# the kernel's tracepoint sees it
	*" $2="none*) skip "needs hook $2 ($3)" ;;
	*" $2="*) ;;
	*) echo "module $1 has no hook $2: $detail" >&2; return 1 ;;
	esac
}

# use_variant MODULE HOOK KIND PROGRAM...: reload MODULE with the variant
# programs PROGRAM... passed over (BPFPIN_NO_VARIANT), so that HOOK takes
# its KIND variant (a kprobe where fentry would win); skip ("needs hook")
# where this kernel cannot load that one. restore_variants, in teardown,
# reloads the module as it picks by itself. Both reload with the options
# in the array VARIANT_RELOAD_ARGS (the file's --config, say).
VARIANT_RELOAD_ARGS=()
use_variant() {
	local m=$1 hook=$2 kind=$3 off
	shift 3
	off=$(IFS=,; echo "$*")
	VARIANT_MODULE=$m
	run env BPFPIN_NO_VARIANT="$off" bpfpin-load reload "$m" "${VARIANT_RELOAD_ARGS[@]}"
	[ "$status" -eq 0 ]
	case "$output" in
	*[\ \(]"$hook=$kind"[\ \)]*) ;;
	*) skip "needs hook $hook ($kind variant)" ;;
	esac
}

restore_variants() {
	[ -z "${VARIANT_MODULE:-}" ] ||
		bpfpin-load reload "$VARIANT_MODULE" "${VARIANT_RELOAD_ARGS[@]}" >/dev/null
	VARIANT_MODULE=
}

# A fresh cgroup v2 group; its path relative to the hierarchy is in $CG_REL.
# new_cgroup NAME [CHILD]: CHILD is created inside, and becomes $CG.
new_cgroup() {
	CG="$CG2/bpfpin-test-$$-${BATS_TEST_NUMBER:-0}-$1"
	mkdir "$CG"
	echo "$CG" >> "$BATS_FILE_TMPDIR/cgroups"
	if [ -n "${2:-}" ]; then
		CG="$CG/$2"
		mkdir "$CG"
		echo "$CG" >> "$BATS_FILE_TMPDIR/cgroups"
	fi
	CG_REL=${CG#"$CG2"}
}

# Run a command inside cgroup $1.
in_cgroup() {
	local cg=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' in_cgroup "$cg" "$@"
}

cleanup_cgroups() {
	local cg pid i
	[ -f "$BATS_FILE_TMPDIR/cgroups" ] || return 0
	while read -r cg; do
		[ -d "$cg" ] || continue
		for i in 1 2 3 4 5 6 7 8 9 10; do
			pid=$(cat "$cg/cgroup.procs" 2>/dev/null)
			[ -z "$pid" ] && break
			kill -9 $pid 2>/dev/null
			sleep 0.1
		done
		rmdir "$cg" 2>/dev/null || true
	done < <(tac "$BATS_FILE_TMPDIR/cgroups")
	rm -f "$BATS_FILE_TMPDIR/cgroups"
}

# One stats value of module proc: stat_value CGROUP_REL COMM FIELD
stat_value() {
	bpfpin-stat proc --format json |
		jq -r --arg cg "$1" --arg comm "$2" \
			"select(.type == \"stats\" and .cgroup == \$cg and .comm == \$comm) | .$3"
}

# locked PATH [PID]: wait (5 s at most) until a flock on PATH is held (by PID)
locked() {
	local i ino
	for i in $(seq 100); do
		ino=$(stat -c %i "$1" 2>/dev/null) &&
			awk -v pid="${2:-}" -v ino="$ino" '$2 == "FLOCK" && (pid == "" || $5 == pid) &&
				$6 ~ (":" ino "$") { held = 1 } END { exit !held }' /proc/locks &&
			return 0
		sleep 0.05
	done
	echo "no flock held on $1${2:+ by pid $2}" >&2
	return 1
}

# ring_reader PID MODULE: wait until PID holds MODULE's events lock;
# bpfpin-events takes it with its stop signals already caught
ring_reader() {
	locked "$BPFPIN_ROOT/$2/locks/events" "$1"
}

# catches PID SIGNUM: wait (5 s at most) until PID handles signal SIGNUM
# (a tool waiting for a lock catches SIGTERM while it waits)
catches() {
	local i mask
	for i in $(seq 100); do
		mask=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -n "$mask" ] && [ $(((16#$mask >> ($2 - 1)) & 1)) -eq 1 ] && return 0
		sleep 0.05
	done
	echo "pid $1 does not catch signal $2" >&2
	return 1
}

# now_ms: milliseconds since boot (10 ms steps), for durations: unlike the
# wall clock, an NTP step on a fresh machine does not move it
now_ms() {
	local up
	read -r up _ < /proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# not CMD...: fails when CMD succeeds. A bare "! CMD" fails a test only as
# its last command (set -e passes over a negated command), so never use it.
not() {
	! "$@"
}

# has_record FILTER: some JSON line on stdin matches FILTER (jq 1.6's -e
# judges only the last input, so slurp instead)
has_record() {
	jq -s -e "map(select($1)) | length > 0" >/dev/null
}

# The ids of the links pinned for module $1, sorted.
pinned_link_ids() {
	local l
	for l in "$BPFPIN_ROOT/$1"/links/*; do
		[ -e "$l" ] && bpftool link show pinned "$l" -j | jq .id
	done | sort -n | tr '\n' ' '
}

# Note the ids of the maps pinned under $BPFPIN_ROOT now (staging included),
# adding to those noted before in this file. A program that uses one is
# ours whatever its generation: a reload keeps the maps, and the maps of a
# --reset or of a killed loader were noted while they were pinned.
note_our_maps() {
	local f="$BATS_FILE_TMPDIR/our_maps" p
	for p in "$BPFPIN_ROOT"/*/maps/*; do
		[ -e "$p" ] && bpftool map show pinned "$p" -j | jq .id
	done >> "$f"
	sort -un -o "$f" "$f"
}

# The ids of the links attached on the machine whose program uses a map
# noted by note_our_maps, sorted: what other BPF users attach is not ours.
our_link_ids() {
	jq -rn --slurpfile maps "$BATS_FILE_TMPDIR/our_maps" \
		--slurpfile progs <(bpftool prog show -j) \
		--slurpfile links <(bpftool link show -j) '
		[$progs[0][] | select(any(.map_ids[]?; IN($maps[]))) | .id] as $ours |
		$links[0][] | select(.prog_id | IN($ours[])) | .id' |
		sort -n | tr '\n' ' '
}

# Our links attached in the kernel become, within 2 s, exactly the links
# pinned for module $1, and there are $2 of them: no link of an older
# generation, of a down module or of a killed loader is left, and none is
# pinned without being ours. The kernel frees an unpinned link from a
# workqueue, so a list taken right after a down or reload can still hold
# links on their way out.
links_settle() {
	local want=$2 ours pinned i
	note_our_maps
	for i in $(seq 40); do
		ours=$(our_link_ids)
		pinned=$(pinned_link_ids "$1")
		[ "$ours" = "$pinned" ] && [ "$(wc -w <<< "$ours")" -eq "$want" ] && return 0
		sleep 0.05
	done
	echo "links attached: $(echo ${ours:-none}); pinned for $1: $(echo ${pinned:-none}); want $want" >&2
	return 1
}

# Two network namespaces joined by a veth pair, for traffic the test can
# drop or blackhole without touching the host's: $NS_A (10.N.0.1) and
# $NS_B (10.N.0.2). Removed, with whatever runs in them, by cleanup_netns.
new_netns_pair() {
	local n=$((200 + ${BATS_TEST_NUMBER:-0} % 50))
	NS_A="bpfpin-test-$$-${BATS_TEST_NUMBER:-0}-a"
	NS_B="bpfpin-test-$$-${BATS_TEST_NUMBER:-0}-b"
	ADDR_A="10.$n.0.1"
	ADDR_B="10.$n.0.2"
	echo "$NS_A" >> "$BATS_FILE_TMPDIR/netns"
	echo "$NS_B" >> "$BATS_FILE_TMPDIR/netns"
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	ip -n "$NS_A" link add veth0 type veth peer name veth0 netns "$NS_B"
	ip -n "$NS_A" addr add "$ADDR_A/24" dev veth0
	ip -n "$NS_B" addr add "$ADDR_B/24" dev veth0
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip -n "$NS_A" link set veth0 up
	ip -n "$NS_B" link set veth0 up
}

cleanup_netns() {
	local ns
	[ -f "$BATS_FILE_TMPDIR/netns" ] || return 0
	while read -r ns; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null || true
	done < "$BATS_FILE_TMPDIR/netns"
	rm -f "$BATS_FILE_TMPDIR/netns"
}

# Run a command in network namespace $1 and cgroup $2.
in_netns_cgroup() {
	local ns=$1 cg=$2
	shift 2
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec ip netns exec "$@"' \
		in_netns "$cg" "$ns" "$@"
}

# A real user for this test file, removed by bpfpin_teardown_file:
# make_user NAME [GROUP] (GROUP: a supplementary group, e.g. bpfpin)
make_user() {
	useradd -M -N -s /usr/sbin/nologin ${2:+-G "$2"} "$1"
	echo "$1" >> "$BATS_FILE_TMPDIR/users"
}

cleanup_users() {
	local u
	[ -f "$BATS_FILE_TMPDIR/users" ] || return 0
	while read -r u; do
		pkill -9 -u "$u" 2>/dev/null
		userdel "$u" 2>/dev/null || true
	done < "$BATS_FILE_TMPDIR/users"
	rm -f "$BATS_FILE_TMPDIR/users"
}

# Run a command as user $1, with the user's own groups.
as_user() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups "$@"
}

# What is under the pin root, less bpfpin-load's lock directory (_lock).
root_entries() {
	ls -A "$BPFPIN_ROOT" 2>/dev/null | grep -vx _lock
}

# A fresh memory cgroup NAME, limited to LIMIT if given (swap too, so the
# limit cannot be escaped): in the v1 memory hierarchy where it is mounted
# (hybrid hosts), else in cgroup v2. Sets MEMCG and MEMCG_REL.
new_memcg() {
	local v1
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	if [ -n "$v1" ]; then
		MEMCG="$v1/bpfpin-test-$$-${BATS_TEST_NUMBER:-0}-$1"
		mkdir "$MEMCG"
		echo "$MEMCG" >> "$BATS_FILE_TMPDIR/cgroups"
		MEMCG_REL=${MEMCG#"$v1"}
		if [ -n "${2:-}" ]; then
			echo "$2" > "$MEMCG/memory.limit_in_bytes"
			[ ! -e "$MEMCG/memory.memsw.limit_in_bytes" ] ||
				echo "$2" > "$MEMCG/memory.memsw.limit_in_bytes"
		fi
	else
		echo "+memory" > "$CG2/cgroup.subtree_control"
		new_cgroup "$1-memcg"
		MEMCG=$CG
		MEMCG_REL=$CG_REL
		if [ -n "${2:-}" ]; then
			echo "$2" > "$MEMCG/memory.max"
			echo 0 > "$MEMCG/memory.swap.max" 2>/dev/null || true
		fi
	fi
}
