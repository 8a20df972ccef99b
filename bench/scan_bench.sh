#!/usr/bin/env bash
# `warden scan` against nmap on the IoT bench (tests/bench/iot: real daemons in network
# namespaces, nothing leaves the machine), side by side in one run:
#  1. nmap from the scanner namespace `scan`, with the NSE scripts that cover what warden scan
#     checks: service/version scan of the IoT TCP ports and a few UDP ones, telnet-brute and
#     ssh-brute with the Mirai list (data/credentials/mirai.tsv as a brute.credfile, the same
#     pairs in the same order warden tries), http-default-accounts, upnp-info, mqtt-subscribe,
#     ssl-enum-ciphers. Wall time from `date +%s.%N` around the command.
#  2. `warden scan --guess-credentials --json` on the same targets from the same namespace.
#  3. Both results reduced to warden's finding ids per host (nmap's script output mapped onto
#     the catalogue: a valid login -> cred.default, topics read anonymously -> mqtt.anonymous,
#     TLS 1.0 -> tls.old_version, ...), printed as one table with who found what, and the
#     wall-time ratio nmap/warden. Written to bench/results/scan-<UTC date>.md.
# The bench is brought up (bench-up.sh && devices-up.sh bad) only when it is not up already, and
# torn down at the end only if this script brought it up and --keep was not given.
# Needs root, iproute2, nmap, python3 and the bench's packages (tests/bench/iot/README.md).
# Usage: bench/scan_bench.sh [--keep] [--nmap-only | --warden-only]
#   --keep         leave a bench this script started running
#   --nmap-only    skip warden (e.g. before the CLI exists)
#   --warden-only  skip nmap; compare with the last nmap run's XML (build/bench/scan/nmap.xml)
#   WARDEN=path    use that binary instead of building build/release/src/app/warden
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keep=0 run_nmap=1 run_warden=1
for a in "$@"; do
  case $a in
    --keep) keep=1 ;;
    --nmap-only) run_warden=0 ;;
    --warden-only) run_nmap=0 ;;
    *) echo "usage: $0 [--keep] [--nmap-only | --warden-only]"; exit 2 ;;
  esac
done
say() { echo "scan_bench: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)"; exit 1; }
for t in ip nmap python3; do command -v $t >/dev/null || { echo "missing tool: $t"; exit 1; }; done

targets=(192.168.77.1 192.168.77.11-17)
work=build/bench/scan; mkdir -p "$work" bench/results
stamp=$(date -u +%Y%m%d-%H%M%S)

