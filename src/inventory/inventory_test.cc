#include "inventory/inventory.h"

#include <gtest/gtest.h>

#include "decode/packet_builder.h"

namespace warden::inventory {
namespace {

using decode::PacketBuilder;

TEST(Oui, LooksUpTheIeeeRegistryFromIeeeData) {
  auto db = OuiDatabase::load(std::string(kDefaultOuiDir));
  ASSERT_TRUE(db) << db.error();
  EXPECT_GT(db->size(), 30000u);
  EXPECT_EQ(db->lookup(*MacAddr::parse("b8:27:eb:c7:e9:c9")), "Raspberry Pi Foundation");
  EXPECT_EQ(db->lookup(*MacAddr::parse("24:6f:28:00:00:01")), "Espressif Inc.");
  // Locally administered (randomised) and multicast addresses name no maker.
  EXPECT_EQ(db->lookup(*MacAddr::parse("a6:d1:8c:1f:ce:64")), "");
  EXPECT_EQ(db->lookup(*MacAddr::parse("01:00:5e:00:00:fb")), "");
}

TEST(Oui, MostSpecificBlockWinsAndQuotedNamesParse) {
  OuiDatabase db;
  db.add_csv(
      "Registry,Assignment,Organization Name,Organization Address\n"
      "MA-L,70B3D5,IEEE Registration Authority,x\n",
      24);
  db.add_csv("MA-S,70B3D5F2F,\"TELE, PLATFORMS\",\"Moscow\"\n", 36);
  EXPECT_EQ(db.lookup(*MacAddr::parse("70:b3:d5:f2:f0:01")), "TELE, PLATFORMS");
  EXPECT_EQ(db.lookup(*MacAddr::parse("70:b3:d5:00:00:01")), "IEEE Registration Authority");
  EXPECT_EQ(OuiDatabase::load("/nonexistent").error().find("ieee-data") != std::string::npos, true);
}

struct Fixture : ::testing::Test {
  DeviceInventory inv{InventoryConfig{}, nullptr};
  const MacAddr cam = *MacAddr::parse("00:11:22:33:44:55");
  const MacAddr router = *MacAddr::parse("00:aa:bb:cc:dd:ee");
  std::vector<std::vector<std::byte>> frames;

  decode::DecodedPacket pkt(const MacAddr& src, const MacAddr& dst, const char* sip,
                            const char* dip, Timestamp ts) {
    frames.push_back(PacketBuilder()
                         .ethernet(src, dst)
                         .ipv4(*IpAddr::parse(sip), *IpAddr::parse(dip), decode::kProtoUdp)
                         .udp(40000, 53)
                         .build());
    decode::DecodedPacket p;
    AnomalyCounters c;
    decode::decode(frames.back(), kLinkEthernet, ts, 0, p, c);
    return p;
  }
};

TEST_F(Fixture, ADeviceThatChangesIpStaysOneDevice) {
  flow::Flow f;
  inv.on_flow_start(f, pkt(cam, router, "192.168.1.20", "192.168.1.1", 1));
  inv.on_flow_start(f, pkt(cam, router, "192.168.1.77", "192.168.1.1", 2));
  const Device* d = inv.find(cam);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->addresses.size(), 2u);
  EXPECT_EQ(d->addresses[0].ip.to_string(), "192.168.1.20");
  EXPECT_EQ(d->addresses[1].ip.to_string(), "192.168.1.77");
  EXPECT_EQ(d->first_seen, 1);
  EXPECT_EQ(d->last_seen, 2);
  // Both ends of the conversation are inventoried (the router by its LAN address).
  EXPECT_EQ(inv.devices().size(), 2u);
}

TEST_F(Fixture, InternetAddressesAreNotBoundToTheRouterButCountAsForwarding) {
  flow::Flow f;
  for (int i = 0; i < 5; ++i) {
    std::string ip = "198.51.100." + std::to_string(i + 1);
    inv.on_flow_start(f, pkt(router, cam, ip.c_str(), "192.168.1.20", 10 + i));
  }
  const Device* r = inv.find(router);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->addresses.empty());
  inv.classify_all();
  EXPECT_EQ(r->type, DeviceType::kRouter);
  EXPECT_GT(r->confidence, 0.5);
}

