// Fuzzes the legacy probe's ServerHello reader: whatever a server answers to a hand-made
// ClientHello: need_more, a refusal or a ServerHello, and a ServerHello's verdict does not
// change when more bytes arrive after it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "scan/tls.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::scan;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  HelloReply r = parse_server_hello(bytes);
  if (r.kind != HelloReply::Kind::server_hello && (r.version != 0 || r.suite != 0)) {
    __builtin_trap();
  }
  if (r.kind == HelloReply::Kind::server_hello) {
    if (size < 5 + 4 + 2 + 32 + 1 + 2) __builtin_trap();
    // Bytes after a complete answer (the Certificate record...) do not change it.
    std::vector<std::byte> more(bytes.begin(), bytes.end());
    more.push_back(std::byte{0x16});
    HelloReply again = parse_server_hello(more);
    if (again.kind != r.kind || again.suite != r.suite) __builtin_trap();
  }
  return 0;
}
