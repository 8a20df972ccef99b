#!/usr/bin/env bash
# DDoS participation on real traffic: a "device" namespace floods a target namespace that
# stands for a host on the internet (203.0.113.10, TEST-NET-3; the veth pair is ours, nothing
# leaves the machine) with hping3 (SYN, ACK, UDP, ICMP) and a DNS query flood, while
# `warden monitor` captures on the target's side. Each flood is bounded (3,000 packets at
# 2,000/s). Every kind must be reported once, against the right device and target, and a
# short normal ping must not be.
# Needs root (CI runs as root) and hping3; skipped (77) otherwise.
set -uo pipefail
warden=$1
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null || ! command -v hping3 >/dev/null; then
  echo "skipped: needs root, iproute2 and hping3"; exit 77
fi
ns=wdd$$
tmp=$(mktemp -d); chmod 755 "$tmp"
cleanup() {
  [[ -n "${pid:-}" ]] && kill -9 "$pid" 2>/dev/null
  ip netns del ${ns}d 2>/dev/null; ip netns del ${ns}t 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add ${ns}d && ip netns add ${ns}t || { echo "skipped: cannot create namespaces"; exit 77; }
ip link add ${ns}x type veth peer name ${ns}y
ip link set ${ns}x netns ${ns}d; ip link set ${ns}y netns ${ns}t
ip -n ${ns}d addr add 192.168.79.2/24 dev ${ns}x; ip -n ${ns}d link set ${ns}x up; ip -n ${ns}d link set lo up
ip -n ${ns}t addr add 192.168.79.1/24 dev ${ns}y; ip -n ${ns}t addr add 203.0.113.10/32 dev ${ns}y
ip -n ${ns}t link set ${ns}y up; ip -n ${ns}t link set lo up
ip -n ${ns}d route add 203.0.113.0/24 via 192.168.79.1
mac_d=$(ip -n ${ns}d -o link show ${ns}x | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

ip netns exec ${ns}t "$warden" monitor -i ${ns}y --user nobody -q -o "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 50); do [[ -f "$tmp/out/flows.jsonl" ]] && break; sleep 0.1; done
sleep 0.5

# A normal ping first: it must stay quiet.
ip netns exec ${ns}d ping -c 3 -i 0.2 -W 1 203.0.113.10 >/dev/null
flood() { ip netns exec ${ns}d hping3 -q -i u500 -c 3000 "$@" 203.0.113.10 >/dev/null 2>&1; }
flood -S -p 80        # SYN flood at a closed port: answered with resets, never completed
flood -A -p 443       # ACK flood: segments for no connection
flood --udp -p 9999 -d 512
flood --icmp -d 64
# DNS water torture: queries for random names, from one socket.
ip netns exec ${ns}d python3 - <<'PY'
import os, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    name = os.urandom(6).hex().encode()
    q = struct.pack(">HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0)
    q += bytes([len(name)]) + name + b"\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
    s.sendto(q, ("203.0.113.10", 53))
    if i % 20 == 0:
        time.sleep(0.01)
PY
sleep 1
kill -INT $pid
wait $pid; status=$?
pid=
fail=0
[[ $status -eq 0 ]] && echo "ok   monitor exited cleanly" || { echo "FAIL exit status $status"; cat "$tmp/stderr"; fail=1; }
for kind in syn ack udp icmp dns; do
  n=$(grep -c "\"detector\":\"ddos.$kind\"" "$tmp/out/alerts.jsonl")
  line=$(grep "\"detector\":\"ddos.$kind\"" "$tmp/out/alerts.jsonl" | head -1)
  if [[ $n -eq 1 ]] && grep -q '"src_ip":"192.168.79.2"' <<<"$line" && grep -q '"dest_ip":"203.0.113.10"' <<<"$line" \
     && grep -q "\"device\":\"$mac_d\"" <<<"$line" && grep -q '"severity":"high"' <<<"$line"; then
    echo "ok   ddos.$kind reported once for $mac_d -> 203.0.113.10"
  else
    echo "FAIL ddos.$kind: $n alerts"; echo "$line"; fail=1
  fi
done
others=$(grep -v '"detector":"ddos\.' "$tmp/out/alerts.jsonl" | grep -c '"severity":"high"')
[[ $others -eq 0 ]] && echo "ok   no other high-severity alert" || { echo "FAIL other alerts:"; grep -v ddos "$tmp/out/alerts.jsonl"; fail=1; }
[[ -n "${WARDEN_KEEP:-}" ]] && cp "$tmp/out/alerts.jsonl" "$WARDEN_KEEP"
exit $fail
