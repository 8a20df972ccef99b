// HTTP (and RTSP, which shares the message syntax) authentication for the login checks: the
// response head parser, the WWW-Authenticate challenge parser, Basic and Digest (RFC 7616,
// MD5 and SHA-256) credentials, and a bounded login-form finder for HTML. All pure: a device's
// web server controls every byte, so each parser is bounded and fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace warden::scan {

// A response head: "HTTP/1.1 401 Unauthorized" or "RTSP/1.0 200 OK" and its header fields.
// Views borrow from the parsed buffer.
struct HttpResponse {
  std::string_view protocol;  // "HTTP/1.1", "RTSP/1.0"
  int status = 0;
  std::string_view reason;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::size_t head_size = 0;  // bytes up to and including the blank line: the body starts here
  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  std::vector<std::string_view> headers_named(std::string_view name) const;
};
inline constexpr std::string_view kHttpIncomplete = "incomplete";
inline constexpr std::size_t kMaxHttpHeaders = 100;
ParseResult<HttpResponse> parse_http_response(std::string_view buf);

struct AuthChallenge {
  std::string scheme;  // lower case: "basic", "digest", ...
  std::string realm, nonce, opaque, algorithm, qop;
  bool stale = false;
};
// Parses one WWW-Authenticate value; a value may hold several challenges ("Digest realm=...,
// Basic realm=..."), returned in order. At most 8 challenges and 32 parameters each.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

std::string base64(std::string_view in);
// "Basic dXNlcjpwYXNz"
std::string basic_authorization(std::string_view user, std::string_view pass);
// The Authorization value answering a Digest challenge for one request. `cnonce` is the
// client nonce (random in use, fixed in tests); `nc` the nonce count. nullopt when the
// challenge names an algorithm we do not implement (only MD5, MD5-sess, SHA-256, SHA-256-sess)
// or a qop other than auth (auth-int would need the body).
std::optional<std::string> digest_authorization(const AuthChallenge& c, std::string_view user,
                                                std::string_view pass, std::string_view method,
                                                std::string_view uri, std::string_view cnonce,
                                                unsigned nc = 1);

// A login form: a <form> holding an <input type=password>.
struct LoginForm {
  std::string action;  // as written (may be empty: the page itself)
  std::string method;  // lower case, "get" or "post"
  std::string user_field, pass_field;
  std::vector<std::pair<std::string, std::string>> hidden;  // other named inputs with values
};
// Scans at most the first 256 KB of `html`; nullopt when no form has a password field.
std::optional<LoginForm> find_login_form(std::string_view html);
// Form-urlencodes `s` (application/x-www-form-urlencoded).
std::string form_encode(std::string_view s);

// One FTP reply: the 3-digit code once the whole (possibly multi-line "230-... 230 ...") reply
// arrived; kHttpIncomplete-style "incomplete" error while it is still arriving.
struct FtpReply {
  int code = 0;
  std::size_t size = 0;  // bytes the reply took
};
ParseResult<FtpReply> parse_ftp_reply(std::string_view buf);

}  // namespace warden::scan
