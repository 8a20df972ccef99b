// The DNS check's query builder and answer reading. Answers are parsed by protocols::parse_dns
// (bounds-checked names, compression pointers only backwards, fuzzed as target `dns`); this
// file builds the queries and decides what an answer discloses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/dns.h"

namespace warden::scan {

inline constexpr std::uint16_t kDnsTypeA = 1;
inline constexpr std::uint16_t kDnsTypeTxt = 16;
inline constexpr std::uint16_t kDnsClassIn = 1;
inline constexpr std::uint16_t kDnsClassChaos = 3;
inline constexpr std::uint8_t kDnsRcodeRefused = 5;

// One question, no EDNS. Labels longer than 63 bytes or a name over 255 wire bytes: nullopt.
std::optional<std::string> build_dns_query(std::uint16_t id, std::string_view name,
                                           std::uint16_t type, std::uint16_t klass,
                                           bool recursion_desired);

// The answer to query `id` for `name`, or nullopt when `msg` is not that answer (a stray or
// spoofed datagram).
bool dns_answers(const protocols::DnsMessage& msg, std::uint16_t id, std::string_view name);

// The version string of a version.bind CHAOS TXT answer (the first TXT string of an answer
// record), printable; nullopt when none.
std::optional<std::string> dns_version_string(const protocols::DnsMessage& msg);

// "dnsmasq-2.90" -> {"dnsmasq","2.90"}; "unbound 1.17.1" -> {"unbound","1.17.1"};
// "9.18.19-1~deb12u1-Debian" (BIND answers a bare version) -> {"BIND","9.18.19-1~deb12u1-Debian"}.
std::pair<std::string, std::string> dns_product(std::string_view version_bind);

}  // namespace warden::scan
