#!/usr/bin/env bash
# Behaviour baselines across restarts, on a real capture: slips test7 shows one device
# (black-pearl, 192.168.2.16) doing only DNS and NTP for four minutes, then being logged into
# over SSH and starting to scan. The capture is cut in two at 230 s: the first part is learned
# into a baseline file (one run), the second part is analysed by a second run with that file,
# and the deviations must appear there only; without the baseline the second part alerts
# nothing (the device would still be learning). Then the file as untrusted input: garbage, a
# foreign SQLite database, a truncated file and a tampered row are clear errors (exit 1).
set -uo pipefail
warden=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
run() { "$warden" analyze -q --no-sqlite "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
# alerts DIR DETECTOR-REGEX: how many alerts of those detectors the run raised
alerts() { grep -cE "\"detector\":\"($2)\"" "$1/alerts.jsonl"; }

python3 - "$data/slips/test7-malicious.pcap" "$tmp/part1.pcap" "$tmp/part2.pcap" <<'EOF'
import struct, sys
src, out1, out2 = sys.argv[1:]
buf = open(src, 'rb').read()
assert buf[:4] == b'\xd4\xc3\xb2\xa1', 'expects a little-endian microsecond pcap'
head, pos, t0 = buf[:24], 24, None
parts = [bytearray(head), bytearray(head)]
while pos + 16 <= len(buf):
    sec, usec, incl, orig = struct.unpack_from('<IIII', buf, pos)
    t = sec + usec / 1e6
    t0 = t if t0 is None else t0
    parts[t - t0 >= 230].extend(buf[pos:pos + 16 + incl])
    pos += 16 + incl
open(out1, 'wb').write(parts[0])
open(out2, 'wb').write(parts[1])
EOF

dev='"device":"b8:27:eb:c7:e9:c9"'
base="$tmp/base.db"
st=$(run -o "$tmp/r1" --baseline "$base" --learning-period 1 "$tmp/part1.pcap")
[[ $st == 0 && -s $base ]] && ok "learning run writes the baseline" || bad "learning run: exit $st, $(cat "$tmp/err")"
n=$(alerts "$tmp/r1" 'baseline[^"]*')
[[ $n == 0 ]] && ok "nothing new while the device does what it learned" || bad "learning run raised $n baseline alerts"
stable=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
  \"select stable_since > 0 from devices where id='b8:27:eb:c7:e9:c9'\").fetchone()[0])" "$base")
[[ $stable == 1 ]] && ok "the device finished learning in the first run" || bad "device not stable: $stable"

st=$(run -o "$tmp/r2" --baseline "$base" "$tmp/part2.pcap")
[[ $st == 0 ]] && ok "second run with the baseline" || bad "second run: exit $st, $(cat "$tmp/err")"
for d in baseline.new_served_port baseline.new_protocol; do
  if grep "\"detector\":\"$d\"" "$tmp/r2/alerts.jsonl" | grep -q "$dev"; then ok "restart: $d raised";
  else bad "restart: no $d for the device"; fi
done
grep -q '"examples":"SSH"' "$tmp/r2/alerts.jsonl" && ok "the new protocol is SSH" || bad "SSH not named"

st=$(run -o "$tmp/r3" "$tmp/part2.pcap")
n=$(alerts "$tmp/r3" 'baseline[^"]*')
[[ $st == 0 && $n == 0 ]] && ok "no baseline: the device is learning, nothing raised" || bad "no baseline: exit $st, $n alerts"

# What alerted once joined the baseline: the same part again raises none of it.
st=$(run -o "$tmp/r4" --baseline "$base" "$tmp/part2.pcap")
n=$(alerts "$tmp/r4" 'baseline.new_protocol|baseline.new_served_port')
[[ $st == 0 && $n == 0 ]] && ok "a deviation alerts once, across restarts" || bad "repeat run: exit $st, $n alerts"

# Untrusted files: clear errors, exit 1, never a crash.
printf 'not a database at all, just some text that is long enough to be a header......\n' > "$tmp/garbage.db"
st=$(run -o "$tmp/r5" --baseline "$tmp/garbage.db" "$tmp/part2.pcap")
[[ $st == 1 ]] && grep -q "garbage.db: .*not a warden baseline" "$tmp/err" && ok "garbage file refused" ||
  bad "garbage: exit $st, $(cat "$tmp/err")"
"$warden" analyze -q -o "$tmp/r6" "$tmp/part1.pcap" >/dev/null 2>&1
st=$(run -o "$tmp/r7" --baseline "$tmp/r6/warden.db" "$tmp/part2.pcap")
[[ $st == 1 ]] && grep -q "not a warden baseline (a SQLite database of another kind)" "$tmp/err" &&
  ok "foreign SQLite database refused" || bad "foreign db: exit $st, $(cat "$tmp/err")"
head -c 3000 "$base" > "$tmp/cut.db"
st=$(run -o "$tmp/r8" --baseline "$tmp/cut.db" "$tmp/part2.pcap")
[[ $st == 1 ]] && grep -q "cut.db" "$tmp/err" && ok "truncated baseline refused: $(cat "$tmp/err")" ||
  bad "truncated: exit $st, $(cat "$tmp/err")"
cp "$base" "$tmp/tampered.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(
  \"update items set value='tcp/99999' where kind='service'\"); c.commit()" "$tmp/tampered.db"
cp "$tmp/tampered.db" "$tmp/tampered.before"
st=$(run -o "$tmp/r9" --baseline "$tmp/tampered.db" "$tmp/part2.pcap")
[[ $st == 1 ]] && grep -q "item row [0-9]*: not a valid service" "$tmp/err" && ok "tampered row refused" ||
  bad "tampered: exit $st, $(cat "$tmp/err")"
cmp -s "$tmp/tampered.db" "$tmp/tampered.before" && ok "a refused file is left as it was" || bad "refused file changed"
st=$(run -o "$tmp/r10" --baseline "$tmp/no/such/dir/b.db" "$tmp/part1.pcap")
[[ $st == 1 ]] && grep -q "cannot" "$tmp/err" && ok "unwritable baseline path is an error" ||
  bad "unwritable: exit $st, $(cat "$tmp/err")"
left=$(ls "$tmp" | grep -c '\.tmp-')
[[ $left == 0 ]] && ok "no temporary file left behind" || bad "$left temporary files left behind"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
