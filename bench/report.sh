#!/bin/bash
# report.sh OUT WHERE SMOKE — turns the CSV that bench/run.sh collected in OUT into
# OUT/results.md (Markdown tables) and SVG charts (gnuplot, bench/bars.gp).
# WHERE: where the kernel TLS parts ran (native | emulated); SMOKE: 1 for a smoke run.
set -uo pipefail
out=$1 kwhere=$2 smoke=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
md=$out/results.md
rc=0

{
	echo "# ktls-helper benchmark results"
	echo
	if ((smoke)); then
		echo "**Smoke run: tiny sizes, one repetition. These numbers mean nothing.**"
		echo
	fi
	if [[ $kwhere == emulated ]]; then
		echo "Rows marked **emulated** ran inside the microVM under QEMU TCG (no KVM): crypto and"
		echo "kernel code run many times slower than native, each by its own factor (the next table),"
		echo "and CPU accounting is the guest's. Compare only ratios between emulated rows of this run."
		echo "Rows marked **native** ran on the host."
		echo
	fi
	echo '```'
	cat "$out/machine.txt"
	grep -h '^xfer: payload' "$out/run.log" | sed 's/^xfer: /transfer run: /' | sort -u
	echo '```'
	echo
	echo "## Environments: what each one distorts"
	echo
	echo "What the place each part ran in charges for kernel work and for crypto, measured there"
	echo "(ktls-bench-env: CPU ns per getppid() and per 16 KiB send + recv over loopback TCP in one"
	echo "process; ktls-bench-aead: OpenSSL EVP sealing 16 KiB records, CPU s/GiB), medians, each"
	echo "also as a multiple of native. \"crypto / I/O\": sealing one 16 KiB record with"
	echo "ChaCha20-Poly1305 over one 16 KiB loopback send + recv — the weight of the crypto that kTLS"
	echo "moves into the kernel against the socket work every scenario pays; where it differs from"
	echo "native, so does every kTLS-vs-userspace ratio measured there (bench/README.md)."
	echo
	echo "| where | syscall ns | loopback 16 KiB ns | ChaCha20-Poly1305 s/GiB | AES-128-GCM s/GiB | crypto / I/O | what it supports |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	awk -F, -v K="$kwhere" '
	$1 == "env" { v[$3, $2] = $6; w[$2] = 1 }
	$1 == "aead" && $3 == "openssl-evp" { v[$4, $2] = $6; w[$2] = 1 }
	function cell(f, p, fmt) { if (!((f, p) in v)) return "-"
		if (p == "native" || !(v[f, "native"] > 0)) return sprintf(fmt, v[f, p])
		return sprintf(fmt " (%.1fx)", v[f, p], v[f, p] / v[f, "native"]) }
	function share(p) { return (v["loopback-16k", p] > 0) ? v["chacha20", p] * 16384 * 1e9 / 1073741824 / v["loopback-16k", p] : 0 }
	END {
		for (i = 1; i <= 2; i++) {
			p = i == 1 ? "native" : "emulated"
			if (!(p in w)) continue
			if (p == "native")
				say = K == "native" ? "everything: this host has kTLS, and its kTLS-vs-userspace ratios are the published ones" \
				    : "absolute figures for the parts that need no kernel TLS (handshakes, capacity, userspace transfers); no kTLS rows ran here"
			else {
				sy = v["syscall", p] / v["syscall", "native"]; lo = v["loopback-16k", p] / v["loopback-16k", "native"]
				cr = v["chacha20", p] / v["chacha20", "native"]
				say = sprintf("ratios between emulated rows of this run only. Userspace crypto is %.0fx native, kernel socket work %.0fx, a syscall %.0fx: ", cr, lo, sy)
				say = say (cr > lo ? "userspace-crypto rows look dearer against plain and kTLS I/O than natively" \
				    : "rows heavy in kernel I/O look dearer against userspace crypto than natively")
				say = say "; the kTLS rows run the kernel'"'"'s own crypto code, emulated at a slowdown not measured here, so no kTLS-vs-userspace ratio carries over to a native host"
			}
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", p, cell("syscall", p, "%.0f"), cell("loopback-16k", p, "%.0f"),
			       cell("chacha20", p, "%.3f"), cell("aes128", p, "%.3f"),
			       (share(p) > 0 ? sprintf("%.2f", share(p)) : "-"), say
		}
	}' "$out/env.csv" "$out/aead.csv"
	echo
	echo "## Transfers: the same payload, sender process -> receiver process over loopback TCP"
	echo
	echo "MiB/s over the whole transfer (median of the repetitions, [min-max]); CPU seconds per"
	echo "GiB moved, user + system, each process measured apart with getrusage(). \"record B\" = mean TLS"
	echo "record plaintext size on the wire (from the receiver's TCP_INFO bytes received). \"x user\" ="
	echo "ratio to our userspace record layer (user-send) with the same cipher in the same place,"
	echo "\"x ossl\" = ratio to OpenSSL SSL_write (ossl-write). CPU below 1.00x is cheaper."
	echo
} >"$md"

