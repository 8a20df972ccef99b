// Fuzzes the HTTP/1.x head parser and the classifiers: one TCP payload per input. Beyond "no
// crash", checks that every returned view borrows the input and that the documented bounds hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/http.h"

namespace {
bool inside(std::string_view v, const std::uint8_t* data, std::size_t size) {
  if (v.empty()) return true;
  const auto* b = reinterpret_cast<const std::uint8_t*>(v.data());
  return b >= data && b + v.size() <= data + size;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  (void)looks_like_http_request(bytes);
  (void)looks_like_http_response(bytes);
  auto h = parse_http_head(bytes);
  if (!h) {
    if (h.error().reason.empty() || h.error().offset > size) __builtin_trap();
    return 0;
  }
  if (h->headers.size() > kHttpMaxHeaders) __builtin_trap();
  if (h->complete != (h->head_length != 0) || h->head_length > size) __builtin_trap();
  for (std::string_view v : {h->method, h->target, h->version, h->reason}) {
    if (!inside(v, data, size)) __builtin_trap();
  }
  for (const HttpHeader& f : h->headers) {
    if (f.name.empty() || !inside(f.name, data, size) || !inside(f.value, data, size)) {
      __builtin_trap();
    }
    if (h->complete &&
        f.value.data() + f.value.size() > reinterpret_cast<const char*>(data) + h->head_length) {
      __builtin_trap();
    }
  }
  (void)h->header("Host");
  return 0;
}
