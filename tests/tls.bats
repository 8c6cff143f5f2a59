#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# tls.bats: OpenSSL and GnuTLS peers on a test namespace's loopback: plaintext byte for byte per direction, splitting, pcapng, reload

load helpers

setup_file() {
	bpfpin_setup_file
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-keyout "$BATS_FILE_TMPDIR/key.pem" -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	# small enough that one test's payload is split and truncated
	printf 'tls.capture_bytes = 1024\ntls.max_chunks = 2\ntls.keylog = 1\n' > "$BATS_FILE_TMPDIR/conf"
	bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" tls > "$BATS_FILE_TMPDIR/up.out" 2>&1
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module tls
	T=$BATS_TEST_TMPDIR
	CERT=$BATS_FILE_TMPDIR/cert.pem
	KEY=$BATS_FILE_TMPDIR/key.pem
	VARIANT_RELOAD_ARGS=(--config "$BATS_FILE_TMPDIR/conf")
	bpfpin-events tls --duration 0.2 >/dev/null 2>&1
	# a namespace of its own: its loopback carries only this test's TLS
	NS="bpfpin-test-$$-$BATS_TEST_NUMBER-tls"
	echo "$NS" >> "$BATS_FILE_TMPDIR/netns"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}

teardown() {
	[ -z "${SRV_FD:-}" ] || exec {SRV_FD}>&-
	restore_variants
	cleanup_netns
	cleanup_cgroups
}

# sh -c "$IN_NS_CG" _ CGROUP NETNS CMD...: CMD in both, started by
# exec, so that $! of a background start is CMD's own pid (a shell
# function in the background is a subshell of its own)
# shellcheck disable=SC2016
IN_NS_CG='echo $$ > "$1/cgroup.procs" && shift && exec ip netns exec "$@"'

# wait_for FILE BYTES: until FILE holds at least BYTES bytes (5 s)
wait_for() {
	local i
	for i in $(seq 50); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1: $(stat -c %s "$1" 2>/dev/null || echo 0) bytes, want $2" >&2
	return 1
}

# listen_port PID: the TCP port PID listens on in $NS
listen_port() {
	local i port
	for i in $(seq 50); do
		port=$(ip netns exec "$NS" ss -ltnpH | grep "pid=$1," | awk '{ print $4 }' | sed 's/.*://' | head -1)
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.1
	done
	return 1
}

# openssl_server CGROUP [LD_LIBRARY_PATH]: s_server in $NS and a new
# cgroup, answering with what is written to fd $SRV_FD; sets SPID, PORT
openssl_server() {
	new_cgroup "$1"
	SCG_REL=$CG_REL
	mkfifo "$T/srv.in"
	sh -c "$IN_NS_CG" _ "$CG" "$NS" env ${2:+LD_LIBRARY_PATH="$2"} openssl s_server \
		-accept 127.0.0.1:0 -cert "$CERT" -key "$KEY" -naccept 2 -quiet \
		< "$T/srv.in" >> "$T/srv.out" 2> "$T/srv.err" &
	SPID=$!
	exec {SRV_FD}> "$T/srv.in"
	PORT=$(listen_port "$SPID")
}

# openssl_client CGROUP FILE [OPTION...]: s_client in $NS sends FILE; sets CPID
openssl_client() {
	new_cgroup "$1"
	CCG_REL=$CG_REL
	sh -c "$IN_NS_CG" _ "$CG" "$NS" openssl s_client -connect "127.0.0.1:$PORT" -quiet "${@:3}" \
		< "$2" > "$T/cli.out" 2> "$T/cli.err" &
	CPID=$!
}

# exchange REQUEST_FILE RESPONSE_FILE [CGROUP [OPTION...]]: the client (in
# a new cgroup, default "client"; s_client options) sends one, the server
# the other
exchange() {
	openssl_client "${3:-client}" "$1" "${@:4}"
	wait_for "$T/srv.out" "$(stat -c %s "$1")"
	cat "$2" >&"$SRV_FD"
	wait_for "$T/cli.out" "$(stat -c %s "$2")"
	cmp "$1" "$T/srv.out"
	cmp "$2" "$T/cli.out"
}

