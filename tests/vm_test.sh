#!/usr/bin/env bash
# tests/vm_test.sh — TAP test of tools/ktls-vm against a real VM (no mocks, no skips).
#
# Five VM runs: a combined one that checks the exit status, both output channels, the kTLS
# modules, a packed program and the project tree; `-- true`; a kernel panic; a --forward
# server that the host talks to; and --timeout, which runs alongside the others. A VM that cannot start fails the
# checks with ktls-vm's own words as TAP diagnostics.
#
# It boots the default kernel (stable, or KTLS_VM_KERNEL): what it tests is ktls-vm's own
# plumbing, the same on every kernel; tests/vm_kernels_test.sh boots each kernel.
#
# Environment: KTLS_BUILD (default build) as in `make check`; KTLS_VM_TEST_TIMEOUT (seconds per
# VM run, default 300).

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd -P)
VM=$ROOT/tools/ktls-vm
B=${KTLS_BUILD:-build}
RUN_TIMEOUT=${KTLS_VM_TEST_TIMEOUT:-300}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vm_test.XXXXXX") || exit 1
BG_PID=
cleanup() {
	[ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..17"
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() {
	N=$((N + 1)); FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	shift
	local f
	for f in "$@"; do
		[ -s "$f" ] && sed 's/^/# /' "$f" | tail -n 40
	done
	return 0
}
# check NAME COMMAND... : ok when COMMAND succeeds; on failure the files in DIAG are shown.
DIAG=()
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" ${DIAG[@]+"${DIAG[@]}"}; fi
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

# --- the timeout path, in the background while the rest runs --------------------------------
"$VM" --timeout 20 -- sleep 1000 >"$TMP/timeout.out" 2>"$TMP/timeout.err" &
BG_PID=$!

# --- one VM, several checks ------------------------------------------------------------------
# A test program that needs libsodium/libcrypto if there is one: it proves the libraries came.
TESTPROG=
for f in "$B"/tests/aead_test "$B"/tests/*_test; do
	[ -f "$f" ] && [ -x "$f" ] && { TESTPROG=$f; break; }
done
cat >"$TMP/guest.sh" <<'EOF'
# Runs in the guest, from the project root. One line per fact; the host compares.
echo "marker: vm-test-stdout-marker"
echo "marker: vm-test-stderr-marker" >&2
[ -e /proc/net/tls_stat ] && echo "tls_stat: yes"
grep -q '^tls ' /proc/modules && echo "tls_module: yes"
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp && echo "tls_ulp: yes"
echo "pwd: $(pwd)"
echo "openssl: $(openssl version 2>&1)"
echo "build_bin: $(ls build/bin 2>/dev/null | tr '\n' ' ')"
echo "build_tests: $(ls "$B/tests" 2>/dev/null | tr '\n' ' ')"
if [ -n "$TESTPROG" ]; then
	test -x "$TESTPROG" && echo "testprog_x: yes"
	"$TESTPROG" -l >/dev/null 2>"$TMPF" && echo "testprog_runs: yes" || cat "$TMPF"
fi
case ":$PATH:" in *":$PWD/build/bin:"*) echo "path: yes" ;; esac
exit 7
EOF
A0=$(now)
"$VM" --timeout "$RUN_TIMEOUT" --pack openssl --pack "$TMP/guest.sh" \
	--env B="$B" --env TESTPROG="$TESTPROG" --env TMPF=/tmp/testprog.err \
	-- sh "$TMP/guest.sh" >"$TMP/a.out" 2>"$TMP/a.err"
A_RC=$?
A_SECS=$(secs "$A0")
echo "# combined run: exit $A_RC in $A_SECS s"
DIAG=("$TMP/a.out" "$TMP/a.err")
has() { grep -qxF -- "$2" "$1"; }

check "exit status comes back (sh -c 'exit 7' style: 7)" [ "$A_RC" = 7 ]
check "stdout and stderr stream back separately" \
	eval 'has "$TMP/a.out" "marker: vm-test-stdout-marker" && has "$TMP/a.err" "marker: vm-test-stderr-marker" &&
		! grep -q stderr-marker "$TMP/a.out" && ! grep -q KTLS_VM_EXIT "$TMP/a.out" "$TMP/a.err"'
check "kTLS in the guest: /proc/net/tls_stat, tls module, tls ULP" \
	eval 'has "$TMP/a.out" "tls_stat: yes" && has "$TMP/a.out" "tls_module: yes" && has "$TMP/a.out" "tls_ulp: yes"'
HOST_OPENSSL=$(openssl version 2>&1)
check "--pack openssl runs in the guest ($HOST_OPENSSL)" has "$TMP/a.out" "openssl: $HOST_OPENSSL"
check "the guest starts in the caller's directory, with build/bin on PATH" \
	eval 'has "$TMP/a.out" "pwd: $ROOT" && has "$TMP/a.out" "path: yes"'
check "the project tree is at the same paths (build/bin, $B/tests)" \
	eval 'has "$TMP/a.out" "build_bin: $(ls build/bin 2>/dev/null | tr "\n" " ")" &&
		has "$TMP/a.out" "build_tests: $(ls "$B/tests" 2>/dev/null | tr "\n" " ")" &&
		grep -q "^build_tests: ." "$TMP/a.out"'
if [ -n "$TESTPROG" ]; then
	check "a test program ($TESTPROG) is executable and runs with its libraries" \
		eval 'has "$TMP/a.out" "testprog_x: yes" && has "$TMP/a.out" "testprog_runs: yes"'
else
	not_ok "a test program is executable and runs with its libraries (no $B/tests/*_test: run 'make tests' first)"
fi

# --- exit status 0 ---------------------------------------------------------------------------
"$VM" --timeout "$RUN_TIMEOUT" -- true >"$TMP/b.out" 2>"$TMP/b.err"
# shellcheck disable=SC2034 # read by the eval below
B_RC=$?
DIAG=("$TMP/b.out" "$TMP/b.err")
check "-- true exits 0, silently" eval '[ "$B_RC" = 0 ] && [ ! -s "$TMP/b.out" ] && [ ! -s "$TMP/b.err" ]'

# --- a kernel panic ends the run instead of hanging it ------------------------------------------
"$VM" --timeout "$RUN_TIMEOUT" -- sh -c 'echo c >/proc/sysrq-trigger; sleep 1000' >"$TMP/p.out" 2>"$TMP/p.err"
P_RC=$?
DIAG=("$TMP/p.out" "$TMP/p.err")
check "a guest kernel panic ends the run with 125, not a hang" [ "$P_RC" = 125 ]
check "... and says the VM reported no exit status" \
	grep -q '^ktls-vm: the VM did not report an exit status' "$TMP/p.err"
check "... without booting again: the command had started" \
	eval '! grep -q "booting once more" "$TMP/p.err"'

# --- a kernel that fails before the command starts is booted once more, then reported ----------
KTLS_VM_APPEND=rdinit=/nonexistent "$VM" --timeout "$RUN_TIMEOUT" -- true >"$TMP/r.out" 2>"$TMP/r.err"
R_RC=$?
DIAG=("$TMP/r.out" "$TMP/r.err")
check "a boot that fails twice ends with 125" [ "$R_RC" = 125 ]
check "... after exactly one more boot, with a warning" \
	eval '[ "$(grep -c "booting once more" "$TMP/r.err")" = 1 ] && [ "$(grep -c "Kernel panic" "$TMP/r.err")" -ge 2 ]'

# --- --forward: a guest server answers the host ----------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 20000))
	port_free "$p" && { PORT=$p; break; }
done
# Serves until one client says "ping": connections the host opened before the guest listened
# reach it later as empty ones, which it skips.
cat >"$TMP/server.sh" <<EOF
while :; do
	nc -l -p $PORT -e sh -c 'read -r l; echo "pong:\$l"; [ "\$l" = ping ] && touch /tmp/pinged'
	[ -e /tmp/pinged ] && exit 0
done
EOF
"$VM" --timeout "$RUN_TIMEOUT" --forward "$PORT" --pack "$TMP/server.sh" -- sh "$TMP/server.sh" \
	>"$TMP/c.out" 2>"$TMP/c.err" &
C_PID=$!
REPLY=
for _ in $(seq 1 240); do
	kill -0 "$C_PID" 2>/dev/null || break
	# Before the guest listens a connection ends at once (slirp); once it listens, the reply
	# may take long on a loaded host, and the guest exits after the first ping: a bound of
	# 5 s here lost the one reply under load (make check with two busy loops).
	REPLY=$(timeout 120 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; echo ping >&3; read -r r <&3; printf "%s" "$r"' _ "$PORT" 2>/dev/null)
	[ "$REPLY" = pong:ping ] && break
	sleep 0.5
done
wait "$C_PID"
C_RC=$?
DIAG=("$TMP/c.out" "$TMP/c.err")
check "--forward $PORT: a guest server answers the host at 127.0.0.1:$PORT" [ "$REPLY" = pong:ping ]
check "the --forward VM exits 0 once served" [ "$C_RC" = 0 ]

# --- the timeout run ----------------------------------------------------------------------
wait "$BG_PID"
D_RC=$?
BG_PID=
DIAG=("$TMP/timeout.out" "$TMP/timeout.err")
check "--timeout 20 -- sleep 1000 exits 124" [ "$D_RC" = 124 ]
check "... and says why" grep -q '^ktls-vm: timed out after 20 s' "$TMP/timeout.err"

echo "# total $(secs "$T0") s"
[ "$FAILED" = 0 ]
