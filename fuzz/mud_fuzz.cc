// Fuzzes the MUD file parser (a MUD file is fetched from a URL the device announces, so it is
// attacker-controlled): parse_mud never crashes, and what it accepts is consistent: every
// policy names an ACL that exists, port ranges are ordered, and the summary can be built.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mud/mud.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::mud;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_mud(text);
  if (!r) {
    if (r.error().reason.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& n : r->from_device_policy)
    if (!r->find_acl(n)) __builtin_trap();
  for (const auto& n : r->to_device_policy)
    if (!r->find_acl(n)) __builtin_trap();
  for (const auto& acl : r->acls) {
    if (acl.name.empty()) __builtin_trap();
    for (const auto& ace : acl.aces) {
      if (ace.name.empty()) __builtin_trap();
      for (const auto* p : {&ace.src_port, &ace.dst_port})
        if (*p && (*p)->op == PortMatch::Op::kRange && (*p)->port > (*p)->upper) __builtin_trap();
    }
  }
  (void)dns_names(*r);
  (void)summary(*r);
  return 0;
}
