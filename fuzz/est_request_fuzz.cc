// Fuzzes the enrollment server's HTTP/1.1 request parser: the first bytes any TLS peer sends.
// Beyond "no crash": the documented bounds hold and the body is a view inside the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pki/http.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::pki;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bool incomplete = false;
  auto r = parse_request(in, incomplete);
  if (!r) {
    if (r.error().reason.empty()) __builtin_trap();
    return 0;
  }
  if (incomplete) __builtin_trap();
  const HttpRequest& h = r->head;
  if (h.head_length > kMaxHeadBytes || h.head_length > size) __builtin_trap();
  if (h.content_length > kMaxBodyBytes || r->body.size() != h.content_length) __builtin_trap();
  if (r->body.data() != in.data() + h.head_length) __builtin_trap();
  if (h.target.empty() || h.target[0] != '/' || h.method.empty()) __builtin_trap();
  // The head alone parses the same way.
  auto again = parse_request_head(in.substr(0, h.head_length));
  if (!again || again->target != h.target || again->content_length != h.content_length)
    __builtin_trap();
  return 0;
}
