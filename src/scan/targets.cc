#include "scan/targets.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace warden::scan {
namespace {

bool parse_uint(std::string_view s, unsigned long max, unsigned long& v) {
  if (s.empty() || s.size() > 10) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v <= max;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

Result<bool, std::string> expand_target(std::string_view text, std::vector<IpAddr>& out,
                                        std::size_t limit) {
  auto too_many = [&] {
    return unexpected("target " + quoted(text) + " has more than " + std::to_string(limit) +
                      " addresses (name a smaller range)");
  };
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto base = IpAddr::parse(text.substr(0, slash));
    unsigned long bits = 0;
    if (!base) return unexpected("not an address in " + quoted(text));
    const unsigned long max_bits = base->is_v4() ? 32 : 128;
    if (!parse_uint(text.substr(slash + 1), max_bits, bits)) {
      return unexpected("bad prefix length in " + quoted(text));
    }
    if (!base->is_v4()) {
      if (bits != 128)
        return unexpected(std::string("IPv6 blocks are too large to sweep; name addresses"));
      out.push_back(*base);
      return true;
    }
    const std::uint64_t size = 1ULL << (32 - bits);
    if (size > limit) return too_many();
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    const std::uint32_t net = base->v4_host_order() & mask;
    std::uint64_t first = net, last = net + size - 1;
    if (size >= 4) {  // network and broadcast addresses are not devices
      ++first;
      --last;
    }
    for (std::uint64_t a = first; a <= last; ++a) {
      out.push_back(IpAddr::v4(static_cast<std::uint32_t>(a)));
    }
    return true;
  }
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto lo = IpAddr::parse(text.substr(0, dash));
    if (!lo || !lo->is_v4()) return unexpected("ranges need an IPv4 start in " + quoted(text));
    std::string_view rest = text.substr(dash + 1);
    std::uint32_t hi_v = 0;
    unsigned long last_octet = 0;
    if (auto hi = IpAddr::parse(rest); hi && hi->is_v4()) {
      hi_v = hi->v4_host_order();
    } else if (parse_uint(rest, 255, last_octet)) {
      hi_v = (lo->v4_host_order() & 0xffffff00u) | static_cast<std::uint32_t>(last_octet);
    } else {
      return unexpected("bad range end in " + quoted(text));
    }
    const std::uint32_t lo_v = lo->v4_host_order();
    if (hi_v < lo_v) return unexpected("range end before its start in " + quoted(text));
    if (std::uint64_t{hi_v} - lo_v + 1 > limit) return too_many();
    for (std::uint64_t a = lo_v; a <= hi_v; ++a) {
      out.push_back(IpAddr::v4(static_cast<std::uint32_t>(a)));
    }
    return true;
  }
  auto addr = IpAddr::parse(text);
  if (!addr) return unexpected("not an address, CIDR block or range: " + quoted(text));
  out.push_back(*addr);
  return true;
}

Result<std::vector<IpAddr>, std::string> expand_targets(const std::vector<std::string>& texts,
                                                        std::size_t limit) {
  std::vector<IpAddr> all;
  for (const auto& t : texts) {
    auto r = expand_target(t, all, limit);
    if (!r) return unexpected(r.error());
    if (all.size() > limit) {
      return unexpected("more than " + std::to_string(limit) + " target addresses in all");
    }
  }
  std::set<IpAddr> seen;
  std::vector<IpAddr> unique;
  for (const auto& a : all) {
    if (seen.insert(a).second) unique.push_back(a);
  }
  return unique;
}

Result<std::vector<std::uint16_t>, std::string> parse_ports(std::string_view text) {
  std::vector<std::uint16_t> ports;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    unsigned long lo = 0, hi = 0;
    auto dash = item.find('-');
    bool ok = dash == std::string_view::npos ? parse_uint(item, 65535, lo) && (hi = lo, true)
                                             : parse_uint(item.substr(0, dash), 65535, lo) &&
                                                   parse_uint(item.substr(dash + 1), 65535, hi);
    if (!ok || lo == 0 || hi < lo) return unexpected("bad port or range " + quoted(item));
    for (unsigned long p = lo; p <= hi; ++p) ports.push_back(static_cast<std::uint16_t>(p));
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  if (ports.empty()) return unexpected(std::string("empty port list"));
  return ports;
}

}  // namespace warden::scan
