#!/bin/bash
# keys_tools_test.sh — keys and certificates with the tools (issue 13, items 7 and 8): PEM or
# DER, encrypted keys opened with --key-pass file:/env:/pass: on both tools, a message that
# says what is missing or wrong, and a server with several --cert/--key pairs that answers
# each SNI name with its certificate (the client verifies it against the test CA), the first
# as default, naming the one used in its summary and access log.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 23
PASS=ktls-test-passphrase
S=$B/bin/ktls-server
K=$B/bin/ktls-client

# serve NAME ARGS...: ktls-server on a free port in the background, stderr in $work/NAME.log;
# sets $P. Waits until it listens (or has exited).
serve() {
	local name=$1
	shift
	P=$(port)
	"$S" --bind 127.0.0.1 --port "$P" "$@" 2>"$work/$name.log" &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		grep -q listening "$work/$name.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# fails NAME PATTERN CMD...: CMD exits 2 (usage) with PATTERN in its output.
fails() {
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc == 2 ]] && grep -qF -- "$pat" <<<"$out"; then ok "$name"; else not_ok "$name" "exit $rc: $out"; fi
}

# client NAME ARGS... HOST:PORT: sends a line through an echo server; passes when it comes back
# and the handshake verified. Output in $out.
client() {
	local name=$1
	shift
	out=$(echo "hello $name" | timeout 20 "$K" "$@" 2>&1)
	if [[ $? == 0 ]] && grep -q "^hello $name\$" <<<"$out"; then ok "$name"; else not_ok "$name" "$out"; fi
}

# --- keys: formats, passphrases, messages -------------------------------------------------
fails "an encrypted key without --key-pass says to give it" \
	"server-ecdsa.enc.key' is an encrypted key: give its passphrase with --key-pass" \
	"$S" --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" --once
fails "a wrong passphrase is named" "wrong passphrase" \
	"$S" --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" --key-pass pass:nope --once
fails "a certificate file without a key says to give --key" \
	"server-ecdsa.pem' holds a certificate but no private key: give the key with --key" \
	"$S" --cert "$C/server-ecdsa.pem" --once
fails "a key that does not match is named" "does not match the certificate" \
	"$S" --cert "$C/server-ecdsa.pem" --key "$C/server-rsa.key" --once
fails "--key-pass env: with the variable unset" "the variable is not set" \
	env -u KTLS_NO_SUCH_VAR "$S" --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" \
	--key-pass env:KTLS_NO_SUCH_VAR --once
fails "--key-pass with an unknown source" "--key-pass takes file:PATH, env:VAR or pass:TEXT" \
	"$S" --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" --key-pass "$PASS" --once
fails "more --key than --cert" "--key needs a --cert" \
	"$S" --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.key" --key "$C/server-rsa.key" --once

printf '%s\n' "$PASS" >"$work/pass"
if serve file --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" \
	--key-pass "file:$work/pass" --echo; then
	client "--key-pass file:PATH opens the server's key" --ca "$C/ca.pem" --servername localhost "127.0.0.1:$P"
else
	not_ok "--key-pass file:PATH opens the server's key" "$(cat "$work/file.log")"
fi
if KTLS_TEST_PASS=$PASS serve env --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.enc.key" \
	--key-pass env:KTLS_TEST_PASS --echo; then
	client "--key-pass env:VAR opens the server's key" --ca "$C/ca.pem" --servername localhost "127.0.0.1:$P"
else
	not_ok "--key-pass env:VAR opens the server's key" "$(cat "$work/env.log")"
fi
if serve der --cert "$C/server-ecdsa.der" --key "$C/server-ecdsa.key.der" --echo; then
	client "a DER certificate and DER key serve" --ca "$C/ca.pem" --servername localhost "127.0.0.1:$P"
else
	not_ok "a DER certificate and DER key serve" "$(cat "$work/der.log")"
fi

