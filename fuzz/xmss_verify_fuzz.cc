// Fuzzes XMSS verification (update/xmss_key.h) with hostile public keys and signatures, as a
// device meets them in update metadata: the input is [u16 key length][key][u16 signature
// length][signature][message]. Malformed keys and signatures must be "not valid", never a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "update/xmss_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  auto take = [&in](std::span<const std::uint8_t>& out) {
    if (in.size() < 2) return false;
    const std::size_t n = static_cast<std::size_t>(in[0] << 8 | in[1]);
    in = in.subspan(2);
    if (in.size() < n) return false;
    out = in.first(n);
    in = in.subspan(n);
    return true;
  };
  std::span<const std::uint8_t> key, sig;
  if (!take(key) || !take(sig)) return 0;
  (void)warden::update::xmss_verify(key, in, sig);
  return 0;
}
