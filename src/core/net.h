// Link and network addresses as small value types. IpAddr holds IPv4 as an IPv4-mapped IPv6
// address so one 16-byte type serves both families in flow keys and device tables.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace warden {

struct MacAddr {
  std::array<std::uint8_t, 6> b{};

  static MacAddr from(Bytes six);                              // caller guarantees six.size() == 6
  static std::optional<MacAddr> parse(std::string_view text);  // "aa:bb:cc:dd:ee:ff"

  bool is_zero() const { return b == std::array<std::uint8_t, 6>{}; }
  bool is_broadcast() const {
    return b == std::array<std::uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  }
  bool is_multicast() const { return (b[0] & 0x01) != 0; }  // includes broadcast
  // Locally administered (randomised by phones for privacy): the OUI says nothing about the maker.
  bool is_local() const { return (b[0] & 0x02) != 0; }
  std::uint32_t oui() const {
    return (std::uint32_t{b[0]} << 16) | (std::uint32_t{b[1]} << 8) | b[2];
  }
  std::uint64_t as_u64() const;
  std::string to_string() const;

  auto operator<=>(const MacAddr&) const = default;
};

class IpAddr {
 public:
  IpAddr() = default;
  static IpAddr v4(std::uint32_t host_order);
  static IpAddr v4(Bytes four);
  static IpAddr v6(Bytes sixteen);
  static std::optional<IpAddr> parse(std::string_view text);

  bool is_v4() const;
  bool is_unspecified() const;
  std::uint32_t v4_host_order() const;  // only meaningful when is_v4()
  const std::array<std::uint8_t, 16>& raw() const { return a_; }

  bool is_multicast() const;
  bool is_broadcast() const;  // 255.255.255.255 (directed broadcasts need the netmask)
  bool is_loopback() const;
  bool is_link_local() const;
  // RFC 1918, RFC 6598 shared space (CGNAT), IPv6 ULA: addresses that name a host on a local
  // network rather than somewhere on the internet.
  bool is_private() const;
  // A unicast address that belongs to a local device: private, link-local or loopback.
  bool is_local_unicast() const {
    return !is_multicast() && !is_broadcast() && !is_unspecified() &&
           (is_private() || is_link_local() || is_loopback());
  }

  std::string to_string() const;
  std::size_t hash() const;

  auto operator<=>(const IpAddr&) const = default;

 private:
  std::array<std::uint8_t, 16> a_{};
};

}  // namespace warden

template <>
struct std::hash<warden::IpAddr> {
  std::size_t operator()(const warden::IpAddr& a) const { return a.hash(); }
};
template <>
struct std::hash<warden::MacAddr> {
  std::size_t operator()(const warden::MacAddr& m) const {
    return std::hash<std::uint64_t>{}(m.as_u64());
  }
};
