#include "app/mud_cli.h"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "app/exit_codes.h"
#include "core/json.h"
#include "core/time.h"
#include "fetch/fetch.h"
#include "mud/mud.h"
#include "mud/signature.h"
#include "mud/source.h"

namespace warden::app {
namespace {

constexpr const char* kHelp =
    "Usage: warden mud check FILE...\n"
    "       warden mud fetch URL [--ca FILE] [--ca-dir DIR] [--system-ca] [--tls-ca FILE]\n"
    "                            [--allow-unsigned] [--cache DIR] [--json]\n\n"
    "check: validates RFC 8520 MUD files and prints, for each, what it allows from and to the\n"
    "device and the DNS names the policy needs resolved. An invalid file is reported with the\n"
    "JSON path of the offending value. Files written in the pre-RFC 8520 draft schema are\n"
    "refused. At most 1 MiB per file.\n\n"
    "fetch: acquires a MUD file as the gateway does for a configured URL: fetches it (https,\n"
    "or a local copy as file:// or a path), checks that its mud-url names the URL it came from\n"
    "(not checked for a local copy), fetches the signature its mud-signature names and verifies\n"
    "it (a detached CMS signature of the exact file), then prints the summary and the signer.\n"
    "A published signature must verify; a file that publishes none is refused unless\n"
    "--allow-unsigned is given.\n"
    "      --ca FILE         trust MUD signers issued by the CA certificates in FILE (PEM)\n"
    "      --ca-dir DIR      ... or by those in DIR (an OpenSSL hashed directory)\n"
    "      --system-ca       ... or by the system's CA certificates (web PKI; off by default)\n"
    "      --tls-ca FILE     check the HTTPS server against FILE instead of the system's CAs\n"
    "      --allow-unsigned  accept a file that publishes no signature\n"
    "      --cache DIR       keep verified files in DIR for their cache-validity (default 48\n"
    "                        hours) and answer from there without fetching\n"
    "      --json            print the result as one JSON object\n\n"
    "Exit status: 0 every file is valid (fetch: acquired and verified), 1 a file is invalid,\n"
    "unreadable, unsigned or its signature fails, 2 usage error.\n";

// What a MUD file or a server said, made safe for a terminal: control characters other than
// the newlines summary() writes become '?' (UTF-8 is kept; a file's strings are valid UTF-8).
std::string terminal_safe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) c = '?';
  }
  return out;
}

// Reads at most kMaxMudBytes + 1 bytes, so an oversized file is refused by the parser's own
// limit without being read whole.
bool read_file(const char* path, std::string& out, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = ec ? ec.message() : "not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  out.resize(mud::kMaxMudBytes + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return true;
}

int mud_check(int argc, char** argv) {
  if (argc < 1) {
    std::fprintf(stderr, "warden mud check: no MUD file given\n\n%s", kHelp);
    return kExitUsage;
  }
  int status = kExitOk;
  for (int i = 0; i < argc; ++i) {
    std::string text, error;
    if (!read_file(argv[i], text, error)) {
      std::fprintf(stderr, "%s: cannot read: %s\n", argv[i], error.c_str());
      status = kExitFatal;
      continue;
    }
    if (text.size() > mud::kMaxMudBytes) {
      std::fprintf(stderr, "%s: invalid: larger than 1 MiB\n", argv[i]);
      status = kExitFatal;
      continue;
    }
    auto r = mud::parse_mud(text);
    if (!r) {
      std::fprintf(stderr, "%s: invalid: %s\n", argv[i],
                   terminal_safe(r.error().message()).c_str());
      status = kExitFatal;
      continue;
    }
    std::printf("%s: valid\n%s", argv[i], terminal_safe(mud::summary(*r)).c_str());
  }
  return status;
}

enum FetchOption {
  kOptCa = 3000,
  kOptCaDir,
  kOptSystemCa,
  kOptTlsCa,
  kOptUnsigned,
  kOptCache,
  kOptJson
};

std::string user_agent() { return std::string("warden/") + WARDEN_VERSION; }

void write_json(const std::string& url, const Result<mud::Acquired, std::string>& r) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("url", url).field("ok", r.has_value());
  if (!r) {
    w.field("error", r.error());
  } else {
    const mud::Acquired& a = *r;
    w.key("signature").begin_object();
    if (a.signature == mud::SignatureState::kVerified) {
      w.field("status", "verified")
          .field("url", a.signature_url)
          .field("signer", a.signer.signer_subject)
          .field("issuer", a.signer.signer_issuer);
    } else {
      w.field("status", "unsigned");
    }
    w.end_object();
    w.field("url_checked", a.url_checked)
        .field("from_cache", a.from_cache)
        .field("fetched_at", a.fetched_at)
        .field("expires_at", a.expires_at);
    if (!a.cache_error.empty()) w.field("cache_error", a.cache_error);
    w.key("mud").begin_object();
    w.field("mud_url", a.mud.url);
    if (!a.mud.systeminfo.empty()) w.field("systeminfo", a.mud.systeminfo);
    if (!a.mud.mfg_name.empty()) w.field("mfg_name", a.mud.mfg_name);
    if (!a.mud.model_name.empty()) w.field("model_name", a.mud.model_name);
    if (!a.mud.last_update.empty()) w.field("last_update", a.mud.last_update);
    w.field(
        "cache_validity_hours",
        static_cast<std::uint64_t>(a.mud.cache_validity.value_or(mud::kDefaultCacheValidityHours)));
    w.key("dns_names").begin_array();
    for (const auto& n : mud::dns_names(a.mud)) w.value(n);
    w.end_array().end_object();
  }
  w.end_object();
  std::printf("%s\n", out.c_str());
}

