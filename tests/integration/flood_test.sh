#!/usr/bin/env bash
# Memory stays bounded under a flood of one-packet flows: two million spoofed SYNs through a
# flow table capped at 100,000 flows. The peak resident memory of that run must stay close to
# the peak of a run ten times smaller (it does not grow with the flood) and under a fixed
# budget; every flow beyond the cap is evicted and counted. Under sanitizers (which inflate
# memory) the flood is smaller and only the counters are checked.
set -euo pipefail
warden=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
big=2000000 small=200000 cap=100000
if [[ -n "${WARDEN_SANITIZED:-}" ]]; then big=300000 small=30000 cap=20000; fi

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$1" "$2"; }

"$gen" "$tmp/small.pcap" $small 1
"$gen" "$tmp/big.pcap" $big 2
"$warden" analyze -q --no-sqlite --max-flows $cap -o "$tmp/s" "$tmp/small.pcap"
"$warden" analyze -q --no-sqlite --max-flows $cap -o "$tmp/b" "$tmp/big.pcap"

total=$(field "$tmp/b/summary.json" "['flows']['total']")
evicted=$(field "$tmp/b/summary.json" "['flows']['evicted']")
peak=$(field "$tmp/b/summary.json" "['flows']['peak']")
rss_small=$(field "$tmp/s/summary.json" "['peak_rss_kb']")
rss_big=$(field "$tmp/b/summary.json" "['peak_rss_kb']")
lines=$(wc -l < "$tmp/b/flows.jsonl")
echo "flows $total, evicted $evicted, peak in table $peak (cap $cap), flows.jsonl $lines lines"
echo "peak RSS: ${rss_small} KB for $small packets, ${rss_big} KB for $big packets"
fail=0
# Random sources repeat now and then within the cap window and resume a flow: allow 1%.
[[ $total -ge $((big - big / 100)) ]] || { echo "FAIL: expected about $big flows"; fail=1; }
[[ $peak -le $cap ]] || { echo "FAIL: table held $peak flows, over the cap"; fail=1; }
[[ $evicted -ge $((big - cap - big / 10)) ]] || { echo "FAIL: only $evicted evictions"; fail=1; }
[[ $lines -eq $total ]] || { echo "FAIL: evicted flows must still be logged"; fail=1; }
if [[ -z "${WARDEN_SANITIZED:-}" ]]; then
  # 10x the packets may cost at most 24 MB more: no per-flow growth past the cap.
  [[ $rss_big -le $((rss_small + 24576)) ]] || { echo "FAIL: memory grew with the flood"; fail=1; }
  [[ $rss_big -le 200000 ]] || { echo "FAIL: peak RSS over 200 MB"; fail=1; }
fi
exit $fail
