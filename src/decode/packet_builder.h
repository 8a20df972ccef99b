// PacketBuilder: builds well-formed Ethernet/IP/TCP/UDP frames for tests and benchmark
// generators (e.g. the one-packet-flow flood). Test support only: no production code includes it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/net.h"

namespace warden::decode {

class PacketBuilder {
 public:
  PacketBuilder& ethernet(const MacAddr& src, const MacAddr& dst, std::uint16_t vlan = 0) {
    put(dst.b.data(), 6);
    put(src.b.data(), 6);
    if (vlan != 0) {
      be16(0x8100);
      be16(vlan);
    }
    ethertype_at_ = out_.size();
    be16(0);
    return *this;
  }
  PacketBuilder& ipv4(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                      std::uint8_t ttl = 64) {
    set_ethertype(0x0800);
    ip_at_ = out_.size();
    v6_ = false;
    u8(0x45);
    u8(0);
    be16(0);
    be16(0);
    be16(0x4000);
    u8(ttl);
    u8(proto);
    be16(0);
    put(src.raw().data() + 12, 4);
    put(dst.raw().data() + 12, 4);
    return *this;
  }
  PacketBuilder& ipv6(const IpAddr& src, const IpAddr& dst, std::uint8_t next,
                      std::uint8_t hops = 64) {
    set_ethertype(0x86dd);
    ip_at_ = out_.size();
    v6_ = true;
    be16(0x6000);
    be16(0);
    be16(0);
    u8(next);
    u8(hops);
    put(src.raw().data(), 16);
    put(dst.raw().data(), 16);
    return *this;
  }
  PacketBuilder& tcp(std::uint16_t sp, std::uint16_t dp, std::uint8_t flags, std::uint32_t seq = 1,
                     std::uint32_t ack = 0) {
    be16(sp);
    be16(dp);
    be32(seq);
    be32(ack);
    u8(0x50);
    u8(flags);
    be16(65535);
    be16(0);
    be16(0);
    return *this;
  }
  PacketBuilder& udp(std::uint16_t sp, std::uint16_t dp) {
    udp_at_ = out_.size();
    be16(sp);
    be16(dp);
    be16(0);
    be16(0);
    return *this;
  }
  PacketBuilder& icmp_echo(bool request, std::uint16_t id, std::uint16_t seq) {
    u8(request ? 8 : 0);
    u8(0);
    be16(0);
    be16(id);
    be16(seq);
    return *this;
  }
  PacketBuilder& payload(std::string_view s) {
    put(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    return *this;
  }
  PacketBuilder& raw(std::initializer_list<std::uint8_t> bytes) {
    for (auto b : bytes) u8(b);
    return *this;
  }

  // Fixes up the IP and UDP length fields and returns the frame.
  std::vector<std::byte> build() {
    if (ip_at_ != kNone) {
      std::size_t ip_len = out_.size() - ip_at_;
      if (v6_)
        set16(ip_at_ + 4, static_cast<std::uint16_t>(ip_len - 40));
      else
        set16(ip_at_ + 2, static_cast<std::uint16_t>(ip_len));
    }
    if (udp_at_ != kNone) set16(udp_at_ + 4, static_cast<std::uint16_t>(out_.size() - udp_at_));
    std::vector<std::byte> v(out_.size());
    for (std::size_t i = 0; i < out_.size(); ++i) v[i] = std::byte{out_[i]};
    return v;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  void u8(std::uint8_t v) { out_.push_back(v); }
  void be16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void be32(std::uint32_t v) {
    be16(static_cast<std::uint16_t>(v >> 16));
    be16(static_cast<std::uint16_t>(v));
  }
  void put(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }
  void set16(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  void set_ethertype(std::uint16_t t) {
    if (ethertype_at_ != kNone) set16(ethertype_at_, t);
  }
  std::vector<std::uint8_t> out_;
  std::size_t ethertype_at_ = kNone, ip_at_ = kNone, udp_at_ = kNone;
  bool v6_ = false;
};

}  // namespace warden::decode
