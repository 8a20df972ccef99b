#!/usr/bin/env bash
# The MUD manager path end to end: a device announces its MUD URL in a DHCP DISCOVER (option
# 161); `warden gateway run` on the namespaced router fetches the file over real HTTPS (a
# server on the router's loopback, certificate from the test CA in tests/data/mud/pki),
# checks it names itself by that URL, verifies its detached CMS signature against --mud-ca,
# and enforces it: the device reaches what its file allows (tcp/80 to 203.0.113.10) and
# nothing else. A second device announcing an unsigned file is refused, with the reason in
# events.jsonl, and stays unfiltered. Addresses: 10.77.0.0/16 inside, TEST-NET-3 outside.
# Needs root, iproute2, nftables, python3, openssl, curl, nc; skipped (77) otherwise.
set -uo pipefail
warden=$1 data=$2
pki=$data/pki
if [[ $(id -u) -ne 0 ]]; then echo "skipped: needs root"; exit 77; fi
for tool in ip nft python3 openssl curl nc; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool not installed"; exit 77; }
done
P=gm$$
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for n in r d e i; do ip netns del $P$n 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

for n in r d e i; do ip netns add $P$n || { echo "skipped: cannot create namespaces"; exit 77; }; ip -n $P$n link set lo up; done
ip -n ${P}r link add br0 type bridge
ip -n ${P}r addr add 10.77.0.1/16 dev br0
ip -n ${P}r link set br0 up
for dev in d:11 e:12; do
  n=${dev%%:*} x=${dev##*:}
  ip link add ${P}$n type veth peer name ${P}${n}p
  ip link set ${P}$n netns ${P}$n
  ip -n ${P}$n link set ${P}$n address 02:77:00:00:00:$x name eth0
  ip link set ${P}${n}p netns ${P}r
  ip -n ${P}r link set ${P}${n}p master br0 up
  ip -n ${P}$n addr add 10.77.0.$x/16 dev eth0
  ip -n ${P}$n link set eth0 up
  ip -n ${P}$n route add default via 10.77.0.1
done
ip link add ${P}w type veth peer name ${P}wi
ip link set ${P}w netns ${P}r; ip link set ${P}wi netns ${P}i
ip -n ${P}r addr add 203.0.113.1/24 dev ${P}w; ip -n ${P}r link set ${P}w up
ip -n ${P}i addr add 203.0.113.10/24 dev ${P}wi; ip -n ${P}i addr add 203.0.113.20/24 dev ${P}wi
ip -n ${P}i link set ${P}wi up; ip -n ${P}i route add 10.77.0.0/16 via 203.0.113.1
ip netns exec ${P}r sysctl -qw net.ipv4.ip_forward=1

mkdir -p "$tmp/www" "$tmp/site"
echo hello >"$tmp/site/index.html"
ip netns exec ${P}i python3 -m http.server 80 --bind 203.0.113.10 --directory "$tmp/site" >/dev/null 2>&1 &
pids+=($!)
ip netns exec ${P}i nc -lk 203.0.113.20 1883 >/dev/null 2>&1 &
pids+=($!)

# The MUD server, on the router's loopback (port picked by the kernel).
ip netns exec ${P}r python3 "$(dirname "$0")/https_serve.py" "$tmp/www" "$pki/server.pem" "$pki/server.key" "$tmp/port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
[[ -s "$tmp/port" ]] || { echo "FAIL the HTTPS server did not start"; exit 1; }
base=https://127.0.0.1:$(cat "$tmp/port")

mud_file() {  # mud_file NAME SIGNED
  local sig=""
  [[ $2 == yes ]] && sig="\"mud-signature\": \"$base/$1.p7s\","
  cat >"$tmp/www/$1.json" <<JSON
{"ietf-mud:mud": {"mud-version": 1, "mud-url": "$base/$1.json", $sig
  "last-update": "2026-11-30T12:00:00+00:00", "cache-validity": 48, "is-supported": true,
  "systeminfo": "test $1",
  "from-device-policy": {"access-lists": {"access-list": [{"name": "from-$1"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "to-$1"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "from-$1", "type": "ipv4-acl-type", "aces": {"ace": [
    {"name": "web", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "203.0.113.10/32"},
     "tcp": {"destination-port": {"operator": "eq", "port": 80}, "ietf-mud:direction-initiated": "from-device"}},
     "actions": {"forwarding": "accept"}}]}},
  {"name": "to-$1", "type": "ipv4-acl-type", "aces": {"ace": [
    {"name": "web", "matches": {"ipv4": {"protocol": 6, "source-ipv4-network": "203.0.113.10/32"},
     "tcp": {"source-port": {"operator": "eq", "port": 80}, "ietf-mud:direction-initiated": "from-device"}},
     "actions": {"forwarding": "accept"}}]}}]}}
JSON
  if [[ $2 == yes ]]; then
    openssl cms -sign -signer "$pki/signer.pem" -inkey "$pki/signer.key" -in "$tmp/www/$1.json" \
      -binary -outform DER -out "$tmp/www/$1.p7s" -nosmimecap 2>/dev/null
  fi
}
mud_file plug yes
mud_file cheap no

# A DHCP DISCOVER carrying option 161 (RFC 8520 §10), as a device's client sends it.
cat >"$tmp/dhcp.py" <<'PY'
import os, socket, struct, sys
mac, url = bytes.fromhex(sys.argv[1].replace(":", "")), sys.argv[2].encode()
pkt = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, int.from_bytes(os.urandom(4), "big"), 0, 0x8000, 0, 0, 0, 0)
pkt += mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
pkt += bytes([53, 1, 1, 161, len(url)]) + url + bytes([255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("0.0.0.0", 68))
s.sendto(pkt, ("255.255.255.255", 67))
PY

echo '{"lan_networks": ["10.77.0.0/16"], "devices": []}' >"$tmp/gateway.json"
ip netns exec ${P}r "$warden" gateway run --lan br0 --state "$tmp/state" --config "$tmp/gateway.json" \
  --mud-ca "$pki/ca.pem" --mud-tls-ca "$pki/ca.pem" --mud-allow-local-urls >"$tmp/run.out" 2>"$tmp/run.err" &
pids+=($!)
for _ in $(seq 100); do [[ -f "$tmp/state/ready" ]] && break; sleep 0.1; done
[[ -f "$tmp/state/ready" ]] || { echo "FAIL the gateway did not start:"; cat "$tmp/run.err"; exit 1; }

curl_ok() { ip netns exec ${P}$1 curl -s -m 3 http://203.0.113.10/ | grep -q hello; }
mqtt_open() { ip netns exec ${P}$1 nc -z -w 1 203.0.113.20 1883; }
check "before any announcement, the plug reaches the MQTT host" "mqtt_open d"

ip netns exec ${P}d python3 "$tmp/dhcp.py" 02:77:00:00:00:11 "$base/plug.json"
ip netns exec ${P}e python3 "$tmp/dhcp.py" 02:77:00:00:00:12 "$base/cheap.json"
for _ in $(seq 100); do
  [[ $(grep -c '"event":"mud"' "$tmp/state/events.jsonl" 2>/dev/null) -ge 2 ]] && break; sleep 0.1
done
check "the plug's signed file was fetched, verified and applied" \
  "grep -q '\"device\":\"02:77:00:00:00:11\".*\"signature\":\"verified\".*\"applied\":true' '$tmp/state/events.jsonl'"
check "the unsigned file was refused with the reason" \
  "grep -q '\"device\":\"02:77:00:00:00:12\".*\"ok\":false.*signature' '$tmp/state/events.jsonl'"
check "the plug still reaches what its file allows (tcp/80 to 203.0.113.10)" "curl_ok d"
check "the plug no longer reaches anything else (tcp/1883)" "! mqtt_open d"
check "the device with the refused file is not filtered" "mqtt_open e"
ip netns exec ${P}r "$warden" gateway status --state "$tmp/state" --json >"$tmp/status.json"
check "status lists the plug under its MUD policy" \
  "grep -q '\"name\":\"02:77:00:00:00:11\"[^}]*\"policy\":\"mud\"' '$tmp/status.json'"
if [[ $fail -ne 0 ]]; then echo "--- gateway stderr"; cat "$tmp/run.err"; echo "--- events"; cat "$tmp/state/events.jsonl"; fi
exit $fail
