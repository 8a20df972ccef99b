#!/usr/bin/env bash
# Secure connectivity end to end, with the real parts a user runs: warden's CA and enrollment
# server, a device enrolling with a one-time token, warden relay in front of a real mosquitto
# broker, and openssl s_client / mosquitto_pub / mosquitto_sub as the devices and the attackers.
# Everything listens on 127.0.0.1 only.
#   usage: connect_test.sh WARDEN WARDEN-DEVICE
set -uo pipefail
warden=$1 device=$2
for tool in mosquitto mosquitto_pub mosquitto_sub openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh)"; exit 77; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
# expect NAME STATUS-WANTED STATUS-GOT [pattern file]
expect() {
  local name=$1 want=$2 got=$3
  if [[ "$want" == "nonzero" && "$got" == 0 ]] || [[ "$want" != "nonzero" && "$got" != "$want" ]]; then
    bad "$name: exit $got, expected $want"; [[ $# -ge 5 ]] && head -5 "$5"; return
  fi
  if [[ $# -ge 5 ]] && ! grep -qE -- "$4" "$5"; then
    bad "$name: '$4' not in $5:"; head -5 "$5"; return
  fi
  ok "$name"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT: until something listens (5 s)
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_for PATTERN FILE [TENTHS]: until the pattern shows up in the file.
wait_for() {
  for _ in $(seq "${3:-50}"); do grep -qE -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

ca=$tmp/ca
mq_port=$(free_port) relay_port=$(free_port) est_port=$(free_port)

# --- the CA ---------------------------------------------------------------------------------
expect "pki init" 0 "$("$warden" pki init --dir "$ca" --tenant acme >"$tmp/init.out" 2>&1; echo $?)" \
  "root.key" "$tmp/init.out"
modes=$(stat -c '%a %n' "$ca"/*.key | grep -vc '^600 ')
expect "CA keys are 0600 ($(ls "$ca"/*.key | wc -l) keys)" 0 "$modes"
expect "server cert" 0 "$("$warden" pki server-cert --dir "$ca" --name localhost --ip 127.0.0.1 \
  --out "$tmp/relay" >"$tmp/out" 2>&1; echo $?)"

# --- enrollment with a one-time token ---------------------------------------------------------
token=$("$warden" pki token --dir "$ca" --device acme:cam-1 --ttl 10m 2>"$tmp/token.err")
[[ ${#token} -ge 22 ]] && ok "token issued (${#token} chars)" || { bad "token: $(cat "$tmp/token.err")"; }
"$warden" pki serve --dir "$ca" --listen "127.0.0.1:$est_port" --cert "$tmp/relay.crt" \
  --key "$tmp/relay.key" >"$tmp/est.log" 2>&1 &
pids+=($!)
wait_port "$est_port" || bad "enrollment server did not start: $(tail -3 "$tmp/est.log")"
dev1=$tmp/dev1
expect "device enrolls with the token" 0 "$("$device" enroll --store "$dev1" --est "127.0.0.1:$est_port" \
  --server-ca "$ca/server-ca.crt" --device acme:cam-1 --token "$token" >"$tmp/out" 2>&1; echo $?)" \
  "enrolled acme:cam-1" "$tmp/out"
expect "device key is 0600" 0 "$([[ $(stat -c %a "$dev1/key.pem") == 600 ]]; echo $?)"
expect "issued chain verifies with openssl" 0 \
  "$(openssl verify -CAfile "$ca/chain.pem" "$dev1/cert.pem" >"$tmp/out" 2>&1; echo $?)" "OK" "$tmp/out"
expect "replayed token refused" 1 "$("$device" enroll --store "$tmp/dev1b" --est "127.0.0.1:$est_port" \
  --server-ca "$ca/server-ca.crt" --device acme:cam-1 --token "$token" >"$tmp/out" 2>&1; echo $?)" \
  "already used" "$tmp/out"
expect "wrong token refused" 1 "$("$device" enroll --store "$tmp/dev1c" --est "127.0.0.1:$est_port" \
  --server-ca "$ca/server-ca.crt" --device acme:cam-1 --token AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
  >"$tmp/out" 2>&1; echo $?)" "unknown" "$tmp/out"
expect "refusals are logged" 0 "$(wait_for '"reason":"[^"]*(already used|replay)' "$tmp/est.log"; echo $?)"
expect "renewal with the current certificate" 0 "$("$device" renew --store "$dev1" \
  --est "127.0.0.1:$est_port" --force >"$tmp/out" 2>&1; echo $?)" "renewed" "$tmp/out"
expect "renewed chain verifies" 0 "$(openssl verify -CAfile "$ca/chain.pem" "$dev1/cert.pem" >/dev/null 2>&1; echo $?)"

# --- the relay in front of a real broker -----------------------------------------------------
cat >"$tmp/mosquitto.conf" <<EOF
listener $mq_port 127.0.0.1
allow_anonymous true
persistence false
EOF
mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
pids+=($!)
wait_port "$mq_port" || bad "mosquitto did not start"
touch "$tmp/deny.list"
cat >"$tmp/relay.conf" <<EOF
[relay]
listen = 127.0.0.1:$relay_port
cert = $tmp/relay.crt
key = $tmp/relay.key
client-ca = $ca/chain.pem
deny-list = $tmp/deny.list
idle-timeout = 60
max-per-identity = 3
log = $tmp/relay.log

[upstream mqtt]
connect = 127.0.0.1:$mq_port
protocol = mqtt

[allow]
acme:* = mqtt topics=devices/{device}/#
EOF
"$warden" relay --config "$tmp/relay.conf" 2>"$tmp/relay.err" &
relay_pid=$!
pids+=($relay_pid)
wait_port "$relay_port" || bad "relay did not start: $(tail -3 "$tmp/relay.err")"
rs() { openssl s_client -connect "127.0.0.1:$relay_port" -CAfile "$ca/server-ca.crt" "$@"; }

# The device publishes through the pipe; a subscriber on the broker's side receives it.
mosquitto_sub -h 127.0.0.1 -p "$mq_port" -t 'devices/#' -C 1 -W 10 >"$tmp/broker_sub.out" 2>&1 &
sub_pid=$!
sleep 0.3
expect "device publishes through the relay" 0 "$("$device" publish --store "$dev1" \
  --relay "127.0.0.1:$relay_port" --topic devices/cam-1/telemetry --message '{"t":21.5}' >"$tmp/out" 2>&1; echo $?)"
wait "$sub_pid"
expect "broker got the message" 0 0 '\{"t":21.5\}' "$tmp/broker_sub.out"

# The device subscribes through the pipe; the application publishes on the broker.
"$device" subscribe --store "$dev1" --relay "127.0.0.1:$relay_port" --topic 'devices/cam-1/cmd' \
  --count 1 --timeout 10 >"$tmp/dev_sub.out" 2>"$tmp/dev_sub.err" &
dsub=$!
wait_for "subscribed" "$tmp/dev_sub.err" || bad "device did not subscribe: $(cat "$tmp/dev_sub.err")"
mosquitto_pub -h 127.0.0.1 -p "$mq_port" -t devices/cam-1/cmd -m reboot
wait "$dsub"
expect "device got the command" 0 0 "devices/cam-1/cmd reboot" "$tmp/dev_sub.out"

# mosquitto_pub as the device, over TLS 1.3 with its certificate.
expect "mosquitto_pub with the device certificate" 0 "$(mosquitto_pub -h 127.0.0.1 -p "$relay_port" \
  --cafile "$ca/server-ca.crt" --cert "$dev1/cert.pem" --key "$dev1/key.pem" --tls-version tlsv1.3 \
  -q 1 -t devices/cam-1/x -m hi >"$tmp/out" 2>&1; echo $?)"
expect "accepted event" 0 0 '"event":"accepted".*"device":"acme:cam-1"' "$tmp/relay.log"

# Topic policy: cam-1 may not publish under cam-2's topics.
expect "publish to another device's topic cut" 1 "$("$device" publish --store "$dev1" \
  --relay "127.0.0.1:$relay_port" --topic devices/cam-2/telemetry --message x >"$tmp/out" 2>&1; echo $?)"
expect "policy violation logged" 0 "$(wait_for '"event":"policy_violation".*devices/cam-2' "$tmp/relay.log"; echo $?)"

# --- certificates the relay must refuse ------------------------------------------------------
# A self-signed certificate naming the same device.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/self.key" \
  -out "$tmp/self.crt" -days 30 -subj "/CN=cam-1" -addext "subjectAltName=URI:urn:warden:acme:cam-1" 2>/dev/null
# A certificate from another CA (a real one, just not ours).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/other-ca.key" \
  -out "$tmp/other-ca.crt" -days 30 -subj "/CN=other CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/other.key" \
  -out "$tmp/other.csr" -subj "/CN=cam-1" -addext "subjectAltName=URI:urn:warden:acme:cam-1" 2>/dev/null
openssl x509 -req -in "$tmp/other.csr" -CA "$tmp/other-ca.crt" -CAkey "$tmp/other-ca.key" \
  -CAcreateserial -days 30 -copy_extensions copy -out "$tmp/other.crt" 2>/dev/null
# An expired certificate from our own issuing CA (openssl ca can backdate; warden pki cannot).
mkdir -p "$tmp/old"
: >"$tmp/old/index.txt"
echo 01 >"$tmp/old/serial"
cat >"$tmp/old/ca.cnf" <<EOF
[ca]
default_ca = old
[old]
database = $tmp/old/index.txt
new_certs_dir = $tmp/old
serial = $tmp/old/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/expired.key" \
  -out "$tmp/expired.csr" -subj "/CN=cam-1" -addext "subjectAltName=URI:urn:warden:acme:cam-1" 2>/dev/null
openssl ca -batch -config "$tmp/old/ca.cnf" -cert "$ca/issuing.crt" -keyfile "$ca/issuing.key" \
  -in "$tmp/expired.csr" -out "$tmp/expired.crt" -startdate 20200101000000Z -enddate 20200301000000Z \
  -notext >/dev/null 2>&1 || bad "could not make the expired certificate"
# A certificate of ours with a warden URN for a tenant the policy does not allow.
"$warden" pki device-cert --dir "$ca" --device globex:cam-9 --out "$tmp/globex" >/dev/null 2>&1 ||
  bad "pki device-cert failed"

refused() {  # refused NAME CERT KEY REASON-PATTERN: mosquitto_pub fails and the relay says why
  local name=$1 cert=$2 key=$3 reason=$4
  local before
  before=$(grep -c '"event":"refused"' "$tmp/relay.log")
  if mosquitto_pub -h 127.0.0.1 -p "$relay_port" --cafile "$ca/server-ca.crt" --cert "$cert" \
    --key "$key" -q 1 -t devices/cam-1/x -m hi >"$tmp/out" 2>&1; then
    bad "$name: mosquitto_pub succeeded"; return
  fi
  if ! wait_for '"event":"refused".*'"$reason" "$tmp/relay.log"; then
    bad "$name: no refused event matching '$reason':"; tail -3 "$tmp/relay.log"; return
  fi
  [[ $(grep -c '"event":"refused"' "$tmp/relay.log") -gt $before ]] || { bad "$name: not counted"; return; }
  ok "$name refused"
}
refused "self-signed certificate" "$tmp/self.crt" "$tmp/self.key" "self-signed|unknown ca|unable to get"
refused "other CA's certificate" "$tmp/other.crt" "$tmp/other.key" "unable to get local issuer|unknown ca"
refused "expired certificate" "$tmp/expired.crt" "$tmp/expired.key" "expired"
refused "tenant without an allow rule" "$tmp/globex.crt" "$tmp/globex.key" "no allow rule|not allowed|policy"

echo | rs -quiet -tls1_3 >"$tmp/out" 2>&1
expect "no client certificate refused" 0 0 "certificate required" "$tmp/out"
expect "no-certificate refusal logged" 0 "$(wait_for '"event":"refused".*did not return a certificate' "$tmp/relay.log"; echo $?)"
expect "TLS 1.2 refused" nonzero "$(echo | rs -tls1_2 -cert "$dev1/cert.pem" -key "$dev1/key.pem" \
  >"$tmp/out" 2>&1; echo $?)" "alert protocol version|no protocols available|wrong version|unsupported protocol" "$tmp/out"
expect "TLS 1.1 refused" nonzero "$(echo | rs -tls1_1 -cert "$dev1/cert.pem" -key "$dev1/key.pem" \
  >"$tmp/out" 2>&1; echo $?)"

# --- resumption -------------------------------------------------------------------------------
echo | rs -tls1_3 -cert "$dev1/cert.pem" -key "$dev1/key.pem" -sess_out "$tmp/sess" -ign_eof \
  >/dev/null 2>&1 <<<"" || true
expect "session resumption" 0 "$(echo | rs -tls1_3 -cert "$dev1/cert.pem" -key "$dev1/key.pem" \
  -sess_in "$tmp/sess" >"$tmp/out" 2>&1; grep -q '^Reused, TLSv1.3' "$tmp/out"; echo $?)"

# --- the example device's run loop: telemetry, and reconnection with backoff -------------------
mosquitto_sub -h 127.0.0.1 -p "$mq_port" -t devices/cam-1/telemetry -C 2 -W 15 >"$tmp/telemetry.out" 2>&1 &
tsub=$!
sleep 0.3
"$device" run --store "$dev1" --relay "127.0.0.1:$relay_port" --est "127.0.0.1:$est_port" \
  --interval 1 --client-id acme:cam-1/run 2>"$tmp/run.err" &
run_pid=$!
pids+=($run_pid)
wait "$tsub"
expect "run publishes telemetry" 0 0 '"seq":1' "$tmp/telemetry.out"
# The relay goes away and comes back: the device reconnects by itself.
kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for "disconnected" "$tmp/run.err" || bad "device did not notice the relay going away"
"$warden" relay --config "$tmp/relay.conf" 2>"$tmp/relay.err" &
relay_pid=$!
pids+=($relay_pid)
wait_port "$relay_port" || bad "relay did not restart: $(tail -3 "$tmp/relay.err")"
reconnected=1
for _ in $(seq 200); do
  [[ $(grep -c '^connected to' "$tmp/run.err") -ge 2 ]] && { reconnected=0; break; }
  sleep 0.1
done
expect "device reconnects after a relay restart" 0 "$reconnected"
grep -E 'retrying in' "$tmp/run.err" | head -3 | sed 's/^/     /'
kill -TERM "$run_pid"
wait "$run_pid" 2>/dev/null

# An Ed25519 device, and a server certificate presented as a device's.
"$warden" pki device-cert --dir "$ca" --device acme:cam-ed --key-type ed25519 --out "$tmp/ed" >/dev/null 2>&1 ||
  bad "pki device-cert ed25519 failed"
expect "Ed25519 device through the relay" 0 "$(mosquitto_pub -h 127.0.0.1 -p "$relay_port" \
  --cafile "$ca/server-ca.crt" --cert "$tmp/ed.crt" --key "$tmp/ed.key" -q 1 -t devices/cam-ed/t \
  -m hi >"$tmp/out" 2>&1; echo $?)"
refused "server certificate as a device's" "$tmp/relay.crt" "$tmp/relay.key" "unable to get local issuer|unsupported certificate purpose|unknown ca"
# s_client finishes its side of the handshake first; the relay's alert arrives on the next read.
rs -tls1_3 -cert "$tmp/self.crt" -key "$tmp/self.key" -ign_eof </dev/null >"$tmp/out" 2>&1
expect "openssl s_client with a self-signed certificate refused" 0 0 "alert unknown ca|alert bad certificate" "$tmp/out"

# --- per-identity limit -----------------------------------------------------------------------
lim_pids=()
for i in 1 2 3; do
  "$device" subscribe --store "$dev1" --relay "127.0.0.1:$relay_port" --topic "devices/cam-1/l$i" \
    --client-id "acme:cam-1/l$i" >/dev/null 2>"$tmp/lim$i.err" &
  lim_pids+=($!)
  wait_for subscribed "$tmp/lim$i.err" || bad "subscriber $i did not start: $(cat "$tmp/lim$i.err")"
done
expect "fourth connection of one identity refused" 1 "$("$device" publish --store "$dev1" \
  --relay "127.0.0.1:$relay_port" --topic devices/cam-1/x --message x >"$tmp/out" 2>&1; echo $?)"
expect "limit logged" 0 "$(wait_for '"event":"refused".*(limit|too many)' "$tmp/relay.log"; echo $?)"

# --- graceful reload keeps live sessions -------------------------------------------------------
kill -HUP "$relay_pid"
expect "reload logged" 0 "$(wait_for '"event":"reload"' "$tmp/relay.log"; echo $?)"
sleep 0.5
alive=0
for p in "${lim_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
expect "sessions survive a reload ($alive of 3)" 0 "$([[ $alive == 3 ]]; echo $?)"

# --- revocation cuts a live session within seconds ---------------------------------------------
start=$(date +%s.%N)
"$warden" relay revoke --deny-list "$tmp/deny.list" --device acme:cam-1 >"$tmp/out" 2>&1 ||
  bad "relay revoke: $(cat "$tmp/out")"
cut=0
for _ in $(seq 50); do
  alive=0
  for p in "${lim_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  [[ $alive == 0 ]] && { cut=1; break; }
  sleep 0.1
done
took=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
expect "revoked device cut off mid-session (${took}s)" 0 "$([[ $cut == 1 ]]; echo $?)"
expect "revocation logged" 0 0 '"event":"revoked".*acme:cam-1' "$tmp/relay.log"
refused "revoked device reconnecting" "$dev1/cert.pem" "$dev1/key.pem" "revoked|deny"

kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null
expect "counters on exit" 0 0 '"accepted"' "$tmp/relay.err"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
