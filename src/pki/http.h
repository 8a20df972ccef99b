// The enrollment server's HTTP/1.1 request parser: just enough of RFC 9112 for EST, strictly
// bounded. Pure functions over the bytes received so far; the server does the reading.
// Refused: heads over kMaxHeadBytes, more than kMaxHeaders headers, folded headers, bare LF,
// Transfer-Encoding (chunked bodies are not accepted: Content-Length only), conflicting or
// oversized Content-Length, targets that are not origin-form.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::pki {

inline constexpr std::size_t kMaxHeadBytes = 8 * 1024;
inline constexpr std::size_t kMaxHeaders = 48;
inline constexpr std::size_t kMaxBodyBytes = 32 * 1024;  // base64 of a 16 KiB CSR, and room
inline constexpr std::size_t kMaxTargetBytes = 1024;

struct HttpRequest {
  std::string method;
  std::string target;  // path only; a query string is cut off
  std::string authorization;
  std::string content_type;
  std::string warden_serial;  // X-Warden-Serial
  std::size_t content_length = 0;
  std::size_t head_length = 0;  // bytes up to and including the blank line
};

// Where the head ends (the offset just past CRLF CRLF) in what has arrived, or nullopt when it
// has not arrived yet.
std::optional<std::size_t> find_head_end(std::string_view received);

// Parses a complete head (`head` ends with CRLF CRLF, as find_head_end found it).
ParseResult<HttpRequest> parse_request_head(std::string_view head);

// Both steps over a whole buffer: the request and its body when all has arrived. Fails on a
// malformed head; `incomplete` set (and an error returned) when more bytes are needed.
struct ParsedRequest {
  HttpRequest head;
  std::string_view body;  // a view into the input
};
ParseResult<ParsedRequest> parse_request(std::string_view received, bool& incomplete);

}  // namespace warden::pki
