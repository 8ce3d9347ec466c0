#!/bin/bash
# kernel_test.sh — the kernel TLS tests (tests/kernel/*), wherever a kernel with kTLS is:
# on this host when its kernel has kTLS and we are root, otherwise inside the microVM
# (tools/ktls-vm) that boots Debian's stock cloud kernel. Their TAP output passes through
# to prove. A VM that does not come up is a failure, never a skip.
#
# KTLS_VM_KERNEL=stable|newest|DIR runs them in the microVM on that kernel even when this
# host has kTLS (tests/kernel_newest_test.sh sets newest); unset, the VM boots stable.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${KTLS_BUILD:-build}
tests=("$build"/tests/kernel/*)

if [[ ! -x ${tests[0]} || ! -x $build/bin/ktls-check ]]; then
	echo "1..1"
	echo "not ok 1 kernel tests are not built (run: make tests)"
	exit 1
fi

if [[ -n ${KTLS_VM_KERNEL:-} ]]; then
	echo "# running in the microVM (tools/ktls-vm) on the kernel KTLS_VM_KERNEL=$KTLS_VM_KERNEL"
	run() { tools/ktls-vm --pack openssl -- "$@"; }
elif ((EUID == 0)) && "$build/bin/ktls-check" >/dev/null 2>&1; then
	echo "# running on this host: its kernel has kTLS"
	run() { "$@"; }
else
	echo "# this host's kernel has no kTLS: running in the microVM (tools/ktls-vm), kernel stable"
	run() { tools/ktls-vm --pack openssl -- "$@"; }
fi

# One program per run keeps the TAP plan simple: prove runs this script, so with several
# programs we would have to merge plans. There is one; fail loudly if that changes.
if ((${#tests[@]} != 1)); then
	echo "1..1"
	echo "not ok 1 kernel_test.sh runs exactly one program, found ${#tests[@]}"
	exit 1
fi
KTLS_TEST_STRICT=${KTLS_TEST_STRICT:-0} run "${tests[0]}"
