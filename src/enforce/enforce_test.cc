// The renderer's output is checked two ways: by reading it (the shape the docs promise), and by
// handing it to the real kernel through libnftables in a private network namespace (every
// ruleset the RFC MUD files give must be accepted, and incremental changes must land). The
// kernel tests need root (CI runs as root) and are skipped without it.
#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "enforce/enforcer.h"
#include "enforce/nft.h"
#include "enforce/ruleset.h"
#include "enforce/state_store.h"
#include "policy/config.h"

namespace warden::enforce {
namespace {

constexpr Timestamp kNow = 1'800'000'000ull * kNsPerSec;

std::string read_data(const std::string& rel) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

DeviceEntry mud_device(const std::string& file, const char* mac, const char* addr) {
  auto m = mud::parse_mud(read_data("mud/" + file));
  EXPECT_TRUE(m) << file;
  DeviceEntry d;
  d.name = file.substr(0, file.find('.'));
  d.mac = *MacAddr::parse(mac);
  d.addrs = {ip(addr)};
  d.my_controller = {ip("10.77.0.5")};
  if (m) {
    auto p = policy::from_mud(*m);
    if (p) d.policy = *p;
  }
  return d;
}

DeviceEntry allow_device(
    const char* name, const char* mac, const char* addr,
    std::vector<std::tuple<const char*, const char*, const char*, bool>> allows) {
  DeviceEntry d;
  d.name = name;
  d.mac = *MacAddr::parse(mac);
  d.addrs = {ip(addr)};
  policy::DevicePolicy p;
  std::size_t i = 0;
  for (auto& [proto, port, peer, out] : allows) {
    auto r = policy::parse_allow_spec(proto, port, peer,
                                      out ? policy::Dir::kFromDevice : policy::Dir::kToDevice,
                                      "allow[" + std::to_string(i++) + "]");
    EXPECT_TRUE(r) << (r ? "" : r.error());
    if (r) p.rules.push_back(*r);
  }
  d.policy = p;
  return d;
}

GatewayState small_state() {
  GatewayState s;
  s.lan_networks = {*policy::parse_prefix("10.77.0.0/16")};
  s.update_servers = {*policy::parse_prefix("203.0.113.10")};
  s.update_names = {"updates.example.com"};
  s.devices.push_back(allow_device("cam", "02:77:00:00:00:12", "10.77.0.12",
                                   {{"tcp", "1883", "203.0.113.20", true},
                                    {"tcp", "554", "local-networks", false},
                                    {"udp", "123", "ntp.example.com", true}}));
  return s;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(Render, TableShape) {
  auto r = render_table(small_state(), 7, kNow);
  const std::string& t = r.script;
  EXPECT_TRUE(contains(t, "table inet warden {}\ndelete table inet warden\ntable inet warden {"));
  EXPECT_TRUE(contains(t, "comment \"warden gateway generation 7\""));
  EXPECT_TRUE(contains(
      t, "set lan4 { type ipv4_addr; flags interval; auto-merge; elements = { 10.77.0.0/16 }; }"));
  EXPECT_TRUE(contains(t,
                       "map from_mac { type ether_addr : verdict; elements = { 02:77:00:00:00:12 : "
                       "jump m027700000012_o }; }"));
  EXPECT_TRUE(contains(
      t,
      "map to4 { type ipv4_addr : verdict; elements = { 10.77.0.12 : jump m027700000012_i }; }"));
  // Traffic the device opens: new connections only, an allow returns (the peer's own chain
  // may still judge), and the chain ends in the counted default deny.
  EXPECT_TRUE(contains(t,
                       "ip daddr 203.0.113.20 meta l4proto 6 th dport 1883 ct state new counter "
                       "return comment \"allow[0]\""));
  EXPECT_TRUE(contains(t,
                       "ip saddr @lan4 meta l4proto 6 th dport 554 ct state new counter accept "
                       "comment \"allow[1]\""));
  EXPECT_TRUE(contains(t, "ip daddr @" + name_set("ntp.example.com", true) +
                              " meta l4proto 17 th dport 123 counter return"));
  EXPECT_TRUE(contains(t, "counter name m027700000012_drop drop comment \"default deny\""));
  // A quarantined device's own packets stop before connection tracking (open connections
  // too); established traffic then costs one lookup; quarantine by address follows (the
  // enforcer deletes the device's conntrack entries, so its connections come back as new).
  EXPECT_LT(t.find("ether saddr vmap @q_from_mac"), t.find("ct state established,related accept"));
  EXPECT_LT(t.find("ct state established,related accept"), t.find("ip daddr vmap @q_to4"));
  EXPECT_LT(t.find("ip daddr vmap @q_to4"), t.find("ether saddr vmap @from_mac"));
}

TEST(Render, ResolvedNamesCarryTheirRemainingLifetime) {
  GatewayState s = small_state();
  s.resolved["ntp.example.com"][ip("198.51.100.123")] = kNow + 600 * kNsPerSec;
  s.resolved["ntp.example.com"][ip("198.51.100.124")] = kNow - 1;  // expired: left out
  auto t = render_table(s, 1, kNow).script;
  EXPECT_TRUE(contains(t, "198.51.100.123 timeout 600s"));
  EXPECT_FALSE(contains(t, "198.51.100.124"));
}

TEST(Render, TcpRulesFollowWhoOpens) {
  GatewayState s;
  DeviceEntry d =
      mud_device("cisco_mudmanager_Luminaire_150.json", "02:77:00:00:00:30", "10.77.0.30");
  s.devices.push_back(d);
  auto t = render_table(s, 1, kNow).script;
  // "tcp/443 from fw-update (device opens)": only the device's connections, so nothing is
  // written into the to-device chain for it (replies ride connection tracking).
  const auto in_chain = t.substr(t.find("chain m027700000030_i"));
  EXPECT_FALSE(contains(in_chain.substr(0, in_chain.find("}")), "th sport 443"));
  EXPECT_TRUE(contains(t, "ip daddr { 10.77.0.5 } meta l4proto 17 th dport 5684 counter return"));
}

TEST(Render, MyControllerWithoutAddressesIsNotAllowedAndSaysSo) {
  GatewayState s;
  DeviceEntry d =
      mud_device("cisco_mudmanager_Luminaire_150.json", "02:77:00:00:00:30", "10.77.0.30");
  d.my_controller.clear();
  s.devices.push_back(d);
  auto r = render_table(s, 1, kNow);
  bool said = false;
  for (const auto& w : r.warnings) said |= contains(w, "my-controller is not configured");
  EXPECT_TRUE(said);
  EXPECT_FALSE(contains(r.script, "5684"));
}

TEST(Render, NameSetsAreStableAndDnsmasqLinesNameThem) {
  EXPECT_EQ(name_set("a.example.com", true), name_set("a.example.com", true));
  EXPECT_NE(name_set("a.example.com", true), name_set("b.example.com", true));
  auto conf = dnsmasq_nftsets(small_state());
  EXPECT_TRUE(contains(conf, "nftset=/ntp.example.com/4#inet#warden#" +
                                 name_set("ntp.example.com", true) + ",6#inet#warden#" +
                                 name_set("ntp.example.com", false)));
  EXPECT_TRUE(contains(conf, "nftset=/updates.example.com/"));
}

TEST(Render, CommentsAreSanitised) {
  EXPECT_EQ(nft_comment("a\"b\ncd"), "a_b_cd");
  EXPECT_EQ(nft_comment(std::string(300, 'x')).size(), 120u);
}

TEST(Counters, ParsesAListing) {
  const char* json = R"({"nftables": [{"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "warden", "handle": 1, "comment": "warden gateway generation 4"}},
    {"counter": {"family": "inet", "name": "m027700000012_drop", "table": "warden", "handle": 3, "packets": 5, "bytes": 300}},
    {"rule": {"family": "inet", "table": "warden", "chain": "m027700000012_o", "handle": 9, "comment": "allow[0]",
      "expr": [{"match": {}}, {"counter": {"packets": 2, "bytes": 120}}, {"return": null}]}},
    {"rule": {"family": "inet", "table": "warden", "chain": "forward", "handle": 10, "expr": []}}]})";
  auto c = parse_counters(json);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->table_comment, "warden gateway generation 4");
  ASSERT_EQ(c->devices.size(), 1u);
  EXPECT_EQ(c->devices[0].key, "m027700000012");
  EXPECT_EQ(c->devices[0].drop_packets, 5u);
  ASSERT_EQ(c->rules.size(), 1u);
  EXPECT_EQ(c->rules[0].rule, "allow[0]");
  EXPECT_EQ(c->rules[0].device, "m027700000012");
  EXPECT_EQ(c->rules[0].packets, 2u);
  EXPECT_FALSE(parse_counters("not json"));
}

