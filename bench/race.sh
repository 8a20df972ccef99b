#!/usr/bin/env bash
# Races `warden analyze` against its peers on the same capture, in one run, pinned to one core:
#   tcpdump -r FILE -w /dev/null   the floor: read and write packets, no analysis
#   ndpiReader -i FILE -q          nDPI's flow classifier (Debian libndpi-bin)
#   tshark -n -r FILE              full dissection, what an analyst would use
#   warden analyze                 the full pipeline: flows, DPI, observations, inventory,
#                                  JSON Lines + SQLite output (and once more without SQLite)
# The input is every bundled Ethernet capture replayed end to end (bench/pcap_loop) until it
# holds PACKETS packets. Reports packets/s and peak RSS, and warden's ratios to each peer.
# Usage: bench/race.sh [PACKETS=2000000] [RUNS=3]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
packets=${1:-2000000} runs=${2:-3}
scripts/install-deps.sh --bench
cmake --preset release >/dev/null
cmake --build --preset release --target warden pcap_loop >/dev/null
work=build/bench; mkdir -p "$work"
input="$work/race-$packets.pcap"
if [[ ! -f "$input" ]]; then
  mapfile -t caps < <(find tests/data/captures -name '*.pcap*' | sort)
  build/release/bench/pcap_loop "$input" "$packets" "${caps[@]}" >/dev/null
fi
n=$(capinfos -M -c "$input" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}')
size=$(stat -c %s "$input")
echo "input: $input, $n packets, $((size / 1000000)) MB; $runs runs each (tshark: 1), pinned to CPU 0"
cat /proc/cpuinfo | grep -m1 'model name' || true

declare -A wall rss
measure() {  # measure NAME RUNS CMD...: median wall seconds and max RSS KB
  local name=$1 r=$2; shift 2
  local times=() peak=0
  for ((i = 0; i < r; i++)); do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" taskset -c 0 "$@" >/dev/null 2>"$work/stderr" || {
      echo "$name failed:"; cat "$work/stderr"; exit 1; }
    read -r t m < <(tail -1 "$work/time")
    times+=("$t"); ((m > peak)) && peak=$m
  done
  wall[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rss[$name]=$peak
  printf '%-22s %8.2f s %12.0f pkt/s %8.1f MB\n' "$name" "${wall[$name]}" \
    "$(echo "$n / ${wall[$name]}" | bc -l)" "$(echo "$peak / 1024" | bc -l)"
}

warden=build/release/src/app/warden
measure "tcpdump (floor)" "$runs" tcpdump -n -r "$input" -w /dev/null
measure "ndpiReader" "$runs" ndpiReader -i "$input" -q
measure "warden" "$runs" "$warden" analyze -q -o "$work/out" "$input"
measure "warden --no-sqlite" "$runs" "$warden" analyze -q --no-sqlite -o "$work/out" "$input"
measure "tshark" 1 tshark -n -r "$input"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
echo "warden packets/s vs ndpiReader:      $(ratio "${wall[ndpiReader]}" "${wall[warden]}")x   (target >= 2x)"
echo "warden packets/s vs tshark:          $(ratio "${wall[tshark]}" "${wall[warden]}")x"
echo "warden time vs tcpdump floor:        $(ratio "${wall[warden]}" "${wall[tcpdump (floor)]}")x   (target <= 3x)"
echo "warden peak RSS vs ndpiReader:       $(ratio "${rss[warden]}" "${rss[ndpiReader]}")x"
echo "warden peak RSS vs tshark:           $(ratio "${rss[warden]}" "${rss[tshark]}")x"
