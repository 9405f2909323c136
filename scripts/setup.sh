#!/usr/bin/env bash
# setup.sh — the README's two commands, on a fresh Debian 12 machine or an existing one.
#
#   bash scripts/setup.sh serve [IMGMOCK OPTIONS]   install build deps, build, start on 127.0.0.1:4010
#   bash scripts/setup.sh test                      install build + test deps, build, run every test,
#                                                   then build again with the sanitizers and
#                                                   the fuzz targets and run every test there
#   bash scripts/setup.sh build                     install build deps and build only
#
# Packages come from Debian's archive only; apt runs just when one is missing, so repeated runs
# are fast. The build goes to build/ with warnings as errors. The one exception, for the tests
# only: the official openai npm package, which `npm ci` installs into tests/sdk exactly as
# tests/sdk/package-lock.json pins it.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(build-essential cmake pkg-config libcivetweb-dev libjansson-dev libdeflate-dev libstb-dev)
test_packages=(python3 python3-jsonschema python3-pil webp nodejs npm wrk curl)
sanitizer_packages=(clang libclang-rt-14-dev) # ASan, UBSan and libFuzzer

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Whether a package's command is already there from another package: NodeSource's nodejs, for
# one, brings npm and conflicts with Debian's npm package, so asking apt for npm would fail.
has_command_of() {
  case $1 in
    nodejs) command -v node >/dev/null ;;
    npm) command -v npm >/dev/null ;;
    *) return 1 ;;
  esac
}

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || has_command_of "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# build [ON|OFF]: configure and build; the argument says whether the tests are built too.
build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGMOCK_WERROR=ON -DBUILD_TESTING="${1:-OFF}" >/dev/null
  cmake --build build -j "$(nproc)"
}

case "${1:-}" in
  serve)
    shift
    install_packages "${build_packages[@]}"
    build
    exec build/imgmock "$@"
    ;;
  test)
    install_packages "${build_packages[@]}" "${test_packages[@]}" "${sanitizer_packages[@]}"
    build ON
    # the SDK tests' one dependency, the official openai package, exactly as the lock file pins it
    (cd tests/sdk && npm ci --no-audit --no-fund)
    ctest --test-dir build --output-on-failure -j "$(nproc)"
    # The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer (clang, so the
    # same build also carries the libFuzzer targets, each fuzzed for 10 s by ctest).
    CC=clang cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGMOCK_WERROR=ON \
      -DIMGMOCK_SANITIZE=ON -DIMGMOCK_FUZZ=ON -DIMGMOCK_BENCH=OFF -DIMGMOCK_SDK_TESTS=ON -DBUILD_TESTING=ON >/dev/null
    cmake --build build-sanitize -j "$(nproc)"
    ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"
    ;;
  build)
    install_packages "${build_packages[@]}"
    build
    ;;
  *)
    echo "usage: bash scripts/setup.sh serve [OPTIONS] | test | build" >&2
    exit 2
    ;;
esac
