#!/usr/bin/env bash
# certs_test.sh - TAP test for certs/gen.sh: the generated test PKI verifies
# (or fails to verify) exactly as the interop and negative tests expect.
# Run: prove tests/certs_test.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gen=$root/certs/gen.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=$work/certs

PLAN=44
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { [[ -z $1 ]] || while IFS= read -r line; do echo "# $line"; done <<<"$1"; }

# check DESC CMD... : passes if CMD succeeds; shows its output on failure.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; diag "$out"; fi
}

# check_fails DESC PATTERN CMD... : passes if CMD fails with PATTERN in output.
check_fails() {
    local desc=$1 pat=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        not_ok "$desc"; echo "# unexpectedly succeeded"; diag "$out"
    elif grep -q -- "$pat" <<<"$out"; then
        ok "$desc"
    else
        not_ok "$desc"; echo "# expected '$pat' in:"; diag "$out"
    fi
}

verify() { openssl verify -CAfile "$d/ca.pem" "$@"; }

# key_matches NAME: the private key's public half equals the certificate's.
key_matches() {
    [[ "$(openssl pkey -in "$d/$1.key" -pubout)" == "$(openssl x509 -in "$d/$1.pem" -pubkey -noout)" ]]
}

# has NAME PATTERN...: `openssl x509 -text` of NAME.pem matches every PATTERN.
has() {
    local text p
    text=$(openssl x509 -in "$d/$1.pem" -noout -text) || return 1
    shift
    for p in "$@"; do grep -E -q -- "$p" <<<"$text" || { echo "no match for: $p"; return 1; }; done
}

# complete: every certificate and key file exists and is non-empty.
complete() {
    local f
    for f in ca other-ca server-rsa server-ecdsa server-ed25519 client expired wrong-host unknown-ca \
        server-other server-wild; do
        [[ -s $d/$f.pem && -s $d/$f.key ]] || { echo "missing $f.pem or $f.key"; return 1; }
    done
}

mode_600() { [[ "$(stat -c %a "$1")" == 600 ]]; }

sum() { sha256sum "$d/ca.pem" | cut -d' ' -f1; }

echo "TAP version 13"
echo "1..$PLAN"

check "gen.sh runs" "$gen" "$d"
check "gen.sh wrote a complete set" complete
((failed == 0)) || { echo "Bail out! certs/gen.sh did not produce a complete set"; exit 1; }

for s in server-rsa server-ecdsa server-ed25519; do
    check "$s verifies against ca.pem" verify "$d/$s.pem"
    check "$s verifies for hostname localhost and IP 127.0.0.1" \
        verify -verify_hostname localhost -verify_ip 127.0.0.1 "$d/$s.pem"
    check "$s key matches its certificate" key_matches "$s"
    check "$s has CN=localhost, localhost SANs and serverAuth EKU" has "$s" 'Subject: CN = localhost' \
        'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' 'TLS Web Server Authentication'
done
check "client verifies against ca.pem" verify "$d/client.pem"
check "client key matches its certificate" key_matches client

check "server-rsa is RSA 2048" has server-rsa 'Public Key Algorithm: rsaEncryption' 'Public-Key: \(2048 bit\)'
check "server-ecdsa is EC prime256v1" has server-ecdsa 'Public Key Algorithm: id-ecPublicKey' 'ASN1 OID: prime256v1'
check "server-ed25519 is ED25519" has server-ed25519 'Public Key Algorithm: ED25519'
check "client is EC prime256v1" has client 'ASN1 OID: prime256v1'
check "ca is EC prime256v1" has ca 'ASN1 OID: prime256v1'
check "ca is CA:TRUE with keyCertSign" has ca 'CA:TRUE' 'Certificate Sign'
check "client has clientAuth EKU and CN=ktls-test-client" \
    has client 'TLS Web Client Authentication' 'Subject: CN = ktls-test-client'

check_fails "expired fails: certificate has expired" "certificate has expired" verify "$d/expired.pem"
check "expired is otherwise valid (-no_check_time)" verify -no_check_time "$d/expired.pem"
check "wrong-host verifies without hostname check" verify "$d/wrong-host.pem"
check_fails "wrong-host fails for hostname localhost" "hostname mismatch" \
    verify -verify_hostname localhost "$d/wrong-host.pem"
check_fails "unknown-ca fails against ca.pem" "unable to get local issuer certificate" \
    verify "$d/unknown-ca.pem"
check "unknown-ca verifies against other-ca.pem" \
    openssl verify -CAfile "$d/other-ca.pem" "$d/unknown-ca.pem"

check "server-other verifies for other.test" verify -verify_hostname other.test "$d/server-other.pem"
check "server-wild verifies for www.wild.test" verify -verify_hostname www.wild.test "$d/server-wild.pem"
check_fails "server-wild does not cover a.b.wild.test" "hostname mismatch" \
    verify -verify_hostname a.b.wild.test "$d/server-wild.pem"
check "server-ecdsa.der is server-ecdsa.pem in DER" \
    test "$(openssl x509 -inform DER -in "$d/server-ecdsa.der")" = "$(openssl x509 -in "$d/server-ecdsa.pem")"
check "server-ecdsa.key.der is server-ecdsa.key in DER" \
    test "$(openssl pkey -inform DER -in "$d/server-ecdsa.key.der")" = "$(openssl pkey -in "$d/server-ecdsa.key")"
check "server-rsa.trad.key is the traditional RSA form" grep -q "BEGIN RSA PRIVATE KEY" "$d/server-rsa.trad.key"
check "server-ecdsa.enc.key opens with ktls-test-passphrase only" \
    bash -c "openssl pkey -in '$d/server-ecdsa.enc.key' -passin pass:ktls-test-passphrase >/dev/null &&
             ! openssl pkey -in '$d/server-ecdsa.enc.key' -passin pass:wrong >/dev/null 2>&1"

keys=("$d"/*.key)
bad_modes=
for k in "${keys[@]}"; do mode_600 "$k" || bad_modes+=" $(basename "$k"):$(stat -c %a "$k")"; done
if [[ -z $bad_modes ]]; then ok "all key files are mode 600"; else not_ok "all key files are mode 600"; echo "# bad:$bad_modes"; fi
check "there are 13 key files" test "${#keys[@]}" -eq 13

before=$(sum)
out=$("$gen" "$d" 2>&1) || true
if [[ $out == *"up to date"* ]]; then ok "second run says up to date"; else not_ok "second run says up to date"; diag "$out"; fi
check "second run leaves ca.pem unchanged" test "$(sum)" = "$before"
check "--force regenerates" "$gen" --force "$d"
check "--force changes ca.pem" test "$(sum)" != "$before"
check "server-ecdsa verifies against the new ca.pem" verify "$d/server-ecdsa.pem"
check "no temp dir left behind" test -z "$(find "$d" -name '.gen.*')"

if ((n != PLAN)); then echo "# planned $PLAN tests but ran $n"; exit 1; fi
((failed == 0)) || { echo "# $failed of $n tests failed"; exit 1; }
