// Fuzzes the scanner's telnet client side: the IAC negotiator fed in pieces (the first byte
// chooses the piece size, so split sequences are exercised) and the prompt recogniser on what
// it produced. Whatever the server sends, the negotiator answers at most once per option and
// verb class, and the text is never longer than the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "scan/telnet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::scan;
  if (size == 0) return 0;
  std::size_t piece = data[0] % 16 + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  TelnetNegotiator n;
  std::string text, reply;
  for (std::size_t at = 0; at < in.size(); at += piece) n.feed(in.substr(at, piece), text, reply);
  if (text.size() > in.size()) __builtin_trap();
  // Each reply is IAC verb option; at most one per option for WILL/WONT and one for DO/DONT.
  if (reply.size() % 3 != 0 || reply.size() > 3 * 512) __builtin_trap();
  if (n.answered() * 3 != reply.size()) __builtin_trap();
  auto p = classify_telnet(text);
  if (telnet_prompt_name(p) == nullptr) __builtin_trap();
  std::string uid = telnet_uid(text);
  if (uid.size() > 48 || (!uid.empty() && !uid.starts_with("uid="))) __builtin_trap();
  return 0;
}
