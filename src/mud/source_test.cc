#include "mud/source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/temp_dir.h"
#include "mud/test_pki.h"

namespace warden::mud {
namespace {

namespace fs = std::filesystem;
using testing::mud_json;
using testing::pki_path;
using testing::sign;

// A fresh directory per test, removed afterwards.
struct TempDir : warden::TempDir {
  TempDir() : warden::TempDir("warden-mud") {}
};

// A web server in a map: URL -> body. Counts requests and remembers the last one.
struct FakeWeb {
  std::map<std::string, std::string> pages;
  int requests = 0;
  fetch::FetchRequest last;
  Fetcher fetcher() {
    return [this](const fetch::FetchRequest& r) -> fetch::FetchResult {
      ++requests;
      last = r;
      auto it = pages.find(r.source);
      if (it == pages.end()) return unexpected("HTTP 404 from " + r.source);
      if (it->second.size() > r.max_bytes)
        return unexpected("could not fetch " + r.source + ": larger than the limit");
      fetch::Fetched f;
      f.body = it->second;
      return f;
    };
  }
};

const std::string kUrl = "https://mud.example.com/bulb.json";
const std::string kSigUrl = "https://mud.example.com/bulb.p7s";

class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TrustStore::load({.ca_file = pki_path("ca.pem")});
    ASSERT_TRUE(t) << t.error();
    trust_ = std::move(*t);
  }
  // Publishes a signed file at kUrl.
  void publish_signed(const std::string& who = "signer", int validity = 48) {
    const std::string body = mud_json(kUrl, kSigUrl, validity);
    web_.pages[kUrl] = body;
    web_.pages[kSigUrl] = sign(body, who);
  }
  MudSource source(SourceOptions o = {}) {
    return MudSource(std::move(o), trust_, web_.fetcher(), [this] { return now_; });
  }
  void expect_error(const Result<Acquired, std::string>& r, const std::string& part) {
    ASSERT_FALSE(r) << "accepted, expected: " << part;
    EXPECT_NE(r.error().find(part), std::string::npos) << r.error();
  }

  TrustStore trust_;
  FakeWeb web_;
  std::int64_t now_ = 1'700'000'000;
};

TEST_F(SourceTest, SignedFileIsFetchedCheckedAndVerified) {
  publish_signed();
  auto r = source().acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->signature, SignatureState::kVerified);
  EXPECT_EQ(r->signer.signer_subject, "CN=Example Devices MUD signer,O=Example Devices");
  EXPECT_EQ(r->signature_url, kSigUrl);
  EXPECT_EQ(r->mud.systeminfo, "Test bulb");
  EXPECT_TRUE(r->url_checked);
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(r->expires_at, now_ + 48 * 3600);
  EXPECT_EQ(web_.requests, 2);
  // Announced URLs are fetched https only, with the MUD size limit (the signature's own).
  EXPECT_TRUE(web_.last.https_only);
  EXPECT_EQ(web_.last.max_bytes, kMaxSignatureBytes);
}

TEST_F(SourceTest, TamperedFileIsRefused) {
  publish_signed();
  std::string& body = web_.pages[kUrl];
  body.replace(body.find("cloud.example.com"), 17, "cloud.example.net");
  expect_error(source().acquire(kUrl, UrlOrigin::kDhcp), "signature does not match the file");
}

TEST_F(SourceTest, UntrustedSignerIsRefused) {
  publish_signed("other-signer");
  expect_error(source().acquire(kUrl, UrlOrigin::kLldp), "signer certificate not trusted");
  // Allowing unsigned files does not excuse a published signature that fails.
  expect_error(source({.allow_unsigned = true}).acquire(kUrl, UrlOrigin::kLldp),
               "signer certificate not trusted");
}

TEST_F(SourceTest, UnsignedFileNeedsTheFlag) {
  web_.pages[kUrl] = mud_json(kUrl);
  expect_error(source().acquire(kUrl, UrlOrigin::kDhcp),
               "publishes no signature (mud-signature) and unsigned MUD files are not allowed");
  auto r = source({.allow_unsigned = true}).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->signature, SignatureState::kUnsigned);
}

TEST_F(SourceTest, MissingSignatureIsAnError) {
  publish_signed();
  web_.pages.erase(kSigUrl);
  expect_error(source({.allow_unsigned = true}).acquire(kUrl, UrlOrigin::kDhcp),
               "cannot fetch its signature: HTTP 404");
}

