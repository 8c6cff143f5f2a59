#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# http.bats: curl and test clients against local HTTP servers in a test namespace: statuses, latency slots, split and pipelined requests, unparsed connections

load helpers

PORT=8080

setup_file() {
	bpfpin_setup_file
	! can_load http || bpfpin-load up http >/dev/null
}

teardown_file() {
	bpfpin_teardown_file
}

setup() {
	require_module http
	# a namespace of its own: its loopback and port 8080 are ours
	NS="bpfpin-test-$$-$BATS_TEST_NUMBER-http"
	echo "$NS" >> "$BATS_FILE_TMPDIR/netns"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	new_cgroup server
	SRV_CG=$CG
	SRV_REL=$CG_REL
	new_cgroup client
}

teardown() {
	restore_variants
	cleanup_netns
	cleanup_cgroups
	bpfpin-load filter http --clear >/dev/null 2>&1 || true
}

# python3 for its http.server: installed here if missing, as servers are
need_python() {
	command -v python3 >/dev/null && return 0
	apt-get install -y -qq python3 >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null && apt-get install -y -qq python3 >/dev/null; }
}

# wait_ready FILE: the server wrote FILE once it listens
wait_ready() {
	for _ in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done
	return 1
}

# start_peer [DELAY_MS]: tests/helpers/http-peer on port 8080, in the server cgroup
start_peer() {
	in_netns_cgroup "$NS" "$SRV_CG" "$BUILD/tests/http-peer" serve $PORT \
		"$BATS_TEST_TMPDIR/ready" "${1:-0}" &
	wait_ready "$BATS_TEST_TMPDIR/ready"
}

# http_value CGROUP_REL SIDE METHOD CLASS FIELD: one stats value (null: no row)
http_value() {
	bpfpin-stat http --format json | jq -r --arg cg "$1" --arg side "$2" \
		--arg m "$3" --arg cl "$4" --argjson port $PORT \
		"select(.type == \"stats\" and .cgroup == \$cg and .side == \$side and
			.server_port == \$port and .method == \$m and .status_class == \$cl) | .$5"
}

# latency_le CGROUP_REL SIDE METHOD CLASS LE: the cumulative count of the latency bucket le LE
latency_le() {
	http_value "$1" "$2" "$3" "$4" "latency.buckets[] | select(.le == $5) | .count"
}

