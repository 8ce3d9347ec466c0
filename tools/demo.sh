#!/bin/sh
# demo.sh — kernel TLS you can watch (`make demo`).
#
# A TLS 1.3 handshake in userspace, then the keys go into the kernel: ktls-server sends a
# file with sendfile(2) straight from the page cache through kernel TLS, ktls-client
# receives it through kernel TLS, the SHA-256 on both ends must match, and the kernel's own
# view of both sockets (ktls-diag) and its counters (/proc/net/tls_stat) show it happened.
#
# Where the host kernel has no kTLS (or we are not root), the same script runs inside the
# microVM (tools/ktls-vm) that boots Debian's stock cloud kernel. Plain POSIX sh: in the VM
# it runs under busybox.
set -eu
cd "$(dirname "$0")/.."
B=${KTLS_BUILD:-build}
C=$B/certs
PORT=${DEMO_PORT:-4433}
SIZE_MB=${DEMO_SIZE_MB:-8}

if [ "${1:-}" != --here ]; then
	if [ "$(id -u)" = 0 ] && "$B/bin/ktls-check" >/dev/null 2>&1; then
		exec sh tools/demo.sh --here
	fi
	echo "demo: this kernel ($(uname -r)) has no kTLS here; running in a microVM that boots"
	echo "demo: Debian's stock cloud kernel (tools/ktls-vm, emulated: slow, but real kTLS)"
	exec tools/ktls-vm --pack tools/demo.sh -- sh tools/demo.sh --here
fi

say() { printf '\n== %s\n' "$*"; }
PATH=$B/bin:$PATH

say "kernel $(uname -r): what can its TLS do? (ktls-check)"
ktls-check | grep -E '^tls ULP|^TLS_|rekey|verdict'

say "a ${SIZE_MB} MiB file to send"
dd if=/dev/urandom of=/tmp/demo.bin bs=1048576 count="$SIZE_MB" 2>/dev/null
sha_sent=$(sha256sum /tmp/demo.bin | cut -d' ' -f1)
echo "sha256 $sha_sent"

say "ktls-server --send-file (sendfile through kernel TLS) and ktls-client, ChaCha20-Poly1305"
ktls-server --port "$PORT" --cert "$C/server-ed25519.pem" --key "$C/server-ed25519.key" \
	--send-file /tmp/demo.bin --once 2>/tmp/demo-server.log &
server=$!
i=0
while ! grep -q listening /tmp/demo-server.log 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
# the client keeps the connection open while its stdin does, so both sockets can be seen
(sleep 3) | ktls-client --ca "$C/ca.pem" "localhost:$PORT" >/tmp/demo-received.bin \
	2>/tmp/demo-client.log &
client=$!
sleep 1.5

say "the kernel's view of both sockets while they are open (ktls-diag)"
ktls-diag --port "$PORT"

wait "$client" || { echo "demo: the client failed:"; cat /tmp/demo-client.log; exit 1; }
wait "$server" || { echo "demo: the server failed:"; cat /tmp/demo-server.log; exit 1; }
say "what each side said"
cat /tmp/demo-server.log /tmp/demo-client.log

say "did the file arrive intact?"
sha_got=$(sha256sum /tmp/demo-received.bin | cut -d' ' -f1)
echo "sent     $sha_sent"
echo "received $sha_got"
[ "$sha_sent" = "$sha_got" ] || { echo "demo: MISMATCH"; exit 1; }

say "kernel TLS counters (/proc/net/tls_stat)"
grep -E 'TlsTxSw|TlsRxSw|TlsDecryptError' /proc/net/tls_stat
say "done: ${SIZE_MB} MiB went page cache -> sendfile -> kernel TLS -> TCP -> kernel TLS -> client, checksum equal"
