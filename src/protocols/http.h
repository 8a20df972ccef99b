// HTTP/1.x message heads (request or status line plus header fields) parsed from the first
// bytes of a TCP payload or a UDP datagram (SSDP, RTSP-like protocols share the syntax).
// Nothing is copied: every string_view in an HttpHead borrows the caller's payload, so the
// head must not outlive those bytes. The body is not parsed; head_length says where it starts.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::protocols {

// Bounds a hostile peer cannot push past: a header field beyond kHttpMaxHeaders is scanned
// (to find the end of the head) but not stored; a line longer than kHttpMaxLineLength fails.
inline constexpr std::size_t kHttpMaxHeaders = 100;
inline constexpr std::size_t kHttpMaxLineLength = 8192;

struct HttpHeader {
  std::string_view name;
  std::string_view value;  // leading and trailing spaces and tabs removed
};

struct HttpHead {
  bool is_request = false;
  std::string_view method, target, version;  // request line ("GET", "/x", "HTTP/1.1")
  int status = 0;                            // status line; version is set too
  std::string_view reason;
  std::vector<HttpHeader> headers;  // in wire order; obsolete folded continuation lines dropped
  // A head split across TCP segments parses with complete == false and the fields seen so far
  // (a trailing partial line is left out, since its value may be cut).
  bool complete = false;
  std::size_t head_length = 0;  // bytes up to and including the blank line, when complete

  // Case-insensitive name match; the first field of that name wins.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Fails when the first line is not an HTTP (or RTSP) request or status line. An unterminated
// first line fails as "truncated start line" while more bytes could still make it one.
ParseResult<HttpHead> parse_http_head(Bytes payload);

// Cheap classifiers for the first payload of a flow: a known method (HTTP, SSDP and GENA
// ones) followed by a space, or the "HTTP/1." prefix of a status line.
bool looks_like_http_request(Bytes payload);
bool looks_like_http_response(Bytes payload);

}  // namespace warden::protocols