# server_wrote BYTES LIBRARY: wait (5 s at most) until the server's write
# calls have returned BYTES: its peer can read them before the call returns,
# and a server killed in between makes no write event
server_wrote() {
	local i n
	for i in $(seq 50); do
		n=$(tls_stat "$SCG_REL" write bytes "$2")
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "# server's write bytes: ${n:-none}, want $1" >&3
}

# events PID DIRECTION: the data events of PID in that direction, JSON lines
events() {
	jq -c --argjson pid "$1" --arg dir "$2" \
		'select(.module == "tls" and .pid == $pid and .direction == $dir)' "$T/events"
}

# plaintext PID DIRECTION: their data, joined, as raw bytes
plaintext() {
	events "$1" "$2" | jq -j .data
}

# stats CGROUP_REL DIRECTION FIELD: one stats value of the openssl row
tls_stat() {
	bpfpin-stat tls --format json |
		jq -r --arg cg "$1" --arg dir "$2" --arg lib "${4:-openssl}" \
			"select(.type == \"stats\" and .cgroup == \$cg and .direction == \$dir and .library == \$lib) | .$3"
}

@test "tls: up reports the libraries and symbols attached, and the socket hooks" {
	cat "$BATS_FILE_TMPDIR/up.out" >&3
	grep -q "libssl.so.3.*SSL_write attached" "$BATS_FILE_TMPDIR/up.out"
	grep -q "libssl.so.3.*SSL_read_ex attached" "$BATS_FILE_TMPDIR/up.out"
	grep -q "libgnutls.so.30.*gnutls_record_recv attached" "$BATS_FILE_TMPDIR/up.out"
	run bpfpin-ls --format json
	[ "$status" -eq 0 ]
	jq -e 'select(.module == "tls") | .health == "ok"' <<< "$output" | grep -q true
	# content: the ring is root's alone
	[ "$(stat -c %a "$BPFPIN_ROOT/tls/maps/events")" = 600 ]
	[ "$(stat -c %a "$BPFPIN_ROOT/tls/maps/stats_a")" = 640 ]
}

# openssl_session: s_server and s_client exchange a request and a
# response; each side's plaintext, pids and ports, from the events
openssl_session() {
	printf 'GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n' > "$T/req"
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n' > "$T/resp"
	openssl_server server
	exchange "$T/req" "$T/resp"
	server_wrote "$(stat -c %s "$T/resp")" openssl
	kill "$CPID" "$SPID"
	bpfpin-events tls --format json --duration 1 > "$T/events"
	echo "server $SPID client $CPID port $PORT" >&3
	cmp "$T/req" <(plaintext "$CPID" write)
	cmp "$T/req" <(plaintext "$SPID" read)
	cmp "$T/resp" <(plaintext "$SPID" write)
	cmp "$T/resp" <(plaintext "$CPID" read)
	# one event per call here: the client's request
	ev=$(events "$CPID" write)
	[ "$(grep -c . <<< "$ev")" -eq 1 ]
	[ "$(jq -r .library <<< "$ev")" = openssl ]
	[ "$(jq -r .comm <<< "$ev")" = openssl ]
	[ "$(jq -r .remote <<< "$ev")" = 127.0.0.1 ]
	[ "$(jq .remote_port <<< "$ev")" -eq "$PORT" ]
	[ "$(jq .call_bytes <<< "$ev")" -eq "$(stat -c %s "$T/req")" ]
	[ "$(jq .truncated <<< "$ev")" -eq 0 ]
	cport=$(jq .local_port <<< "$ev")
	[ "$(jq .local_port <<< "$(events "$CPID" read)")" -eq "$cport" ]
	# the server's side of the same connection
	sev=$(events "$SPID" write)
	[ "$(jq .local_port <<< "$sev")" -eq "$PORT" ]
	[ "$(jq .remote_port <<< "$sev")" -eq "$cport" ]
	[ "$(jq .remote_port <<< "$(events "$SPID" read)")" -eq "$cport" ]
	[ "$(jq -r .cgroup <<< "$sev")" = "$SCG_REL" ]
}

