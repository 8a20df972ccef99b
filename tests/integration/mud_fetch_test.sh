#!/usr/bin/env bash
# `warden mud fetch` against a real HTTPS server on 127.0.0.1 (python3 with ssl, a server
# certificate from the test CA in tests/data/mud/pki): a signed file acquired and verified,
# then refused when tampered with, signed by an untrusted CA, unsigned, served from another
# URL than its own, or written in the draft schema; the cache answering without the server.
# Skips (77) when python3 or openssl is missing.
set -uo pipefail
warden=$1 data=$2
pki=$data/pki
for tool in python3 openssl; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
tmp=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
check() {  # check NAME EXPECTED_STATUS ACTUAL_STATUS [grep-pattern file]
  local name=$1 want=$2 got=$3
  if [[ "$got" != "$want" ]]; then
    echo "FAIL $name: exit $got, expected $want"; cat "$tmp/out" "$tmp/err" | head -5
    fail=$((fail + 1)); return
  fi
  if [[ $# -ge 5 ]] && ! grep -qE -- "$4" "$5"; then
    echo "FAIL $name: '$4' not in $5:"; head -5 "$5"; fail=$((fail + 1)); return
  fi
  echo "ok   $name"; pass=$((pass + 1))
}
run() { "$warden" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
# Only 127.0.0.1 is ever contacted: never through a proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

www=$tmp/www
mkdir -p "$www"
# Port 0: the kernel picks a free one and the server writes it down.
python3 "$(dirname "$0")/https_serve.py" "$www" "$pki/server.pem" "$pki/server.key" "$tmp/port" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
if [[ ! -s "$tmp/port" ]]; then echo "FAIL the HTTPS server did not start:"; cat "$tmp/server.log"; exit 1; fi
port=$(cat "$tmp/port")
base=https://127.0.0.1:$port

# A MUD file naming itself by where it is served, and its signature (RFC 8520 §13.2).
mud_file() {  # mud_file NAME [signature-url]
  local sig=""
  [[ $# -ge 2 ]] && sig="\"mud-signature\": \"$2\","
  cat <<JSON
{"ietf-mud:mud": {"mud-version": 1, "mud-url": "$base/$1", $sig
  "last-update": "2024-05-01T10:00:00+00:00", "cache-validity": 48, "is-supported": true,
  "systeminfo": "Test bulb",
  "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "fr", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "c",
    "matches": {"ipv4": {"ietf-acldns:dst-dnsname": "cloud.example.com", "protocol": 6},
                "tcp": {"destination-port": {"operator": "eq", "port": 443}}},
    "actions": {"forwarding": "accept"}}]}},
  {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [{"name": "c",
    "matches": {"ipv4": {"ietf-acldns:src-dnsname": "cloud.example.com", "protocol": 6},
                "tcp": {"source-port": {"operator": "eq", "port": 443}}},
    "actions": {"forwarding": "accept"}}]}}]}}
JSON
}
sign() {  # sign FILE OUT [signer]
  openssl cms -sign -signer "$pki/${3:-signer}.pem" -inkey "$pki/${3:-signer}.key" -in "$1" \
    -binary -outform DER -out "$2"
}
tls=(--tls-ca "$pki/ca.pem")
trust=(--ca "$pki/ca.pem")

mud_file bulb.json "$base/bulb.p7s" >"$www/bulb.json"
sign "$www/bulb.json" "$www/bulb.p7s"

check "help" 0 "$(run mud --help)" "warden mud fetch URL" "$tmp/out"
check "no URL" 2 "$(run mud fetch --ca "$pki/ca.pem")" "exactly one URL" "$tmp/err"
check "bad option" 2 "$(run mud fetch --frob "$base/bulb.json")" "Try 'warden mud --help'" "$tmp/err"
check "signed file verified" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}")" \
  "valid, signature verified" "$tmp/out"
check "signer shown" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}")" \
  "signer: CN=Example Devices MUD signer,O=Example Devices" "$tmp/out"
check "summary shown" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}")" \
  "allow tcp/443 to dns:cloud.example.com" "$tmp/out"
check "json" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}" --json)" \
  '"ok":true,"signature":\{"status":"verified"' "$tmp/out"
