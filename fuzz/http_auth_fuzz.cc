// Fuzzes the scanner's HTTP authentication parsers: the response head, every WWW-Authenticate
// value in it (and the whole input as one value), a Digest answer to each challenge, the login
// form finder on the body, and the FTP reply parser. Outputs stay bounded by the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/http_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::scan;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto check_challenges = [&](std::string_view v) {
    auto cs = parse_www_authenticate(v);
    if (cs.size() > 8) __builtin_trap();
    for (const auto& c : cs) {
      if (c.realm.size() + c.nonce.size() + c.qop.size() > v.size()) __builtin_trap();
      (void)digest_authorization(c, "admin", "admin", "GET", "/", "cnonce", 1);
    }
  };
  if (auto r = parse_http_response(in)) {
    if (r->head_size > in.size() || r->status < 0 || r->status > 999) __builtin_trap();
    if (r->headers.size() > kMaxHttpHeaders) __builtin_trap();
    for (auto v : r->headers_named("WWW-Authenticate")) check_challenges(v);
    if (auto f = find_login_form(in.substr(r->head_size))) {
      if (f->pass_field.empty()) __builtin_trap();
    }
  }
  check_challenges(in);
  if (auto f = find_login_form(in)) {
    if (f->pass_field.empty() || f->pass_field.size() > in.size()) __builtin_trap();
  }
  if (auto r = parse_ftp_reply(in)) {
    if (r->size > in.size() || r->code < 100 || r->code > 599) __builtin_trap();
  }
  return 0;
}