TEST_F(SourceTest, FileMustNameTheUrlItCameFrom) {
  // A device announcing someone else's file at its own address.
  const std::string other = "https://mud.example.com/camera.json";
  const std::string body = mud_json(kUrl, kSigUrl);
  web_.pages[other] = body;
  web_.pages[kSigUrl] = sign(body);
  expect_error(source().acquire(other, UrlOrigin::kDhcp),
               other + " names itself " + kUrl + " (mud-url)");
}

TEST_F(SourceTest, AnnouncedUrlsAreHttpsOnly) {
  for (std::string url : {"http://mud.example.com/bulb.json", "file:///etc/passwd", "/etc/passwd",
                          "ftp://mud.example.com/x"}) {
    expect_error(source().acquire(url, UrlOrigin::kDhcp), "not https");
  }
  expect_error(source().acquire("https://mud.example.com/a b", UrlOrigin::kDhcp), "spaces");
  expect_error(source().acquire("https://x/\n", UrlOrigin::kLldp), "control characters");
  expect_error(source().acquire("https://x/\xc3\xa9", UrlOrigin::kDhcp), "not ASCII");
  expect_error(source().acquire("https://x/" + std::string(3000, 'a'), UrlOrigin::kConfigured),
               "longer than 2048");
  expect_error(source().acquire("http://mud.example.com/bulb.json", UrlOrigin::kConfigured),
               "only https");
  EXPECT_EQ(web_.requests, 0);
}

TEST_F(SourceTest, SignatureUrlMustBeHttpsForFetchedFiles) {
  for (std::string sig : {"file:///etc/shadow", "/etc/shadow", "http://mud.example.com/b.p7s",
                          "https://mud.example.com/b.p7s\nx"}) {
    web_.pages[kUrl] = mud_json(kUrl, sig == "https://mud.example.com/b.p7s\nx"
                                          ? "https://mud.example.com/b.p7s\\nx"
                                          : sig);
    web_.requests = 0;
    expect_error(source().acquire(kUrl, UrlOrigin::kDhcp), "unusable mud-signature");
    EXPECT_EQ(web_.requests, 1) << sig;  // the file only: the signature was never fetched
  }
}

TEST_F(SourceTest, SizeLimitIsPassedToTheFetcher) {
  web_.pages[kUrl] = std::string(kMaxMudBytes + 1, ' ');
  expect_error(source({.allow_unsigned = true}).acquire(kUrl, UrlOrigin::kDhcp), "limit");
  EXPECT_EQ(web_.last.max_bytes, kMaxMudBytes);
}

TEST_F(SourceTest, InvalidFileNamesThePath) {
  web_.pages[kUrl] = "{\"ietf-mud:mud\": {\"mud-version\": 2}}";
  expect_error(source({.allow_unsigned = true}).acquire(kUrl, UrlOrigin::kDhcp),
               kUrl + ": not a valid MUD file: ");
}

TEST_F(SourceTest, CacheHitNeedsNoNetworkUntilTheFileExpires) {
  TempDir tmp;
  publish_signed("signer", /*validity=*/2);
  const SourceOptions o{.cache_dir = tmp.path() + "/cache"};
  auto first = source(o).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(first) << first.error();
  EXPECT_TRUE(first->cache_error.empty()) << first->cache_error;
  EXPECT_EQ(web_.requests, 2);
  for (const char* ext : {".json", ".p7s", ".meta"})
    EXPECT_TRUE(fs::exists(tmp.path() + "/cache/" + cache_key(kUrl) + ext)) << ext;

  // The web goes away: a renewal an hour later is answered from the cache, identically.
  web_.pages.clear();
  now_ += 3600;
  auto again = source(o).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(web_.requests, 2);
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->bytes, first->bytes);
  EXPECT_EQ(again->signature, SignatureState::kVerified);
  EXPECT_EQ(again->signer.signer_subject, first->signer.signer_subject);
  EXPECT_EQ(again->fetched_at, first->fetched_at);
  EXPECT_EQ(again->expires_at, first->fetched_at + 2 * 3600);

  // Past cache-validity (2 hours) it is fetched again.
  now_ += 3600;
  expect_error(source(o).acquire(kUrl, UrlOrigin::kDhcp), "HTTP 404");
  EXPECT_EQ(web_.requests, 3);
}

