#!/usr/bin/env bash
# The intel store as a user meets it: lists added from a URL (a python3 http.server on
# 127.0.0.1 only), listed, refreshed (unchanged via a conditional request, updated, and failing
# on a 404 while the previous copy is kept), removed; analyze loading the store and alerting.
set -uo pipefail
warden=$1 data=$2
tmp=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() {  # check NAME EXPECTED_STATUS ACTUAL_STATUS [grep-pattern file]
  local name=$1 want=$2 got=$3
  if [[ "$got" != "$want" ]]; then
    bad "$name: exit $got, expected $want"; cat "$tmp/out" "$tmp/err" | head -5; return
  fi
  if [[ $# -ge 5 ]] && ! grep -qE -- "$4" "$5"; then
    bad "$name: '$4' not in $5:"; head -5 "$5"; return
  fi
  ok "$name"
}
run() { "$warden" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
# Only 127.0.0.1 is ever contacted: never through a proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

store=$tmp/store
www=$tmp/www
mkdir -p "$www"
printf '# test feed\n198.51.100.7\n203.0.113.0/24\n' > "$www/list.txt"

# Port 0: the kernel picks a free one and the server says which (unbuffered, -u).
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$www" >"$tmp/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$tmp/server.log")
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "$port" ]]; then echo "FAIL http server did not start"; cat "$tmp/server.log"; exit 1; fi
url=http://127.0.0.1:$port

check "intel help lists the commands" 0 "$(run intel --help)" "warden intel refresh" "$tmp/out"
check "intel add help" 0 "$(run intel add --help)" "Usage: warden intel add NAME SOURCE" "$tmp/out"
check "add from URL" 0 "$(run intel add feed "$url/list.txt" --store "$store")" \
  "added feed: 2 indicators \(1 IPs, 1 CIDRs" "$tmp/out"
check "list" 0 "$(run intel list --store "$store")" "^feed +ip,cidr +2 +[0-9]+s ago +http://127.0.0.1:$port/list.txt +ok" "$tmp/out"
check "name taken" 1 "$(run intel add feed "$url/list.txt" --store "$store")" "already exists" "$tmp/err"

# Unchanged: the server answers the If-Modified-Since request with 304.
check "refresh unchanged" 0 "$(run intel refresh --store "$store")" "feed: unchanged, 2 indicators" "$tmp/out"
if grep -q '"GET /list.txt HTTP/1.1" 304' "$tmp/server.log"; then ok "refresh was a conditional request (304)";
else bad "no 304 in the server log"; tail -3 "$tmp/server.log"; fi

# Changed (mtime moved ahead: Last-Modified has one-second resolution): new counts.
printf '198.51.100.7\n198.51.100.8\nc2.example.net\n' > "$www/list.txt"
touch -d "@$(($(date +%s) + 10))" "$www/list.txt"
check "refresh updated" 0 "$(run intel refresh feed --store "$store")" \
  "feed: updated, 3 indicators \(2 IPs, 0 CIDRs, 1 domains, 0 JA3\) \(was 2\)" "$tmp/out"
check "list after refresh" 0 "$(run intel list --store "$store")" "^feed +ip,domain +3 " "$tmp/out"

# Gone (404): the refresh fails clearly, exit 1, and the previous copy stays in use.
rm "$www/list.txt"
check "refresh 404" 1 "$(run intel refresh --store "$store")" \
  "feed: HTTP 404 from $url/list.txt; kept the previous copy \(3 indicators" "$tmp/err"
check "list shows the failure" 0 "$(run intel list --store "$store")" "^feed +ip,domain +3 .*failed [0-9]+s ago: HTTP 404" "$tmp/out"
if [[ $(grep -c . "$store/feed.list") == 3 ]]; then ok "previous copy kept"; else bad "previous copy lost"; fi

# Refused adds leave the store as it was.
check "add 404" 1 "$(run intel add other "$url/none.txt" --store "$store")" "HTTP 404 from $url/none.txt" "$tmp/err"
printf 'nothing useful\n' > "$www/empty.txt"
check "add empty list" 1 "$(run intel add empty "$url/empty.txt" --store "$store")" "holds no indicator" "$tmp/err"
check "add unreachable" 1 "$(run intel add down http://127.0.0.1:1/x.txt --store "$store")" "could not fetch http://127.0.0.1:1/x.txt: " "$tmp/err"
check "add bad name" 1 "$(run intel add ../evil "$url/list.txt" --store "$store")" "bad list name" "$tmp/err"
check "add bad scheme" 2 "$(run intel add ftp ftp://127.0.0.1/x --store "$store")" "unsupported URL scheme 'ftp'" "$tmp/err"
if [[ $(ls "$store" | tr '\n' ' ') == "feed.list feed.meta " ]]; then ok "refused adds stored nothing";
else bad "store holds: $(ls "$store")"; fi

# analyze loads the store: an address of the capture on a stored list raises an intel alert.
cap=$data/ndpi/pcap/bot.pcap
printf '89.31.72.220\n' > "$www/bot.txt"
check "add bot list" 0 "$(run intel add bot-c2 "$url/bot.txt" --store "$store")" "added bot-c2: 1 indicators" "$tmp/out"
check "analyze with the store" 0 "$(run analyze --no-progress --no-sqlite -o "$tmp/a1" --store "$store" "$cap")" \
  "intel store $store: 4 indicators from 2 lists" "$tmp/err"
if grep -q '"detector":"intel.ip".*"list":"bot-c2"' "$tmp/a1/alerts.jsonl"; then ok "intel alert from the store";
else bad "no intel alert from the store"; head -3 "$tmp/a1/alerts.jsonl"; fi
WARDEN_INTEL_DIR=$store "$warden" analyze -q --no-sqlite -o "$tmp/a2" "$cap" >/dev/null 2>&1
if grep -q '"list":"bot-c2"' "$tmp/a2/alerts.jsonl"; then ok "default store from WARDEN_INTEL_DIR";
else bad "WARDEN_INTEL_DIR store not loaded"; fi
check "analyze --no-intel-store" 0 "$(WARDEN_INTEL_DIR=$store run analyze -q --no-sqlite -o "$tmp/a3" --no-intel-store "$cap")"
if ! grep -q intel "$tmp/a3/alerts.jsonl"; then ok "--no-intel-store skips the store"; else bad "store loaded despite --no-intel-store"; fi
check "analyze --store missing" 1 "$(run analyze -q -o "$tmp/a4" --store "$tmp/nowhere" "$cap")" "intel store $tmp/nowhere does not exist" "$tmp/err"

# A damaged metadata file: named with its line by list, skipped (with a warning) by analyze.
printf 'format=1\nname=broken\nsource=/x\nsource=/y\n' > "$store/broken.meta"
check "list names damaged metadata" 1 "$(run intel list --store "$store")" "^broken .*damaged: .*broken.meta line 4: key given twice" "$tmp/out"
check "analyze skips a damaged list" 0 "$(run analyze --no-progress --no-sqlite -o "$tmp/a5" --store "$store" "$cap")" \
  "warning: intel store: broken: .*skipped" "$tmp/err"
grep -q '"list":"bot-c2"' "$tmp/a5/alerts.jsonl" && ok "other lists still loaded" || bad "other lists not loaded"

check "remove" 0 "$(run intel remove feed broken --store "$store")" "removed feed" "$tmp/out"
check "remove again" 1 "$(run intel remove feed --store "$store")" "no list named 'feed'" "$tmp/err"
check "list after remove" 0 "$(run intel list --store "$store")" "^1 lists, 1 indicators in $store" "$tmp/out"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
