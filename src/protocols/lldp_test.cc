#include "protocols/lldp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warden::protocols {
namespace {

// Builds LLDPDUs TLV by TLV.
struct Lldpdu {
  std::vector<std::byte> bytes;
  Lldpdu& tlv(unsigned type, const std::string& value) {
    const unsigned h = (type << 9) | static_cast<unsigned>(value.size());
    bytes.push_back(static_cast<std::byte>(h >> 8));
    bytes.push_back(static_cast<std::byte>(h & 0xff));
    for (char c : value) bytes.push_back(static_cast<std::byte>(c));
    return *this;
  }
  Lldpdu& mandatory() {
    return tlv(1, std::string("\x04\x02\x00\x00\x00\x00\x01", 7))  // chassis: MAC
        .tlv(2,
             "\x05"
             "eth0")                          // port: interface name
        .tlv(3, std::string("\x00\x78", 2));  // TTL 120
  }
  Lldpdu& end() { return tlv(0, ""); }
  Bytes span() const { return Bytes(bytes.data(), bytes.size()); }
};

const std::string kMudOui = std::string("\x00\x00\x5e\x01", 4);

TEST(Lldp, DeviceAnnouncingItsMudUrl) {
  Lldpdu d;
  d.mandatory()
      .tlv(4, "uplink")
      .tlv(5, "bulb-1")
      .tlv(6, "Example bulb fw 1.2")
      .tlv(7, std::string("\x00\x14\x00\x10", 4))
      .tlv(127, std::string("\x00\x80\xc2\x01\x00\x01", 6))  // IEEE 802.1 port VLAN id
      .tlv(127, kMudOui + "https://mud.example.com/bulb.json")
      .tlv(127, kMudOui + "https://mud.example.com/second.json")  // first one wins
      .end();
  for (int i = 0; i < 20; ++i) d.bytes.push_back(std::byte{0});  // Ethernet padding
  auto m = parse_lldp(d.span());
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->chassis_id_subtype, 4);
  EXPECT_EQ(m->chassis_id, "02:00:00:00:00:01");
  EXPECT_EQ(m->port_id_subtype, 5);
  EXPECT_EQ(m->port_id, "eth0");
  EXPECT_EQ(m->ttl, 120);
  EXPECT_EQ(m->port_description, "uplink");
  EXPECT_EQ(m->system_name, "bulb-1");
  EXPECT_EQ(m->system_description, "Example bulb fw 1.2");
  EXPECT_EQ(m->capabilities, 0x14);
  EXPECT_EQ(m->enabled_capabilities, 0x10);
  EXPECT_EQ(m->mud_url, "https://mud.example.com/bulb.json");
}

TEST(Lldp, OtherOrganizationsAndSubtypesAreNotMudUrls) {
  Lldpdu d;
  d.mandatory()
      .tlv(127, std::string("\x00\x00\x5e\x02", 4) + "https://x/")  // IANA, subtype 2
      .tlv(127, std::string("\x00\x12\x0f\x01", 4) + "https://x/")  // IEEE 802.3 OUI
      .tlv(127, kMudOui)                                            // empty MUD string
      .end();
  auto m = parse_lldp(d.span());
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_TRUE(m->mud_url.empty());
}

TEST(Lldp, NetworkAddressIdsAreShownAsAddresses) {
  Lldpdu d;
  d.tlv(1, std::string("\x05\x01\xc0\x00\x02\x07", 6))  // 192.0.2.7
      .tlv(2, std::string("\x03\x02\x00\x00\x00\x00\x02", 7))
      .tlv(3, std::string("\x00\x00", 2));
  auto m = parse_lldp(d.span());  // no End TLV: accepted
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->chassis_id, "192.0.2.7");
  EXPECT_EQ(m->port_id, "02:00:00:00:00:02");
  EXPECT_EQ(m->ttl, 0);
}

TEST(Lldp, DamageIsRefused) {
  auto fails = [](const Lldpdu& d, std::string_view why) {
    auto m = parse_lldp(d.span());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().reason, why);
  };
  fails(Lldpdu{}, "lldp mandatory tlv missing");
  fails(Lldpdu{}.tlv(2, "\x05p").tlv(1, "\x07x").tlv(3, std::string("\x00\x01", 2)),
        "lldp mandatory tlv missing");
  fails(Lldpdu{}.tlv(1, "\x07x").end(), "lldp mandatory tlv missing");
  fails(Lldpdu{}.tlv(1, "\x07"), "lldp id length out of range");
  fails(Lldpdu{}.mandatory().tlv(7, "abc"), "lldp capabilities length not 4");
  fails(Lldpdu{}.mandatory().tlv(127, "abc"), "lldp organizational tlv too short");
  Lldpdu cut;
  cut.mandatory().tlv(5, "a long system name");
  cut.bytes.resize(cut.bytes.size() - 3);
  fails(cut, "lldp tlv runs past end");
  Lldpdu odd;
  odd.mandatory();
  odd.bytes.push_back(std::byte{0x0a});
  fails(odd, "lldp tlv header truncated");
}

}  // namespace
}  // namespace warden::protocols
