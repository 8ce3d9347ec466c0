#!/bin/bash
# fd_limit_test.sh — the tools raise their own ulimit -n (RLIMIT_NOFILE) to what they need:
# ktls-client --concurrency C to C + 16, ktls-server --www to 2 x --max-connections + 16 (the
# soft limit up to the hard one, the hard one too when privileged). Where they cannot (the
# hard limit too low and no CAP_SYS_RESOURCE: setpriv drops it), they name the number they
# need: the client exits 2 before connecting, the server says so and serves on. The
# privileged path (raising the hard limit) runs in the microVM, as root, in the 10,000
# connection benchmark (bench/run.sh), where the guest's hard limit is the kernel's 4096.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 6

mkdir -p "$work/www"
echo "hello" >"$work/www/a.txt"
# without CAP_SYS_RESOURCE: the hard limit cannot go up (root drops it with setpriv; another
# user never had it, and may not change its bounding set)
unpriv=()
((EUID == 0)) && unpriv=(setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource)
KC=("$B/bin/ktls-client" --ca "$C/ca.pem" --servername localhost --timeout 120)

# 1. the client cannot get enough descriptors: the limit and the number it needs, exit 2
p=$(port)
(ulimit -Sn 100 && ulimit -Hn 200 && exec "${unpriv[@]}" "${KC[@]}" --get /a.txt \
	--concurrency 500 "127.0.0.1:$p") >"$work/c1.out" 2>"$work/c1.err"
rc=$?
if [[ $rc == 2 ]] && grep -q "ktls-client: --concurrency 500 needs 516 file descriptors, but ulimit -n (RLIMIT_NOFILE) is 200 (hard limit 200)" "$work/c1.err" &&
	grep -qF 'run `ulimit -n 516` first' "$work/c1.err" && ! grep -q requests= "$work/c1.out"; then
	ok "ktls-client --concurrency 500 under a hard limit of 200: names 516 and the limit, exit 2"
else
	not_ok "client under a low hard limit (rc $rc)" "$(cat "$work/c1.out" "$work/c1.err")"
fi

# start_server NAME SOFT HARD ARGS...: ktls-server --www under those limits; sets SRV_PID, SRV_PORT
start_server() {
	local name=$1 soft=$2 hard=$3 i
	shift 3
	(ulimit -Sn "$soft" && ulimit -Hn "$hard" && exec "${unpriv[@]}" "$B/bin/ktls-server" \
		--cert "$C/server-ed25519.pem" --key "$C/server-ed25519.key" --www "$work/www" \
		--bind 127.0.0.1 --port 0 "$@") 2>"$work/$name.err" &
	SRV_PID=$!
	pids+=("$SRV_PID")
	SRV_PORT=
	for i in $(seq 300); do
		SRV_PORT=$(sed -n 's/.*listening on .* port \([0-9]*\)$/\1/p' "$work/$name.err")
		[[ -n $SRV_PORT ]] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
}
nofile() { awk '/^Max open files/ {print $4 " " $5}' "/proc/$1/limits"; }

# 2. the server cannot: it says how many it needs, and serves on
start_server s2 100 200 --max-connections 4096
"${KC[@]}" --get /a.txt "127.0.0.1:$SRV_PORT" >"$work/s2.body" 2>"$work/s2.get"
rc=$?
if [[ -n $SRV_PORT && $rc == 0 && $(cat "$work/s2.body") == hello ]] &&
	grep -q "ktls-server: --max-connections 4096 needs 8208 file descriptors, but ulimit -n (RLIMIT_NOFILE) is 200 (hard limit 200)" "$work/s2.err" &&
	grep -q "serving anyway" "$work/s2.err"; then
	ok "ktls-server --max-connections 4096 under a hard limit of 200: names 8208, serves on"
else
	not_ok "server under a low hard limit (rc $rc)" "$(cat "$work/s2.err" "$work/s2.get")"
fi
kill -TERM "$SRV_PID"
wait "$SRV_PID" 2>/dev/null

# 3. a soft limit below need and a hard one above: the server takes what it needs, silently
start_server s3 64 1000 --max-connections 200
lim=$(nofile "$SRV_PID")
if [[ -n $SRV_PORT && $lim == "416 1000" ]] && ! grep -q "file descriptors" "$work/s3.err"; then
	ok "ktls-server --max-connections 200 with ulimit -n 64 (hard 1000): soft limit raised to 416"
else
	not_ok "server soft limit (limits: $lim)" "$(cat "$work/s3.err")"
fi

# 4-6. and so does the client: 100 connections at once under a soft limit of 64
(ulimit -Sn 64 && ulimit -Hn 1000 && exec "${unpriv[@]}" "${KC[@]}" --get /a.txt \
	--concurrency 100 --requests 100 --hold 30 "127.0.0.1:$SRV_PORT") >"$work/c4.out" 2>"$work/c4.err" &
cpid=$!
pids+=("$cpid")
for i in $(seq 1200); do # until it holds them all (a busy machine may take a while)
	grep -q holding "$work/c4.err" && break
	kill -0 "$cpid" 2>/dev/null || break
	sleep 0.1
done
lim=$(nofile "$cpid")
open=$(ls "/proc/$SRV_PID/fd" 2>/dev/null | wc -l)
kill -TERM "$SRV_PID" # close_notify on every connection: the client's hold ends early
wait "$SRV_PID" 2>/dev/null
wait "$cpid"
rc=$?
[[ $lim == "116 1000" ]] && ok "ktls-client --concurrency 100 with ulimit -n 64 (hard 1000): soft limit raised to 116" ||
	not_ok "client soft limit (limits: $lim)" "$(cat "$work/c4.err")"
if [[ $rc == 0 ]] && grep -q " ok=100 errors=0 .* open_at_once=100$" "$work/c4.out"; then
	ok "100 connections open at once and served (open_at_once=100)"
else
	not_ok "100 connections under a soft limit of 64 (rc $rc)" "$(cat "$work/c4.out" "$work/c4.err")"
fi
((open >= 100)) && ok "the server held them at the same time ($open descriptors open)" ||
	not_ok "the server held $open descriptors, not 100 connections" "$(cat "$work/s3.err")"
tap_exit
