#!/usr/bin/env bash
# Golden test: runs `warden analyze` on one capture and diffs its JSON Lines outputs with the
# reviewed expectations in tests/golden/expected/<capture>/. Timestamps and ids in the output
# are derived from the capture alone, so the outputs are stable run to run.
# Usage: golden.sh WARDEN CAPTURE [--update]
set -euo pipefail
warden=$1 capture=$2 mode=${3:-}
here="$(cd "$(dirname "$0")" && pwd)"
name=$(basename "$capture")
expected="$here/expected/$name"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
"$warden" analyze -q -o "$out" "$capture" || status=$?
if [[ $status -ne 0 ]]; then
  echo "warden analyze exited $status on $capture"
  exit 1
fi
if [[ "$mode" == "--update" || -n "${UPDATE_GOLDEN:-}" ]]; then
  mkdir -p "$expected"
  cp "$out"/flows.jsonl "$out"/observations.jsonl "$out"/devices.jsonl "$out"/alerts.jsonl "$expected/"
  echo "updated $expected"
  exit 0
fi
fail=0
for f in flows.jsonl observations.jsonl devices.jsonl alerts.jsonl; do
  if ! diff -u "$expected/$f" "$out/$f" > "$out/$f.diff"; then
    echo "MISMATCH in $f for $name:"
    head -40 "$out/$f.diff"
    fail=1
  fi
done
# The database holds exactly what the JSON Lines files hold.
for t in flows observations devices alerts; do
  rows=$(sqlite3 "$out/warden.db" "select count(*) from $t")
  lines=$(wc -l < "$out/$t.jsonl")
  if [[ "$rows" != "$lines" ]]; then
    echo "warden.db has $rows $t rows but $t.jsonl has $lines lines"
    fail=1
  fi
done
exit $fail
