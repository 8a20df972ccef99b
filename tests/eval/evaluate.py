#!/usr/bin/env python3
"""Detection evaluation: runs `warden analyze` on every capture named in expected.json and
reports, per detector, detections (a labelled attack found with the right kind and source),
misses, false alerts (a high or medium alert matching no label), and low-severity findings
(weak practice such as outdated TLS or cleartext passwords, reported but not attacks). Exits non-zero on any miss or false alert: benign traffic must stay quiet.
Usage: evaluate.py WARDEN CAPTURES_DIR
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

SEVERE = {"high", "medium"}


def alerts_for(warden, capture, out):
    subprocess.run([warden, "analyze", "-q", "--no-sqlite", "-o", out, capture], check=False)
    with open(os.path.join(out, "alerts.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main():
    warden, captures = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    spec = json.load(open(os.path.join(here, "expected.json"), encoding="utf-8"))
    found = collections.Counter()
    missed = collections.Counter()
    false = collections.Counter()
    findings = collections.Counter()  # low/info weak-practice findings (old TLS, cleartext...)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (cap, labels) in enumerate(sorted(spec["attacks"].items())):
            alerts = alerts_for(warden, os.path.join(captures, cap), os.path.join(tmp, str(i)))
            matched = set()
            for lab in labels:
                hit = [j for j, a in enumerate(alerts)
                       if a["warden"]["detector"] == lab["detector"] and a["src_ip"] == lab["src_ip"]]
                if hit:
                    found[lab["detector"]] += 1
                    matched.update(hit)
                    lines.append(f"  found  {lab['detector']:16} {lab['src_ip']:16} in {cap}")
                else:
                    missed[lab["detector"]] += 1
                    lines.append(f"  MISSED {lab['detector']:16} {lab['src_ip']:16} in {cap}")
            for j, a in enumerate(alerts):
                if j in matched:
                    continue
                if a["warden"]["severity"] in SEVERE:
                    false[a["warden"]["detector"]] += 1
                    lines.append(f"  FALSE  {a['warden']['detector']:16} {a['src_ip']:16} in {cap}")
                else:
                    findings[a["warden"]["detector"]] += 1
        for i, cap in enumerate(spec["benign"]):
            alerts = alerts_for(warden, os.path.join(captures, cap), os.path.join(tmp, f"b{i}"))
            for a in alerts:
                if a["warden"]["severity"] in SEVERE:
                    false[a["warden"]["detector"]] += 1
                    lines.append(f"  FALSE  {a['warden']['detector']:16} {a['src_ip']:16} in {cap} (benign)")
                else:
                    findings[a["warden"]["detector"]] += 1
    print("\n".join(lines))
    print(f"\n{'detector':30} {'detections':>10} {'misses':>7} {'false alerts':>13} {'low findings':>13}")
    for d in sorted(set(found) | set(missed) | set(false) | set(findings)):
        print(f"{d:30} {found[d]:10} {missed[d]:7} {false[d]:13} {findings[d]:13}")
    print(f"benign captures checked: {len(spec['benign'])}; not yet covered: "
          f"{', '.join(os.path.basename(k) for k in spec['not_yet_covered'])}")
    bad = sum(missed.values()) + sum(false.values())
    print(f"{sum(found.values())} passed, {bad} failed")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