# curl_exchange: 5 GETs answered 200 and 3 answered 404 by python3's
# http.server, counted per status class on both sides; the events name
# curl and python3 where $OWNER is set (the programs that know the task)
curl_exchange() {
	need_python
	mkdir "$BATS_TEST_TMPDIR/www"
	echo hello > "$BATS_TEST_TMPDIR/www/ok.txt"
	in_netns_cgroup "$NS" "$SRV_CG" python3 -m http.server $PORT --bind 127.0.0.1 \
		--directory "$BATS_TEST_TMPDIR/www" > "$BATS_TEST_TMPDIR/server.log" 2>&1 &
	for _ in $(seq 50); do
		ip netns exec "$NS" bash -c ": < /dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break
		sleep 0.1
	done
	# the probe above was a connection without payload: it counts nowhere
	curl_w='%{http_code} %{size_request} %{size_header} %{size_download}\n'
	for i in 1 2 3 4 5; do
		in_netns_cgroup "$NS" "$CG" curl -s -o /dev/null -w "$curl_w" \
			"http://127.0.0.1:$PORT/ok.txt" >> "$BATS_TEST_TMPDIR/ok"
	done
	for i in 1 2 3; do
		in_netns_cgroup "$NS" "$CG" curl -s -o /dev/null -w "$curl_w" \
			"http://127.0.0.1:$PORT/missing-$i" >> "$BATS_TEST_TMPDIR/nf"
	done
	cat "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/nf" >&3
	[ "$(awk '$1 == 200' "$BATS_TEST_TMPDIR/ok" | wc -l)" -eq 5 ]
	[ "$(awk '$1 == 404' "$BATS_TEST_TMPDIR/nf" | wc -l)" -eq 3 ]
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 5 ]
	[ "$(http_value "$CG_REL" client GET 4xx responses)" -eq 3 ]
	[ "$(http_value "$SRV_REL" server GET 2xx responses)" -eq 5 ]
	[ "$(http_value "$SRV_REL" server GET 4xx responses)" -eq 3 ]
	# the latency histograms hold every pair, and nothing else
	[ $(($(http_value "$CG_REL" client GET 2xx latency.count) + \
	     $(http_value "$CG_REL" client GET 4xx latency.count))) -eq 8 ]
	[ "$(http_value "$SRV_REL" server GET 4xx latency.count)" -eq 3 ]
	# bytes as curl counted them: requests, and headers plus bodies
	[ "$(http_value "$CG_REL" client GET 2xx request_bytes)" -eq "$(awk '{ s += $2 } END { print s }' "$BATS_TEST_TMPDIR/ok")" ]
	[ "$(http_value "$CG_REL" client GET 2xx response_bytes)" -eq "$(awk '{ s += $3 + $4 } END { print s }' "$BATS_TEST_TMPDIR/ok")" ]
	[ "$(http_value "$SRV_REL" server GET 4xx response_bytes)" -eq "$(awk '{ s += $3 + $4 } END { print s }' "$BATS_TEST_TMPDIR/nf")" ]
	# one row per status class, nothing unparsed or unpaired
	[ "$(bpfpin-stat http --format json | jq -c "select(.type == \"stats\" and .cgroup == \"$CG_REL\")" | wc -l)" -eq 2 ]
	run bpfpin-events http --format json --duration 0.5
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	[ "$(jq -c --arg comm "${OWNER:+curl}" 'select(.type == "ok" and .status == 200 and .comm == $comm)' <<< "$ev" | wc -l)" -eq 5 ]
	[ "$(jq -c --arg comm "${OWNER:+curl}" 'select(.type == "errors" and .status == 404 and .comm == $comm)' <<< "$ev" | wc -l)" -eq 3 ]
	[ "$(jq -r 'select(.side == "client") | "\(.server) \(.server_port) \(.client) \(.method)"' <<< "$ev" | sort -u)" = "127.0.0.1 $PORT 127.0.0.1 GET" ]
	# the server's side names the server: python3 answered
	[ "$(jq -r --arg cg "$SRV_REL" 'select(.cgroup == $cg) | .comm' <<< "$output" | sort -u)" = "${OWNER:+python3}" ]
	run bpfpin-stat http --format prom
	grep -q "^bpfpin_http_latency_seconds_count{cgroup=\"$CG_REL\",container=\"\",server=\"127.0.0.1\",server_port=\"$PORT\",method=\"GET\",status_class=\"4xx\",side=\"client\"} 3\$" <<< "$output"
	run promtool check metrics <<< "$output"
	[ "$status" -eq 0 ]
}

@test "http: python3 -m http.server answers 5 GETs with 200 and 3 with 404 to curl: counted per status class on both sides" {
	# 6.1 loads the programs without current-task helpers: no comm there
	OWNER=1
	! check_json | jq -r 'select(.check == "module http") | .detail' | grep -q '(http_egress_nt)' || OWNER=
	curl_exchange
}

@test "http: the programs without current-task helpers (what 6.1 loads): the same counts, owners unnamed" {
	use_variant http cgroup_skb_egress "cgroup_skb(http_egress_nt)" http_egress http_ingress
	OWNER=
	curl_exchange
}

