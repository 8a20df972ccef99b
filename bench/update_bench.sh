#!/usr/bin/env bash
# Signed updates (issue 7): what a typical update costs the device and the publisher.
#  1. bench/update_bench publish: a repository with TARGETS small targets (1-4 KiB, random) and
#     one BIG_MB MB target, all added in one add_targets call (one targets signature); then 5
#     timestamp refreshes and 3 add_targets of one file, every signature timed (XMSS-bearing:
#     root, targets, including the durable XMSS state write; Ed25519-only: snapshot,
#     timestamp); the metadata sizes with and without their XMSS parts.
#  2. bench/update_bench xmss: key generation and signing time per XMSS height (XMSS_HEIGHTS).
#  3. bench/update_bench verify, each run its own process on a fresh state directory holding
#     only 1.root.json (cold: the whole metadata and the big target), RUNS times from the
#     directory transport and RUNS times over HTTP (python3 -m http.server on 127.0.0.1, a free
#     port; nothing leaves the machine); then RUNS warm refreshes (state kept, nothing new).
#     Peak memory: getrusage ru_maxrss, cross-checked with /usr/bin/time -v when installed
#     (scripts/install-deps.sh --bench).
#  4. The floor: `sha256sum f && sha512sum f` of the same big target, timed RUNS times in the
#     same run (hashing the target is unavoidable; the client checks both hashes).
#     download+verify time / floor, and peak RSS / target size.
#  5. The peer (PEER=1, the default): tuf-js, the reference TUF client npm and sigstore use,
#     pinned in bench/tuf_peer/package.json + package-lock.json and installed with `npm ci`
#     into bench/tuf_peer/node_modules. bench/tuf_peer/make_repo.py (python3-securesystemslib
#     canonical JSON, python3-cryptography Ed25519) builds a standard TUF 1.0 repository with
#     the same targets: TARGETS small ones (1-4 KiB, random) and one of the same byte size as
#     warden's big target, length + sha256 + sha512 each; it is served the same way
#     (python3 -m http.server on 127.0.0.1, another free port). PEER_RUNS (default 5) cold
#     tuf-js updates (bench/tuf_peer/verify.mjs: refresh, getTargetInfo, downloadTarget), each
#     its own node process on a fresh metadata directory holding only the trusted root, peak RSS
#     from ru_maxrss and /usr/bin/time -v. Run r (r <= RUNS) right after warden's cold HTTP run
#     of round r, so both see the same background load; any further ones after the rounds.
#     Reported: medians and the ratios warden (cold HTTP) / tuf-js. PEER=0 skips it.
#  6. A markdown table in bench/results/update.md, the figures as JSON on stdout. Progress on
#     stderr.
# Usage: bench/update_bench.sh [--out FILE] [--keep]
#   BUILD_DIR=dir     build directory (default build/release); configured with the release
#                     preset (-B BUILD_DIR) when it has no CMakeCache.txt; update_bench built
#                     there with -j${JOBS:-1}
#   UPDATE_BENCH=path use this update_bench binary, build nothing
#   TARGETS=1000 BIG_MB=50 XMSS_HEIGHT=10 RUNS=5 XMSS_HEIGHTS="10" XMSS_SIGNS=3
#   PEER=1 PEER_RUNS=5  the tuf-js peer (tuf-js 2.2.1, pinned because it runs on Debian 12's node 18; npm, python3-securesystemslib,
#                     python3-cryptography: scripts/install-deps.sh --bench); PEER=0 skips it
#   --keep            keep the work directory (printed) instead of deleting it
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
report=bench/results/update.md keep=0
while (($#)); do
  case $1 in
    --out) report=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (--help)"; exit 2 ;;
  esac
  shift
done
say() { echo "update_bench: $*" >&2; }
for t in python3 sha256sum sha512sum openssl cmake; do command -v $t >/dev/null || { echo "missing tool: $t"; exit 1; }; done
targets=${TARGETS:-1000} big_mb=${BIG_MB:-50} height=${XMSS_HEIGHT:-10} runs=${RUNS:-5}
heights=${XMSS_HEIGHTS:-10} signs=${XMSS_SIGNS:-3}
peer=${PEER:-1} peer_runs=${PEER_RUNS:-5}
peer_dir=$root/bench/tuf_peer peer_py=""
if [[ $peer != 0 ]]; then
  for t in node npm; do command -v $t >/dev/null || { echo "missing tool: $t (PEER=0 skips the tuf-js peer)"; exit 1; }; done
  # make_repo.py needs securesystemslib; Debian's python3-securesystemslib is only seen by
  # Debian's interpreter when python3 on PATH is another one (pyenv, venv).
  for p in python3 /usr/bin/python3; do
    "$p" -c 'import securesystemslib, cryptography' 2>/dev/null && { peer_py=$p; break; }
  done
  [[ -n $peer_py ]] || { echo "no python3 with securesystemslib + cryptography (apt-get install python3-securesystemslib python3-cryptography; PEER=0 skips the peer)"; exit 1; }
fi
build=${BUILD_DIR:-build/release}
mkdir -p "$(dirname "$report")"

# --- binary ----------------------------------------------------------------------------------
bin=${UPDATE_BENCH:-}
if [[ -z $bin ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    say "configuring $build (release preset)"
    cmake --preset release -B "$build" >/dev/null
  fi
  say "building update_bench in $build (-j${JOBS:-1})"
  log=$(mktemp)
  cmake --build "$build" --target update_bench -j"${JOBS:-1}" >"$log" 2>&1 ||
    { tail -30 "$log"; rm -f "$log"; echo "update_bench build failed"; exit 1; }
  rm -f "$log"
  bin=$build/bench/update_bench
fi
bin=$(realpath "$bin")
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$(dirname "$bin")")/CMakeCache.txt" 2>/dev/null || true)
say "binary: $bin (${build_type:-unknown build type})"

work=$(mktemp -d "${TMPDIR:-/tmp}/update-bench.XXXXXX")
http_pid="" peer_http_pid=""
cleanup() {
  [[ -n $http_pid ]] && { kill "$http_pid" 2>/dev/null || true; wait "$http_pid" 2>/dev/null || true; }
  [[ -n $peer_http_pid ]] && { kill "$peer_http_pid" 2>/dev/null || true; wait "$peer_http_pid" 2>/dev/null || true; }
  if ((keep)); then say "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
busy_before=$(python3 - <<'PY'
import time
def snap():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]
t0, i0 = snap(); time.sleep(1); t1, i1 = snap()
print(round(100 * (1 - (i1 - i0) / max(1, t1 - t0))))
PY
)

# --- publisher -------------------------------------------------------------------------------
repo=$work/repo
say "publish: $targets targets + one $big_mb MB target, XMSS height $height"
"$bin" publish "$repo" --targets "$targets" --big-mb "$big_mb" --xmss-height "$height" >"$work/publish.jsonl"
for h in $heights; do
  say "xmss: height $h, key generation + $signs signatures"
  "$bin" xmss "$work/xmss" --height "$h" --signs "$signs" >>"$work/xmss.jsonl"
done
big=$(ls "$repo"/repository/targets/fw/*.firmware.bin)

# --- device ----------------------------------------------------------------------------------
timev=""
[[ -x /usr/bin/time ]] && /usr/bin/time -v true 2>/dev/null && timev=/usr/bin/time
[[ -z $timev ]] && say "/usr/bin/time missing (apt package time, scripts/install-deps.sh --bench): no cross-check"
verify() {  # verify LABEL SOURCE STATE TARGET: one process, appends to $work/LABEL.jsonl
  local label=$1 src=$2 state=$3 target=$4 dest=$work/dest.bin out err
  rm -f "$dest"
  err=$work/$label.err
  if [[ -n $timev ]]; then
    out=$("$timev" -v "$bin" verify "$src" "$state" "$target" "$dest" 2>"$err") ||
      { cat "$err" >&2; echo "verify failed ($label)"; exit 1; }
    local rss
    rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$err")
    out=${out%\}},\"time_v_maxrss_kib\":${rss:-null}\}
  else
    out=$("$bin" verify "$src" "$state" "$target" "$dest" 2>"$err") ||
      { cat "$err" >&2; echo "verify failed ($label)"; exit 1; }
  fi
  echo "$out" >>"$work/$label.jsonl"
  rm -f "$dest"
}
fresh_state() {
  rm -rf "$work/state"; mkdir -p "$work/state"
  cp "$repo/repository/metadata/1.root.json" "$work/state/root.json"
}

# serve DIR LOG: python3's http.server for DIR on a free loopback port, waited for until it
# answers; sets served_port and served_pid (not a subshell: the caller keeps the pid to stop it).
serve() {
  served_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$served_port" --bind 127.0.0.1 --directory "$1" >"$2" 2>&1 &
  served_pid=$!
  for ((i = 0; i < 100; i++)); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$served_port/metadata/timestamp.json')" 2>/dev/null && return 0
    kill -0 "$served_pid" 2>/dev/null || { cat "$2"; echo "http.server for $1 did not start"; exit 1; }
    sleep 0.1
  done
}
serve "$repo/repository" "$work/http.log"
http_pid=$served_pid
url=http://127.0.0.1:$served_port

# --- peer: tuf-js ----------------------------------------------------------------------------
peer_version="" peer_url="" peer_done=0
if [[ $peer != 0 ]]; then
  say "peer: npm ci in bench/tuf_peer (tuf-js pinned by package-lock.json)"
  (cd "$peer_dir" && npm ci --no-audit --no-fund --prefer-offline) >"$work/npm-ci.log" 2>&1 ||
    { tail -20 "$work/npm-ci.log"; echo "npm ci failed in bench/tuf_peer (PEER=0 skips the peer)"; exit 1; }
  peer_version=$(node -p 'require(process.argv[1]).version' "$peer_dir/node_modules/tuf-js/package.json")
  big_bytes=$(stat -c %s "$big")
  say "peer: standard TUF repository, $targets small targets + one $big_bytes-byte target ($peer_py make_repo.py)"
  "$peer_py" "$peer_dir/make_repo.py" "$work/tuf" --targets "$targets" --big-bytes "$big_bytes" >"$work/peer-repo.json"
  serve "$work/tuf" "$work/peer-http.log"
  peer_http_pid=$served_pid
  peer_url=http://127.0.0.1:$served_port
  # What the runtime costs before any TUF work: node alone, and node with tuf-js loaded.
  (cd "$peer_dir" && node -e 'console.log(process.resourceUsage().maxRSS)') >"$work/peer-node-baseline.txt"
  (cd "$peer_dir" && node -e 'require("tuf-js"); console.log(process.resourceUsage().maxRSS)') >>"$work/peer-node-baseline.txt"
fi
peer_verify() {  # one cold tuf-js update, its own node process; appends to $work/peer.jsonl
  local md=$work/peer-md dest=$work/peer-dest err=$work/peer.err out rss
  rm -rf "$md" "$dest"; mkdir -p "$md" "$dest"
  cp "$work/tuf/metadata/1.root.json" "$md/root.json"
  if [[ -n $timev ]]; then
    out=$("$timev" -v node "$peer_dir/verify.mjs" "$md" "$peer_url" firmware.bin "$dest" 2>"$err") ||
      { cat "$err" >&2; echo "tuf-js verify failed"; exit 1; }
    rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$err")
    out=${out%\}},\"time_v_maxrss_kib\":${rss:-null}\}
  else
    out=$(node "$peer_dir/verify.mjs" "$md" "$peer_url" firmware.bin "$dest" 2>"$err") ||
      { cat "$err" >&2; echo "tuf-js verify failed"; exit 1; }
  fi
  echo "$out" >>"$work/peer.jsonl"
  rm -rf "$md" "$dest"
  peer_done=$((peer_done + 1))
}

# Rounds alternate the transports, so both see the same background load.
for ((r = 1; r <= runs; r++)); do
  say "round $r/$runs: cold verify, directory transport"
  fresh_state; verify cold-dir "$repo/repository" "$work/state" fw/firmware.bin
  say "round $r/$runs: cold verify, HTTP ($url)"
  fresh_state; verify cold-http "$url" "$work/state" fw/firmware.bin
  if [[ $peer != 0 ]] && ((peer_done < peer_runs)); then
    say "round $r/$runs: peer: tuf-js $peer_version cold update, HTTP ($peer_url)"
    peer_verify
  fi
  say "round $r/$runs: hash floor (sha256sum && sha512sum; openssl dgst -sha256 && -sha512)"
  t0=$(date +%s.%N); sha256sum "$big" >/dev/null && sha512sum "$big" >/dev/null; t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.6f\n", $2 - $1}' >>"$work/floor.txt"
  t0=$(date +%s.%N); openssl dgst -sha256 "$big" >/dev/null && openssl dgst -sha512 "$big" >/dev/null; t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.6f\n", $2 - $1}' >>"$work/floor-openssl.txt"
done
while [[ $peer != 0 ]] && ((peer_done < peer_runs)); do
  say "peer: tuf-js $peer_version cold update $((peer_done + 1))/$peer_runs, HTTP ($peer_url)"
  peer_verify
done
say "warm refreshes (state kept, nothing new): directory, then HTTP"
fresh_state; verify warm-setup "$repo/repository" "$work/state" -
for ((r = 1; r <= runs; r++)); do verify warm-dir "$repo/repository" "$work/state" -; done
for ((r = 1; r <= runs; r++)); do verify warm-http "$url" "$work/state" -; done

# --- report ----------------------------------------------------------------------------------
botan=$(dpkg-query -W -f='${Version}' libbotan-2-19 2>/dev/null || echo unknown)
ssl_ver=$(openssl version 2>/dev/null | awk '{print $2}' || echo unknown)
rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
python3 - "$work" "$report" "$targets" "$big_mb" "$height" "$runs" "$build_type" "$botan" "$ssl_ver" \
  "$rev" "$busy_before" "${timev:-}" "$signs" "$peer" "$peer_version" "$(node --version 2>/dev/null || echo unknown)" <<'PY'
import json, os, statistics, sys
(work, report, ntargets, big_mb, height, runs, build_type, botan, ssl_ver, rev, busy, timev, signs,
 peer, peer_version, node_version) = sys.argv[1:]
def lines(name):
    try:
        return [json.loads(l) for l in open(os.path.join(work, name)) if l.startswith("{")]
    except OSError:
        return []
pub = {}
sizes = []
for d in lines("publish.jsonl"):
    if "size" in d: sizes.append(d)
    else: pub.update(d)
xm = [d["xmss"] for d in lines("xmss.jsonl")]
runs_of = {k: lines(k + ".jsonl") for k in ("cold-dir", "cold-http", "warm-dir", "warm-http")}
floor = [float(x) for x in open(os.path.join(work, "floor.txt"))]
med = statistics.median
def m(label, key):
    v = [r[key] for r in runs_of[label] if r.get(key) is not None]
    return med(v) if v else None
big_bytes = pub["inputs"]["big_bytes"]
floor_s = med(floor)
floor_ossl = [float(x) for x in open(os.path.join(work, "floor-openssl.txt"))]
floor_ossl_s = med(floor_ossl)
summary = {}
for label in runs_of:
    keys = ("open_s", "refresh_s", "find_s", "download_s", "total_s", "maxrss_kib",
            "maxrss_after_refresh_kib", "time_v_maxrss_kib", "metadata_bytes_downloaded")
    summary[label] = {k: m(label, k) for k in keys}
for label in ("cold-dir", "cold-http"):
    s = summary[label]
    s["download_over_floor"] = s["download_s"] / floor_s
    s["total_over_floor"] = s["total_s"] / floor_s
    s["download_over_openssl_floor"] = s["download_s"] / floor_ossl_s
    s["rss_over_target"] = s["maxrss_kib"] * 1024 / big_bytes
    if s["time_v_maxrss_kib"]:
        s["time_v_rss_over_target"] = s["time_v_maxrss_kib"] * 1024 / big_bytes

def f(v, form="{:.3f}"):
    return "-" if v is None else form.format(v)
def ms(v):
    return "-" if v is None else f"{v * 1000:.1f}"
def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f}"
L = []; P = L.append
stamp = os.popen("date -u +%FT%TZ").read().strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
P(f"# Signed updates: device verification and publisher signing ({stamp})")
P("")
P(f"Machine: {os.cpu_count()} cores ({cpu}), kernel {os.uname().release}, shared with other engineers' "
  f"builds ({busy}% of all cores busy in the second before the run). Build type {build_type or '?'} "
  f"(release preset), GCC 12, Botan {botan} (libbotan-2-19, XMSS), OpenSSL {ssl_ver} (SHA-2, Ed25519), warden {rev}.")
P(f"Update: {ntargets} small targets (1-4 KiB random, {pub['inputs']['small_bytes']:,} bytes in all) and one "
  f"{big_bytes:,}-byte target (fw/firmware.bin) in the top-level targets role, one hybrid "
  f"Ed25519 + XMSS-SHA2_{height}_256 key each for root and targets, Ed25519 for snapshot and timestamp. "
  f"{runs} runs per figure, medians; every device run is its own process.")
P("")
P("## Device: verification (cold = fresh state holding only 1.root.json)")
P("")
P("| | directory | HTTP (loopback) |")
P("|---|---|---|")
cd, ch = summary["cold-dir"], summary["cold-http"]
rows = [
    ("Client::open (ms)", "open_s", ms),
    ("refresh: root, timestamp, snapshot, targets fetched + verified (ms)", "refresh_s", ms),
    ("metadata bytes downloaded", "metadata_bytes_downloaded", lambda v: f(v, "{:,.0f}")),
    ("find_target (ms)", "find_s", ms),
    (f"download + SHA-256 + SHA-512 check of {big_mb} MB, fsync, rename (ms)", "download_s", ms),
    ("**total (ms)**", "total_s", ms),
    ("peak RSS after refresh (MiB, ru_maxrss)", "maxrss_after_refresh_kib", mib),
    ("**peak RSS (MiB, ru_maxrss)**", "maxrss_kib", mib),
    ("peak RSS (MiB, /usr/bin/time -v)", "time_v_maxrss_kib", mib),
]
for label, key, fm in rows:
    P(f"| {label} | {fm(cd[key])} | {fm(ch[key])} |")
P(f"| floor: `sha256sum f && sha512sum f` (ms) | {ms(floor_s)} | {ms(floor_s)} |")
P(f"| **download+verify / floor** | {f(cd['download_over_floor'], '{:.2f}x')} | {f(ch['download_over_floor'], '{:.2f}x')} |")
P(f"| second reference: `openssl dgst -sha256 f && openssl dgst -sha512 f` (ms) | {ms(floor_ossl_s)} | {ms(floor_ossl_s)} |")
P(f"| download+verify / OpenSSL reference | {f(cd['download_over_openssl_floor'], '{:.2f}x')} | {f(ch['download_over_openssl_floor'], '{:.2f}x')} |")
P(f"| whole update (open+refresh+find+download) / floor | {f(cd['total_over_floor'], '{:.2f}x')} | {f(ch['total_over_floor'], '{:.2f}x')} |")
P(f"| **peak RSS / target size** | {f(cd['rss_over_target'], '{:.3f}')} | {f(ch['rss_over_target'], '{:.3f}')} |")
P("")
wd, wh = summary["warm-dir"], summary["warm-http"]
P("Warm refresh (state kept, nothing new: only timestamp.json is fetched, the rest is unchanged):")
P("")
P("| | directory | HTTP (loopback) |")
P("|---|---|---|")
for label, key, fm in [("open (ms)", "open_s", ms), ("refresh (ms)", "refresh_s", ms),
                       ("metadata bytes downloaded", "metadata_bytes_downloaded", lambda v: f(v, "{:,.0f}")),
                       ("peak RSS (MiB, ru_maxrss)", "maxrss_kib", mib),
                       ("peak RSS (MiB, /usr/bin/time -v)", "time_v_maxrss_kib", mib)]:
    P(f"| {label} | {fm(wd[key])} | {fm(wh[key])} |")
P("")
P("Per run (cold total ms / download ms / peak RSS MiB):")
P("")
for label in ("cold-dir", "cold-http"):
    P(f"- {label}: " + "; ".join(f"{r['total_s']*1000:.0f} / {r['download_s']*1000:.0f} / {r['maxrss_kib']/1024:.1f}" for r in runs_of[label]))
P(f"- floor (ms): " + ", ".join(f"{x*1000:.0f}" for x in floor))
P(f"- OpenSSL reference (ms): " + ", ".join(f"{x*1000:.0f}" for x in floor_ossl))
P("")
P("## Publisher: signing")
P("")
def st(s, scale=1000, form="{:.1f}"):
    if not s: return "-"
    return f"{form.format(s['median']*scale)} ({form.format(s['min']*scale)}-{form.format(s['max']*scale)}, n={s['n']})"
sig = pub["signatures"]
P("| | ms: median (min-max, n) |")
P("|---|---|")
P(f"| one signature by an XMSS-bearing key (the targets key: Ed25519 + XMSS height {height}, incl. durable XMSS state write; root's key is the same kind but signs only in init/rotate) | {st(sig['xmss_bearing'])} |")
P(f"| one signature by an Ed25519-only key (snapshot, timestamp) | {st(sig['ed25519_only'])} |")
P(f"| durable write of a 2.6 KB file (write, fsync, rename, dir fsync: the floor of the XMSS state write) | {st(pub['durable_write_2600B'])} |")
P(f"| `refresh_timestamp` (Ed25519 signature + durable write), wall | {st(pub['refresh_timestamp']['wall'])} |")
P(f"| `add_targets` of 1 file into {pub['latest']['targets_in_role']}-target role (targets + snapshot + timestamp re-signed), wall | {st(pub['add_targets_one']['wall'])} |")
P(f"| `add_targets` of all {int(ntargets)+1} targets in one call (hash + durable copy of {big_mb} MB + {int(ntargets):,} files, 3 signatures), wall | {pub['add_targets_all']['seconds']*1000:.0f} |")
P(f"| `Repository::init` (4 keys generated, 2 with XMSS height {height}; 4 signatures), wall | {pub['init']['seconds']*1000:.0f} |")
P(f"| publisher peak RSS (MiB) | {pub['publisher_maxrss_kib']/1024:.1f} |")
P("")
if xm:
    P("XMSS per tree height (SigningKey::generate: Ed25519 + XMSS; sign: both parts + durable XMSS state write):")
    P("")
    P("| height | signatures per key | key generation (s) | one signature (ms): median (min-max) | signature bytes | public key bytes |")
    P("|---|---|---|---|---|---|")
    for x in xm:
        s = x["sign"]
        P(f"| {x['height']} | {2**x['height']:,} | {x['keygen_s']:.2f} | {s['median']*1000:.1f} ({s['min']*1000:.1f}-{s['max']*1000:.1f}) | {x['signature_bytes']:,} | {x['public_key_bytes']} |")
    P("")
P("## Metadata sizes")
P("")
P("| file | bytes | without XMSS | XMSS share | XMSS signature hex chars | XMSS public key hex chars |")
P("|---|---|---|---|---|---|")
tot_with = tot_without = 0
for s in sizes:
    tot_with += s["bytes"]; tot_without += s["bytes_without_xmss"]
    P(f"| {s['size']} | {s['bytes']:,} | {s['bytes_without_xmss']:,} | {s['xmss_share']*100:.1f}% | {s['xmss_signature_hex_chars']:,} | {s['xmss_public_key_hex_chars']:,} |")
P(f"| all four (a cold device's download) | {tot_with:,} | {tot_without:,} | {(tot_with-tot_without)/tot_with*100:.1f}% | | |")
P("")
P("Notes:")
P("- \"Without XMSS\": each file parsed (parse_envelope + parse_<role>) and written again with the "
  "repository's own writer (write_signed + write_envelope) minus every signature part and public-key "
  "part whose algorithm starts with \"xmss\", keyids recomputed for the stripped keys (same 64-hex length): "
  "the exact bytes an Ed25519-only repository with the same content would serve. Rebuilding with the "
  "XMSS parts gives back each file byte for byte (" +
  ("checked for all four" if all(s["rebuild_identical"] for s in sizes) else "NOT identical for: " +
   ", ".join(s["size"] for s in sizes if not s["rebuild_identical"])) +
  "), so the difference is exact. Snapshot and timestamp carry no XMSS part (Ed25519-only roles).")
P("- Device figures: `update_bench verify` (bench/update_bench.cc), a new process per run; wall time per "
  "step (steady_clock), peak memory from getrusage(RUSAGE_SELF).ru_maxrss"
  + (" and `/usr/bin/time -v` (the same kernel counter, seen from outside)." if timev else "; /usr/bin/time was not installed."))
P("- The directory transport and http.server read the repository from the page cache (the files were "
  "just written): the figures are CPU and fsync cost, not disk or network speed. The download writes "
  f"dest.part, fsyncs it and renames it. The floor hashes the same cached file with coreutils "
  "(two passes, one per hash; the client hashes both in one streaming pass with OpenSSL). coreutils "
  "9.1 does not use the CPU's SHA extensions (sha_ni) for SHA-256 and OpenSSL does, so the client can "
  "beat the coreutils floor; the `openssl dgst` row is the tighter reference (two processes, two passes).")
P("- Signing: per-signature seconds from Repository::on_sign (the SigningKey::sign call: Ed25519, "
  "and for root/targets XMSS plus the fsynced XMSS key-state and high-water-mark writes before the "
  "signature is released). Wall figures add writing the metadata files durably.")
P(f"- Raw JSON: printed on stdout by bench/update_bench.sh ({os.path.basename(work)}, deleted after the run unless --keep).")
peer_runs = lines("peer.jsonl")
peer_summary = None
if peer != "0" and peer_runs:
    prepo = json.load(open(os.path.join(work, "peer-repo.json")))
    base = [int(x) for x in open(os.path.join(work, "peer-node-baseline.txt")).read().split()]
    pk = ("open_s", "refresh_s", "find_s", "download_s", "total_s", "maxrss_kib",
          "maxrss_after_refresh_kib", "time_v_maxrss_kib", "sampled_rss_max_kib",
          "metadata_bytes_downloaded")
    ps = {k: (med([r[k] for r in peer_runs if r.get(k) is not None]) if any(r.get(k) is not None for r in peer_runs) else None) for k in pk}
    def ratio(k):
        return ch[k] / ps[k] if ch.get(k) and ps.get(k) else None
    peer_summary = {"tuf_js": peer_version, "node": peer_runs[0].get("node"), "runs": len(peer_runs),
                    "median": ps, "repo": prepo, "node_baseline_maxrss_kib": base[0],
                    "node_with_tuf_js_loaded_maxrss_kib": base[1],
                    "warden_over_tuf_js": {k: ratio(k) for k in ("open_s", "refresh_s", "download_s", "total_s", "maxrss_kib", "time_v_maxrss_kib")}}
    r_ = peer_summary["warden_over_tuf_js"]
    interleaved = min(int(runs), len(peer_runs))
    P("")
    P(f"## Peer: tuf-js {peer_version}")
    P("")
    P(f"The same update with tuf-js {peer_version} (Node {peer_runs[0].get('node')}, its crypto on the OpenSSL "
      f"{peer_runs[0].get('openssl')} built into Node), the TUF client npm and sigstore use, against a standard TUF 1.0 "
      f"repository (spec 1.0.31 JSON, canonical JSON, one Ed25519 key per role, threshold 1, consistent snapshot) "
      f"built by bench/tuf_peer/make_repo.py with the same targets: {prepo['targets']} small ones "
      f"(1-4 KiB random) and one {prepo['big_bytes']:,}-byte firmware.bin, length + SHA-256 + SHA-512 each. "
      f"Served the same way (python3 -m http.server, loopback). {len(peer_runs)} cold runs "
      f"(bench/tuf_peer/verify.mjs: `new Updater`, `refresh()`, `getTargetInfo`, `downloadTarget`), each a new node "
      f"process with a fresh metadata directory holding only the trusted root; {interleaved} of them right after "
      f"warden's cold HTTP run of the same round, the rest after the rounds. Medians; warden's column is its cold "
      f"HTTP median from the table above ({runs} runs).")
    P("")
    P(f"| | warden (cold HTTP) | tuf-js {peer_version} | warden / tuf-js |")
    P("|---|---|---|---|")
    prow = [
        ("open: load the trusted root, check its self-signature (ms; warden Client::open, tuf-js `new Updater`)", "open_s", ms),
        ("refresh: root, timestamp, snapshot, targets (ms)", "refresh_s", ms),
        ("find the target (ms)", "find_s", ms),
        (f"download + verify (length, SHA-256, SHA-512) of the {prepo['big_bytes']/1e6:.0f} MB target (ms)", "download_s", ms),
        ("**total (ms)**", "total_s", ms),
        ("metadata bytes downloaded", "metadata_bytes_downloaded", lambda v: f(v, "{:,.0f}")),
        ("peak RSS after refresh (MiB, ru_maxrss)", "maxrss_after_refresh_kib", mib),
        ("**peak RSS (MiB, ru_maxrss)**", "maxrss_kib", mib),
        ("peak RSS (MiB, /usr/bin/time -v)", "time_v_maxrss_kib", mib),
    ]
    for label, key, fm in prow:
        # find_target is well under a millisecond in both: its ratio would be noise.
        rv = ch[key] / ps[key] if ch.get(key) and ps.get(key) and key != "find_s" else None
        P(f"| {label} | {fm(ch[key])} | {fm(ps[key])} | {f(rv, '{:.2f}x')} |")
    P(f"| runtime alone: `node -e` / node with tuf-js loaded, no work (MiB, ru_maxrss) | - | "
      f"{base[0]/1024:.1f} / {base[1]/1024:.1f} | |")
    P("")
    P(f"Per run (tuf-js total ms / download ms / peak RSS MiB): " + "; ".join(
        f"{x['total_s']*1000:.0f} / {x['download_s']*1000:.0f} / {x['maxrss_kib']/1024:.1f}" for x in peer_runs))
    P("")
    P("Not the same work, read the ratios with that in mind:")
    P("- warden verifies more: its root and targets metadata carry hybrid Ed25519 + XMSS signatures and the "
      "client checks both parts (XMSS verification is thousands of SHA-256 compressions per signature), where "
      "tuf-js checks one Ed25519 signature per role (open included: both check the trusted root's "
      "self-signature there, warden's hybrid). warden's files are also bigger "
      f"({f(ch['metadata_bytes_downloaded'], '{:,.0f}')} metadata bytes downloaded against "
      f"{f(ps['metadata_bytes_downloaded'], '{:,.0f}')}; its root carries XMSS public keys and each XMSS signature is "
      "2,500 bytes; the per-target entries differ a little in layout).")
    P("- tuf-js is JavaScript on Node (V8: JIT, garbage-collected heap, the runtime's own baseline in the last "
      "row); warden is C++ (libstdc++, OpenSSL, Botan, libcurl). Both hash with OpenSSL.")
    P("- The download paths differ: tuf-js streams the target into a temporary file, then reads it back to check "
      "the length and every listed hash (SHA-256 and SHA-512), then copies it to the destination (copyFileSync), "
      "without fsync; warden hashes both in the same streaming pass, then fsyncs and renames. So tuf-js reads the "
      "file twice more but skips the fsync.")
    P("- Both clients fetch 2.root.json (404), timestamp, snapshot and targets; neither downloads 1.root.json "
      "(it is the trusted root they start from). Ratios below 1 mean warden is faster or smaller.")
text = "\n".join(L) + "\n"
open(report, "w").write(text)
sys.stderr.write(text)
print(json.dumps({"date": stamp, "summary": summary, "floor_s": floor, "floor_openssl_s": floor_ossl, "publish": pub, "sizes": sizes,
                  "xmss": xm, "runs": runs_of, "peer": peer_summary, "peer_runs": peer_runs}, indent=1))
PY
say "results: $report"
