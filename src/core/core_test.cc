#include <gtest/gtest.h>

#include <cmath>
#include <ctime>

#include "core/anomaly.h"
#include "core/bytes.h"
#include "core/json.h"
#include "core/net.h"
#include "core/time.h"

namespace warden {
namespace {

TEST(ByteReader, ReadsBigAndLittleEndianAndStopsAtEnd) {
  const std::byte data[] = {std::byte{0x12}, std::byte{0x34}, std::byte{0x56}, std::byte{0x78},
                            std::byte{0x9a}};
  ByteReader r(data);
  EXPECT_EQ(r.be16(), 0x1234);
  EXPECT_EQ(r.le16(), 0x7856);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.be16().has_value());  // a failed read does not move the cursor
  EXPECT_EQ(r.u8(), 0x9a);
  EXPECT_FALSE(r.u8().has_value());
  EXPECT_FALSE(r.bytes(1).has_value());
  EXPECT_TRUE(r.bytes(0).has_value());
}

TEST(Hex, DecodesAndRejects) {
  auto v = from_hex("00ff 1A\n2b");
  ASSERT_TRUE(v);
  EXPECT_EQ(to_hex(*v), "00ff1a2b");
  EXPECT_FALSE(from_hex("abc"));  // odd digit count
  EXPECT_FALSE(from_hex("zz"));   // not hex
  EXPECT_FALSE(from_hex("a b"));  // a byte split by a space
  EXPECT_TRUE(from_hex("")->empty());
}

TEST(ByteReader, SeekIsBounded) {
  const std::byte data[4] = {};
  ByteReader r(data);
  EXPECT_TRUE(r.seek(4));
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.seek(5));
}

TEST(Net, MacParseAndFormat) {
  auto m = MacAddr::parse("B8:27:EB:c7:e9:c9");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "b8:27:eb:c7:e9:c9");
  EXPECT_EQ(m->oui(), 0xb827ebu);
  EXPECT_FALSE(m->is_multicast());
  EXPECT_TRUE(MacAddr::parse("01:00:5e:00:00:fb")->is_multicast());
  EXPECT_FALSE(MacAddr::parse("b8:27:eb:c7:e9").has_value());
}

TEST(Net, IpClassification) {
  EXPECT_TRUE(IpAddr::parse("192.168.1.4")->is_private());
  EXPECT_TRUE(IpAddr::parse("172.31.0.1")->is_private());
  EXPECT_FALSE(IpAddr::parse("172.32.0.1")->is_private());
  EXPECT_TRUE(IpAddr::parse("100.67.35.238")->is_private());
  EXPECT_FALSE(IpAddr::parse("203.0.113.7")->is_local_unicast());
  EXPECT_TRUE(IpAddr::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(IpAddr::parse("fd00::1")->is_local_unicast());
  EXPECT_TRUE(IpAddr::parse("239.255.255.250")->is_multicast());
  EXPECT_TRUE(IpAddr::parse("ff02::fb")->is_multicast());
  EXPECT_EQ(IpAddr::parse("10.0.0.1")->to_string(), "10.0.0.1");
  EXPECT_EQ(IpAddr::parse("2001:db8::1")->to_string(), "2001:db8::1");
  EXPECT_TRUE(IpAddr::parse("10.0.0.1")->is_v4());
  EXPECT_FALSE(IpAddr::parse("2001:db8::1")->is_v4());
}

TEST(Json, EscapesControlAndInvalidUtf8) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("a", std::string_view("x\"\\\n\x01\xff"
                                   "\xc3\xa9"))
      .field("n", 5)
      .end_object();
  EXPECT_EQ(out, "{\"a\":\"x\\\"\\\\\\n\\u0001\\u00ff\xc3\xa9\",\"n\":5}");
}

TEST(Json, NestedArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .key("l")
      .begin_array()
      .value(1)
      .value("b")
      .end_array()
      .field("t", true)
      .end_object();
  EXPECT_EQ(out, "{\"l\":[1,\"b\"],\"t\":true}");
}

TEST(Json, HugeAndOddNumbersStayValidJson) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.value(1.5, 2).value(1e300, 3).value(-2.5e70, 1).value(std::nan(""), 2);
  w.end_array();
  EXPECT_EQ(out, "[1.50,1e+300,-2.5e+70,null]");
}

TEST(Time, Formats) {
  Timestamp t = 1614159102LL * kNsPerSec + 123456789;
  EXPECT_EQ(format_epoch(t), "1614159102.123456");
  EXPECT_EQ(format_rfc3339(t), "2021-02-24T09:31:42.123456Z");
}

TEST(Anomaly, NamesAreStable) {
  EXPECT_EQ(anomaly_name(Anomaly::kTruncatedTcp), "truncated_tcp");
  AnomalyCounters c, d;
  c.add(Anomaly::kTruncatedTcp);
  d.add(Anomaly::kTruncatedTcp, 2);
  c.merge(d);
  EXPECT_EQ(c.get(Anomaly::kTruncatedTcp), 3u);
  EXPECT_EQ(c.total(), 3u);
}

TEST(Printable, EscapesAndBounds) {
  EXPECT_EQ(printable("ab\x01"), "ab\\x01");
  EXPECT_EQ(printable(std::string(1000, 'a'), 10).size(), 10u);
}

}  // namespace
}  // namespace warden

namespace warden {
namespace {
// The hand-rolled civil-date conversion agrees with gmtime_r across eras and leap days.
TEST(Time, Rfc3339MatchesGmtime) {
  for (std::int64_t sec :
       {0LL, 951782400LL, 1709164800LL, 4107542399LL, 1234567890LL, 68169600LL}) {
    std::time_t tt = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char want[128];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000007Z", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    EXPECT_EQ(format_rfc3339(sec * kNsPerSec + 7000), want);
  }
  EXPECT_EQ(format_epoch(-1), "-1.999999");
}
}  // namespace
}  // namespace warden
