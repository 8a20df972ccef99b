#include "storage/baseline_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace warden::storage {
namespace {

using detect::BaselineKind;

struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    char tmpl[] = "/tmp/warden-baseline-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string path(const char* name) const { return (dir / name).string(); }
};

detect::BaselineSnapshot sample() {
  detect::BaselineModel m;
  detect::DeviceBaseline* d = m.device("00:11:22:33:44:55", 1'000'000'000, 3600'000'000'000);
  d->flows = 42;
  d->stable_since = 3601'000'000'000;
  d->volume.add(5'000'000'000'000, 123456);
  d->volume.add(9'000'000'000'000, 654321);
  m.learn(*d, BaselineKind::kDestination, "example.com", 2'000'000'000);
  m.learn(*d, BaselineKind::kDestination, "net:203.0.113.0/24", 2'000'000'000);
  m.learn(*d, BaselineKind::kService, "tcp/443", 2'000'000'000);
  m.learn(*d, BaselineKind::kProtocol, "TLS", 2'000'000'000);
  m.learn(*d, BaselineKind::kPeer, "ip:10.0.0.5", 2'000'000'000);
  m.device("ip:10.0.0.5", 7, 3600);
  return m.snapshot();
}

void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(BaselineStore, SavesAndLoadsEveryField) {
  TempDir t;
  const auto snap = sample();
  ASSERT_TRUE(save_baseline(t.path("b.db"), snap));
  EXPECT_FALSE(std::filesystem::exists(t.path("b.db.tmp-") + std::to_string(getpid())));
  auto back = load_baseline(t.path("b.db"), {});
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->devices.size(), 2u);
  const auto& a = snap.devices[0];
  const auto& b = back->devices[0];
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.first_seen, a.first_seen);
  EXPECT_EQ(b.learning_until, a.learning_until);
  EXPECT_EQ(b.stable_since, a.stable_since);
  EXPECT_EQ(b.flows, 42u);
  EXPECT_EQ(b.last_new, a.last_new);
  EXPECT_EQ(b.volume.hours, 1u);
  EXPECT_EQ(b.volume.mean_bytes, 123456.0);
  EXPECT_EQ(b.volume.hour, a.volume.hour);
  EXPECT_EQ(b.volume.hour_bytes, 654321u);
  ASSERT_EQ(b.items.size(), 5u);
  detect::BaselineModel m;
  m.restore(*back);
  EXPECT_EQ(m.item_count(), 5u);
  EXPECT_EQ(m.snapshot().devices[0].items.size(), 5u);
  // Saving again replaces the file whole.
  ASSERT_TRUE(save_baseline(t.path("b.db"), detect::BaselineSnapshot{}));
  EXPECT_TRUE(load_baseline(t.path("b.db"), {})->devices.empty());
}

TEST(BaselineStore, RefusesWhatIsNotOneOfOurs) {
  TempDir t;
  EXPECT_NE(load_baseline(t.path("missing.db"), {}).error().find("cannot open"), std::string::npos);
  std::ofstream(t.path("text.db")) << "SQLite format 3? no, just text, but long enough......\n";
  EXPECT_NE(load_baseline(t.path("text.db"), {}).error().find("not a warden baseline"),
            std::string::npos);
  exec(t.path("other.db"), "CREATE TABLE devices(id TEXT)");
  EXPECT_NE(load_baseline(t.path("other.db"), {}).error().find("of another kind"),
            std::string::npos);
  ASSERT_TRUE(save_baseline(t.path("v2.db"), sample()));
  exec(t.path("v2.db"), "PRAGMA user_version=2");
  EXPECT_NE(load_baseline(t.path("v2.db"), {}).error().find("format 2"), std::string::npos);
}

// Every field is checked: a tampered row is an error that names it, never a partial model.
TEST(BaselineStore, ValidatesEveryRow) {
  TempDir t;
  ASSERT_TRUE(save_baseline(t.path("good.db"), sample()));
  const std::pair<const char*, const char*> cases[] = {
      {"UPDATE devices SET flows=-1", "flows is out of range"},
      {"UPDATE devices SET flows='many'", "flows is not an integer"},
      {"UPDATE devices SET mean_bytes=-5.0", "mean_bytes is out of range"},
      {"UPDATE devices SET id='router' WHERE id='ip:10.0.0.5'", "id is not a device id"},
      {"UPDATE devices SET last_seen=0", "times are out of order"},
      {"UPDATE devices SET first_seen=9e18", "first_seen is out of range"},
      {"UPDATE devices SET hour=-7", "hour is out of range"},
      {"UPDATE items SET kind='colour'", "unknown kind"},
      {"UPDATE items SET value='TLS 1.3' WHERE kind='protocol'", "not a valid protocol"},
      {"UPDATE items SET value=X'41' WHERE kind='protocol'", "value is not text"},
      {"UPDATE items SET device='00:00:00:00:00:99' WHERE kind='peer'", "belongs to no device"},
      {"UPDATE items SET count=-2 WHERE kind='service'", "count is out of range"},
  };
  for (const auto& [sql, want] : cases) {
    std::filesystem::copy_file(t.path("good.db"), t.path("bad.db"),
                               std::filesystem::copy_options::overwrite_existing);
    exec(t.path("bad.db"), sql);
    auto r = load_baseline(t.path("bad.db"), {});
    ASSERT_FALSE(r) << sql;
    EXPECT_NE(r.error().find(want), std::string::npos) << sql << " -> " << r.error();
  }
}

TEST(BaselineStore, RefusesMoreThanTheCaps) {
  TempDir t;
  ASSERT_TRUE(save_baseline(t.path("b.db"), sample()));
  detect::BaselineLimits small;
  small.max_devices = 1;
  EXPECT_NE(load_baseline(t.path("b.db"), small).error().find("more than 1 devices"),
            std::string::npos);
  detect::BaselineLimits few;
  few.max_items[static_cast<std::size_t>(BaselineKind::kDestination)] = 1;
  EXPECT_NE(load_baseline(t.path("b.db"), few).error().find("more destination items"),
            std::string::npos);
}

TEST(BaselineStore, ADamagedFileIsAnErrorNotACrash) {
  TempDir t;
  detect::BaselineSnapshot big = sample();
  for (int i = 0; i < 300; ++i) {
    big.devices[0].items.push_back(
        {BaselineKind::kDestination, "host" + std::to_string(i) + ".example", {1, 1, 1}});
  }
  detect::BaselineLimits roomy;
  roomy.max_items[static_cast<std::size_t>(BaselineKind::kDestination)] = 1000;
  ASSERT_TRUE(save_baseline(t.path("b.db"), big));
  ASSERT_TRUE(load_baseline(t.path("b.db"), roomy));
  // Flip bytes all over the file, one position at a time: each load fails cleanly or, when
  // the byte did not matter, loads.
  std::ifstream in(t.path("b.db"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 8192u);
  int refused = 0;
  for (std::size_t pos = 0; pos < bytes.size(); pos += 97) {
    std::string damaged = bytes;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5a);
    std::ofstream(t.path("d.db"), std::ios::binary | std::ios::trunc) << damaged;
    auto r = load_baseline(t.path("d.db"), roomy);
    refused += !r;
  }
  EXPECT_GT(refused, 0);
  // Cut short.
  std::ofstream(t.path("cut.db"), std::ios::binary | std::ios::trunc)
      << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(load_baseline(t.path("cut.db"), roomy));
}

TEST(BaselineStore, AFailedSaveKeepsThePreviousFile) {
  TempDir t;
  ASSERT_TRUE(save_baseline(t.path("b.db"), sample()));
  // The temporary file cannot be created: a directory is in its way.
  const std::string tmp = t.path("b.db.tmp-") + std::to_string(getpid());
  std::filesystem::create_directory(tmp);
  std::filesystem::create_directory(tmp + "/x");
  auto r = save_baseline(t.path("b.db"), detect::BaselineSnapshot{});
  EXPECT_FALSE(r);
  auto back = load_baseline(t.path("b.db"), {});
  ASSERT_TRUE(back);
  EXPECT_EQ(back->devices.size(), 2u);
  EXPECT_FALSE(save_baseline(t.path("no/such/dir/b.db"), sample()));
}

}  // namespace
}  // namespace warden::storage