# --- the bench ---------------------------------------------------------------------------
bench=tests/bench/iot
started=0
bench_is_up() {
  # every namespace, and the two daemons everything else waits for, answering
  for n in rtr web1 cam1 dvr1 dvr2 hub1 tls1 good1 scan; do
    ip netns list | grep -qw "^$n" || return 1
  done
  ip netns pids tls1 | grep -q . && ip netns pids rtr | grep -q .
}
cleanup() {
  if ((started && !keep)); then
    say "tearing the bench down (it was started by this run; --keep leaves it)"
    "$bench/bench-down.sh" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if bench_is_up; then
  say "bench already up: using it and leaving it up"
else
  say "bringing the bench up (bad router variant)"
  started=1
  "$bench/bench-down.sh" >/dev/null 2>&1 || true
  "$bench/bench-up.sh" >"$work/bench-up.log" 2>&1 || { tail "$work/bench-up.log"; exit 1; }
  "$bench/devices-up.sh" bad >>"$work/bench-up.log" 2>&1 || { tail "$work/bench-up.log"; exit 1; }
  sleep 2  # the daemons bind their ports after the script returns
fi

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# --- 1. nmap -----------------------------------------------------------------------------
# The Mirai list as nmap's brute.credfile ("user/pass" a line; an empty password is "user/").
creds=$work/mirai.creds
awk -F'\t' 'NR > 1 && $1 != "" && $1 !~ /^#/ {print $1 "/" $2}' data/credentials/mirai.tsv >"$creds"
nmap_xml=$work/nmap.xml
nmap_wall=null
if ((run_nmap)); then
  # -T4: a switched LAN with no loss, what an assessor would use here. telnet-brute's default
  # 5 s timeout is shorter than a failed login under PAM (its 3 s delay plus the prompt
  # round-trips), which would make nmap miss valid logins that come after failed ones.
  nmap_cmd=(nmap -Pn -sV -sU -sT -T4
    -p T:21-23,80,443,554,1883,2323,5000,8080,8443,8883,U:53,161,1900
    --script telnet-brute,ssh-brute,http-default-accounts,upnp-info,mqtt-subscribe,ssl-enum-ciphers
    --script-args "brute.credfile=$root/$creds,telnet-brute.timeout=10s"
    -oX "$root/$nmap_xml" "${targets[@]}")
  say "nmap: ${nmap_cmd[*]}"
  t0=$(now)
  ip netns exec scan "${nmap_cmd[@]}" >"$work/nmap.txt" 2>&1 || { tail "$work/nmap.txt"; echo "nmap failed"; exit 1; }
  t1=$(now)
  nmap_wall=$(elapsed "$t0" "$t1")
  echo "$nmap_wall" >"$work/nmap.wall"
  say "nmap done in $(printf '%.1f' "$nmap_wall") s"
elif [[ -f $nmap_xml ]]; then
  nmap_wall=$(cat "$work/nmap.wall" 2>/dev/null || echo null)
  say "reusing $nmap_xml (wall ${nmap_wall} s)"
else
  echo "--warden-only needs a previous nmap run ($nmap_xml)"; exit 1
fi

# --- 2. warden scan ----------------------------------------------------------------------
warden_json=$work/warden.json
warden_wall=null
if ((run_warden)); then
  if [[ -n ${WARDEN:-} ]]; then
    warden=$(realpath "$WARDEN")
  else
    cmake --preset release >/dev/null
    cmake --build --preset release -j2 --target warden >"$work/build.log" 2>&1 ||
      { tail -30 "$work/build.log"; echo "release build failed"; exit 1; }
    warden=$root/build/release/src/app/warden
  fi
  "$warden" scan --help >/dev/null 2>&1 || { echo "$warden has no 'scan' command (try --nmap-only)"; exit 1; }
  rm -f "$warden_json"
  say "warden: scan --guess-credentials --json ${targets[*]}"
  t0=$(now)
  ip netns exec scan "$warden" scan --guess-credentials --json "$root/$warden_json" "${targets[@]}" \
    >"$work/warden.txt" 2>&1 || { tail "$work/warden.txt"; echo "warden scan failed"; exit 1; }
  t1=$(now)
  warden_wall=$(elapsed "$t0" "$t1")
  say "warden done in $(printf '%.1f' "$warden_wall") s"
fi

# --- 3. comparison -----------------------------------------------------------------------
out=bench/results/scan-$stamp.md
python3 - "$nmap_xml" "$warden_json" "$nmap_wall" "$warden_wall" "$out" <<'PY'
import json, os, re, sys
import xml.etree.ElementTree as ET

nmap_xml, warden_json, nmap_wall, warden_wall, out = sys.argv[1:6]
nmap_wall = None if nmap_wall == "null" else float(nmap_wall)
warden_wall = None if warden_wall == "null" else float(warden_wall)

# nmap's view, as (finding id, port) -> evidence per host, in warden's catalogue terms.
def nmap_findings(path):
    hosts = {}
    root = ET.parse(path).getroot()
    for h in root.iter("host"):
        addr = next((a.get("addr") for a in h.iter("address") if a.get("addrtype") == "ipv4"), None)
        if addr is None:
            continue
        found, services = {}, []
        def add(fid, port, ev):
            found.setdefault((fid, port), []).append(ev)
        for p in h.iter("port"):
            st = p.find("state")
            if st is None or st.get("state") not in ("open", "open|filtered"):
                continue
            port, proto = int(p.get("portid")), p.get("protocol")
            svc = p.find("service")
            name = svc.get("name", "?") if svc is not None else "?"
            tunnel = svc.get("tunnel") if svc is not None else None
            if st.get("state") == "open":
                prod = " ".join(x for x in (svc.get("product"), svc.get("version")) if x) if svc is not None else ""
                services.append(f"{port}/{proto} {('ssl/' if tunnel else '') + name}{' ' + prod if prod else ''}")
            for s in p.findall("script"):
                sid, text = s.get("id"), s.get("output", "")
                if sid in ("telnet-brute", "ssh-brute"):
                    for m in re.finditer(r"^\s*(\S*):(\S*) - Valid credentials", text, re.M):
                        add("cred.default", port, f"{sid} {m.group(1)}:{m.group(2)}")
                elif sid == "http-default-accounts":
                    for m in re.finditer(r"^\s+(\S+):(\S*)\s*$", text, re.M):
                        add("cred.default", port, f"http-default-accounts {m.group(1)}:{m.group(2)}")
                elif sid == "mqtt-subscribe":
                    topics = re.findall(r"^\s+(\S+): ", text, re.M)
                    if topics or "Topics" in text:
                        add("mqtt.anonymous", port, "mqtt-subscribe read " + ", ".join(topics[:5]))
                        add("mqtt.wildcard", port, "mqtt-subscribe '#' accepted")
                elif sid == "upnp-info":
                    server = re.search(r"Server: (.*)", text)
                    add("upnp.igd_present", port, "upnp-info " + (server.group(1).strip() if server else "answered"))
                elif sid == "ssl-enum-ciphers":
                    versions = re.findall(r"^\|?\s*((?:SSLv3|TLSv1\.[0-3])):", text, re.M)
                    old = [v for v in versions if v in ("SSLv3", "TLSv1.0", "TLSv1.1")]
                    if old:
                        add("tls.old_version", port, "accepts " + ", ".join(old))
                    if versions and not any(v in ("TLSv1.2", "TLSv1.3") for v in versions):
                        add("tls.no_modern_version", port, "no TLS 1.2/1.3")
                    weak = sorted(set(m.group(1) for m in re.finditer(
                        r"(TLS_\w+|SSL_\w+) .*- [C-F]\s*$", text, re.M)))
                    static_rsa = sorted(set(re.findall(r"(TLS_RSA_WITH_\w+)", text)))
                    weak = sorted(set(weak) | set(static_rsa))
                    if weak:
                        add("tls.weak_cipher", port, " ".join(weak))
                    for m in re.finditer(r"\((rsa|ec|dsa) (\d+)\)", text):
                        bits = int(m.group(2))
                        if (m.group(1) == "ec" and bits < 256) or (m.group(1) != "ec" and bits < 2048):
                            add("tls.weak_key", port, f"{m.group(1)} {bits}")
                            break
                    m = re.search(r"\(dh (\d+)\)", text)
                    if m and int(m.group(1)) < 2048:
                        add("tls.weak_dh", port, f"dh {m.group(1)}")
                    m = re.search(r"Insecure certificate signature \((\w+)\)", text)
                    if m:
                        add("tls.weak_signature", port, m.group(1))
        for s in h.findall("hostscript/script"):
            if s.get("id") == "upnp-info":
                add("upnp.igd_present", 1900, "upnp-info")
        hosts[addr] = {"findings": found, "services": services}
    return hosts

def warden_findings(path):
    hosts = {}
    if not path or not os.path.exists(path):
        return None
    doc = json.load(open(path))
    for h in doc.get("hosts", []):
        addr = h.get("addr") or h.get("address") or h.get("ip")
        found = {}
        for f in h.get("findings", []):
            found.setdefault((f.get("id"), int(f.get("port") or 0)), []).append(
                f"[{f.get('severity', '?')}] {f.get('evidence', '')}")
        services = [f"{s.get('port')}/{s.get('transport', 'tcp')} {s.get('name', '?')}" for s in h.get("services", [])]
        hosts[addr] = {"findings": found, "services": services}
    return hosts

n = nmap_findings(nmap_xml)
w = warden_findings(warden_json)
order = ["192.168.77.1"] + [f"192.168.77.{i}" for i in range(11, 18)]
names = {"192.168.77.1": "rtr", "192.168.77.11": "web1", "192.168.77.12": "cam1", "192.168.77.13": "dvr1",
         "192.168.77.14": "dvr2", "192.168.77.15": "hub1", "192.168.77.16": "tls1", "192.168.77.17": "good1"}
# The ids nmap's scripts can show at all: only those count against warden as "missed by nmap".
comparable = {"cred.default", "mqtt.anonymous", "mqtt.wildcard", "upnp.igd_present", "tls.old_version",
              "tls.no_modern_version", "tls.weak_cipher", "tls.weak_key", "tls.weak_dh", "tls.weak_signature"}

def fmt(found):
    return "<br>".join(f"{fid}:{port} ({'; '.join(ev)[:80]})" for (fid, port), ev in sorted(found.items())) or "-"

lines = []
P = lines.append
P(f"# warden scan vs nmap on the IoT bench ({os.popen('date -u +%FT%TZ').read().strip()})")
P("")
P(f"Machine: {os.cpu_count()} cores, {os.popen('uname -r').read().strip()}. Targets: 192.168.77.1, 192.168.77.11-17 "
  "(tests/bench/iot, bad router variant), scanned from the `scan` namespace.")
P("")
P("| | wall time (s) |")
P("|---|---|")
P(f"| nmap -sV -sU -sT -T4 + 6 NSE scripts | {nmap_wall:.1f} |" if nmap_wall else "| nmap | not run |")
P(f"| warden scan --guess-credentials | {warden_wall:.1f} |" if warden_wall else "| warden scan | not run |")
if nmap_wall and warden_wall:
    P(f"| ratio nmap / warden | {nmap_wall / warden_wall:.2f}x |")
P("")
P("| host | nmap findings | warden findings | nmap only | warden only (of what nmap can see) |")
P("|---|---|---|---|---|")
agree = total = 0
for a in order + sorted(set(n) - set(order)):
    nf = n.get(a, {"findings": {}})["findings"]
    wf = w.get(a, {"findings": {}})["findings"] if w is not None else None
    nk = {(i, p) for i, p in nf}
    if wf is None:
        P(f"| {a} {names.get(a, '')} | {fmt(nf)} | (not run) | | |")
        continue
    wk = {(i, p) for i, p in wf if i in comparable}
    # Same kind on the same port; a port of 0 (the host as a whole) or a UPnP finding (nmap
    # reports SSDP on 1900/udp, warden may name the IGD's HTTP port) matches any port.
    def same(a, b):
        return a[0] == b[0] and (a[1] == b[1] or 0 in (a[1], b[1]) or a[0].startswith("upnp."))
    both = {x for x in nk if any(same(x, y) for y in wk)}
    only_n = sorted(nk - both)
    only_w = sorted(y for y in wk if not any(same(x, y) for x in nk))
    agree += len(both); total += len(both) + len(only_n) + len(only_w)
    P(f"| {a} {names.get(a, '')} | {fmt(nf)} | {fmt(wf)} | "
      f"{', '.join(f'{i}:{p}' for i, p in only_n) or '-'} | {', '.join(f'{i}:{p}' for i, p in only_w) or '-'} |")
if w is not None and total:
    P("")
    P(f"Agreement on the comparable finding kinds: {agree}/{total} (host, kind, port) triples.")
P("")
P("## Open services")
P("")
P("| host | nmap | warden |")
P("|---|---|---|")
for a in order:
    ns = n.get(a, {"services": []})["services"]
    ws = w.get(a, {"services": []})["services"] if w is not None else ["(not run)"]
    P(f"| {a} {names.get(a, '')} | {'<br>'.join(ns) or '-'} | {'<br>'.join(ws) or '-'} |")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
say "results: $out (raw: $work/nmap.xml, $work/nmap.txt, $work/warden.json)"