TEST_F(SourceTest, StaleCopyOnlyWhenAskedAndOnlyWhenTheRefetchFails) {
  TempDir tmp;
  publish_signed("signer", /*validity=*/1);
  SourceOptions o{.cache_dir = tmp.path(), .stale_if_error = true};
  ASSERT_TRUE(source(o).acquire(kUrl, UrlOrigin::kDhcp));
  const std::string good = web_.pages[kUrl];
  now_ += 2 * 3600;  // expired
  // The server still answers: a fresh copy, not the stale one.
  auto fresh = source(o).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(fresh) << fresh.error();
  EXPECT_FALSE(fresh->from_cache);
  EXPECT_FALSE(fresh->stale);
  // Server gone after expiry: the expired copy, marked.
  web_.pages.clear();
  now_ += 2 * 3600;
  auto stale = source(o).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(stale) << stale.error();
  EXPECT_TRUE(stale->stale);
  EXPECT_TRUE(stale->from_cache);
  EXPECT_EQ(stale->bytes, good);
  EXPECT_NE(stale->refresh_error.find("HTTP 404"), std::string::npos) << stale->refresh_error;
  // Without the option, the failure is the answer.
  o.stale_if_error = false;
  expect_error(source(o).acquire(kUrl, UrlOrigin::kDhcp), "HTTP 404");
}

TEST_F(SourceTest, TamperedCacheIsAMissNotATrust) {
  TempDir tmp;
  publish_signed();
  const SourceOptions o{.cache_dir = tmp.path()};
  ASSERT_TRUE(source(o).acquire(kUrl, UrlOrigin::kDhcp));
  const std::string json = tmp.path() + "/" + cache_key(kUrl) + ".json";
  std::string body = testing::read_text(json);
  body.replace(body.find("cloud.example.com"), 17, "cloud.example.net");
  std::ofstream(json, std::ios::binary | std::ios::trunc) << body;
  // The planted copy fails verification, so the file is fetched again (and is good).
  auto r = source(o).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(web_.requests, 4);
  EXPECT_NE(r->bytes.find("cloud.example.com"), std::string::npos);
  // Garbage meta is a miss as well.
  std::ofstream(tmp.path() + "/" + cache_key(kUrl) + ".meta", std::ios::trunc) << "junk\n";
  ASSERT_TRUE(source(o).acquire(kUrl, UrlOrigin::kDhcp));
  EXPECT_EQ(web_.requests, 6);
}

TEST_F(SourceTest, UnsignedCacheEntryObeysTodaysPolicy) {
  TempDir tmp;
  web_.pages[kUrl] = mud_json(kUrl);
  ASSERT_TRUE(
      source({.allow_unsigned = true, .cache_dir = tmp.path()}).acquire(kUrl, UrlOrigin::kDhcp));
  web_.pages.clear();
  expect_error(source({.cache_dir = tmp.path()}).acquire(kUrl, UrlOrigin::kDhcp),
               "HTTP 404");  // the unsigned hit is not accepted without the flag
  auto hit =
      source({.allow_unsigned = true, .cache_dir = tmp.path()}).acquire(kUrl, UrlOrigin::kDhcp);
  ASSERT_TRUE(hit) << hit.error();
  EXPECT_TRUE(hit->from_cache);
}

TEST_F(SourceTest, ConfiguredLocalCopy) {
  TempDir tmp;
  // An operator's local copy of a vendor file: its mud-url names the vendor's URL, and its
  // signature is fetched from there.
  const std::string body = mud_json(kUrl, kSigUrl);
  const std::string path = tmp.path() + "/bulb.json";
  std::ofstream(path, std::ios::binary) << body;
  web_.pages[kSigUrl] = sign(body);
  // The real fetcher reads the file; the signature URL goes to the fake web.
  Fetcher mixed = [this](const fetch::FetchRequest& r) -> fetch::FetchResult {
    if (!fetch::is_url(r.source) || r.source.starts_with("file://")) return fetch::fetch(r);
    return web_.fetcher()(r);
  };
  MudSource local(SourceOptions{}, trust_, mixed, [this] { return now_; });
  for (const std::string& url : {path, "file://" + path}) {
    auto r = local.acquire(url, UrlOrigin::kConfigured);
    ASSERT_TRUE(r) << r.error();
    EXPECT_FALSE(r->url_checked);
    EXPECT_EQ(r->signature, SignatureState::kVerified);
  }
  // The same path announced by a device is refused before anything is read.
  expect_error(local.acquire(path, UrlOrigin::kDhcp), "not https");
}

}  // namespace
}  // namespace warden::mud