@test "tls: openssl s_server and s_client: each side's plaintext byte for byte, both directions, pids, ports, stats" {
	openssl_session
	# stats per cgroup, comm, library and direction
	[ "$(tls_stat "$CCG_REL" write calls)" -eq 1 ]
	[ "$(tls_stat "$CCG_REL" write bytes)" -eq "$(stat -c %s "$T/req")" ]
	[ "$(tls_stat "$CCG_REL" read bytes)" -eq "$(stat -c %s "$T/resp")" ]
	[ "$(tls_stat "$SCG_REL" read bytes)" -eq "$(stat -c %s "$T/req")" ]
	[ "$(tls_stat "$SCG_REL" write calls)" -eq 1 ]
	[ "$(tls_stat "$SCG_REL" write truncated_bytes)" -eq 0 ]
}

@test "tls: SSL_write_ex and SSL_read_ex (Python's ssl module as the client): its plaintext each way" {
	printf 'PING from python\n' > "$T/req"
	printf 'PONG to python\n' > "$T/resp"
	openssl_server server
	new_cgroup pyclient
	CCG_REL=$CG_REL
	# Python 3.11's ssl calls SSL_write_ex and SSL_read_ex, never SSL_write or SSL_read
	syms=$(nm -D "$(python3 -c 'import _ssl; print(_ssl.__file__)')" | grep -Eo 'SSL_(write|read)[_a-z]*' | sort | tr '\n' ' ')
	[ "$syms" = "SSL_read_ex SSL_write_ex " ]
	sh -c "$IN_NS_CG" _ "$CG" "$NS" python3 -c '
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(open(sys.argv[2], "rb").read())
want = open(sys.argv[3], "rb").read()
got = b""
while len(got) < len(want):
	got += s.recv(4096)
sys.stdout.buffer.write(got)
' "$PORT" "$T/req" "$T/resp" > "$T/cli.out" &
	CPID=$!
	wait_for "$T/srv.out" "$(stat -c %s "$T/req")"
	cat "$T/resp" >&"$SRV_FD"
	wait "$CPID"
	cmp "$T/resp" "$T/cli.out"
	kill "$SPID"
	bpfpin-events tls --format json --duration 1 > "$T/events"
	cmp "$T/req" <(plaintext "$CPID" write)
	cmp "$T/resp" <(plaintext "$CPID" read)
	[ "$(jq -r .comm <<< "$(events "$CPID" write)")" = python3 ]
	[ "$(jq .remote_port <<< "$(events "$CPID" read)")" -eq "$PORT" ]
	[ "$(tls_stat "$CCG_REL" write bytes)" -eq "$(stat -c %s "$T/req")" ]
	[ "$(tls_stat "$CCG_REL" read bytes)" -eq "$(stat -c %s "$T/resp")" ]
}

@test "tls: a write longer than max_chunks x capture_bytes: split into events, the rest counted as truncated" {
	# 3000 bytes: events of 1024 and 1024 (capture_bytes), 952 not captured
	head -c 2250 /dev/urandom | base64 -w 0 | head -c 3000 > "$T/req"
	printf 'ok\n' > "$T/resp"
	openssl_server server
	exchange "$T/req" "$T/resp"
	kill "$CPID" "$SPID"
	bpfpin-events tls --format json --duration 1 > "$T/events"
	for side in "$CPID write" "$SPID read"; do
		# shellcheck disable=SC2086
		ev=$(events $side)
		echo "$ev" | jq -c '{offset, len, total, truncated, call_bytes}' >&3
		[ "$(jq -s 'map([.offset, .len, .total, .truncated, .call_bytes])' <<< "$ev" | jq -c .)" = \
			'[[0,1024,1024,0,3000],[1024,1024,1976,952,3000]]' ]
		# shellcheck disable=SC2086
		cmp <(head -c 2048 "$T/req") <(plaintext $side)
	done
	[ "$(tls_stat "$CCG_REL" write bytes)" -eq 3000 ]
	[ "$(tls_stat "$CCG_REL" write truncated_bytes)" -eq 952 ]
	[ "$(tls_stat "$SCG_REL" read truncated_bytes)" -eq 952 ]
	[ "$(tls_stat "$SCG_REL" write truncated_bytes)" -eq 0 ]
}

