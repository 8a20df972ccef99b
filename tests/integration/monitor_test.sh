#!/usr/bin/env bash
# `warden monitor` on a real interface: two network namespaces joined by a veth pair (our own
# test hosts, nothing leaves the machine). warden captures in one namespace, drops root for
# `nobody`, sees a ping and a DNS query from the other, and on SIGINT flushes everything
# (the behaviour baseline file too).
# Needs root (CI runs as root); skipped (77) otherwise.
set -uo pipefail
warden=$1
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then echo "skipped: needs root and iproute2"; exit 77; fi
ns=wdm$$
tmp=$(mktemp -d); chmod 755 "$tmp"
cleanup() {
  [[ -n "${pid:-}" ]] && kill -9 "$pid" 2>/dev/null
  ip netns del ${ns}a 2>/dev/null; ip netns del ${ns}b 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add ${ns}a && ip netns add ${ns}b || { echo "skipped: cannot create namespaces"; exit 77; }
ip link add ${ns}x type veth peer name ${ns}y
ip link set ${ns}x netns ${ns}a; ip link set ${ns}y netns ${ns}b
ip -n ${ns}a addr add 192.168.78.1/24 dev ${ns}x; ip -n ${ns}a link set ${ns}x up; ip -n ${ns}a link set lo up
ip -n ${ns}b addr add 192.168.78.2/24 dev ${ns}y; ip -n ${ns}b link set ${ns}y up; ip -n ${ns}b link set lo up
mac_b=$(ip -n ${ns}b -o link show ${ns}y | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

ip netns exec ${ns}a "$warden" monitor -i ${ns}x --user nobody --devices-interval 1 -o "$tmp/out" --baseline "$tmp/out/baseline.db" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 50); do [[ -f "$tmp/out/flows.jsonl" ]] && break; sleep 0.1; done
sleep 0.5
fail=0
uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status 2>/dev/null)
if [[ "$uid" == "$(id -u nobody)" ]]; then echo "ok   running as nobody after opening the capture"; else echo "FAIL uid is '$uid'"; cat "$tmp/stderr"; fail=1; fi

ip netns exec ${ns}b ping -c 3 -i 0.2 -W 1 192.168.78.1 >/dev/null
# A DNS query for warden-test.local to the other host (no server needed: warden sees the query).
ip netns exec ${ns}b bash -c 'printf "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x0bwarden-test\x05local\x00\x00\x01\x00\x01" > /dev/udp/192.168.78.1/53' || true
sleep 1.5
kill -INT $pid
wait $pid; status=$?
pid=
if [[ $status -eq 0 ]]; then echo "ok   clean exit on SIGINT"; else echo "FAIL exit status $status"; cat "$tmp/stderr"; fail=1; fi
grep -q '"id.orig_h":"192.168.78.2".*"proto":"icmp"' "$tmp/out/flows.jsonl" && echo "ok   ping flow logged" || { echo "FAIL no ICMP flow"; cat "$tmp/out/flows.jsonl"; fail=1; }
grep -q '"rrname":"warden-test.local"' "$tmp/out/observations.jsonl" && echo "ok   DNS query observed" || { echo "FAIL no DNS observation"; fail=1; }
grep -q "\"mac\":\"$mac_b\"" "$tmp/out/devices.jsonl" && echo "ok   device $mac_b in the inventory" || { echo "FAIL device missing"; cat "$tmp/out/devices.jsonl"; fail=1; }
grep -q '"received":' "$tmp/out/summary.json" && echo "ok   summary with capture counters" || { echo "FAIL no summary"; fail=1; }
# The behaviour baseline is saved, by the unprivileged user, on the SIGINT finish.
n=$(sqlite3 "$tmp/out/baseline.db" "select count(*) from devices where id='$mac_b'" 2>&1)
[[ "$n" == 1 ]] && echo "ok   baseline saved with device $mac_b" || { echo "FAIL baseline: '$n'"; cat "$tmp/stderr"; fail=1; }
rows=$(sqlite3 "$tmp/out/warden.db" 'select count(*) from flows')
[[ $rows -ge 2 ]] && echo "ok   $rows flows in warden.db" || { echo "FAIL warden.db has $rows flows"; fail=1; }
exit $fail
