#!/bin/bash
# resume_tools_test.sh — resumption with the tools, across server processes: ktls-client
# --sess-out saves a ticket, --sess-in resumes it against another ktls-server that shares
# the ticket key file; a server with another key runs a full handshake instead.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 7
serve() { # serve PORT KEYFILE: an echo server, in the background
	"$B/bin/ktls-server" --bind 127.0.0.1 --port "$1" --cert "$C/server-ecdsa.pem" \
		--key "$C/server-ecdsa.key" --echo --ticket-key-file "$2" 2>"$work/server-$1.log" &
	pids+=($!)
	for _ in $(seq 50); do grep -q listening "$work/server-$1.log" 2>/dev/null && return; sleep 0.1; done
}

head -c 64 /dev/urandom >"$work/keys"
head -c 32 /dev/urandom >"$work/other-keys"
p1=$(port); serve "$p1" "$work/keys"
p2=$(port); serve "$p2" "$work/keys"
p3=$(port); serve "$p3" "$work/other-keys"

out=$(echo first | timeout 20 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost \
	--sess-out "$work/sess" "127.0.0.1:$p1" 2>&1)
if [[ $? == 0 && -s $work/sess ]]; then ok "--sess-out saves the server's ticket"; else not_ok "--sess-out saves the server's ticket" "$out"; fi
[[ $(stat -c %a "$work/sess") == 600 ]] && ok "the session file is mode 600 (it holds the PSK)" || not_ok "session file mode" "$(stat -c %a "$work/sess")"
grep -q "resumed" <<<"$out" && not_ok "the first connection is a full handshake" "$out" || ok "the first connection is a full handshake"

out=$(echo second | timeout 20 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost \
	--sess-in "$work/sess" "127.0.0.1:$p2" 2>&1)
grep -q "session resumed from a ticket" <<<"$out" && ok "--sess-in resumes against another server sharing the key file" || not_ok "--sess-in resumes" "$out"
grep -q "^second$" <<<"$out" && ok "data flows on the resumed session" || not_ok "data on the resumed session" "$out"

out=$(echo third | timeout 20 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost \
	--sess-in "$work/sess" "127.0.0.1:$p3" 2>&1)
if [[ $? == 0 ]] && ! grep -q resumed <<<"$out" && grep -q "peer=CN=localhost" <<<"$out"; then
	ok "a server with another ticket key runs a full handshake instead"
else
	not_ok "a server with another ticket key runs a full handshake" "$out"
fi

printf 'not a session' >"$work/bad"
out=$(echo x | timeout 20 "$B/bin/ktls-client" --ca "$C/ca.pem" --sess-in "$work/bad" "127.0.0.1:$p1" 2>&1)
[[ $? == 2 ]] && grep -q "is not a saved session" <<<"$out" && ok "a file that is not a session is a usage error" || not_ok "bad session file" "$out"
tap_exit
