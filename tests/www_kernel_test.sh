#!/bin/bash
# www_kernel_test.sh — tests/www_test.sh where the kernel has kTLS: on this host when its
# kernel has kTLS and we are root, otherwise inside the microVM (tools/ktls-vm, with curl and
# bash packed). There www_test.sh finds ktls-check succeeding and runs in kernel mode: it also
# asserts that TX and RX were offloaded and that ktls-diag sees the 64 MiB file go out through
# kernel TLS (tx=sw). Its TAP passes through to prove. A VM that does not come up is a failure.
#
# The VM is emulated (TCG, crypto ~20x slower than native), so the workload is kept to tens of
# MB: WWW_TEST_BIG_MB (default 64 here too, as the issue asks) and WWW_TEST_CONNS (1000).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${KTLS_BUILD:-build}

if [[ ! -x $build/bin/ktls-server || ! -x $build/bin/ktls-check ]]; then
	echo "1..1"
	echo "not ok 1 the tools are not built (run: make all)"
	exit 1
fi
if ((EUID == 0)) && "$build/bin/ktls-check" >/dev/null 2>&1; then
	echo "# running on this host: its kernel has kTLS"
	exec bash tests/www_test.sh
fi
echo "# this host's kernel has no kTLS: running tests/www_test.sh in the microVM (tools/ktls-vm)"
out=$(mktemp "${TMPDIR:-/tmp}/www_kernel_test.XXXXXX")
trap 'rm -f "$out"' EXIT
# 64 MiB files (source, downloads) live in the guest's RAM: give it room
tools/ktls-vm --pack curl --pack bash --mem 2048 --timeout 900 \
	--env WWW_TEST_BIG_MB="${WWW_TEST_BIG_MB:-64}" --env WWW_TEST_CONNS="${WWW_TEST_CONNS:-1000}" \
	-- bash tests/www_test.sh | tee "$out"
rc=${PIPESTATUS[0]}
if ! grep -q "^# kernel mode" "$out"; then
	echo "not ok 999 - the VM run was not in kernel mode (exit $rc)"
	exit 1
fi
exit "$rc"
