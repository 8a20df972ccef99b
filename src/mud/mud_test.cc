#include "mud/mud.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace warden::mud {
namespace {

std::string read_mud(const std::string& name) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/mud/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

MudFile parse_ok(const std::string& name) {
  auto r = parse_mud(read_mud(name));
  EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().message());
  return r ? *r : MudFile{};
}

// Counts checked against the JSON by hand (and with python's json module).
struct Expected {
  const char* file;
  std::vector<std::size_t> aces_per_acl;
  std::size_t dns_names;  // distinct, case-insensitive
};

TEST(MudFiles, EveryRfcFileParsesWithItsCounts) {
  const Expected files[] = {
      {"barmey_blink_camera_merged_usMud.json", {4, 4, 2}, 0},
      {"barmey_china_tp_plugMud.json", {6, 7}, 5},
      {"barmey_echo_dot_merged_usMud.json", {25, 23, 3, 1}, 16},
      {"barmey_google_home_mini_merged_usMud.json", {31, 27, 1, 1}, 14},
      {"barmey_mi_bolb_usMud.json", {1, 2, 1}, 1},
      {"barmey_nest_tstat_merged_usMud.json", {12, 13, 2, 1}, 10},
      {"barmey_ring_doorbell_merged_usMud.json", {15, 14, 1}, 1},
      // 8 spellings of 4 names: MUDgee kept the queries' 0x20 random case.
      {"barmey_smartthings_hub_merged_usMud.json", {17, 12}, 4},
      {"barmey_t_philips_hub_merged_usMud.json", {19, 15, 3}, 10},
      {"barmey_t_wemo_plug_merged_usMud.json", {17, 14, 1}, 4},
      {"barmey_tplink_plug_merged_usMud.json", {9, 9, 1}, 5},
      {"barmey_uk_tp_plugMud.json", {6, 7}, 5},
      {"barmey_uk_yi_cameraMud.json", {9, 9, 1}, 2},
      {"barmey_us_lifx_bulbMud.json", {3, 3, 1}, 1},
      {"cisco_mudmanager_Luminaire_150.json", {3, 3}, 1},
      {"osmud_ietf-draft-example.json", {1, 1}, 1},
  };
  for (const auto& e : files) {
    SCOPED_TRACE(e.file);
    auto m = parse_ok(e.file);
    ASSERT_EQ(m.acls.size(), e.aces_per_acl.size());
    for (std::size_t i = 0; i < m.acls.size(); ++i)
      EXPECT_EQ(m.acls[i].aces.size(), e.aces_per_acl[i]);
    EXPECT_EQ(dns_names(m).size(), e.dns_names);
    EXPECT_EQ(m.version, 1);
    EXPECT_FALSE(summary(m).empty());
    // Every policy reference resolves (parse_mud guarantees it).
    for (const auto& n : m.from_device_policy) EXPECT_NE(m.find_acl(n), nullptr);
    for (const auto& n : m.to_device_policy) EXPECT_NE(m.find_acl(n), nullptr);
    // MUDgee's container name, kept by all barmey files.
    EXPECT_EQ(m.legacy_acl_container, std::string(e.file).rfind("barmey_", 0) == 0);
  }
}

TEST(MudFiles, MiBulbAcesAreReadExactly) {
  auto m = parse_ok("barmey_mi_bolb_usMud.json");
  EXPECT_EQ(m.url, "https://mi_bolb_us.com/mi_bolb_us");
  EXPECT_EQ(m.cache_validity, 100u);
  EXPECT_EQ(m.is_supported, true);
  EXPECT_EQ(m.systeminfo, "mi_bolb_us");
  ASSERT_EQ(m.from_device_policy.size(), 2u);
  EXPECT_EQ(m.from_device_policy[1], "from-ethernet-mi_bolb_us");
  const Acl* from = m.find_acl("from-ipv4-mi_bolb_us");
  ASSERT_NE(from, nullptr);
  EXPECT_EQ(from->type, AclType::kIpv4);
  const Ace& a = from->aces[0];
  EXPECT_EQ(a.protocol, 17);
  EXPECT_EQ(a.dst_dnsname, "us.ot.io.mi.com");
  EXPECT_EQ(a.transport, Transport::kUdp);
  ASSERT_TRUE(a.dst_port);
  EXPECT_EQ(a.dst_port->op, PortMatch::Op::kEq);
  EXPECT_EQ(a.dst_port->port, 8053);
  EXPECT_EQ(describe(a, true), "udp/8053 to dns:us.ot.io.mi.com");
  const Ace& dhcp = m.find_acl("to-ipv4-mi_bolb_us")->aces[1];
  EXPECT_EQ(dhcp.mud.controller, "urn:ietf:params:mud:gateway");
  EXPECT_EQ(dhcp.src_port->port, 67);
  const Acl* eth = m.find_acl("from-ethernet-mi_bolb_us");
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->type, AclType::kEth);  // written "ethernet-acl-type" by MUDgee
  EXPECT_TRUE(eth->aces[0].mud.local_networks);
  EXPECT_EQ(eth->aces[0].ethertype, 0x0806);
  EXPECT_EQ(dns_names(m), std::vector<std::string>{"us.ot.io.mi.com"});
}

