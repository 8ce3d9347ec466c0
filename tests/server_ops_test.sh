#!/usr/bin/env bash
# server_ops_test.sh — ktls-server as an operator meets it (issue 13, items 3-6 and 9; TAP,
# this host only: tests/www_test.sh is the part that also runs in the microVM).
#
#   - ports: --port 99999 / abc and the client's HOST:abc are usage errors (exit 2, one
#     line); --port 0 prints the port it got, in the relay mode as with --www;
#   - dual-stack by default: clients reach a server started without --bind over [::1] and
#     127.0.0.1 (relay mode and --www); --bind still picks one address;
#   - ALPN: --www --alpn h2,... is refused; curl --http2 gets HTTP/1.1;
#   - failed handshakes are logged with the peer and the reason: plain HTTP on the TLS
#     port (answered with a plaintext 400, as nginx does), a client that does not trust
#     our CA (unknown_ca); a flood of them is rate-limited with a count of what was left out;
#   - SIGHUP reloads certificates in every worker: new connections get the new one, an
#     established connection goes on; a broken file keeps the previous certificate.
# Every wait is on an event (a log line, a process exit), bounded.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
SERVER=$B/bin/ktls-server
CLIENT=$B/bin/ktls-client
KC=("$CLIENT" --ca "$C/ca.pem" --servername localhost --timeout 30)
trap '' PIPE # a write to a client that is gone fails its test, not the script
tap_plan 22

for f in "$SERVER" "$CLIENT" "$C/ca.pem" "$C/server-ecdsa.pem"; do
	[ -e "$f" ] || { echo "Bail out! $f is missing (make all certs)"; exit 1; }
done
have_v6=0
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null && have_v6=1
mkdir -p "$work/root"
echo hello >"$work/root/a.txt"

# wait_for CMD...: until it succeeds, at most 60 s
wait_for() { local i; for i in $(seq 600); do "$@" && return 0; sleep 0.1; done; return 1; }
# expect NAME CONDITION [FILE]: one test; FILE's tail is the diagnostic when it fails
expect() { if eval "$2"; then ok "$1"; else not_ok "$1" "$(tail -n 20 "${3:-/dev/null}")"; fi; }
# serve NAME ARGS...: ktls-server in the background until it says where it listens; its
# port in $P, its pid in $SPID, its stderr in $work/NAME.err
serve() {
	local name=$1
	shift
	"$SERVER" "$@" 2>"$work/$name.err" &
	SPID=$!
	pids+=("$SPID")
	wait_for grep -q "listening on" "$work/$name.err"
	P=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$work/$name.err" | head -1)
}
ED=(--cert "$C/server-ed25519.pem" --key "$C/server-ed25519.key")

# --- ports -----------------------------------------------------------------------------------
usage_error() { # usage_error WHAT-IN-MESSAGE CMD...: exit 2 and one line naming it
	local what=$1
	shift
	timeout 20 "$@" >"$work/usage.out" 2>"$work/usage.err" </dev/null # (a server that listens anyway is cut)
	[ $? = 2 ] && [ "$(wc -l <"$work/usage.err")" = 1 ] && grep -qF -- "$what" "$work/usage.err"
}
expect "--port 99999: usage error (exit 2), one line" \
	'usage_error 99999 "$SERVER" "${ED[@]}" --port 99999 --echo' "$work/usage.err"
expect "--port abc: usage error (exit 2), not a resolver error" \
	'usage_error abc "$SERVER" "${ED[@]}" --port abc --echo' "$work/usage.err"
expect "--www --port 0x10: usage error (exit 2)" \
	'usage_error 0x10 "$SERVER" "${ED[@]}" --port 0x10 --www "$work/root"' "$work/usage.err"
expect "ktls-client localhost:abc: usage error (exit 2)" \
	'usage_error localhost:abc "${KC[@]}" localhost:abc' "$work/usage.err"
expect "ktls-client localhost:65536: usage error (exit 2)" \
	'usage_error localhost:65536 "${KC[@]}" localhost:65536' "$work/usage.err"

# --- dual-stack by default, the real port printed --------------------------------------------
serve echo "${ED[@]}" --port 0 --echo
expect "--port 0 --echo prints the port it got ($P)" '[ -n "$P" ] && [ "$P" != 0 ]' "$work/echo.err"
out=$(echo v4 | "${KC[@]}" "127.0.0.1:$P" 2>"$work/kc4.err")
expect "a server without --bind answers on 127.0.0.1" '[ "$out" = v4 ]' "$work/kc4.err"
if [ $have_v6 = 1 ]; then
	out=$(echo v6 | "${KC[@]}" "[::1]:$P" 2>"$work/kc6.err")
	expect "... and on [::1] (one dual-stack socket)" '[ "$out" = v6 ]' "$work/kc6.err"
else
	ok "# SKIP no ::1 on this host"
fi
kill "$SPID"

serve www "${ED[@]}" --port 0 --www "$work/root"
CURL=(curl -sS --max-time 30 --cacert "$C/ca.pem")
expect "--www without --bind: curl over 127.0.0.1" \
	'[ "$("${CURL[@]}" --resolve "localhost:$P:127.0.0.1" "https://localhost:$P/a.txt" 2>&1)" = hello ]'
if [ $have_v6 = 1 ]; then
	expect "--www without --bind: curl over [::1]" \
		'[ "$("${CURL[@]}" --resolve "localhost:$P:[::1]" "https://localhost:$P/a.txt" 2>&1)" = hello ]'
else
	ok "# SKIP no ::1 on this host"
fi

# --- ALPN --------------------------------------------------------------------------------------
expect "--www --alpn h2,http/1.1: usage error naming h2" \
	'usage_error "h2" "$SERVER" "${ED[@]}" --port 0 --www "$work/root" --alpn h2,http/1.1' \
	"$work/usage.err"
