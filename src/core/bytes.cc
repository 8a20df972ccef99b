#include "core/bytes.h"

namespace warden {

std::string printable(std::string_view s, std::size_t max_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() < max_len ? s.size() : max_len);
  for (char c : s) {
    if (out.size() >= max_len) break;
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

std::string to_hex(Bytes b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::byte x : b) {
    auto u = static_cast<unsigned>(x);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
  return out;
}

}  // namespace warden
