#!/usr/bin/env bash
# `warden gateway` inline on a router, with real clients (tests/integration/gateway_net.sh):
#   d1 plug    MUD file tests/data/gateway/plug_mud.json: tcp/80 to updates.acme.example only
#   d2 cam     allow list: tcp/1883 to 203.0.113.20 (the MQTT broker)
#   d3 fridge  allow list: tcp/80 and udp/7 (echo) to 203.0.113.10
#   d4, d5     not listed: never touched
# update_servers is 198.51.100.7 (not the HTTP server, so that quarantine visibly cuts fridge's
# HTTP while the update server stays reachable).
#  1. no warden: everything reaches everything;
#  2. `warden gateway run`: each device gets what its policy allows and nothing else, lateral
#     traffic to and from enforced devices is dropped, unlisted devices are untouched;
#  3. quarantine fridge by name: within 1 s HTTP fails, and so does a UDP flow that was already
#     established (conntrack) before; DNS and the update server still work;
#     `status --json` shows the reason and drops; release (by IP address): HTTP works again;
#  4. kill -9 with fridge quarantined: the rules stay in force (fail-static); a new run finds
#     the quarantine in its state directory and keeps it.
# Needs root, iproute2, nft, dnsmasq, mosquitto (+ clients), iperf3, curl, nc, dig; 77 otherwise.
# WARDEN_GW_KEEP=DIR copies the state directory and logs there at the end.
set -uo pipefail
warden=$1
data=${2:-$(cd "$(dirname "$0")/../data/gateway" && pwd)}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=gateway_net.sh
source "$here/gateway_net.sh"

