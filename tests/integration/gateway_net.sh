# shellcheck shell=bash
# A small routed home network in network namespaces, for `warden gateway` tests and benchmarks.
# Source this file, then:
#
#   gw_up PREFIX [DEVICES=4]    build it (needs root, iproute2, dnsmasq, mosquitto, iperf3, python3)
#   gw_down PREFIX              kill what gw_up started (by PID) and delete its namespaces
#
#   ${PREFIX}r   the router: bridge br0 (10.77.0.1/16) holding the devices' links, with
#                bridge-nf-call-iptables=1 (bridged device-to-device traffic crosses the inet
#                forward hook as well as routed traffic), ip_forward=1, and wan0 (192.0.2.1/24)
#                towards the internet, default route via 192.0.2.2. dnsmasq answers on
#                10.77.0.1:53 (no upstream, no DHCP): updates.acme.example -> 203.0.113.10,
#                mqtt.acme.example -> 203.0.113.20; queries are logged to $GW_DIR/dnsmasq.log.
#   ${PREFIX}i   "the internet" (TEST-NET addresses only, nothing leaves the machine):
#                192.0.2.2 (link), 203.0.113.10 (HTTP on 80, python3 http.server serving
#                $GW_DIR/www: / and /index.html), 203.0.113.20 (mosquitto on 1883, anonymous),
#                203.0.113.10 also echoes UDP on port 7 (a two-way flow conntrack calls
#                established), 198.51.100.7 (iperf3 -s on 5201); route to 10.77.0.0/16 via the
#                router.
#   ${PREFIX}dN  device N (1..DEVICES): eth0 with MAC 02:77:00:00:00:XX and 10.77.0.XX/16 where
#                XX = 10 + N (d1 = .11, d2 = .12, ...), default route via 10.77.0.1, resolver
#                10.77.0.1 (/etc/netns/${PREFIX}dN/resolv.conf, used by `ip netns exec`).
#
# No NAT: the internet side sees the devices' own addresses. IPv6 is off everywhere (quiet
# captures). Everything gw_up starts is recorded in $GW_DIR/pids; gw_down kills those PIDs,
# then whatever else still runs inside the namespaces (they are ours), then deletes them.
# Helpers: gw_ns PREFIX N (device namespace), gw_mac N, gw_ip N, gw_dev PREFIX N CMD...
# (run CMD in device N), gw_router PREFIX CMD..., gw_inet PREFIX CMD..., gw_udp_echo PREFIX N
# SPORT (a UDP round trip to 203.0.113.10:7 from a fixed source port).
# After gw_up, GW_DIR holds the state directory (/tmp/gwnet.PREFIX).

GW_PY=/usr/bin/python3
[[ -x $GW_PY ]] || GW_PY=$(command -v python3)

gw_ns() { echo "${1}d${2}"; }
gw_ip() { echo "10.77.0.$((10 + $1))"; }
gw_mac() { printf '02:77:00:00:00:%02d\n' "$((10 + $1))"; }
gw_dev() { local p=$1 n=$2; shift 2; ip netns exec "${p}d${n}" "$@"; }
gw_router() { local p=$1; shift; ip netns exec "${p}r" "$@"; }
gw_inet() { local p=$1; shift; ip netns exec "${p}i" "$@"; }
# gw_udp_echo PREFIX N SPORT: one datagram from device N's UDP port SPORT to 203.0.113.10:7;
# succeeds when the echo comes back within 1 s. The same SPORT reuses the same conntrack entry.
gw_udp_echo() {
  ip netns exec "${1}d${2}" "$GW_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))
s.settimeout(1)
s.sendto(b"warden", ("203.0.113.10", 7))
sys.exit(0 if s.recvfrom(64)[0] == b"warden" else 1)' "$3" 2>/dev/null
}

gw_tools_missing() {  # prints the missing tools, if any
  local t missing=()
  for t in ip dnsmasq mosquitto iperf3 sysctl; do command -v "$t" >/dev/null || missing+=("$t"); done
  [[ -x $GW_PY ]] || missing+=(python3)
  echo "${missing[*]}"
}

# _gw_bg PREFIX NS LOGNAME CMD...: start CMD in namespace NS in the background, record its PID.
_gw_bg() {
  local p=$1 ns=$2 log=$3; shift 3
  local dir=/tmp/gwnet.$p
  ip netns exec "$ns" "$@" >"$dir/$log.log" 2>&1 </dev/null &
  echo "$!" >>"$dir/pids"
}

# _gw_wait_port NS ADDR PORT [tcp|udp]: wait up to 5 s for a listener.
_gw_wait_port() {
  local ns=$1 addr=$2 port=$3 proto=${4:-tcp} flag=-lnt
  [[ $proto == udp ]] && flag=-lnu
  for _ in $(seq 100); do
    ip netns exec "$ns" ss $flag 2>/dev/null | grep -q "$addr:$port " && return 0
    sleep 0.05
  done
  echo "gw_up: nothing listens on $addr:$port/$proto in $ns" >&2
  return 1
}

