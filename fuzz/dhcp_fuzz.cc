// Fuzzes the DHCPv4 parser: one UDP payload per input. Beyond "no crash", checks the caps the
// header promises, so a regression in a bound shows up here rather than as memory growth.
#include <cstddef>
#include <cstdint>

#include "protocols/dhcp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  auto m = parse_dhcp(Bytes(reinterpret_cast<const std::byte*>(data), size));
  if (!m) {
    if (m.error().reason.empty() || m.error().offset > size) __builtin_trap();
    return 0;
  }
  if (m->param_request_list.size() > kDhcpMaxParamList || m->client_id.size() > kDhcpMaxClientId ||
      m->routers.size() > kDhcpMaxAddresses || m->dns_servers.size() > kDhcpMaxAddresses ||
      m->hostname.size() > kDhcpMaxString || m->vendor_class.size() > kDhcpMaxString ||
      m->client_fqdn.size() > kDhcpMaxString || m->domain_name.size() > kDhcpMaxString ||
      m->mud_url.size() > kDhcpMaxString) {
    __builtin_trap();
  }
  (void)m->param_list_string();
  (void)dhcp_message_type_name(m->msg_type);
  return 0;
}
