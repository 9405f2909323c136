#!/usr/bin/env bash
# memcheck.sh — every HTTP test suite against imgmock running under valgrind's memcheck.
#
#   bash scripts/memcheck.sh [BUILD_DIR] [SUITE...]     (default: build, every tests/http/test_*.py)
#
# Each server the suites start runs as `valgrind --leak-check=full … imgmock …`, logging to its
# own file. The verdict is valgrind's: the script fails if any server process reported a memory
# error, a definite or indirect leak, or died of a signal. Suites themselves may fail under
# valgrind's 20-50x slowdown (their timing assertions were not written for it); their results
# are printed for information, and a failing suite's servers are still judged.
# Not part of the default test run (it takes about 20 minutes); run before a release.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -x "$build/imgmock" ] || { echo "memcheck: $build/imgmock not built" >&2; exit 2; }

logs=$(mktemp -d)
wrapper=$logs/imgmock-under-valgrind
cat > "$wrapper" <<WRAP
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --track-origins=yes \
  --log-file=$logs/vg.%p.log $(realpath "$build/imgmock") "\$@"
WRAP
chmod +x "$wrapper"

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(tests/http/test_*.py)
python=/usr/bin/python3
[ -x "$python" ] || python=python3
failed_suites=()
for suite in "${suites[@]}"; do
  name=$(basename "$suite" .py)
  start=$(date +%s)
  if IMGMOCK_BIN=$wrapper IMGMOCK_SANITIZED=1 HOSTILE_GRACE_S=1 timeout 1800 "$python" "$suite" >"$logs/$name.out" 2>&1; then
    echo "memcheck: $name: tests passed ($(( $(date +%s) - start )) s)"
  else
    echo "memcheck: $name: tests failed under valgrind ($(( $(date +%s) - start )) s; see $logs/$name.out)"
    failed_suites+=("$name")
  fi
done

runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
bad=0
for log in "$logs"/vg.*.log; do
  [ -e "$log" ] || continue
  if [ -s "$log" ]; then # --quiet: a clean run writes nothing
    echo "memcheck: findings in $log:" >&2
    sed -n 1,60p "$log" >&2
    bad=$((bad + 1))
  fi
done
echo "memcheck: $runs server processes under valgrind, $bad with findings; suites failing under valgrind: ${failed_suites[*]:-none}"
if [ $bad -ne 0 ]; then
  echo "memcheck: FAILED (logs kept in $logs)" >&2
  exit 1
fi
rm -f "$logs"/vg.*.log "$wrapper"
if [ ${#failed_suites[@]} -eq 0 ]; then
  rm -rf "$logs"
else
  echo "memcheck: the failing suites' output is kept in $logs"
fi
echo "memcheck: clean"
