#!/usr/bin/env bash
# `warden relay` against stunnel4 as TLS 1.3 mutual-TLS proxies, side by side in one run, on
# loopback (nothing leaves the machine). Issue 6's requirement: at least stunnel's handshake
# rate, and half its memory per connection or better.
#  1. A throwaway PKI made with the openssl CLI (P-256): an issuing CA, the proxies' server
#     certificate (IP SAN 127.0.0.1) and a device certificate (SAN URI urn:warden:bench:dev-1).
#  2. bench/tls_load's plain TCP echo backend on 127.0.0.1:ECHO_PORT; both proxies forward to it.
#  3. For each proxy (a fresh process per round; rounds alternate which goes first):
#       full handshakes/s      tls_load handshakes: CONCURRENCY parallel clients, each doing
#                              connect, TLS 1.3 mTLS handshake, one echo round trip, close
#       resumed handshakes/s   the same offering session tickets (and the resumption hit rate)
#       throughput MB/s        tls_load throughput: STREAMS streams echoed through the proxy
#       memory per connection  the proxy's RSS (VmRSS of it and any children) before and while
#                              IDLE mTLS connections are held open:
#                              (RSS with IDLE - RSS before) / IDLE, in KiB
#     stunnel4 (Debian 5.68) is built with the pthread model: one thread per connection (64 KiB
#     stacks by default, its `stack` option), so 10,000 idle connections are 10,000 threads; it
#     also caps clients at ~ RLIMIT_NOFILE/2, hence the raised `ulimit -n`.
#  4. A markdown table with both proxies and the ratios warden / stunnel in
#     bench/results/relay.md, the same figures as JSON on stdout. Progress on stderr.
# By default the proxy runs on CPU 0 and the load generator and echo backend on CPU 1, so both
# proxies get the same single core whatever their threading (--no-pin to let them float).
# If `warden relay` is not built (or has no `relay` command), stunnel is measured alone.
# Needs root (ulimit -n beyond the hard limit), openssl, stunnel4, python3, ss.
# Usage: bench/relay_bench.sh [options] [WARDEN_BINARY]
#   --seconds N       per rate measurement (default 5)
#   --idle N          idle connections for the memory figure (default 10000)
#   --runs N          rounds; medians are reported (default 1)
#   --concurrency N   parallel handshakes (default 64)
#   --streams N       throughput streams (default 4)
#   --stunnel-only    skip warden
#   --no-pin          no CPU pinning
#   --out FILE        the markdown report (default bench/results/relay.md)
#   WARDEN=path / WARDEN_BINARY   warden binary (default: the newest of build/release,
#                     build/h-bench-rel, build/dev src/app/warden)
#   TLS_LOAD=path     tls_load binary (default: the newest under build/*/bench/; built with the
#                     release preset when there is none)
#   ECHO_PORT, STUNNEL_PORT, WARDEN_PORT   loopback ports (19000, 18441, 18442)
#   RELAY_WORKERS=N   warden relay's `workers` (default 1; `auto` for one per CPU). Pinning puts
#                     every worker on CPU 0, so compare worker counts with --no-pin.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs=5 idle=10000 runs=1 conc=64 streams=4 run_warden=1 pin=1 warden=${WARDEN:-}
report=bench/results/relay.md
while (($#)); do
  case $1 in
    --seconds) secs=$2; shift ;;
    --idle) idle=$2; shift ;;
    --runs) runs=$2; shift ;;
    --concurrency) conc=$2; shift ;;
    --streams) streams=$2; shift ;;
    --stunnel-only) run_warden=0 ;;
    --no-pin) pin=0 ;;
    --out) report=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (--help)"; exit 2 ;;
    *) warden=$1 ;;
  esac
  shift
done
say() { echo "relay_bench: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (ulimit -n for 10,000 connections)"; exit 1; }
for t in openssl python3 ss; do command -v $t >/dev/null || { echo "missing tool: $t"; exit 1; }; done
stunnel=$(command -v stunnel4 || command -v stunnel || true)
[[ -n $stunnel ]] || { echo "missing stunnel4 (apt-get install stunnel4)"; exit 1; }
echo_port=${ECHO_PORT:-19000} st_port=${STUNNEL_PORT:-18441} wd_port=${WARDEN_PORT:-18442}
work=$root/build/bench/relay
rm -rf "$work"; mkdir -p "$work/pki" "$(dirname "$report")"

