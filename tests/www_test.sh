#!/usr/bin/env bash
# www_test.sh — ktls-server --www end to end, against curl and ktls-client (TAP).
#
# Files of 0 B, 1 B, 16383, 16384, 16385 B, 1 MiB and 64 MiB come back with the right
# SHA-256 through curl and through ktls-client; keep-alive (curl's "Re-using existing
# connection", the same conn= in the access log), HTTP/1.0 and Connection: close; ranges in
# every form and 416; HEAD; Content-Type; 400 / 404 / 405 / 414 / 431 / 505; traversal tricks
# and symlinks out of the root; a small file's response in one record and a large file's head
# sharing the first, full record with the file (build/tests/www_records counts them on the
# wire); 1,000 concurrent connections verifying every body; silent peers are cut after
# --handshake-timeout while others are served; an idle connection is closed after
# --idle-timeout; --max-connections; the userspace memory per idle connection (a TAP
# diagnostic); SIGTERM in the middle of a 64 MiB download ends cleanly.
#
# The same script runs on this host and in the microVM (tests/www_kernel_test.sh runs it
# there): when build/bin/ktls-check says the kernel has kTLS it is in kernel mode and also
# asserts that both directions were offloaded (access log, ktls-client's summary) and that
# ktls-diag sees tx=sw on the socket that sends the 64 MiB file; otherwise the userspace
# fallback carries the same traffic. Every wait is bounded.
#
# Environment: KTLS_BUILD (default build), KTLS_CERTS (default $KTLS_BUILD/certs),
# WWW_TEST_CONNS (default 1000) concurrent connections, WWW_TEST_BIG_MB (default 64).

set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
B=${KTLS_BUILD:-build}
C=${KTLS_CERTS:-$B/certs}
CONNS=${WWW_TEST_CONNS:-1000}
BIG_MB=${WWW_TEST_BIG_MB:-64}
SERVER=$B/bin/ktls-server
CLIENT=$B/bin/ktls-client
T0=$(date +%s)

echo "TAP version 13"
N=0
FAILS=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() {
	N=$((N + 1)); FAILS=$((FAILS + 1))
	echo "not ok $N - $1"
	shift
	local f
	for f in "$@"; do
		[ -s "$f" ] && sed 's/^/# /' "$f" | tail -n 30
	done
	return 0
}
# check NAME CONDITION-COMMAND [DIAG FILES...]
check() {
	local name=$1 cond=$2
	shift 2
	if eval "$cond"; then ok "$name"; else not_ok "$name" "$@"; fi
}
bail() {
	echo "not ok $((N + 1)) - $1"
	echo "1..$((N + 1))"
	exit 1
}

for f in "$SERVER" "$CLIENT" "$B/bin/ktls-check" "$C/ca.pem"; do
	[ -e "$f" ] || bail "$f is missing (run: make all certs)"
done
command -v curl >/dev/null || bail "curl is not installed"

if "$B/bin/ktls-check" >/dev/null 2>&1; then
	MODE=kernel
	echo "# kernel mode: $(uname -r) has kTLS; offload is asserted"
else
	MODE=userspace
	echo "# userspace mode: $(uname -r) has no kTLS here; the fallback carries everything"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/www_test.XXXXXX") || bail "mktemp"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ROOT=$TMP/root
mkdir -p "$ROOT/sub" "$ROOT/empty"
echo "outside the root" >"$TMP/secret"
mk() { dd if=/dev/urandom of="$ROOT/$1" bs="$2" count="$3" 2>/dev/null; }
: >"$ROOT/empty.bin"
mk one.bin 1 1
mk 16383.bin 16383 1
mk 16384.bin 16384 1
mk 16385.bin 16385 1
mk 1m.bin 1048576 1
mk big.bin 1048576 "$BIG_MB"
echo "hello" >"$ROOT/a.txt"
echo '{"a":1}' >"$ROOT/d.json"
echo '<p>index</p>' >"$ROOT/sub/index.html"
ln -s /etc/passwd "$ROOT/escape"
ln -s ../secret "$ROOT/rel"
ln -s a.txt "$ROOT/inside"
SIZES="empty.bin one.bin 16383.bin 16384.bin 16385.bin 1m.bin big.bin"
sha() { sha256sum "$1" | cut -d' ' -f1; }