# the client's own key, encrypted (made here from the generated one), for mutual TLS
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$C/client.key" -passout "pass:$PASS" -out "$work/client.enc.key"
if serve mtls --cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.key" --require-client-cert \
	--ca "$C/ca.pem" --echo; then
	client "ktls-client --key-pass pass:TEXT opens the client's key" --ca "$C/ca.pem" --servername localhost \
		--cert "$C/client.pem" --key "$work/client.enc.key" --key-pass "pass:$PASS" "127.0.0.1:$P"
	grep -q "peer=CN=ktls-test-client" "$work/mtls.log" && ok "... and the server saw the client's certificate" ||
		not_ok "... and the server saw the client's certificate" "$(cat "$work/mtls.log")"
else
	not_ok "ktls-client --key-pass pass:TEXT opens the client's key" "$(cat "$work/mtls.log")"
	not_ok "... and the server saw the client's certificate"
fi
fails "ktls-client: an encrypted key without --key-pass" "is an encrypted key: give its passphrase with --key-pass" \
	"$K" --ca "$C/ca.pem" --cert "$C/client.pem" --key "$work/client.enc.key" 127.0.0.1:1

# --- several certificates, chosen by SNI --------------------------------------------------
# server-wild's key encrypted too: one --key-pass serves every encrypted key
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$C/server-wild.key" -passout "pass:$PASS" -out "$work/server-wild.enc.key"
MULTI=(--cert "$C/server-ecdsa.pem" --key "$C/server-ecdsa.key"
	--cert "$C/server-other.pem" --key "$C/server-other.key"
	--cert "$C/server-wild.pem" --key "$work/server-wild.enc.key")
if serve multi "${MULTI[@]}" --key-pass "pass:$PASS" --echo; then
	client "SNI other.test gets other.test's certificate, verified" --ca "$C/ca.pem" \
		--servername other.test "127.0.0.1:$P"
	grep -q "peer=CN=other.test" <<<"$out" && ok "... the client's summary names it" || not_ok "... the client's summary names it" "$out"
	client "SNI www.wild.test gets the wildcard certificate, verified" --ca "$C/ca.pem" \
		--servername www.wild.test "127.0.0.1:$P"
	client "SNI localhost gets the first certificate" --ca "$C/ca.pem" --servername localhost "127.0.0.1:$P"
	client "no SNI (an IP address) gets the first certificate" --ca "$C/ca.pem" "127.0.0.1:$P"
	client "an unknown name gets the first certificate" --insecure --servername unknown.test "127.0.0.1:$P"
	grep -q "peer=CN=localhost" <<<"$out" && ok "... it is the first (default) one" || not_ok "... it is the first (default) one" "$out"
	log=$(cat "$work/multi.log")
	if grep -q "sni=other.test peer=- cert=CN=other.test" <<<"$log" &&
		grep -q "sni=www.wild.test peer=- cert=CN=\*.wild.test" <<<"$log" &&
		grep -q "sni=unknown.test peer=- cert=CN=localhost" <<<"$log"; then
		ok "the server's summary names the certificate used"
	else
		not_ok "the server's summary names the certificate used" "$log"
	fi
else
	for _ in $(seq 9); do not_ok "a server with three certificates starts" "$(cat "$work/multi.log")"; done
fi

# --www: the access log names the certificate of each request's connection
mkdir -p "$work/www"
echo file >"$work/www/f.txt"
if serve www "${MULTI[@]}" --key-pass "pass:$PASS" --www "$work/www" --access-log "$work/access.log"; then
	body=$(curl -sS --max-time 20 --cacert "$C/ca.pem" --resolve "other.test:$P:127.0.0.1" \
		"https://other.test:$P/f.txt" 2>&1)
	[[ $body == file ]] && ok "--www serves other.test with its certificate (curl verifies it)" ||
		not_ok "--www serves other.test with its certificate" "$body"
	kill -TERM "${pids[-1]}" # flushes the access log, then exits
	wait "${pids[-1]}"
	grep -q '"GET /f.txt HTTP/1.1" 200 5 .* cert="CN=other.test"$' "$work/access.log" &&
		ok "the access log names the certificate" || not_ok "the access log names the certificate" "$(cat "$work/access.log")"
else
	not_ok "--www with three certificates starts" "$(cat "$work/www.log")"
	not_ok "the access log names the certificate"
fi
tap_exit
