// Fuzzes the L2-L4 decoder and the flow table behind it: the first byte picks the link type.
#include <cstddef>
#include <cstdint>

#include "decode/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  if (size < 1) return 0;
  static constexpr std::uint32_t kLinks[] = {kLinkEthernet,  kLinkRaw,  kLinkLinuxSll,
                                             kLinkLinuxSll2, kLinkNull, kLinkLoop,
                                             kLinkIpv4,      kLinkIpv6};
  const std::uint32_t link = kLinks[data[0] % 8];
  Bytes frame(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  decode::DecodedPacket pkt;
  AnomalyCounters counters;
  decode::decode(frame, link, 0, static_cast<std::uint32_t>(frame.size()), pkt, counters);
  // The payload view must lie inside the frame.
  if (!pkt.payload.empty()) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(pkt.payload.data());
    if (b < data + 1 || b + pkt.payload.size() > data + size) __builtin_trap();
  }
  return 0;
}
