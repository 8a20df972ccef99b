#include "core/net.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace warden {

namespace {
constexpr std::array<std::uint8_t, 12> kV4Prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

MacAddr MacAddr::from(Bytes six) {
  MacAddr m;
  std::memcpy(m.b.data(), six.data(), six.size() < 6 ? six.size() : 6);
  return m;
}

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  MacAddr m;
  if (text.size() != 17) return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      char c = text[i * 3 + j];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        return std::nullopt;
    }
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
    m.b[i] = static_cast<std::uint8_t>(v);
  }
  return m;
}

std::uint64_t MacAddr::as_u64() const {
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v;
}

std::string MacAddr::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(17, ':');
  for (std::size_t i = 0; i < 6; ++i) {
    out[i * 3] = kHex[b[i] >> 4];
    out[i * 3 + 1] = kHex[b[i] & 0xf];
  }
  return out;
}

IpAddr IpAddr::v4(std::uint32_t h) {
  IpAddr ip;
  std::memcpy(ip.a_.data(), kV4Prefix.data(), 12);
  ip.a_[12] = static_cast<std::uint8_t>(h >> 24);
  ip.a_[13] = static_cast<std::uint8_t>(h >> 16);
  ip.a_[14] = static_cast<std::uint8_t>(h >> 8);
  ip.a_[15] = static_cast<std::uint8_t>(h);
  return ip;
}

IpAddr IpAddr::v4(Bytes four) {
  std::uint32_t h = 0;
  for (std::size_t i = 0; i < 4 && i < four.size(); ++i) h = (h << 8) | byte_at(four, i);
  return v4(h);
}

IpAddr IpAddr::v6(Bytes sixteen) {
  IpAddr ip;
  for (std::size_t i = 0; i < 16 && i < sixteen.size(); ++i) ip.a_[i] = byte_at(sixteen, i);
  return ip;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    return v4(Bytes(reinterpret_cast<const std::byte*>(&a4), 4));
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    return v6(Bytes(reinterpret_cast<const std::byte*>(&a6), 16));
  }
  return std::nullopt;
}

bool IpAddr::is_v4() const { return std::memcmp(a_.data(), kV4Prefix.data(), 12) == 0; }

bool IpAddr::is_unspecified() const {
  if (is_v4()) return v4_host_order() == 0;
  return a_ == std::array<std::uint8_t, 16>{};
}

std::uint32_t IpAddr::v4_host_order() const {
  return (std::uint32_t{a_[12]} << 24) | (std::uint32_t{a_[13]} << 16) |
         (std::uint32_t{a_[14]} << 8) | a_[15];
}

bool IpAddr::is_multicast() const {
  if (is_v4()) return (a_[12] & 0xf0) == 0xe0;
  return a_[0] == 0xff;
}

bool IpAddr::is_broadcast() const { return is_v4() && v4_host_order() == 0xffffffffu; }

bool IpAddr::is_loopback() const {
  if (is_v4()) return a_[12] == 127;
  std::array<std::uint8_t, 16> lo{};
  lo[15] = 1;
  return a_ == lo;
}

bool IpAddr::is_link_local() const {
  if (is_v4()) return a_[12] == 169 && a_[13] == 254;
  return a_[0] == 0xfe && (a_[1] & 0xc0) == 0x80;
}

bool IpAddr::is_private() const {
  if (is_v4()) {
    std::uint32_t h = v4_host_order();
    return (h >> 24) == 10 || (h >> 20) == (172u << 4 | 1) || (h >> 16) == (192u << 8 | 168) ||
           (h & 0xffc00000u) == 0x64400000u;  // 100.64.0.0/10
  }
  return (a_[0] & 0xfe) == 0xfc;  // fc00::/7
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, and every record has addresses.
    char* p = buf;
    for (std::size_t i = 12; i < 16; ++i) {
      unsigned v = a_[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 15) *p++ = '.';
    }
    return std::string(buf, p);
  } else {
    inet_ntop(AF_INET6, a_.data(), buf, sizeof buf);
  }
  return buf;
}

std::size_t IpAddr::hash() const {
  std::uint64_t lo, hi;
  std::memcpy(&hi, a_.data(), 8);
  std::memcpy(&lo, a_.data() + 8, 8);
  std::uint64_t h = (hi * 0x9e3779b97f4a7c15ull) ^ (lo + 0x7f4a7c159e3779b9ull + (hi << 6));
  return static_cast<std::size_t>(h ^ (h >> 31));
}

}  // namespace warden