// ------------------------------------------------------------------ against the kernel

class Kernel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A private network namespace for this test process: the tables made here vanish with it
    // and never touch the machine's own filter.
    if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0) {
      auto n = LibNftables::open();
      if (n) nft_ = n->release();
    }
  }
  static void TearDownTestSuite() {
    delete nft_;
    nft_ = nullptr;
  }
  void SetUp() override {
    if (!nft_) GTEST_SKIP() << "needs root to make a network namespace and change its filter";
    dir_ = std::filesystem::temp_directory_path() /
           ("warden-enforce-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (nft_) (void)nft_->apply("table inet warden {}\ndelete table inet warden\n");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string listing() {
    auto l = nft_->list_json("list table inet warden");
    return (l ? *l : "") + table_comment(*nft_);
  }
  static LibNftables* nft_;
  std::filesystem::path dir_;
};
LibNftables* Kernel::nft_ = nullptr;

TEST_F(Kernel, EveryRfcMudFileGivesARulesetTheKernelAccepts) {
  GatewayState s = small_state();
  int i = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(WARDEN_SOURCE_DIR) + "/tests/data/mud")) {
    const std::string f = e.path().filename().string();
    if (e.path().extension() != ".json" || f == "osmud_MUDFILE.NEST.json" ||
        f == "osmud_lightbulb2000.json")
      continue;
    char mac[32], addr[32];
    ++i;
    std::snprintf(mac, sizeof mac, "02:77:00:00:01:%02x", i);
    std::snprintf(addr, sizeof addr, "10.77.1.%d", i);
    s.devices.push_back(mud_device(f, mac, addr));
  }
  ASSERT_GE(i, 16);
  Enforcer enf(*nft_, nullptr);
  auto a = enf.start(s, kNow);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->enforced_devices, s.devices.size());
  EXPECT_GT(a->rules, 200u);
  const std::string l = listing();
  EXPECT_TRUE(contains(l, "warden gateway generation 1"));
  EXPECT_TRUE(contains(l, "m027700000101_o"));
  // A rebuild replaces the table in one go: generation 2, same shape.
  auto b = enf.rebuild(kNow);
  ASSERT_TRUE(b) << b.error();
  EXPECT_TRUE(contains(listing(), "warden gateway generation 2"));
}

