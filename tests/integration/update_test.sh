#!/usr/bin/env bash
# `warden update` end to end over real HTTP: a repository made with init (hybrid Ed25519 +
# XMSS keys), targets added and published, served by lighttpd (python3's http.server when
# lighttpd is missing) on 127.0.0.1; a device verifies and installs into A/B slots, confirms,
# rolls back an update that never confirmed; tampered, rolled-back and wrong-hardware updates
# are refused with their reasons; a root rotation is followed. Only 127.0.0.1 is contacted.
set -uo pipefail
warden=$1
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
tmp=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
expect() {  # expect NAME WANT GOT
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: got '$3', expected '$2'"; fi
}
contains() {  # contains NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in $(head -c 400 "$2")"; fi
}
repo=$tmp/repo
state=$tmp/device/state
slots=$tmp/device/slots

# --- publisher
"$warden" update init --dir "$repo" >"$tmp/init.out" 2>"$tmp/init.err"
expect "init exits 0" 0 $?
expect "keys directory is 0700" 700 "$(stat -c %a "$repo/keys")"
expect "root Ed25519 key is 0600" 600 "$(stat -c %a "$repo/keys/root-1.ed25519.pem")"
expect "root XMSS key is 0600" 600 "$(stat -c %a "$repo/keys/root-1.xmss")"
"$warden" update init --dir "$repo" >/dev/null 2>&1
expect "second init refused" 1 $?
head -c 300000 /dev/urandom >"$tmp/camera-1.0.bin"
"$warden" update add --dir "$repo" "$tmp/camera-1.0.bin" --name fw/camera.bin \
  --hardware cam-v2 --version 1.0 >"$tmp/add.out" 2>"$tmp/add.err"
expect "add exits 0" 0 $?
contains "add shows the XMSS budget" "$tmp/add.err" "XMSS signatures left on this key"
"$warden" update status --dir "$repo" --json >"$tmp/status.json"
expect "status exits 0" 0 $?
python3 - "$tmp/status.json" <<'EOF' && ok "status: targets v2, 1 target, budgets" || bad "status json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["targets"]["version"] == 2 and s["targets_count"] == 1, s
assert any("targets-1" in b for b in s["xmss_budgets"]), s
EOF

# --- a real web server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if command -v lighttpd >/dev/null || [[ -x /usr/sbin/lighttpd ]]; then
  cat >"$tmp/lighttpd.conf" <<EOF
server.document-root = "$repo/repository"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$tmp/lighttpd.err"
# Files are swapped under it to play a stale mirror: no cached stat or file handles.
server.stat-cache-engine = "disable"
mimetype.assign = (".json" => "application/json", "" => "application/octet-stream")
EOF
  PATH=$PATH:/usr/sbin lighttpd -D -f "$tmp/lighttpd.conf" &
  server=$!
  echo "serving with lighttpd on 127.0.0.1:$port"
