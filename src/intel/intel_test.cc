#include "intel/intel.h"

#include <gtest/gtest.h>

namespace warden::intel {
namespace {

TEST(IntelSet, PlainListWithCommentsHostsLinesAndKindsDetected) {
  IntelSet set;
  auto st = set.add_list(
      "# feodo-style blocklist\n"
      "198.51.100.23\n"
      "203.0.113.0/24   # a whole block\n"
      "; another comment style\n"
      "0.0.0.0 bad.example.net\n"
      "c2.example.org\n"
      "2001:db8:bad::/48\n"
      "E7D705A3286E19EA42F587B344EE6865\n"
      "this is not an indicator\n"
      "\n",
      ListOptions{.name = "test-list"});
  ASSERT_TRUE(st) << st.error().reason;
  EXPECT_EQ(st->ips, 1u);
  EXPECT_EQ(st->cidrs, 2u);
  EXPECT_EQ(st->domains, 2u);
  EXPECT_EQ(st->ja3, 1u);
  EXPECT_EQ(st->skipped, 1u);
  EXPECT_EQ(st->first_bad_line, 9u);

  auto m = set.match_ip(*IpAddr::parse("203.0.113.77"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->indicator, "203.0.113.0/24");
  EXPECT_EQ(m->list, "test-list");
  EXPECT_TRUE(set.match_ip(*IpAddr::parse("198.51.100.23")));
  EXPECT_FALSE(set.match_ip(*IpAddr::parse("198.51.100.24")));
  EXPECT_TRUE(set.match_ip(*IpAddr::parse("2001:db8:bad:1::5")));
  EXPECT_FALSE(set.match_ip(*IpAddr::parse("2001:db8:bae::5")));
  // A listed domain covers its subdomains, case-insensitively, but never a bare TLD.
  EXPECT_EQ(set.match_domain("www.C2.Example.org")->indicator, "c2.example.org");
  EXPECT_FALSE(set.match_domain("example.org"));
  EXPECT_FALSE(set.match_domain("org"));
  EXPECT_TRUE(set.match_ja3("e7d705a3286e19ea42f587b344ee6865"));
  EXPECT_EQ(set.size(), 6u);
  EXPECT_GT(set.memory_bytes(), 0u);
}

TEST(IntelSet, LongestPrefixWins) {
  IntelSet set;
  ASSERT_TRUE(set.add_list("192.0.2.0/24\n", ListOptions{.name = "wide"}));
  ASSERT_TRUE(set.add_list("192.0.2.128/25\n", ListOptions{.name = "narrow"}));
  EXPECT_EQ(set.match_ip(*IpAddr::parse("192.0.2.200"))->list, "narrow");
  EXPECT_EQ(set.match_ip(*IpAddr::parse("192.0.2.5"))->list, "wide");
  EXPECT_EQ(set.lists().size(), 2u);
}

TEST(IntelSet, CsvColumnByHeaderNameOrIndex) {
  IntelSet set;
  auto st = set.add_list(
      "first_seen_utc,dst_ip,dst_port,malware\n"
      "2024-01-01 00:00:00,198.51.100.7,443,Dridex\n"
      "2024-01-02 00:00:00,\"203.0.113.9\",8080,QakBot\n",
      ListOptions{.name = "csv", .column_name = "dst_ip"});
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ips, 2u);
  EXPECT_TRUE(set.match_ip(*IpAddr::parse("203.0.113.9")));
  IntelSet by_index;
  auto st2 = by_index.add_list("x,evil.example.com,y\n", ListOptions{.name = "i", .column = 1});
  ASSERT_TRUE(st2);
  EXPECT_TRUE(by_index.match_domain("evil.example.com"));
  IntelSet missing;
  auto bad = missing.add_list("a,b\n1,2\n", ListOptions{.column_name = "ip"});
  EXPECT_FALSE(bad);
}

TEST(IntelSet, ForcedKindAndHostileInput) {
  IntelSet set;
  // Forced to domains: an address-looking entry is skipped, not silently taken as an IP.
  auto st = set.add_list("198.51.100.1\nevil.example\n", ListOptions{.kind = Kind::kDomain});
  ASSERT_TRUE(st);
  EXPECT_EQ(st->domains, 1u);
  EXPECT_EQ(st->skipped, 1u);
  // Bad prefixes, an over-long line, garbage bytes: skipped, never fatal.
  st = set.add_list("10.0.0.0/33\n10.0.0.0/x\n" + std::string(10000, 'a') + "\n\xff\xfe\n",
                    ListOptions{});
  ASSERT_TRUE(st);
  EXPECT_EQ(st->total(), 0u);
  EXPECT_EQ(st->skipped, 4u);
  // The indicator cap is enforced.
  IntelSet capped;
  EXPECT_FALSE(
      capped.add_list("192.0.2.1\n192.0.2.2\n192.0.2.3\n", ListOptions{.max_indicators = 2}));
}

TEST(IntelSet, MaskKeepsOnlyThePrefix) {
  EXPECT_EQ(mask(*IpAddr::parse("192.168.77.200"), 20).to_string(), "192.168.64.0");
  EXPECT_EQ(mask(*IpAddr::parse("2001:db8:abcd::1"), 36).to_string(), "2001:db8:a000::");
  EXPECT_EQ(mask(*IpAddr::parse("10.1.2.3"), 0).to_string(), "0.0.0.0");
}

}  // namespace
}  // namespace warden::intel
