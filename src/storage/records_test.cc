#include "storage/records.h"

#include <gtest/gtest.h>

namespace warden::storage {
namespace {

// Evidence text often comes off the wire (a DNS tunnel's query names are binary); the writer,
// not each detector, makes it valid JSON. Numbers stay numbers.
TEST(AlertJson, EvidenceTextIsEscapedAndNumbersAreBare) {
  detect::Alert a;
  a.src_ip = *IpAddr::parse("10.0.2.30");
  a.signature = "test";
  a.note("domain", std::string_view("x\"y\x01z.pirate.sea"));
  a.note("queries", std::uint64_t{222});
  a.note("interval_s", 2.25, 3);
  std::string out;
  alert_json(a, out);
  EXPECT_NE(
      out.find(
          R"("evidence":{"domain":"x\"y\u0001z.pirate.sea","queries":222,"interval_s":2.250})"),
      std::string::npos)
      << out;
}

}  // namespace
}  // namespace warden::storage
