#!/bin/bash
# examples_test.sh — the programs under examples/, built against the staged `make install`
# through pkg-config (as a user builds them), work against a real peer: the client fetches a
# page from `openssl s_server -www` and stops with exit 1 after a handshake that fails (a
# certificate from a CA it does not trust); the epoll server sends a file that
# `openssl s_client` receives whole.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 4
for b in client server; do
	[[ -x $B/examples/$b ]] || { not_ok "$B/examples/$b is built (make examples)"; tap_exit; }
done
listening() { ss -Hltn "sport = :$1" | grep -q .; }
wait_listen() { for _ in $(seq 300); do listening "$1" && return 0; sleep 0.1; done; return 1; }

p=$(port)
openssl s_server -accept "127.0.0.1:$p" -cert "$C/server-ecdsa.pem" -key "$C/server-ecdsa.key" \
	-www -naccept 2 </dev/null >"$work/s_server.log" 2>&1 &
pids+=($!)
wait_listen "$p"
out=$(timeout 60 "$B/examples/client" localhost "$p" "$C/ca.pem" 2>"$work/client.err")
rc=$?
if [[ $rc == 0 ]] && grep -q "^HTTP/1.0 200 ok" <<<"$out"; then
	ok "examples/client fetches a page from openssl s_server -www"
else
	not_ok "examples/client fetches a page (rc $rc)" "$(cat "$work/client.err"; echo "$out" | head -5)"
fi
# the test CA is not the system store: the handshake must fail, and the client stop there
out=$(timeout 60 "$B/examples/client" localhost "$p" 2>"$work/client2.err")
rc=$?
if [[ $rc == 1 ]] && grep -q "handshake failed: .*unknown CA" "$work/client2.err" && [[ -z $out ]]; then
	ok "examples/client stops with exit 1 after a failed handshake, saying why"
else
	not_ok "examples/client after a failed handshake (rc $rc)" "$(cat "$work/client2.err")"
fi

head -c 300000 /dev/urandom >"$work/file"
p=$(port)
"$B/examples/server" "$p" "$C/server-ecdsa.pem" "$C/server-ecdsa.key" "$work/file" \
	2>"$work/server.err" &
pids+=($!)
wait_listen "$p"
timeout 60 openssl s_client -connect "127.0.0.1:$p" -quiet -CAfile "$C/ca.pem" \
	-verify_return_error </dev/null >"$work/copy" 2>"$work/s_client.err"
if cmp -s "$work/file" "$work/copy"; then
	ok "examples/server sends a 300,000-byte file that openssl s_client receives whole"
else
	not_ok "examples/server's file arrives whole ($(stat -c %s "$work/copy") bytes)" \
		"$(cat "$work/server.err" "$work/s_client.err")"
fi
grep -q "listening on port $p" "$work/server.err" && ok "... it says where it listens" ||
	not_ok "examples/server says where it listens" "$(cat "$work/server.err")"
tap_exit