TEST_F(Kernel, QuarantineAndReleaseAreSmallTransactions) {
  Enforcer enf(*nft_, nullptr);
  ASSERT_TRUE(enf.start(small_state(), kNow));
  auto q = enf.resolve("cam");
  ASSERT_TRUE(q);
  q->reason = "test";
  auto d = enf.quarantine(*q);
  ASSERT_TRUE(d) << d.error();
  EXPECT_GE(d->enforced_ns, d->decided_ns);
  std::string l = listing();
  EXPECT_TRUE(contains(l, "m027700000012_qo"));
  EXPECT_TRUE(contains(l, "\"goto\": {\"target\": \"m027700000012_qo\"}") ||
              contains(l, "m027700000012_qo"));
  EXPECT_FALSE(enf.quarantine(*q)) << "a second quarantine of the same device is refused";
  // A device the configuration does not list, by address.
  auto other = enf.resolve("10.77.0.99");
  ASSERT_TRUE(other);
  ASSERT_TRUE(enf.quarantine(*other));
  auto r = enf.release("cam");
  ASSERT_TRUE(r) << r.error();
  l = listing();
  EXPECT_FALSE(contains(l, "m027700000012_qo"));
  EXPECT_TRUE(contains(l, "a0a4d0063_qo"));
  EXPECT_FALSE(enf.release("cam"));
}

