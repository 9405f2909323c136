#!/usr/bin/env bash
# fuzz.sh — the long libFuzzer run: each fuzz target of tests/fuzz for SECONDS, on every core.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target defaults to 300; TARGETs are request jscan size urltoken base64 encode
# (default: all). ctest's fuzz.<target> tests give each target 10 s on every run; this is the
# run that goes further, before a release or after touching a parser or an encoder.
#
# It configures and builds build-sanitize (clang, ASan + UBSan, IMGMOCK_FUZZ=ON: the build that
# `setup.sh test` makes too) when that does not exist yet, then runs each target as nproc
# parallel jobs (-jobs/-workers) sharing one corpus, build-sanitize/tests/fuzz/corpus/<target>
# (the one ctest's runs grow too; seeds from fixtures/ and
# tests/fuzz/corpus/ are only read). Nothing is written into the source tree except what was
# found: each crash-, leak-, timeout- or oom- input is copied into tests/fuzz/regressions/<target>/,
# where ctest's fuzz.<target>.regressions replays it once the bug is fixed. Job logs are in
# build-sanitize/tests/fuzz/long/<target>/. Exits 1 if any target found anything.
#
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer): apt-get install clang libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(request jscan size urltoken base64 encode)
seconds=300
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " =~ " $t " ]]; then
    echo "fuzz.sh: unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: needs clang and libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
  exit 2
fi

build=build-sanitize
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S . -B "$build" -DIMGMOCK_FUZZ=ON -DIMGMOCK_SANITIZE=ON -DBUILD_TESTING=ON \
    -DIMGMOCK_SDK_TESTS=OFF -DIMGMOCK_BENCH=OFF
fi
cmake --build "$build" -j"$(nproc)" --target fuzz_seeds "${targets[@]/#/fuzz_}"

jobs=$(nproc)
root=$PWD
fuzz=$root/$build/tests/fuzz
found=0
for t in "${targets[@]}"; do
  work=$fuzz/long/$t
  rm -rf "$work"
  mkdir -p "$work" "$fuzz/corpus/$t"
  dirs=("$fuzz/corpus/$t")
  for d in "$fuzz/seeds/$t" "$root/tests/fuzz/corpus/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  dict=()
  case $t in request | jscan) dict=(-dict="$root/tests/fuzz/request.dict") ;; esac

  echo "== fuzz_$t: $seconds s, $jobs jobs"
  status=0
  (cd "$work" && "$fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -jobs="$jobs" -workers="$jobs" -artifact_prefix="$work/" "${dict[@]}" "${dirs[@]}") >"$work/run.log" 2>&1 ||
    status=$?

  # What each job managed, from its log (libFuzzer writes fuzz-N.log in the working directory).
  for log in "$work"/fuzz-*.log; do
    [ -f "$log" ] || continue
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
    rate=$(grep -h 'stat::average_exec_per_sec' "$log" | awk '{print $2}' | tail -1)
    echo "   $(basename "$log"): ${execs:-?} runs, ${rate:-?} runs/s"
  done
  echo "   corpus: $(find "$fuzz/corpus/$t" -type f | wc -l) inputs"

  shopt -s nullglob
  artifacts=("$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*)
  shopt -u nullglob
  if [ ${#artifacts[@]} -gt 0 ]; then
    found=1
    mkdir -p "tests/fuzz/regressions/$t"
    cp "${artifacts[@]}" "tests/fuzz/regressions/$t/"
    echo "   FOUND ${#artifacts[@]}: copied to tests/fuzz/regressions/$t/ (see $work/fuzz-*.log)"
  elif [ $status -ne 0 ]; then
    found=1
    echo "   fuzz_$t exited with $status and left no input: see $work/run.log"
  fi
done
exit $found
