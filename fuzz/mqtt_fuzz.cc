// Fuzzes the MQTT CONNECT / CONNACK parsers and the packet classifier: one TCP payload per
// input. A parsed CONNECT can hold no more text than the input carried.
#include <cstddef>
#include <cstdint>

#include "protocols/mqtt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto type = mqtt_packet_type(bytes);
  if (type && (*type < 1 || *type > 15)) __builtin_trap();
  auto c = parse_mqtt_connect(bytes);
  if (c) {
    std::size_t text = c->protocol_name.size() + c->client_id.size() +
                       (c->username ? c->username->size() : 0) +
                       (c->will_topic ? c->will_topic->size() : 0);
    if (text > size || type != 1) __builtin_trap();
  } else if (c.error().reason.empty() || c.error().offset > size) {
    __builtin_trap();
  }
  auto a = parse_mqtt_connack(bytes);
  if (a) {
    if (type != 2) __builtin_trap();
  } else if (a.error().reason.empty() || a.error().offset > size) {
    __builtin_trap();
  }
  return 0;
}
