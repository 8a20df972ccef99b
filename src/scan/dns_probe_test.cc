// DNS query builder and answer reading, on dnsmasq 2.90's answers captured on the bench.
#include "scan/dns_probe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/bytes.h"

namespace warden::scan {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/scan_upnp/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(DnsProbe, BuildsQueries) {
  auto q = build_dns_query(0x1234, "version.bind", kDnsTypeTxt, kDnsClassChaos, false);
  ASSERT_TRUE(q);
  auto m = protocols::parse_dns(as_bytes(*q));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->response);
  EXPECT_FALSE(m->recursion_desired);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "version.bind");
  EXPECT_EQ(m->questions[0].type, kDnsTypeTxt);
  EXPECT_EQ(m->questions[0].klass, kDnsClassChaos);
  EXPECT_FALSE(build_dns_query(1, std::string(64, 'a') + ".com", 1, 1, true));
  EXPECT_FALSE(build_dns_query(1, "a..b", 1, 1, true));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'x') + ".";
  long_name += "com";
  EXPECT_FALSE(build_dns_query(1, long_name, 1, 1, true));
}

TEST(DnsProbe, ReadsDnsmasqVersion) {
  auto m = protocols::parse_dns(as_bytes(fixture("lan_dns_version")));
  ASSERT_TRUE(m);
  EXPECT_TRUE(dns_answers(*m, 0x1234, "version.bind"));
  EXPECT_FALSE(dns_answers(*m, 0x1235, "version.bind"));
  EXPECT_FALSE(dns_answers(*m, 0x1234, "other.name"));
  EXPECT_TRUE(m->recursion_available);
  EXPECT_EQ(dns_version_string(*m).value_or(""), "dnsmasq-2.90");
  auto a = protocols::parse_dns(as_bytes(fixture("lan_dns_router")));
  ASSERT_TRUE(a);
  EXPECT_FALSE(dns_version_string(*a));
  EXPECT_EQ(a->rcode, 0);
}

TEST(DnsProbe, NamesTheProduct) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(dns_product("dnsmasq-2.90"), (P{"dnsmasq", "2.90"}));
  EXPECT_EQ(dns_product("unbound 1.17.1"), (P{"unbound", "1.17.1"}));
  EXPECT_EQ(dns_product("9.18.19-1~deb12u1-Debian"), (P{"BIND", "9.18.19-1~deb12u1-Debian"}));
  EXPECT_EQ(dns_product("PowerDNS Recursor 4.8.4"), (P{"PowerDNS Recursor", "4.8.4"}));
  EXPECT_EQ(dns_product("none of your business"), (P{"none of your business", ""}));
}

}  // namespace
}  // namespace warden::scan