else
  (cd "$repo/repository" && exec python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
  server=$!
  echo "serving with python3 http.server on 127.0.0.1:$port"
fi
url=http://127.0.0.1:$port
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('$url/metadata/root.json')" 2>/dev/null && break
  sleep 0.1
done

# --- device: first install
verify() { "$warden" update verify --repo "$url" --state "$state" --hardware cam-v2 "$@"; }
verify --root "$repo/repository/metadata/1.root.json" >"$tmp/list.out" 2>"$tmp/list.err"
expect "first verify (list) exits 0" 0 $?
contains "the target is listed" "$tmp/list.out" "fw/camera.bin"
verify --target fw/camera.bin --install "$slots" >"$tmp/i1.out" 2>"$tmp/i1.err"
expect "install exits 0" 0 $?
contains "installed into slot a" "$tmp/i1.out" "slot a"
cmp -s "$slots/current/payload" "$tmp/camera-1.0.bin" && ok "slot a holds the published bytes" || bad "payload differs"
"$warden" update confirm --install "$slots" >/dev/null
expect "confirm exits 0" 0 $?

# --- second version, never confirmed: rolled back at the second start
head -c 310000 /dev/urandom >"$tmp/camera-2.0.bin"
"$warden" update add --dir "$repo" "$tmp/camera-2.0.bin" --name fw/camera.bin \
  --hardware cam-v2 --version 2.0 >/dev/null 2>&1
verify --target fw/camera.bin --install "$slots" >"$tmp/i2.out" 2>&1
expect "second install exits 0" 0 $?
contains "installed into slot b" "$tmp/i2.out" "slot b"
cmp -s "$slots/current/payload" "$tmp/camera-2.0.bin" && ok "slot b holds version 2" || bad "v2 payload"
"$warden" update boot --install "$slots" >"$tmp/boot1.out"
contains "first start is on probation" "$tmp/boot1.out" "pending confirmation"
"$warden" update boot --install "$slots" >"$tmp/boot2.out"
contains "second unconfirmed start rolls back" "$tmp/boot2.out" "rolled back"
cmp -s "$slots/current/payload" "$tmp/camera-1.0.bin" && ok "back on version 1" || bad "rollback payload"

# --- attacks over HTTP
cp -a "$repo/repository" "$tmp/stale"
sha=$(sha256sum "$tmp/camera-2.0.bin" | cut -d' ' -f1)
cp "$repo/repository/targets/fw/$sha.camera.bin" "$tmp/genuine.bin"
head -c 310000 /dev/urandom >"$repo/repository/targets/fw/$sha.camera.bin"
verify --target fw/camera.bin --out "$tmp/evil.bin" >/dev/null 2>"$tmp/evil.err"
expect "tampered target refused" 1 $?
contains "tampered target: mismatch named" "$tmp/evil.err" "refused (mismatch)"
[[ ! -e "$tmp/evil.bin" ]] && ok "nothing kept of the tampered target" || bad "evil.bin exists"
cp "$tmp/genuine.bin" "$repo/repository/targets/fw/$sha.camera.bin"

"$warden" update verify --repo "$url" --state "$tmp/plug" --root "$repo/repository/metadata/1.root.json" \
  --hardware plug-v1 --target fw/camera.bin --out "$tmp/plug.bin" >/dev/null 2>"$tmp/hw.err"
expect "wrong hardware refused" 1 $?
contains "wrong hardware named" "$tmp/hw.err" "built for cam-v2; this device is plug-v1"

"$warden" update add --dir "$repo" "$tmp/camera-1.0.bin" --name fw/other.bin >/dev/null 2>&1
verify >/dev/null 2>&1
expect "device sees the newest metadata" 0 $?
rm -rf "$repo/repository.new" && mv "$repo/repository" "$repo/repository.new"
cp -a "$tmp/stale" "$repo/repository"
verify --json >"$tmp/rollback.json" 2>"$tmp/rollback.err"
expect "stale mirror refused" 1 $?
contains "stale mirror: rollback named (JSON)" "$tmp/rollback.json" '"reason":"rollback"'
rm -rf "$repo/repository" && mv "$repo/repository.new" "$repo/repository"

# --- a delegated role: its own hybrid key, bounded by its paths
"$warden" update delegate --dir "$repo" --role apps --path 'apps/*' >"$tmp/deleg.out" 2>&1
expect "delegate exits 0" 0 $?
echo "weather app" >"$tmp/weather.bin"
"$warden" update add --dir "$repo" "$tmp/weather.bin" --name apps/weather.bin --role apps >/dev/null 2>&1
expect "add into the delegated role exits 0" 0 $?
"$warden" update add --dir "$repo" "$tmp/weather.bin" --name fw/evil.bin --role apps >/dev/null 2>"$tmp/outside.err"
expect "a delegated role cannot sign outside its paths" 1 $?
contains "outside its paths: said" "$tmp/outside.err" "outside the paths delegated to apps"
verify --target apps/weather.bin --out "$tmp/weather.out" >/dev/null 2>&1
expect "device finds the delegated target" 0 $?
cmp -s "$tmp/weather.out" "$tmp/weather.bin" && ok "delegated target verified byte for byte" || bad "weather"

# --- root rotation followed by the device
"$warden" update rotate --dir "$repo" --role root >"$tmp/rot.out" 2>&1
expect "rotate exits 0" 0 $?
[[ -e "$repo/keys/root-1.xmss.retired" ]] && ok "old root key retired" || bad "no retired key"
verify --json >"$tmp/after.json" 2>/dev/null
expect "verify after rotation exits 0" 0 $?
contains "device now trusts root v2" "$tmp/after.json" '"root_version":2'

# --- usage
"$warden" update >/dev/null 2>&1
expect "update without subcommand is usage" 2 $?
"$warden" update verify --repo "$url" >/dev/null 2>&1
expect "verify without --state is usage" 2 $?
"$warden" update --help | grep -q "Ed25519 and XMSS" && ok "--help explains the hybrid keys" || bad "help"

echo "update_test: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