TEST(MudFiles, EchoDotDirectionAndIpv6) {
  auto m = parse_ok("barmey_echo_dot_merged_usMud.json");
  const Ace& a = m.find_acl("from-ipv4-echo_dot_merged_us")->aces[0];
  EXPECT_EQ(a.dst_dnsname, "dcape-na.amazon.com");
  EXPECT_EQ(a.protocol, 6);
  EXPECT_EQ(a.dst_port->port, 443);
  EXPECT_EQ(a.initiated, Initiated::kFromDevice);
  EXPECT_EQ(describe(a, true), "tcp/443 to dns:dcape-na.amazon.com (device opens)");
  EXPECT_EQ(m.find_acl("from-ipv6-echo_dot_merged_us")->type, AclType::kIpv6);
}

TEST(MudFiles, BlinkCameraMixesEthernetIntoIpAcls) {
  // MUDgee adds eth matches (broadcast MAC, ethertype 0x0800) to IPv4 ACLs; accepted and flagged.
  auto m = parse_ok("barmey_blink_camera_merged_usMud.json");
  const Acl& acl = m.acls[0];
  EXPECT_TRUE(acl.mixed_eth);
  const Ace& a = acl.aces[1];
  EXPECT_EQ(a.dst_network, "255.255.255.255/32");
  EXPECT_EQ(a.dst_mac, "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(a.ethertype, 0x0800);
  EXPECT_TRUE(a.mud.local_networks);
  EXPECT_NE(summary(m).find("mixes Ethernet matches"), std::string::npos);
  EXPECT_TRUE(m.acls[0].aces[0].mud.local_networks);
  EXPECT_EQ(m.acls[0].aces[0].src_port->port, 48899);
}

TEST(MudFiles, CiscoLuminaire) {
  auto m = parse_ok("cisco_mudmanager_Luminaire_150.json");
  EXPECT_FALSE(m.legacy_acl_container);
  const Ace& a = m.find_acl("mud-21966-v4to")->aces[0];
  EXPECT_EQ(a.src_dnsname, "fw-update.luminaire.example.com");
  EXPECT_EQ(a.src_port->port, 443);
  EXPECT_EQ(a.initiated, Initiated::kFromDevice);
  EXPECT_EQ(dns_names(m), std::vector<std::string>{"fw-update.luminaire.example.com"});
}

TEST(MudFiles, IetfDraftExampleIsRfcShaped) {
  // Despite its name, osMUD's example/ieft-draft.json already uses the RFC 8520 schema.
  auto m = parse_ok("osmud_ietf-draft-example.json");
  const Ace& a = m.find_acl("mud-76100-v6fr")->aces[0];
  EXPECT_EQ(a.dst_dnsname, "test.example.com");
  EXPECT_EQ(a.protocol, 6);
  EXPECT_EQ(a.dst_port->port, 443);
  EXPECT_EQ(m.find_acl("mud-76100-v6fr")->type, AclType::kIpv6);
}

TEST(MudFiles, DraftSchemaFilesAreRefused) {
  auto r = parse_mud(read_mud("osmud_lightbulb2000.json"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().reason.find("pre-RFC 8520 draft MUD schema"), std::string::npos);
  EXPECT_EQ(r.error().path, "ietf-access-control-list:access-lists.acl[0].access-list-entries");
  // osMUD's MUDFILE.NEST is the same draft schema ("acl-name", "rule-name", "ipv4-acl",
  // "ietf-mud:mud-acl") and also lacks the mandatory mud-version: genuinely not RFC 8520.
  auto nest = parse_mud(read_mud("osmud_MUDFILE.NEST.json"));
  ASSERT_FALSE(nest);
  EXPECT_NE(nest.error().reason.find("pre-RFC 8520 draft MUD schema"), std::string::npos);
  EXPECT_EQ(nest.error().path,
            "ietf-mud:mud.from-device-policy.access-lists.access-list[0].acl-name");
}

// A small valid file to mutate.
std::string minimal(
    const std::string& matches =
        R"({"ipv4":{"protocol":6,"ietf-acldns:dst-dnsname":"a.example.com"},"tcp":{"destination-port":{"operator":"eq","port":443}}})",
    const std::string& policy = "acl-1") {
  return R"({"ietf-mud:mud":{"mud-version":1,"mud-url":"https://example.com/m","last-update":"2024-01-01T00:00:00Z","is-supported":true,"from-device-policy":{"access-lists":{"access-list":[{"name":")" +
         policy +
         R"("}]}}},"ietf-access-control-list:acls":{"acl":[{"name":"acl-1","type":"ipv4-acl-type","aces":{"ace":[{"name":"e0","matches":)" +
         matches + R"(,"actions":{"forwarding":"accept"}}]}}]}})";
}

MudError parse_err(const std::string& json) {
  auto r = parse_mud(json);
  EXPECT_FALSE(r) << json;
  return r ? MudError{} : r.error();
}

TEST(MudValidation, MinimalFileParses) {
  auto r = parse_mud(minimal());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(summary(*r).find("allow tcp/443 to dns:a.example.com") != std::string::npos, true)
      << summary(*r);
}

TEST(MudValidation, ErrorsNameTheirPath) {
  auto e = parse_err(minimal(R"({"tcp":{"destination-port":{"operator":"eq","port":70000}}})"));
  EXPECT_EQ(e.path,
            "ietf-access-control-list:acls.acl[0].aces.ace[0].matches.tcp.destination-port.port");
  EXPECT_EQ(e.reason, "must be between 0 and 65535");

  e = parse_err(minimal(R"({"ipv4":{"protocol":256}})"));
  EXPECT_EQ(e.path, "ietf-access-control-list:acls.acl[0].aces.ace[0].matches.ipv4.protocol");

  e = parse_err(minimal(R"({"tcp":{"source-port":{"lower-port":90,"upper-port":80}}})"));
  EXPECT_EQ(e.reason, "lower-port is above upper-port");

  e = parse_err(minimal(R"({"ipv4":{"protocol":17},"tcp":{}})"));
  EXPECT_NE(e.reason.find("contradicts"), std::string::npos);

  e = parse_err(minimal(R"({"ipv4":{"dscp":3}})"));
  EXPECT_EQ(e.reason, "unsupported match \"dscp\"");

  e = parse_err(minimal(R"({"ipv6":{"protocol":6}})"));
  EXPECT_NE(e.reason.find("another type"), std::string::npos);

  e = parse_err(minimal(R"({"ipv4":{"destination-ipv4-network":"10.0.0.0/33"}})"));
  EXPECT_EQ(e.reason, "bad prefix length");

  e = parse_err(minimal(
      R"({"ipv4":{"destination-ipv4-network":"10.0.0.0/8","ietf-acldns:dst-dnsname":"a.b"}})"));
  EXPECT_NE(e.reason.find("both"), std::string::npos);

  e = parse_err(minimal(R"({"ietf-mud:mud":{"local-networks":true}})"));
  EXPECT_NE(e.reason.find("[null]"), std::string::npos);

  e = parse_err(minimal(R"({"eth":{"ethertype":"0x86dd"}})"));
  EXPECT_NE(e.reason.find("ethertype contradicts"), std::string::npos);

  e = parse_err(minimal(R"({"ipv4":{"ietf-acldns:dst-dnsname":""}})"));
  EXPECT_EQ(e.reason, "must be a DNS name");
}

TEST(MudValidation, PolicyMustNameExistingAcl) {
  auto e = parse_err(minimal(R"({})", "nope"));
  EXPECT_EQ(e.path, "ietf-mud:mud.from-device-policy.access-lists.access-list[0].name");
  EXPECT_NE(e.reason.find("\"nope\""), std::string::npos);
}

TEST(MudValidation, ContainerFields) {
  std::string s = minimal();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = s;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_EQ(parse_err(replace(R"("mud-version":1)", R"("mud-version":2)")).path,
            "ietf-mud:mud.mud-version");
  EXPECT_EQ(parse_err(replace(R"("mud-version":1,)", "")).reason,
            "missing required \"mud-version\"");
  EXPECT_EQ(parse_err(replace("https://example.com/m", "http://example.com/m")).reason,
            "must be an https URL");
  EXPECT_EQ(parse_err(replace(R"("name":"e0")", R"("name":"")")).reason, "must not be empty");
  EXPECT_EQ(parse_err(replace(R"("forwarding":"accept")", R"("forwarding":"maybe")")).reason,
            "must be accept, drop or reject");
  EXPECT_EQ(parse_err("[]").reason, "a MUD file is a JSON object");
  EXPECT_EQ(parse_err("{").reason.rfind("not valid JSON: ", 0), 0u);
  EXPECT_EQ(parse_err(R"({"a":1,"a":2})").reason.find("duplicate key"), 16u);
}

TEST(MudValidation, HostileInputIsBounded) {
  // A MUD file comes from a URL the device names: size and nesting are capped before any
  // MUD-level check runs.
  auto e = parse_err(std::string(kMaxMudBytes + 1, ' '));
  EXPECT_EQ(e.reason.rfind("not valid JSON: input too large", 0), 0u);
  e = parse_err(std::string(100'000, '[') + std::string(100'000, ']'));
  EXPECT_EQ(e.reason.rfind("not valid JSON: nesting too deep", 0), 0u);
  EXPECT_EQ(parse_err("{}").reason, "missing required \"ietf-mud:mud\"");
  std::string both = minimal();
  both.insert(both.size() - 1, R"(,"ietf-access-control-list:access-lists":{"acl":[]})");
  EXPECT_NE(parse_err(both).reason.find("both"), std::string::npos);
}

}  // namespace
}  // namespace warden::mud
