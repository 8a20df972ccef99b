#!/usr/bin/env bash
# Threat-intelligence matching at scale: the race capture analysed with and without a list of
# N indicators (half /32 addresses from the benchmarking range 198.18.0.0/15, RFC 2544, which
# holds 131,072 so larger halves repeat; half domains under .example), one core. Reports the slowdown and memory per indicator.
# Usage: bench/intel_bench.sh [INDICATORS=300000] [PACKETS=2000000]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n=${1:-300000} packets=${2:-2000000}
work=build/bench; mkdir -p "$work"
input="$work/race-$packets.pcap"
[[ -f "$input" ]] || { echo "run bench/race.sh $packets first (it builds $input)"; exit 1; }
list="$work/intel-$n.txt"
python3 - "$n" > "$list" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n // 2):
    print(f"198.{18 + (i >> 16) % 2}.{(i >> 8) & 255}.{i & 255}")
for i in range(n - n // 2):
    print(f"c2-{i:07d}.botnet.example")
PY
warden=build/release/src/app/warden
"$warden" intel check "$list" 2>&1 | tail -1
for mode in without with; do
  args=(); [[ $mode == with ]] && args=(--intel "$list")
  best=999
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$work/t" taskset -c 0 "$warden" analyze -q --no-sqlite "${args[@]}" -o "$work/out" "$input"
    read -r t m < "$work/t"
    best=$(echo "if ($t < $best) $t else $best" | bc)
  done
  echo "$mode intel: best of 3 ${best} s, peak RSS ${m} KB"
done
