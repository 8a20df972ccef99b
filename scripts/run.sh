#!/usr/bin/env bash
# The main job: installs what is missing, builds warden (release) and runs `warden analyze` on
# a bundled real capture (or the captures given as arguments), writing JSON Lines and SQLite.
# Usage: scripts/run.sh [CAPTURE...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target warden
if (($# == 0)); then
  # The Hide'n'Seek IoT botnet capture (Stratosphere): an infected Raspberry Pi scanning.
  set -- tests/data/captures/slips/test7-malicious.pcap tests/data/captures/ndpi/pcap/alexa-app.pcapng
fi
exec build/release/src/app/warden analyze -o warden-out/run "$@"