# Every proxy gets room for 2 descriptors per connection; stunnel sizes its client limit by it.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nofile=$(ulimit -n)
# stunnel allows RLIMIT_NOFILE * 125/256 clients, a proxy needs 2 descriptors per connection:
# where the hard limit cannot be raised (no CAP_SYS_RESOURCE, e.g. in a container) the idle
# count is lowered to what both proxies can hold, and the report says so.
idle_note=""
if [[ $nofile != unlimited ]] && ((idle > nofile * 125 / 256 - 50)); then
  capped=$(((nofile * 125 / 256 - 50) / 100 * 100))
  idle_note="RLIMIT_NOFILE is capped at $nofile here (the hard limit cannot be raised), so stunnel accepts at most $((nofile * 125 / 256)) clients: $capped idle connections instead of $idle"
  say "$idle_note"
  idle=$capped
fi
say "ulimit -n $nofile, $idle idle connections"

newest() { local best="" f; for f in "$@"; do [[ -x $f && ( -z $best || $f -nt $best ) ]] && best=$f; done; echo "$best"; }

# --- binaries ------------------------------------------------------------------------------
tls_load=${TLS_LOAD:-$(newest build/*/bench/tls_load)}
if [[ -z $tls_load ]]; then
  say "building tls_load (release preset)"
  cmake --preset release >/dev/null
  cmake --build --preset release --target tls_load >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; echo "tls_load build failed"; exit 1; }
  tls_load=build/release/bench/tls_load
fi
tls_load=$(realpath "$tls_load")
warden_note=""
if ((run_warden)); then
  [[ -n $warden ]] || warden=$(newest build/release/src/app/warden build/h-bench-rel/src/app/warden \
    build/dev/src/app/warden)
  if [[ -z $warden || ! -x $warden ]]; then
    warden_note="no warden binary found (build the warden target or pass its path)"
  elif ! "$warden" relay --help >/dev/null 2>&1; then
    warden_note="$warden has no 'relay' command yet"
  else
    warden=$(realpath "$warden")
  fi
  if [[ -n $warden_note ]]; then
    say "$warden_note: measuring stunnel alone"
    run_warden=0
  fi
else
  warden_note="skipped (--stunnel-only)"
fi
say "tls_load: $tls_load"
((run_warden)) && say "warden: $warden"

for p in "$echo_port" "$st_port" "$wd_port"; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use (set ECHO_PORT/STUNNEL_PORT/WARDEN_PORT)"; exit 1; fi
done

# --- PKI -----------------------------------------------------------------------------------
pki=$work/pki
(
  cd "$pki"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=warden bench issuing CA" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out issuing-ca.crt
  openssl ecparam -name prime256v1 -genkey -noout -out relay.key
  openssl req -new -key relay.key -subj "/CN=127.0.0.1" -out relay.csr
  printf '%s\n' "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >relay.ext
  openssl x509 -req -in relay.csr -CA issuing-ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -sha256 -extfile relay.ext -out relay.crt
  openssl ecparam -name prime256v1 -genkey -noout -out dev-1.key
  openssl req -new -key dev-1.key -subj "/CN=dev-1" -out dev-1.csr
  printf '%s\n' "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" "subjectAltName=URI:urn:warden:bench:dev-1" >dev-1.ext
  openssl x509 -req -in dev-1.csr -CA issuing-ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -sha256 -extfile dev-1.ext -out dev-1.crt
  openssl verify -CAfile issuing-ca.crt relay.crt dev-1.crt
) >"$work/pki.log" 2>&1 || { cat "$work/pki.log"; echo "PKI set-up failed"; exit 1; }
creds=(--ca "$pki/issuing-ca.crt" --cert "$pki/dev-1.crt" --key "$pki/dev-1.key")

# --- processes -----------------------------------------------------------------------------
proxy_cpu=() load_cpu=()
if ((pin)) && (($(nproc) >= 2)); then proxy_cpu=(taskset -c 0) load_cpu=(taskset -c 1); else pin=0; fi
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_port() {  # wait_port PORT PID LOG: the port is listening (10 s), or the process died
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; return 1; }
    ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  tail -20 "$3" >&2
  return 1
}

"${load_cpu[@]}" "$tls_load" echo --listen "127.0.0.1:$echo_port" 2>"$work/echo.log" &
echo_pid=$!
pids+=("$echo_pid")
wait_port "$echo_port" "$echo_pid" "$work/echo.log" || { echo "echo backend did not start"; exit 1; }

cat >"$work/stunnel.conf" <<EOF
; stunnel4 as the same mTLS proxy: TLS 1.3 only, a client certificate required and verified
; against the issuing CA, forwarding to the echo backend. Logging at warnings (debug = 4) so a
; refused client ("too many clients") shows; per-connection notices (5) are off, as warden's
; log = /dev/null. Session resumption: OpenSSL's defaults (stateless TLS 1.3 tickets).
foreground = yes
pid =
syslog = no
debug = 4
[relay]
accept = 127.0.0.1:$st_port
connect = 127.0.0.1:$echo_port
cert = $pki/relay.crt
key = $pki/relay.key
CAfile = $pki/issuing-ca.crt
verifyChain = yes
requireCert = yes
sslVersionMin = TLSv1.3
EOF
: >"$pki/deny.list"
cat >"$work/warden-relay.ini" <<EOF
[relay]
listen = 127.0.0.1:$wd_port
cert = $pki/relay.crt
key = $pki/relay.key
client-ca = $pki/issuing-ca.crt
deny-list = $pki/deny.list
idle-timeout = 600
max-per-identity = 20000
max-connections = 30000
workers = ${RELAY_WORKERS:-1}
log = /dev/null
[upstream echo]
connect = 127.0.0.1:$echo_port
protocol = raw
[allow]
bench:* = echo
EOF

proxy_pid=""
start_proxy() {  # start_proxy NAME: sets proxy_pid
  local log=$work/$1.log
  case $1 in
    stunnel) "${proxy_cpu[@]}" "$stunnel" "$work/stunnel.conf" >>"$log" 2>&1 & ;;
    warden) "${proxy_cpu[@]}" "$warden" relay --config "$work/warden-relay.ini" >>"$log" 2>&1 & ;;
  esac
  proxy_pid=$!
  pids+=("$proxy_pid")
  local port=$st_port
  [[ $1 == warden ]] && port=$wd_port
  wait_port "$port" "$proxy_pid" "$log" || { say "$1 did not start"; return 1; }
  if [[ $1 == warden ]]; then  # it says so when it is ready
    local i
    for ((i = 0; i < 100; i++)); do grep -q "listening on" "$log" && break; sleep 0.1; done
  fi
}
stop_proxy() {
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
}

# RSS in KiB of PID and its descendants (stunnel's FORK model would have children).
tree_pids() { local p; echo "$1"; for p in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$p"; done; }
status_sum() {  # status_sum PID FIELD
  local p sum=0 v
  for p in $(tree_pids "$1"); do
    v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# CPU seconds (user + system) used so far by PID and its descendants (a process's own line
# includes its threads, also those that have exited).
hz=$(getconf CLK_TCK)
cpu_s() {
  local p sum=0 t
  for p in $(tree_pids "$1"); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
    sum=$((sum + ${t:-0}))
  done
  echo "scale=3; $sum / $hz" | bc -l
}

load() { "${load_cpu[@]}" "$tls_load" "$@"; }
phase() {  # phase OUT ARGS...: one tls_load run; the proxy's CPU seconds go to OUT.cpu
  local out=$1 c0 c1 t0 t1
  shift
  c0=$(cpu_s "$proxy_pid") t0=$(date +%s.%N)
  load "$@" >"$out.json" 2>"$out.err" || true
  c1=$(cpu_s "$proxy_pid") t1=$(date +%s.%N)
  echo "$(echo "$c1 - $c0" | bc -l) $(echo "$t1 - $t0" | bc -l)" >"$out.cpu"
}

measure() {  # measure NAME ROUND: writes $work/NAME-ROUND.json
  local name=$1 r=$2 port=$st_port out=$work/$1-$2
  [[ $name == warden ]] && port=$wd_port
  local target=(--connect "127.0.0.1:$port" "${creds[@]}")
  start_proxy "$name" || { echo '{"failed":"did not start"}' >"$out.json"; return 0; }
  say "$name round $r: full handshakes ($secs s, $conc parallel)"
  phase "$out-full" handshakes "${target[@]}" --seconds "$secs" --concurrency "$conc"
  say "$name round $r: resumed handshakes"
  phase "$out-resumed" handshakes "${target[@]}" --seconds "$secs" --concurrency "$conc" --resume
  say "$name round $r: throughput ($streams streams)"
  phase "$out-throughput" throughput "${target[@]}" --seconds "$secs" --streams "$streams"
  # The memory figure on a fresh process (the rate phases' freed heap would hide allocations),
  # after a few handshakes so one-time initialisation is not counted per connection.
  stop_proxy
  start_proxy "$name" || { echo '{"failed":"did not restart"}' >"$out.json"; return 0; }
  load handshakes "${target[@]}" --seconds 0.5 --concurrency 4 >"$out-warmup.json" 2>&1 || true
  sleep 1
  local rss0 thr0 rss1=0 thr1=0 vsz1=0 up=0 i
  rss0=$(status_sum "$proxy_pid" VmRSS) thr0=$(status_sum "$proxy_pid" Threads)
  say "$name round $r: $idle idle connections (RSS before: $((rss0 / 1024)) MiB)"
  load idle "${target[@]}" --count "$idle" --hold 6 >"$out-idle.txt" 2>"$out-idle.err" &
  local idle_pid=$!
  for ((i = 0; i < 6000; i++)); do
    grep -q '^ready' "$out-idle.txt" 2>/dev/null && break
    kill -0 "$idle_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q '^ready' "$out-idle.txt"; then
    up=$(awk '/^ready/ {print $2}' "$out-idle.txt")
    sleep 2  # let the last connections settle
    rss1=$(status_sum "$proxy_pid" VmRSS) thr1=$(status_sum "$proxy_pid" Threads)
    vsz1=$(status_sum "$proxy_pid" VmSize)
  fi
  wait "$idle_pid" || true
  local alive=true
  kill -0 "$proxy_pid" 2>/dev/null || alive=false
  say "$name round $r: $up connections up, RSS $((rss1 / 1024)) MiB, $thr1 threads"
  python3 - "$out" "$rss0" "$rss1" "$thr0" "$thr1" "$vsz1" "$up" "$alive" >"$out.json" <<'PY'
import json, sys
out, rss0, rss1, thr0, thr1, vsz1, up, alive = sys.argv[1:]
def load(suffix):
    try:
        lines = [l for l in open(out + suffix) if l.startswith("{")]
        d = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None
    try:  # the proxy's CPU seconds during the whole tls_load run, and that run's wall time
        if d is not None and suffix.endswith(".json"):
            cpu, wall = open(out + suffix[:-5] + ".cpu").read().split()
            d["proxy_cpu_s"], d["phase_wall_s"] = float(cpu), float(wall)
    except (OSError, ValueError):
        pass
    return d
rss0, rss1, up = int(rss0), int(rss1), int(up)
print(json.dumps({
    "full": load("-full.json"), "resumed": load("-resumed.json"),
    "throughput": load("-throughput.json"), "idle": load("-idle.txt"),
    "rss_before_kib": rss0, "rss_idle_kib": rss1, "threads_before": int(thr0),
    "threads_idle": int(thr1), "vsz_idle_kib": int(vsz1), "idle_up": up,
    "kib_per_conn": (rss1 - rss0) / up if up else None, "alive_after": alive == "true"}))
PY
  stop_proxy
}

# How busy the machine is without us (other builds share it): all cores over one second.
busy_pct() {
  local a b
  read -ra a < <(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
  sleep 1
  read -ra b < <(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
  echo $(((b[0] - a[0]) * 100 / (b[0] - a[0] + b[1] - a[1] + 1)))
}
busy_before=$(busy_pct)
say "machine busy before the run: ${busy_before}% of $(nproc) cores"
names=(stunnel)
((run_warden)) && names+=(warden)
for ((r = 1; r <= runs; r++)); do
  order=("${names[@]}")
  ((r % 2 == 0 && ${#names[@]} == 2)) && order=(warden stunnel)
  for n in "${order[@]}"; do measure "$n" "$r"; done
done

# --- report --------------------------------------------------------------------------------
st_version=$("$stunnel" -version 2>&1 | awk '/^stunnel/ {print $2; exit}')
ssl_version=$(openssl version | awk '{print $2}')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")$(git diff --quiet HEAD -- src 2>/dev/null || echo "+dirty")
python3 - "$work" "$runs" "$secs" "$conc" "$streams" "$idle" "$pin" "$busy_before" "$st_version" \
  "$ssl_version" "$rev" "${warden:-}" "$warden_note" "$idle_note" "$report" "${names[@]}" <<'PY'
import json, os, statistics, sys
work, runs, secs, conc, streams, idle, pin, busy_before, st_ver, ssl_ver, rev, warden, note, idle_note, report = sys.argv[1:16]
names = sys.argv[16:]
runs = int(runs)
res = {n: [json.load(open(f"{work}/{n}-{r}.json")) for r in range(1, runs + 1)] for n in names}

def med(n, f):
    vals = [v for v in (f(x) for x in res[n]) if v is not None]
    if vals and isinstance(vals[0], str):
        return ", ".join(vals)
    return statistics.median(vals) if vals else None

def get(*path):
    def f(x):
        for p in path:
            if not isinstance(x, dict) or x.get(p) is None:
                return None
            x = x[p]
        return x
    return f

def per(phase, count, scale):  # the proxy's CPU seconds per unit of the phase, times scale
    def f(x):
        c, n = get(phase, "proxy_cpu_s")(x), get(phase, count)(x)
        return c / n * scale if c is not None and n else None
    return f

def cores(phase):  # "proxy / client" CPU use in cores during the phase (text, no median)
    def f(x):
        c, s, cl = get(phase, "proxy_cpu_s")(x), get(phase, "phase_wall_s")(x), get(phase, "client_cpu")(x)
        return f"{c / s:.2f} / {cl:.2f}" if None not in (c, s, cl) and s else None
    return f

rows = [  # label, key, getter, format, higher is better (None: text), target ratio
    ("full handshakes/s", "full_hs_per_s", get("full", "handshakes_per_s"), "{:.0f}", True, ">= 1"),
    ("resumed handshakes/s", "resumed_hs_per_s", get("resumed", "handshakes_per_s"), "{:.0f}", True, ""),
    ("resumption hit rate", "resumed_ratio", get("resumed", "resumed_ratio"), "{:.1%}", True, ""),
    ("full handshake + echo latency p50 (ms)", "full_p50_ms", get("full", "latency_ms_p50"), "{:.1f}", False, ""),
    ("full handshake + echo latency p99 (ms)", "full_p99_ms", get("full", "latency_ms_p99"), "{:.1f}", False, ""),
    ("handshake errors (full / resumed)", "hs_errors",
     lambda x: (get("full", "errors")(x) or 0) + (get("resumed", "errors")(x) or 0), "{:.0f}", False, ""),
    ("proxy CPU per full handshake (ms)", "cpu_ms_per_full", per("full", "handshakes", 1000), "{:.2f}", False, ""),
    ("proxy CPU per resumed handshake (ms)", "cpu_ms_per_resumed", per("resumed", "handshakes", 1000), "{:.2f}", False, ""),
    ("proxy / client cores busy, full handshakes", "cores_full", cores("full"), "{}", None, ""),
    ("proxy / client cores busy, resumed handshakes", "cores_resumed", cores("resumed"), "{}", None, ""),
    ("throughput MB/s (echoed, one direction)", "throughput_mb_per_s", get("throughput", "mb_per_s"), "{:.0f}", True, ""),
    ("MB echoed per proxy CPU-second", "mb_per_cpu_s",
     lambda x: (get("throughput", "bytes_all")(x) or 0) / 1e6 / get("throughput", "proxy_cpu_s")(x)
     if get("throughput", "proxy_cpu_s")(x) else None, "{:.0f}", True, ""),
    ("proxy / client cores busy, throughput", "cores_throughput", cores("throughput"), "{}", None, ""),
    ("idle connections established", "idle_up", get("idle_up"), "{:.0f}", True, ""),
    ("RSS before (MiB)", "rss_before_mib", lambda x: x.get("rss_before_kib", 0) / 1024 if "rss_before_kib" in x else None, "{:.1f}", False, ""),
    (f"RSS with the idle connections (MiB)", "rss_idle_mib", lambda x: x.get("rss_idle_kib", 0) / 1024 if "rss_idle_kib" in x else None, "{:.1f}", False, ""),
    ("**KiB per idle connection**", "kib_per_conn", get("kib_per_conn"), "{:.1f}", False, "<= 0.5"),
    ("threads with the idle connections", "threads_idle", get("threads_idle"), "{:.0f}", False, ""),
    ("virtual size with the idle connections (MiB)", "vsz_idle_mib", lambda x: x.get("vsz_idle_kib", 0) / 1024 if "vsz_idle_kib" in x else None, "{:.0f}", False, ""),
]
summary = {n: {key: med(n, f) for _, key, f, *_ in rows} for n in names}
ratios = {}
if "warden" in names:
    for _, key, *_ in rows:
        a, b = summary["warden"][key], summary["stunnel"][key]
        ok = all(isinstance(v, (int, float)) for v in (a, b))
        ratios[key] = a / b if ok and b else None

def fmt(v, f):
    return "-" if v is None else f.format(v)

L = []
P = L.append
stamp = os.popen("date -u +%FT%TZ").read().strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
P(f"# warden relay vs stunnel4: TLS 1.3 mTLS proxying on loopback ({stamp})")
P("")
P(f"Machine: {os.cpu_count()} cores ({cpu}), kernel {os.uname().release}, shared with other engineers' "
  f"builds ({busy_before}% of all cores busy in the second before the run). OpenSSL {ssl_ver}, stunnel {st_ver}, warden {rev}.")
P(f"Settings: {secs} s per rate figure, {conc} parallel handshakes, {streams} throughput streams, "
  f"{idle} idle connections, {runs} round(s) (median), warden relay workers = {os.environ.get('RELAY_WORKERS', '1')}. "
  + ("Proxy pinned to CPU 0, load generator and echo backend to CPU 1." if pin == "1" else "No CPU pinning."))
P("Certificates: P-256 ECDSA CA, server (IP SAN 127.0.0.1) and device (SAN URI urn:warden:bench:dev-1); "
  "client offers OpenSSL's default groups (X25519 first).")
P("")
head = "| | " + " | ".join("stunnel4" if n == "stunnel" else "warden relay" for n in names) + " |"
if ratios:
    head += " warden / stunnel | target |"
P(head)
P("|---" * (1 + len(names) + (2 if ratios else 0)) + "|")
for label, key, f, form, _, target in rows:
    line = f"| {label} | " + " | ".join(fmt(summary[n][key], form) for n in names) + " |"
    if ratios:
        line += f" {fmt(ratios.get(key), '{:.2f}x')} | {target} |"
    P(line)
P("")
if "warden" not in names:
    P(f"**warden relay not measured: {note}.** stunnel alone; rerun `bench/relay_bench.sh` once "
      "`warden relay` builds.")
    P("")
if runs > 1:
    P("Per round (full handshakes/s, resumed handshakes/s, MB/s, KiB per idle connection):")
    P("")
    for n in names:
        cells = []
        for x in res[n]:
            v = [get("full", "handshakes_per_s")(x), get("resumed", "handshakes_per_s")(x),
                 get("throughput", "mb_per_s")(x), get("kib_per_conn")(x)]
            cells.append(" / ".join("-" if a is None else f"{a:.0f}" for a in v))
        P(f"- {'stunnel4' if n == 'stunnel' else 'warden relay'}: " + "; ".join(cells))
    P("")
P("Notes:")
P("- Handshakes: each connection is TCP connect, TLS 1.3 handshake with the device certificate, one "
  "59-byte echo round trip through the proxy to the backend, close_notify, close "
  "(bench/tls_load.cc). Resumed: every connection offers a ticket received earlier (the freshest one).")
P("- Memory: a freshly started proxy, warmed up by 0.5 s of handshakes; its VmRSS (process and children) "
  "before and 2 s after all idle connections completed their handshake and an echo round trip; the "
  "difference over the connections. Kernel "
  "socket buffers are not in RSS and are the same for both.")
P("- stunnel 5.68 (Debian) uses its pthread model: one thread per connection with a 64 KiB stack "
  "(its default `stack`), so N idle connections are N threads; it caps clients at about "
  "RLIMIT_NOFILE/2 (the bench raises `ulimit -n`).")
if idle_note:
    P(f"- {idle_note}.")
P("- Proxy CPU: utime + stime of the proxy process (all its threads) during each phase, from "
  "/proc/PID/stat; less sensitive to the other load on a shared machine than the rates. "
  "\"Cores busy\": proxy / load generator CPU use in cores; a proxy below ~0.9 while pinned was "
  "held back by the client or by other jobs on its core.")
P("- Raw per-round JSON and logs: build/bench/relay/.")
text = "\n".join(L) + "\n"
open(report, "w").write(text)
sys.stderr.write(text)
print(json.dumps({"date": stamp, "settings": {"seconds": float(secs), "concurrency": int(conc),
    "streams": int(streams), "idle": int(idle), "runs": runs, "pinned": pin == "1"},
    "results": summary, "ratios_warden_over_stunnel": ratios or None,
    "warden_note": note or None, "idle_note": idle_note or None, "rounds": res}, indent=1))
PY
say "results: $report"
