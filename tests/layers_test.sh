#!/bin/bash
# layers_test.sh — the layers of DESIGN.md hold: every #include points down, never up.
#   0 lib/include (the public ktls.h)   1 lib/core (the engine)   2 lib/kernel
#   3 lib/*.c, lib/*.h (the driver)     4 tools/ (over the public API and their own libraries)
# A file may include its own layer or a lower one; no header include cycle anywhere in lib/;
# lib/core preprocesses without <sys/socket.h>, <linux/tls.h> or any other header of
# sockets, files and polling (it does no I/O); tools/ includes no private lib/ header; and
# libktls.so does not depend on libmnl.
source "$(dirname "${BASH_SOURCE[0]}")/support/tap.sh"
tap_plan 5

report() { # NAME OUTPUT: ok when OUTPUT is empty
	[[ -z $2 ]] && ok "$1" || not_ok "$1" "$2"
}

# 1-2: include direction and cycles, from the #include "..." lines
out=$(python3 - <<'EOF'
import os, re, sys
search = ["lib/include", "lib", "lib/core", "lib/kernel"]
def layer(path):
    if path.startswith("lib/include/"): return 0
    if path.startswith("lib/core/"): return 1
    if path.startswith("lib/kernel/"): return 2
    if path.startswith("lib/"): return 3
    return 4
def resolve(name, src):
    for d in [os.path.dirname(src)] + search:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(p): return p
    return None
files = [os.path.join(d, f) for top in ("lib", "tools") for d, _, fs in os.walk(top)
         for f in fs if f.endswith((".c", ".h"))]
graph, bad = {}, []
for f in sorted(files):
    for line in open(f, errors="replace"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m: continue
        h = resolve(m.group(1), f)
        if h is None: continue  # generated (kernel_cfg.h) or a tool's own relative header
        graph.setdefault(f, []).append(h)
        if h.startswith("lib/") and layer(h) > layer(f):
            bad.append(f"{f} (layer {layer(f)}) includes {h} (layer {layer(h)})")
        if f.startswith("tools/") and h.startswith("lib/") and layer(h) != 0:
            bad.append(f"{f} includes the private {h}")
print("\n".join("UP " + b for b in bad))
# cycles among headers (a .c file is never included)
state = {}
def visit(n, stack):
    state[n] = 1
    for m in graph.get(n, []):
        if state.get(m) == 1:
            print("CYCLE " + " -> ".join(stack[stack.index(m):] + [m]))
        elif m not in state:
            visit(m, stack + [m])
    state[n] = 2
for n in sorted(graph):
    if n not in state: visit(n, [n])
EOF
)
report "every #include in lib/ and tools/ points to its own layer or a lower one" \
	"$(grep '^UP ' <<<"$out")"
report "no include cycle" "$(grep '^CYCLE ' <<<"$out" | sort -u)"

# 3: what lib/core pulls in, through every header (system and library ones included)
forbidden='sys/socket\.h|linux/tls\.h|netinet/|arpa/inet\.h|poll\.h|sys/epoll\.h|fcntl\.h|unistd\.h|sys/sendfile\.h|sys/stat\.h'
found=()
for c in lib/core/*.c; do
	hits=$(${CC:-cc} -E -std=c17 -D_GNU_SOURCE -Ilib/include -Ilib/core \
		$(pkg-config --cflags libsodium libcrypto) "$c" 2>&1 |
		grep -oE "^# [0-9]+ \"[^\"]*($forbidden)\"" | grep -oE '"[^"]*"' | sort -u | tr '\n' ' ')
	[[ -n $hits ]] && found+=("$c: $hits")
done
report "lib/core compiles without socket, file or poll headers" "$(printf '%s\n' "${found[@]}")"

# 4: lib/core sees nothing above it even by search path: it builds with -Ilib/core alone
missing=()
for c in lib/core/*.c; do
	err=$(${CC:-cc} -fsyntax-only -std=c17 -D_GNU_SOURCE -Ilib/include -Ilib/core \
		$(pkg-config --cflags libsodium libcrypto) "$c" 2>&1) || missing+=("$c: $err")
done
report "lib/core builds with only lib/include and lib/core on the include path" \
	"$(printf '%s\n' "${missing[@]}")"

# 5: the library does not link libmnl (the diag tool library is its only user)
so=$B/lib/libktls.so
if [[ ! -f $so ]]; then
	not_ok "libktls.so does not depend on libmnl" "no $so (build first)"
else
	report "libktls.so does not depend on libmnl" "$(readelf -d "$so" | grep -i mnl)"
fi
tap_exit
