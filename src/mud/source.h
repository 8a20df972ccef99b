// Acquiring a MUD file the way RFC 8520's MUD manager must (§§ 1.6, 13): fetch it from the URL
// a device announced (DHCP option 161, LLDP) or an operator configured, parse it, check that
// the file names itself by that URL (so a device cannot borrow another model's policy), fetch
// and verify its signature, and keep the verified copy in a cache for the file's
// cache-validity so a DHCP renewal does not fetch again. The fetcher is a dependency: the
// gateway and the CLI pass fetch::fetch, tests a stand-in. One MudSource per thread; it holds
// no lock and the cache directory is written atomically (a temporary file, then rename).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "fetch/fetch.h"
#include "mud/mud.h"
#include "mud/signature.h"

namespace warden::mud {

// Where the URL came from decides what may be fetched. Announced URLs come from devices on
// the LAN, so they are https only (RFC 8520 §1.6) and can never name a local file; a
// configured one may also be a local path or file:// URL (a copy the operator vetted).
enum class UrlOrigin : std::uint8_t { kDhcp, kLldp, kConfigured };
std::string_view origin_name(UrlOrigin origin);

// RFC 8520 §3.4: cache-validity defaults to 48 hours.
inline constexpr std::uint32_t kDefaultCacheValidityHours = 48;
// DHCP and LLDP carry at most 255 bytes; a configured URL gets the same generous bound.
inline constexpr std::size_t kMaxMudUrlBytes = 2048;

using Fetcher = fetch::Fetcher;
using Clock = std::function<std::int64_t()>;  // Unix seconds

struct SourceOptions {
  // Accept a file that publishes no signature (mud-signature absent). A published signature
  // must always verify, whatever this says.
  bool allow_unsigned = false;
  std::string cache_dir;  // empty: no cache
  // When a copy past its cache-validity cannot be fetched again (server down, a 404), answer
  // with the expired copy (verified again, marked `stale`) rather than with no policy at all.
  // A gateway that keeps enforcing the last known policy wants this; a checker does not.
  bool stale_if_error = false;
  std::string user_agent = "warden";
};

enum class SignatureState : std::uint8_t {
  kVerified,  // mud-signature named a signature, and it verified against the trust store
  kUnsigned,  // no mud-signature, accepted because allow_unsigned was set
};

struct Acquired {
  MudFile mud;
  std::string url;    // what was fetched (for a configured local copy: its path or file URL)
  std::string bytes;  // the exact file, as signed
  SignatureState signature = SignatureState::kUnsigned;
  SignatureInfo signer;         // when kVerified
  std::string signature_url;    // when kVerified
  std::string signature_bytes;  // when kVerified: the signature as published
  // A configured local copy names its published URL in mud-url, not its own path, so the
  // self-naming check does not apply to it (false then).
  bool url_checked = true;
  bool from_cache = false;
  std::int64_t fetched_at = 0;  // Unix seconds, when the network copy was taken
  std::int64_t expires_at = 0;  // fetched_at + cache-validity
  std::string cache_error;      // the copy could not be cached (the result is still good)
  bool stale = false;           // past expires_at: the refetch failed (stale_if_error)
  std::string refresh_error;    // why, when stale
};

class MudSource {
 public:
  // `trust` must outlive the source.
  MudSource(SourceOptions options, const TrustStore& trust, Fetcher fetcher, Clock clock);

  // Fetches (or takes from the cache), checks and verifies the MUD file at `url`. Errors are
  // one line for a user, naming the URL: "https://... names itself https://... (mud-url)",
  // "https://...: signature does not match the file", "... publishes no signature
  // (mud-signature) and unsigned files are not allowed", ...
  Result<Acquired, std::string> acquire(std::string_view url, UrlOrigin origin) const;

  // Checks a URL before any fetch: scheme by origin, length, no control characters.
  static Result<std::string, std::string> check_url(std::string_view url, UrlOrigin origin);

 private:
  Result<Acquired, std::string> from_network(const std::string& url, bool local) const;
  Result<Acquired, std::string> verify(Acquired a, std::string_view signature_bytes) const;

  SourceOptions options_;
  const TrustStore& trust_;
  Fetcher fetcher_;
  Clock clock_;
};

// The cache's file names for a URL: the SHA-256 of the URL in hex plus ".json", ".p7s" and
// ".meta". Exposed for tests.
std::string cache_key(std::string_view url);

}  // namespace warden::mud
