#include "geo/geo.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace warden::geo {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(GeoDb, RealExcerptsAnswerForAddressesInTheCaptures) {
  GeoDb db;
  auto asn = db.add_csv(read("tests/data/geo/asn.csv"));
  ASSERT_TRUE(asn);
  EXPECT_GT(asn->asn_ranges, 200u);
  EXPECT_EQ(asn->skipped, 0u);
  auto country = db.add_csv(read("tests/data/geo/country.csv"));
  ASSERT_TRUE(country);
  EXPECT_GT(country->country_ranges, 200u);
  // Cloudflare's resolver, as in dns2tcp_tunnel.pcap.
  const auto g = db.lookup(*IpAddr::parse("1.1.1.1"));
  EXPECT_EQ(g.asn, 13335u);
  EXPECT_EQ(g.as_org, "Cloudflare, Inc.");  // quoted in the file, with a comma
  EXPECT_EQ(g.country, "AU");
  // The TrickBot controller of trickbot.pcap.
  const auto t = db.lookup(*IpAddr::parse("82.118.225.196"));
  EXPECT_TRUE(t.known());
  EXPECT_FALSE(t.country.empty());
  // Private and unlisted addresses are unknown.
  EXPECT_FALSE(db.lookup(*IpAddr::parse("192.168.1.10")).known());
  EXPECT_FALSE(db.lookup(*IpAddr::parse("0.0.0.1")).known());
}

TEST(GeoDb, FormatsBoundariesAndBadLines) {
  GeoDb db;
  auto st = db.add_csv(
      "# comment\n"
      "16777216,16777471,13335,\"Cloudflare, Inc.\"\n"  // numeric IPv4 (the -num files)
      "2001:db8::,2001:db8::ffff,AS64500,\"Doc \"\"v6\"\" net\"\r\n"
      "198.51.100.0,198.51.100.255,ZZ\n"
      "203.0.113.9,203.0.113.1,FR\n"  // end before start
      "10.0.0.0,2001:db8::1,FR\n"     // families differ
      "1.2.3.4,1.2.3.5,fr\n"          // not an ISO code
      "garbage\n"
      "4294967296,4294967297,1,x\n");  // numbers past IPv4
  ASSERT_TRUE(st);
  EXPECT_EQ(st->asn_ranges, 2u);
  EXPECT_EQ(st->country_ranges, 1u);
  EXPECT_EQ(st->skipped, 5u);
  EXPECT_EQ(st->first_bad_line, 5u);
  EXPECT_EQ(db.lookup(*IpAddr::parse("1.0.0.0")).asn, 13335u);
  EXPECT_EQ(db.lookup(*IpAddr::parse("1.0.0.255")).asn, 13335u);
  EXPECT_EQ(db.lookup(*IpAddr::parse("1.0.1.0")).asn, 0u);
  EXPECT_EQ(db.lookup(*IpAddr::parse("2001:db8::ffff")).as_org, "Doc \"v6\" net");
  EXPECT_EQ(db.lookup(*IpAddr::parse("198.51.100.77")).country, "ZZ");
  // A second list merges into the sorted table.
  ASSERT_TRUE(db.add_csv("1.0.0.0,1.0.0.255,AU\n0.0.0.0,0.255.255.255,ZZ\n"));
  EXPECT_EQ(db.lookup(*IpAddr::parse("1.0.0.7")).country, "AU");
  EXPECT_EQ(db.lookup(*IpAddr::parse("0.1.2.3")).country, "ZZ");
}

}  // namespace
}  // namespace warden::geo
