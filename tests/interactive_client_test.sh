#!/bin/bash
# interactive_client_test.sh — ktls-client used interactively (issue 13, item 1): input that
# arrives only after the handshake, and after the server's NewSessionTickets have been read,
# must still reach the server, and its answer stdout. Before the fix the relay sat in a
# blocking ktls_recv that had consumed the tickets and waited for data the server never sends
# unasked, so stdin was never read again. Peers: ktls-server --echo, openssl s_server -rev,
# gnutls-serv --echo. The client runs with --trace so that we see when it kept a ticket;
# only then does the input go in (a FIFO), and every wait is for an event, bounded.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 6

# interactive NAME PORT EXPECT: runs the client against 127.0.0.1:PORT; the line "hello"
# goes in after the first ticket was kept, EXPECT must come back; then stdin ends.
interactive() {
	local name=$1 p=$2 expect=$3 fifo="$work/in-$2" out="$work/out-$2" err="$work/err-$2"
	mkfifo "$fifo"
	timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --trace \
		"127.0.0.1:$p" <"$fifo" >"$out" 2>"$err" &
	local cpid=$!
	pids+=($cpid)
	exec {w}>"$fifo" # the writing end stays open: no EOF until we close it
	if ! wait_for "$err" "kept a session ticket"; then
		exec {w}>&-
		not_ok "$name: the client keeps the server's ticket" "$(tail -n 20 "$err")"
		not_ok "$name: input after the tickets gets an answer"
		return
	fi
	ok "$name: the client keeps the server's ticket"
	echo hello >&"$w"
	if wait_for "$out" "$expect"; then
		ok "$name: input after the tickets gets an answer"
	else
		not_ok "$name: input after the tickets gets an answer" \
			"stdout: $(cat "$out")"$'\n'"stderr: $(grep -v '^    ' "$err" | tail -n 20)"
	fi
	exec {w}>&-
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}

# ready FILE PATTERN PID: the server said PATTERN (it listens), or it died
ready() { wait_for "$1" "$2" || { echo "# server never became ready: $(cat "$1")"; kill "$3"; }; }

p=$(port)
"$B/bin/ktls-server" --bind 127.0.0.1 --port "$p" --cert "$C/server-ecdsa.pem" \
	--key "$C/server-ecdsa.key" --echo 2>"$work/ktls-server.log" &
pids+=($!)
ready "$work/ktls-server.log" listening $!
interactive "ktls-server --echo" "$p" "^hello$"

p=$(port)
openssl s_server -accept "$p" -naccept 1 -tls1_3 -cert "$C/server-ecdsa.pem" \
	-key "$C/server-ecdsa.key" -rev >"$work/s_server.log" 2>&1 </dev/null &
pids+=($!)
ready "$work/s_server.log" ACCEPT $!
interactive "openssl s_server -rev" "$p" "^olleh$"

p=$(port)
gnutls-serv --echo -p "$p" --x509certfile "$C/server-ecdsa.pem" \
	--x509keyfile "$C/server-ecdsa.key" >"$work/gnutls-serv.log" 2>&1 </dev/null &
pids+=($!)
ready "$work/gnutls-serv.log" "listening" $!
interactive "gnutls-serv --echo" "$p" "^hello$"
tap_exit
