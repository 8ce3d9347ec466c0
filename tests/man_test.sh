#!/bin/bash
# man_test.sh — the man pages under man/ lint clean (groff -ww: every warning) and stay true
# to the code: every long option a tool's --help names is in its page, and every function
# ktls.h exports is in libktls(3).
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
pages=(man/ktls-client.1 man/ktls-server.1 man/ktls-check.8 man/ktls-diag.8 man/libktls.3)
tools=(ktls-client ktls-server ktls-check ktls-diag)
tap_plan $((${#pages[@]} + ${#tools[@]} + 1))
for p in "${pages[@]}"; do
	warn=$(groff -man -ww -z "$p" 2>&1)
	[[ -f $p && -z $warn ]] && ok "$p lints clean" || not_ok "$p lints clean" "$warn"
done
for t in "${tools[@]}"; do
	page=$(ls man/$t.[18])
	text=$(sed 's/\\-/-/g' "$page")
	missing=()
	for o in $("$B/bin/$t" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -q -- "$o" <<<"$text" || missing+=("$o")
	done
	((${#missing[@]} == 0)) && ok "$page names every option of $t --help" ||
		not_ok "$page names every option of $t --help" "missing: ${missing[*]}"
done
missing=()
for f in $(grep -o 'KTLS_API [a-z_ *]*(' lib/include/ktls.h | grep -o 'ktls_[a-z_]*'); do
	grep -q "$f" man/libktls.3 || missing+=("$f")
done
((${#missing[@]} == 0)) && ok "libktls(3) names every function ktls.h exports" ||
	not_ok "libktls(3) names every function ktls.h exports" "missing: ${missing[*]}"
tap_exit
