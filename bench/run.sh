#!/usr/bin/env bash
# bench/run.sh — imgmock's benchmark harness (first part; see bench/README.md).
#
#   bash bench/run.sh [--duration SECONDS]      (default 10 s per wrk scenario)
#
# Builds `imgmock` and `bare` (cmake --build build --target imgmock bare), starts each on port 0,
# drives them with wrk (2 threads, 32 connections, --latency) and prints one Markdown table and
# the ratios against the issue's targets. Never part of ctest. Every server it starts it stops.
set -euo pipefail

DURATION=10
THREADS=2
CONNS=32
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --duration=*) DURATION="${1#*=}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$ROOT/build"
if ! command -v wrk >/dev/null; then # Debian's package, installed like setup.sh installs its own
  echo "run.sh: installing wrk" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >&2; else sudo apt-get install -y -qq wrk >&2; fi
fi
WRK="$(command -v wrk || true)"
[ -n "$WRK" ] || { echo "run.sh: wrk not found and could not be installed (Debian: apt-get install wrk)" >&2; exit 1; }
PY="$(command -v python3)"

cmake --build "$BUILD" --target imgmock bare >&2
IMGMOCK="$BUILD/imgmock"
BARE="$BUILD/bench/bare"

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

export BENCH_NONCE="$$-$(date +%s)"

# start NAME CMD... : starts a server on port 0, sets SRV_PID and SRV_URL from its listening line.
start() {
  local name="$1"; shift
  local out="$TMP/$name.out"
  "$@" >"$out" 2>"$TMP/$name.err" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  for _ in $(seq 1 200); do
    if grep -q 'listening on http://' "$out" 2>/dev/null; then
      SRV_URL="$(grep -o 'http://[0-9.]*:[0-9]*' "$out" | head -1)"
      return 0
    fi
    sleep 0.01
  done
  echo "run.sh: $name did not start:" >&2; cat "$TMP/$name.err" >&2; exit 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }  # rss_kb PID VmRSS|VmHWM

# sample_peak PID FILE : background loop writing the largest VmRSS seen (kB) into FILE.
sample_peak() {
  local pid="$1" file="$2" peak=0 v
  while kill -0 "$pid" 2>/dev/null; do
    v="$(rss_kb "$pid" VmRSS 2>/dev/null || echo 0)"; v="${v:-0}"
    [ "$v" -gt "$peak" ] && { peak="$v"; echo "$peak" >"$file"; }
    sleep 0.1
  done
}

# to_ms VALUE (wrk's "220.00us", "1.23ms", "2.01s", "1.00m")
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

ROWS=()          # Markdown rows
declare -A RPS P50 P99
WARN=()

# scenario KEY LABEL SERVER_NAME PID URL EXPECT(2xx|4xx) [wrk args...]
scenario() {
  local key="$1" label="$2" server="$3" pid="$4" url="$5" expect="$6"; shift 6
  local out="$TMP/wrk-$key.txt" peakf="$TMP/peak-$key"
  echo 0 >"$peakf"
  sample_peak "$pid" "$peakf" & local sampler=$!
  echo "run.sh: $label on $server ..." >&2
  "$WRK" --latency "$@" "$url" >"$out" 2>&1 || true
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  local rps p50 p99 non2xx errs peak
  rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
  p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")"
  errs="$(grep -E '^ *Socket errors:' "$out" || true)"
  local total; total="$(awk '/requests in/ { print $1 }' "$out")"
  peak="$(cat "$peakf")"
  RPS[$key]="${rps:-0}"; P50[$key]="$p50"; P99[$key]="$p99"
  ROWS+=("| $label | $server | ${rps:-?} | ${p50} ms | ${p99} ms | $(awk -v k="$peak" 'BEGIN { printf "%.1f MB", k / 1024 }') |")
  if [ "$expect" = 2xx ] && [ -n "$non2xx" ]; then WARN+=("$label on $server: $non2xx of $total responses were not 2xx"); fi
  if [ "$expect" = 4xx ] && [ "${non2xx:-0}" != "$total" ]; then WARN+=("$label on $server: only ${non2xx:-0} of $total responses were non-2xx (expected all 400)"); fi
  [ -n "$errs" ] && WARN+=("$label on $server: wrk$errs")
  [ -n "${rps:-}" ] || WARN+=("$label on $server: wrk printed no Requests/sec (see its output below)") && true
  [ -n "${rps:-}" ] || cat "$out" >&2
}