if [[ $(id -u) -ne 0 ]]; then echo "skipped: needs root"; exit 77; fi
missing=$(gw_tools_missing)
for t in nft curl nc dig mosquitto_pub timeout jq; do command -v $t >/dev/null || missing+=" $t"; done
if [[ -n ${missing// /} ]]; then echo "skipped: missing$missing"; exit 77; fi

P=gwt$$
tmp=$(mktemp -d /tmp/gwtest.XXXXXX); chmod 755 "$tmp"
state=$tmp/state
gwpid=
cleanup() {
  [[ -n $gwpid ]] && kill -9 "$gwpid" 2>/dev/null
  if [[ -n ${WARDEN_GW_KEEP:-} ]]; then
    mkdir -p "$WARDEN_GW_KEEP"; cp -r "$state" "$tmp"/*.log "$tmp"/*.json "$WARDEN_GW_KEEP"/ 2>/dev/null
    cp /tmp/gwnet.$P/*.log "$WARDEN_GW_KEEP"/ 2>/dev/null
  fi
  gw_down "$P"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ! ip netns add "${P}probe" 2>/dev/null; then echo "skipped: cannot create namespaces"; exit 77; fi
ip netns del "${P}probe"
if ! gw_up "$P" 5 2>"$tmp/gw_up.log"; then
  echo "FAIL the test network did not come up:"; cat "$tmp/gw_up.log"; exit 1
fi

pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); [[ -s $tmp/out ]] && sed 's/^/     | /' "$tmp/out" | head -15; }
# reach NAME CMD...: CMD must succeed; blocked NAME CMD...: CMD must fail.
reach() { local n=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok "$n"; else bad "$n (expected to get through)"; fi; }
blocked() { local n=$1; shift; if "$@" >"$tmp/out" 2>&1; then bad "$n (expected to be dropped, got through)"; else ok "$n"; fi; }

plug=1 cam=2 fridge=3
# Clients, each bounded in time (a dropped SYN would otherwise wait for TCP's own timeout).
http() { gw_dev "$P" "$1" timeout 3 curl -sS -m 2 -o /dev/null -w '%{http_code}\n' --fail "$2"; }
tcp() { gw_dev "$P" "$1" timeout 3 nc -z -w 1 "$2" "$3"; }
pingc() { gw_dev "$P" "$1" ping -c 1 -W 1 -q "$2"; }
mqtt() { gw_dev "$P" "$1" timeout 3 mosquitto_pub -h "$2" -t warden/test -m hello; }
dns() {  # dns N NAME [SERVER]: prints the A answer, fails without one
  local a
  a=$(gw_dev "$P" "$1" dig +short +time=1 +tries=1 A "$2" @"${3:-10.77.0.1}") || return 1
  echo "$a"; [[ -n $a ]]
}
# Listeners for lateral traffic: tcp/8080 on cam and on d5.
gw_dev "$P" $cam nc -lk 8080 >/dev/null 2>&1 &
gw_dev "$P" 5 nc -lk 8080 >/dev/null 2>&1 &
sleep 0.3

echo "== 1. no warden table: everything works"
if gw_router "$P" nft list table inet warden >/dev/null 2>&1; then bad "a table inet warden exists before warden runs"; fi
reach "plug resolves updates.acme.example" dns $plug updates.acme.example
reach "plug curls http://updates.acme.example/" http $plug http://updates.acme.example/
reach "plug reaches 203.0.113.20:1883" tcp $plug 203.0.113.20 1883
reach "cam publishes to MQTT 203.0.113.20" mqtt $cam 203.0.113.20
reach "cam curls 203.0.113.10" http $cam http://203.0.113.10/
reach "fridge curls 203.0.113.10" http $fridge http://203.0.113.10/
reach "fridge reaches cam:8080" tcp $fridge 10.77.0.12 8080
reach "fridge pings cam" pingc $fridge 10.77.0.12
reach "fridge's UDP echo with 203.0.113.10" gw_udp_echo "$P" $fridge 40001
reach "d4 reaches cam:8080" tcp 4 10.77.0.12 8080
reach "d4 pings 198.51.100.7" pingc 4 198.51.100.7

echo "== 2. warden gateway run"
cat >"$tmp/config.json" <<EOF
{
  "lan_networks": ["10.77.0.0/16"],
  "update_servers": ["198.51.100.7"],
  "controllers": {},
  "devices": [
    {"name": "plug", "mac": "$(gw_mac $plug)", "ipv4": ["$(gw_ip $plug)"], "mud": "$data/plug_mud.json"},
    {"name": "cam", "mac": "$(gw_mac $cam)", "ipv4": ["$(gw_ip $cam)"],
     "allow": [{"proto": "tcp", "port": 1883, "to": "203.0.113.20"}]},
    {"name": "fridge", "mac": "$(gw_mac $fridge)", "ipv4": ["$(gw_ip $fridge)"],
     "allow": [{"proto": "tcp", "port": 80, "to": "203.0.113.10"}, {"proto": "udp", "port": 7, "to": "203.0.113.10"}]}
  ]
}
EOF
"$warden" gateway --help >"$tmp/out" 2>&1
if grep -qi "unknown command" "$tmp/out"; then
  bad "this warden has no 'gateway' command"
  echo "$pass passed, $fail failed"; exit 1
fi
if "$warden" gateway rules --config "$tmp/config.json" >"$tmp/rules.nft" 2>"$tmp/out"; then
  ok "gateway rules prints a ruleset"
  grep -q 'table inet warden' "$tmp/rules.nft" && ok "the ruleset is table inet warden" ||
    { cp "$tmp/rules.nft" "$tmp/out"; bad "no 'table inet warden' in the printed ruleset"; }
  gw_router "$P" nft -c -f "$tmp/rules.nft" >"$tmp/out" 2>&1 && ok "nft -c accepts the printed ruleset" ||
    bad "nft -c refuses the printed ruleset"
  gw_router "$P" nft list table inet warden >/dev/null 2>&1 && bad "gateway rules changed the ruleset" ||
    ok "gateway rules changed nothing"
else
  bad "gateway rules --config failed"
fi

start_gateway() {  # start_gateway LABEL: starts warden in the router, waits for DIR/ready
  rm -f "$state/ready"
  ip netns exec "${P}r" "$warden" gateway run --lan br0 --state "$state" --config "$tmp/config.json" -q \
    >>"$tmp/gateway.stdout.log" 2>>"$tmp/gateway.stderr.log" &
  gwpid=$!
  local i
  for i in $(seq 100); do
    [[ -f $state/ready ]] && break
    kill -0 "$gwpid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -f $state/ready ]]; then
    ok "$1: ready after $((i * 100)) ms at most"
  else
    tail -20 "$tmp/gateway.stderr.log" >"$tmp/out"
    bad "$1: no $state/ready within 10 s (warden $(kill -0 "$gwpid" 2>/dev/null && echo running || echo exited))"
    echo "$pass passed, $fail failed"; exit 1
  fi
}
mkdir -p "$state"
start_gateway "gateway run"
gw_router "$P" nft list table inet warden >"$tmp/out" 2>&1 && ok "table inet warden is loaded" ||
  bad "no table inet warden in the router after ready"
[[ -S $state/control.sock ]] && ok "control.sock listens" || bad "no $state/control.sock"

policy_checks() {  # policy_checks LABEL
  local l=$1
  reach "$l: plug resolves updates.acme.example" dns $plug updates.acme.example
  sleep 0.2  # the answer seen on br0 is turned into an allowed address
  reach "$l: plug curls http://updates.acme.example/ (its MUD name)" http $plug http://updates.acme.example/
  blocked "$l: plug cannot reach 203.0.113.20:1883" tcp $plug 203.0.113.20 1883
  blocked "$l: plug cannot reach the update server 198.51.100.7:5201 (not in its MUD file)" tcp $plug 198.51.100.7 5201
  reach "$l: cam publishes to MQTT 203.0.113.20" mqtt $cam 203.0.113.20
  blocked "$l: cam cannot curl 203.0.113.10" http $cam http://203.0.113.10/
  blocked "$l: cam cannot ping 198.51.100.7" pingc $cam 198.51.100.7
  blocked "$l: fridge cannot reach cam:8080 (lateral)" tcp $fridge 10.77.0.12 8080
  blocked "$l: fridge cannot ping cam (lateral)" pingc $fridge 10.77.0.12
  blocked "$l: fridge cannot reach unlisted d5:8080 (lateral)" tcp $fridge 10.77.0.15 8080
  blocked "$l: unlisted d4 cannot reach cam:8080 (cam is enforced both ways)" tcp 4 10.77.0.12 8080
  reach "$l: unlisted d4 reaches unlisted d5:8080" tcp 4 10.77.0.15 8080
  reach "$l: unlisted d4 pings d5" pingc 4 10.77.0.15
  reach "$l: unlisted d4 curls 203.0.113.10" http 4 http://203.0.113.10/
  reach "$l: unlisted d4 publishes to MQTT" mqtt 4 203.0.113.20
  reach "$l: unlisted d4 pings 198.51.100.7" pingc 4 198.51.100.7
}
fridge_allowed() {  # fridge_allowed LABEL
  reach "$1: fridge curls 203.0.113.10" http $fridge http://203.0.113.10/
  reach "$1: fridge's UDP echo with 203.0.113.10 (source port 40000)" gw_udp_echo "$P" $fridge 40000
  blocked "$1: fridge cannot reach MQTT 203.0.113.20:1883" tcp $fridge 203.0.113.20 1883
}
policy_checks "enforced"
fridge_allowed "enforced"

echo "== 3. quarantine and release"
# In the router namespace: without a running warden, status reads the kernel's table itself.
status_json() { ip netns exec "${P}r" "$warden" gateway status --state "$state" --json; }
# The record status --json holds for a device: any object naming it by name, MAC or address.
device_record() {
  jq -c --arg n "$1" --arg m "$2" --arg a "$3" \
    '[.. | objects | select(.name? == $n or .mac? == $m or .device? == $m or .device? == $n
        or ((.ipv4? // []) | index($a)) != null)] | first // empty'
}
# A quarantine shows as a key naming it (quarantine, quarantined, state/mode "quarantine...").
is_quarantined='[.. | objects | to_entries[] | select((.key | test("quarantin"; "i")) and (.value == true or (.value | type) == "object" or (.value | type) == "string"))
                 , select((.key == "state" or .key == "mode" or .key == "status") and ((.value | tostring) | test("quarantin"; "i")))] | length > 0'
drops='[paths(numbers) as $p | select($p | map(tostring) | join(".") | test("drop"; "i")) | getpath($p)] | add // 0'
reason="gateway test: fridge beacons to a C2 server"
fridge_mac=$(gw_mac $fridge) fridge_ip=$(gw_ip $fridge)
t0=$(date +%s%N)
if "$warden" gateway quarantine fridge --state "$state" --reason "$reason" >"$tmp/out" 2>&1; then
  ok "gateway quarantine fridge exits 0"
else
  bad "gateway quarantine fridge --state $state --reason '$reason' failed"
fi
t1=$(date +%s%N)
cut_ms=
while :; do
  ts=$(date +%s%N)
  ((ts - t0 > 1000000000)) && break
  if ! http $fridge http://203.0.113.10/ >/dev/null 2>&1; then cut_ms=$(((ts - t0) / 1000000)); break; fi
  sleep 0.05
done
if [[ -n $cut_ms ]]; then
  ok "quarantine: fridge's HTTP fails from $cut_ms ms after the command started (the command took $(((t1 - t0) / 1000000)) ms)"
else
  : >"$tmp/out"; bad "quarantine: fridge still curls 203.0.113.10 1 s after the command"
fi
blocked "quarantine: fridge's established UDP flow (port 40000) is cut too" gw_udp_echo "$P" $fridge 40000
reach "quarantine: fridge still resolves via 10.77.0.1" dns $fridge updates.acme.example
reach "quarantine: fridge still reaches the update server 198.51.100.7:5201" tcp $fridge 198.51.100.7 5201
blocked "quarantine: fridge cannot reach MQTT 203.0.113.20:1883" tcp $fridge 203.0.113.20 1883
reach "quarantine: cam is not affected" mqtt $cam 203.0.113.20
if status_json >"$tmp/status.json" 2>"$tmp/out"; then
  ok "status --json exits 0"
  rec=$(device_record fridge "$fridge_mac" "$fridge_ip" <"$tmp/status.json")
  if [[ -z $rec ]]; then
    cp "$tmp/status.json" "$tmp/out"; bad "status --json has no record for fridge"
  else
    jq -e "$is_quarantined" <<<"$rec" >/dev/null && ok "status --json: fridge is quarantined" ||
      { echo "$rec" >"$tmp/out"; bad "status --json: fridge is not shown quarantined"; }
    grep -qF "$reason" <<<"$rec" && ok "status --json: the reason is shown" ||
      { echo "$rec" >"$tmp/out"; bad "status --json: reason '$reason' missing from fridge's record"; }
    d=$(jq "$drops" <<<"$rec")
    [[ $d != 0 && $d != null ]] && ok "status --json: fridge's drop counters are nonzero ($d)" ||
      { echo "$rec" >"$tmp/out"; bad "status --json: fridge's drop counters are zero"; }
  fi
else
  bad "status --state $state --json failed"
fi
line=$(jq -c 'select(.event == "quarantine")' "$state/events.jsonl" 2>/dev/null | tail -1)
if [[ -z $line ]]; then
  : >"$tmp/out"; bad "events.jsonl: no quarantine event in $state/events.jsonl"
elif ! jq -e '(.latency_us | type) == "number" and .enforced_ns >= .decided_ns and .decided_ns > 0' <<<"$line" >/dev/null; then
  echo "$line" >"$tmp/out"; bad "events.jsonl: the quarantine event lacks decided_ns <= enforced_ns or latency_us"
else
  ok "events.jsonl: quarantine enforced $(jq .latency_us <<<"$line") us after the decision"
  # The device is named as configured and identified by its MAC, whatever the operator typed.
  jq -e --arg m "$fridge_mac" '.device == "fridge" and .mac == $m' <<<"$line" >/dev/null && ok "events.jsonl: the event names fridge and its MAC" ||
    { echo "$line" >"$tmp/out"; bad "events.jsonl: device/mac are $(jq -c '[.device, .mac]' <<<"$line"), expected fridge and $fridge_mac"; }
fi
[[ -s $state/metrics.prom ]] && ok "metrics.prom written" || { : >"$tmp/out"; bad "no $state/metrics.prom"; }

reach "release fridge (by IP address) exits 0" "$warden" gateway release "$fridge_ip" --state "$state"
fridge_allowed "released"
status_json >"$tmp/status.json" 2>/dev/null
rec=$(device_record fridge "$fridge_mac" "$fridge_ip" <"$tmp/status.json")
if [[ -n $rec ]] && ! jq -e "$is_quarantined" <<<"$rec" >/dev/null; then ok "status --json: fridge no longer quarantined"
else echo "$rec" >"$tmp/out"; bad "status --json: fridge still quarantined (or missing) after release"; fi
blocked "quarantine of an unknown name fails" "$warden" gateway quarantine nosuchdevice --state "$state" --reason x
# An unlisted device may be quarantined by its MAC (it is on the LAN, just not configured):
# when warden says it did, the device must be cut off, and released again.
d4_mac=$(gw_mac 4)
if "$warden" gateway quarantine "$d4_mac" --state "$state" --reason "unlisted, by MAC" >"$tmp/out" 2>&1; then
  blocked "quarantine of unlisted d4 by MAC: it cannot curl 203.0.113.10" http 4 http://203.0.113.10/
  reach "quarantine of unlisted d4 by MAC: it still resolves" dns 4 updates.acme.example
  reach "release of unlisted d4" "$warden" gateway release "$d4_mac" --state "$state"
  reach "released unlisted d4 curls 203.0.113.10" http 4 http://203.0.113.10/
else
  ok "quarantine of unlisted d4 by MAC refused ($(head -1 "$tmp/out"))"
fi

echo "== 4. kill -9 and restart (fail-static, persisted quarantine)"
reach "quarantine fridge (by MAC)" "$warden" gateway quarantine "$fridge_mac" --state "$state" --reason "$reason"
kill -9 "$gwpid"; wait "$gwpid" 2>/dev/null; gwpid=
sleep 0.2
gw_router "$P" nft list table inet warden >"$tmp/out" 2>&1 && ok "killed: table inet warden still loaded" ||
  bad "killed: table inet warden is gone"
blocked "killed: quarantined fridge stays blocked" http $fridge http://203.0.113.10/
# `gateway status` must tell the rules are in force with nobody running them (fail-static).
# (Its exit status may say "not running"; its output must still be JSON, and say so.)
status_json >"$tmp/status.json" 2>"$tmp/err"; st=$?
if ! jq -e . "$tmp/status.json" >/dev/null 2>&1; then
  { echo "exit $st; stdout:"; cat "$tmp/status.json"; echo "stderr:"; cat "$tmp/err"; } >"$tmp/out"
  bad "killed: status --json does not print JSON without a running warden"
else
  jq -e '.running == false' "$tmp/status.json" >/dev/null && ok "killed: status --json says warden is not running (exit $st)" ||
    { jq -c '{running, generation}' "$tmp/status.json" >"$tmp/out"; bad "killed: status --json does not say running: false after kill -9"; }
  rec=$(device_record fridge "$fridge_mac" "$fridge_ip" <"$tmp/status.json")
  [[ -n $rec ]] && jq -e "$is_quarantined" <<<"$rec" >/dev/null && ok "killed: status --json shows fridge quarantined" ||
    { echo "${rec:-no record}" >"$tmp/out"; bad "killed: status --json does not show fridge quarantined"; }
fi
reach "killed: fridge still resolves" dns $fridge updates.acme.example
reach "killed: cam still publishes to MQTT" mqtt $cam 203.0.113.20
blocked "killed: cam still cannot curl 203.0.113.10" http $cam http://203.0.113.10/
reach "killed: plug still curls updates.acme.example" http $plug http://updates.acme.example/
blocked "killed: plug still cannot reach 203.0.113.20:1883" tcp $plug 203.0.113.20 1883
blocked "killed: lateral fridge -> cam still dropped" tcp $fridge 10.77.0.12 8080
reach "killed: unlisted d4 still untouched" tcp 4 10.77.0.15 8080

start_gateway "restart"
blocked "restarted: fridge is still quarantined" http $fridge http://203.0.113.10/
if status_json >"$tmp/status.json" 2>"$tmp/out"; then
  rec=$(device_record fridge "$fridge_mac" "$fridge_ip" <"$tmp/status.json")
  [[ -n $rec ]] && jq -e "$is_quarantined" <<<"$rec" >/dev/null && grep -qF "$reason" <<<"$rec" &&
    ok "restarted: status --json shows the quarantine and its reason" ||
    { echo "${rec:-no record}" >"$tmp/out"; bad "restarted: status --json lost fridge's quarantine"; }
else
  bad "restarted: status --json failed"
fi
policy_checks "restarted"
reach "restarted: release fridge" "$warden" gateway release fridge --state "$state"
fridge_allowed "restarted, released"
kill -TERM "$gwpid"; wait "$gwpid"; st=$?; gwpid=
[[ $st -eq 0 ]] && ok "SIGTERM: warden exits 0" || { : >"$tmp/out"; bad "SIGTERM: warden exits $st"; }
# A clean stop keeps the rules too (fail-static; --flush-on-exit would remove them).
gw_router "$P" nft list table inet warden >/dev/null 2>&1 && ok "SIGTERM: table inet warden stays in force" ||
  { : >"$tmp/out"; bad "SIGTERM: table inet warden is gone after a clean stop"; }
blocked "SIGTERM: cam still cannot curl 203.0.113.10" http $cam http://203.0.113.10/

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
