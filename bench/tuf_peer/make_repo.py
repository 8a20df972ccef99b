#!/usr/bin/env python3
"""A standard TUF 1.0 repository (spec 1.0.31 JSON) for the tuf-js peer of bench/update_bench.sh.

Same shape as `update_bench publish`: TARGETS small targets (1-4 KiB, random) and one
BIG_BYTES-byte target `firmware.bin`, all in the top-level targets role, each with length,
sha256 + sha512 hashes and a custom {"version": ...} (as warden's bench gives its targets).
One Ed25519 key per top-level role (threshold 1), keyid = SHA-256 of the canonical JSON of the
public key (TUF 1.0 section 4.2), signatures over the canonical JSON of "signed"
(securesystemslib.formats.encode_canonical), made with python3-cryptography's Ed25519.
consistent_snapshot is true, so the repository is

    OUT/metadata/1.root.json 1.targets.json 1.snapshot.json timestamp.json
    OUT/targets/<sha256>.<name>

Snapshot lists targets.json and timestamp lists snapshot.json with version, length and sha256.
Files are written compactly in canonical JSON (what python-tuf's default serializer writes is
indented; canonical is smaller and is what gets signed anyway). Offline: no network, no PyPI.

Usage: make_repo.py OUT [--targets 1000] [--big-bytes 50000000] [--seed 1] [--days 365]
Prints one JSON line (sizes, seconds) on stdout.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import sys
import time

try:
    from securesystemslib.formats import encode_canonical
except ImportError:  # python3-securesystemslib (Debian 12) lives in /usr/lib/python3/dist-packages
    sys.exit("make_repo.py: securesystemslib missing (apt-get install python3-securesystemslib; "
             "run with /usr/bin/python3 when python3 is another interpreter)")
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SPEC_VERSION = "1.0.31"


def canonical(obj) -> bytes:
    return encode_canonical(obj).encode("utf-8")


class Key:
    def __init__(self):
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        self.public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": raw.hex()}}
        self.keyid = hashlib.sha256(canonical(self.public)).hexdigest()

    def sign(self, signed: dict) -> dict:
        return {"keyid": self.keyid, "sig": self.private.sign(canonical(signed)).hex()}


def envelope(signed: dict, key: Key) -> bytes:
    return canonical({"signatures": [key.sign(signed)], "signed": signed})


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def meta_entry(data: bytes, version: int) -> dict:
    return {"version": version, "length": len(data),
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--big-bytes", type=int, default=50_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=365)
    a = ap.parse_args()
    t0 = time.monotonic()
    meta_dir = os.path.join(a.out, "metadata")
    tgt_dir = os.path.join(a.out, "targets")
    os.makedirs(meta_dir, exist_ok=True)
    os.makedirs(tgt_dir, exist_ok=True)
    rng = random.Random(a.seed)
    expires = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) +
               datetime.timedelta(days=a.days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Targets: written as targets/<sha256>.<name> (consistent snapshot; tuf-js takes the first
    # hash of the entry, "sha256" in canonical key order).
    targets = {}
    small_bytes = 0

    def add(name: str, chunks, version: str) -> None:
        h256, h512, n = hashlib.sha256(), hashlib.sha512(), 0
        tmp = os.path.join(tgt_dir, ".tmp")
        with open(tmp, "wb") as f:
            for c in chunks:
                h256.update(c); h512.update(c); n += len(c)
                f.write(c)
        os.replace(tmp, os.path.join(tgt_dir, f"{h256.hexdigest()}.{name}"))
        targets[name] = {"length": n, "hashes": {"sha256": h256.hexdigest(),
                                                 "sha512": h512.hexdigest()},
                         "custom": {"version": version}}

    for i in range(a.targets):
        size = rng.randint(1024, 4096)
        small_bytes += size
        add(f"t{i:05d}.bin", [rng.randbytes(size)], f"1.0.{i}")

    def big_chunks():  # 1 MiB pieces, so memory stays small
        left = a.big_bytes
        while left:
            n = min(left, 1 << 20)
            yield rng.randbytes(n)
            left -= n

    add("firmware.bin", big_chunks(), "2.0.0")

    keys = {role: Key() for role in ("root", "targets", "snapshot", "timestamp")}
    root = {
        "_type": "root", "spec_version": SPEC_VERSION, "version": 1, "expires": expires,
        "consistent_snapshot": True,
        "keys": {k.keyid: k.public for k in keys.values()},
        "roles": {role: {"keyids": [k.keyid], "threshold": 1} for role, k in keys.items()},
    }
    root_bytes = envelope(root, keys["root"])
    write(os.path.join(meta_dir, "1.root.json"), root_bytes)

    targets_md = {"_type": "targets", "spec_version": SPEC_VERSION, "version": 1,
                  "expires": expires, "targets": targets}
    targets_bytes = envelope(targets_md, keys["targets"])
    write(os.path.join(meta_dir, "1.targets.json"), targets_bytes)

    snapshot = {"_type": "snapshot", "spec_version": SPEC_VERSION, "version": 1,
                "expires": expires, "meta": {"targets.json": meta_entry(targets_bytes, 1)}}
    snapshot_bytes = envelope(snapshot, keys["snapshot"])
    write(os.path.join(meta_dir, "1.snapshot.json"), snapshot_bytes)

    timestamp = {"_type": "timestamp", "spec_version": SPEC_VERSION, "version": 1,
                 "expires": expires, "meta": {"snapshot.json": meta_entry(snapshot_bytes, 1)}}
    timestamp_bytes = envelope(timestamp, keys["timestamp"])
    write(os.path.join(meta_dir, "timestamp.json"), timestamp_bytes)

    print(json.dumps({
        "targets": a.targets, "small_bytes": small_bytes, "big_bytes": a.big_bytes,
        "sizes": {"root.json": len(root_bytes), "targets.json": len(targets_bytes),
                  "snapshot.json": len(snapshot_bytes), "timestamp.json": len(timestamp_bytes)},
        "metadata_bytes": len(root_bytes) + len(targets_bytes) + len(snapshot_bytes) +
                          len(timestamp_bytes),
        "big_sha256": targets["firmware.bin"]["hashes"]["sha256"],
        "seconds": round(time.monotonic() - t0, 3),
    }))


if __name__ == "__main__":
    main()
