#!/bin/bash
# coverage.sh — how much of lib/ each fuzz target reaches, and which handshake handlers
# (`make fuzz-coverage`; tests/fuzz/README.md, "Coverage").
#
#   tests/fuzz/coverage.sh BUILD_FUZZ_DIR TARGET...
#
# For each target: run.sh fuzzes it FUZZ_COV_SECONDS (default 60; 0 = seeds only) from a
# copy of tests/fuzz/corpus/TARGET with -seed=1, the same way every time, so a "before" and
# an "after" are measured alike. Then the seeds plus what the run added are replayed through
# BUILD_FUZZ_DIR/cov/cov-TARGET (the target, lib/ and support/ built with clang's
# -fprofile-instr-generate -fcoverage-mapping and coverage/replay.c as main), and
# llvm-profdata / llvm-cov give lib/'s line and function coverage and the entry count of
# every handler below. Output per target, and a Markdown table in BUILD_FUZZ_DIR/cov/summary.md
# for the README. Exits 1 when a fuzz run had a finding (coverage is still measured).
# FUZZ_COV_REUSE=1 measures the corpus the last run left in BUILD_FUZZ_DIR/cov/corpus/TARGET
# again, without fuzzing (after a change to lib/, say).
set -uo pipefail
dir=$1
shift
secs=${FUZZ_COV_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cov=$dir/cov

# The handlers of handshake messages, as regular expressions (Python re.search) on function
# names in lib/ (a static function's file prefix stripped). Every function a pattern matches
# is one handler row; a pattern that matches nothing is reported, so after a rename update
# this table (the engine's handlers, say '^ktls_engine_on_').
HANDLERS=(
  '^ktls_client_on_'                                       # client: ServerHello … Finished,
                                                           # NewSessionTicket
  '^ktls_server_on_'                                       # server: ClientHello … Finished
  '^ktls_hs_recv_(certificate|certificate_verify|finished)$' # shared by both sides
  '^ktls_verify_chain$'                                    # certificate verification
  '^ktls_ticket_open$'                                     # server: opening a ticket
  '^ktls_on_key_update$'                                   # KeyUpdate (both sides)
)

tool() {
  local t
  for t in "$1-14" "$1"; do
    command -v "$t" >/dev/null && { echo "$t"; return; }
  done
  echo "coverage: no $1 (Debian: apt-get install llvm-14)" >&2
  exit 1
}
profdata=$(tool llvm-profdata)
llvmcov=$(tool llvm-cov)

mkdir -p "$cov/corpus" "$cov/prof"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git -C "$root" status --porcelain -- lib tests/fuzz 2>/dev/null | head -1)
{
  echo "Measured $(date -u +%Y-%m-%d) at commit $commit${dirty:+ (with uncommitted changes)}," \
    "FUZZ_COV_SECONDS=$secs."
  echo
  echo "| target | inputs | lines (lib/, or the tool library) | functions | handlers reached" \
    "| of them beyond the seeds' code | not reached |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} >"$cov/summary.md"

# export NAME BINARY... — NAME.profdata as NAME.json (llvm-cov export)
export() {
  local name=$1 b
  local objects=("$2")
  for b in "${@:3}"; do objects+=(-object "$b"); done
  # (each target's own LLVMFuzzer* functions differ under one name: llvm-cov warns)
  "$llvmcov" export -format=text -skip-expansions -instr-profile="$name.profdata" \
    "${objects[@]}" >"$name.json" 2> >(grep -v 'functions have mismatched data' >&2) || exit 1
}

# What a target's coverage is measured on: lib/, or the tool library its parser lives in
# (whose code holds none of the handlers).
code_of() {
  case $1 in
  http) echo tools/httpd/ ;;
  netlink) echo tools/diag/ ;;
  *) echo lib/ ;;
  esac
}

