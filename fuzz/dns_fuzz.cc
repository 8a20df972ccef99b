// Fuzzes the DNS/mDNS parser: every input is tried both as a bare (UDP) message and as a
// length-prefixed (TCP) one. Beyond "no crash", checks the bounds the header promises.
#include <cstddef>
#include <cstdint>

#include "protocols/dns.h"

namespace {

using namespace warden;
using namespace warden::protocols;

// A name of at most 255 wire bytes prints as at most 253 characters.
constexpr std::size_t kMaxDottedName = 253;

void check(const ParseResult<DnsMessage>& m, std::size_t size) {
  if (!m) {
    if (m.error().reason.empty() || m.error().offset > size) __builtin_trap();
    return;
  }
  std::size_t records = m->questions.size();
  for (const auto& q : m->questions) {
    if (q.name.size() > kMaxDottedName) __builtin_trap();
  }
  for (const auto* section : {&m->answers, &m->authorities, &m->additionals}) {
    records += section->size();
    for (const auto& r : *section) {
      if (r.name.size() > kMaxDottedName || r.target.size() > kMaxDottedName ||
          r.txt.size() > kDnsMaxTxtStrings) {
        __builtin_trap();
      }
      (void)dns_type_name(r.type);
    }
  }
  if (records > kDnsMaxRecords) __builtin_trap();
  (void)dns_rcode_name(m->rcode);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(reinterpret_cast<const std::byte*>(data), size);
  check(parse_dns(in), size);
  check(parse_dns_tcp(in), size);
  return 0;
}
