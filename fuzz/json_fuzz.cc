// Fuzzes the JSON reader (MUD files and other JSON come from untrusted sources): whatever it
// accepts must write back with JsonWriter (to_json) and read back to an equal DOM.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  JsonLimits limits;
  limits.max_depth = 32;  // deep enough to explore, shallow enough for the fuzzer's stack
  auto v = parse_json(text, limits);
  if (!v) {
    if (v.error().offset > size) __builtin_trap();
    return 0;
  }
  auto again = parse_json(to_json(*v), limits);
  if (!again || !(*again == *v)) __builtin_trap();
  return 0;
}