int mud_fetch(int argc, char** argv) {
  // argv[0] is "fetch".
  const option longs[] = {{"ca", required_argument, nullptr, kOptCa},
                          {"ca-dir", required_argument, nullptr, kOptCaDir},
                          {"system-ca", no_argument, nullptr, kOptSystemCa},
                          {"tls-ca", required_argument, nullptr, kOptTlsCa},
                          {"allow-unsigned", no_argument, nullptr, kOptUnsigned},
                          {"cache", required_argument, nullptr, kOptCache},
                          {"json", no_argument, nullptr, kOptJson},
                          {"help", no_argument, nullptr, 'h'},
                          {nullptr, 0, nullptr, 0}};
  mud::TrustOptions trust_opts;
  mud::SourceOptions opts;
  opts.user_agent = user_agent();
  std::string tls_ca;
  bool json = false;
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "h", longs, nullptr)) != -1;) {
    switch (c) {
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      case kOptCa:
        trust_opts.ca_file = optarg;
        break;
      case kOptCaDir:
        trust_opts.ca_dir = optarg;
        break;
      case kOptSystemCa:
        trust_opts.system_trust = true;
        break;
      case kOptTlsCa:
        tls_ca = optarg;
        break;
      case kOptUnsigned:
        opts.allow_unsigned = true;
        break;
      case kOptCache:
        opts.cache_dir = optarg;
        break;
      case kOptJson:
        json = true;
        break;
      default:
        std::fprintf(stderr, "Try 'warden mud --help'.\n");
        return kExitUsage;
    }
  }
  if (argc - optind != 1) {
    std::fprintf(stderr, "warden mud fetch: wants exactly one URL\n\n%s", kHelp);
    return kExitUsage;
  }
  const std::string url = argv[optind];
  auto trust = mud::TrustStore::load(trust_opts);
  if (!trust) {
    std::fprintf(stderr, "warden mud fetch: %s\n", trust.error().c_str());
    return kExitFatal;
  }
  // The real fetcher, with the server CA the user named (the source sets limits and schemes).
  mud::Fetcher fetcher = [&tls_ca](const fetch::FetchRequest& request) {
    fetch::FetchRequest r = request;
    r.tls_ca_file = tls_ca;
    return fetch::fetch(r);
  };
  const mud::MudSource source(opts, *trust, fetcher, nullptr);
  auto r = source.acquire(url, mud::UrlOrigin::kConfigured);
  if (json) write_json(url, r);
  if (!r) {
    std::fprintf(stderr, "warden mud fetch: %s\n", terminal_safe(r.error()).c_str());
    return kExitFatal;
  }
  if (json) return kExitOk;
  std::printf("%s: valid", terminal_safe(url).c_str());
  if (r->signature == mud::SignatureState::kVerified) {
    std::printf(", signature verified\n  signer: %s\n  issuer: %s\n  signature: %s\n",
                terminal_safe(r->signer.signer_subject).c_str(),
                terminal_safe(r->signer.signer_issuer).c_str(),
                terminal_safe(r->signature_url).c_str());
  } else {
    std::printf(", UNSIGNED (publishes no mud-signature; accepted by --allow-unsigned)\n");
  }
  if (!r->url_checked)
    std::printf("  local copy: its mud-url was not compared with where it was read from\n");
  if (r->from_cache)
    std::printf("  from the cache: fetched %s, valid until %s\n",
                format_rfc3339(r->fetched_at * kNsPerSec).c_str(),
                format_rfc3339(r->expires_at * kNsPerSec).c_str());
  if (!r->cache_error.empty())
    std::printf("  not cached: %s\n", terminal_safe(r->cache_error).c_str());
  std::fputs(terminal_safe(mud::summary(r->mud)).c_str(), stdout);
  return kExitOk;
}

}  // namespace

int cmd_mud(int argc, char** argv) {
  // argv[0] is "mud".
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return kExitUsage;
  }
  if (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (std::strcmp(argv[1], "check") == 0) {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
        std::fputs(kHelp, stdout);
        return kExitOk;
      }
    }
    return mud_check(argc - 2, argv + 2);
  }
  if (std::strcmp(argv[1], "fetch") == 0) return mud_fetch(argc - 1, argv + 1);
  std::fprintf(stderr, "warden mud: unknown subcommand '%s'\n\n%s", argv[1], kHelp);
  return kExitUsage;
}

}  // namespace warden::app
