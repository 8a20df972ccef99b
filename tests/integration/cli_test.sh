#!/usr/bin/env bash
# The CLI as a user meets it: help, usage errors, missing and damaged inputs (clear errors that
# name the file and the byte offset, with the packets before the damage kept), multi-file runs.
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

check "help" 0 "$(run --help)" "analyze" "$tmp/out"
check "no command" 2 "$(run)" "Usage" "$tmp/err"
check "unknown command" 2 "$(run frobnicate)" "unknown command 'frobnicate'" "$tmp/err"
check "analyze help" 0 "$(run analyze --help)" "Exit status" "$tmp/out"
check "monitor help" 0 "$(run monitor --help)" "drops to --user" "$tmp/out"
check "analyze without files" 2 "$(run analyze)" "no capture file" "$tmp/err"
check "bad option value" 2 "$(run analyze --max-flows lots x.pcap)" "max-flows" "$tmp/err"
check "bad learning period" 2 "$(run analyze --learning-period 0 x.pcap)" "learning-period" "$tmp/err"
check "missing file" 1 "$(run analyze -o "$tmp/o0" "$tmp/nope.pcap")" "nope.pcap" "$tmp/err"
check "monitor without interface" 2 "$(run monitor)" "no interface" "$tmp/err"

# A text file is not a capture: a clear error naming it, and exit 3.
printf 'hello, I am not a pcap\n' > "$tmp/notes.txt"
check "not a capture" 3 "$(run analyze -q -o "$tmp/o1" "$tmp/notes.txt")" "notes.txt: .*(not a pcap|magic)" "$tmp/err"

# A capture cut short (a full disk, a killed tcpdump): error with the offset, earlier records kept.
head -c 100000 "$data/slips/test7-malicious.pcap" > "$tmp/cut.pcap"
check "truncated capture" 3 "$(run analyze -q -o "$tmp/o2" "$tmp/cut.pcap")" "cut.pcap: damaged at byte [0-9]+" "$tmp/err"
flows=$(wc -l < "$tmp/o2/flows.jsonl")
if [[ $flows -gt 10 ]]; then echo "ok   truncated capture keeps $flows flows"; pass=$((pass + 1));
else echo "FAIL truncated capture kept only $flows flows"; fail=$((fail + 1)); fi

# Several files in one run (pcap + pcapng, different link types) form one inventory.
check "multi-file run" 0 "$(run analyze -q -o "$tmp/o3" "$data/ndpi/pcap/sonos.pcapng" "$data/ndpi/pcap/dns2tcp_tunnel.pcap")"
devices=$(wc -l < "$tmp/o3/devices.jsonl")
if [[ $devices -ge 5 ]]; then echo "ok   multi-file inventory has $devices devices"; pass=$((pass + 1));
else echo "FAIL multi-file inventory has $devices devices"; fail=$((fail + 1)); fi
grep -q '"packets":' "$tmp/o3/summary.json" && { echo "ok   summary.json written"; pass=$((pass + 1)); } || { echo "FAIL summary.json"; fail=$((fail + 1)); }

# The default output folder is named on the console.
(cd "$tmp" && "$warden" analyze --no-progress "$data/ndpi/pcap/mqtt.pcap" >"$tmp/out" 2>"$tmp/err"; echo $? > "$tmp/status")
check "default output folder is announced" 0 "$(cat "$tmp/status")" "writing to warden-out/mqtt-[0-9]{8}-[0-9]{6}/" "$tmp/err"

# Threat-intelligence lists: checked, loaded, matched; a missing list is a clear error.
printf '# a feed\n141.193.213.0/24\nnot an indicator\n0.0.0.0 c2.example.net\n' > "$tmp/feed.txt"
check "intel check" 0 "$(run intel check "$tmp/feed.txt")" "1 CIDRs, 1 domains.*1 lines skipped, first at line 3" "$tmp/err"
check "intel help" 0 "$(run intel --help)" "warden intel check" "$tmp/out"
check "intel missing list" 1 "$(run analyze -q -o "$tmp/o5" --intel "$tmp/none.txt" "$data/ndpi/pcap/mqtt.pcap")" "none.txt" "$tmp/err"
check "intel match in analyze" 0 "$(run analyze -q -o "$tmp/o6" --intel "$tmp/feed.txt" "$data/slips/test-cc__test-cc-capture-2.pcap")"
if grep -q '"detector":"intel.ip"' "$tmp/o6/alerts.jsonl"; then echo "ok   intel alert raised"; pass=$((pass + 1));
else echo "FAIL no intel alert"; fail=$((fail + 1)); fi

# warden scan: help, strict targets, and a real scan of a loopback web server (no root needed).
check "scan help" 0 "$(run scan --help)" "guess-credentials" "$tmp/out"
check "scan without targets" 2 "$(run scan)" "name at least one TARGET" "$tmp/err"
check "scan typo target" 2 "$(run scan 192.168.1)" "not an address, CIDR block or range: '192.168.1'" "$tmp/err"
check "scan huge range" 2 "$(run scan 10.0.0.0/8)" "more than 4096 addresses" "$tmp/err"
check "scan credentials without guessing" 2 "$(run scan --credentials x.tsv 127.0.0.1)" "needs --guess-credentials" "$tmp/err"
check "scan bad ports" 2 "$(run scan --tcp-ports 70000 127.0.0.1)" "bad port" "$tmp/err"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/www" && echo hi > "$tmp/www/index.html"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/www" >/dev/null 2>&1 &
web=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
check "scan loopback web server" 0 "$(run scan -q --tcp-ports "$port" --udp-ports 9 --json "$tmp/scan.json" --html "$tmp/scan.html" --db "$tmp/scan.db" 127.0.0.1)" "127.0.0.1 +score 100/100" "$tmp/out"
check "scan fail-on" 4 "$(run scan -q --tcp-ports "$port" --udp-ports 9 --fail-on info 127.0.0.1)"
kill $web 2>/dev/null
if jq -e --argjson p "$port" '.hosts[0].services[] | select(.port==$p and .name=="http" and .product=="SimpleHTTP")' "$tmp/scan.json" >/dev/null 2>&1; then
  echo "ok   scan identifies the web server"; pass=$((pass + 1))
else echo "FAIL scan json: $(head -c 600 "$tmp/scan.json")"; fail=$((fail + 1)); fi
if [[ $(sqlite3 "$tmp/scan.db" "SELECT score FROM device_scores WHERE ip='127.0.0.1'" 2>/dev/null) == 100 ]]; then
  echo "ok   scan stored in SQLite"; pass=$((pass + 1))
else echo "FAIL scan not stored"; fail=$((fail + 1)); fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
