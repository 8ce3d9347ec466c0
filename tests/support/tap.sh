# tap.sh — sourced by the tool-level test scripts (tests/*_test.sh): the TAP bookkeeping, a
# work directory that goes away, and a free loopback port. After sourcing: $B (build dir),
# $C (certificates), $work (a temporary directory), pids (kill -9'ed at exit), and
#   tap_plan N          the TAP header for N tests
#   ok NAME             one passing test
#   not_ok NAME [TEXT]  one failing test, TEXT shown as a diagnostic
#   port                a TCP port on 127.0.0.1 that was free a moment ago
#   wait_for FILE PATTERN [TENTHS]  until FILE has a line matching PATTERN (default 20 s)
#   tap_exit            exits 1 when a test failed, else 0
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
B=${KTLS_BUILD:-build}
C=${KTLS_CERTS:-$B/certs}
work=$(mktemp -d)
pids=()
trap '{ kill -9 "${pids[@]}"; wait; } 2>/dev/null; rm -rf "$work"' EXIT
n=0 fails=0
tap_plan() { echo "TAP version 13"; echo "1..$1"; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' <<<"${2:-}"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tap_exit() { exit $((fails > 0)); }
wait_for() {
	for _ in $(seq "${3:-200}"); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
