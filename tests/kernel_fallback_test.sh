#!/bin/bash
# kernel_fallback_test.sh — a kernel that cannot do TLS: the tls module unloaded and module
# autoloading off, in the microVM. ktls-check must say no, a client and server must fall back
# to the userspace record layer, say why, and still carry data; --require-offload must fail.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${KTLS_BUILD:-build}
C=${KTLS_CERTS:-$build/certs}

echo "TAP version 13"
echo "1..6"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' <<<"$2"; }
check() { if grep -qF -- "$2" <<<"$out"; then ok "$1"; else not_ok "$1" "$out"; fi; }

out=$(tools/ktls-vm -- sh -c '
	rmmod tls || exit 99
	echo /bin/false >/proc/sys/kernel/modprobe   # no autoload of tcp-ulp-tls either
	echo "== check"; ktls-check >/dev/null; echo "check-exit=$?"; ktls-check | grep "^tls ULP"
	echo "== fallback"
	ktls-server --port 4433 --cert '"$C"'/server-ecdsa.pem --key '"$C"'/server-ecdsa.key --echo --once 2>/tmp/s.log &
	sleep 0.5
	echo "userspace after all" | ktls-client --ca '"$C"'/ca.pem localhost:4433 2>/tmp/c.log
	echo "client-exit=$?"; wait; cat /tmp/c.log /tmp/s.log
	echo "== required"
	ktls-server --port 4434 --cert '"$C"'/server-ecdsa.pem --key '"$C"'/server-ecdsa.key --echo --once 2>/dev/null &
	sleep 0.5
	echo x | ktls-client --require-offload --ca '"$C"'/ca.pem localhost:4434; echo "required-exit=$?"
	wait
' 2>&1)
rc=$?
if ((rc != 0)); then
	not_ok "the VM ran the scenario (exit $rc)" "$out"
else
	ok "the VM ran the scenario without the tls module"
fi
check "ktls-check exits 1 without kTLS" "check-exit=1"
check "ktls-check names the missing ULP" "tls ULP:            no — the kernel has no tls ULP"
check "data still flows over the userspace record layer" "userspace after all"
check "the client says why it fell back" "record layer: tx userspace, rx userspace — the kernel has no tls ULP"
check "--require-offload fails with the reason" "kernel TLS required but unavailable: the kernel has no tls ULP"
exit $((fails > 0))
