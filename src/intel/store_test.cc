#include "intel/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/temp_dir.h"

namespace warden::intel {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
struct TempDir : warden::TempDir {
  TempDir() : warden::TempDir("warden-store") {}
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

ListMeta sample_meta() {
  ListMeta m;
  m.name = "feodo.ip-list_2";
  m.source = "https://feodotracker.abuse.ch/downloads/ipblocklist.csv";
  m.kind = Kind::kIp;
  m.column = 1;
  m.column_name = "dst_ip";
  m.added = 1764560000;
  m.last_refresh = 1764563600;
  m.last_success = 1764563000;
  m.bytes = 123456;
  m.counts.ips = 1000;
  m.counts.cidrs = 20;
  m.counts.domains = 3;
  m.counts.ja3 = 4;
  m.counts.skipped = 7;
  m.etag = "W/\"5f3e-1a2b\"";
  m.last_modified = "Tue, 01 Dec 2026 03:00:00 GMT";
  m.last_error = "HTTP 503 from https://feodotracker.abuse.ch/downloads/ipblocklist.csv";
  return m;
}

TEST(ListName, OnlySafeFileNames) {
  EXPECT_TRUE(valid_list_name("feodo"));
  EXPECT_TRUE(valid_list_name("abuse.ch_ssl-bl.2024"));
  EXPECT_TRUE(valid_list_name(std::string(kMaxListName, 'a')));
  EXPECT_FALSE(valid_list_name(""));
  EXPECT_FALSE(valid_list_name("."));
  EXPECT_FALSE(valid_list_name(".."));
  EXPECT_FALSE(valid_list_name(".hidden"));
  EXPECT_FALSE(valid_list_name("../etc/passwd"));
  EXPECT_FALSE(valid_list_name("a/b"));
  EXPECT_FALSE(valid_list_name("a b"));
  EXPECT_FALSE(valid_list_name("a\nb"));
  EXPECT_FALSE(valid_list_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_list_name(std::string(kMaxListName + 1, 'a')));
  EXPECT_FALSE(valid_list_name("caf\xc3\xa9"));
}

TEST(Meta, RoundTrip) {
  const ListMeta m = sample_meta();
  auto back = parse_meta(render_meta(m));
  ASSERT_TRUE(back) << back.error().reason << " at line " << back.error().offset;
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->source, m.source);
  EXPECT_EQ(back->kind, Kind::kIp);
  EXPECT_EQ(back->column, 1);
  EXPECT_EQ(back->column_name, "dst_ip");
  EXPECT_EQ(back->added, m.added);
  EXPECT_EQ(back->last_refresh, m.last_refresh);
  EXPECT_EQ(back->last_success, m.last_success);
  EXPECT_EQ(back->bytes, m.bytes);
  EXPECT_EQ(back->counts.ips, 1000u);
  EXPECT_EQ(back->counts.cidrs, 20u);
  EXPECT_EQ(back->counts.domains, 3u);
  EXPECT_EQ(back->counts.ja3, 4u);
  EXPECT_EQ(back->counts.skipped, 7u);
  EXPECT_EQ(back->etag, m.etag);
  EXPECT_EQ(back->last_modified, m.last_modified);
  EXPECT_EQ(back->last_error, m.last_error);
  // Optional keys left out come back as their defaults.
  ListMeta minimal;
  minimal.name = "x";
  minimal.source = "/srv/x.txt";
  auto min_back = parse_meta(render_meta(minimal));
  ASSERT_TRUE(min_back);
  EXPECT_EQ(min_back->column, -1);
  EXPECT_TRUE(min_back->etag.empty());
  EXPECT_TRUE(min_back->last_error.empty());
  EXPECT_EQ(min_back->kind, Kind::kAuto);
}

TEST(Meta, ControlCharactersInValuesAreNeutralisedWhenWritten) {
  ListMeta m = sample_meta();
  m.last_error = "line one\nsource=file:///etc/shadow\r\x01";
  m.etag = std::string(kMaxMetaValue + 100, 'e');
  const std::string text = render_meta(m);
  auto back = parse_meta(text);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->source, m.source);  // the injected line did not become a key
  EXPECT_EQ(back->last_error, "line one source=file:///etc/shadow  ");
  EXPECT_EQ(back->etag.size(), kMaxMetaValue);
}

