#include "mud/source.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>

#include "core/text.h"

namespace warden::mud {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxCacheMetaBytes = 16 * 1024;
constexpr std::string_view kCacheMagic = "warden-mud-cache 1";

std::string scheme_of(std::string_view url) {
  if (!fetch::is_url(url)) return {};
  return ascii_lower(url.substr(0, url.find("://")));
}

// A configured local copy: a path or a file:// URL.
bool is_local(std::string_view url) { return !fetch::is_url(url) || scheme_of(url) == "file"; }

// What the cache remembers beside the two files.
struct CacheMeta {
  std::string url;
  std::string signature_url;  // empty: the file was accepted unsigned
  std::int64_t fetched_at = 0;
};

std::string render_meta(const CacheMeta& m) {
  return std::string(kCacheMagic) + "\nurl=" + m.url +
         "\nfetched_at=" + std::to_string(m.fetched_at) + "\nsignature_url=" + m.signature_url +
         "\n";
}

// Strict: the cache directory may be shared or damaged, so anything unexpected is a miss.
std::optional<CacheMeta> parse_meta(std::string_view text) {
  CacheMeta m;
  bool magic = false, url = false, at = false, sig = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;  // every line ends with \n
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (!magic) {
      if (line != kCacheMagic) return std::nullopt;
      magic = true;
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "url" && !url) {
      m.url = value;
      url = true;
    } else if (key == "signature_url" && !sig) {
      m.signature_url = value;
      sig = true;
    } else if (key == "fetched_at" && !at) {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), m.fetched_at);
      if (ec != std::errc() || p != value.data() + value.size() || m.fetched_at <= 0)
        return std::nullopt;
      at = true;
    } else {
      return std::nullopt;
    }
  }
  if (!magic || !url || !at || !sig) return std::nullopt;
  return m;
}

// Reads a cache file with a size bound (the same reader as a download, so the same limit
// applies to a file someone planted in the cache).
std::optional<std::string> read_bounded(const std::string& path, std::uint64_t max_bytes) {
  fetch::FetchRequest req;
  req.source = path;
  req.max_bytes = max_bytes;
  auto r = fetch::fetch(req);
  if (!r) return std::nullopt;
  return std::move(r->body);
}

Result<bool, std::string> write_atomic(const std::string& dir, const std::string& name,
                                       std::string_view data) {
  std::string tmpl = dir + "/.tmp-" + name + "-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return unexpected("cannot write the MUD cache " + dir + ": " + std::strerror(errno));
  std::size_t done = 0;
  bool ok = true;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  if (::close(fd) != 0) ok = false;
  if (!ok || ::rename(tmpl.c_str(), (dir + "/" + name).c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmpl.c_str());
    return unexpected("cannot write the MUD cache " + dir + ": " + why);
  }
  return true;
}

std::int64_t validity_seconds(const MudFile& mud) {
  return static_cast<std::int64_t>(mud.cache_validity.value_or(kDefaultCacheValidityHours)) * 3600;
}

}  // namespace

std::string_view origin_name(UrlOrigin origin) {
  switch (origin) {
    case UrlOrigin::kDhcp:
      return "dhcp";
    case UrlOrigin::kLldp:
      return "lldp";
    case UrlOrigin::kConfigured:
      return "configured";
  }
  return "?";
}

