#!/bin/bash
# run.sh — runs each libFuzzer target for a while on a copy of its seed corpus.
#
#   tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS TARGET...
#
# Each target runs build/fuzz/fuzz-TARGET for SECONDS on a fresh copy of
# tests/fuzz/corpus/TARGET (new inputs it finds stay in the copy, never in the tree), with a
# per-input timeout and a memory limit. Any finding — crash, sanitizer report, leak, timeout,
# out-of-memory — fails the run; its input is kept in BUILD_FUZZ_DIR/findings/. A summary
# line per target gives runs, execs/s, coverage and the result. FUZZ_ARGS adds libFuzzer
# options (coverage.sh passes -seed=1).
set -uo pipefail
dir=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/findings" "$dir/logs"
declare -A max_len=([record]=17000 [messages]=8192 [server]=8192 [client]=8192 [post_handshake]=8192 [saved_session]=2048 [http]=26000 [netlink]=8192)
failed=()
for t in "$@"; do
  corpus="$dir/run/$t"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  [[ -d $here/corpus/$t ]] && cp "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
  log="$dir/logs/$t.log"
  start=$(date +%s)
  # detect_leaks: a leak in lib/ is a finding; -timeout: one input over 10 s is a hang
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$dir/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len="${max_len[$t]:-8192}" -print_final_stats=1 \
      -artifact_prefix="$dir/findings/$t-" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if ((rc == 0)); then
    echo "fuzz $t: ok — ${runs:-?} runs in ${took}s (${eps:-?}/s), $cov"
  else
    echo "fuzz $t: FINDING (exit $rc) after ${took}s — log $log:"
    grep -E 'ERROR|SUMMARY|Test unit written|check failed|fuzz:' "$log" | head -20 | sed 's/^/  /'
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in: ${failed[*]} (inputs in $dir/findings/)"
  exit 1
fi
