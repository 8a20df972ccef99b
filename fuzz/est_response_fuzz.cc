// Fuzzes what a device reads back from an enrollment server (device/est_client.h): the HTTP/1.1
// response (status line, headers, Content-Length or body to the end) and the base64 certs-only
// PKCS#7 inside it. A hostile or broken server must get an error, never a crash, and never more
// certificates than the body could hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "device/est_client.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::device;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_est_response(bytes)) {
    if (r->body.size() > size) __builtin_trap();
    if (auto certs = parse_certs_only(r->body)) {
      if (certs->empty() || certs->size() > r->body.size() / 64 + 1) __builtin_trap();
    }
  }
  // The body parser alone too: base64 of arbitrary DER.
  (void)parse_certs_only(bytes);
  return 0;
}
