#include "flow/flow.h"

#include <cstring>

namespace warden::flow {

namespace {
std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}
}  // namespace

std::uint64_t FlowKey::hash() const {
  std::uint64_t w[4];
  std::memcpy(w, lo_ip.raw().data(), 16);
  std::memcpy(w + 2, hi_ip.raw().data(), 16);
  std::uint64_t ports = (std::uint64_t{lo_port} << 48) | (std::uint64_t{hi_port} << 32) |
                        (std::uint64_t{vlan} << 8) | proto;
  std::uint64_t h = mix(w[0] ^ 0x9e3779b97f4a7c15ull);
  h = mix(h ^ w[1]);
  h = mix(h ^ w[2]);
  h = mix(h ^ w[3]);
  return mix(h ^ ports);
}

FlowKey make_key(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst,
                 std::uint16_t dst_port, std::uint8_t proto, std::uint16_t vlan, bool& src_is_lo) {
  FlowKey k;
  k.proto = proto;
  k.vlan = vlan;
  src_is_lo = src < dst || (src == dst && src_port <= dst_port);
  if (src_is_lo) {
    k.lo_ip = src;
    k.lo_port = src_port;
    k.hi_ip = dst;
    k.hi_port = dst_port;
  } else {
    k.lo_ip = dst;
    k.lo_port = dst_port;
    k.hi_ip = src;
    k.hi_port = src_port;
  }
  return k;
}

std::string_view end_reason_name(EndReason r) {
  switch (r) {
    case EndReason::kIdle:
      return "idle";
    case EndReason::kTcpClosed:
      return "closed";
    case EndReason::kEvicted:
      return "evicted";
    case EndReason::kShutdown:
      return "end_of_capture";
  }
  return "unknown";
}

std::string_view Flow::conn_state() const {
  // Bits per direction are defined in flow_table.cc (TcpEvent); mirrored here by value.
  constexpr std::uint16_t kSyn = 1, kSynAck = 2, kFin = 4, kRst = 8;
  if (key.proto != 6) return dir[1].packets > 0 ? "SF" : "S0";
  const std::uint16_t o = tcp_seen & 0xff, r = tcp_seen >> 8;
  const bool syn = o & kSyn, synack = r & kSynAck;
  if (!syn && !synack) return "OTH";
  if (syn && !synack) {
    if (r & kRst) return "REJ";
    if (o & kRst) return "RSTOS0";
    if (o & kFin) return "SH";
    return dir[1].packets == 0 ? "S0" : "OTH";
  }
  if (!syn) {
    if (r & kRst) return "RSTRH";
    if (r & kFin) return "SHR";
    return "OTH";
  }
  if (o & kRst) return "RSTO";
  if (r & kRst) return "RSTR";
  if ((o & kFin) && (r & kFin)) return "SF";
  if (o & kFin) return "S2";
  if (r & kFin) return "S3";
  return "S1";
}

std::uint64_t Flow::uid_value() const {
  return mix(key.hash() ^ static_cast<std::uint64_t>(first_ts));
}

std::string Flow::uid() const { return uid_text(uid_value()); }

std::string uid_text(std::uint64_t h) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out = "C";
  for (int i = 0; i < 11; ++i) {
    out.push_back(kAlphabet[h % 62]);
    h /= 62;
  }
  return out;
}

}  // namespace warden::flow
