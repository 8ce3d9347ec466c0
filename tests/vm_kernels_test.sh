#!/usr/bin/env bash
# tests/vm_kernels_test.sh — TAP test of tools/ktls-vm's kernels (--kernel stable|newest|DIR)
# and of what ktls-check says inside each: the kernel, TLS 1.3 rekey, and its configuration
# (ktls-check --kernel-config: CONFIG_TLS, CONFIG_TLS_DEVICE, CONFIG_NET_HANDSHAKE) read from
# /boot/config-$(uname -r), where ktls-vm puts the kernel's config. Real VMs, no mocks, no
# skips: a kernel that cannot be fetched or booted fails with ktls-vm's words as diagnostics.
#
# Environment: KTLS_BUILD (default build) as in `make check`; KTLS_VM_TEST_TIMEOUT (seconds per
# VM run, default 300).

# shellcheck disable=SC2034 # the exit statuses are read by the eval of check
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
ROOT=$(pwd -P)
VM=$ROOT/tools/ktls-vm
RUN_TIMEOUT=${KTLS_VM_TEST_TIMEOUT:-300}
unset KTLS_VM_KERNEL   # each run names its kernel
TMP=$work

tap_plan 17
# check NAME COMMAND... : ok when COMMAND succeeds; on failure the files in DIAG are shown.
DIAG=()
check() {
	local name=$1 f text=
	shift
	if "$@"; then ok "$name"; return; fi
	for f in ${DIAG[@]+"${DIAG[@]}"}; do [ -s "$f" ] && text+=$(tail -n 40 "$f")$'\n'; done
	not_ok "$name" "$text"
}
has() { grep -qxF -- "$2" "$1"; }
has_re() { grep -qE -- "$2" "$1"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

PIN_ABI=$(awk '$1 == "abi" { print $2 }' tools/vm/newest-kernel)
[ -n "$PIN_ABI" ] || echo "# tools/vm/newest-kernel names no abi"

# --- a kernel that is neither stable, newest nor a directory: a usage error, no VM ---------------
"$VM" --kernel 7.3 -- true >"$TMP/u.out" 2>"$TMP/u.err"
U_RC=$?
DIAG=("$TMP/u.err")
check "--kernel 7.3 (no such directory) is a usage error (2) that says what --kernel wants" \
	eval '[ "$U_RC" = 2 ] && grep -q "wants stable, newest or a directory" "$TMP/u.err"'

# --- each named kernel: ktls-check and ktls-check --kernel-config inside -----------------------
cat >"$TMP/guest.sh" <<'EOF'
echo "uname: $(uname -r)"
ktls-check >/tmp/check.out 2>&1; echo "check-exit: $?"; cat /tmp/check.out
ktls-check --kernel-config >/tmp/config.out 2>&1; echo "config-exit: $?"; cat /tmp/config.out
EOF
# run_kernel NAME: boots --kernel NAME, output in $TMP/NAME.out / .err, exit in $TMP/NAME.rc
run_kernel() {
	local t0
	t0=$(now)
	"$VM" --timeout "$RUN_TIMEOUT" --kernel "$1" --pack "$TMP/guest.sh" -- sh "$TMP/guest.sh" \
		>"$TMP/$1.out" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.rc"
	echo "# --kernel $1: exit $(cat "$TMP/$1.rc") in $(secs "$t0") s"
}
cfg_line() { # FILE OPTION VALUE VERDICT: the --kernel-config table row
	grep -qE "^  $2 +$3 +$4\$" "$1"
}

run_kernel stable
DIAG=("$TMP/stable.out" "$TMP/stable.err")
check "--kernel stable boots Debian 12's 6.1 kernel and ktls-check passes (ChaCha20 both ways)" \
	eval '[ "$(cat "$TMP/stable.rc")" = 0 ] && has_re "$TMP/stable.out" "^uname: 6\.1\." && has "$TMP/stable.out" "check-exit: 0"'
check "stable: ktls-check says TLS 1.3 rekey does not work (6.1)" \
	has_re "$TMP/stable.out" '^TLS 1\.3 rekey \(KeyUpdate\): +no \(needs Linux 6\.14\+'
check "stable: ktls-check --kernel-config reads /boot/config-\$(uname -r) and passes" \
	eval 'grep -q "^config-exit: 0$" "$TMP/stable.out" &&
		has_re "$TMP/stable.out" "^kernel config \(/boot/config-$(sed -n "s/^uname: //p" "$TMP/stable.out")\):"'
check "stable: CONFIG_TLS=m, CONFIG_TLS_DEVICE=y" \
	eval 'cfg_line "$TMP/stable.out" CONFIG_TLS m ok && cfg_line "$TMP/stable.out" CONFIG_TLS_DEVICE y ok'
check "stable: CONFIG_NET_HANDSHAKE absent (6.1 has no handshake upcall)" \
	cfg_line "$TMP/stable.out" CONFIG_NET_HANDSHAKE - "absent \(optional\)"

run_kernel newest
DIAG=("$TMP/newest.out" "$TMP/newest.err")
check "--kernel newest boots the pinned $PIN_ABI and ktls-check passes (ChaCha20 both ways)" \
	eval '[ "$(cat "$TMP/newest.rc")" = 0 ] && has "$TMP/newest.out" "uname: $PIN_ABI" && has "$TMP/newest.out" "check-exit: 0"'
check "newest: every suite's TX and RX work (the chacha module was loaded)" \
	eval '[ "$(grep -cE "^TLS_[A-Z0-9_]+ +TX yes RX yes\$" "$TMP/newest.out")" = 4 ]'
check "newest: ktls-check says TLS 1.3 rekey works" \
	has_re "$TMP/newest.out" '^TLS 1\.3 rekey \(KeyUpdate\): +yes$'
check "newest: ktls-check --kernel-config reads /boot/config-$PIN_ABI and passes" \
	eval 'grep -q "^config-exit: 0$" "$TMP/newest.out" && has "$TMP/newest.out" "kernel config (/boot/config-$PIN_ABI):"'
check "newest: CONFIG_TLS=m, CONFIG_TLS_DEVICE=y" \
	eval 'cfg_line "$TMP/newest.out" CONFIG_TLS m ok && cfg_line "$TMP/newest.out" CONFIG_TLS_DEVICE y ok'
check "newest: CONFIG_NET_HANDSHAKE=y" cfg_line "$TMP/newest.out" CONFIG_NET_HANDSHAKE y ok

# --- --kernel DIR: the classic layout (--kernel newest above booted the split one from the cache) ----------------
SPLIT=$ROOT/build/vm/kernel/$PIN_ABI
MODS=$SPLIT/usr/lib/modules/$PIN_ABI
# boot_dir NAME DIR: boots --kernel DIR; ok when it is the pinned kernel, with its config in
# /boot and kTLS working.
boot_dir() {
	local rc
	"$VM" --timeout "$RUN_TIMEOUT" --kernel "$2" -- sh -c 'uname -r; ls /boot; ktls-check >/dev/null && echo check-ok' \
		>"$TMP/$1.out" 2>"$TMP/$1.err"
	rc=$?
	DIAG=("$TMP/$1.out" "$TMP/$1.err")
	[ "$rc" = 0 ] && has "$TMP/$1.out" "$PIN_ABI" && has "$TMP/$1.out" "config-$PIN_ABI" && has "$TMP/$1.out" check-ok
}
mkdir -p "$TMP/classic/boot" "$TMP/classic/lib/modules"
ln -s "$MODS/vmlinuz.unsigned" "$TMP/classic/boot/vmlinuz-$PIN_ABI"
ln -s "$MODS" "$TMP/classic/lib/modules/$PIN_ABI"
check "--kernel DIR with the classic layout (boot/vmlinuz-VER, lib/modules/VER, as symlinks) boots" \
	boot_dir classic "$TMP/classic"

# A kernel without the modules kTLS needs: ktls-vm stops before booting and names the kernel.
mkdir -p "$TMP/bare/usr/lib/modules/$PIN_ABI/kernel"
ln -s "$MODS/vmlinuz.unsigned" "$TMP/bare/usr/lib/modules/$PIN_ABI/vmlinuz.unsigned"
ln -s "$MODS/config" "$TMP/bare/usr/lib/modules/$PIN_ABI/config"
"$VM" --timeout "$RUN_TIMEOUT" --kernel "$TMP/bare" -- true >"$TMP/bare.out" 2>"$TMP/bare.err"
M_RC=$?
DIAG=("$TMP/bare.out" "$TMP/bare.err")
check "a kernel without the tls module is an error (125) naming the kernel and the module" \
	eval '[ "$M_RC" = 125 ] && grep -q "kernel $PIN_ABI (.*) has no module tls" "$TMP/bare.err"'

# --- the config report on the host, for both kernels' config files ----------------------------
STABLE_CFG=$(ls "$ROOT"/build/vm/kernel/6.1*/boot/config-* 2>/dev/null | head -n1)
"$B/bin/ktls-check" --json --kernel-config "$STABLE_CFG" >"$TMP/j1.out" 2>&1
J1=$?
DIAG=("$TMP/j1.out")
check "ktls-check --json --kernel-config FILE (6.1): TLS m, TLS_DEVICE y, NET_HANDSHAKE unset, ok" \
	eval '[ "$J1" = 0 ] && grep -q "\"CONFIG_TLS\":\"m\"" "$TMP/j1.out" && grep -q "\"CONFIG_TLS_DEVICE\":\"y\"" "$TMP/j1.out" &&
		grep -q "\"CONFIG_NET_HANDSHAKE\":\"\"" "$TMP/j1.out" && grep -q "\"ok\":true}" "$TMP/j1.out"'
"$B/bin/ktls-check" --json --kernel-config="$MODS/config" >"$TMP/j2.out" 2>&1
J2=$?
DIAG=("$TMP/j2.out")
check "ktls-check --json --kernel-config=FILE ($PIN_ABI): NET_HANDSHAKE y, ok" \
	eval '[ "$J2" = 0 ] && grep -q "\"CONFIG_NET_HANDSHAKE\":\"y\"" "$TMP/j2.out" && grep -q "\"ok\":true}" "$TMP/j2.out"'
grep -v '^CONFIG_TLS=' "$MODS/config" >"$TMP/no-tls.config"
"$B/bin/ktls-check" --kernel-config "$TMP/no-tls.config" >"$TMP/j3.out" 2>&1
J3=$?
DIAG=("$TMP/j3.out")
check "ktls-check --kernel-config FILE without CONFIG_TLS: exit 1, CONFIG_TLS MISSING" \
	eval '[ "$J3" = 1 ] && cfg_line "$TMP/j3.out" CONFIG_TLS - MISSING'

[ "$n" = 17 ] || echo "# ran $n checks, planned 17"
tap_exit
