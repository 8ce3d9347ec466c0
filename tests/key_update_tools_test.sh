#!/bin/bash
# key_update_tools_test.sh — KeyUpdates the tools initiate (issue 16, item 3): the
# interactive client's "k" and "K" lines (as openssl s_client reads them, but only a line that
# is exactly the letter), and the --key-update policy of ktls-client and ktls-server. Peers
# that are not ours tell what arrived: openssl s_server -msg prints each KeyUpdate it reads
# and sends. Every wait is for an event, bounded. (On this host the record layer is the
# userspace one; tests/kernel/ktls_test.c covers kernel TX.)
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 9

count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# 1-4: "k" and "K" lines to openssl s_server -rev, which reverses each line it reads
p=$(port)
openssl s_server -accept "$p" -naccept 1 -tls1_3 -cert "$C/server-ecdsa.pem" \
	-key "$C/server-ecdsa.key" -rev -msg >"$work/s_server.log" 2>&1 </dev/null &
pids+=($!)
wait_for "$work/s_server.log" ACCEPT || echo "# s_server never became ready"
fifo=$work/in
mkfifo "$fifo"
timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --trace \
	"127.0.0.1:$p" <"$fifo" >"$work/out" 2>"$work/err" &
cpid=$!
pids+=($cpid)
exec {w}>"$fifo"
wait_for "$work/err" "kept a session ticket" || echo "# no ticket: $(tail -n 5 "$work/err")"
printf 'hello\nk\n' >&"$w"
wait_for "$work/s_server.log" "KeyUpdate" && wait_for "$work/out" "^olleh$"
printf 'K\nkitten\nk \nworld\n' >&"$w"
if wait_for "$work/out" "^dlrow$"; then
	ok "data around the k and K lines arrives"
else
	not_ok "data around the k and K lines arrives" "$(cat "$work/out")"
fi
# s_server -msg: "<<< TLS 1.3, Handshake [length 0005], KeyUpdate" for each it read, ">>>" for
# its answer to K (update_requested)
got=$(grep -c '^<<< .*KeyUpdate' "$work/s_server.log")
sent=$(grep -c '^>>> .*KeyUpdate' "$work/s_server.log")
if [[ $got == 2 && $sent == 1 ]]; then
	ok "k and K are KeyUpdates: the server read 2 and answered K's request once"
else
	not_ok "k and K are KeyUpdates: the server read 2 and answered K's request once" \
		"read $got, sent $sent: $(grep KeyUpdate "$work/s_server.log")"
fi
# a line that only starts with k ("kitten", "k ") is data; "k" itself never reached the peer
if grep -qx 'nettik' "$work/out" && grep -qx ' k' "$work/out" && ! grep -qx '[kK]' "$work/out"; then
	ok "only a line that is exactly k or K is a command"
else
	not_ok "only a line that is exactly k or K is a command" "$(cat "$work/out")"
fi
if grep -q '^KEYUPDATE$' "$work/err" && grep -q '^KEYUPDATE (update_requested)$' "$work/err"; then
	ok "the client says KEYUPDATE, as s_client does"
else
	not_ok "the client says KEYUPDATE, as s_client does" "$(grep -v '^    ' "$work/err" | tail)"
fi
exec {w}>&-
wait "$cpid" 2>/dev/null

# 5-6: ktls-client --key-update 64K sending 1 MiB to s_server -rev: a KeyUpdate every 64 KiB
head -c $((1 << 20)) /dev/urandom | base64 -w 100 >"$work/mib"
p=$(port)
openssl s_server -accept "$p" -naccept 1 -tls1_3 -cert "$C/server-ecdsa.pem" \
	-key "$C/server-ecdsa.key" -rev -msg >"$work/s_server2.log" 2>&1 </dev/null &
spid=$!
pids+=($spid)
wait_for "$work/s_server2.log" ACCEPT || echo "# s_server never became ready"
timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --key-update 64K \
	"127.0.0.1:$p" <"$work/mib" >"$work/out2" 2>"$work/err2"
rc=$?
wait "$spid" 2>/dev/null
got=$(grep -c '^<<< .*KeyUpdate' "$work/s_server2.log")
size=$(stat -c %s "$work/mib")
if ((rc == 0 && got >= size / 65536 - 1 && got <= size / 65536 + 1)); then
	ok "ktls-client --key-update 64K: $got KeyUpdates for $size bytes"
else
	not_ok "ktls-client --key-update 64K: about $((size / 65536)) KeyUpdates for $size bytes" \
		"rc $rc, $got KeyUpdates; $(tail -n 3 "$work/err2")"
fi
# s_server -rev reverses what each read gave it (a line may come in two), so compare what
# came back as a multiset of bytes, newlines aside
same_bytes() {
	python3 -c 'import sys
a, b = (sorted(open(f, "rb").read().replace(b"\n", b"")) for f in sys.argv[1:3])
sys.exit(a != b)' "$1" "$2"
}
if same_bytes "$work/mib" "$work/out2"; then
	ok "every byte went through and came back"
else
	not_ok "every byte went through and came back" "$(wc -c <"$work/out2") bytes back"
fi

# 7-8: ktls-server --echo --key-update 64K: our client sees the server's KeyUpdates (its
# --trace says so) and gets every byte back
p=$(port)
"$B/bin/ktls-server" --bind 127.0.0.1 --port "$p" --cert "$C/server-ecdsa.pem" \
	--key "$C/server-ecdsa.key" --echo --once --key-update 64K 2>"$work/ks.log" &
pids+=($!)
wait_for "$work/ks.log" listening || echo "# ktls-server never became ready"
timeout 60 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --trace --no-commands \
	"127.0.0.1:$p" <"$work/mib" >"$work/echo" 2>"$work/err3"
if cmp -s "$work/mib" "$work/echo"; then
	ok "ktls-server --echo --key-update 64K: every byte echoed"
else
	not_ok "ktls-server --echo --key-update 64K: every byte echoed" "$(tail -n 3 "$work/err3")"
fi
got=$(grep -c 'KeyUpdate from peer' "$work/err3")
if ((got >= size / 65536 - 1)); then
	ok "the server updated its key $got times"
else
	not_ok "the server updated its key about $((size / 65536)) times" "$got"
fi

# 9: the syntax
bad=""
for arg in 30 1x 0s -5s 1.5G 9999999999999G "" 1GB; do
	if "$B/bin/ktls-client" --key-update "$arg" 127.0.0.1:1 </dev/null >/dev/null 2>&1; [[ $? != 2 ]]; then
		bad+=" '$arg'"
	fi
done
if [[ -z $bad ]] && "$B/bin/ktls-client" --help | grep -q -- '--key-update WHEN' &&
	"$B/bin/ktls-server" --help | grep -q -- '--key-update WHEN'; then
	ok "--key-update refuses a number without its unit (exit 2), and --help tells"
else
	not_ok "--key-update refuses a number without its unit (exit 2), and --help tells" "$bad"
fi
tap_exit