# The transfer tables, one per place (emulated first: it has every scenario).
for where in emulated native; do
	grep -q "^sum,$where," "$out/xfer.csv" 2>/dev/null || continue
	{
		echo "### $where$([[ $where == emulated ]] && echo ' (QEMU TCG: ratios only)')"
		echo
		echo "| scenario | cipher | sender | receiver | MiB/s | x user | x ossl | sender CPU s/GiB usr+sys [min-max] | x user | x ossl | receiver CPU s/GiB usr+sys [min-max] | x user | record B | where |"
		echo "| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | --- |"
		awk -F, -v W="$where" '
		$1 == "sum" && $2 == W { n++; row[n] = $0
			if ($10 == "ok") { tp[$3, $4] = $11; sc[$3, $4] = $16; rc[$3, $4] = $21 } }
		function ratio(v, b) { return (b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", v / b) }
		END {
			for (i = 1; i <= n; i++) {
				split(row[i], f, ",")
				note = f[25]
				for (k = 26; k in f; k++) note = note ";" f[k]
				if (f[10] != "ok") {
					printf "| %s | %s | %s | %s | **%s**: %s | | | | | | | | | %s |\n",
					       f[3], f[4], f[5], f[6], f[10], note, W
					continue
				}
				c = f[4]; plain = (c == "-")
				tu = plain ? "-" : ratio(f[11], tp["user-send", c])
				to = plain ? "-" : ratio(f[11], tp["ossl-write", c])
				su = plain ? "-" : ratio(f[16], sc["user-send", c])
				so = plain ? "-" : ratio(f[16], sc["ossl-write", c])
				ru = plain ? "-" : ratio(f[21], rc["user-send", c])
				recv = f[6]
				if (f[3] ~ /^ossl-ktls/ && note ~ /ktls_recv=0/) recv = recv " (kTLS RX not enabled by OpenSSL)"
				printf "| %s | %s | %s | %s | %.1f [%.1f-%.1f] | %s | %s | %.3f+%.3f [%.3f-%.3f] | %s | %s | %.3f+%.3f [%.3f-%.3f] | %s | %s | %s |\n",
				       f[3], c, f[5], recv, f[11], f[12], f[13], tu, to, f[14], f[15], f[17], f[18],
				       su, so, f[19], f[20], f[22], f[23], ru, plain ? "-" : f[24], W
			}
		}' "$out/xfer.csv"
		echo
	} >>"$md"

	# chart data: one bar group per scenario; series none / chacha20 / aes128
	for metric in tp:11 snd:16 rcv:21; do
		name=${metric%%:*} col=${metric##*:}
		awk -F, -v W="$where" -v C="$col" '
		$1 == "sum" && $2 == W {
			if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
			if ($10 == "ok") v[$3, $4] = $C
		}
		function g(s, c) { return ((s, c) in v) ? v[s, c] : "-" }
		END {
			print "scenario \"no TLS\" ChaCha20-Poly1305 AES-128-GCM"
			for (i = 1; i <= n; i++)
				printf "\"%s\" %s %s %s\n", order[i], g(order[i], "-"), g(order[i], "chacha20"), g(order[i], "aes128")
		}' "$out/xfer.csv" >"$out/$name-$where.dat"
	done
	tag=$([[ $where == emulated ]] && echo ' - EMULATED (QEMU TCG): compare ratios only' || echo ' - native')
	gnuplot -e "data='$out/tp-$where.dat'; out='$out/throughput-$where.svg'; title='Throughput per scenario$tag'; ylab='MiB/s (median)'" "$here/bars.gp" || rc=1
	gnuplot -e "data='$out/snd-$where.dat'; out='$out/sender-cpu-$where.svg'; title='Sender CPU per GiB (user+system)$tag'; ylab='CPU seconds per GiB (median)'" "$here/bars.gp" || rc=1
	gnuplot -e "data='$out/rcv-$where.dat'; out='$out/receiver-cpu-$where.svg'; title='Receiver CPU per GiB (user+system)$tag'; ylab='CPU seconds per GiB (median)'" "$here/bars.gp" || rc=1
done

# callgrind.txt as CSV: cg,lib,cert,mode,server_Ir_per_handshake
cg_csv() {
	[[ -f $out/callgrind.txt ]] || return 0
	awk '$1 == "callgrind" && $3 != "" { lib = $2; m = "full"
		if (sub(/-resumed$/, "", lib)) m = "resumed"; else if ($9 == "off") m = "full-notickets"
		print "cg," lib "," $3 "," m "," $5 }' "$out/callgrind.txt"
}

{
	echo "## Server capacity: CPU per TLS 1.3 handshake at saturation (ktls-bench-capacity)"
	echo
	echo "One server process pinned to one CPU (epoll, many handshakes in flight), clients (ours,"
	echo "no chain verification, the same for both servers) on the other CPU. Server CPU"
	echo "(user+system, getrusage) per handshake over a steady window, in µs: median [min-max] of"
	echo "the repetitions; ours/OpenSSL = ratio of the medians. \"busy\": the server's CPU time over"
	echo "the window's wall time; \"+\" the share it was runnable but waited for a CPU another"
	echo "process held; then its sleeps (voluntary context switches) per handshake: busy + wait"
	echo "near 1 and sleeps near 0 mean the server always had work, i.e. was saturated. With two"
	echo "CPUs one client CPU cannot keep a fast server busy, and a server that sleeps pays ~85 µs"
	echo "of CPU per wake-up here, so natively the server runs at nice 5 beside a spin loop on its CPU"
	echo "(--throttle, bench/README.md): wait is then ~0.75, by design (the emulated rows run without)."
	sed -n 's/^# run: /Run: /p' "$out/capacity.csv" | sort -u
	echo "Modes: full = tickets at each library's default (both send 2), resumed = with a ticket"
	echo "(psk_dhe_ke), full-notickets = no tickets. X25519, ChaCha20-Poly1305. Instructions: server"
	echo "instructions per handshake from callgrind (bench/callgrind_handshake.sh, the one-at-a-time"
	echo "handshakes of ktls-bench-handshake, client verifying the chain), same modes, native only."
	echo
} >>"$md"
for where in native native-ktls emulated; do
	grep -q "^capsum,$where," "$out/capacity.csv" 2>/dev/null || continue
	{
		case $where in
		native) echo "### native: record layer in userspace after the handshake" ;;
		native-ktls) echo "### native, with the kTLS handoff (ours: TX+RX; OpenSSL: SSL_OP_ENABLE_KTLS)" ;;
		emulated) echo "### emulated (QEMU TCG: ratios only), with the kTLS handoff (ours: TX+RX; OpenSSL: SSL_OP_ENABLE_KTLS)" ;;
		esac
		echo
		echo "| certificate | mode | ours µs | OpenSSL µs | ours/OpenSSL | server busy (+wait) sleeps/hs: ours, OpenSSL | ours Ir | OpenSSL Ir | Ir ours/OpenSSL | where | note |"
		echo "| --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- | --- |"
		{ cg_csv; cat "$out/capacity.csv"; } | awk -F, -v W="$where" '
		$1 == "cg" { ir[$2, $3, $4] = $5; next }
		$1 == "capsum" && $2 == W { k = $4 SUBSEP $5
			if (!(k in seen)) { seen[k] = 1; order[++n] = k }
			st[$3, k] = $8; us[$3, k] = $9; mn[$3, k] = $10; mx[$3, k] = $11; ra[k] = ($3 == "ours") ? $12 : ra[k]
			busy[$3, k] = $13; wt[$3, k] = $15; note[$3, k] = $18; sl[$3, k] = $19 }
		function cell(l, k) { return st[l, k] == "ok" ? sprintf("%.0f [%.0f-%.0f]", us[l, k], mn[l, k], mx[l, k]) : "**" st[l, k] "**" }
		function b(l, k) { return st[l, k] == "ok" ? sprintf("%.2f (+%.2f) %.2f", busy[l, k], wt[l, k], sl[l, k]) : "-" }
		function fmt(v,   r) { if (v == "") return "-"; r = ""
			while (length(v) > 3) { r = "," substr(v, length(v) - 2) r; v = substr(v, 1, length(v) - 3) }
			return v r }
		END {
			for (i = 1; i <= n; i++) {
				split(order[i], f, SUBSEP); k = order[i]
				io = (W == "native") ? ir["ours", f[1], f[2]] : ""
				iss = (W == "native") ? ir["openssl", f[1], f[2]] : ""
				irr = (io != "" && iss + 0 > 0) ? sprintf("%.2f", io / iss) : "-"
				nt = note["ours", k]; if (note["openssl", k] != "") nt = "ours: " nt "; OpenSSL: " note["openssl", k]
				printf "| %s | %s | %s | %s | %s | %s, %s | %s | %s | %s | %s | %s |\n", f[1], f[2], cell("ours", k),
				       cell("openssl", k), ra[k] == "" ? "-" : ra[k], b("ours", k), b("openssl", k),
				       fmt(io), fmt(iss), irr, W, nt
			}
		}'
		echo
	} >>"$md"