# echoed: wait (10 s at most) until the client has printed the echo
echoed() {
	local i
	for i in $(seq 100); do
		grep -qF "hello gnutls, 1 2 3" "$T/cli.out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# gnutls_session: gnutls-cli sends a line to gnutls-serv --echo; each
# side's plaintext and ports, from the events, and the stats
gnutls_session() {
	printf 'hello gnutls, 1 2 3\n' > "$T/msg"
	new_cgroup gserver
	SCG_REL=$CG_REL
	# gnutls-serv takes a port, not 0: one free in this namespace
	PORT=$((20000 + RANDOM % 20000))
	sh -c "$IN_NS_CG" _ "$CG" "$NS" gnutls-serv --echo -p "$PORT" \
		--x509certfile "$CERT" --x509keyfile "$KEY" > "$T/srv.out" 2>&1 &
	SPID=$!
	[ "$(listen_port "$SPID")" -eq "$PORT" ]
	new_cgroup gclient
	CCG_REL=$CG_REL
	# the client's stdin stays open until the echo is back (EOF ends the session)
	(cat "$T/msg"; echoed; sleep 0.2) |
		sh -c "$IN_NS_CG" _ "$CG" "$NS" gnutls-cli --insecure -p "$PORT" 127.0.0.1 \
		> "$T/cli.out" 2> "$T/cli.err" &
	CPID=$!
	echoed || echo "# no echo from gnutls-serv" >&3
	server_wrote "$(stat -c %s "$T/msg")" gnutls
	kill "$CPID" "$SPID" 2>/dev/null || true
	bpfpin-events tls --format json --duration 1 > "$T/events"
	cmp "$T/msg" <(plaintext "$CPID" write)
	cmp "$T/msg" <(plaintext "$SPID" read)
	cmp "$T/msg" <(plaintext "$SPID" write)
	cmp "$T/msg" <(plaintext "$CPID" read)
	ev=$(events "$CPID" write)
	[ "$(jq -r .library <<< "$ev")" = gnutls ]
	[ "$(jq -r .comm <<< "$ev")" = gnutls-cli ]
	[ "$(jq .remote_port <<< "$ev")" -eq "$PORT" ]
	[ "$(jq .local_port <<< "$(events "$SPID" read)")" -eq "$PORT" ]
	[ "$(tls_stat "$CCG_REL" write bytes gnutls)" -eq "$(stat -c %s "$T/msg")" ]
	[ "$(tls_stat "$SCG_REL" read bytes gnutls)" -eq "$(stat -c %s "$T/msg")" ]
}

@test "tls: gnutls-serv --echo and gnutls-cli: both directions at both ends, library gnutls" {
	gnutls_session
}

@test "tls: the tuples from tcp_sendmsg and tcp_recvmsg's kprobes (fentry passed over), kernels without the socket tracepoints (before 6.4)" {
	use_variant tls sock_send_length kprobe:tcp_sendmsg sock_send_btf sock_send_raw send_fentry \
		sock_recv_btf sock_recv_raw recv_fentry
	[[ "$output" == *" sock_recv_length=kprobe:tcp_recvmsg"[\ \;\)]* ]]
	openssl_session
	T=$T/gnutls && mkdir "$T"
	gnutls_session
}

@test "tls: the tuples from net_dev_queue and tcp_rcv_space_adjust, kernels with neither the socket tracepoints nor kprobes" {
	use_variant tls sock_send_length tp_btf:net_dev_queue sock_send_btf sock_send_raw \
		send_fentry send_kprobe sock_recv_btf sock_recv_raw recv_fentry recv_kprobe
	[[ "$output" == *" sock_recv_length=tp_btf:tcp_rcv_space_adjust"[\ \;\)]* ]]
	openssl_session
	T=$T/gnutls && mkdir "$T"
	gnutls_session
}

