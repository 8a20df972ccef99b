#!/usr/bin/env bash
# `warden scan` against the IoT bench (tests/bench/iot, copied from ../shared/bench): real
# Debian daemons standing in for vulnerable devices, each in its own network namespace behind a
# namespace router. Everything stays inside namespaces this test creates; "internet" addresses
# come from the documentation ranges.
#  1. "bad" router variant, scanned from the LAN (namespace scan, 192.168.77.50) with
#     --guess-credentials: every weakness of tests/bench/iot/README.md on the right host with the
#     right severity; good1 (authenticated MQTT) nothing above info; the secure-mode probe
#     mapping is gone afterwards and reported; results stored in SQLite.
#  2. the same router seen from the WAN (namespace inet): UPnP and DNS answering there.
#  3. "good" router variant: nothing above info on the router from the LAN, no UPnP from the WAN.
# Needs root and the bench daemons (scripts/install-deps.sh installs them); 77 otherwise.
# WARDEN_SCAN_KEEP=DIR copies the JSON/HTML reports there.
set -uo pipefail
warden=$(realpath "$1")
bench=$(cd "${2:-$(dirname "$0")/../bench/iot}" && pwd)

if [[ $(id -u) -ne 0 ]]; then echo "skipped: needs root"; exit 77; fi
missing=
for t in miniupnpd upnpc dnsmasq lighttpd mosquitto mosquitto_pub mosquitto_passwd openssl jq nft \
         sqlite3; do
  command -v $t >/dev/null || missing+=" $t"
done
for f in /bin/busybox /usr/sbin/telnetd /usr/sbin/inetd /usr/sbin/sshd; do
  [[ -x $f ]] || missing+=" $f"
done
if [[ -n $missing ]]; then echo "skipped: missing$missing"; exit 77; fi
if ip netns list | grep -qw rtr; then
  echo "skipped: the bench namespaces (rtr, ...) are in use by someone else"; exit 77
fi