v=$("${CURL[@]}" --http2 --resolve "localhost:$P:127.0.0.1" -o /dev/null -w '%{http_version}' \
	"https://localhost:$P/a.txt" 2>&1)
expect "curl --http2 against --www gets HTTP/1.1 ($v)" '[ "$v" = 1.1 ]'

# --- failed handshakes, logged -------------------------------------------------------------------
body=$(curl -sS --max-time 30 -o "$work/plain.body" -w '%{http_code} %{local_port}' \
	"http://127.0.0.1:$P/a.txt" 2>&1)
lport=${body#* }
expect "plain HTTP on the TLS port: a plaintext 400 saying so ($body)" \
	'[ "${body%% *}" = 400 ] && grep -q "plain HTTP sent to an HTTPS port" "$work/plain.body"'
expect "... and one log line naming the peer (127.0.0.1:$lport)" \
	'wait_for grep -q "handshake failed from 127.0.0.1:$lport: plain HTTP" "$work/www.err"' \
	"$work/www.err"
echo | "$CLIENT" --ca "$C/other-ca.pem" --servername localhost --timeout 30 "127.0.0.1:$P" \
	>/dev/null 2>"$work/unknown.err"
expect "a client that does not trust our CA: logged with the peer and unknown_ca" \
	'wait_for grep -qE "handshake failed from 127\.0\.0\.1:[0-9]+: .*unknown_ca" "$work/www.err"' \
	"$work/www.err"
kill "$SPID"

serve flood "${ED[@]}" --bind 127.0.0.1 --port 0 --www "$work/root"
for i in $(seq 200); do
	{ exec 3<>"/dev/tcp/127.0.0.1/$P" && printf 'GET / HTTP/1.0\r\n\r\n' >&3; } 2>/dev/null
	exec 3>&-
done
# every failure is either a line or counted in a "(N more ... not logged)" summary
counted() {
	local lines more
	lines=$(grep -c "handshake failed from" "$work/flood.err")
	more=$(sed -n 's/.*(\([0-9]*\) more failed handshakes not logged)$/\1/p' "$work/flood.err" |
		awk '{ n += $1 } END { print n + 0 }')
	[ $((lines + more)) -ge 200 ]
}
wait_for counted
lines=$(grep -c "handshake failed from" "$work/flood.err")
expect "200 plain HTTP requests: rate-limited to $lines lines, the rest counted" \
	'counted && [ "$lines" -lt 200 ] && grep -q "more failed handshakes not logged" "$work/flood.err"' \
	"$work/flood.err"
kill "$SPID"

# --- SIGHUP: reload -------------------------------------------------------------------------
cp "$C/server-ed25519.pem" "$work/cert.pem"
cp "$C/server-ed25519.key" "$work/cert.key"
# --tickets 0: the idle relay client below writes after its handshake (issue 13, item 1)
serve hup --cert "$work/cert.pem" --key "$work/cert.key" --port 0 --www "$work/root" \
	--workers 2 --tickets 0 --idle-timeout 300
sig() { echo | "${KC[@]}" "127.0.0.1:$P" 2>&1 >/dev/null | sed -n 's/^ktls-client: TLSv1.3 [^ ]* [^ ]* \([^ ]*\) .*/\1/p'; }
before=$(sig)
# an established connection that stays idle across the reload, then sends a request
mkfifo "$work/idle.fifo"
"${KC[@]}" "127.0.0.1:$P" <"$work/idle.fifo" >"$work/idle.out" 2>"$work/idle.err" &
ipid=$!
pids+=("$ipid")
exec 4>"$work/idle.fifo"
wait_for grep -q "^ktls-client: TLSv1.3" "$work/idle.err"
cp "$C/server-ecdsa.pem" "$work/cert.pem"
cp "$C/server-ecdsa.key" "$work/cert.key"
kill -HUP "$SPID"
# logged N PATTERN: the server's log holds N lines matching (once per worker)
logged() { [ "$(grep -c "$2" "$work/hup.err")" = "$1" ]; }
wait_for logged 2 "reloaded certificates from $work/cert.pem"
expect "SIGHUP: each of 2 workers logs that it reloaded" \
	'[ "$(grep -c "reloaded certificates from $work/cert.pem" "$work/hup.err")" = 2 ]' "$work/hup.err"
after=$(sig)
expect "a new connection gets the new certificate ($before, then $after)" \
	'[ "$before" = ed25519 ] && [ "$after" = ecdsa_secp256r1_sha256 ]' "$work/hup.err"
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&4
exec 4>&-
wait_for sh -c "! kill -0 $ipid 2>/dev/null" || kill "$ipid"
wait "$ipid"
irc=$?
expect "the connection established before the reload still works" \
	'[ $irc = 0 ] && grep -q "^hello" "$work/idle.out"' "$work/idle.err"
echo "not a certificate" >"$work/cert.pem"
kill -HUP "$SPID"
wait_for logged 2 "reload failed"
expect "a broken certificate file: 'reload failed' logged, keeping the previous ones" \
	'[ "$(grep -c "reload failed (keeping the previous certificates): " "$work/hup.err")" = 2 ]' \
	"$work/hup.err"
after2=$(sig)
expect "... new connections are still served with the previous certificate ($after2)" \
	'[ "$after2" = ecdsa_secp256r1_sha256 ]' "$work/hup.err"
kill "$SPID"
wait "$SPID"
expect "the server still stops cleanly (exit 0)" '[ $? = 0 ] && grep -q "stopped cleanly" "$work/hup.err"' \
	"$work/hup.err"
tap_exit
