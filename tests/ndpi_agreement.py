#!/usr/bin/env python3
"""Compares the application protocol warden assigns to each flow with nDPI's expected output.

For every capture in <ndpi>/pcap with a result file in <ndpi>/result, runs `warden analyze`,
matches flows by protocol and endpoint pair, and compares warden's service with nDPI's master
protocol (the part before the dot: "TLS.Amazon" -> "TLS", the transport-level protocol; the part
after the dot is nDPI's guess of the service behind it from host names). Prints a per-capture
table and fails when overall agreement drops below the floor recorded here: a regression bar,
raised as the classifier improves.
Usage: ndpi_agreement.py WARDEN NDPI_DIR [--floor F]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FLOOR = 0.97

LINE = re.compile(
    r"^\s+\d+\s+(?P<proto>TCP|UDP|ICMP|ICMPV6|IGMP|\S+)\s+(?P<a>\S+)\s+(?:<->|->)\s+(?P<b>\S+)\s+"
    r"(?:\[VLAN: (?P<vlan>\d+)\])?.*?\[proto: [\d.]+/(?P<app>[^\]]+)\]")


def endpoint(text):
    """'1.2.3.4:80' or '[fe80::1]:80' -> (ip, port)."""
    if text.startswith("["):
        ip, port = text[1:].split("]:")
    else:
        ip, port = text.rsplit(":", 1)
    return ip, int(port)


def key(proto, a, b):
    proto = proto.lower().replace("icmpv6", "icmp6")
    if proto in ("icmp", "icmp6", "igmp"):  # nDPI writes port 0; warden writes type/code
        return proto, frozenset([a[0], b[0]])
    return proto, frozenset([a, b])


def ndpi_flows(path):
    flows = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        k = key(m["proto"], endpoint(m["a"]), endpoint(m["b"]))
        flows[k] = m["app"].split(".")[0]
    return flows


def warden_flows(warden, pcap, out):
    subprocess.run([warden, "analyze", "-q", "--no-sqlite", "-o", out, pcap], check=False)
    flows = {}
    with open(os.path.join(out, "flows.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            k = key(r["proto"], (r["id.orig_h"], r["id.orig_p"]), (r["id.resp_h"], r["id.resp_p"]))
            flows.setdefault(k, r["service"])
    return flows


def main():
    warden, ndpi_dir = sys.argv[1], sys.argv[2]
    floor = float(sys.argv[sys.argv.index("--floor") + 1]) if "--floor" in sys.argv else FLOOR
    total = agreed = unmatched = 0
    print(f"{'capture':28} {'nDPI flows':>10} {'matched':>8} {'agree':>6}  disagreements (warden vs nDPI)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(os.path.join(ndpi_dir, "pcap"))):
            result = os.path.join(ndpi_dir, "result", name + ".out")
            if not os.path.exists(result):
                continue
            expected = ndpi_flows(result)
            got = warden_flows(warden, os.path.join(ndpi_dir, "pcap", name), os.path.join(tmp, name))
            matched = ok = 0
            diffs = {}
            for k, app in expected.items():
                if k not in got:
                    continue
                matched += 1
                if got[k] == app:
                    ok += 1
                else:
                    diffs[(got[k], app)] = diffs.get((got[k], app), 0) + 1
            total += len(expected)
            agreed += ok
            unmatched += len(expected) - matched
            diff_text = ", ".join(f"{w} vs {n} x{c}" for (w, n), c in sorted(diffs.items()))
            print(f"{name:28} {len(expected):10} {matched:8} {ok:6}  {diff_text}")
    rate = agreed / total if total else 0.0
    print(f"\noverall: {agreed} of {total} nDPI flows labelled the same ({rate:.1%}); "
          f"{unmatched} nDPI flows had no warden flow with the same endpoints")
    passed = rate >= floor
    print(f"{int(passed)} passed, {int(not passed)} failed (floor {floor:.0%})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
