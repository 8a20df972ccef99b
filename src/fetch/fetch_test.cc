#include "fetch/fetch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/temp_dir.h"

namespace warden::fetch {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
struct TempDir : warden::TempDir {
  TempDir() : warden::TempDir("warden-fetch") {}
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Fetch, SourcesAreCheckedAndLocalFilesHaveALimit) {
  EXPECT_TRUE(is_url("https://example.org/x"));
  EXPECT_TRUE(is_url("file:///tmp/x"));
  EXPECT_FALSE(is_url("/tmp/x"));
  EXPECT_FALSE(is_url("./a://b"));
  EXPECT_FALSE(normalize_source("ftp://example.org/x"));
  EXPECT_FALSE(normalize_source("gopher://example.org/x"));
  EXPECT_FALSE(normalize_source(""));
  EXPECT_FALSE(normalize_source("http://x/\n"));
  EXPECT_EQ(*normalize_source("HTTPS://example.org/x"), "HTTPS://example.org/x");
  auto abs = normalize_source("some/../list.txt");
  ASSERT_TRUE(abs);
  EXPECT_EQ(*abs, (fs::current_path() / "list.txt").string());

  TempDir tmp;
  write_file(tmp.path() + "/big.txt", std::string(2000, 'x'));
  FetchRequest req;
  req.source = tmp.path() + "/big.txt";
  req.max_bytes = 1000;
  auto r = fetch(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("limit"), std::string::npos) << r.error();
  req.max_bytes = 4000;
  EXPECT_EQ(fetch(req)->body.size(), 2000u);
  // file:// goes through libcurl with the same limit while streaming.
  req.source = "file://" + tmp.path() + "/big.txt";
  EXPECT_EQ(fetch(req)->body.size(), 2000u);
  req.max_bytes = 1000;
  r = fetch(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("limit"), std::string::npos) << r.error();
  req.source = "ftp://127.0.0.1/x";
  EXPECT_FALSE(fetch(req));
  req.source = tmp.path();
  EXPECT_FALSE(fetch(req));  // a directory is not a list
}

TEST(Fetch, ASinkGetsTheBodyInPiecesAndStaysBounded) {
  TempDir dir;
  const std::string path = dir.path() + "/big";
  write_file(path, std::string(3u << 20, 'x') + "end");
  for (const std::string& source : {path, "file://" + path}) {
    FetchRequest r;
    r.source = source;
    std::uint64_t seen = 0;
    std::size_t pieces = 0;
    std::string tail;
    r.sink = [&](std::string_view chunk) {
      seen += chunk.size();
      ++pieces;
      tail = std::string(chunk.substr(chunk.size() >= 3 ? chunk.size() - 3 : 0));
      return true;
    };
    auto got = fetch(r);
    ASSERT_TRUE(got) << got.error();
    EXPECT_TRUE(got->body.empty()) << source;  // handed over, not kept
    EXPECT_EQ(seen, (3u << 20) + 3) << source;
    EXPECT_GT(pieces, 1u) << source;
    EXPECT_EQ(tail, "end") << source;
    // Over the limit: refused, never more than the limit handed over.
    r.max_bytes = 1u << 20;
    seen = 0;
    auto capped = fetch(r);
    ASSERT_FALSE(capped) << source;
    EXPECT_NE(capped.error().find("limit"), std::string::npos) << capped.error();
    EXPECT_LE(seen, 1u << 20) << source;
    // A sink that says stop stops the transfer.
    r.max_bytes = kDefaultMaxBytes;
    r.sink = [](std::string_view) { return false; };
    auto stopped = fetch(r);
    ASSERT_FALSE(stopped) << source;
    EXPECT_NE(stopped.error().find("stopped by its receiver"), std::string::npos)
        << stopped.error();
  }
}

TEST(Fetch, HttpsOnlyRefusesEverythingElse) {
  TempDir tmp;
  write_file(tmp.path() + "/m.json", "{}");
  FetchRequest req;
  req.https_only = true;
  for (std::string source : {tmp.path() + "/m.json", "file://" + tmp.path() + "/m.json",
                             std::string("http://127.0.0.1:1/m.json")}) {
    req.source = source;
    auto r = fetch(req);
    ASSERT_FALSE(r) << source;
    EXPECT_NE(r.error().find("not an https URL"), std::string::npos) << r.error();
  }
}

}  // namespace
}  // namespace warden::fetch