TEST_F(Fixture, DhcpHostnameAndMdnsServicesClassifyWithEvidence) {
  dissect::Observation dhcp;
  dhcp.ctx.ts = 5;
  dhcp.ctx.has_src_mac = true;
  dhcp.ctx.src_mac = cam;
  protocols::DhcpMessage m;
  m.op = 1;
  m.msg_type = 3;
  m.client_mac = cam;
  m.hostname = "HS110";
  m.vendor_class = "udhcp 1.19.4";
  m.param_request_list = {1, 3, 6, 15};
  dhcp.body = m;
  inv.on_observation(dhcp);
  inv.classify_all();
  const Device* d = inv.find(cam);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->hostname, "HS110");
  EXPECT_EQ(d->dhcp_fingerprint, "1,3,6,15");
  EXPECT_EQ(d->type, DeviceType::kPlug);
  ASSERT_FALSE(d->evidence.empty());
  EXPECT_EQ(d->evidence[0].source, "dhcp.hostname");

  // A DHCP ACK binds the assigned address to the client's MAC.
  protocols::DhcpMessage ack;
  ack.op = 2;
  ack.msg_type = 5;
  ack.client_mac = cam;
  ack.yiaddr = *IpAddr::parse("192.168.1.50");
  dhcp.body = ack;
  dhcp.ctx.src_mac = router;
  inv.on_observation(dhcp);
  ASSERT_EQ(d->addresses.size(), 1u);
  EXPECT_EQ(d->addresses[0].source, "dhcp");
}

TEST_F(Fixture, SsdpAnnouncementsNameTheDeviceButSearchesDoNot) {
  dissect::Observation o;
  o.ctx.ts = 9;
  o.ctx.has_src_mac = true;
  o.ctx.src_mac = router;
  o.ctx.src_ip = *IpAddr::parse("192.168.1.1");
  protocols::SsdpMessage notify;
  notify.kind = protocols::SsdpKind::kNotify;
  notify.nt_or_st = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
  notify.usn = "uuid:1234::urn:schemas-upnp-org:device:InternetGatewayDevice:1";
  notify.server = "OpenWRT/21 UPnP/1.1 MiniUPnPd/2.3";
  o.body = notify;
  inv.on_observation(o);
  protocols::SsdpMessage search;
  search.kind = protocols::SsdpKind::kSearch;
  search.nt_or_st = "urn:dial-multiscreen-org:service:dial:1";  // what a phone looks for
  o.ctx.src_mac = cam;
  o.ctx.src_ip = *IpAddr::parse("192.168.1.20");
  o.body = search;
  inv.on_observation(o);
  inv.classify_all();
  const Device* r = inv.find(router);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, DeviceType::kRouter);
  EXPECT_EQ(r->ssdp_usns.items().size(), 1u);
  EXPECT_EQ(inv.find(cam), nullptr);  // a search says nothing about the searcher
}

TEST_F(Fixture, ShortPatternsMustStartAWord) {
  Device d;
  d.hostname = "sketchpc-hpcam";  // "cam" ends a word here: no camera claim from "hpcam"
  classify(d);
  EXPECT_EQ(d.type, DeviceType::kUnknown);
  d.hostname = "front-cam-2";
  classify(d);
  EXPECT_EQ(d.type, DeviceType::kCamera);
}

TEST_F(Fixture, DeviceCountIsCapped) {
  DeviceInventory small(InventoryConfig{.max_devices = 3}, nullptr);
  flow::Flow f;
  for (int i = 0; i < 10; ++i) {
    MacAddr m = cam;
    m.b[5] = static_cast<std::uint8_t>(i);
    small.on_flow_start(
        f, pkt(m, *MacAddr::parse("ff:ff:ff:ff:ff:ff"), "192.168.1.9", "192.168.1.255", i));
  }
  EXPECT_EQ(small.devices().size(), 3u);
  EXPECT_EQ(small.devices_dropped(), 7u);
}

TEST_F(Fixture, LldpMudUrlIsLearnedLikeDhcps) {
  dissect::Observation o;
  o.ctx.ts = 5;
  o.ctx.has_src_mac = true;
  o.ctx.src_mac = cam;
  o.ctx.has_ip = false;
  protocols::LldpMessage m;
  m.chassis_id = cam.to_string();
  m.ttl = 120;
  m.system_name = "switch-1";
  o.body = m;
  inv.on_observation(o);
  EXPECT_EQ(inv.find(cam), nullptr);  // an LLDP speaker without a MUD URL is not a device
  m.mud_url = "https://mud.example.com/cam.json";
  o.body = m;
  inv.on_observation(o);
  const Device* d = inv.find(cam);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->mud_url, "https://mud.example.com/cam.json");
  // A shutdown LLDPDU (TTL 0) teaches nothing.
  m.ttl = 0;
  m.mud_url = "https://mud.example.com/other.json";
  o.body = m;
  inv.on_observation(o);
  EXPECT_EQ(d->mud_url, "https://mud.example.com/cam.json");
}

}  // namespace
}  // namespace warden::inventory