std::string cache_key(std::string_view url) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(url.data(), url.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

MudSource::MudSource(SourceOptions options, const TrustStore& trust, Fetcher fetcher, Clock clock)
    : options_(std::move(options)),
      trust_(trust),
      fetcher_(std::move(fetcher)),
      clock_(clock ? std::move(clock) : Clock([] { return std::int64_t(std::time(nullptr)); })) {}

Result<std::string, std::string> MudSource::check_url(std::string_view url, UrlOrigin origin) {
  if (url.empty()) return unexpected(std::string("empty MUD URL"));
  if (url.size() > kMaxMudUrlBytes)
    return unexpected(std::string("MUD URL longer than 2048 bytes"));
  for (unsigned char ch : url) {
    // Announced URLs are wire bytes: refuse what a log line or a terminal would misread.
    if (ch < 0x21 || ch == 0x7f)
      return unexpected(std::string("MUD URL with control characters or spaces"));
    // A URL is ASCII (RFC 3986; RFC 8520 §10 calls it a string of 1-255 octets of a URL); only
    // a configured local path may name a file in another script.
    if (ch > 0x7f && origin != UrlOrigin::kConfigured)
      return unexpected(std::string("MUD URL with bytes that are not ASCII"));
  }
  const std::string scheme = scheme_of(url);
  if (origin != UrlOrigin::kConfigured) {
    if (scheme != "https") {
      return unexpected("MUD URL " + std::string(url) + " announced by " +
                        std::string(origin_name(origin)) + " is not https (RFC 8520 requires it)");
    }
    return std::string(url);
  }
  if (scheme.empty()) {  // a local path: absolute, so the cache and messages are stable
    auto n = fetch::normalize_source(url);
    if (!n) return unexpected(n.error());
    return *n;
  }
  if (scheme != "https" && scheme != "file") {
    return unexpected("MUD URL " + std::string(url) +
                      ": only https (or, for a local copy, file:// or a path) is allowed");
  }
  return std::string(url);
}

Result<Acquired, std::string> MudSource::verify(Acquired a,
                                                std::string_view signature_bytes) const {
  if (a.mud.signature.empty()) {
    if (!options_.allow_unsigned) {
      return unexpected(a.url +
                        " publishes no signature (mud-signature) and unsigned MUD files are "
                        "not allowed");
    }
    a.signature = SignatureState::kUnsigned;
    return a;
  }
  auto info = verify_signature(a.bytes, signature_bytes, trust_);
  if (!info) return unexpected(a.url + ": " + info.error() + " (" + a.mud.signature + ")");
  a.signature = SignatureState::kVerified;
  a.signer = std::move(*info);
  a.signature_bytes = std::string(signature_bytes);
  a.signature_url = a.mud.signature;
  return a;
}

Result<Acquired, std::string> MudSource::from_network(const std::string& url, bool local) const {
  fetch::FetchRequest req;
  req.source = url;
  req.max_bytes = kMaxMudBytes;
  req.https_only = !local;
  req.user_agent = options_.user_agent;
  auto got = fetcher_(req);
  if (!got) return unexpected(got.error());
  Acquired a;
  a.url = url;
  a.bytes = std::move(got->body);
  a.fetched_at = clock_();
  auto parsed = parse_mud(a.bytes);
  if (!parsed) return unexpected(url + ": not a valid MUD file: " + parsed.error().message());
  a.mud = std::move(*parsed);
  // RFC 8520 §13.1 and §1.6: the file must name the URL it was fetched from, or a device
  // could announce another vendor's (more permissive) file as its own.
  a.url_checked = !local;
  if (!local && a.mud.url != url) {
    return unexpected(url + " names itself " + a.mud.url +
                      " (mud-url): a MUD file must be fetched from its own URL");
  }
  std::string signature_bytes;
  if (!a.mud.signature.empty()) {
    const std::string& sig_url = a.mud.signature;
    // The signature URL is written by whoever served the file; only a local copy the operator
    // configured may point at another local file.
    auto sig_ok = check_url(sig_url, local ? UrlOrigin::kConfigured : UrlOrigin::kDhcp);
    if (!sig_ok) {
      return unexpected(url + ": unusable mud-signature" +
                        (local ? std::string() : std::string(" (an https URL is required)")) +
                        ": " + sig_ok.error());
    }
    fetch::FetchRequest sreq;
    sreq.source = sig_url;
    sreq.max_bytes = kMaxSignatureBytes;
    sreq.https_only = !local;
    sreq.user_agent = options_.user_agent;
    auto sig = fetcher_(sreq);
    if (!sig) return unexpected(url + ": cannot fetch its signature: " + sig.error());
    signature_bytes = std::move(sig->body);
  }
  auto checked = verify(std::move(a), signature_bytes);
  if (!checked) return checked;
  checked->expires_at = checked->fetched_at + validity_seconds(checked->mud);
  return checked;
}

Result<Acquired, std::string> MudSource::acquire(std::string_view raw_url, UrlOrigin origin) const {
  auto checked_url = check_url(raw_url, origin);
  if (!checked_url) return unexpected(checked_url.error());
  const std::string& url = *checked_url;
  const bool local = is_local(url);
  const bool cached = !local && !options_.cache_dir.empty();
  const std::string base = cached ? options_.cache_dir + "/" + cache_key(url) : std::string();
  const std::int64_t now = clock_();
  std::optional<Acquired> stale;  // an expired copy that still verifies

  if (cached) {
    // A hit is checked again in full (parse, self-naming, signature against today's trust
    // store): a planted or damaged cache entry, or a revoked anchor, must not be believed.
    // Anything wrong with the entry is a miss.
    auto meta_text = read_bounded(base + ".meta", kMaxCacheMetaBytes);
    std::optional<CacheMeta> meta = meta_text ? parse_meta(*meta_text) : std::nullopt;
    if (meta && meta->url == url && meta->fetched_at <= now) {
      auto bytes = read_bounded(base + ".json", kMaxMudBytes);
      std::optional<std::string> sig;
      if (!meta->signature_url.empty()) sig = read_bounded(base + ".p7s", kMaxSignatureBytes);
      auto parsed = bytes ? parse_mud(*bytes) : Result<MudFile, MudError>(unexpected(MudError{}));
      if (parsed && parsed->url == url && parsed->signature == meta->signature_url &&
          (meta->signature_url.empty() || sig)) {
        Acquired a;
        a.url = url;
        a.bytes = std::move(*bytes);
        a.mud = std::move(*parsed);
        a.fetched_at = meta->fetched_at;
        a.expires_at = meta->fetched_at + validity_seconds(a.mud);
        a.from_cache = true;
        auto v = verify(std::move(a), sig ? *sig : std::string());
        if (v && now < v->expires_at) return v;
        if (v && options_.stale_if_error) stale = std::move(*v);
      }
    }
  }

  auto got = from_network(url, local);
  if (!got && stale) {
    stale->stale = true;
    stale->refresh_error = got.error();
    return std::move(*stale);
  }
  if (!got || !cached) return got;
  // Best effort: a cache that cannot be written costs a fetch next time, not the answer.
  std::error_code ec;
  fs::create_directories(options_.cache_dir, ec);
  const std::string key = cache_key(url);
  CacheMeta meta{url, got->signature_url, got->fetched_at};
  // The meta file goes last: it is what makes an entry a hit, and a hit re-verifies the two
  // files, so a crash between the writes leaves at worst a miss.
  auto w = write_atomic(options_.cache_dir, key + ".json", got->bytes);
  if (w && got->signature == SignatureState::kVerified)
    w = write_atomic(options_.cache_dir, key + ".p7s", got->signature_bytes);
  if (w) w = write_atomic(options_.cache_dir, key + ".meta", render_meta(meta));
  if (!w) got->cache_error = w.error();
  return got;
}

}  // namespace warden::mud