@test "http: a server that waits 50 ms before each answer: its latencies in the slot of 32.8 to 65.5 ms" {
	start_peer 50
	for i in 1 2 3 4; do
		in_netns_cgroup "$NS" "$CG" curl -sf -o /dev/null \
			-w '%{time_pretransfer} %{time_starttransfer}\n' \
			"http://127.0.0.1:$PORT/ok" >> "$BATS_TEST_TMPDIR/times"
	done
	# on a loaded machine a wait can overrun the slot: the slot is the
	# one curl saw (request sent to first byte, ms), far from its bounds
	cat "$BATS_TEST_TMPDIR/times" >&3
	in_slot=$(awk '{ ms = ($2 - $1) * 1000 } ms > 33 && ms < 65 { n++ } END { print n + 0 }' \
		"$BATS_TEST_TMPDIR/times")
	http_value "$CG_REL" client GET 2xx latency >&3
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 4 ]
	[ "$(latency_le "$CG_REL" client GET 2xx 32768)" -eq 0 ]
	[ "$(latency_le "$SRV_REL" server GET 2xx 32768)" -eq 0 ]
	[ "$in_slot" -ge 1 ]
	[ "$(latency_le "$CG_REL" client GET 2xx 65536)" -ge "$in_slot" ]
	[ "$(latency_le "$SRV_REL" server GET 2xx 65536)" -ge "$in_slot" ]
	# the 50 ms are in every one: at least 4 x 50 ms
	[ "$(http_value "$CG_REL" client GET 2xx latency.sum)" -ge 200000 ]
}

@test "http: a request written in two segments 100 ms apart counts once, timed from its first byte" {
	start_peer
	in_netns_cgroup "$NS" "$CG" "$BUILD/tests/http-peer" split $PORT 100 > "$BATS_TEST_TMPDIR/out"
	grep -q "^HTTP/1.1 200 OK" "$BATS_TEST_TMPDIR/out"
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 1 ]
	[ "$(http_value "$SRV_REL" server GET 2xx responses)" -eq 1 ]
	# the whole request: "GET /ok HTTP/1.1\r\nHost: test\r\nUser-Agent: http-peer\r\n\r\n"
	[ "$(http_value "$CG_REL" client GET 2xx request_bytes)" -eq 55 ]
	[ "$(http_value "$SRV_REL" server GET 2xx request_bytes)" -eq 55 ]
	# timed from the first half: the 100 ms pause is in it (µs)
	[ "$(http_value "$CG_REL" client GET 2xx latency.count)" -eq 1 ]
	[ "$(http_value "$CG_REL" client GET 2xx latency.sum)" -ge 100000 ]
	[ "$(http_value "$SRV_REL" server GET 2xx latency.sum)" -ge 100000 ]
	[ "$(latency_le "$CG_REL" client GET 2xx 65536)" -eq 0 ]
	# the second half was neither a new request nor unparsed
	[ "$(bpfpin-stat http --format json | jq -c "select(.type == \"stats\" and .cgroup == \"$CG_REL\")" | wc -l)" -eq 1 ]
}

@test "http: a pipelined request is counted as pipelined and its response as unmatched, not timed" {
	start_peer 50
	in_netns_cgroup "$NS" "$CG" "$BUILD/tests/http-peer" pipeline $PORT > /dev/null
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 1 ]
	[ "$(http_value "$CG_REL" client GET 2xx latency.count)" -eq 1 ]
	[ "$(http_value "$CG_REL" client GET "" pipelined)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" 2xx unmatched)" -eq 1 ]
}

@test "http: HTTP/2 preface, a TLS hello and other TCP are each counted once as unparsed connections" {
	start_peer
	send() {
		in_netns_cgroup "$NS" "$CG" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '$1' >&3; sleep 0.1; printf '$1' >&3; exec 3>&-"
	}
	send 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
	send '\x16\x03\x01\x00\x05hello'
	send 'SSH-2.0-test\r\n'
	send 'SSH-2.0-test\r\n'
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client "" "" http2)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" "" tls)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" "" unparsed)" -eq 2 ]
	[ "$(http_value "$CG_REL" client "" "" responses)" -eq 0 ]
	[ "$(http_value "$SRV_REL" server "" "" http2)" -eq 1 ]
	[ "$(http_value "$SRV_REL" server "" "" unparsed)" -eq 2 ]
}

