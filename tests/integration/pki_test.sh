#!/usr/bin/env bash
# `warden pki` end to end: a CA made with init, bootstrap tokens, enrollment through
# `warden pki serve` with curl (TLS 1.3, certificate pinned to the server CA), replayed and
# expired tokens refused, re-enrollment with the device certificate, revocation through the
# relay's deny-list (`warden relay revoke`) honoured by enrollment, every issued chain checked
# with `openssl verify`, key files 0600. Only 127.0.0.1 is contacted. Skips (77) without curl
# or openssl.
set -uo pipefail
warden=$1
for tool in curl openssl base64; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
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
mode() { stat -c %a "$1"; }
ca=$tmp/ca

# --- init and file modes
"$warden" pki init --dir "$ca" --tenant acme >"$tmp/init.out" 2>"$tmp/init.err"
expect "init exits 0" 0 $?
grep -q "offline" "$tmp/init.err" && ok "init says root.key goes offline" || bad "no offline warning"
expect "CA directory 0700" 700 "$(mode "$ca")"
for k in root.key issuing.key server-ca.key; do expect "$k is 0600" 600 "$(mode "$ca/$k")"; done
"$warden" pki init --dir "$ca" >/dev/null 2>&1
expect "second init refused" 1 $?
openssl verify -CAfile "$ca/root.crt" "$ca/issuing.crt" >/dev/null 2>&1
expect "issuing CA verifies under the root" 0 $?

"$warden" pki server-cert --dir "$ca" --name localhost --ip 127.0.0.1 --out "$tmp/srv" >/dev/null
expect "server-cert exits 0" 0 $?
expect "server key is 0600" 600 "$(mode "$tmp/srv.key")"
openssl verify -CAfile "$ca/server-ca.crt" -purpose sslserver "$tmp/srv.crt" >/dev/null 2>&1
expect "server certificate verifies under the server CA" 0 $?

# --- usage
"$warden" pki >/dev/null 2>&1
expect "pki without subcommand is usage" 2 $?
"$warden" pki device-cert --dir "$ca" --device acme:x --out "$tmp/x" --days 91 >/dev/null 2>&1
expect "--days 91 refused" 2 $?
"$warden" pki token --dir "$ca" --device nocolon >/dev/null 2>&1
expect "bad device id refused" 2 $?
"$warden" pki --help | grep -q "simpleenroll" && ok "help describes enrollment" || bad "help"

# --- tokens
tok1=$("$warden" pki token --dir "$ca" --device acme:cam1 2>/dev/null)
expect "token is 43 base64url characters" 43 "$(printf %s "$tok1" | tr -cd 'A-Za-z0-9_-' | wc -c)"
tok2=$("$warden" pki token --dir "$ca" --device acme:cam2 --ttl 1s 2>/dev/null)
tok3=$("$warden" pki token --dir "$ca" --device acme:cam3 --serial SN-3 2>/dev/null)
grep -rqF -- "$tok1" "$ca" && bad "token stored in clear" || ok "token not stored in clear"

# --- the enrollment server on a free port, with the relay's (so far empty) deny-list
deny=$tmp/deny.list
"$warden" pki serve --dir "$ca" --listen 127.0.0.1:0 --cert "$tmp/srv.crt" --key "$tmp/srv.key" \
  --deny-list "$tmp/missing.list" >/dev/null 2>"$tmp/nodeny.err"
expect "serve with a missing deny-list refuses to start" 1 $?
: >"$deny"
"$warden" pki serve --dir "$ca" --listen 127.0.0.1:0 --cert "$tmp/srv.crt" --key "$tmp/srv.key" \
  --deny-list "$deny" 2>"$tmp/serve.log" &
server=$!
port=""
for _ in $(seq 50); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log")
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "FAIL server did not start"; cat "$tmp/serve.log"; exit 1; }
url=https://127.0.0.1:$port/.well-known/est
est() {  # est OP OUT [curl args...]: prints the HTTP status
  local op=$1 out=$2; shift 2
  curl -sS --tlsv1.3 --cacert "$ca/server-ca.crt" -o "$out" -w '%{http_code}' "$@" "$url/$op"
}
csr() {  # csr NAME DEVICE: key + base64 DER CSR
  openssl genpkey -algorithm ed25519 -out "$tmp/$1.key" 2>/dev/null
  openssl req -new -key "$tmp/$1.key" -subj "/O=acme/CN=$1" \
    -addext "subjectAltName=URI:urn:warden:$2" -outform DER -out "$tmp/$1.der"
  base64 -w0 "$tmp/$1.der" >"$tmp/$1.b64"
}
p7_to_pem() { base64 -d "$1" | openssl pkcs7 -inform DER -print_certs -out "$2"; }

