// SNMP encoder against the bytes net-snmp's snmpget sends, decoder on answers captured from
// net-snmp 5.9.3's snmpd, and bounds on hostile BER.
#include "scan/snmp.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "scan/checks.h"
#include "scan/conn.h"

namespace warden::scan {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/scan_upnp/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Snmp, GetRequestMatchesTheWire) {
  EXPECT_EQ(build_snmp_get(SnmpVersion::v2c, "public", 0x12345678, kOidSysDescr),
            unhex("302902010104067075626c6963a01c020412345678020100020100300e300c06082b06010201"
                  "0101000500"));
  // Request ids with the top bit of a byte set need a leading zero to stay positive.
  std::string q = build_snmp_get(SnmpVersion::v1, "private", 0x80, kOidSysDescr);
  auto m = parse_snmp(as_bytes(q));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, 0x80);
  EXPECT_EQ(m->version, 0);
  EXPECT_EQ(m->pdu_type, 0xa0);
  ASSERT_EQ(m->varbinds.size(), 1u);
  EXPECT_EQ(m->varbinds[0].oid, kOidSysDescr);
  EXPECT_EQ(m->varbinds[0].tag, 0x05);
  EXPECT_TRUE(build_snmp_get(SnmpVersion::v2c, "public", 1, "1.x").empty());
  // Arcs above 127 take several base-128 bytes.
  auto big = parse_snmp(as_bytes(build_snmp_get(SnmpVersion::v2c, "c", 7, "1.3.6.1.4.1.311.1.0")));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->varbinds[0].oid, "1.3.6.1.4.1.311.1.0");
}

TEST(Snmp, ParsesCapturedResponse) {
  auto m = parse_snmp(as_bytes(fixture("snmp_resp_public")));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->version, 1);
  EXPECT_EQ(m->community, "public");
  EXPECT_EQ(m->pdu_type, 0xa2);
  EXPECT_EQ(m->request_id, 0x12345678);
  EXPECT_EQ(m->error_status, 0);
  ASSERT_EQ(m->varbinds.size(), 1u);
  EXPECT_EQ(m->varbinds[0].oid, "1.3.6.1.2.1.1.1.0");
  EXPECT_EQ(m->varbinds[0].value, "Linux warden-snmp-test 6.1.0 x86_64");
}

TEST(Snmp, RejectsHostileBer) {
  std::string good = fixture("snmp_resp_public");
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(parse_snmp(as_bytes(std::string_view(good).substr(0, cut)))) << cut;
  }
  EXPECT_FALSE(parse_snmp(as_bytes(unhex("3080020101"))));            // indefinite length
  EXPECT_FALSE(parse_snmp(as_bytes(unhex("3085ffffffffff020101"))));  // 5 length bytes
  EXPECT_FALSE(parse_snmp(as_bytes(unhex("3084ffffffff020101"))));    // past the end
  EXPECT_FALSE(parse_snmp(as_bytes(unhex("1f2a00"))));                // multi-byte tag
  // noSuchObject and a negative integer.
  auto m =
      parse_snmp(as_bytes(unhex("3020020101040170a2180201ff020100020100300d300b06072b0601020101"
                                "018000")));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->request_id, -1);
  EXPECT_EQ(m->varbinds[0].tag, 0x80);
}

// Against a real snmpd: WARDEN_SCAN_SNMP_AGENT=<address> (e.g. net-snmp on 127.0.0.1 in a
// private namespace with rocommunity public / rwcommunity private).
TEST(BenchSnmp, RealAgent) {
  const char* agent = std::getenv("WARDEN_SCAN_SNMP_AGENT");
  if (agent == nullptr) GTEST_SKIP() << "set WARDEN_SCAN_SNMP_AGENT";
  HostReport h;
  h.addr = *IpAddr::parse(agent);
  h.services.push_back(Service{161, Transport::udp, "unknown"});
  auto t0 = std::chrono::steady_clock::now();
  check_snmp(h, ScanOptions{});
  std::printf("  check_snmp: %.0f ms\n", ms_since(t0));
  ASSERT_EQ(h.findings.size(), 1u);
  std::printf("  %s: %s\n", std::string(h.findings[0].kind->id).c_str(),
              h.findings[0].evidence.c_str());
  EXPECT_EQ(h.findings[0].kind->id, "snmp.default_community");
  EXPECT_EQ(h.services[0].name, "snmp");
}

}  // namespace
}  // namespace warden::scan
