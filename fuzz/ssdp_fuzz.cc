// Fuzzes the SSDP datagram parser and the UPnP description scanner with the same bytes (an
// SSDP payload and an XML document are both text; one corpus serves both).
#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "protocols/ssdp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto m = parse_ssdp(bytes);
  if (!m && (m.error().reason.empty() || m.error().offset > size)) __builtin_trap();

  auto d = parse_upnp_description(as_string_view(bytes));
  if (!d) {
    if (d.error().reason.empty() || d.error().offset > size) __builtin_trap();
    return 0;
  }
  if (d->service_types.size() > kUpnpMaxServices) __builtin_trap();
  for (const std::string* s :
       {&d->device_type, &d->friendly_name, &d->manufacturer, &d->manufacturer_url, &d->model_name,
        &d->model_number, &d->model_description, &d->serial_number, &d->udn,
        &d->presentation_url}) {
    if (s->size() > kUpnpMaxFieldLength) __builtin_trap();
  }
  for (const std::string& s : d->service_types) {
    if (s.size() > kUpnpMaxFieldLength) __builtin_trap();
  }
  return 0;
}
