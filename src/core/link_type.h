// LINKTYPE_* values (tcpdump.org/linktypes.html) shared by the capture readers and the decoder.
#pragma once

#include <cstdint>

namespace warden {

inline constexpr std::uint32_t kLinkNull = 0;
inline constexpr std::uint32_t kLinkEthernet = 1;
inline constexpr std::uint32_t kLinkRaw = 101;
inline constexpr std::uint32_t kLinkIeee80211 = 105;
inline constexpr std::uint32_t kLinkLoop = 108;
inline constexpr std::uint32_t kLinkLinuxSll = 113;
inline constexpr std::uint32_t kLinkRadiotap = 127;
inline constexpr std::uint32_t kLinkIeee802154 = 195;
inline constexpr std::uint32_t kLinkIpv4 = 228;
inline constexpr std::uint32_t kLinkIpv6 = 229;
inline constexpr std::uint32_t kLinkLinuxSll2 = 276;

}  // namespace warden
