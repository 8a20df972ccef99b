// Fuzzes what the gateway turns into firewall rules: its configuration file, and MUD files
// (fetched from URLs devices announce, so attacker-controlled) through policy::from_mud and
// the nftables renderer. Besides never crashing, the rendered script must not be injectable:
// every rule line is one nft statement (no ';' separator, no '#' comment, no newline smuggled
// through a name or a comment, balanced quotes), whatever the input held.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enforce/ruleset.h"
#include "mud/mud.h"
#include "policy/config.h"
#include "policy/policy.h"

namespace {

void check_script(const std::string& script) {
  std::size_t pos = 0;
  while (pos < script.size()) {
    auto end = script.find('\n', pos);
    if (end == std::string::npos) end = script.size();
    std::string_view line(script.data() + pos, end - pos);
    if (line.substr(0, 4) == "    " && line.find("type filter hook") == std::string_view::npos) {
      std::size_t quotes = 0;
      for (char c : line) {
        if (c == '"') ++quotes;
        if (c == ';' || c == '#' || c == '\r' || c == '\0') __builtin_trap();
      }
      if (quotes != 0 && quotes != 2) __builtin_trap();
    }
    pos = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  enforce::GatewayState s;
  s.lan_networks = {*policy::parse_prefix("10.77.0.0/16")};
  if (auto cfg = policy::parse_gateway_config(text)) {
    for (const auto& d : cfg->devices) {
      if (d.name.empty() || (!d.mac && d.addrs.empty())) __builtin_trap();
      enforce::DeviceEntry e;
      e.name = d.name;
      e.mac = d.mac;
      e.addrs = d.addrs;
      e.my_controller = d.my_controller;
      if (d.allow)
        e.policy = policy::DevicePolicy{policy::DevicePolicy::Source::kAllowList, {}, *d.allow, {}};
      s.devices.push_back(std::move(e));
    }
    s.update_names = cfg->update_names;
    s.controllers = cfg->controllers;
  } else if (cfg.error().empty()) {
    __builtin_trap();
  }
  if (auto mud = mud::parse_mud(text)) {
    if (auto p = policy::from_mud(*mud)) {
      enforce::DeviceEntry e;
      e.name = "fuzzed";
      e.mac = MacAddr::parse("02:00:00:00:00:01");
      e.addrs = {*IpAddr::parse("10.77.0.2")};
      e.my_controller = {*IpAddr::parse("10.77.0.1")};
      for (const auto& r : p->rules) (void)policy::describe(r);
      e.policy = std::move(*p);
      s.devices.push_back(std::move(e));
    }
  }
  auto rendered = enforce::render_table(s, 1, 0);
  check_script(rendered.script);
  (void)enforce::dnsmasq_nftsets(s);
  return 0;
}