@test "http: http.events = errors: only the 404s are events, the stats count both" {
	echo "http.events = errors" > "$BATS_TEST_TMPDIR/conf"
	bpfpin-load down http >/dev/null
	bpfpin-load up --config "$BATS_TEST_TMPDIR/conf" http >/dev/null
	start_peer
	in_netns_cgroup "$NS" "$CG" curl -s -o /dev/null "http://127.0.0.1:$PORT/ok" "http://127.0.0.1:$PORT/ok" \
		"http://127.0.0.1:$PORT/nope"
	run bpfpin-events http --format json --duration 0.5
	ev=$(jq -c --arg cg "$CG_REL" 'select(.cgroup == $cg)' <<< "$output")
	echo "$ev" >&3
	[ "$(wc -l <<< "$ev")" -eq 1 ]
	[ "$(jq -r '"\(.type) \(.status) \(.side)"' <<< "$ev")" = "errors 404 client" ]
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 2 ]
	[ "$(http_value "$CG_REL" client GET 4xx responses)" -eq 1 ]
}

@test "http: 101 Switching Protocols: the exchange counts in 1xx, the connection as upgraded, what follows is not parsed" {
	start_peer
	in_netns_cgroup "$NS" "$CG" "$BUILD/tests/http-peer" upgrade $PORT > /dev/null
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client GET 1xx responses)" -eq 1 ]
	[ "$(http_value "$CG_REL" client GET 1xx upgraded)" -eq 1 ]
	[ "$(http_value "$SRV_REL" server GET 1xx upgraded)" -eq 1 ]
	# the echoed bytes after the upgrade make no row
	[ "$(bpfpin-stat http --format json | jq -c "select(.type == \"stats\" and .cgroup == \"$CG_REL\")" | wc -l)" -eq 1 ]
}

@test "http: a line that is no request on a kept-alive connection is an unparsed segment, its answer unmatched" {
	start_peer
	in_netns_cgroup "$NS" "$CG" "$BUILD/tests/http-peer" junk $PORT > /dev/null
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\") | del(.latency)" >&3
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" "" unparsed_segments)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" 4xx unmatched)" -eq 1 ]
	[ "$(http_value "$CG_REL" client "" 4xx responses)" -eq 0 ]
}

@test "http: IPv6: curl to python3 -m http.server on ::1" {
	need_python
	mkdir "$BATS_TEST_TMPDIR/www"
	in_netns_cgroup "$NS" "$SRV_CG" python3 -m http.server $PORT --bind ::1 \
		--directory "$BATS_TEST_TMPDIR/www" > /dev/null 2>&1 &
	for _ in $(seq 50); do
		ip netns exec "$NS" bash -c ": < /dev/tcp/::1/$PORT" 2>/dev/null && break
		sleep 0.1
	done
	in_netns_cgroup "$NS" "$CG" curl -s -o /dev/null "http://[::1]:$PORT/"
	bpfpin-stat http --format json | jq -c "select(.cgroup == \"$CG_REL\") | del(.latency)" >&3
	[ "$(bpfpin-stat http --format json | jq -r "select(.type == \"stats\" and .cgroup == \"$CG_REL\") | \"\(.server) \(.server_port) \(.method) \(.status_class) \(.responses)\"")" = "::1 $PORT GET 2xx 1" ]
}

@test "http: a cgroup filter counts the client's sockets only; --pid is refused, the filter unchanged" {
	start_peer
	run bpfpin-load filter http --cgroup "$CG_REL"
	[ "$status" -eq 0 ]
	in_netns_cgroup "$NS" "$CG" curl -sf -o /dev/null "http://127.0.0.1:$PORT/ok"
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 1 ]
	[ -z "$(http_value "$SRV_REL" server GET 2xx responses)" ]
	run bpfpin-load filter http --pid 1
	echo "$output" >&3
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *http* ]]
	in_netns_cgroup "$NS" "$CG" curl -sf -o /dev/null "http://127.0.0.1:$PORT/ok"
	[ "$(http_value "$CG_REL" client GET 2xx responses)" -eq 2 ]
	[ -z "$(http_value "$SRV_REL" server GET 2xx responses)" ]
}

