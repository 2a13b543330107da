#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Package.swift, -sanitize=fuzzer,address) and runs each one for
# FUZZ_SECONDS (default 60) from the committed seed corpus in Fuzz/corpus/<target>. Fails when a target
# crashes (a trap, an abort, a memory error), hangs (one input running over 1 s), leaks, or needs more
# than 2 GB. New interesting inputs go to .build-fuzz/corpus/<target>; findings to .build-fuzz/artifacts.
#
#   Fuzz/run.sh                 every target     FUZZ_SECONDS=30 Fuzz/run.sh     CI length
#   Fuzz/run.sh datum query     some targets     Fuzz/run.sh --build-only        just build
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
SCRATCH="${FUZZ_SCRATCH:-.build-fuzz}"
SANITIZERS="${FUZZ_SANITIZERS:-fuzzer,address}"
ALL=(datum query replay wire repl mutate)
BUILD_ONLY=0
TARGETS=()
for arg in "$@"; do
  if [ "$arg" = "--build-only" ]; then BUILD_ONLY=1; else TARGETS+=("$arg"); fi
done
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")

build=(swift build --package-path Fuzz --scratch-path "$SCRATCH" -c release
       -Xswiftc "-sanitize=$SANITIZERS" -Xswiftc -use-ld=lld)
echo "fuzz: building (${SANITIZERS})…"
if ! "${build[@]}" 2>&1 | grep -E "error|warning:|Compiling Fuzz|Build complete" ; then :; fi
bin="$("${build[@]}" --show-bin-path)"
for t in "${TARGETS[@]}"; do
  exe="$bin/Fuzz${t^}"
  [ -x "$exe" ] || { echo "fuzz: $exe was not built"; exit 1; }
done
[ "$BUILD_ONLY" = 1 ] && exit 0

failed=()
for t in "${TARGETS[@]}"; do
  work="$SCRATCH/corpus/$t"
  artifacts="$SCRATCH/artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  dict=""
  case "$t" in
    datum|mutate) dict="Fuzz/dict/toml.dict" ;;
    query) dict="Fuzz/dict/query.dict" ;;
    wire)  dict="Fuzz/dict/json.dict" ;;
  esac
  log="$SCRATCH/$t.log"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$bin/Fuzz${t^}" "$work" "Fuzz/corpus/$t" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=1 -rss_limit_mb=2048 -detect_leaks=1 -max_len=8192 \
    -artifact_prefix="$artifacts" -print_final_stats=1 ${dict:+-dict=$dict} >"$log" 2>&1
  status=$?
  execs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  corpus=$(ls "$work" | wc -l)
  if [ $status -eq 0 ]; then
    echo "fuzz: $t ok — $execs inputs in ${SECONDS_PER_TARGET} s, corpus $corpus"
  else
    echo "fuzz: $t FAILED (exit $status) — see $log and $artifacts"
    grep -E "^==[0-9]+== ERROR|SUMMARY|Fatal error|deadly signal|timeout|out-of-memory|leak" "$log" | head -5
    failed+=("$t")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failures in ${failed[*]}"; exit 1; }