TEST_F(Kernel, DnsAnswersFillTheNameSets) {
  Enforcer enf(*nft_, nullptr);
  ASSERT_TRUE(enf.start(small_state(), kNow));
  enf.on_dns_answer("ntp.example.com", {ip("198.51.100.123"), ip("2001:db8::123")}, 60, kNow);
  enf.on_dns_answer("unrelated.example.org", {ip("198.51.100.200")}, 60, kNow);
  ASSERT_TRUE(enf.pending());
  ASSERT_TRUE(enf.flush());
  // Twice: refreshing an address that is there already must work too.
  enf.on_dns_answer("ntp.example.com", {ip("198.51.100.123")}, 60, kNow);
  ASSERT_TRUE(enf.flush());
  const std::string l = listing();
  EXPECT_TRUE(contains(l, "198.51.100.123"));
  EXPECT_TRUE(contains(l, "2001:db8::123"));
  EXPECT_FALSE(contains(l, "198.51.100.200"));
  EXPECT_EQ(enf.stats().dns_answers_used, 2u);
}

TEST_F(Kernel, QuarantineSurvivesARestartThroughTheStore) {
  const std::string db = (dir_ / "gateway.db").string();
  {
    auto store = StateStore::open(db);
    ASSERT_TRUE(store) << store.error();
    Enforcer enf(*nft_, store->get());
    ASSERT_TRUE(enf.start(small_state(), kNow));
    auto q = enf.resolve("02:77:00:00:00:12");
    ASSERT_TRUE(q);
    q->reason = "ddos.syn";
    q->by = "detection:ddos.syn";
    ASSERT_TRUE(enf.quarantine(*q));
    enf.on_dns_answer("ntp.example.com", {ip("198.51.100.123")}, 60, kNow);
    ASSERT_TRUE(enf.flush());
  }
  // A crash: the table is gone too (the worst case), only the store is left.
  ASSERT_TRUE(nft_->apply("table inet warden {}\ndelete table inet warden\n"));
  auto store = StateStore::open(db);
  ASSERT_TRUE(store) << store.error();
  Enforcer enf(*nft_, store->get());
  auto a = enf.start(small_state(), kNow + kNsPerSec);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->generation, 2u) << "the generation continues from the stored one";
  ASSERT_EQ(enf.state().quarantine.size(), 1u);
  EXPECT_EQ(enf.state().quarantine[0].device, "cam");
  EXPECT_EQ(enf.state().quarantine[0].reason, "ddos.syn");
  const std::string l = listing();
  EXPECT_TRUE(contains(l, "m027700000012_qo"));
  EXPECT_TRUE(contains(l, "198.51.100.123")) << "resolved names come back before devices ask again";
  auto c = enf.counters();
  ASSERT_TRUE(c) << c.error();
  bool named = false;
  for (const auto& dc : c->devices) named |= dc.name == "cam";
  EXPECT_TRUE(named);
}

TEST(StateStoreFile, RefusesAForeignDatabase) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("warden-foreign-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto fresh = StateStore::open(path.string());
    ASSERT_TRUE(fresh) << fresh.error();
  }
  // Reopening our own file works; any other SQLite file is refused by name.
  ASSERT_TRUE(StateStore::open(path.string()));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA application_id=42", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto foreign = StateStore::open(path.string());
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().find("not a warden gateway state file"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace warden::enforce
