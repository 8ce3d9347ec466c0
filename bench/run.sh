#!/bin/bash
# run.sh — the whole benchmark (`make bench`), or a short run of every program with tiny
# sizes (`make bench-smoke`, for CI: about a minute). See bench/README.md.
#
#   bench/run.sh [--smoke] [--size N] [--native-size N] [--write N] [--reps R] [--hs-n N] [--hs-reps R]
#                [--mem-n N] [--cap-n N] [--cap-reps R] [--vm-cap-n N] [--conns N] [--no-callgrind]
#                [--out DIR]
#
# Where each part runs, printed as it goes and written into every table row:
#   - the kTLS transfer scenarios and the memory test: on this host when its kernel has kTLS
#     and we are root, otherwise in the microVM (tools/ktls-vm: emulated, TCG — there only
#     ratios measured in the same run mean anything);
#   - the transfer scenarios that need no kernel TLS: natively too (real absolute numbers);
#   - handshake latency, server capacity, callgrind counts: natively; the capacity run with
#     the kTLS handoff where the kTLS parts run;
#   - the concurrent-connections run (--conns, 10,000; 50 with --smoke): where kTLS is, as above.
# Output in $OUT (default build/bench; build/bench/smoke for --smoke, so a smoke run never
# overwrites a real one): xfer.csv, handshake.csv, capacity.csv, memory.csv, aead.csv (raw
# and summary lines), env.csv (syscall and loopback costs where each part ran),
# callgrind.txt, summary.txt ("name value" lines for scripts), conns.out (the
# concurrent-connections run), results.md (the tables), *.svg (the charts), machine.txt,
# run.log.
# Exit status 0 only when every program and every scenario succeeded and summary.txt has
# every expected line.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
B=${KTLS_BUILD:-build}
export KTLS_CERTS=${KTLS_CERTS:-$B/certs}

conns=10000
smoke=0 size=64M native_size=256M write=16K reps=5 hs_n=500 hs_reps=5 mem_n=500 aead_size=1G out=$B/bench
env_cpu=0.5 # ktls-bench-env: CPU seconds per repetition of each figure
# server capacity: handshakes per measured window, repetitions, connections per client
# process, warm-up handshakes (-1: the program's default); the same in the microVM, smaller
cap_n=1000 cap_reps=5 cap_conc=32 cap_warm=-1 vm_cap_n=50 vm_cap_reps=3 vm_cap_conc=8 vm_cap_warm=16
# callgrind: all three certificates, N1/N2 handshakes (see bench/callgrind_handshake.sh)
callgrind=1 cg_certs=ed25519,ecdsa,rsa cg_n1=4 cg_n2=20
vm_cap_cells= # every certificate and mode, unless the smoke run narrows it
while (($#)); do
	case $1 in
	--smoke) smoke=1 size=1M native_size=1M reps=1 hs_n=5 hs_reps=1 mem_n=5 aead_size=1M env_cpu=0.02 out=$B/bench/smoke
		cap_n=10 cap_reps=1 cap_conc=4 cap_warm=4 vm_cap_n=4 vm_cap_reps=1 vm_cap_conc=2 vm_cap_warm=2
		vm_cap_cells="--certs ed25519 --modes full"
		cg_certs=ed25519 cg_n1=1 cg_n2=2 conns=50 ;;
	--cap-n) cap_n=$2; shift ;;
	--cap-reps) cap_reps=$2; shift ;;
	--vm-cap-n) vm_cap_n=$2; shift ;;
	--no-callgrind) callgrind=0 ;;
	--size) size=$2; shift ;;
	--native-size) native_size=$2; shift ;;
	--write) write=$2; shift ;;
	--reps) reps=$2; shift ;;
	--hs-n) hs_n=$2; shift ;;
	--hs-reps) hs_reps=$2; shift ;;
	--mem-n) mem_n=$2; shift ;;
	--conns) conns=$2; shift ;;
	--out) out=$2; shift ;;
	-h|--help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

