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

// A link-layer observation has no addresses to report: no "::" or port 0 in the record.
TEST(ObservationJson, LldpHasNoIpFields) {
  dissect::Observation o;
  o.ctx.ts = 1'700'000'000LL * kNsPerSec;
  o.ctx.has_src_mac = true;
  o.ctx.src_mac = *MacAddr::parse("02:00:00:00:00:01");
  o.ctx.has_ip = false;
  protocols::LldpMessage m;
  m.chassis_id = "02:00:00:00:00:01";
  m.chassis_id_subtype = 4;
  m.port_id = "eth0";
  m.port_id_subtype = 5;
  m.ttl = 120;
  m.mud_url = "https://mud.example.com/bulb.json";
  o.body = m;
  std::string out;
  observation_json(o, out);
  EXPECT_EQ(out.find("src_ip"), std::string::npos) << out;
  EXPECT_EQ(out.find("proto"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("event_type":"lldp")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("lldp":{"chassis_id":"02:00:00:00:00:01","chassis_id_subtype":4,)"
                     R"("port_id":"eth0","port_id_subtype":5,"ttl":120,)"
                     R"("mud_url":"https://mud.example.com/bulb.json"})"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace warden::storage
