// Fetching an indicator list's text from where its owner publishes it: a local path, or an
// http, https or file URL (libcurl). This is the only I/O with the outside world in intel/;
// it hands back bytes and never parses them, so the list parser stays a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::intel {

// The largest list accepted, enforced while the bytes stream in (after decompression, so a
// small gzip bomb cannot get past it). Public feeds are far below this.
constexpr std::uint64_t kMaxListBytes = 256ull << 20;

struct FetchRequest {
  std::string source;  // http(s):// or file:// URL, or a local file path
  // Validators from the last good copy: when set, an HTTP fetch is conditional
  // (If-None-Match / If-Modified-Since) and a 304 comes back as `not_modified`.
  std::string etag;
  std::string last_modified;
  std::string user_agent = "warden";
  std::uint64_t max_bytes = kMaxListBytes;
  long connect_timeout_s = 20;
  long timeout_s = 300;  // the whole transfer
  long max_redirects = 5;
};

struct Fetched {
  bool not_modified = false;  // HTTP 304: the copy we have is current
  std::string body;
  std::string etag;  // validators of this response, for the next conditional request
  std::string last_modified;
};

using FetchResult = Result<Fetched, std::string>;

// True when `source` names a URL (has a "scheme://" prefix) rather than a file path.
bool is_url(std::string_view source);

// Checks a source as a user typed it: a URL must be http, https or file; a path is made
// absolute (a stored list is refreshed later from any working directory). Error says why.
Result<std::string, std::string> normalize_source(std::string_view source);

// Fetches the source. Errors read "could not fetch URL: <reason>", "HTTP 404 from URL", or
// name the file; redirects are followed (at most `max_redirects`, http/https only); TLS
// certificates and host names are always verified.
FetchResult fetch(const FetchRequest& request);

}  // namespace warden::intel
