#!/usr/bin/env python3
"""Builds the decode and pipeline seed corpora from the bundled real captures.

decode:   one frame per file, prefixed with the link selector byte decode_fuzz expects.
pipeline: one file per capture: its first frames as [selector:1][length:2 BE][frame] records.
Classic pcap only (the parser corpus covers pcapng). Run from the repository root:
    python3 fuzz/make_seeds.py
"""
import os
import struct

CAPTURES = "tests/data/captures"
# decode_fuzz selectors: index into {Ethernet, Raw, SLL, SLL2, Null, Loop, IPv4, IPv6}.
DECODE_SEL = {1: 0, 101: 1, 113: 2, 276: 3}
PIPE_SEL = {1: 0, 101: 1, 113: 2, 276: 3}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        return None, []
    link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    out, at = [], 24
    while at + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        at += 16
        out.append(data[at:at + incl])
        at += incl
    return link, out


def main():
    os.makedirs("fuzz/corpus/decode", exist_ok=True)
    os.makedirs("fuzz/corpus/pipeline", exist_ok=True)
    for root, _, names in os.walk(CAPTURES):
        for name in sorted(names):
            if not name.endswith(".pcap"):
                continue
            link, fr = frames(os.path.join(root, name))
            if link not in DECODE_SEL or not fr:
                continue
            stem = name.replace(".pcap", "")
            # decode: a few distinct frame shapes per capture (first, a middle one, the largest).
            picks = {0: fr[0], 1: fr[len(fr) // 2], 2: max(fr, key=len)}
            for i, frame in picks.items():
                with open(f"fuzz/corpus/decode/{stem}-{i}", "wb") as f:
                    f.write(bytes([DECODE_SEL[link]]) + frame)
            # pipeline: up to 48 frames in capture order (handshakes, requests and answers).
            blob = b"".join(bytes([PIPE_SEL[link]]) + struct.pack(">H", len(x)) + x
                            for x in fr[:48] if len(x) < 65536)
            with open(f"fuzz/corpus/pipeline/{stem}", "wb") as f:
                f.write(blob[:60000])


if __name__ == "__main__":
    main()
