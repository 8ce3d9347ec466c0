#!/bin/bash
# deps.sh — make sure every Debian package ktls-helper needs is installed.
#
# Called by `make check`, `make demo` and .ci/run, so a fresh Debian/Ubuntu machine needs
# nothing beforehand. Missing packages are installed with apt-get when we run as root;
# otherwise the exact command to run is printed and we fail.
#
#   tools/deps.sh            check and install everything
#   tools/deps.sh --list     print the package list and exit
#   tools/deps.sh --check    only report what is missing (exit 1 if anything is)
set -euo pipefail

# What each package is for:
#   build-essential make gcc clang libclang-rt-14-dev pkg-config valgrind  the build, with gcc and with clang
#   llvm-14           llvm-profdata-14 and llvm-cov-14 for make fuzz-coverage
#   libsodium-dev     X25519, ChaCha20-Poly1305, constant-time helpers, memzero
#   libssl-dev        libcrypto: X.509, signatures, SHA-2, HMAC/HKDF, AES-GCM, P-256
#   libmnl-dev        netlink sock_diag for ktls-diag
#   perl              prove, the TAP runner of `make check`
#   openssl gnutls-bin curl   real TLS peers for the interop tests; openssl makes test certs
#   qemu-system-x86 busybox-static cpio  the microVM that runs Debian's kernel with kTLS
#   ca-certificates   the system trust store, the client's default CA set
#   python3 iproute2  test scripts: a free port (python3), whether a peer listens yet (ss)
#   groff-base        the man pages are linted with groff -ww
PACKAGES=(
  build-essential make gcc clang libclang-rt-14-dev pkg-config valgrind llvm-14
  libsodium-dev libssl-dev libmnl-dev
  perl
  openssl gnutls-bin curl ca-certificates
  qemu-system-x86 busybox-static cpio
  gnuplot-nox
  python3 iproute2
  groff-base
)

mode=install
case "${1:-}" in
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  --check) mode=check ;;
  "") ;;
  -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps.sh: this is not a Debian-based system; install the equivalents of:" >&2
  printf '  %s\n' "${PACKAGES[@]}" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $mode == check ]]; then
  echo "deps: missing: ${missing[*]}" >&2
  echo "deps: run as root: apt-get update && $cmd" >&2
  exit 1
fi
if ((EUID != 0)); then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are absent or older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]]; then
  apt-get update -qq
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ktls-deps.$$.log 2>&1; then
  # A stale list can name versions the mirror no longer has: refresh once and retry.
  apt-get update -qq
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ktls-deps.$$.log 2>&1; then
    tail -n 30 /tmp/ktls-deps.$$.log >&2
    echo "deps: apt-get install failed (full log: /tmp/ktls-deps.$$.log)" >&2
    exit 1
  fi
fi
rm -f /tmp/ktls-deps.$$.log
echo "deps: installed ${#missing[@]} package(s)"