TEST(Meta, HostileInputIsRefusedWithTheLine) {
  const std::string head = "format=1\nname=a\nsource=/x\n";
  struct Case {
    std::string text;
    std::size_t line;
  };
  const Case cases[] = {
      {"", 0},                                                           // empty: no format
      {"name=a\nsource=/x\n", 1},                                        // format not first
      {"format=2\nname=a\nsource=/x\n", 1},                              // unknown version
      {"format=1\nsource=/x\n", 0},                                      // no name
      {"format=1\nname=a\n", 0},                                         // no source
      {head + "garbage\n", 4},                                           // not key=value
      {head + "colour=blue\n", 4},                                       // unknown key
      {head + "name=b\n", 4},                                            // duplicate key
      {"format=1\nname=../../etc\nsource=/x\n", 2},                      // path tricks in the name
      {"format=1\nname=a\nsource=\n", 3},                                // empty source
      {head + "kind=everything\n", 4},                                   // unknown kind
      {head + "column=256\n", 4},                                        // out of range
      {head + "column=-2\n", 4},                                         // out of range
      {head + "ips=-1\n", 4},                                            // negative count
      {head + "ips=99999999999999999999999\n", 4},                       // overflow
      {head + "bytes=12abc\n", 4},                                       // trailing junk
      {head + "added=\n", 4},                                            // empty number
      {head + "last_error=bell\x07\n", 4},                               // control character
      {head + "etag=x\r\n", 4},                                          // CR (a DOS-edited file)
      {head + "etag=" + std::string(kMaxMetaValue + 1, 'x') + "\n", 4},  // too long
  };
  for (const auto& c : cases) {
    auto r = parse_meta(c.text);
    ASSERT_FALSE(r) << "accepted: " << c.text;
    EXPECT_EQ(r.error().offset, c.line) << c.text << " -> " << r.error().reason;
  }
  EXPECT_FALSE(parse_meta(head + std::string(kMaxMetaBytes, '#')));
  // Comments and blank lines are fine.
  EXPECT_TRUE(parse_meta("# hand-edited\n\n" + head + "\n# end\n"));
}

TEST(Store, DefaultDirectoryFollowsTheEnvironment) {
  EXPECT_EQ(default_store_dir({.warden_intel_dir = "/srv/intel", .home = "/home/u", .root = true}),
            "/srv/intel");
  EXPECT_EQ(default_store_dir({.home = "/home/u", .root = true}), "/var/lib/warden/intel");
  EXPECT_EQ(default_store_dir({.xdg_data_home = "/xdg", .home = "/home/u"}), "/xdg/warden/intel");
  EXPECT_EQ(default_store_dir({.xdg_data_home = "rel", .home = "/home/u"}),
            "/home/u/.local/share/warden/intel");
  EXPECT_EQ(default_store_dir({}), "");
}

TEST(Store, AddListRefreshRemoveFromFiles) {
  TempDir tmp;
  const std::string src = tmp.path() + "/feed.txt";
  write_file(src, "# feed\n198.51.100.7\n203.0.113.0/24\nbad.example.com\nnot one\n");
  ListStore store(tmp.path() + "/store");
  EXPECT_FALSE(store.exists());

  ListMeta spec;
  spec.name = "feed";
  spec.source = src;
  auto added = store.add(spec, fetch::fetch, 1000);
  ASSERT_TRUE(added) << added.error();
  EXPECT_TRUE(store.exists());
  EXPECT_EQ(added->counts.ips, 1u);
  EXPECT_EQ(added->counts.cidrs, 1u);
  EXPECT_EQ(added->counts.domains, 1u);
  EXPECT_EQ(added->counts.skipped, 1u);
  EXPECT_EQ(added->added, 1000);

  // The name is taken now; a bad name, an empty list or a missing file store nothing.
  EXPECT_FALSE(store.add(spec, fetch::fetch, 1001));
  spec.name = "../escape";
  EXPECT_FALSE(store.add(spec, fetch::fetch, 1001));
  write_file(tmp.path() + "/empty.txt", "# nothing here\njunk\n");
  spec.name = "empty";
  spec.source = tmp.path() + "/empty.txt";
  auto empty = store.add(spec, fetch::fetch, 1001);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("no indicator"), std::string::npos) << empty.error();
  spec.source = tmp.path() + "/missing.txt";
  EXPECT_FALSE(store.add(spec, fetch::fetch, 1001));
  // A CSV column that the header lacks is a parse error.
  write_file(tmp.path() + "/c.csv", "a,b\n1.2.3.4,x\n");
  spec.name = "csv";
  spec.source = tmp.path() + "/c.csv";
  spec.column_name = "dst_ip";
  EXPECT_FALSE(store.add(spec, fetch::fetch, 1001));
  spec.column_name = "a";
  ASSERT_TRUE(store.add(spec, fetch::fetch, 1001));

  auto names = store.names();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"csv", "feed"}));
  auto meta = store.read_meta("csv");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->column_name, "a");
  EXPECT_EQ(meta->counts.ips, 1u);

  // Everything loads into one set, each list under its own name.
  IntelSet set;
  auto loaded = store.load_into(set);
  EXPECT_EQ(loaded.lists, 2u);
  EXPECT_EQ(loaded.indicators, 4u);
  EXPECT_TRUE(loaded.warnings.empty());
  ASSERT_TRUE(set.match_ip(*IpAddr::parse("1.2.3.4")));
  EXPECT_EQ(set.match_ip(*IpAddr::parse("1.2.3.4"))->list, "csv");
  EXPECT_EQ(set.match_domain("x.bad.example.com")->list, "feed");

  // Unchanged source: "unchanged". Changed: new counts. Gone: an error, the old copy kept.
  auto r = store.refresh("feed", fetch::fetch, 2000);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->state, RefreshState::kUnchanged);
  write_file(src, "198.51.100.7\n198.51.100.8\n198.51.100.9\n");
  r = store.refresh("feed", fetch::fetch, 3000);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->state, RefreshState::kUpdated);
  EXPECT_EQ(r->previous_total, 3u);
  EXPECT_EQ(r->meta.counts.ips, 3u);
  EXPECT_EQ(r->meta.last_success, 3000);
  fs::remove(src);
  r = store.refresh("feed", fetch::fetch, 4000);
  ASSERT_FALSE(r);
  meta = store.read_meta("feed");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->last_refresh, 4000);
  EXPECT_EQ(meta->last_success, 3000);
  EXPECT_NE(meta->last_error.find("feed.txt"), std::string::npos) << meta->last_error;
  EXPECT_EQ(meta->counts.ips, 3u);
  auto text = store.read_text("feed");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "198.51.100.7\n198.51.100.8\n198.51.100.9\n");
  // A source that now parses to nothing also keeps the old copy.
  write_file(src, "nothing\n");
  EXPECT_FALSE(store.refresh("feed", fetch::fetch, 5000));
  EXPECT_EQ(store.read_meta("feed")->counts.ips, 3u);
  EXPECT_FALSE(store.refresh("nope", fetch::fetch, 5000));

  ASSERT_TRUE(store.remove("feed"));
  EXPECT_FALSE(store.remove("feed"));
  EXPECT_FALSE(store.remove("../csv"));
  EXPECT_EQ(*store.names(), std::vector<std::string>{"csv"});
  EXPECT_FALSE(fs::exists(tmp.path() + "/store/feed.list"));
}

