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
work=build/bench; mkdir -p "$work"
cmake --preset release >/dev/null
# Never time a stale binary: a failed build stops the race.
cmake --build --preset release --target warden pcap_loop >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; echo "release build failed"; exit 1; }
input="$work/race-$packets.pcap"
if [[ ! -f "$input" ]]; then
  mapfile -t caps < <(find tests/data/captures \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
  build/release/bench/pcap_loop "$input" "$packets" "${caps[@]}" >/dev/null
fi
n=$(capinfos -M -c "$input" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}')
size=$(stat -c %s "$input")
echo "input: $input, $n packets, $((size / 1000000)) MB; $runs runs each (tshark: 1), pinned to CPU 0"
cat /proc/cpuinfo | grep -m1 'model name' || true

declare -A wall rss
measure() {  # measure NAME CPUS RUNS CMD...: median wall seconds and max RSS KB
  local name=$1 cpus=$2 r=$3; shift 3
  local times=() peak=0
  for ((i = 0; i < r; i++)); do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" taskset -c "$cpus" "$@" >/dev/null 2>"$work/stderr" || {
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
# Peers are single-threaded on files: one core each. warden's data plane is one thread; its
# storage thread (JSON formatting, files, SQLite) is measured sharing that core and on its own.
measure "tcpdump (floor)" 0 "$runs" tcpdump -n -r "$input" -w /dev/null
measure "ndpiReader" 0 "$runs" ndpiReader -i "$input" -q
measure "warden 1 core" 0 "$runs" "$warden" analyze -q -o "$work/out" "$input"
measure "warden 1+1 cores" 0,1 "$runs" "$warden" analyze -q -o "$work/out" "$input"
measure "warden no-sqlite 1 core" 0 "$runs" "$warden" analyze -q --no-sqlite -o "$work/out" "$input"
measure "tshark" 0 1 tshark -n -r "$input"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
for w in "warden 1 core" "warden 1+1 cores" "warden no-sqlite 1 core"; do
  echo "$w:"
  echo "  packets/s vs ndpiReader:   $(ratio "${wall[ndpiReader]}" "${wall[$w]}")x   (target >= 2x)"
  echo "  packets/s vs tshark:       $(ratio "${wall[tshark]}" "${wall[$w]}")x"
  echo "  time vs tcpdump floor:     $(ratio "${wall[$w]}" "${wall[tcpdump (floor)]}")x   (target <= 3x)"
  echo "  peak RSS vs ndpiReader:    $(ratio "${rss[$w]}" "${rss[ndpiReader]}")x, vs tshark $(ratio "${rss[$w]}" "${rss[tshark]}")x"
done