LOAD=(-t"$THREADS" -c"$CONNS" -d"${DURATION}s")

# --- bare: the ceiling ---------------------------------------------------------------------
start bare "$BARE" --port 0
BARE_PID=$SRV_PID; BARE_URL=$SRV_URL
sleep 0.2
BARE_IDLE="$(rss_kb "$BARE_PID" VmRSS)"
scenario bare "(a) catch-all GET /" bare "$BARE_PID" "$BARE_URL/" 4xx "${LOAD[@]}"
stop "$BARE_PID"

# --- imgmock ---------------------------------------------------------------------------------
start imgmock "$IMGMOCK" --port 0 --quiet
IM_PID=$SRV_PID; IM_URL=$SRV_URL
sleep 0.2
IM_IDLE="$(rss_kb "$IM_PID" VmRSS)"

scenario valid "(a) validation error → 400" imgmock "$IM_PID" "$IM_URL" 4xx "${LOAD[@]}" -s "$HERE/validation.lua"

# warm-up: one request so the cache holds the small image
curl -fsS -o /dev/null -H 'Authorization: Bearer sk-bench' -H 'Content-Type: application/json' \
  -d '{"model":"dall-e-2","prompt":"a small cached otter","size":"256x256","response_format":"b64_json"}' \
  "$IM_URL/v1/images/generations"
scenario cached "(b) small image, cached" imgmock "$IM_PID" "$IM_URL" 2xx "${LOAD[@]}" -s "$HERE/cached_small.lua"
SMALL='"model":"dall-e-2","size":"256x256","response_format":"b64_json"'
PNG_1024='"model":"gpt-image-1","size":"1024x1024","quality":"low","output_format":"png"'
STREAM='"model":"gpt-image-1","size":"1024x1024","quality":"low","stream":true,"partial_images":2'
BENCH_FIELDS=$SMALL scenario fresh_small "(c) small image, fresh" imgmock "$IM_PID" "$IM_URL" 2xx "${LOAD[@]}" -s "$HERE/fresh.lua"
BENCH_FIELDS=$PNG_1024 scenario fresh_1024 "(d) 1024² PNG, fresh" imgmock "$IM_PID" "$IM_URL" 2xx "${LOAD[@]}" -s "$HERE/fresh.lua"
BENCH_FIELDS=$PNG_1024 scenario fresh_1024_c1 "(d′) 1024² PNG, fresh, 1 connection" imgmock "$IM_PID" "$IM_URL" 2xx -t1 -c1 -d"${DURATION}s" -s "$HERE/fresh.lua"
BENCH_FIELDS=$STREAM scenario stream "(e) stream, 2 partials, fresh" imgmock "$IM_PID" "$IM_URL" 2xx "${LOAD[@]}" -s "$HERE/fresh.lua"
IM_HWM="$(rss_kb "$IM_PID" VmHWM)"
stop "$IM_PID"

# --- (f) start to first answer ---------------------------------------------------------------
STARTUP_MS="$("$PY" - "$IMGMOCK" <<'PYEOF'
import statistics, subprocess, sys, time, urllib.request
binary = sys.argv[1]
runs = []
for _ in range(10):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--port", "0", "--quiet"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        line = p.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.0005)
        runs.append((time.perf_counter() - t0) * 1000)
    finally:
        p.terminate()
        p.wait()
print(f"{statistics.median(runs):.1f}")
PYEOF
)"