# report LABEL INPUTS NAME SEEDS_NAME [DIR] — prints DIR's coverage (default lib/) from
# NAME.json and each handler's entries (all inputs, and how many of them the seeds alone
# make: SEEDS_NAME.json), and appends LABEL's row to the summary table.
report() {
  local dir=${5:-lib/} handlers=("${HANDLERS[@]}")
  [[ $dir == lib/ ]] || handlers=()
  python3 - "$3.json" "$4.json" "$root/$dir" "$1" "$2" "$cov/summary.md" "$dir" "${handlers[@]}" <<'EOF'
import json, re, sys
path, seeds_path, lib, label, inputs, summary, where = sys.argv[1:8]
patterns = sys.argv[8:]
data = json.load(open(path))["data"][0]
files = [f for f in data["files"] if f["filename"].startswith(lib)]
def total(kind):
    n = sum(f["summary"][kind]["count"] for f in files)
    c = sum(f["summary"][kind]["covered"] for f in files)
    return c, n, 100.0 * c / n if n else 0.0
lc, ln, lp = total("lines")
fc, fn, fp = total("functions")
print(f"   {where}: lines {lc}/{ln} ({lp:.1f}%), functions {fc}/{fn} ({fp:.1f}%)")
def functions(d):
    # (name, file) -> [entry count, count of each code region]; with several binaries a
    # lib/ function appears once per binary: add them up
    out = {}
    for f in d["functions"]:
        if f["filenames"] and f["filenames"][0].startswith(lib):
            key = (f["name"].rsplit(":", 1)[-1], f["filenames"][0][len(lib) - 4:])
            counts = [f["count"]] + [r[4] for r in f["regions"]]
            old = out.get(key, [0] * len(counts))
            out[key] = [a + b for a, b in zip(old, counts)]
    return out
every, seeded = functions(data), functions(json.load(open(seeds_path))["data"][0])
rows = []  # name, entries, entries by the seeds, regions run, regions the seeds run, regions
for pat in patterns:
    hit = sorted(k for k in every if re.search(pat, k[0]))
    if not hit:
        print(f"     pattern {pat!r} matches no function in lib/: update HANDLERS in coverage.sh")
    for key in hit:
        a, b = every[key], seeded.get(key, [0] * len(every[key]))
        rows.append((key[0], a[0], b[0], sum(1 for c in a[1:] if c), sum(1 for c in b[1:] if c),
                     len(a) - 1))
reached = [r for r in rows if r[1]]
# "beyond the seeds": the inputs the fuzzer added run code of the handler that no seed runs
beyond = [r for r in rows if r[3] > r[4]]
print(f"   handlers reached {len(reached)}/{len(rows)}, {len(beyond)} beyond what the seeds run"
      " (entries all / seeds; code regions run all / seeds / of):")
for name, count, seed, run, seed_run, regions in rows:
    state = "not reached" if not count else "beyond seeds" if run > seed_run else "seeds' code "
    print(f"     {state} {count:>9} / {seed:<6} {run:>4} / {seed_run:<4} of {regions:<4} {name}")
missing = ", ".join(f"`{r[0]}`" for r in rows if not r[1]) or "—"
beyond = len(beyond)
with open(summary, "a") as out:
    if not patterns:  # a tool library's parser: no handler to reach
        print(f"| {label} | {inputs} | {lp:.1f}% ({lc}/{ln}) of `{where}` | {fp:.1f}% ({fc}/{fn}) "
              f"| — | — | — |", file=out)
    else:
        print(f"| {label} | {inputs} | {lp:.1f}% ({lc}/{ln}) | {fp:.1f}% ({fc}/{fn}) "
              f"| {len(reached)}/{len(rows)} | {beyond} | {missing} |", file=out)
EOF
}

failed=() measured=() total_inputs=0
for t in "$@"; do
  corpus=$cov/corpus/$t
  if [[ ${FUZZ_COV_REUSE:-} == 1 && -d $corpus ]]; then
    : # the corpus of the last measurement, as it is
  elif ((secs > 0)); then
    rm -rf "$corpus"
    FUZZ_ARGS=-seed=1 bash "$here/run.sh" "$dir" "$secs" "$t" || failed+=("$t")
    cp -r "$dir/run/$t" "$corpus"
  else
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
  fi
  seeds=$(find "$here/corpus/$t" -type f 2>/dev/null | wc -l)
  inputs=$(find "$corpus" -type f | wc -l)
  rm -f "$cov/prof/$t".* "$cov/prof/$t-seeds".*
  # the whole corpus, and the committed seeds alone (what the fuzzer adds is the difference)
  if ! LLVM_PROFILE_FILE="$cov/prof/$t.profraw" "$cov/cov-$t" "$corpus" \
      >"$cov/prof/$t.log" 2>&1 ||
     ! LLVM_PROFILE_FILE="$cov/prof/$t-seeds.profraw" "$cov/cov-$t" "$here/corpus/$t" \
      >>"$cov/prof/$t.log" 2>&1; then
    echo "coverage $t: the replay failed (log $cov/prof/$t.log)" >&2
    failed+=("$t")
    continue
  fi
  for p in "$t" "$t-seeds"; do
    "$profdata" merge -sparse -o "$cov/prof/$p.profdata" "$cov/prof/$p.profraw" || exit 1
    export "$cov/prof/$p" "$cov/cov-$t"
  done
  echo "== $t: $inputs inputs ($seeds seeds + $((inputs - seeds)) from $secs s, -seed=1)"
  report "\`$t\`" "$inputs" "$cov/prof/$t" "$cov/prof/$t-seeds" "$(code_of "$t")"
  measured+=("$t")
  total_inputs=$((total_inputs + inputs))
done
# The union: what any target reaches (one profile, every binary's coverage mapping).
if ((${#measured[@]} > 1)); then
  raws=("${measured[@]/#/$cov/prof/}")
  "$profdata" merge -sparse -o "$cov/prof/all.profdata" "${raws[@]/%/.profraw}" 2>/dev/null &&
    "$profdata" merge -sparse -o "$cov/prof/all-seeds.profdata" \
      "${raws[@]/%/-seeds.profraw}" 2>/dev/null || exit 1
  export "$cov/prof/all" "${measured[@]/#/$cov/cov-}"
  export "$cov/prof/all-seeds" "${measured[@]/#/$cov/cov-}"
  echo "== all targets (${measured[*]})"
  report "all targets" "$total_inputs" "$cov/prof/all" "$cov/prof/all-seeds"
fi
echo "coverage: summary table in $cov/summary.md"
if ((${#failed[@]})); then
  echo "coverage: findings or failed replays in: ${failed[*]}"
  exit 1
fi