done
awk -F, '$1 == "capsum" && $2 == "native" && $5 == "full" && $8 == "ok" { if (!($4 in seen)) { seen[$4] = 1; o[++n] = $4 } v[$3, $4] = $9 }
END { print "cert ours OpenSSL"; for (i = 1; i <= n; i++) printf "\"%s\" %s %s\n", o[i], v["ours", o[i]], v["openssl", o[i]] }' \
	"$out/capacity.csv" >"$out/capacity.dat"
gnuplot -e "data='$out/capacity.dat'; out='$out/capacity.svg'; title='Server CPU per full TLS 1.3 handshake at saturation (X25519, tickets at defaults), native'; ylab='server CPU µs per handshake (median)'" "$here/bars.gp" || rc=1

{
	echo "## Handshake latency (native): one connection at a time, TLS 1.3, X25519: full, and resumed with a ticket (-resumed)"
	echo
	echo "Not a capacity figure: each handshake ends on both sides before the next starts, so the"
	echo "rate is one connection's latency (both sides' work plus the round trips, in series); the"
	echo "server's capacity is the table above. Client and server in separate processes; the client"
	echo "verifies the chain and the name; no tickets. Rate: median [min-max]; CPU per handshake in"
	echo "ms (user+system), medians."
	echo
	echo "| library | server certificate | handshakes/s, one at a time | server CPU ms | client CPU ms | rate ours/OpenSSL | server CPU ours/OpenSSL |"
	echo "| --- | --- | ---: | --- | --- | ---: | ---: |"
	awk -F, '$1 == "hssum" { n++; row[n] = $0; if ($7 == "ok") { r[$3, $4] = $8; s[$3, $4] = $11 } }
	END {
		for (i = 1; i <= n; i++) {
			split(row[i], f, ",")
			if (f[7] != "ok") { printf "| %s | %s | **FAILED**: %s | | | | |\n", f[3], f[4], f[17]; continue }
			oss = f[3]; sub(/^ours/, "openssl", oss)  # ours -> openssl, ours-resumed -> openssl-resumed
			rr = (f[3] ~ /^ours/ && r[oss, f[4]] > 0) ? sprintf("%.2f", f[8] / r[oss, f[4]]) : ""
			sr = (f[3] ~ /^ours/ && s[oss, f[4]] > 0) ? sprintf("%.2f", f[11] / s[oss, f[4]]) : ""
			printf "| %s | %s | %.0f [%.0f-%.0f] | %.3f (%.3f+%.3f) | %.3f (%.3f+%.3f) | %s | %s |\n",
			       f[3], f[4], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16], rr, sr
		}
	}' "$out/handshake.csv"
	echo
	echo "## Memory: userspace memory per established idle connection (server RSS delta / N)"
	echo
	echo "Kernel memory (socket buffers, the kernel's TLS context) is not in RSS and not counted."
	echo
	echo "| server | connections | bytes per connection | RSS before -> after (KiB) | where | note |"
	echo "| --- | ---: | ---: | --- | --- | --- |"
	awk -F, '$1 == "mem" {
		d["ours-ktls"] = "ours, keys in the kernel (kTLS TX+RX)"
		d["ours-user"] = "ours, userspace record layer"
		d["openssl"] = "OpenSSL, defaults"
		d["openssl-release"] = "OpenSSL, SSL_MODE_RELEASE_BUFFERS"
		d["openssl-ktls"] = "OpenSSL, SSL_OP_ENABLE_KTLS"
		if ($5 != "ok") { printf "| %s | %s | **FAILED**: %s | | %s | |\n", d[$3], $4, $9, $2; next }
		printf "| %s | %s | %d | %d -> %d | %s | %s |\n", d[$3], $4, $8, $6 / 1024, $7 / 1024, $2, $9
	}' "$out/memory.csv"
	echo
	echo "## Raw AEAD cost: sealing 16 KiB TLS records, no I/O (CPU s/GiB, median)"
	echo
	echo "| implementation | cipher | native | emulated |"
	echo "| --- | --- | ---: | ---: |"
	awk -F, '$1 == "aead" { if (!(($3 "," $4) in seen)) { seen[$3 "," $4] = 1; o[++n] = $3 "," $4 } v[$3 "," $4, $2] = $6 }
	END { for (i = 1; i <= n; i++) { split(o[i], k, ","); printf "| %s | %s | %s | %s |\n", k[1], k[2],
		((o[i], "native") in v) ? v[o[i], "native"] : "-", ((o[i], "emulated") in v) ? v[o[i], "emulated"] : "-" } }' "$out/aead.csv"
	echo
	echo "## ChaCha20-Poly1305 in our userspace record layer: each implementation per record size, and the pick"
	echo
	echo "One record sealed through the library's own code (ktls-bench-aead), CPU s/GiB and ns per"
	echo "record; \"chosen\" is the library's own path (its pick, from the start-up measurement)."
	echo
	echo "| implementation | cipher | record bytes | CPU s/GiB | ns per record | the library's pick | where |"
	echo "| --- | --- | ---: | ---: | ---: | --- | --- |"
	awk -F, '$1 == "aeadlib" { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $3, $4, $5, $6, $7, $8, $2 }
	$1 == "aeadchoice" { choice[++nc] = sprintf("%s: measured in %s µs at start-up; %s below %s bytes, %s from there", $2, $3, $4 == 0 ? "one implementation at every size" : $5, $4, $6) }
	END { if (nc) { print ""; for (i = 1; i <= nc; i++) print choice[i] } }' "$out/aead.csv"
	echo
	echo "## Concurrent connections: one ktls-server --www, every connection held open at once"
	echo
	echo "The client opens all N connections (kTLS both ways), requests a file on each (SHA-256"
	echo "checked), then holds them idle while the server's RSS is read (bench/README.md)."
	echo
	echo "| connections served, 0 errors | errors | server RSS held (kB) | server RSS per idle --www connection (B) | library alone per idle kTLS connection (B) | seconds | where |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	awk -v where="$kwhere" '{ v[$1] = $2 }
	END { printf "| %s | %s | %s | %s | %s | %s | %s |\n", v["concurrent_connections_ok"], v["concurrent_connections_errors"],
		v["concurrent_connections_server_rss_kb"], v["www_rss_per_idle_conn_bytes"], v["memory_per_conn_ktls_bytes"],
		v["concurrent_connections_seconds"], where }' "$out/summary.txt"
	echo
	echo "Charts: throughput-*.svg, sender-cpu-*.svg, receiver-cpu-*.svg, capacity.svg, handshakes.svg."
} >>"$md"

awk -F, '$1 == "hssum" && $7 == "ok" { if (!($4 in seen)) { seen[$4] = 1; o[++n] = $4 } v[$3, $4] = $8 }
END { print "cert ours OpenSSL"; for (i = 1; i <= n; i++) printf "\"%s\" %s %s\n", o[i], v["ours", o[i]], v["openssl", o[i]] }' \
	"$out/handshake.csv" >"$out/handshakes.dat"
gnuplot -e "data='$out/handshakes.dat'; out='$out/handshakes.svg'; title='Handshake latency: full TLS 1.3 handshakes per second, one connection at a time (X25519), native'; ylab='handshakes/s, one at a time (median)'" "$here/bars.gp" || rc=1

cat "$md"
exit $rc