@test "tls: --format pcapng --output FILE: tshark shows the HTTP request and status lines of the exchange" {
	printf 'GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n' > "$T/req"
	printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n' > "$T/resp"
	openssl_server server
	exchange "$T/req" "$T/resp"
	server_wrote "$(stat -c %s "$T/resp")" openssl
	kill "$CPID" "$SPID"
	run bpfpin-events tls --format pcapng --output "$T/tls.pcapng" --duration 1
	echo "$output" >&3
	[ "$status" -eq 0 ]
	# our port is no HTTP port Wireshark knows: say what it carries
	run tshark -r "$T/tls.pcapng" -d "tcp.port==$PORT,http" -Y "http && tcp.port == $PORT"
	echo "$output" >&3
	[ "$status" -eq 0 ]
	[ "$(grep -c "127.0.0.1" <<< "$output")" -eq 2 ]
	grep -q "HTTP .* GET /index.html HTTP/1.1" <<< "$output"
	grep -q "HTTP .* HTTP/1.1 200 OK" <<< "$output"
	# the request was captured at both ends and written once, by either
	out=$(tshark -r "$T/tls.pcapng" -d "tcp.port==$PORT,http" -Y "http.request" -T fields \
		-e frame.comment -e http.request.method -e http.request.uri 2>/dev/null)
	echo "$out" >&3
	[ "$(grep -c . <<< "$out")" -eq 1 ]
	grep -Eq "tls pid ($CPID|$SPID) .*	GET	/index.html" <<< "$out"
	# a handshake, then data from the client's port to the server's
	out=$(tshark -r "$T/tls.pcapng" -Y "tcp.port == $PORT" -T fields -e tcp.srcport \
		-e tcp.dstport -e tcp.flags.str -e tcp.len 2>/dev/null)
	echo "$out" >&3
	[ "$(sed -n 1p <<< "$out" | cut -f2)" -eq "$PORT" ]
	[ "$(grep -c . <<< "$out")" -eq 5 ]
	run tshark -r "$T/tls.pcapng" -q -z expert,warn -Y "tcp.port == $PORT"
	not grep -q "not captured" <<< "$output"
	# the file is pcapng: section header block type
	[ "$(head -c 4 "$T/tls.pcapng" | od -An -tx4 | tr -d ' ')" = 0a0d0d0a ]
}

@test "tls: tls.keylog: each session's secrets are the lines s_client -keylogfile writes, TLS 1.3 and 1.2" {
	printf 'key test\n' > "$T/req"
	printf 'ok\n' > "$T/resp"
	openssl_server server
	exchange "$T/req" "$T/resp" client13 -keylogfile "$T/keylog13"
	c13=$CPID
	kill "$CPID"
	: > "$T/srv.out"
	exchange "$T/req" "$T/resp" client12 -tls1_2 -keylogfile "$T/keylog12"
	c12=$CPID
	kill "$CPID" "$SPID"
	bpfpin-events tls --format json --duration 1 > "$T/events"
	keys() { jq -r --argjson pid "$1" 'select(.type == "keys" and .pid == $pid) | .keylog' "$T/events"; }
	keys "$c13" >&3
	# TLS 1.3: the application traffic and exporter secrets (the handshake
	# secrets are not kept by OpenSSL, so not given)
	[ "$(keys "$c13" | grep -c .)" -eq 3 ]
	[ "$(keys "$c13" | cut -d' ' -f1 | sort | tr '\n' ' ')" = \
		"CLIENT_TRAFFIC_SECRET_0 EXPORTER_SECRET SERVER_TRAFFIC_SECRET_0 " ]
	keys "$c13" | while read -r line; do grep -qxF "$line" "$T/keylog13"; done
	# the server holds the same session: the same lines, from its side
	[ "$(keys "$SPID" | grep -v '^CLIENT_RANDOM ' | sort)" = "$(keys "$c13" | sort)" ]
	[ "$(keys "$SPID" | grep '^CLIENT_RANDOM ')" = "$(keys "$c12")" ]
	# TLS 1.2: the master secret, by the client random
	[ "$(keys "$c12" | grep -c .)" -eq 1 ]
	keys "$c12" | grep -q "^CLIENT_RANDOM "
	grep -qxF "$(keys "$c12")" "$T/keylog12"
	[ "$(jq -r 'select(.type == "keys" and .pid == '"$c12"') | .version' "$T/events")" -eq 771 ]
}

