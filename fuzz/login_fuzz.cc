// Fuzzes the FTP/Telnet login tracker: an input is a conversation, its first byte the protocol,
// then segments of [direction+length byte][bytes]: bit 7 set means server, the low 7 bits the
// length. Whatever the bytes, a reported user name is printable and bounded, and a tracker
// reports at most one login.
#include <cstddef>
#include <cstdint>

#include "protocols/login.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  if (size == 0) return 0;
  LoginTracker t(data[0] & 1 ? LoginTracker::Protocol::kTelnet : LoginTracker::Protocol::kFtp);
  int logins = 0;
  for (std::size_t at = 1; at < size;) {
    const bool server = data[at] & 0x80;
    std::size_t len = data[at] & 0x7f;
    ++at;
    if (len > size - at) len = size - at;
    Bytes seg(reinterpret_cast<const std::byte*>(data + at), len);
    at += len;
    if (server) {
      t.server(seg);
    } else if (auto l = t.client(seg)) {
      ++logins;
      if (l->username.size() > 64 || !l->password_sent) __builtin_trap();
      for (char c : l->username) {
        if (c < 0x21 || c > 0x7e) __builtin_trap();
      }
    }
  }
  if (logins > 1) __builtin_trap();
  (void)telnet_text(Bytes(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