# --- encoding time alone (tests/bench/encode_times.c, built with the tests) -------------------
ENC_MS=""
if [ -x "$BUILD/tests/encode_times" ]; then
  ENC_LINE="$("$BUILD/tests/encode_times" 5 | awk -F'|' '$2 ~ /1024x1024/ && $3 ~ /no/')"
  SYN="$(echo "$ENC_LINE" | awk -F'|' '{ print $4 + 0 }')"
  PNG="$(echo "$ENC_LINE" | awk -F'|' '{ print $5 + 0 }')"
  ENC_MS="$(awk -v a="$SYN" -v b="$PNG" 'BEGIN { printf "%.1f", a + b }')"
fi

# --- report ----------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
  if (v == "n/a" || v == "") print "not measured"; else if ((op == ">=" && v + 0 >= t + 0) || (op == "<=" && v + 0 <= t + 0)) print "met"; else print "missed" }'; }

echo
echo "| scenario | server | req/s | p50 | p99 | RSS |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo "| (f) start → first answered GET /health (median of 10) | imgmock | | ${STARTUP_MS} ms | | |"
echo "| (g) idle after start | imgmock | | | | $(awk -v k="$IM_IDLE" 'BEGIN { printf "%.1f MB", k / 1024 }') |"
echo "| (g) idle after start | bare | | | | $(awk -v k="$BARE_IDLE" 'BEGIN { printf "%.1f MB", k / 1024 }') |"
echo "| (g) peak over all scenarios (VmHWM) | imgmock | | | | $(awk -v k="$IM_HWM" 'BEGIN { printf "%.1f MB", k / 1024 }') |"
echo
echo "RSS column: the largest VmRSS sampled every 0.1 s during that scenario (same process throughout, so it carries the earlier scenarios' memory)."
echo

R_VALID="$(ratio "${RPS[valid]}" "${RPS[bare]}")"
R_CACHED="$(ratio "${RPS[cached]}" "${RPS[bare]}")"
if [ -n "$ENC_MS" ]; then
  R_ENC="$(ratio "${P50[fresh_1024_c1]}" "$ENC_MS")"
  R_ENC32="$(ratio "${P50[fresh_1024]}" "$ENC_MS")"
  ENC_NOTE="p50 at 1 connection ${P50[fresh_1024_c1]} ms vs synthesis + PNG of 1024x1024 (encode_times 5) ${ENC_MS} ms; at 32 connections on $(nproc) CPUs p50 is ${P50[fresh_1024]} ms = ${R_ENC32}× (queueing)"
else
  R_ENC="n/a"
  ENC_NOTE="build/tests/encode_times not built (configure with BUILD_TESTING=ON and build target encode_times)"
fi
IDLE_MB="$(awk -v k="$IM_IDLE" 'BEGIN { printf "%.1f", k / 1024 }')"

echo "| ratio | value | target | verdict |"
echo "|---|---|---|---|"
echo "| validation-error req/s ÷ bare req/s | ${R_VALID}× | ≥ 0.8× | $(verdict "$R_VALID" 0.8 '>=') |"
echo "| cached small image req/s ÷ bare req/s | ${R_CACHED}× | ≥ 0.5× | $(verdict "$R_CACHED" 0.5 '>=') |"
echo "| fresh 1024² PNG latency ÷ its encoding time alone | ${R_ENC}× | ≤ 2× | $(verdict "$R_ENC" 2 '<=') |"
echo "| start to first answer | ${STARTUP_MS} ms | ≤ 20 ms | $(verdict "$STARTUP_MS" 20 '<=') |"
echo "| idle RSS | ${IDLE_MB} MB | ≤ 8 MB | $(verdict "$IDLE_MB" 8 '<=') |"
echo
echo "Encoding: $ENC_NOTE."
if [ ${#WARN[@]} -gt 0 ]; then
  echo
  echo "Warnings:"
  printf -- '- %s\n' "${WARN[@]}"
fi
