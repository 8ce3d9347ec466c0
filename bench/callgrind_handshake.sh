#!/usr/bin/env bash
# callgrind_handshake.sh — instructions per full TLS 1.3 server handshake, ours and
# OpenSSL's, counted by valgrind's callgrind: repeatable on a busy machine, where wall-clock
# and getrusage figures are not.
#
# It runs build/bench/ktls-bench-handshake (X25519, ChaCha20-Poly1305, the client verifies
# the chain: see bench/README.md "Handshakes"; no tickets unless --tickets default, which
# leaves each library at its own default number, sent before the server closes and so
# counted) under callgrind twice per (library, certificate): once with N1 handshakes and once with N2. Every process of the run
# (parent, server, client) writes its own count; the server's is the one that called
# accept4. Per handshake = (server Ir at N2 - server Ir at N1) / (N2 - N1), so start-up
# (loading the certificate, OpenSSL's initialisation, the first-use caches) cancels out and
# what remains is the steady cost of one accept + handshake + close, as a server pays it.
#
#   bash bench/callgrind_handshake.sh [--libs ours,openssl] [--certs ed25519,ecdsa,rsa]
#                                     [--n1 4] [--n2 20] [--tickets off|default] [--keep DIR]
#
# Needs a build (make all build/bench/ktls-bench-handshake) and the test certificates
# (bash certs/gen.sh build/certs); KTLS_BUILD and KTLS_CERTS say where (default build and
# $KTLS_BUILD/certs). Prints one line per cell:
#   callgrind <lib> <cert> server_Ir_per_handshake <n> (client <n>) tickets <option> <count>
# (<count>: the records the client saw after its handshake, i.e. the tickets) and, with
# --keep DIR, leaves the callgrind.out files there (the N2 run's server file is
# DIR/<lib>-<cert>-server.out; read it with callgrind_annotate --inclusive=yes).
# Slow: about a minute per cell here. Runs one valgrind at a time.
set -euo pipefail

libs=ours,openssl
certs=ed25519,ecdsa,rsa
n1=4
n2=20
keep=
tickets=off
while [ $# -gt 0 ]; do
	case "$1" in
	--libs) libs=$2; shift 2 ;;
	--certs) certs=$2; shift 2 ;;
	--n1) n1=$2; shift 2 ;;
	--n2) n2=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--tickets) tickets=$2; shift 2 ;;
	-h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "callgrind_handshake.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case "$tickets" in off|default) ;; *) echo "callgrind_handshake.sh: --tickets off or default" >&2; exit 2 ;; esac
[ "$n2" -gt "$n1" ] || { echo "callgrind_handshake.sh: --n2 must exceed --n1" >&2; exit 2; }

build=${KTLS_BUILD:-build}
export KTLS_CERTS=${KTLS_CERTS:-$build/certs}
bin=$build/bench/ktls-bench-handshake
[ -x "$bin" ] || { echo "callgrind_handshake.sh: no $bin (make all $bin)" >&2; exit 1; }
[ -r "$KTLS_CERTS/ca.pem" ] || { echo "callgrind_handshake.sh: no certificates in $KTLS_CERTS (bash certs/gen.sh $KTLS_CERTS)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind_handshake.sh: valgrind is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# total Ir of one callgrind.out file (its "totals:" or "summary:" line)
ir_of() { awk '/^(totals|summary):/ { print $2; exit }' "$1"; }

# run LIB CERT N: leaves $tmp/run-N/cg.<pid> and prints "server_Ir client_Ir tickets"
run() {
	local lib=$1 cert=$2 n=$3 dir=$tmp/run-$3 f srv= cli=
	rm -rf "$dir"
	mkdir -p "$dir"
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" --dump-instr=no \
		"$bin" --libs "$lib" --certs "$cert" --n "$n" --reps 1 --timeout 600 --tickets "$tickets" \
		>"$dir/stdout" 2>"$dir/stderr" ||
		{ echo "callgrind_handshake.sh: $lib $cert n=$n failed:" >&2; grep -v '^==' "$dir/stderr" | tail -5 >&2; return 1; }
	grep -q "^hssum,.*,ok," "$dir/stdout" ||
		{ echo "callgrind_handshake.sh: $lib $cert n=$n: no ok result" >&2; cat "$dir/stdout" >&2; return 1; }
	for f in "$dir"/cg.*; do
		if grep -qE '^c?fn=\([0-9]+\) accept4$' "$f"; then
			srv=$f
		elif grep -qE '^c?fn=\([0-9]+\) bench_connect$' "$f"; then
			cli=$f
		fi
	done
	[ -n "$srv" ] && [ -n "$cli" ] ||
		{ echo "callgrind_handshake.sh: $lib $cert n=$n: server or client count missing" >&2; return 1; }
	echo "$(ir_of "$srv") $(ir_of "$cli") $(awk -F, '$1 == "hstickets" { print $6; exit }' "$dir/stdout")"
}

IFS=, read -r -a lib_list <<<"$libs"
IFS=, read -r -a cert_list <<<"$certs"
for lib in "${lib_list[@]}"; do
	for cert in "${cert_list[@]}"; do
		read -r s1 c1 _ < <(run "$lib" "$cert" "$n1") || exit 1
		read -r s2 c2 t2 < <(run "$lib" "$cert" "$n2") || exit 1
		if [ -n "$keep" ]; then
			mkdir -p "$keep"
			for f in "$tmp/run-$n2"/cg.*; do
				if grep -qE '^c?fn=\([0-9]+\) accept4$' "$f"; then
					cp "$f" "$keep/$lib-$cert-server.out"
				elif grep -qE '^c?fn=\([0-9]+\) bench_connect$' "$f"; then
					cp "$f" "$keep/$lib-$cert-client.out"
				fi
			done
		fi
		echo "callgrind $lib $cert server_Ir_per_handshake $(((s2 - s1) / (n2 - n1)))" \
			"(client $(((c2 - c1) / (n2 - n1)))) tickets $tickets ${t2:-?}"
	done
done
