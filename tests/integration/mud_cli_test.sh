#!/usr/bin/env bash
# `warden mud check` as a user meets it: a valid file's summary, the draft schema refused with
# the path of the offending key, exit statuses 0 (valid), 1 (invalid or unreadable), 2 (usage).
set -uo pipefail
warden=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {  # check NAME EXPECTED_STATUS ACTUAL_STATUS [grep-pattern file]
  local name=$1 want=$2 got=$3
  if [[ "$got" != "$want" ]]; then
    echo "FAIL $name: exit $got, expected $want"; fail=$((fail + 1)); return
  fi
  if [[ $# -ge 5 ]] && ! grep -qE -- "$4" "$5"; then
    echo "FAIL $name: '$4' not in $5:"; head -5 "$5"; fail=$((fail + 1)); return
  fi
  echo "ok   $name"; pass=$((pass + 1))
}
run() { "$warden" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

check "help" 0 "$(run mud --help)" "Exit status" "$tmp/out"
check "listed in main help" 0 "$(run --help)" "mud " "$tmp/out"
check "no subcommand" 2 "$(run mud)" "Usage" "$tmp/err"
check "no file" 2 "$(run mud check)" "no MUD file" "$tmp/err"
check "unknown subcommand" 2 "$(run mud frob)" "unknown subcommand" "$tmp/err"
check "valid file" 0 "$(run mud check "$data/barmey_mi_bolb_usMud.json")" \
  "allow udp/8053 to dns:us.ot.io.mi.com" "$tmp/out"
check "valid file dns" 0 "$(run mud check "$data/cisco_mudmanager_Luminaire_150.json")" \
  "DNS names to resolve \(1\): fw-update.luminaire.example.com" "$tmp/out"
check "draft schema" 1 "$(run mud check "$data/osmud_lightbulb2000.json")" \
  "access-list-entries: pre-RFC 8520 draft MUD schema" "$tmp/err"
check "one bad of two" 1 "$(run mud check "$data/barmey_mi_bolb_usMud.json" "$data/osmud_MUDFILE.NEST.json")" \
  "MUDFILE.NEST.json: invalid" "$tmp/err"
check "missing file" 1 "$(run mud check "$tmp/nope.json")" "nope.json: cannot read" "$tmp/err"
printf '{"ietf-mud:mud": {' >"$tmp/trunc.json"
check "truncated JSON" 1 "$(run mud check "$tmp/trunc.json")" "not valid JSON: .* at byte" "$tmp/err"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp/big.json"
check "too large" 1 "$(run mud check "$tmp/big.json")" "larger than 1 MiB" "$tmp/err"

# A wired device announcing its MUD URL in LLDP (RFC 8520 §10): analyze observes it and the
# inventory learns the URL, as from DHCP option 161.
if command -v python3 >/dev/null; then
  python3 - "$tmp/lldp.pcap" <<'PY'
import struct, sys
def tlv(t, v): return struct.pack(">H", (t << 9) | len(v)) + v
mac = bytes.fromhex("020000000001")
du = (tlv(1, b"\x04" + mac) + tlv(2, b"\x05eth0") + tlv(3, b"\x00\x78") + tlv(5, b"bulb-1") +
      tlv(127, b"\x00\x00\x5e\x01https://mud.example.com/bulb.json") + tlv(0, b""))
frame = bytes.fromhex("0180c200000e") + mac + b"\x88\xcc" + du
frame += b"\x00" * max(0, 60 - len(frame))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
PY
  check "lldp observed" 0 "$(run analyze -q -o "$tmp/lldp" "$tmp/lldp.pcap")" \
    '"event_type":"lldp".*"mud_url":"https://mud.example.com/bulb.json"' "$tmp/lldp/observations.jsonl"
  check "lldp mud url in inventory" 0 "$(run analyze -q -o "$tmp/lldp2" "$tmp/lldp.pcap")" \
    '"mac":"02:00:00:00:00:01".*"mud_url":"https://mud.example.com/bulb.json"' "$tmp/lldp2/devices.jsonl"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
