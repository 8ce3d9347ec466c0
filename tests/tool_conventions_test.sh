#!/bin/bash
# tool_conventions_test.sh — what every tool does the same way (issue 13, items 10 and 11):
# --version names the library, OpenSSL and libsodium versions and whether this kernel has
# kernel TLS; an unknown option is one line on stderr and exit 2; --trace arrows point as in
# `openssl s_client -msg` (>>> sent, <<< received); ktls-client gives up connecting after
# --connect-timeout, and --get after --timeout, with "timed out after N s" and exit 3.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tools=(ktls-client ktls-server ktls-check ktls-diag)
tap_plan $((2 * ${#tools[@]} + 4))
version=$(sed -n 's/^#define KTLS_VERSION_STRING "\(.*\)"$/\1/p' lib/include/ktls.h)

for t in "${tools[@]}"; do
	out=$(timeout 20 "$B/bin/$t" --version 2>&1)
	rc=$?
	if [[ $rc == 0 ]] && grep -qx "$t $version" <<<"$out" && grep -qx "libktls $version" <<<"$out" &&
		grep -q "^OpenSSL [0-9]" <<<"$out" && grep -q "^libsodium [0-9]" <<<"$out" &&
		grep -Eq "^kernel TLS: (yes|no) \(Linux " <<<"$out"; then
		ok "$t --version: library, OpenSSL, libsodium, kernel TLS"
	else
		not_ok "$t --version: library, OpenSSL, libsodium, kernel TLS" "rc=$rc"$'\n'"$out"
	fi
	err=$(timeout 20 "$B/bin/$t" --foo 2>&1 >"$work/stdout")
	rc=$?
	if [[ $rc == 2 && $err == "$t: unknown option '--foo' (see --help)" && ! -s $work/stdout ]]; then
		ok "$t --foo: one usage line, exit 2"
	else
		not_ok "$t --foo: one usage line, exit 2" "rc=$rc"$'\n'"$err"
	fi
done

# --trace: our ClientHello goes out (>>>), the ServerHello comes in (<<<)
p=$(port)
"$B/bin/ktls-server" --bind 127.0.0.1 --port "$p" --cert "$C/server-ecdsa.pem" \
	--key "$C/server-ecdsa.key" --echo 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/server.log" 2>/dev/null && break; sleep 0.1; done
out=$(echo hi | timeout 20 "$B/bin/ktls-client" --trace --ca "$C/ca.pem" --servername localhost \
	"127.0.0.1:$p" 2>&1)
if grep -q "^>>> client_hello" <<<"$out" && grep -q "^<<< server_hello" <<<"$out" &&
	! grep -q "^<<< client_hello" <<<"$out"; then
	ok "--trace: >>> for what we send, <<< for what we receive"
else
	not_ok "--trace: >>> for what we send, <<< for what we receive" "$(grep -E '^(<<<|>>>)' <<<"$out")"
fi

# A listener that never accepts, its queue (backlog 0: one connection) already full: the
# kernel drops further SYNs, so a connect waits as for a black-holed address. A second
# listener accepts and never answers.
cat >"$work/listeners.py" <<'PY'
import socket, sys, time
full = socket.socket(); full.bind(("127.0.0.1", 0)); full.listen(0)
fillers = []
for _ in range(2):
    f = socket.socket(); f.setblocking(False)
    try: f.connect(full.getsockname())
    except BlockingIOError: pass
    fillers.append(f)
silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(8)
with open(sys.argv[1] + ".tmp", "w") as o:
    o.write("%d %d\n" % (full.getsockname()[1], silent.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = silent.accept(); held.append(c)
PY
python3 "$work/listeners.py" "$work/ports" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/ports ]] && break; sleep 0.1; done
read -r full silent <"$work/ports"

# times_out NAME PATTERN ARGS...: ktls-client ARGS ends with exit 3 and a line matching PATTERN
times_out() {
	local name=$1 pattern=$2
	shift 2
	err=$(timeout 30 "$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost "$@" \
		</dev/null 2>&1 >/dev/null)
	rc=$?
	if [[ $rc == 3 ]] && grep -q "$pattern" <<<"$err"; then ok "$name"; else not_ok "$name" "rc=$rc"$'\n'"$err"; fi
}
times_out "--connect-timeout 1 against a full backlog: timed out after 1 s, exit 3" \
	"^ktls-client: cannot connect to 127.0.0.1 port $full: timed out after 1 s$" \
	--connect-timeout 1 "127.0.0.1:$full"
times_out "--get --timeout 1 against a silent server: timed out after 1 s, exit 3" \
	"^ktls-client: timed out after 1 s$" --get / --timeout 1 "127.0.0.1:$silent"
times_out "--get --timeout 1 bounds the connect too" "timed out after 1 s" \
	--get / --timeout 1 "127.0.0.1:$full"
tap_exit