for p in xfer handshake memory aead capacity; do
	[[ -x $B/bench/ktls-bench-$p ]] || { echo "run.sh: $B/bench/ktls-bench-$p is not built (make bench)" >&2; exit 1; }
done
[[ -f $KTLS_CERTS/ca.pem ]] || { echo "run.sh: no certificates in $KTLS_CERTS (make certs)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "run.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.svg "$out"/*.dat "$out"/results.md "$out"/vm.out "$out"/callgrind.txt
log=$out/run.log
: >"$log"
# "name value" lines; each part appends its own (see bench/README.md "summary.txt")
summary=$out/summary.txt
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$log" >&2; }
failed=()
t_start=$(date +%s)

verify=()
((smoke)) && verify=(--verify)
# CI may set it; a smoke run must finish well inside a minute
vm_timeout=$((smoke ? 90 : 5400))

if ((EUID == 0)) && "$B/bin/ktls-check" >/dev/null 2>&1; then
	kwhere=native
	say "bench: kernel TLS parts run NATIVELY: this kernel ($(uname -r)) has kTLS"
else
	kwhere=emulated
	say "bench: kernel TLS parts run EMULATED in the microVM (tools/ktls-vm, QEMU TCG): this"
	say "bench: kernel ($(uname -r)) has no kTLS here. Emulated times are NOT real: compare ratios"
	say "bench: within the emulated rows only. Userspace-only scenarios also run natively."
fi

# ---- machine --------------------------------------------------------------------------
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- lib 2>/dev/null || echo ' (lib/ modified)')"
	echo "host CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) x $(nproc)"
	echo "host kernel: $(uname -r)"
	echo "OpenSSL: $(openssl version 2>/dev/null)"
	echo "libsodium: $(pkg-config --modversion libsodium 2>/dev/null)"
	echo "compiler: $(${CC:-cc} --version 2>/dev/null | head -1)"
	echo "parameters: payload $size ($native_size for the native rows when kTLS runs emulated), writes $write, $reps repetition(s); handshakes $hs_n x $hs_reps; memory $mem_n connections"
	echo "capacity: $cap_n handshakes per window x $cap_reps, $cap_conc connections per client process natively; $vm_cap_n x $vm_cap_reps, $vm_cap_conc connections with the kTLS handoff ($kwhere)"
} >"$out/machine.txt"

# ---- handshakes, natively -------------------------------------------------------------
say "bench: handshake LATENCY (one connection at a time), NATIVE: $hs_n full and $hs_n resumed handshakes x $hs_reps, ours vs OpenSSL, RSA/ECDSA/Ed25519, X25519"
t0=$(date +%s)
if ! "$B/bench/ktls-bench-handshake" --n "$hs_n" --reps "$hs_reps" --where native \
	>"$out/handshake.csv" 2> >(tee -a "$log" >&2); then
	failed+=(handshake)
fi
say "bench: handshake latency took $(($(date +%s) - t0))s"

# ---- server capacity, natively ----------------------------------------------------------
cap_args=(--n "$cap_n" --reps "$cap_reps" --conc "$cap_conc")
((cap_warm >= 0)) && cap_args+=(--warm "$cap_warm")
vm_cap_args="--n $vm_cap_n --reps $vm_cap_reps --conc $vm_cap_conc"
((vm_cap_warm >= 0)) && vm_cap_args+=" --warm $vm_cap_warm"
vm_cap_args+=" $vm_cap_cells"
say "bench: server CAPACITY, NATIVE: server pinned to one CPU, clients on the other(s); $cap_n handshakes per window x $cap_reps, full / resumed / full without tickets"
t0=$(date +%s)
"$B/bench/ktls-bench-capacity" "${cap_args[@]}" --where native >"$out/capacity.csv" \
	2> >(tee -a "$log" >&2) || failed+=(capacity)
say "bench: server capacity took $(($(date +%s) - t0))s"
# summary: ours / OpenSSL server CPU per handshake (medians); full = tickets at defaults
cap_summary() { # FILE WHERE SUFFIX
	awk -F, -v W="$2" -v X="$3" '$1 == "capsum" && $2 == W && $3 == "ours" && $8 == "ok" && $12 != "" {
		m = $5 == "full" ? "" : $5 == "resumed" ? "_resumed" : $5 == "full-notickets" ? "_notickets" : "_" $5
		printf "server_cpu_ratio_%s%s%s %s\n", $4, m, X, $12 }
	$1 == "capsum" && $2 == W && $5 == "full" && $8 == "ok" && X == "" {
		printf "server_cpu_us_%s_%s %s\n", $3, $4, $9 }' "$1" >>"$summary"
}
cap_summary "$out/capacity.csv" native ""
# summary: memory per idle connection, ours with the keys in the kernel, OpenSSL at its defaults
mem_summary() {
	awk -F, '$1 == "mem" && $5 == "ok" && $3 == "ours-ktls" { print "memory_per_conn_ktls_bytes " $8 }
		$1 == "mem" && $5 == "ok" && $3 == "openssl" { print "memory_per_conn_openssl_bytes " $8 }' \
		"$out/memory.csv" >>"$summary"
}

# ---- instructions per handshake (callgrind), natively -------------------------------------
if ((callgrind)); then
	cg=(--certs "$cg_certs" --n1 "$cg_n1" --n2 "$cg_n2")
	# full handshakes with tickets at defaults; in a full run also without tickets, and resumed
	cg_runs=("--tickets default")
	((smoke)) || cg_runs+=("--tickets off" "--tickets default --libs ours-resumed,openssl-resumed")
	for r in "${cg_runs[@]}"; do
		say "bench: instructions per server handshake (callgrind), NATIVE: $r, certificates $cg_certs"
		t0=$(date +%s)
		# shellcheck disable=SC2086 # $r holds several words on purpose
		bash bench/callgrind_handshake.sh "${cg[@]}" $r >>"$out/callgrind.txt" \
			2> >(tee -a "$log" >&2) || failed+=("callgrind $r")
		say "bench: callgrind $r took $(($(date +%s) - t0))s"
	done
	# "callgrind <lib>[-resumed] <cert> server_Ir_per_handshake <n> (client <n>) tickets <opt> <count>"
	awk '$1 == "callgrind" && $3 != "" {
		lib = $2; m = ""
		if (sub(/-resumed$/, "", lib)) m = "_resumed"
		else if ($9 == "off") m = "_notickets"
		ir[lib, $3 m] = $5; printf "instructions_per_handshake_%s_%s%s %s\n", lib, $3, m, $5
		if (!(($3 m) in seen)) { seen[$3 m] = 1; order[++n] = $3 m } }
	END { for (i = 1; i <= n; i++) if (ir["openssl", order[i]] > 0 && ir["ours", order[i]] != "")
		printf "instructions_ratio_%s %.3f\n", order[i], ir["ours", order[i]] / ir["openssl", order[i]] }' \
		"$out/callgrind.txt" >>"$summary"
fi

# ---- raw AEAD cost, natively ----------------------------------------------------------------
say "bench: AEAD seal cost per GiB in 16 KiB records, NATIVE (libsodium vs OpenSSL EVP)"
"$B/bench/ktls-bench-aead" --size "$aead_size" --reps "$hs_reps" --where native >"$out/aead.csv" \
	2> >(tee -a "$log" >&2) || failed+=(aead)
say "bench: what a system call and a 16 KiB loopback send + recv cost here, NATIVE"
"$B/bench/ktls-bench-env" --min-cpu "$env_cpu" --reps "$hs_reps" --where native >"$out/env.csv" \
	2> >(tee -a "$log" >&2) || failed+=(env)

# ---- transfers and memory ---------------------------------------------------------------
xfer_args=(--size "$size" --write "$write" --reps "$reps" "${verify[@]}")
# the host's payload file lives in $out, not in the shared /tmp where another checkout's run
# would overwrite or delete it mid-run
native_xfer=(--file "$out/payload.bin")
if [[ $kwhere == native ]]; then
	say "bench: transfers, NATIVE: payload $size, writes $write, $reps repetition(s)"
	"$B/bench/ktls-bench-xfer" "${xfer_args[@]}" "${native_xfer[@]}" --where native >"$out/xfer.csv" \
		2> >(tee -a "$log" >&2) || failed+=(xfer)
	say "bench: memory per idle connection, NATIVE: $mem_n connections"
	"$B/bench/ktls-bench-memory" --n "$mem_n" --where native >"$out/memory.csv" \
		2> >(tee -a "$log" >&2) || failed+=(memory)
	say "bench: server capacity with the kTLS handoff, NATIVE"
	# shellcheck disable=SC2086
	"$B/bench/ktls-bench-capacity" $vm_cap_args --ktls --where native-ktls >>"$out/capacity.csv" \
		2> >(tee -a "$log" >&2) || failed+=(capacity-ktls)
	mem_summary
	cap_summary "$out/capacity.csv" native-ktls _ktls_native
else
	say "bench: transfers without kernel TLS, NATIVE: payload $native_size, writes $write, $reps repetition(s)"
	"$B/bench/ktls-bench-xfer" "${xfer_args[@]}" "${native_xfer[@]}" --size "$native_size" --native-only --where native >"$out/xfer.csv" \
		2> >(tee -a "$log" >&2) || failed+=(xfer-native)
	say "bench: every transfer scenario and the memory test, EMULATED (microVM, TCG)"
	# capacity without --throttle here: under TCG the guest's CPU time is emulated (ratios
	# only), and a spin loop would take the host CPU the emulation needs: at a quarter of a
	# virtual CPU an RSA server missed its 10 s handshake deadline on a loaded host
	# stdout collected in the guest and printed at the end, so it never interleaves with
	# the progress on stderr
	guest="$B/bench/ktls-bench-xfer ${xfer_args[*]} --where emulated >/tmp/xfer.csv; x=\$?
$B/bench/ktls-bench-memory --n $mem_n --where emulated >/tmp/memory.csv; m=\$?
$B/bench/ktls-bench-aead --size $((smoke ? 1 : 64))M --reps $hs_reps --where emulated >/tmp/aead.csv || m=1
$B/bench/ktls-bench-env --min-cpu $env_cpu --reps $hs_reps --where emulated >/tmp/env.csv || m=1
$B/bench/ktls-bench-capacity $vm_cap_args --ktls --throttle off --where emulated >/tmp/capacity.csv; c=\$?
cat /tmp/xfer.csv /tmp/memory.csv /tmp/aead.csv /tmp/env.csv /tmp/capacity.csv; echo \"guest-status,\$x,\$m,\$c\"
[ \$x = 0 ] && [ \$m = 0 ] && [ \$c = 0 ]"
	t0=$(date +%s)
	tools/ktls-vm --timeout "$vm_timeout" -- sh -c "$guest" >"$out/vm.out" 2> >(tee -a "$log" >&2)
	vm_rc=$?
	say "bench: the microVM part took $(($(date +%s) - t0))s"
	grep -E '^(raw|sum),' "$out/vm.out" >>"$out/xfer.csv"
	grep -E '^mem,' "$out/vm.out" >"$out/memory.csv"
	grep -E '^aead,' "$out/vm.out" >>"$out/aead.csv"
	grep -E '^env,' "$out/vm.out" >>"$out/env.csv"
	grep -E '^cap(raw|sum),' "$out/vm.out" >>"$out/capacity.csv"
	mem_summary
	cap_summary "$out/capacity.csv" emulated _ktls_emulated
	status=$(grep '^guest-status,' "$out/vm.out" || true)
	if ((vm_rc != 0)); then
		say "bench: the microVM run failed (exit $vm_rc; ${status:-no status from the guest})"
		failed+=(vm)
	fi
fi

# ---- what each environment charges: syscall, loopback, raw AEAD, each beside native ----------
# env_<figure>_<where> for every place that ran (ns per operation; s/GiB for the AEAD, OpenSSL
# EVP in 16 KiB records, as user-send and ossl-write seal), and env_<figure>_ratio_<where> =
# that place over native, for every place but native
awk -F, '$1 == "env" && $7 != "" { f = $3; gsub(/-/, "", f); v[f, $2] = $6; w[$2] = 1; fs[f] = "ns" }
	$1 == "aead" && $3 == "openssl-evp" { f = $4 == "aes128" ? "aead_aes128" : "aead_" $4
		v[f, $2] = $6; w[$2] = 1; fs[f] = "s_per_gib" }
	END { split("syscall loopback16k aead_chacha20 aead_aes128", o, " ")
		for (i = 1; i <= 4; i++) for (p in w) if ((o[i], p) in v) {
			n = o[i]; sub(/chacha20$/, "chacha", n)
			printf "env_%s_%s_%s %s\n", n, fs[o[i]], p, v[o[i], p]
			if (p != "native" && v[o[i], "native"] > 0)
				printf "env_%s_ratio_%s %.2f\n", n, p, v[o[i], p] / v[o[i], "native"] } }' \
	"$out/aead.csv" "$out/env.csv" | sort >>"$summary"

# ---- concurrent connections: one ktls-server --www, $conns kTLS connections held at once ----
# (issue 15 item 4) One server process and one `ktls-client --get --concurrency N` (both in the
# microVM unless this kernel has kTLS), each raising its own ulimit -n (the guest's hard limit
# is 4096: they raise it as root). The client opens all N, waits until every handshake is
# done (open_at_once), then makes one request on each and holds them idle while the server's
# RSS is read. The client skips certificate verification (--insecure): that is client-side
# work which nearly doubled the emulated run, and the server's side of every handshake is the
# same. Appends to summary.txt: concurrent_connections_ok (connections open at once and
# served, 0 when any request failed), concurrent_connections_errors, www_rss_per_idle_conn_bytes
# (server RSS delta / N with N idle connections after a request each: the library's session
# plus tools/httpd's own state), concurrent_connections_server_rss_kb, and the run's seconds.
conns_guest=$(realpath "$out")/conns-guest.sh
cat >"$conns_guest" <<'GUEST'
#!/bin/sh
# written by bench/run.sh: N concurrent connections to one ktls-server --www (see there)
N=$1 B=$2 C=$3 W=/tmp/conns-www
mkdir -p "$W" && head -c 1024 /dev/urandom >"$W/1k.bin" || exit 1
sum=$(sha256sum "$W/1k.bin" | cut -d' ' -f1)
t0=$(date +%s)
"$B/bin/ktls-server" --cert "$C/server-ed25519.pem" --key "$C/server-ed25519.key" --www "$W" \
	--bind 127.0.0.1 --port 0 --max-connections $((N + 64)) --handshake-timeout 60 \
	--idle-timeout 3600 2>/tmp/conns-server.err &
sp=$!
port=
for i in $(seq 600); do
	port=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' /tmp/conns-server.err)
	[ -n "$port" ] && break
	kill -0 $sp 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || { cat /tmp/conns-server.err >&2; echo "conns: the server did not start" >&2; exit 1; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$sp/status; }
KC="$B/bin/ktls-client --insecure --servername localhost --timeout 3000"
$KC --get /1k.bin "127.0.0.1:$port" >/dev/null 2>/tmp/conns-warm.err || { cat /tmp/conns-warm.err >&2; exit 1; }
rss0=$(rss)
$KC --get /1k.bin --expect-sha256 "$sum" --concurrency "$N" --requests "$N" --hold 3 \
	"127.0.0.1:$port" >/tmp/conns-client.out 2>/tmp/conns-client.err &
cp=$!
while kill -0 $cp 2>/dev/null && ! grep -q holding /tmp/conns-client.err; do sleep 0.2; done
rss1=$(rss) fds=$(ls /proc/$sp/fd | wc -l)
crss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$cp/status)
wait $cp
crc=$?
kill -TERM $sp
wait $sp
src=$?
cat /tmp/conns-client.err >&2
tail -2 /tmp/conns-server.err >&2
echo "conns-server: rss_before_kb=$rss0 rss_held_kb=$rss1 fds_held=$fds exit=$src client_rss_kb=$crss"
cat /tmp/conns-client.out
echo "conns-status: client=$crc server=$src run_seconds=$(($(date +%s) - t0))"
GUEST
say "bench: $conns concurrent kTLS connections to one ktls-server --www, $kwhere"
: >>"$out/summary.txt"
sed -i '/^concurrent_connections_/d; /^www_rss_per_idle_conn_bytes /d' "$out/summary.txt"
if [[ $kwhere == native ]]; then
	sh "$conns_guest" "$conns" "$B" "$KTLS_CERTS" >"$out/conns.out" 2> >(tee -a "$log" >&2)
else
	# the guest's RAM holds both ends of every connection: about 0.6 GB for 10,000
	tools/ktls-vm --pack "$conns_guest" --mem $((conns > 2000 ? 2048 : 1024)) \
		--timeout $((smoke ? 120 : 3600)) -- sh "$conns_guest" "$conns" "$B" "$KTLS_CERTS" \
		>"$out/conns.out" 2> >(tee -a "$log" >&2)
fi
cat "$out/conns.out" >>"$log"
conns_kv() { sed -n "s/.*[ :]$1=\([0-9.]*\).*/\1/p" "$out/conns.out" | head -1; }
c_ok=$(conns_kv ok) c_err=$(conns_kv errors) c_open=$(conns_kv open_at_once)
c_rss0=$(conns_kv rss_before_kb) c_rss1=$(conns_kv rss_held_kb) c_fds=$(conns_kv fds_held)
c_crc=$(conns_kv client) c_src=$(conns_kv server) c_secs=$(conns_kv run_seconds)
c_crss=$(conns_kv client_rss_kb)
if [[ $c_crc == 0 && $c_src == 0 && $c_err == 0 && $c_ok == "$conns" && $c_open == "$conns" ]] &&
	((c_fds >= conns)); then
	c_served=$conns
else
	c_served=0
	failed+=("concurrent connections: client exit ${c_crc:-?}, server exit ${c_src:-?}, ok=${c_ok:-?} errors=${c_err:-?} open_at_once=${c_open:-?} of $conns")
fi
c_per=$(( (${c_rss1:-0} - ${c_rss0:-0}) * 1024 / conns ))
{
	echo "concurrent_connections_ok $c_served"
	echo "concurrent_connections_errors ${c_err:-unknown}"
	echo "concurrent_connections_server_rss_kb ${c_rss1:-unknown}"
	echo "concurrent_connections_seconds ${c_secs:-unknown}"
	echo "www_rss_per_idle_conn_bytes $c_per"
} >>"$out/summary.txt"
say "bench: concurrent connections ($kwhere): $c_served of $conns served with 0 errors (open at once: ${c_open:-?}; errors: ${c_err:-?}); server RSS ${c_rss0:-?} kB -> ${c_rss1:-?} kB: $c_per B per idle --www connection$(sed -n 's/^memory_per_conn_ktls_bytes / (the library alone: /p' "$out/summary.txt" | sed 's/$/ B)/'); client RSS ${c_crss:-?} kB; ${c_secs:-?} s"

# ---- a scenario that failed fails the run -----------------------------------------------
bad=$(awk -F, '$1=="sum" && $10=="FAILED" {print $2" "$3" "$4}
	$1=="hssum" && $7=="FAILED" {print "handshake "$3" "$4}
	$1=="capsum" && $8=="FAILED" {print "capacity "$2" "$3" "$4" "$5}
	$1=="mem" && $5=="FAILED" {print "memory "$3}' "$out"/xfer.csv "$out"/handshake.csv \
	"$out"/capacity.csv "$out"/memory.csv)
[[ -n $bad ]] && failed+=("scenarios: $(echo "$bad" | tr '\n' ';')")
unsup=$(awk -F, '$1=="sum" && $10=="unsupported" {print $2" "$3" "$4": "$NF}' "$out/xfer.csv")
[[ -n $unsup ]] && say "bench: UNSUPPORTED (measured, reported in the table): $unsup"
# every expected row must be there: a program that died early leaves rows missing
nsum=$(grep -c '^sum,' "$out/xfer.csv")
nexp=$(( $("$B/bench/ktls-bench-xfer" --list | wc -l) * 2 - 2 ))
[[ $kwhere == emulated ]] && nexp=$((nexp + $("$B/bench/ktls-bench-xfer" --list | grep -vc '(kTLS)') * 2 - 2))
((nsum == nexp)) || failed+=("xfer rows: $nsum of $nexp")
nhs=$(grep -c '^hssum,.*,ok,' "$out/handshake.csv")
((nhs == 12)) || failed+=("handshake rows: $nhs of 12") # 2 libraries x 3 certs x full/resumed
nmem=$(grep -c '^mem,' "$out/memory.csv")
((nmem == 5)) || failed+=("memory rows: $nmem of 5")
naead=$(grep -c '^aead,' "$out/aead.csv")
want_aead=3
[[ $kwhere == emulated ]] && want_aead=6
((naead == want_aead)) || failed+=("aead rows: $naead of $want_aead")
nenv=$(grep -c '^env,' "$out/env.csv")
want_env=$((want_aead * 2 / 3)) # 2 per place
((nenv == want_env)) || failed+=("env rows: $nenv of $want_env")
ncap=$(grep -c '^capsum,.*,ok,' "$out/capacity.csv")
want_cap=$((smoke ? 18 + 2 : 36)) # 2 libraries x 3 certs x 3 modes, natively and with kTLS (smoke: 1 cell)
((ncap == want_cap)) || failed+=("capacity rows: $ncap of $want_cap")

# ---- summary.txt must hold every expected line --------------------------------------------
need=(memory_per_conn_ktls_bytes memory_per_conn_openssl_bytes concurrent_connections_ok
	www_rss_per_idle_conn_bytes)
for fig in syscall:ns loopback16k:ns aead_chacha:s_per_gib aead_aes128:s_per_gib; do
	need+=("env_${fig%:*}_${fig#*:}_native")
	[[ $kwhere == native ]] && continue
	need+=("env_${fig%:*}_${fig#*:}_$kwhere" "env_${fig%:*}_ratio_$kwhere")
done
for cert in ed25519 ecdsa rsa; do
	for m in "" _notickets _resumed; do
		need+=("server_cpu_ratio_$cert$m")
		((smoke)) && [[ $cert$m != ed25519 ]] && continue # the smoke run's kTLS cell
		need+=("server_cpu_ratio_$cert${m}_ktls_$kwhere")
	done
done
if ((callgrind)); then
	IFS=, read -r -a cg_list <<<"$cg_certs"
	cg_modes=("")
	((smoke)) || cg_modes+=(_notickets _resumed)
	for cert in "${cg_list[@]}"; do
		for m in "${cg_modes[@]}"; do
			need+=("instructions_per_handshake_ours_$cert$m" "instructions_per_handshake_openssl_$cert$m"
				"instructions_ratio_$cert$m")
		done
	done
fi
missing=()
for name in "${need[@]}"; do
	grep -qE "^$name [0-9.]+\$" "$summary" || missing+=("$name")
done
((${#missing[@]})) && failed+=("summary.txt lacks: ${missing[*]}")

rm -f "$out/payload.bin"

# ---- tables and charts ------------------------------------------------------------------
bash bench/report.sh "$out" "$kwhere" "$smoke" 2> >(tee -a "$log" >&2) || failed+=(report)

elapsed=$(($(date +%s) - t_start))
say "bench: wall time ${elapsed}s; results in $out/results.md, charts $out/*.svg"
if ((${#failed[@]})); then
	say "bench: FAILED: ${failed[*]}"
	exit 1
fi
((smoke)) && say "bench-smoke: every program and scenario ran (sizes are tiny: these numbers mean nothing)"
[[ $kwhere == emulated ]] && say "bench: reminder: rows marked emulated ran under QEMU TCG; compare ratios, not times"
exit 0
