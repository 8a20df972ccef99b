#!/usr/bin/env bash
# Installs everything warden needs to build, test and benchmark on Debian 12, with apt-get.
# Usage: scripts/install-deps.sh [--bench]
#   --bench   also the peer tools the benchmarks race (ndpiReader, tshark, tcpdump, nmap, stunnel4,
#             node + npm and securesystemslib for the tuf-js peer of bench/update_bench.sh)
# Does nothing (and needs no network) when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libpcap-dev libsqlite3-dev libssl-dev
  googletest libgtest-dev libbenchmark-dev
  ieee-data                 # IEEE OUI registries: device vendors
  libcurl4-openssl-dev      # warden intel: fetching indicator lists from URLs
  clang libclang-rt-14-dev  # libFuzzer targets
  sqlite3 iproute2 iputils-ping procps python3  # integration tests: netns, ping, db checks
  hping3                    # integration tests: real floods between our own namespaces
  libnftables-dev nftables  # warden gateway: enforcement through libnftables
  libssh-dev                # warden scan: SSH password checks through libssh
  libbotan-2-dev            # warden update: XMSS (RFC 8391) hash-based signatures
  # warden scan integration test: the bench of real vulnerable daemons (../shared/bench)
  miniupnpd miniupnpd-nftables miniupnpc busybox-static inetutils-telnetd openbsd-inetd
  lighttpd openssh-server openssl
  libnetfilter-conntrack-dev  # warden gateway: a quarantine forgets the device's connections
  iperf3 dnsmasq-base mosquitto mosquitto-clients curl netcat-openbsd dnsutils jq  # gateway tests and bench: real clients and servers in namespaces
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libndpi-bin tshark tcpdump time util-linux bc nmap stunnel4)
  # bench/update_bench.sh's peer: tuf-js on Node (npm ci in bench/tuf_peer), its TUF repository
  # made by bench/tuf_peer/make_repo.py. A nodejs from NodeSource already ships npm and Conflicts
  # with Debian's npm package, so npm is asked for only when there is no npm at all.
  packages+=(python3-securesystemslib python3-cryptography nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