mkdir -p "$tmp/cadir" && cp "$pki/ca.pem" "$tmp/cadir/" && openssl rehash "$tmp/cadir" 2>/dev/null
check "CA directory" 0 "$(run mud fetch "$base/bulb.json" --ca-dir "$tmp/cadir" "${tls[@]}")" \
  "signature verified" "$tmp/out"
check "server not trusted for TLS" 1 "$(run mud fetch "$base/bulb.json" "${trust[@]}")" \
  "could not fetch $base/bulb.json" "$tmp/err"
check "no anchors" 1 "$(run mud fetch "$base/bulb.json" "${tls[@]}")" \
  "signer certificate not trusted: .*no trust anchors given" "$tmp/err"
check "other CA" 1 "$(run mud fetch "$base/bulb.json" --ca "$pki/other-ca.pem" "${tls[@]}")" \
  "signer certificate not trusted: unable to get local issuer certificate" "$tmp/err"
check "missing CA file" 1 "$(run mud fetch "$base/bulb.json" --ca "$tmp/none.pem" "${tls[@]}")" \
  "cannot load CA file $tmp/none.pem" "$tmp/err"
check "http refused" 1 "$(run mud fetch "http://127.0.0.1:$port/bulb.json" "${trust[@]}")" \
  "only https" "$tmp/err"

# The cache answers without the server.
check "cache fill" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}" --cache "$tmp/cache")" \
  "signature verified" "$tmp/out"
mv "$www/bulb.json" "$tmp/bulb.json.away"
check "cache hit" 0 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}" --cache "$tmp/cache")" \
  "from the cache" "$tmp/out"
check "no cache: gone" 1 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}")" \
  "HTTP 404 from $base/bulb.json" "$tmp/err"

# A tampered copy under the genuine signature.
sed 's/"port": 443/"port": 8443/' "$tmp/bulb.json.away" >"$www/bulb.json"
check "tampered refused" 1 "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}")" \
  "$base/bulb.json: signature does not match the file" "$tmp/err"
check "tampered refused even unsigned-allowed" 1 \
  "$(run mud fetch "$base/bulb.json" "${trust[@]}" "${tls[@]}" --allow-unsigned --json)" \
  '"ok":false,"error":".*signature does not match the file' "$tmp/out"

# Signed by someone the gateway does not trust.
mud_file other.json "$base/other.p7s" >"$www/other.json"
sign "$www/other.json" "$www/other.p7s" other-signer
check "untrusted signer" 1 "$(run mud fetch "$base/other.json" "${trust[@]}" "${tls[@]}")" \
  "signer certificate not trusted" "$tmp/err"

# Unsigned: refused unless allowed.
mud_file plain.json >"$www/plain.json"
check "unsigned refused" 1 "$(run mud fetch "$base/plain.json" "${trust[@]}" "${tls[@]}")" \
  "publishes no signature \(mud-signature\) and unsigned MUD files are not allowed" "$tmp/err"
check "unsigned allowed" 0 "$(run mud fetch "$base/plain.json" "${trust[@]}" "${tls[@]}" --allow-unsigned)" \
  "UNSIGNED" "$tmp/out"

# Served from another URL than the one it names.
cp "$www/plain.json" "$www/copy.json"
check "url mismatch" 1 "$(run mud fetch "$base/copy.json" "${trust[@]}" "${tls[@]}" --allow-unsigned)" \
  "$base/copy.json names itself $base/plain.json \(mud-url\)" "$tmp/err"

# The pre-RFC 8520 draft schema.
cp "$data/osmud_lightbulb2000.json" "$www/draft.json"
check "draft schema" 1 "$(run mud fetch "$base/draft.json" "${trust[@]}" "${tls[@]}" --allow-unsigned)" \
  "not a valid MUD file: .*pre-RFC 8520 draft MUD schema" "$tmp/err"

# A local copy the operator configured: its signature still comes from its published URL.
cp "$tmp/bulb.json.away" "$www/bulb.json"
check "local copy" 0 "$(run mud fetch "$tmp/bulb.json.away" "${trust[@]}" "${tls[@]}")" \
  "local copy: its mud-url was not compared" "$tmp/out"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
