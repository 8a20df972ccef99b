#!/usr/bin/env bash
# What `warden gateway` costs a router, in one run, on the namespaced home network of
# tests/integration/gateway_net.sh (device d1 -> router -> "internet"; nothing leaves the machine):
#  1. Forwarding throughput, d1 -> 198.51.100.7 through the router: iperf3 TCP (SECONDS, median
#     of RUNS rounds, the set-ups taking turns) and UDP with 64-byte payloads (packets/s
#     received, median), with
#       no warden table | warden running with 100 devices | with 1,000 devices |
#       1,000 devices' rules with warden killed (the ruleset alone, fail-static) |
#       a one-rule stateful table (what connection tracking alone costs)
#     Synthetic devices are 10.77.X.Y (X >= 1) with their own MACs: 4 in 5 carry one of the
#     bundled MUD files that `warden mud check` accepts (tests/data/mud, copied), 1 in 5 an
#     allow list. d1 itself is enforced (allow tcp+udp/5201 to 198.51.100.7, udp/9999 to
#     203.0.113.10) so its packets go through its own device chain. Target: < 10% loss at 1,000.
#  2. Rule update latency with 1,000 devices loaded: d1 sends a UDP probe every millisecond
#     (sequence number, send time) to 203.0.113.10:9999, which echoes it (the flow is
#     established in conntrack, as a live C2 channel would be) and logs its arrival. The bench
#     runs `warden gateway quarantine d1` REPS times (then release): latency = arrival of the
#     last probe that got through - the decision (CLOCK_REALTIME just before the command);
#     release latency = first probe through after the release command - its start. Reported
#     beside warden's own decided -> enforced figure (DIR/events.jsonl latency_us).
#     Target: < 100 ms.
#     And once right after start: a quarantine sent the moment DIR/ready appears.
#  3. Start-up with 1,000 devices: `warden gateway run` launched -> DIR/ready (every start of the
#     1,000-device configuration in this run; median).
#     Then REPS more cycles while `warden gateway status --json` is polled every 0.5 s.
# Prints a table; writes build/bench/gateway/results.json. Progress on stderr.
# Needs root, iproute2, nft, iperf3, dnsmasq, mosquitto, python3, jq.
# Usage: bench/gateway_bench.sh [SECONDS=5] [RUNS=5] [REPS=10]
#   WARDEN=path   use that binary instead of building build/release/src/app/warden
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs=${1:-5} runs=${2:-5} reps=${3:-10}
say() { echo "gateway_bench: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces, nftables)"; exit 1; }
# shellcheck source=../tests/integration/gateway_net.sh
source tests/integration/gateway_net.sh
missing=$(gw_tools_missing)
for t in nft jq; do command -v $t >/dev/null || missing+=" $t"; done
[[ -z ${missing// /} ]] || { echo "missing tools:$missing"; exit 1; }
work=build/bench/gateway; mkdir -p "$work"
if [[ -n ${WARDEN:-} ]]; then
  warden=$(realpath "$WARDEN")
else
  cmake --preset release >/dev/null
  cmake --build --preset release --target warden >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; echo "release build failed"; exit 1; }
  warden=$root/build/release/src/app/warden
fi
"$warden" gateway --help >/dev/null 2>&1 || { echo "$warden has no 'gateway' command"; exit 1; }

P=gwb$$
tmp=$(mktemp -d /tmp/gwbench.XXXXXX); chmod 755 "$tmp"
gwpid='' probes=()
cleanup() {
  [[ -n ${poller:-} ]] && kill "$poller" 2>/dev/null
  [[ -n $gwpid ]] && kill -9 "$gwpid" 2>/dev/null
  for pid in "${probes[@]}"; do kill "$pid" 2>/dev/null; done
  gw_down "$P"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
say "network $P: router, internet, 1 device"
gw_up "$P" 1

# --- configurations ---------------------------------------------------------------------
mkdir -p "$work/mud"
muds=()
for f in tests/data/mud/*.json; do
  if "$warden" mud check "$f" >/dev/null 2>&1; then cp "$f" "$work/mud/"; muds+=("$root/$work/mud/$(basename "$f")"); fi
done
say "${#muds[@]} bundled MUD files parse; synthetic devices use them in turn"
gen_config() {  # gen_config N FILE
  /usr/bin/python3 - "$1" "$2" "$(gw_mac 1)" "$(gw_ip 1)" "${muds[@]}" <<'PY'
import json, sys
n, out, mac1, ip1, muds = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
devices = [{"name": "d1", "mac": mac1, "ipv4": [ip1], "allow": [
    {"proto": "tcp", "port": 5201, "to": "198.51.100.7"},
    {"proto": "udp", "port": 5201, "to": "198.51.100.7"},
    {"proto": "udp", "port": 9999, "to": "203.0.113.10"}]}]
for i in range(n - 1):
    d = {"name": f"dev{i:04d}", "mac": "02:77:01:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
         "ipv4": [f"10.77.{1 + i // 250}.{1 + i % 250}"]}
    if i % 5 == 4:
        d["allow"] = [{"proto": "tcp", "port": 443, "to": f"198.51.100.{1 + i % 200}"},
                      {"proto": "udp", "port": 123, "to": "203.0.113.123"}]
    else:
        d["mud"] = muds[i % len(muds)]
    devices.append(d)
cfg = {"lan_networks": ["10.77.0.0/16"], "update_servers": ["203.0.113.99"],
       "controllers": {}, "devices": devices}
json.dump(cfg, open(out, "w"), indent=1)
PY
}
for n in 100 1000; do gen_config $n "$work/config-$n.json"; done

# --- helpers -----------------------------------------------------------------------------
now() { date +%s%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "null"}'; }
p95() { sort -g | awk '{a[NR]=$1} END {if (NR) {i=int(NR*0.95+0.999); if (i>NR) i=NR; print a[i]} else print "null"}'; }
startups=()
start_gateway() {  # start_gateway N: fresh state, no table; records the time to DIR/ready
  gw_router "$P" nft delete table inet warden 2>/dev/null || true
  state=$tmp/state-$1; rm -rf "$state"; mkdir -p "$state"
  local t0; t0=$(now)
  ip netns exec "${P}r" "$warden" gateway run --lan br0 --state "$state" --config "$work/config-$1.json" -q \
    >"$work/gateway-$1.log" 2>&1 &
  gwpid=$!
  while [[ ! -f $state/ready ]]; do
    kill -0 "$gwpid" 2>/dev/null || { tail "$work/gateway-$1.log"; echo "warden gateway run exited"; exit 1; }
    (($(now) - t0 > 60000000000)) && { echo "no $state/ready after 60 s"; exit 1; }
    sleep 0.01
  done
  local ms=$((($(now) - t0) / 1000000))
  [[ $1 == 1000 ]] && startups+=("$ms")
  say "gateway with $1 devices ready after $ms ms ($(gw_router "$P" nft list table inet warden | grep -c . ) ruleset lines)"
}
stop_gateway() {  # stop_gateway [keep]: kill -9; the table stays only with "keep"
  [[ -n $gwpid ]] && { kill -9 "$gwpid" 2>/dev/null; wait "$gwpid" 2>/dev/null || true; }
  gwpid=
  [[ ${1:-} == keep ]] || gw_router "$P" nft delete table inet warden 2>/dev/null || true
}
cpu_ticks() { [[ -n $gwpid ]] && awk '{print $14 + $15}' "/proc/$gwpid/stat" 2>/dev/null || echo 0; }

declare -A tcp udp cpu tcps udps cpus
measure() {  # measure LABEL: one TCP and one UDP run, appended to LABEL's samples
  local label=$1 t u c0 c1 t0 t1
  c0=$(cpu_ticks); t0=$(now)
  gw_dev "$P" 1 iperf3 -c 198.51.100.7 -t "$secs" -J >"$tmp/iperf.json" 2>&1 ||
    { cat "$tmp/iperf.json"; echo "iperf3 TCP failed ($label)"; exit 1; }
  t=$(jq '.end.sum_received.bits_per_second / 1e9' "$tmp/iperf.json")
  gw_dev "$P" 1 iperf3 -c 198.51.100.7 -u -l 64 -b 0 -t "$secs" -J >"$tmp/iperf.json" 2>&1 ||
    { cat "$tmp/iperf.json"; echo "iperf3 UDP failed ($label)"; exit 1; }
  u=$(jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds / 1000' "$tmp/iperf.json")
  c1=$(cpu_ticks); t1=$(now)
  tcps[$label]+="$t "; udps[$label]+="$u "
  # warden's own CPU while the traffic ran (its capture on br0 sees every forwarded packet)
  cpus[$label]+="$(echo "scale=1; ($c1 - $c0) * 100 * 1000000000 / $(getconf CLK_TCK) / ($t1 - $t0)" | bc -l) "
  say "$label: TCP $(printf '%.2f' "$t") Gbit/s, UDP 64 B $(printf '%.0f' "$u") kpps"
}

# --- 1. throughput -----------------------------------------------------------------------
labels=("no warden table" "100 devices, warden running" "1,000 devices, warden running"
        "1,000 devices, rules only (warden killed)" "conntrack only (1-rule stateful table)")
# The set-ups take turns, run after run: this machine's speed drifts by more than the effect
# measured, and interleaving spreads the drift over all of them.
say "throughput: $runs rounds of iperf3 -t $secs (TCP, then UDP 64 B) through each set-up"
for ((r = 1; r <= runs; r++)); do
  say "round $r/$runs"
  measure "${labels[0]}"
  start_gateway 100;  measure "${labels[1]}"; stop_gateway
  start_gateway 1000; measure "${labels[2]}"
  rules_1000=$(gw_router "$P" nft list table inet warden | grep -c .)
  stop_gateway keep;  measure "${labels[3]}"; stop_gateway
  # What any stateful firewall costs: connection tracking, which the empty baseline lacks.
  printf 'table inet gwbench {\n chain ctonly {\n  type filter hook forward priority 0;\n  ct state established,related accept\n }\n}\n' |
    gw_router "$P" nft -f -
  measure "${labels[4]}"
  gw_router "$P" nft delete table inet gwbench
done
for l in "${labels[@]}"; do
  tcp[$l]=$(printf '%s\n' ${tcps[$l]} | median)
  udp[$l]=$(printf '%s\n' ${udps[$l]} | median)
  cpu[$l]=$(printf '%s\n' ${cpus[$l]} | median)
done

# --- 2. rule update latency ----------------------------------------------------------------
start_gateway 1000
# The first request the moment DIR/ready appears (a supervisor acting on a stored decision).
t0=$(now)
"$warden" gateway quarantine dev0001 --state "$state" --reason "bench first after ready" >/dev/null
first_ms=$((($(now) - t0) / 1000000))
"$warden" gateway release dev0001 --state "$state" >/dev/null
say "first quarantine right after ready: $first_ms ms (command wall time)"
say "latency: $reps quarantine/release cycles of d1 with 1,000 devices loaded"
ip netns exec "${P}i" /usr/bin/python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.10", 9999))
out = open(sys.argv[1], "w", buffering=1)
while True:
    data, peer = s.recvfrom(64)
    out.write("%s %d\n" % (data.decode(), time.time_ns()))
    s.sendto(data, peer)' "$tmp/arrivals" >/dev/null 2>&1 &
probes+=($!)
sleep 0.3
ip netns exec "${P}d1" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
s.connect(("203.0.113.10", 9999))
seq = 0
while True:
    try:
        s.send(b"%d %d" % (seq, time.time_ns()))
    except OSError:
        pass
    try:
        while s.recv(64): pass
    except OSError:
        pass
    seq += 1
    time.sleep(0.001)' >/dev/null 2>&1 &
probes+=($!)
sleep 0.5
[[ -s $tmp/arrivals ]] || { echo "no probe arrives at 203.0.113.10:9999 before any quarantine"; exit 1; }
: >"$tmp/cycles"
cycles() {  # cycles FILE REASON: REPS quarantine/release cycles of d1, times into FILE
  : >"$1"
  local k td tq tr trr
  for ((k = 1; k <= reps; k++)); do
    sleep 0.3
    td=$(now)
    "$warden" gateway quarantine d1 --state "$state" --reason "$2 $k" >/dev/null
    tq=$(now)
    sleep 0.4
    tr=$(now)
    "$warden" gateway release d1 --state "$state" >/dev/null
    trr=$(now)
    echo "$td $tq $tr $trr" >>"$1"
  done
}
cycles "$tmp/cycles" "bench cycle"
# The same while something polls `status --json` every 0.5 s (a monitoring scrape): status
# reads every counter of the table, and answers share warden's lock with the quarantine.
say "latency: $reps more cycles while status --json is polled every 0.5 s"
(while :; do "$warden" gateway status --state "$state" --json >/dev/null 2>&1; sleep 0.5; done) &
poller=$!
cycles "$tmp/cycles-polled" "bench polled cycle"
kill "$poller"; wait "$poller" 2>/dev/null || true; poller=
sleep 0.3
for pid in "${probes[@]}"; do kill "$pid" 2>/dev/null; done
probes=()
cp "$tmp/arrivals" "$work/arrivals.txt"; cp "$state/events.jsonl" "$work/events.jsonl" 2>/dev/null || true
stop_gateway

# Per cycle: the last probe through after the decision (within the 400 ms it is held), the
# first one through after the release; the commands' wall times; warden's own figures for the
# cycle (events.jsonl, matched by reason) and how long the request waited before warden
# "decided" (decided_ns - the command's start).
analyse() {  # analyse CYCLES REASON: one line per cycle
/usr/bin/python3 - "$tmp/arrivals" "$1" "$work/events.jsonl" "$2" <<'PY'
import json, sys
arr = [tuple(int(x) for x in line.split()) for line in open(sys.argv[1]) if len(line.split()) == 3]
ev = {}
try:
    for line in open(sys.argv[3]):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") in ("quarantine", "release"):
            ev[(e["event"], e.get("reason", ""))] = e
except OSError:
    pass
def fig(e, key, t0):
    if not e or e.get(key) is None: return "-"
    return f"{e[key] / 1000:.3f}" if key == "latency_us" else f"{(e[key] - t0) / 1e6:.3f}"
for k, line in enumerate(open(sys.argv[2]), 1):
    td, tq, tr, trr = (int(x) for x in line.split())
    through = [r for _, _, r in arr if td <= r < tr]
    block = (max(through) - td) / 1e6 if through else 0.0
    after = [r for _, _, r in arr if r >= tr]
    rel = (min(after) - tr) / 1e6 if after else -1
    q = ev.get(("quarantine", f"{sys.argv[4]} {k}"))
    r = ev.get(("release", f"{sys.argv[4]} {k}"))
    print(f"{block:.3f} {rel:.3f} {(tq - td) / 1e6:.3f} {(trr - tr) / 1e6:.3f} "
          f"{fig(q, 'latency_us', 0)} {fig(r, 'latency_us', 0)} {fig(q, 'decided_ns', td)} {fig(r, 'decided_ns', tr)}")
PY
}
analyse "$tmp/cycles" "bench cycle" >"$tmp/lat"
analyse "$tmp/cycles-polled" "bench polled cycle" >"$tmp/lat-polled"
cp "$tmp/lat" "$work/cycles.txt"; cp "$tmp/lat-polled" "$work/cycles-polled.txt"
col() { awk -v c="$1" '$c != "-" {print $c}' "$tmp/lat"; }
q_probe=$(col 1); r_probe=$(awk '$2 >= 0 {print $2}' "$tmp/lat")
q_cli=$(col 3); r_cli=$(col 4); q_warden=$(col 5); r_warden=$(col 6); q_wait=$(col 7)
never_released=$(awk '$2 < 0' "$tmp/lat" "$tmp/lat-polled" | wc -l)
pq_probe=$(awk '{print $1}' "$tmp/lat-polled"); pq_cli=$(awk '{print $3}' "$tmp/lat-polled")
pq_wait=$(awk '$7 != "-" {print $7}' "$tmp/lat-polled")
stat_of() { local m p; m=$(printf '%s\n' $1 | awk NF | median); p=$(printf '%s\n' $1 | awk NF | p95); echo "$m $p"; }

# --- report ------------------------------------------------------------------------------
startup_med=$(printf '%s\n' "${startups[@]}" | median)
echo
echo "warden gateway: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
echo "forwarding d1 -> 198.51.100.7 through the router: iperf3 -t $secs, median of $runs rounds"
printf '%-42s %10s %8s %12s %8s %10s\n' "" "TCP Gbit/s" "vs none" "UDP 64B kpps" "vs none" "warden CPU"
base_t=${tcp[${labels[0]}]} base_u=${udp[${labels[0]}]}
for l in "${labels[@]}"; do
  printf '%-42s %10.2f %7.1f%% %12.0f %7.1f%% %9s%%\n' "$l" "${tcp[$l]}" \
    "$(echo "${tcp[$l]} * 100 / $base_t" | bc -l)" "${udp[$l]}" "$(echo "${udp[$l]} * 100 / $base_u" | bc -l)" \
    "${cpu[$l]}"
done
loss=$(echo "100 - ${tcp[${labels[2]}]} * 100 / $base_t" | bc -l)
printf 'TCP loss with 1,000 devices: %.1f%% (target < 10%%); ruleset: %s lines\n' "$loss" "$rules_1000"
echo
echo "rule update with 1,000 devices loaded, $reps cycles (ms):"
printf '%-50s %8s %8s\n' "" median p95
read -r m p < <(stat_of "$q_probe"); printf '%-50s %8s %8s\n' "quarantine: decision -> last probe through" "$m" "$p"; qm=$m qp=$p
read -r m p < <(stat_of "$q_warden"); printf '%-50s %8s %8s\n' "quarantine: warden's decided -> enforced" "$m" "$p"; qwm=$m qwp=$p
read -r m p < <(stat_of "$q_wait"); printf '%-50s %8s %8s\n' "quarantine: command start -> warden's decided_ns" "$m" "$p"; qqm=$m qqp=$p
read -r m p < <(stat_of "$q_cli"); printf '%-50s %8s %8s\n' "quarantine: CLI command wall time" "$m" "$p"; qcm=$m qcp=$p
read -r m p < <(stat_of "$r_probe"); printf '%-50s %8s %8s\n' "release: command -> first probe through" "$m" "$p"; rm_=$m rp=$p
read -r m p < <(stat_of "$r_warden"); printf '%-50s %8s %8s\n' "release: warden's decided -> enforced" "$m" "$p"; rwm=$m
read -r m p < <(stat_of "$r_cli"); printf '%-50s %8s %8s\n' "release: CLI command wall time" "$m" "$p"
read -r m p < <(stat_of "$pq_probe"); printf '%-50s %8s %8s\n' "status polled: quarantine decision -> last probe" "$m" "$p"; pqm=$m pqp=$p
read -r m p < <(stat_of "$pq_wait"); printf '%-50s %8s %8s\n' "status polled: command start -> decided_ns" "$m" "$p"
read -r m p < <(stat_of "$pq_cli"); printf '%-50s %8s %8s\n' "status polled: quarantine CLI wall time" "$m" "$p"
printf '%-50s %8s\n' "first quarantine right after ready: CLI wall time" "$first_ms"
((never_released > 0)) && echo "WARNING: in $never_released cycle(s) no probe got through after the release"
echo "(target < 100 ms; probes every ~1 ms, so the probe figures are exact to about 1 ms; per cycle: $work/cycles.txt)"
echo
echo "start-up with 1,000 devices (run -> DIR/ready): median $startup_med ms over ${#startups[@]} starts (${startups[*]})"

samples=$(for l in "${labels[@]}"; do
  jq -n --arg l "$l" --arg t "${tcps[$l]}" --arg u "${udps[$l]}" --arg c "${cpus[$l]}" \
    '{($l): {tcp_gbps: ($t | split(" ") | map(select(. != "") | tonumber)),
             udp64_kpps: ($u | split(" ") | map(select(. != "") | tonumber)),
             warden_cpu_percent: ($c | split(" ") | map(select(. != "") | tonumber))}}'
done | jq -s add)
jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
  --argjson cores "$(nproc)" --arg kernel "$(uname -r)" --argjson secs "$secs" --argjson runs "$runs" \
  --argjson reps "$reps" --argjson rules "$rules_1000" \
  --argjson t0 "$base_t" --argjson t1 "${tcp[${labels[1]}]}" --argjson t2 "${tcp[${labels[2]}]}" --argjson t3 "${tcp[${labels[3]}]}" \
  --argjson t4 "${tcp[${labels[4]}]}" --argjson u4 "${udp[${labels[4]}]}" --argjson u0 "$base_u" --argjson u1 "${udp[${labels[1]}]}" --argjson u2 "${udp[${labels[2]}]}" --argjson u3 "${udp[${labels[3]}]}" \
  --argjson c1 "${cpu[${labels[1]}]}" --argjson c2 "${cpu[${labels[2]}]}" \
  --argjson qm "$qm" --argjson qp "$qp" --argjson qwm "$qwm" --argjson qwp "$qwp" --argjson qcm "$qcm" --argjson qcp "$qcp" --argjson qqm "$qqm" --argjson qqp "$qqp" \
  --argjson first "$first_ms" --argjson pqm "$pqm" --argjson pqp "$pqp" --argjson pqall "$(printf '%s\n' $pq_probe | jq -s .)" --argjson rm "$rm_" --argjson rp "$rp" --argjson rwm "$rwm" --argjson nr "$never_released" \
  --argjson sm "$startup_med" --argjson ss "$(printf '%s\n' "${startups[@]}" | jq -s .)" \
  --argjson samples "$samples" --argjson qall "$(printf '%s\n' $q_probe | jq -s .)" --argjson rall "$(printf '%s\n' $r_probe | jq -s .)" \
  '{machine: {cpu: $cpu, cores: $cores, kernel: $kernel},
    throughput: {seconds: $secs, runs: $runs, ruleset_lines_1000: $rules,
      tcp_gbps: {none: $t0, devices_100: $t1, devices_1000: $t2, devices_1000_rules_only: $t3, conntrack_only: $t4},
      udp64_kpps: {none: $u0, devices_100: $u1, devices_1000: $u2, devices_1000_rules_only: $u3, conntrack_only: $u4},
      tcp_ratio_1000: ($t2 / $t0), udp_ratio_1000: ($u2 / $u0), samples: $samples,
      warden_cpu_percent: {devices_100: $c1, devices_1000: $c2}},
    update_latency_ms: {cycles: $reps, devices: 1000,
      quarantine_probe: {median: $qm, p95: $qp, all: $qall}, quarantine_warden: {median: $qwm, p95: $qwp},
      quarantine_cli_wall: {median: $qcm, p95: $qcp}, quarantine_wait_before_decided: {median: $qqm, p95: $qqp},
      release_probe: {median: $rm, p95: $rp, all: $rall}, release_warden_median: $rwm,
      cycles_never_released: $nr,
      first_quarantine_after_ready_cli_wall: $first,
      quarantine_probe_status_polled: {median: $pqm, p95: $pqp, all: $pqall}},
    startup_ms_1000: {median: $sm, all: $ss}}' >"$work/results.json"
say "results: $work/results.json"
