#!/bin/bash
# get_tools_test.sh — ktls-client --get against a scripted HTTPS server (openssl s_server
# sending a canned response): a body without Content-Length is complete only at
# close_notify (RFC 8446 §6.1) — a TCP close before it is a truncation and fails; and text
# from the peer (the status line) is printed with control characters escaped.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 5

# serve NAME RESPONSE-FILE HOLD: s_server sends the file to the first client; with HOLD it
# then stays (its stdin open) until killed, else it ends the connection with close_notify.
serve() {
	local p
	p=$(port)
	if [[ $3 == hold ]]; then
		# its input: the response, then nothing until the writer is killed (the writer's
		# pid is kept, so that no sleep outlives the test and holds prove's pipes)
		mkfifo "$work/$1.in"
		{ cat "$2"; exec sleep 60; } >"$work/$1.in" 2>/dev/null </dev/null &
		pids+=($!)
		openssl s_server -accept "127.0.0.1:$p" -naccept 1 -cert "$C/server-ecdsa.pem" \
			-key "$C/server-ecdsa.key" -quiet <"$work/$1.in" >"$work/$1.srv" 2>&1 &
	else
		openssl s_server -accept "127.0.0.1:$p" -naccept 1 -cert "$C/server-ecdsa.pem" \
			-key "$C/server-ecdsa.key" -quiet <"$2" >"$work/$1.srv" 2>&1 &
	fi
	SRV_PID=$!
	pids+=("$SRV_PID")
	for _ in $(seq 300); do # until it listens (without connecting: it takes one client)
		ss -Hltn "sport = :$p" | grep -q . && break
		sleep 0.1
	done
	SRV_PORT=$p
}
get() { # get NAME: ktls-client --get / into $work/NAME.out, stderr in NAME.err, in the background
	timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost \
		"127.0.0.1:$SRV_PORT" --get / -o "$work/$1.out" 2>"$work/$1.err" &
	GET_PID=$!
}

printf 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello body' >"$work/nolen"

# 1. the body ends with close_notify: complete
serve cn "$work/nolen" eof
get cn
wait "$GET_PID"
rc=$?
[[ $rc == 0 && $(cat "$work/cn.out") == "hello body" ]] && ok "a body without Content-Length ends at close_notify" ||
	not_ok "a body without Content-Length ends at close_notify (rc $rc)" "$(cat "$work/cn.err")"

# 2. the server's process dies after the body: TCP closes, no close_notify
serve trunc "$work/nolen" hold
get trunc
for _ in $(seq 300); do [[ -s $work/trunc.out ]] && break; sleep 0.1; done # the body arrived
kill -9 "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
wait "$GET_PID"
rc=$?
if [[ $rc == 1 ]] && grep -q "closed without close_notify after 10 body bytes: the body may be truncated" "$work/trunc.err"; then
	ok "a body cut by a TCP close without close_notify fails (exit 1)"
else
	not_ok "a truncated body fails (rc $rc)" "$(cat "$work/trunc.err")"
fi

# 3. a status line with an escape sequence and a forged second line
printf 'HTTP/1.1 404 \033[31mNot Found\rktls-client: HTTP 200\r\nContent-Length: 0\r\n\r\n' >"$work/esc"
serve esc "$work/esc" eof
get esc
wait "$GET_PID"
rc=$?
if [[ $rc != 0 ]] && grep -qF 'ktls-client: HTTP/1.1 404 \x1b[31mNot Found\x0dktls-client: HTTP 200' "$work/esc.err" &&
	! grep -q $'\033' "$work/esc.err"; then
	ok "the peer's status line is printed with control characters escaped"
else
	not_ok "escaped status line (rc $rc)" "$(cat -v "$work/esc.err")"
fi
# 4. and nothing from it reaches the terminal raw
[[ $(grep -c $'\r' "$work/esc.err") == 0 ]] && ok "no raw carriage return from the peer in our output" ||
	not_ok "raw CR in our output" "$(cat -v "$work/esc.err")"

# 5. the load generator with a response head larger than its first buffer (1 KiB)
{
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'
	for i in $(seq 50); do printf 'X-Pad-%02d: %0100d\r\n' "$i" 0; done
	printf '\r\nhello'
} >"$work/bighead"
# a server that answers only once the request has come (s_server would send it at once)
SRV_PORT=$(port)
python3 - "$SRV_PORT" "$C/server-ecdsa.pem" "$C/server-ecdsa.key" "$work/bighead" <<'PY' &
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
ls = socket.create_server(("127.0.0.1", int(sys.argv[1])))
ls.settimeout(60)
c = ctx.wrap_socket(ls.accept()[0], server_side=True)
req = b""
while b"\r\n\r\n" not in req:
    req += c.recv(4096)
c.sendall(open(sys.argv[4], "rb").read())
c.recv(4096)  # until the client closes
PY
pids+=($!)
for _ in $(seq 300); do ss -Hltn "sport = :$SRV_PORT" | grep -q . && break; sleep 0.1; done
timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --get / --concurrency 1 \
	--requests 1 --expect-sha256 "$(printf hello | sha256sum | cut -d' ' -f1)" \
	"127.0.0.1:$SRV_PORT" >"$work/big.out" 2>"$work/big.err"
rc=$?
if [[ $rc == 0 ]] && grep -q " ok=1 errors=0 bytes=5 " "$work/big.out"; then
	ok "the load generator takes a $(stat -c %s "$work/bighead")-byte response whole (its buffer grows past 1 KiB)"
else
	not_ok "a response head over 1 KiB in the load generator (rc $rc)" "$(cat "$work/big.out" "$work/big.err")"
fi
tap_exit
