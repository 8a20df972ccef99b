// Fuzzes the relay's MQTT guard, the one parser that sees a device's bytes after the handshake:
// the verdict must not depend on how the stream is split into reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "relay/mqtt_guard.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::relay;
  if (size < 1) return 0;
  const std::vector<std::string> allowed{"devices/cam-1/#", "site/+/status"};
  const std::size_t chunk = data[0] % 7 + 1;  // the first byte picks the read size
  std::span<const std::uint8_t> stream(data + 1, size - 1);

  MqttGuard whole(&allowed, 4096, "acme:cam-1", ClientIdRule::kOwn);
  const bool whole_ok = !whole.feed(stream);

  MqttGuard pieces(&allowed, 4096, "acme:cam-1", ClientIdRule::kOwn);
  bool pieces_ok = true;
  for (std::size_t i = 0; i < stream.size() && pieces_ok; i += chunk)
    pieces_ok = !pieces.feed(stream.subspan(i, std::min(chunk, stream.size() - i)));
  if (whole_ok != pieces_ok) __builtin_trap();
  return 0;
}