# start_server VAR LOGNAME ARGS...: starts ktls-server --www $ROOT in the background; the port
# goes into VAR, the pid into VAR_PID, stderr into $TMP/LOGNAME.err.
start_server() {
	local var=$1 name=$2 i port=
	shift 2
	"$SERVER" --cert "$C/server-ed25519.pem" --key "$C/server-ed25519.key" --www "$ROOT" \
		--bind 127.0.0.1 --port 0 "$@" 2>"$TMP/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	for i in $(seq 600); do # (a busy machine or the VM can take seconds)
		port=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$TMP/$name.err")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	eval "$var=\$port; ${var}_PID=\$pid"
	[ -n "$port" ]
}

start_server P main --workers 2 --idle-timeout 300 \
	--access-log "$TMP/access.log" || bail "ktls-server --www did not start: $(cat "$TMP/main.err")"
ok "ktls-server --www listens (2 workers, port $P)"
URL=https://localhost:$P
CURL=(curl -sS --max-time 600 --cacert "$C/ca.pem" --resolve "localhost:$P:127.0.0.1")
KC=("$CLIENT" --ca "$C/ca.pem" --servername localhost --timeout 600) # (bounds, not expectations: a busy machine and the VM are slow)
# idle_client NAME PORT SECS: a ktls-client in relay mode whose stdin stays open (and silent)
# for SECS; its pid goes into IDLE_PID. (Not `(sleep) | client &`: bash waits for the whole
# pipeline, sleep included.)
idle_client() {
	mkfifo "$TMP/$1.fifo"
	sleep "$3" >"$TMP/$1.fifo" &
	PIDS+=("$!")
	"${KC[@]}" "127.0.0.1:$2" <"$TMP/$1.fifo" >/dev/null 2>"$TMP/$1.err" &
	IDLE_PID=$!
	PIDS+=("$IDLE_PID")
}
# wait_until CMD...: polls until CMD succeeds (an event: a log line, a handshake), at most 60 s
wait_until() {
	local i
	for i in $(seq 600); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# wait_handshake NAME PID: until the idle client NAME has its session (or has ended)
wait_handshake() {
	wait_until sh -c "grep -q '^ktls-client: TLSv1.3' '$TMP/$1.err' 2>/dev/null || ! kill -0 $2 2>/dev/null"
}
# log_has PATTERN COUNT: the access log holds COUNT lines matching (it is flushed once per
# loop turn, so the lines come a moment after the responses)
log_has() { [ "$(grep -cE "$1" "$TMP/access.log")" -ge "$2" ]; }
# raw REQUEST-BYTES: sends them over TLS with ktls-client's relay mode, prints the answer
raw() { printf "$1" | "${KC[@]}" "127.0.0.1:$P" 2>>"$TMP/raw.err"; }

# --- every size through curl and ktls-client -------------------------------------------------
for f in $SIZES; do
	want=$(sha "$ROOT/$f")
	if [ "$f" = big.bin ] && [ $MODE = kernel ]; then
		# watch the socket that sends the big file: the kernel's own view, while it is open
		"${CURL[@]}" --limit-rate 16M -o "$TMP/curl.$f" "$URL/$f" 2>"$TMP/curl.err" &
		cpid=$!
		PIDS+=("$cpid")
		for i in $(seq 300); do
			[ "$(stat -c %s "$TMP/curl.$f" 2>/dev/null || echo 0)" -gt 1048576 ] && break
			sleep 0.1
		done
		"$B/bin/ktls-diag" --port "$P" >"$TMP/diag.out" 2>&1
		wait "$cpid"
		check "ktls-diag shows tx=sw rx=sw on the server socket sending $BIG_MB MiB (sendfile over kTLS)" \
			'grep -E "^127\.0\.0\.1:$P .* tx=sw rx=sw" "$TMP/diag.out"' "$TMP/diag.out"
	else
		"${CURL[@]}" -o "$TMP/curl.$f" "$URL/$f" 2>"$TMP/curl.err"
	fi
	check "curl GET /$f ($(stat -c %s "$ROOT/$f") B): SHA-256 matches" \
		'[ -f "$TMP/curl.$f" ] && [ "$(sha "$TMP/curl.$f")" = "$want" ]' "$TMP/curl.err"
	rm -f "$TMP/curl.$f"
	"${KC[@]}" --get "/$f" -o "$TMP/kc.$f" --expect-sha256 "$want" "127.0.0.1:$P" 2>"$TMP/kc.err"
	rc=$?
	check "ktls-client --get /$f: SHA-256 matches" \
		'[ $rc = 0 ] && [ "$(sha "$TMP/kc.$f")" = "$want" ]' "$TMP/kc.err"
	if [ "$f" = big.bin ] && [ $MODE = kernel ]; then
		check "ktls-client received /$f through kernel TLS (tx kernel, rx kernel)" \
			'grep -q "record layer: tx kernel, rx kernel" "$TMP/kc.err"' "$TMP/kc.err"
	fi
	rm -f "$TMP/kc.$f"
done

# --- records on the wire: a response in as few records as it can ------------------------------
# build/tests/www_records reads the records behind the handshake with our userspace record
# layer and prints each one's type and plaintext length (kernel TX sends in kernel mode).
REC=$B/tests/www_records
"$REC" "$P" /a.txt "$C/ca.pem" >"$TMP/rec.small" 2>&1
check "a small file: head and body in one application_data record" \
	'[ "$(grep -c "^application_data " "$TMP/rec.small")" = 1 ] && grep -q "^alert 2$" "$TMP/rec.small"' \
	"$TMP/rec.small"
"$REC" "$P" /1m.bin "$C/ca.pem" >"$TMP/rec.big" 2>&1
total=$(awk '$1 == "application_data" { n += $2 } END { print n + 0 }' "$TMP/rec.big")
check "a 1 MiB file: the head shares the first record with the file (16384 bytes, not a head of its own)" \
	'[ "$(grep -m1 "^application_data " "$TMP/rec.big")" = "application_data 16384" ] &&
	 [ "$total" -gt 1048576 ] && grep -q "^alert 2$" "$TMP/rec.big"' "$TMP/rec.big"

# --- headers, keep-alive ----------------------------------------------------------------------
"${CURL[@]}" -I "$URL/a.txt" "$URL/d.json" "$URL/sub/" "$URL/1m.bin" >"$TMP/types" 2>&1
check "Content-Type by extension (txt, json, index.html, bin) and Content-Length" \
	'grep -qi "^content-type: text/plain" "$TMP/types" &&
	 grep -qi "^content-type: application/json" "$TMP/types" &&
	 grep -qi "^content-type: text/html" "$TMP/types" &&
	 grep -qi "^content-type: application/octet-stream" "$TMP/types" &&
	 grep -qi "^content-length: 1048576" "$TMP/types"' "$TMP/types"

"${CURL[@]}" -I "$URL/1m.bin" -o "$TMP/head.out" -D "$TMP/head.hdr" -w '%{size_download}' \
	>"$TMP/head.size" 2>&1
check "HEAD: 200, Content-Length 1048576, no body" \
	'grep -q "^HTTP/1.1 200" "$TMP/head.hdr" && grep -qi "^content-length: 1048576" "$TMP/head.hdr" &&
	 [ "$(cat "$TMP/head.size")" = 0 ]' "$TMP/head.hdr"

: >"$TMP/ka.out"
"${CURL[@]}" -v "$URL/a.txt?ka1" "$URL/one.bin?ka2" "$URL/16384.bin?ka3" -o /dev/null -o /dev/null \
	-o /dev/null 2>"$TMP/ka.err"
wait_until log_has '"GET /(a\.txt\?ka1|one\.bin\?ka2|16384\.bin\?ka3) ' 3
conns=$(grep -E '"GET /(a\.txt\?ka1|one\.bin\?ka2|16384\.bin\?ka3) ' "$TMP/access.log" |
	sed 's/.* conn=\([^ ]*\) .*/\1/' | sort -u | wc -l)
reuse=$(grep -c "Re-using existing connection" "$TMP/ka.err")
check "keep-alive: 3 requests on one connection (curl re-used it $reuse times; $conns conn id in the log)" \
	'[ "$reuse" = 2 ] && [ "$conns" = 1 ]' "$TMP/ka.err" "$TMP/access.log"

"${CURL[@]}" -v --http1.0 "$URL/a.txt" "$URL/a.txt" -o /dev/null -o /dev/null 2>"$TMP/h10.err"
check "HTTP/1.0 without keep-alive: the server closes after each response" \
	'! grep -q "Re-using existing connection" "$TMP/h10.err" &&
	 grep -qi "< Connection: close" "$TMP/h10.err"' "$TMP/h10.err"

"${CURL[@]}" -v -H "Connection: close" "$URL/a.txt" "$URL/a.txt" -o /dev/null -o /dev/null \
	2>"$TMP/cc.err"
check "Connection: close is honoured" \
	'! grep -q "Re-using existing connection" "$TMP/cc.err" &&
	 grep -qi "< Connection: close" "$TMP/cc.err"' "$TMP/cc.err"

out=$(raw 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /d.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "pipelined requests are answered in order" \
	'[ "$(grep -c "^HTTP/1.1 200" <<<"$out")" = 2 ] && grep -q "hello" <<<"$out" &&
	 grep -q "\"a\":1" <<<"$out"' "$TMP/raw.err"

# --- ranges -----------------------------------------------------------------------------------
F=$ROOT/1m.bin
range_ok() { # range_ok CURL-RANGE DD-SKIP DD-COUNT EXPECT-CONTENT-RANGE
	"${CURL[@]}" -r "$1" -D "$TMP/r.hdr" -o "$TMP/r.body" "$URL/1m.bin" 2>"$TMP/r.err"
	dd if="$F" of="$TMP/r.want" bs=1 skip="$2" count="$3" 2>/dev/null
	grep -q "^HTTP/1.1 206" "$TMP/r.hdr" && grep -qi "^content-range: $4" "$TMP/r.hdr" &&
		cmp -s "$TMP/r.body" "$TMP/r.want"
}
check "Range bytes=0-99: 206, the first 100 bytes" 'range_ok 0-99 0 100 "bytes 0-99/1048576"' "$TMP/r.hdr"
check "Range bytes=1048000-: 206, from there to the end" \
	'range_ok 1048000- 1048000 576 "bytes 1048000-1048575/1048576"' "$TMP/r.hdr"
check "Range bytes=-500: 206, the last 500 bytes" \
	'range_ok -500 1048076 500 "bytes 1048076-1048575/1048576"' "$TMP/r.hdr"
check "Range bytes=100-99999999999999999999999: 206, clamped to the end" \
	'range_ok 100-99999999999999999999999 100 1048476 "bytes 100-1048575/1048576"' "$TMP/r.hdr"
code=$("${CURL[@]}" -r 2000000- -D "$TMP/r.hdr" -o /dev/null -w '%{http_code}' "$URL/1m.bin" 2>&1)
check "Range past the end: 416 with Content-Range: bytes */1048576" \
	'[ "$code" = 416 ] && grep -qi "^content-range: bytes \*/1048576" "$TMP/r.hdr"' "$TMP/r.hdr"
code=$("${CURL[@]}" -r 0-0 -o /dev/null -w '%{http_code}' "$URL/empty.bin" 2>&1)
check "any Range on an empty file: 416" '[ "$code" = 416 ]'

# --- error statuses -------------------------------------------------------------------------
status() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@" 2>&1; }
check "404 for a missing file" '[ "$(status "$URL/nope.txt")" = 404 ]'
check "404 for a directory without index.html" '[ "$(status "$URL/empty/")" = 404 ]'
"${CURL[@]}" -X POST -d x -D "$TMP/405.hdr" -o /dev/null "$URL/a.txt" 2>/dev/null
check "405 for POST, with Allow: GET, HEAD" \
	'grep -q "^HTTP/1.1 405" "$TMP/405.hdr" && grep -qi "^allow: GET, HEAD" "$TMP/405.hdr"' "$TMP/405.hdr"
long=$(printf 'a%.0s' $(seq 9000))
check "414 for a request-target over 8 KiB" '[ "$(status "$URL/$long")" = 414 ]'
check "a request-target of 8 KiB is fine (404, not 414)" '[ "$(status "$URL/${long:0:8100}")" = 404 ]'
big=$(printf 'v%.0s' $(seq 17000))
check "431 for a header section over 16 KiB" '[ "$(status -H "X-Big: $big" "$URL/a.txt")" = 431 ]'
check "400 for a malformed request line" \
	'raw "GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" | grep -q "^HTTP/1.1 400 "' "$TMP/raw.err"
check "400 for a request without Host" \
	'raw "GET /a.txt HTTP/1.1\r\n\r\n" | grep -q "^HTTP/1.1 400 "' "$TMP/raw.err"
check "505 for HTTP/2.0 in a request line" \
	'raw "GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n" | grep -q "^HTTP/1.1 505 "' "$TMP/raw.err"

# --- traversal ------------------------------------------------------------------------------
for t in "/../secret" "/%2e%2e/secret" "/%2E%2E/secret" "/..%2fsecret" "/sub/..%2f..%2fsecret" \
	"/a%00b" "/%252e%252e/secret" "/escape" "/rel" "/sub/../../secret"; do
	code=$("${CURL[@]}" --path-as-is -o "$TMP/t.body" -w '%{http_code}' "$URL$t" 2>&1)
	check "traversal $t: $code, nothing from outside the root" \
		'{ [ "$code" = 400 ] || [ "$code" = 404 ]; } && ! grep -q "outside the root\|root:" "$TMP/t.body"'
done
check "a symlink inside the root is served" '[ "$("${CURL[@]}" "$URL/inside")" = hello ]'

# --- many connections -------------------------------------------------------------------------
want=$(sha "$ROOT/16384.bin")
log_before=$(wc -l <"$TMP/access.log")
"${KC[@]}" --get /16384.bin --expect-sha256 "$want" --concurrency "$CONNS" --requests $((CONNS * 2)) \
	--timeout 300 "127.0.0.1:$P" >"$TMP/load.out" 2>"$TMP/load.err"
rc=$?
sed 's/^/# /' "$TMP/load.out"
check "$CONNS concurrent connections, $((CONNS * 2)) verified downloads, no error" \
	'[ $rc = 0 ] && grep -q " ok=$((CONNS * 2)) errors=0 " "$TMP/load.out" &&
	 grep -q " connections=$CONNS " "$TMP/load.out"' "$TMP/load.out" "$TMP/load.err"
if [ $MODE = kernel ]; then
	check "... every client connection had kernel TX and RX" \
		'grep -q "tx_offloaded=$CONNS rx_offloaded=$CONNS" "$TMP/load.out"' "$TMP/load.out"
	wait_until log_has '"GET /16384.bin HTTP/1.1" ' $((CONNS * 2))
	check "... and the server's access log says tx=kernel rx=kernel for every request" \
		'tail -n +$((log_before + 1)) "$TMP/access.log" >"$TMP/load.log"
		 [ "$(grep -c "\"GET /16384.bin HTTP/1.1\" 200 16384 tx=kernel rx=kernel cert=.CN=localhost.$" "$TMP/load.log")" = $((CONNS * 2)) ] &&
		 [ "$(wc -l <"$TMP/load.log")" = $((CONNS * 2)) ]' "$TMP/load.log"
fi

# --- slow and silent peers --------------------------------------------------------------------
start_server P4 silent --handshake-timeout 2 || bail "ktls-server --handshake-timeout 2 did not start"
exec 5<>"/dev/tcp/127.0.0.1/$P4" 6<>"/dev/tcp/127.0.0.1/$P4" 7<>"/dev/tcp/127.0.0.1/$P4"
t=$(date +%s)
check "while 3 peers sit silent, others are served" \
	'[ "$(curl -sS --max-time 20 --cacert "$C/ca.pem" --resolve "localhost:$P4:127.0.0.1" \
		"https://localhost:$P4/a.txt")" = hello ]'
cut_ok=1
for fd in 5 6 7; do
	timeout 10 cat <&$fd >/dev/null || cut_ok=0
done
el=$(($(date +%s) - t))
# (each cat is bounded: a peer still open after 10 s fails the check, whatever the load)
check "silent peers are cut after --handshake-timeout 2 (all 3 gone after ${el} s)" \
	'[ $cut_ok = 1 ]'
exec 5<&- 6<&- 7<&-
kill -TERM "$P4_PID"
wait "$P4_PID"

start_server P2 small --max-connections 2 --idle-timeout 300 --handshake-timeout 5 ||
	bail "second ktls-server did not start"
# their stdin stays open for 60 s: they end when the server ends them
idle_client idle1 "$P2" 60
i1=$IDLE_PID
idle_client idle2 "$P2" 60
i2=$IDLE_PID
# both must have finished their handshakes: an unfinished one would make way for the third
wait_handshake idle1 "$i1"
wait_handshake idle2 "$i2"
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" --resolve "localhost:$P2:127.0.0.1" \
	-o /dev/null -w '%{http_code}' "https://localhost:$P2/a.txt" 2>"$TMP/max.err")
check "--max-connections 2, both established: a third connection is closed at once (curl: $code)" \
	'[ "$code" = 000 ]' "$TMP/max.err"
kill -TERM "$P2_PID"
wait "$P2_PID"
check "the second server stops with exit 0 on SIGTERM" '[ $? = 0 ]' "$TMP/small.err"
wait "$i1"
wait "$i2"

start_server P5 idlesrv --idle-timeout 1 || bail "the --idle-timeout 1 ktls-server did not start"
t=$(date +%s)
idle_client idle3 "$P5" 60
i3=$IDLE_PID
idle_client idle4 "$P5" 60
i4=$IDLE_PID
wait "$i3"
r1=$?
wait "$i4"
r2=$?
el=$(($(date +%s) - t))
check "--idle-timeout 1: idle connections get close_notify (clients ended cleanly after ${el} s, long before their input ends at 60 s)" \
	'[ $r1 = 0 ] && [ $r2 = 0 ] && [ $el -lt 60 ]' "$TMP/idle3.err" "$TMP/idle4.err"
kill -TERM "$P5_PID"
wait "$P5_PID"

# --- memory per idle connection ---------------------------------------------------------------
# Bounds far above need: in the microVM on a loaded host 1,000 handshakes at once took longer
# than the server's default 10 s handshake deadline and the client's default 60 s in all.
start_server P3 mem --idle-timeout 300 --handshake-timeout 300 || bail "third ktls-server did not start"
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
curl -sS --cacert "$C/ca.pem" --resolve "localhost:$P3:127.0.0.1" -o /dev/null "https://localhost:$P3/one.bin"
rss0=$(rss "$P3_PID")
"${KC[@]}" --get /one.bin --concurrency "$CONNS" --requests "$CONNS" --hold 3 --timeout 600 \
	"127.0.0.1:$P3" >"$TMP/mem.out" 2>"$TMP/mem.err" &
mpid=$!
PIDS+=("$mpid")
for i in $(seq 6000); do
	grep -q holding "$TMP/mem.err" && break
	kill -0 "$mpid" 2>/dev/null || break
	sleep 0.1
done
sleep 1 # the server finishes the last handshakes and answers
rss1=$(rss "$P3_PID")
wait "$mpid"
rc=$?
per=$(awk -v a="$rss0" -v b="$rss1" -v n="$CONNS" 'BEGIN { printf "%.1f", (b - a) * 1024 / n / 1024 }')
echo "# memory ($MODE): server VmRSS ${rss0} kB before, ${rss1} kB with $CONNS idle connections" \
	"after a request each: ${per} KiB per connection"
check "$CONNS idle connections held (userspace memory: ${per} KiB each, $MODE mode)" \
	'[ $rc = 0 ] && grep -q "holding $CONNS connections" "$TMP/mem.err" && [ -n "$rss1" ]' \
	"$TMP/mem.out" "$TMP/mem.err"
kill -TERM "$P3_PID"
wait "$P3_PID"

# --- SIGTERM in the middle of a big download ----------------------------------------------------
idle_client idle "$P" 20
ipid=$IDLE_PID
for i in $(seq 300); do # until it is connected: SIGTERM must find it there, not refuse it
	grep -q "^ktls-client: TLSv1.3" "$TMP/idle.err" 2>/dev/null && break
	kill -0 "$ipid" 2>/dev/null || break
	sleep 0.1
done
rate=$((BIG_MB * 1048576 / 3))
"${CURL[@]}" --limit-rate "$rate" -o "$TMP/term.big" "$URL/big.bin" 2>"$TMP/term.err" &
cpid=$!
PIDS+=("$cpid")
for i in $(seq 600); do # until the body is flowing (the handshake is slow in the VM)
	[ "$(stat -c %s "$TMP/term.big" 2>/dev/null || echo 0)" -gt 1048576 ] && break
	sleep 0.1
done
echo "# SIGTERM with $(stat -c %s "$TMP/term.big" 2>/dev/null || echo 0) bytes downloaded"
kill -TERM "$P_PID"
t=$(date +%s)
wait "$P_PID"
src=$?
wait "$ipid"
irc=$?
wait "$cpid"
crc=$?
el=$(($(date +%s) - t))
check "SIGTERM during a $BIG_MB MiB download: the server exits 0 (after ${el} s)" \
	'[ $src = 0 ] && grep -q "stopped cleanly" "$TMP/main.err"' "$TMP/main.err"
check "... the download in flight was finished, SHA-256 matches" \
	'[ $crc = 0 ] && [ "$(sha "$TMP/term.big")" = "$(sha "$ROOT/big.bin")" ]' "$TMP/term.err"
check "... and an idle connection got close_notify (its client ended cleanly)" \
	'[ $irc = 0 ]' "$TMP/idle.err"

if [ $MODE = kernel ]; then
	check "the access log has no request served by userspace TLS" \
		'! grep -q "userspace" "$TMP/access.log"' "$TMP/access.log"
fi
echo "# $MODE mode, $(($(date +%s) - T0)) s"
echo "1..$N"
exit $((FAILS > 0))