@test "http: a server that speaks first (an SSH-like banner) is counted under its port, not the client's" {
	need_python
	in_netns_cgroup "$NS" "$SRV_CG" python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", 2222))
open(sys.argv[1], "w").close()
c, _ = l.accept()
c.sendall(b"SSH-2.0-srv\r\n")
c.recv(64)
' "$BATS_TEST_TMPDIR/ready" &
	wait_ready "$BATS_TEST_TMPDIR/ready"
	in_netns_cgroup "$NS" "$CG" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222; read -r banner <&3; printf "SSH-2.0-cli\r\n" >&3; exec 3>&-'
	wait
	rows=$(bpfpin-stat http --format json | jq -r "select(.type == \"stats\" and (.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\")) | \"\(.side) \(.server_port) \(.unparsed)\"" | sort)
	echo "$rows" >&3
	[ "$rows" = "client 2222 1
server 2222 1" ]
}

@test "http: a client sending from a port below the server's (a peer picks its port) is counted under the server's port" {
	need_python
	in_netns_cgroup "$NS" "$SRV_CG" python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", 2223))
open(sys.argv[1], "w").close()
c, _ = l.accept()
c.recv(64)
c.sendall(b"-ERR who are you\r\n")
' "$BATS_TEST_TMPDIR/ready" &
	wait_ready "$BATS_TEST_TMPDIR/ready"
	in_netns_cgroup "$NS" "$CG" python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 2223), source_address=("127.0.0.1", 1023))
s.sendall(b"HELLO junk\r\n")
s.recv(64)
s.close()
'
	wait
	rows=$(bpfpin-stat http --format json | jq -r "select(.type == \"stats\" and (.cgroup == \"$CG_REL\" or .cgroup == \"$SRV_REL\")) | \"\(.side) \(.server_port) \(.unparsed)\"" | sort)
	echo "$rows" >&3
	[ "$rows" = "client 2223 1
server 2223 1" ]
}

@test "http: a segment out of the receive window (TCP drops it) is not counted, nor hides the real request" {
	need_python
	in_netns_cgroup "$NS" "$SRV_CG" python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", 2224))
open(sys.argv[1], "w").close()
c, _ = l.accept()
got = b""
while b"\r\n\r\n" not in got:
    got += c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
c.recv(64)
' "$BATS_TEST_TMPDIR/ready" &
	wait_ready "$BATS_TEST_TMPDIR/ready"
	# the client's first data sequence number seen on lo, then a POST
	# injected to the server 2^30 past it, before the real GET
	in_netns_cgroup "$NS" "$CG" python3 -c '
import socket, struct
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sniff.bind(("lo", 0))
sniff.settimeout(5)
s = socket.create_connection(("127.0.0.1", 2224), source_address=("127.0.0.1", 40123))
isn = None
while isn is None:
    p = sniff.recv(65535)[14:]
    ihl = (p[0] & 15) * 4
    sport, dport, seq = struct.unpack("!HHI", p[ihl:ihl + 8])
    if p[9] == 6 and sport == 40123 and dport == 2224 and p[ihl + 13] & 2:
        isn = seq
lo = socket.inet_aton("127.0.0.1")
data = b"POST /injected HTTP/1.1\r\n\r\n"
tcp = struct.pack("!HHIIBBHHH", 40123, 2224, (isn + 1 + (1 << 30)) & 0xffffffff, 0, 5 << 4, 0x18, 65535, 0, 0)
tcp = tcp[:16] + struct.pack("!H", csum(lo + lo + struct.pack("!BBH", 0, 6, len(tcp) + len(data)) + tcp + data)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), 1, 0, 64, 6, 0, lo, lo)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(ip + tcp + data, ("127.0.0.1", 0))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(4096)
s.close()
'
	wait
	rows=$(bpfpin-stat http --format json | jq -r "select(.type == \"stats\" and .cgroup == \"$SRV_REL\") | \"\(.side) \(.server_port) \(.method) \(.status_class) \(.responses) \(.request_bytes)\"")
	echo "$rows" >&3
	[ "$rows" = "server 2224 GET 2xx 1 27" ]
}