gw_up() {
  local p=$1 n=${2:-4} i ns
  [[ -n $p ]] || { echo "gw_up PREFIX [DEVICES]" >&2; return 1; }
  ((n >= 1 && n <= 89)) || { echo "gw_up: 1..89 devices" >&2; return 1; }
  GW_DIR=/tmp/gwnet.$p
  rm -rf "$GW_DIR"; mkdir -p "$GW_DIR/www"; chmod 755 "$GW_DIR"
  : >"$GW_DIR/pids"; echo "$n" >"$GW_DIR/devices"
  local r=${p}r inet=${p}i
  ip netns add "$r" || return 1
  ip netns add "$inet" || return 1
  for ns in "$r" "$inet"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done

  # Router: bridge, forwarding, bridged traffic through the inet hooks.
  ip -n "$r" link add br0 type bridge || return 1
  ip -n "$r" link set br0 type bridge stp_state 0 forward_delay 0
  ip -n "$r" addr add 10.77.0.1/16 dev br0
  ip -n "$r" link set br0 up
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 || return 1
  ip netns exec "$r" sysctl -qw net.bridge.bridge-nf-call-iptables=1 ||
    { echo "gw_up: net.bridge.bridge-nf-call-iptables not available (br_netfilter)" >&2; return 1; }

  # WAN link to the internet namespace.
  ip -n "$r" link add wan0 type veth peer name eth0 netns "$inet" || return 1
  ip -n "$r" addr add 192.0.2.1/24 dev wan0
  ip -n "$r" link set wan0 up
  ip -n "$r" route add default via 192.0.2.2
  ip -n "$inet" addr add 192.0.2.2/24 dev eth0
  local a
  for a in 203.0.113.10 203.0.113.20 198.51.100.7; do ip -n "$inet" addr add "$a/32" dev eth0; done
  ip -n "$inet" link set eth0 up
  ip -n "$inet" route add 10.77.0.0/16 via 192.0.2.1

  # Devices.
  for ((i = 1; i <= n; i++)); do
    ns=${p}d$i
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$r" link add "d$i" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$ns" link set eth0 address "$(gw_mac "$i")"
    ip -n "$ns" addr add "$(gw_ip "$i")/16" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via 10.77.0.1
    ip -n "$r" link set "d$i" master br0
    ip -n "$r" link set "d$i" up
    mkdir -p "/etc/netns/$ns"
    echo "nameserver 10.77.0.1" >"/etc/netns/$ns/resolv.conf"
  done

  # Services on the internet side.
  echo "warden gateway test update server" >"$GW_DIR/www/index.html"
  _gw_bg "$p" "$inet" http "$GW_PY" -m http.server 80 --bind 203.0.113.10 --directory "$GW_DIR/www"
  printf 'listener 1883 203.0.113.20\nallow_anonymous true\npersistence false\nlog_dest stdout\n' \
    >"$GW_DIR/mosquitto.conf"
  _gw_bg "$p" "$inet" mosquitto mosquitto -c "$GW_DIR/mosquitto.conf"
  _gw_bg "$p" "$inet" iperf3 iperf3 -s -B 198.51.100.7
  _gw_bg "$p" "$inet" echo "$GW_PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.10", 7))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)'
  # DNS on the router.
  _gw_bg "$p" "$r" dnsmasq-stdout dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --user=root --listen-address=10.77.0.1 --bind-interfaces --port=53 \
    --address=/updates.acme.example/203.0.113.10 --address=/mqtt.acme.example/203.0.113.20 \
    --log-queries --log-facility="$GW_DIR/dnsmasq.log" --pid-file="$GW_DIR/dnsmasq.pid"
  _gw_wait_port "$inet" 203.0.113.10 80 || return 1
  _gw_wait_port "$inet" 203.0.113.20 1883 || return 1
  _gw_wait_port "$inet" 198.51.100.7 5201 || return 1
  _gw_wait_port "$inet" 203.0.113.10 7 udp || return 1
  _gw_wait_port "$r" 10.77.0.1 53 udp || return 1
  # Warm the bridge's forwarding table and the neighbour caches.
  for ((i = 1; i <= n; i++)); do ip netns exec "${p}d$i" ping -c1 -W1 -q 10.77.0.1 >/dev/null 2>&1; done
  ip netns exec "$r" ping -c1 -W1 -q 192.0.2.2 >/dev/null 2>&1
  return 0
}

gw_down() {
  local p=$1 dir=/tmp/gwnet.$1 pid ns n=0
  [[ -n $p ]] || return 0
  if [[ -f $dir/pids ]]; then
    while read -r pid; do [[ -n $pid ]] && kill "$pid" 2>/dev/null; done <"$dir/pids"
  fi
  [[ -f $dir/devices ]] && n=$(cat "$dir/devices")
  local all=("${p}r" "${p}i")
  for ((i = 1; i <= n; i++)); do all+=("${p}d$i"); done
  # Anything else still running in our namespaces (clients a test left behind): by PID.
  sleep 0.1
  for ns in "${all[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for ns in "${all[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  rm -rf "$dir"
  return 0
}