tmp=$(mktemp -d /tmp/scantest.XXXXXX)
fail=0
cleanup() {
  "$bench/bench-down.sh" >/dev/null 2>&1
  if [[ -n ${WARDEN_SCAN_KEEP:-} ]]; then mkdir -p "$WARDEN_SCAN_KEEP"; cp "$tmp"/*.json "$tmp"/*.html "$WARDEN_SCAN_KEEP"/ 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

bench_up() {  # variant
  "$bench/bench-down.sh" >/dev/null 2>&1
  # miniupnpd reloads its lease file: a previous variant's mappings must not leak into this one
  rm -f /srv/bench/rtr/upnp.leases
  "$bench/bench-up.sh" && "$bench/devices-up.sh" "$1" >"$tmp/devices-$1.log" 2>&1 || {
    echo "FAIL: bench did not come up ($1)"; cat "$tmp/devices-$1.log"; exit 1; }
  # every daemon listening before we scan
  for i in $(seq 50); do
    ip netns exec scan bash -c 'for h in 11:80 12:22 13:23 14:23 15:1883 16:443 17:1883 1:5000; do
      (exec 3<>/dev/tcp/192.168.77.${h%%:*}/${h##*:}) 2>/dev/null || exit 1; done' && return 0
    sleep 0.2
  done
  echo "FAIL: bench daemons not listening"; exit 1
}

# expect FILE ADDR ID SEVERITY: the host has a finding ID at SEVERITY
expect() {
  local got
  got=$(jq -r --arg a "$2" --arg id "$3" \
    '.hosts[] | select(.addr==$a) | .findings[] | select(.id==$id) | .severity' "$1" | sort -u | tr '\n' ' ')
  if [[ " $got" == *" $4 "* ]]; then
    echo "ok   $2 $3 ($4)"
  else
    echo "FAIL $2: expected $3 at $4, got '${got}'"; fail=1
  fi
}
# at_most FILE ADDR SEVERITY: nothing above SEVERITY on the host
at_most() {
  local rank='{"info":0,"low":1,"medium":2,"high":3,"critical":4}' worse
  worse=$(jq -r --arg a "$2" --arg s "$3" --argjson r "$rank" \
    '.hosts[] | select(.addr==$a) | .findings[] | select($r[.severity] > $r[$s]) | "\(.id) \(.severity): \(.evidence)"' "$1")
  if [[ -z $worse ]]; then echo "ok   $2 nothing above $3"; else echo "FAIL $2 above $3: $worse"; fail=1; fi
}

echo "== bad router variant, LAN view"
bench_up bad
ip netns exec scan "$warden" scan --guess-credentials --json "$tmp/lan.json" --html "$tmp/lan.html" \
  --db "$tmp/warden.db" -q 192.168.77.1 192.168.77.11-17 >"$tmp/lan.txt" 2>"$tmp/lan.err"
rc=$?
if [[ $rc -ne 0 ]]; then echo "FAIL: warden scan exited $rc"; cat "$tmp/lan.err"; exit 1; fi
L=$tmp/lan.json
expect "$L" 192.168.77.1 upnp.nat_injection critical
expect "$L" 192.168.77.1 upnp.ioc_description critical
expect "$L" 192.168.77.1 upnp.risky_mapping high
expect "$L" 192.168.77.1 upnp.secure_mode_off high
expect "$L" 192.168.77.1 upnp.zero_uuid info
expect "$L" 192.168.77.1 dns.version_disclosure info  # low only where the internet can ask
expect "$L" 192.168.77.11 cred.default critical
expect "$L" 192.168.77.11 service.cleartext_login high
expect "$L" 192.168.77.12 cred.default critical
expect "$L" 192.168.77.13 cred.default critical
expect "$L" 192.168.77.13 cred.root_shell critical
expect "$L" 192.168.77.13 telnet.open high
expect "$L" 192.168.77.13 service.cleartext_login high
expect "$L" 192.168.77.14 cred.default critical
expect "$L" 192.168.77.14 telnet.open high
expect "$L" 192.168.77.14 service.cleartext_login high
expect "$L" 192.168.77.15 mqtt.anonymous high
expect "$L" 192.168.77.15 mqtt.wildcard high
expect "$L" 192.168.77.15 mqtt.cleartext info
expect "$L" 192.168.77.16 tls.old_version high
expect "$L" 192.168.77.16 tls.no_modern_version medium
expect "$L" 192.168.77.16 tls.weak_key high
expect "$L" 192.168.77.16 tls.weak_signature medium
expect "$L" 192.168.77.16 tls.weak_dh medium
expect "$L" 192.168.77.16 tls.weak_cipher medium
expect "$L" 192.168.77.16 tls.self_signed low
at_most "$L" 192.168.77.17 info
# the valid credentials, with proof
for want in "192.168.77.13 root xc3511" "192.168.77.14 support support" "192.168.77.11 admin admin" \
            "192.168.77.12 admin admin"; do
  set -- $want
  got=$(jq -r --arg a "$1" '.hosts[] | select(.addr==$a) | .credentials[] | select(.user) | "\(.user) \(.password)"' "$L" | head -1)
  if [[ $got == "$2 $3" ]]; then echo "ok   $1 login $2:$3"; else echo "FAIL $1 login: expected $2:$3, got '$got'"; fail=1; fi
done
# the secure-mode probe mapping was reported and is gone; the two injected ones are untouched
if jq -e '.hosts[] | select(.addr=="192.168.77.1") | .changes | map(select(test("delete"))) | length == 1' "$L" >/dev/null; then
  echo "ok   probe mapping reported as deleted"
else
  echo "FAIL probe mapping not reported: $(jq -c '.hosts[] | select(.addr=="192.168.77.1") | .changes' "$L")"; fail=1
fi
maps=$(ip netns exec scan upnpc -u http://192.168.77.1:5000/rootDesc.xml -l 2>/dev/null | grep -cE '^ *[0-9]+ (TCP|UDP) ')
if [[ $maps == 2 ]]; then echo "ok   router keeps exactly the 2 injected mappings"; else echo "FAIL router has $maps mappings"; ip netns exec scan upnpc -u http://192.168.77.1:5000/rootDesc.xml -l; fail=1; fi
# scores: every weak device at most 50 (a high finding caps there), the good one 90 or more
good=$(jq '.hosts[] | select(.addr=="192.168.77.17") | .score' "$L")
for a in 1 11 12 13 14 15 16; do
  s=$(jq --arg a 192.168.77.$a '.hosts[] | select(.addr==$a) | .score' "$L")
  if [[ -n $s && $s -le 50 && $good -ge 90 ]]; then :; else echo "FAIL score 192.168.77.$a=$s good1=$good"; fail=1; fi
done
rows=$(sqlite3 "$tmp/warden.db" "SELECT count(*) FROM device_scores")
if [[ $rows == 8 ]]; then echo "ok   8 assessments stored"; else echo "FAIL stored $rows assessments"; fail=1; fi
grep -q "upnp.nat_injection\|NAT injection" "$tmp/lan.html" || { echo "FAIL html report lacks the NAT injection"; fail=1; }

echo "== bad router variant, WAN view"
ip netns exec inet "$warden" scan --wan --json "$tmp/wan.json" -q 10.99.0.1 >/dev/null 2>"$tmp/wan.err" || {
  echo "FAIL: wan scan"; cat "$tmp/wan.err"; fail=1; }
W=$tmp/wan.json
expect "$W" 10.99.0.1 upnp.wan_exposed high
expect "$W" 10.99.0.1 upnp.nat_injection critical
expect "$W" 10.99.0.1 upnp.ioc_description critical
expect "$W" 10.99.0.1 dns.wan_open high
expect "$W" 10.99.0.1 dns.version_disclosure low

echo "== good router variant"
bench_up good
ip netns exec scan "$warden" scan --json "$tmp/good.json" -q 192.168.77.1 192.168.77.17 >/dev/null 2>"$tmp/good.err" || {
  echo "FAIL: good scan"; cat "$tmp/good.err"; fail=1; }
at_most "$tmp/good.json" 192.168.77.1 info
at_most "$tmp/good.json" 192.168.77.17 info
expect "$tmp/good.json" 192.168.77.1 upnp.igd_present info
ip netns exec inet "$warden" scan --wan --json "$tmp/goodwan.json" -q 10.99.0.1 >/dev/null 2>&1
upnp=$(jq -r '.hosts[] | .findings[] | select(.id|startswith("upnp.")) | .id' "$tmp/goodwan.json" | tr '\n' ' ')
if [[ -z $upnp ]]; then echo "ok   good router: no UPnP from the WAN"; else echo "FAIL good router WAN: $upnp"; fail=1; fi

if [[ $fail -ne 0 ]]; then echo "scan bench test FAILED"; exit 1; fi
echo "scan bench test passed"
