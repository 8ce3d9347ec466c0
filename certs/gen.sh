#!/usr/bin/env bash
# gen.sh - generate the test PKI used by interop and negative tests.
#
# Private keys are generated at build time (never committed), so this script
# recreates the whole set: a test root CA, server certificates (RSA, ECDSA,
# Ed25519; two more names, one a wildcard, for SNI), a client certificate, bad
# certificates (expired, wrong host, unknown CA), and the same keys in other
# formats (DER, traditional RSA, encrypted). Uses only the openssl CLI. See
# certs/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: certs/gen.sh [--force] [OUTDIR]

Generate the ktls-helper test certificates into OUTDIR
(default: <project root>/build/certs).

  --force     regenerate even if OUTDIR already holds a valid set
  -h, --help  show this help

Does nothing if OUTDIR has every file, ca.pem does not expire within
30 days and every certificate still verifies against its CA.
EOF
}

force=0
outdir=
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "certs: unknown option: $arg" >&2; usage >&2; exit 2 ;;
    *)
        [[ -z $outdir ]] || { echo "certs: only one OUTDIR allowed" >&2; exit 2; }
        outdir=$arg
        ;;
    esac
done
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
outdir=${outdir:-$root/build/certs}

LEAVES=(server-rsa server-ecdsa server-ed25519 client expired wrong-host unknown-ca
    server-other server-wild)
CAS=(ca other-ca)
# Other encodings of server-ecdsa's and server-rsa's certificate and key (see certs/README.md).
EXTRAS=(server-ecdsa.der server-ecdsa.key.der server-rsa.trad.key server-ecdsa.enc.key)
# The passphrase of server-ecdsa.enc.key (a test key: it is no secret).
KEY_PASS=ktls-test-passphrase

# Valid set: all files present, CA not expiring soon, leaves verify.
# (Verifying also catches a set mixed up by an interrupted move, see below.)
up_to_date() {
    local d=$1 n
    for n in "${CAS[@]}" "${LEAVES[@]}"; do
        [[ -f $d/$n.pem && -f $d/$n.key ]] || return 1
    done
    for n in "${EXTRAS[@]}"; do [[ -f $d/$n ]] || return 1; done
    openssl x509 -noout -checkend $((30 * 86400)) -in "$d/ca.pem" >/dev/null || return 1
    openssl verify -CAfile "$d/ca.pem" "$d"/server-*.pem "$d/client.pem" \
        "$d/wrong-host.pem" >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$d/ca.pem" -no_check_time "$d/expired.pem" >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$d/other-ca.pem" "$d/unknown-ca.pem" >/dev/null 2>&1 || return 1
}

if ((!force)) && up_to_date "$outdir"; then
    echo "certs: up to date in $outdir"
    exit 0
fi

mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077
log=$tmp/openssl.log

# Run openssl quietly; on failure show its output and stop.
ossl() {
    if ! openssl "$@" >"$log" 2>&1; then
        echo "certs: openssl $1 failed:" >&2
        cat "$log" >&2
        exit 1
    fi
}

DAYS=3650
cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# a server certificate for the one name in $GEN_SAN (sign_for)
[named]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::GEN_SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# Throwaway "openssl ca" setup, only for the expired certificate's dates.
[ca]
default_ca = old_ca
[old_ca]
database = $ENV::GEN_TMP/index.txt
serial = $ENV::GEN_TMP/serial
new_certs_dir = $ENV::GEN_TMP
default_md = sha256
policy = any
[any]
commonName = supplied
EOF
export GEN_TMP=$tmp GEN_SAN=DNS:localhost
touch "$tmp/index.txt"
openssl rand -hex 16 >"$tmp/serial"
cnf=(-config "$tmp/openssl.cnf")

# make_ca NAME CN
make_ca() {
    ossl req "${cnf[@]}" -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$tmp/$1.key" -out "$tmp/$1.pem" -subj "/CN=$2" \
        -days "$DAYS" -extensions v3_ca
}

# make_csr NAME CN KEYSPEC...  (KEYSPEC: rsa:2048 | ec -pkeyopt ... | ed25519)
make_csr() {
    local name=$1 cn=$2
    shift 2
    ossl req "${cnf[@]}" -new -newkey "$@" -nodes -keyout "$tmp/$name.key" \
        -out "$tmp/$name.csr" -subj "/CN=$cn"
}

# sign NAME EXTSECTION [CA]
sign() {
    local ca=${3:-ca}
    ossl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$ca.pem" -CAkey "$tmp/$ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" \
        -extfile "$tmp/openssl.cnf" -extensions "$2" -out "$tmp/$1.pem"
}

# sign_for NAME DNSNAME: a P-256 server certificate for DNSNAME alone (SAN and CN)
sign_for() {
    make_csr "$1" "$2" "${P256[@]}"
    GEN_SAN=DNS:$2 sign "$1" named
}

P256=(ec -pkeyopt ec_paramgen_curve:P-256)

make_ca ca "ktls-helper test CA"
make_ca other-ca "ktls-helper unknown test CA"

make_csr server-rsa localhost rsa:2048; sign server-rsa server
make_csr server-ecdsa localhost "${P256[@]}"; sign server-ecdsa server
make_csr server-ed25519 localhost ed25519; sign server-ed25519 server
make_csr client ktls-test-client "${P256[@]}"; sign client client
sign_for wrong-host wrong.example
make_csr unknown-ca localhost "${P256[@]}"; sign unknown-ca server other-ca
sign_for server-other other.test
sign_for server-wild '*.wild.test'

# The same certificate and keys in the other encodings a user may have.
ossl x509 -in "$tmp/server-ecdsa.pem" -outform DER -out "$tmp/server-ecdsa.der"
ossl pkey -in "$tmp/server-ecdsa.key" -outform DER -out "$tmp/server-ecdsa.key.der"
ossl pkey -in "$tmp/server-rsa.key" -traditional -out "$tmp/server-rsa.trad.key"
ossl pkcs8 -topk8 -v2 aes-256-cbc -in "$tmp/server-ecdsa.key" -passout "pass:$KEY_PASS" \
    -out "$tmp/server-ecdsa.enc.key"

# openssl x509 in 3.0 cannot set explicit dates; openssl ca can.
make_csr expired localhost "${P256[@]}"
ossl ca "${cnf[@]}" -batch -notext -in "$tmp/expired.csr" \
    -cert "$tmp/ca.pem" -keyfile "$tmp/ca.key" \
    -startdate 20200101000000Z -enddate 20200102000000Z \
    -extfile "$tmp/openssl.cnf" -extensions server -out "$tmp/expired.pem"

chmod 600 "$tmp"/*.key "$tmp/server-ecdsa.key.der"
chmod 644 "$tmp"/*.pem "$tmp/server-ecdsa.der"

# Move into place. ca.pem goes first: until every leaf certificate has been
# moved, some old leaf fails to verify against the new ca.pem, and each leaf's
# key moves before its certificate, so up_to_date() rejects any half-moved set.
mv -f "$tmp/ca.pem" "$outdir/"
for n in "${CAS[@]}" "${LEAVES[@]}"; do mv -f "$tmp/$n.key" "$outdir/"; done
for n in "${EXTRAS[@]}"; do mv -f "$tmp/$n" "$outdir/"; done
mv -f "$tmp/other-ca.pem" "$outdir/"
for n in "${LEAVES[@]}"; do mv -f "$tmp/$n.pem" "$outdir/"; done

echo "certs: generated $((${#CAS[@]} + ${#LEAVES[@]})) certificates in $outdir"
