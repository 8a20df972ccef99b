#!/usr/bin/env bash
# The whole test suite: installs what is missing, then
#   1. dev build (GCC, -Werror) and every test: unit, golden, nDPI agreement, fuzz corpora,
#      CLI and live-capture integration tests (the namespace tests need root),
#   2. the same tests under AddressSanitizer + UBSan,
#   3. the libFuzzer targets (clang), each fuzzed briefly from its corpus,
#   4. the main job (scripts/run.sh: release build, `warden analyze` on the bundled captures),
#   5. clang-format conformance.
# Usage: scripts/test.sh [--quick]   (--quick: dev build and tests only)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-deps.sh
jobs=$(nproc)

step() { printf '\n=== %s\n' "$*"; }

step "dev build (GCC, -Werror)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
step "tests (dev)"
ctest --preset dev -j "$jobs"

if [[ "${1:-}" == "--quick" ]]; then exit 0; fi

step "AddressSanitizer + UBSan build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
step "tests (asan)"
ctest --preset asan -j "$jobs"

step "libFuzzer targets"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
seconds=${WARDEN_FUZZ_SECONDS:-15}
for target in build/fuzz/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$name/." "$work/"
  echo "fuzzing $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work" 2>"$work.log" || { tail -50 "$work.log"; echo "FUZZ FAILURE in $name"; exit 1; }
  grep -E 'stat::number_of_executed_units' "$work.log" || true
  rm -rf "$work" "$work.log"
done

step "main job (scripts/run.sh)"
scripts/run.sh >/dev/null
for f in report.html devices.jsonl flows.jsonl observations.jsonl summary.json warden.db; do
  [[ -s warden-out/run/$f ]] || { echo "scripts/run.sh did not write $f"; exit 1; }
done
echo "main job wrote warden-out/run/ ($(wc -l < warden-out/run/devices.jsonl) devices)"

step "clang-format"
scripts/check-format.sh
echo "all test stages passed"
