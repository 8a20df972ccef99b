#!/usr/bin/env bash
# What threat detection costs, in one run, pinned to one core:
#  1. Throughput: the race capture (bench/race.sh's input: the bundled real captures replayed,
#     attacks included) analysed with every detector on and with --no-detect; the ratio is the
#     price of detection (target: at most 1.5x the pipeline alone).
#  2. Memory per tracked device: two generated captures with the same activities and timing,
#     one spread over SMALL devices and one over LARGE (bench/gen_devices); the peak-RSS
#     difference over the device difference is the cost of one device, with detectors on and
#     off (the difference between the two is the detectors' per-host state).
# Usage: bench/detect_bench.sh [PACKETS=2000000] [SMALL=1000] [LARGE=50000] [ACTIVITIES=200000]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
packets=${1:-2000000} small=${2:-1000} large=${3:-50000} acts=${4:-200000}
scripts/install-deps.sh --bench
work=build/bench; mkdir -p "$work"
cmake --preset release >/dev/null
cmake --build --preset release --target warden pcap_loop gen_devices >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; echo "release build failed"; exit 1; }
warden=build/release/src/app/warden
input="$work/race-$packets.pcap"
if [[ ! -f "$input" ]]; then
  mapfile -t caps < <(find tests/data/captures \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
  build/release/bench/pcap_loop "$input" "$packets" "${caps[@]}" >/dev/null
fi

run() {  # run RUNS ARGS...: prints "median_seconds peak_kb"
  local r=$1; shift
  local times=() peak=0
  for ((i = 0; i < r; i++)); do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" taskset -c 0 "$warden" analyze -q --no-sqlite \
      -o "$work/out" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; exit 1; }
    read -r t m < <(tail -1 "$work/time")
    times+=("$t"); ((m > peak)) && peak=$m
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $peak"
}

echo "== throughput: $input ($packets packets), median of 3, one core"
read -r t_off m_off < <(run 3 --no-detect "$input")
read -r t_on m_on < <(run 3 "$input")
alerts=$(wc -l < "$work/out/alerts.jsonl")
printf '%-28s %8.2f s %8.2f M pkt/s %8.1f MB\n' "pipeline alone (--no-detect)" "$t_off" \
  "$(echo "$packets / $t_off / 1000000" | bc -l)" "$(echo "$m_off / 1024" | bc -l)"
printf '%-28s %8.2f s %8.2f M pkt/s %8.1f MB  (%s alerts)\n' "every detector on" "$t_on" \
  "$(echo "$packets / $t_on / 1000000" | bc -l)" "$(echo "$m_on / 1024" | bc -l)" "$alerts"
echo "detection cost: $(echo "scale=2; $t_on / $t_off" | bc -l)x the pipeline alone (target <= 1.5x)"

# Wall time on a shared machine is noisy; instructions are not. The same comparison on a
# 300,000-packet slice, counted by callgrind (repeatable run to run).
if command -v valgrind >/dev/null; then
  slice="$work/race-300000.pcap"
  [[ -f "$slice" ]] || build/release/bench/pcap_loop "$slice" 300000 \
    $(find tests/data/captures \( -name '*.pcap' -o -name '*.pcapng' \) | sort) >/dev/null
  declare -A instr
  for mode in off on; do
    args=(); [[ $mode == off ]] && args=(--no-detect)
    instr[$mode]=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$warden" analyze -q \
      --no-sqlite "${args[@]}" -o "$work/out" "$slice" 2>&1 | awk '/Collected/ {print $NF}')
  done
  echo "instructions (callgrind, $slice): ${instr[off]} alone, ${instr[on]} with detectors:" \
    "$(echo "scale=3; ${instr[on]} / ${instr[off]}" | bc -l)x"
fi

echo
echo "== memory per tracked device: $acts activities over $small and over $large devices"
for n in "$small" "$large"; do
  [[ -f "$work/devices-$n-$acts.pcap" ]] || build/release/bench/gen_devices "$work/devices-$n-$acts.pcap" "$n" "$acts"
done
declare -A peak
for mode in on off; do
  args=(); [[ $mode == off ]] && args=(--no-detect)
  for n in "$small" "$large"; do
    read -r _ m < <(run 1 "${args[@]}" "$work/devices-$n-$acts.pcap")
    peak[$mode-$n]=$m
  done
  per=$(( (peak[$mode-$large] - peak[$mode-$small]) * 1024 / (large - small) ))
  printf 'detectors %-3s  peak %6.1f MB with %s devices, %6.1f MB with %s: %s bytes per device\n' \
    "$mode" "$(echo "${peak[$mode-$small]} / 1024" | bc -l)" "$small" \
    "$(echo "${peak[$mode-$large]} / 1024" | bc -l)" "$large" "$per"
done
echo "detector state per device: $(( (peak[on-$large] - peak[on-$small] - peak[off-$large] + peak[off-$small]) * 1024 / (large - small) )) bytes"
