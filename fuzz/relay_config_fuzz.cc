// Fuzzes the relay's config parser (an operator's file, but also what a reload reads while the
// relay runs): whatever it accepts must be internally consistent and resolve a grant safely.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/config.h"
#include "relay/match.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::relay;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = parse_config(text, "/etc/warden");
  if (!cfg) {
    if (cfg.error().message.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& r : cfg->rules) {
    if (r.upstream >= cfg->upstreams.size()) __builtin_trap();
    auto g = find_grant(*cfg, r.tenant, "device-1");
    if (g)
      for (const auto& t : g->topics)
        if (!valid_topic_filter(t)) __builtin_trap();
  }
  return 0;
}
