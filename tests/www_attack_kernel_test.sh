#!/bin/bash
# www_attack_kernel_test.sh — the post-handshake attacks of tests/www_attack_test.sh (empty
# records, user_canceled, KeyUpdates with and without update_requested) against
# ktls-server --www whose connections kernel TLS carries: on this host when its kernel has
# kTLS and we are root, otherwise inside the microVM (tools/ktls-vm). There the records the
# attacker sends reach the server through kernel RX, as control records (recvmsg with a cmsg)
# or as empty data records the kernel hands on; the same caps must cut the attacker off
# while a fresh client is served. A VM that does not come up, or a run that is not in kernel
# mode, is a failure.
#
# KTLS_VM_KERNEL=stable|newest|DIR runs it in the microVM on that kernel even when this host
# has kTLS (tests/www_attack_kernel_newest_test.sh sets newest: there a KeyUpdate is a kernel
# rekey, not the end of the connection, and the caps must hold all the same).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${KTLS_BUILD:-build}
export ATTACK_MODES="empty canceled keyupdate keyupdate-req" ATTACK_SLOTS=0
if [[ -n ${KTLS_VM_KERNEL:-} ]]; then
	echo "# running tests/www_attack_test.sh in the microVM on the kernel KTLS_VM_KERNEL=$KTLS_VM_KERNEL"
elif ((EUID == 0)) && "$build/bin/ktls-check" >/dev/null 2>&1; then
	echo "# running on this host: its kernel has kTLS"
	exec bash tests/www_attack_test.sh
else
	echo "# this host's kernel has no kTLS: running tests/www_attack_test.sh in the microVM, kernel stable"
fi
out=$(mktemp "${TMPDIR:-/tmp}/www_attack_kernel_test.XXXXXX")
trap 'rm -f "$out"' EXIT
tools/ktls-vm --pack bash --timeout 900 --env ATTACK_MODES="$ATTACK_MODES" \
	--env ATTACK_SLOTS=0 --env ATTACK_SECS="${ATTACK_SECS:-4}" \
	-- bash tests/www_attack_test.sh | tee "$out"
rc=${PIPESTATUS[0]}
if ! grep -q "^# kernel mode" "$out"; then
	echo "not ok 999 - the VM run was not in kernel mode (exit $rc)"
	exit 1
fi
exit "$rc"