expect "cacerts 200" 200 "$(est cacerts "$tmp/cacerts.b64")"
p7_to_pem "$tmp/cacerts.b64" "$tmp/cacerts.pem"
expect "cacerts holds the issuing and server CA" 2 "$(grep -c 'BEGIN CERTIFICATE' "$tmp/cacerts.pem")"

csr cam1 acme:cam1
auth=(-H 'Content-Type: application/pkcs10')
expect "token enrollment 200" 200 \
  "$(est simpleenroll "$tmp/cam1.p7" "${auth[@]}" -H "Authorization: Bearer $tok1" \
     --data-binary @"$tmp/cam1.b64")"
p7_to_pem "$tmp/cam1.p7" "$tmp/cam1.crt"
openssl verify -CAfile "$ca/chain.pem" -purpose sslclient "$tmp/cam1.crt" >/dev/null 2>&1
expect "enrolled certificate verifies (openssl verify -CAfile chain.pem)" 0 $?
openssl x509 -in "$tmp/cam1.crt" -noout -ext subjectAltName | grep -q "URI:urn:warden:acme:cam1" &&
  ok "certificate names urn:warden:acme:cam1" || bad "SAN"
expect "replayed token 403" 403 \
  "$(est simpleenroll "$tmp/replay.txt" "${auth[@]}" -H "Authorization: Bearer $tok1" \
     --data-binary @"$tmp/cam1.b64")"
grep -q "replay" "$tmp/replay.txt" && ok "replay reason given" || bad "replay reason"

csr cam2 acme:cam2
sleep 2
expect "expired token 403" 403 \
  "$(est simpleenroll "$tmp/expired.txt" "${auth[@]}" -H "Authorization: Bearer $tok2" \
     --data-binary @"$tmp/cam2.b64")"
grep -q "expired" "$tmp/expired.txt" && ok "expiry reason given" || bad "expiry reason"

csr cam3 acme:cam3
expect "serial-bound token without X-Warden-Serial 403" 403 \
  "$(est simpleenroll "$tmp/noserial.txt" "${auth[@]}" -H "Authorization: Bearer $tok3" \
     --data-binary @"$tmp/cam3.b64")"
expect "token for another device 403" 403 \
  "$(est simpleenroll "$tmp/other.txt" "${auth[@]}" -H "Authorization: Bearer $tok3" \
     -H 'X-Warden-Serial: SN-3' --data-binary @"$tmp/cam1.b64")"
expect "serial-bound token with X-Warden-Serial 200" 200 \
  "$(est simpleenroll "$tmp/cam3.p7" "${auth[@]}" -H "Authorization: Bearer $tok3" \
     -H 'X-Warden-Serial: SN-3' --data-binary @"$tmp/cam3.b64")"
expect "no credentials 401" 401 \
  "$(est simpleenroll "$tmp/noauth.txt" "${auth[@]}" --data-binary @"$tmp/cam2.b64")"
expect "unknown token 401" 401 \
  "$(est simpleenroll "$tmp/unknown.txt" "${auth[@]}" -H "Authorization: Bearer nope" \
     --data-binary @"$tmp/cam2.b64")"
expect "wrong content type 415" 415 \
  "$(est simpleenroll "$tmp/ct.txt" -H "Authorization: Bearer nope" --data-binary @"$tmp/cam2.b64")"

# --- re-enrollment with the device certificate as the TLS client certificate
csr cam1new acme:cam1
expect "re-enrollment 200" 200 \
  "$(est simplereenroll "$tmp/cam1new.p7" "${auth[@]}" --cert "$tmp/cam1.crt" \
     --key "$tmp/cam1.key" --data-binary @"$tmp/cam1new.b64")"
p7_to_pem "$tmp/cam1new.p7" "$tmp/cam1new.crt"
openssl verify -CAfile "$ca/chain.pem" -purpose sslclient "$tmp/cam1new.crt" >/dev/null 2>&1
expect "re-enrolled certificate verifies" 0 $?
expect "re-enrollment for another device 403" 403 \
  "$(est simplereenroll "$tmp/re-other.txt" "${auth[@]}" --cert "$tmp/cam1.crt" \
     --key "$tmp/cam1.key" --data-binary @"$tmp/cam2.b64")"
