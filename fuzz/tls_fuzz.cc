// Fuzzes the TLS ClientHello and ServerHello parsers: one TCP payload per input. Checks that
// the fingerprints are well formed whenever a hello parses.
#include <cstddef>
#include <cstdint>

#include "protocols/tls.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  (void)looks_like_tls_handshake(bytes);
  auto c = parse_tls_client_hello(bytes);
  if (c) {
    if (c->ja3.empty() || c->ja3_md5.size() != 32) __builtin_trap();
    if (c->cipher_suites.size() * 2 > size || c->extensions.size() * 4 > size) __builtin_trap();
    (void)tls_version_name(c->client_version);
  } else if (c.error().reason.empty() || c.error().offset > size) {
    __builtin_trap();
  }
  auto s = parse_tls_server_hello(bytes);
  if (s) {
    if (s->ja3s.empty() || s->ja3s_md5.size() != 32) __builtin_trap();
    (void)tls_version_name(s->selected_version);
  } else if (s.error().reason.empty() || s.error().offset > size) {
    __builtin_trap();
  }
  return 0;
}