@test "tls: --format pcapng refusals: no --output, --output with another format, a module it cannot write" {
	run bpfpin-events tls --format pcapng
	[ "$status" -eq 2 ]
	[ "$(grep -c . <<< "$output")" -eq 1 ]
	grep -q "pcapng.*--output" <<< "$output"
	run bpfpin-events tls --format json --output "$T/x"
	[ "$status" -eq 2 ]
	grep -q "output.*pcapng" <<< "$output"
	[ ! -e "$T/x" ]
	run bpfpin-events tls --format pcapng --output "$T/nodir/x.pcapng" --duration 0.1
	[ "$status" -eq 2 ]
	grep -q "nodir" <<< "$output"
}

@test "tls: a libssl that appears after up (a process's own copy): reload attaches it, check lists it" {
	mkdir "$T/lib"
	cp /usr/lib/x86_64-linux-gnu/libssl.so.3 "$T/lib/"
	printf 'first\n' > "$T/req1"
	printf 'one\n' > "$T/resp1"
	openssl_server server "$T/lib"
	grep -q "$T/lib/libssl.so.3" "/proc/$SPID/maps"
	exchange "$T/req1" "$T/resp1"
	# the server's copy is another file: nothing of its side is seen
	bpfpin-events tls --format json --duration 1 > "$T/events"
	[ -z "$(events "$SPID" read)" ]
	[ "$(plaintext "$CPID" write)" = first ]
	kill "$CPID"
	run bpfpin-load check
	echo "$output" | grep "tls" >&3
	grep "tls" <<< "$output" | grep -q "$T/lib/libssl.so.3"
	run bpfpin-load reload tls --config "$BATS_FILE_TMPDIR/conf"
	echo "$output" >&3
	[ "$status" -eq 0 ]
	grep -q "$T/lib/libssl.so.3.*SSL_read attached" <<< "$output"
	# a second connection to the same server process is seen at both ends
	: > "$T/srv.out"	# the server appends: it starts again at 0
	printf 'second\n' > "$T/req2"
	printf 'two\n' > "$T/resp2"
	exchange "$T/req2" "$T/resp2" client2
	server_wrote "$(stat -c %s "$T/resp2")" openssl
	kill "$CPID" "$SPID"
	bpfpin-events tls --format json --duration 1 > "$T/events"
	[ "$(plaintext "$SPID" read)" = second ]
	[ "$(plaintext "$SPID" write)" = two ]
}

@test "tls: tls.libs naming libssl alone: the GnuTLS hooks find nothing, the module is degraded and says which" {
	bpfpin-load down tls >/dev/null
	run bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" tls \
		--set tls.libs=/usr/lib/x86_64-linux-gnu/libssl.so.3
	echo "$output" | grep -v attached >&3
	[ "$status" -eq 0 ]
	grep -q "^tls: loaded, degraded" <<< "$output"
	# four calls and SSL_do_handshake, entry and return each
	[ "$(grep -c "libssl.so.3 (setting): SSL_.* attached" <<< "$output")" -eq 10 ]
	[ "$(grep -c "libssl.so.3 (setting): skipped: none of its symbols" <<< "$output")" -eq 4 ]
	not grep -q libgnutls <<< "$output"
	run bpfpin-ls --format json
	jq -r 'select(.module == "tls" and .health != null) | .health' <<< "$output" | grep -qx degraded
	grep -q "gnutls_send not attached" <<< "$output"
	# back to the file's configuration
	bpfpin-load down tls >/dev/null
	bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" tls >/dev/null
}

@test "tls: a member of group bpfpin reads the stats, not the plaintext (exit 4)" {
	ensure_bpfpin_group
	make_user "bpfpin-tls-$$" bpfpin
	# pins made before the group existed: reload sets the group on them
	bpfpin-load down tls >/dev/null
	bpfpin-load up --config "$BATS_FILE_TMPDIR/conf" tls >/dev/null
	run as_user "bpfpin-tls-$$" bpfpin-events tls --duration 0.1
	[ "$status" -eq 4 ]
	[ "$(grep -c . <<< "$output")" -eq 1 ]
	grep -q "tls" <<< "$output"
	run as_user "bpfpin-tls-$$" bpfpin-stat tls --format json
	[ "$status" -eq 0 ]
	grep -q '"type":"drops"' <<< "$output"
}