expect "re-enrollment without a certificate 401" 401 \
  "$(est simplereenroll "$tmp/re-none.txt" "${auth[@]}" --data-binary @"$tmp/cam2.b64")"

# --- revocation: the relay's deny-list stops issuance too
"$warden" relay revoke --deny-list "$deny" --device acme:cam1 >/dev/null
expect "relay revoke exits 0" 0 $?
csr cam1next acme:cam1
expect "re-enrollment of a revoked device 403" 403 \
  "$(est simplereenroll "$tmp/revoked.txt" "${auth[@]}" --cert "$tmp/cam1new.crt" \
     --key "$tmp/cam1new.key" --data-binary @"$tmp/cam1next.b64")"
grep -q "revoked (device)" "$tmp/revoked.txt" && ok "revocation reason given" ||
  bad "revocation reason: $(cat "$tmp/revoked.txt")"
grep -q '"event":"est.reenroll","result":"refused","device":"acme:cam1","reason":"revoked (device)"' \
  "$tmp/serve.log" && ok "revocation refusal logged as JSON" || bad "revocation log"
tok4=$("$warden" pki token --dir "$ca" --device acme:cam4 2>/dev/null)
csr cam4 acme:cam4
"$warden" relay revoke --deny-list "$deny" --device 'acme:*' >/dev/null
expect "token enrollment in a revoked tenant 403" 403 \
  "$(est simpleenroll "$tmp/revoked4.txt" "${auth[@]}" -H "Authorization: Bearer $tok4" \
     --data-binary @"$tmp/cam4.b64")"
grep -q "revoked (tenant)" "$tmp/revoked4.txt" && ok "tenant revocation reason given" ||
  bad "tenant revocation reason: $(cat "$tmp/revoked4.txt")"
cp "$deny" "$tmp/deny.good"
echo "spki not-a-hash" >>"$deny"
expect "damaged deny-list suspends enrollment (503)" 503 \
  "$(est simplereenroll "$tmp/damaged.txt" "${auth[@]}" --cert "$tmp/cam1new.crt" \
     --key "$tmp/cam1new.key" --data-binary @"$tmp/cam1next.b64")"
grep -q '"event":"est.deny_list","result":"failed"' "$tmp/serve.log" &&
  ok "damaged deny-list logged" || bad "damaged deny-list log"
mv "$tmp/deny.good" "$deny"

# --- TLS 1.2 is not spoken
curl -sS --tls-max 1.2 --cacert "$ca/server-ca.crt" -o /dev/null "$url/cacerts" 2>/dev/null
[[ $? -ne 0 ]] && ok "TLS 1.2 refused" || bad "TLS 1.2 accepted"

kill -TERM "$server"
wait "$server"
expect "serve exits 0 on SIGTERM" 0 $?
server=""
grep -q '"enrolled":2,"reenrolled":1' "$tmp/serve.log" && ok "counters printed on exit" ||
  { bad "counters"; tail -2 "$tmp/serve.log"; }
grep -q '"event":"est.enroll","result":"refused","device":"acme:cam1","reason":"token already used (replay)"' \
  "$tmp/serve.log" && ok "refusal logged as JSON" || bad "refusal log"

# --- offline issuance
"$warden" pki device-cert --dir "$ca" --device acme:bench-1 --out "$tmp/bench1" --days 30 >/dev/null
expect "device-cert exits 0" 0 $?
expect "device key is 0600" 600 "$(mode "$tmp/bench1.key")"
openssl verify -CAfile "$ca/chain.pem" -purpose sslclient "$tmp/bench1.crt" >/dev/null 2>&1
expect "device-cert verifies" 0 $?
"$warden" pki sign-csr --dir "$ca" --csr "$tmp/cam2.der" >"$tmp/cam2.crt" 2>/dev/null
expect "sign-csr exits 0" 0 $?
openssl verify -CAfile "$ca/chain.pem" "$tmp/cam2.crt" >/dev/null 2>&1
expect "sign-csr certificate verifies" 0 $?
openssl req -new -key "$tmp/cam2.key" -subj "/CN=ca" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "subjectAltName=URI:urn:warden:acme:cam2" -out "$tmp/ca.csr"
"$warden" pki sign-csr --dir "$ca" --csr "$tmp/ca.csr" >/dev/null 2>"$tmp/ca.err"
expect "CSR asking for CA:TRUE refused" 1 $?
"$warden" pki list --dir "$ca" --json >"$tmp/list.jsonl"
expect "list shows every issued certificate (server, 3 enrolled, 2 offline)" 6 "$(wc -l <"$tmp/list.jsonl")"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