TEST(Store, ConditionalRefreshWithValidators) {
  TempDir tmp;
  ListStore store(tmp.path());
  int calls = 0;
  fetch::FetchRequest seen;
  // A stand-in for an HTTP server: validators on the first answer, 304 once they come back.
  Fetcher server = [&](const fetch::FetchRequest& req) -> fetch::FetchResult {
    ++calls;
    seen = req;
    fetch::Fetched f;
    if (req.etag == "\"v1\"") {
      f.not_modified = true;
      return f;
    }
    f.body = "192.0.2.1\n";
    f.etag = "\"v1\"";
    f.last_modified = "Tue, 01 Dec 2026 03:00:00 GMT";
    return f;
  };
  ListMeta spec;
  spec.name = "http";
  spec.source = "http://127.0.0.1:1/list.txt";
  ASSERT_TRUE(store.add(spec, server, 10));
  EXPECT_EQ(store.read_meta("http")->etag, "\"v1\"");
  auto r = store.refresh("http", server, 20);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->state, RefreshState::kUnchanged);
  EXPECT_EQ(seen.etag, "\"v1\"");
  EXPECT_EQ(seen.last_modified, "Tue, 01 Dec 2026 03:00:00 GMT");
  EXPECT_EQ(r->meta.etag, "\"v1\"");  // a 304 without validators keeps ours
  EXPECT_EQ(r->meta.last_success, 20);
  EXPECT_EQ(calls, 2);
  // A lost NAME.list: no validators are sent, so the full list comes back and is stored.
  fs::remove(tmp.path() + "/http.list");
  r = store.refresh("http", server, 30);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->state, RefreshState::kUpdated);
  EXPECT_TRUE(seen.etag.empty());
  EXPECT_EQ(*store.read_text("http"), "192.0.2.1\n");
  // A server answering 304 to an unconditional request gives us nothing to use.
  fs::remove(tmp.path() + "/http.list");
  Fetcher always_304 = [](const fetch::FetchRequest&) -> fetch::FetchResult {
    fetch::Fetched f;
    f.not_modified = true;
    return f;
  };
  EXPECT_FALSE(store.refresh("http", always_304, 40));
}

TEST(Store, DamagedMetadataIsSkippedWhenLoadingAndCanBeRemoved) {
  TempDir tmp;
  ListStore store(tmp.path());
  write_file(tmp.path() + "/good.list", "192.0.2.1\n");
  ListMeta good;
  good.name = "good";
  good.source = "/nowhere";
  write_file(tmp.path() + "/good.meta", render_meta(good));
  write_file(tmp.path() + "/bad.meta", "format=1\nname=bad\nsource=/x\nsource=/y\n");
  write_file(tmp.path() + "/other.meta", render_meta(good));  // names another list
  write_file(tmp.path() + "/.hidden.meta", "x");              // not a list name: ignored
  IntelSet set;
  auto loaded = store.load_into(set);
  EXPECT_EQ(loaded.lists, 1u);
  EXPECT_EQ(loaded.indicators, 1u);
  ASSERT_EQ(loaded.warnings.size(), 2u);
  EXPECT_NE(loaded.warnings[0].find("line 4: key given twice"), std::string::npos)
      << loaded.warnings[0];
  EXPECT_TRUE(store.remove("bad"));
}

TEST(Store, LockIsExclusive) {
  TempDir tmp;
  ListStore store(tmp.path() + "/s");
  auto first = StoreLock::acquire(store);
  ASSERT_TRUE(first) << first.error();
  EXPECT_FALSE(StoreLock::acquire(store));
}

}  // namespace
}  // namespace warden::intel
