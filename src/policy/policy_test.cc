#include "policy/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "policy/config.h"
#include "policy/learned.h"

namespace warden::policy {
namespace {

std::string read_data(const std::string& rel) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DevicePolicy mud_policy(const std::string& file) {
  auto m = mud::parse_mud(read_data("mud/" + file));
  EXPECT_TRUE(m) << file;
  if (!m) return {};
  auto p = from_mud(*m);
  EXPECT_TRUE(p) << file;
  return p ? *p : DevicePolicy{};
}

TEST(Prefix, ParsesAndClearsHostBits) {
  auto p = parse_prefix("203.0.113.77/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "203.0.113.0/24");
  EXPECT_EQ(parse_prefix("198.51.100.7")->to_string(), "198.51.100.7");
  EXPECT_EQ(parse_prefix("2001:db8::1/32")->to_string(), "2001:db8::/32");
  EXPECT_FALSE(parse_prefix("203.0.113.0/33"));
  EXPECT_FALSE(parse_prefix("203.0.113.0/"));
  EXPECT_FALSE(parse_prefix("example.com"));
}

TEST(Names, AuthorityAndNormalisation) {
  EXPECT_EQ(url_authority("https://Lighting.Example.com:443/lightbulb2000"),
            "lighting.example.com");
  EXPECT_EQ(url_authority("https://user@luminaire.example.com/x?y"), "luminaire.example.com");
  EXPECT_EQ(url_authority("no-scheme"), "");
  EXPECT_EQ(normalize_dns_name("FW-Update.Example.COM."), "fw-update.example.com");
  EXPECT_EQ(normalize_dns_name("bad..name"), "");
  EXPECT_EQ(normalize_dns_name("white space.com"), "");
}

TEST(Names, LocalUrlHosts) {
  EXPECT_TRUE(url_host_is_local("https://127.0.0.1:8443/plug.json"));
  EXPECT_TRUE(url_host_is_local("https://192.168.1.1/x"));
  EXPECT_TRUE(url_host_is_local("https://[::1]:443/x"));
  EXPECT_TRUE(url_host_is_local("https://[fe80::1]/x"));
  EXPECT_TRUE(url_host_is_local("https://0.0.0.0/x"));
  EXPECT_FALSE(url_host_is_local("https://203.0.113.7/x"));
  EXPECT_FALSE(url_host_is_local("https://mud.example.com/x"));
}

TEST(FromMud, LuminaireUsesEveryAbstraction) {
  DevicePolicy p = mud_policy("cisco_mudmanager_Luminaire_150.json");
  EXPECT_EQ(p.source, DevicePolicy::Source::kMud);
  EXPECT_EQ(p.mud_url, "https://luminaire.example.com/Luminaire_150");
  ASSERT_EQ(p.rules.size(), 6u);
  EXPECT_TRUE(p.warnings.empty());
  const Rule& r0 = p.rules[0];
  EXPECT_EQ(r0.dir, Dir::kFromDevice);
  EXPECT_EQ(r0.protocol, 6);
  EXPECT_EQ(r0.peer.kind, Peer::Kind::kDnsName);
  EXPECT_EQ(r0.peer.value, "fw-update.luminaire.example.com");
  ASSERT_TRUE(r0.dst_port);
  EXPECT_EQ(r0.dst_port->port, 443);
  EXPECT_EQ(r0.initiated, mud::Initiated::kFromDevice);
  EXPECT_EQ(p.rules[1].peer.kind, Peer::Kind::kMyController);
  EXPECT_EQ(p.rules[2].peer.kind, Peer::Kind::kLocalNetworks);
  EXPECT_EQ(p.rules[3].dir, Dir::kToDevice);
  EXPECT_EQ(describe(r0),
            "allow tcp/443 to dns:fw-update.luminaire.example.com (IPv4) (device opens)");
}

TEST(FromMud, EveryRfcFileGivesRulesAndEthernetMatchesAreLeftOutWithAWarning) {
  for (const char* f : {"barmey_blink_camera_merged_usMud.json", "barmey_china_tp_plugMud.json",
                        "barmey_echo_dot_merged_usMud.json", "barmey_us_lifx_bulbMud.json",
                        "osmud_ietf-draft-example.json"}) {
    DevicePolicy p = mud_policy(f);
    EXPECT_FALSE(p.rules.empty()) << f;
    for (const auto& r : p.rules) EXPECT_FALSE(r.id.empty()) << f;
  }
  DevicePolicy blink = mud_policy("barmey_blink_camera_merged_usMud.json");
  bool eth_warning = false;
  for (const auto& w : blink.warnings) eth_warning |= w.find("Ethernet") != std::string::npos;
  EXPECT_TRUE(eth_warning);
}

TEST(Config, ParsesDevicesAndPolicies) {
  auto c = parse_gateway_config(R"({
    "lan_networks": ["10.77.0.0/16"],
    "update_servers": ["203.0.113.10", "Updates.Example.com"],
    "controllers": {"https://example.com/hub": ["10.77.0.5"]},
    "devices": [
      {"name": "plug", "mac": "02:77:00:00:00:11", "ipv4": ["10.77.0.11"], "mud": "plug.json"},
      {"name": "cam", "mac": "02:77:00:00:00:12",
       "allow": [{"proto": "tcp", "port": 1883, "to": "203.0.113.20"},
                 {"proto": "udp", "port": "5000-5010", "from": "local-networks"},
                 {"proto": "tcp", "port": 443, "to": "controller:https://example.com/hub"}]},
      {"ipv4": ["10.77.0.13"], "profile": "learned"}
    ]})");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->devices.size(), 3u);
  EXPECT_EQ(c->update_names, std::vector<std::string>{"updates.example.com"});
  EXPECT_EQ(c->update_servers.size(), 1u);
  EXPECT_EQ(c->devices[2].name, "10.77.0.13");
  EXPECT_TRUE(c->devices[2].learned);
  const auto& allow = *c->devices[1].allow;
  ASSERT_EQ(allow.size(), 3u);
  EXPECT_EQ(allow[0].peer.kind, Peer::Kind::kNetwork);
  EXPECT_EQ(allow[0].dst_port->port, 1883);
  EXPECT_EQ(allow[0].initiated, mud::Initiated::kFromDevice);
  EXPECT_EQ(allow[1].dir, Dir::kToDevice);
  EXPECT_EQ(allow[1].dst_port->op, mud::PortMatch::Op::kRange);
  EXPECT_FALSE(allow[1].src_port);
  EXPECT_EQ(allow[2].peer.kind, Peer::Kind::kController);
}

TEST(Config, ErrorsNameThePath) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {"[]", "must be a JSON object"},
      {R"({"devicez": []})", "devicez: unknown key"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11"}]})", "devices[0]: needs exactly one policy"},
      {R"({"devices": [{"name": "x", "mud": "a.json"}]})", "devices[0]: needs a \"mac\""},
      {R"({"devices": [{"mac": "01:00:5e:00:00:01", "mud": "a"}]})",
       "devices[0].mac: must be a unicast"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11", "allow": [{"proto": "tcp", "port": 70000, "to": "any"}]}]})",
       "devices[0].allow[0].port: must be 1..65535"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11", "allow": [{"proto": "icmp", "port": 7, "to": "any"}]}]})",
       "a port needs proto tcp or udp"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11", "allow": [{"to": "not a name!"}]}]})",
       "is neither"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11", "mud": "a"}, {"mac": "02:77:00:00:00:11", "mud": "b"}]})",
       "is listed twice"},
      {R"({"lan_networks": ["10.0.0.0/40"]})", "lan_networks[0]: not a network"},
      {R"({"devices": [{"mac": "02:77:00:00:00:11", "ipv4": ["2001:db8::1"], "mud": "a"}]})",
       "devices[0].ipv4[0]: not an IPv4 address"},
      {"{\"a\": 1, \"a\": 2}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parse_gateway_config(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << c.json << " -> " << r.error();
  }
}

detect::DeviceBaseline learned_device() {
  detect::DeviceBaseline b;
  b.stable_since = 1;
  auto add = [&](detect::BaselineKind k, const char* v) {
    b.items[static_cast<std::size_t>(k)][v] = detect::BaselineItem{1, 2, 3};
  };
  add(detect::BaselineKind::kDestination, "cloud.example.com");
  add(detect::BaselineKind::kDestination, "net:198.51.100.0/24");
  add(detect::BaselineKind::kService, "tcp/443");
  add(detect::BaselineKind::kService, "udp/123");
  add(detect::BaselineKind::kPeer, "02:77:00:00:00:20");
  add(detect::BaselineKind::kServes, "tcp/80");
  return b;
}

TEST(Learned, DestinationsTimesServicesAndServedPortsForTheLan) {
  const auto b = learned_device();
  auto p = from_baseline(b, inventory::DeviceType::kHub, {*IpAddr::parse("10.77.0.20")});
  EXPECT_EQ(p.source, DevicePolicy::Source::kLearned);
  // 3 peers (2 destinations + 1 local peer) x 2 services + 1 served port.
  ASSERT_EQ(p.rules.size(), 7u);
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.rules.back().dir, Dir::kToDevice);
  EXPECT_EQ(p.rules.back().peer.kind, Peer::Kind::kLocalNetworks);
}

TEST(Learned, APlugKeepsNoLocalPeers) {
  const auto b = learned_device();
  auto p = from_baseline(b, inventory::DeviceType::kPlug, {*IpAddr::parse("10.77.0.20")});
  ASSERT_EQ(p.rules.size(), 5u);  // 2 destinations x 2 services + served port
  for (const auto& r : p.rules) {
    if (r.peer.kind == Peer::Kind::kNetwork) {
      EXPECT_NE(r.peer.value, "10.77.0.20");
    }
  }
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("plug"), std::string::npos);
}

}  // namespace
}  // namespace warden::policy
