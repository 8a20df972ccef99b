// Fetching a document from where its owner publishes it: a local path, or an http, https or
// file URL (libcurl). Shared by the intel list store and the MUD manager, so neither depends on
// the other; it hands back bytes and never parses them, so their parsers stay pure functions.
// Callers that fetch from addresses announced on the network (MUD URLs) set
// FetchRequest::https_only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::fetch {

// The default size limit, enforced while the bytes stream in (after decompression, so a small
// gzip bomb cannot get past it). Callers with smaller documents set FetchRequest::max_bytes.
constexpr std::uint64_t kDefaultMaxBytes = 256ull << 20;

struct FetchRequest {
  std::string source;  // http(s):// or file:// URL, or a local file path
  // Validators from the last good copy: when set, an HTTP fetch is conditional
  // (If-None-Match / If-Modified-Since) and a 304 comes back as `not_modified`.
  std::string etag;
  std::string last_modified;
  std::string user_agent = "warden";
  std::uint64_t max_bytes = kDefaultMaxBytes;
  long connect_timeout_s = 20;
  long timeout_s = 300;  // the whole transfer
  long max_redirects = 5;
  // Only https, for the request and every redirect (RFC 8520: a MUD URL a device announces
  // must be fetched over TLS, and a redirect must not downgrade it).
  bool https_only = false;
  // A PEM CA bundle that replaces the system's for the TLS server check (a private MUD
  // server, a test). Empty: the system's anchors.
  std::string tls_ca_file;
  // When set, the body is handed over in pieces as it arrives instead of being kept in
  // Fetched::body (a 50 MB update need not sit in memory); still bounded by max_bytes.
  // Returning false aborts the transfer. On an HTTP error status the pieces already handed
  // over were the error page: a sink writes to a temporary place and keeps it only on success.
  std::function<bool(std::string_view)> sink;
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

// How a component that downloads gets its bytes: fetch() in production (usually wrapped to set
// the User-Agent or a TLS CA), a stand-in in tests.
using Fetcher = std::function<FetchResult(const FetchRequest&)>;

}  // namespace warden::fetch
