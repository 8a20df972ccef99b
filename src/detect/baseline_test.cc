// Behaviour baselines and the lateral type policy, on a small synthetic home: an inventory
// built from what devices announce (DHCP host names), and flows as the flow table ends them.
#include <gtest/gtest.h>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr Timestamp kMin = 60 * kNsPerSec;
constexpr Timestamp kHour = 60 * kMin;

struct Home {
  const MacAddr router_mac = *MacAddr::parse("00:aa:bb:cc:dd:ee");
  const MacAddr cam_mac = *MacAddr::parse("00:11:22:33:44:55");
  const MacAddr plug_mac = *MacAddr::parse("00:11:22:33:44:66");
  const MacAddr phone_mac = *MacAddr::parse("00:11:22:33:44:77");
  const IpAddr cam = *IpAddr::parse("192.168.1.30");
  const IpAddr plug = *IpAddr::parse("192.168.1.40");
  const IpAddr phone = *IpAddr::parse("192.168.1.50");
  const IpAddr cloud = *IpAddr::parse("203.0.113.10");

  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  BaselineModel model;
  DetectConfig cfg;
  std::unique_ptr<DetectorChain> chain;

  explicit Home(const geo::GeoDb* geo = nullptr) {
    cfg.geo = geo;
    cfg.learning_period = kHour;
    cfg.baseline_min_flows = 20;
    cfg.baseline = &model;
    chain = std::make_unique<DetectorChain>(cfg, inv);
    see(router_mac, *IpAddr::parse("192.168.1.1"));
    see(cam_mac, cam);
    see(plug_mac, plug);
    see(phone_mac, phone);
  }

  // The device sends a packet (the inventory learns MAC <-> address).
  void see(const MacAddr& mac, const IpAddr& ip) {
    decode::DecodedPacket p;
    p.has_l2 = p.has_dst_mac = true;
    p.src_mac = mac;
    p.dst_mac = router_mac;
    p.src_ip = ip;
    p.dst_ip = *IpAddr::parse("192.168.1.1");
    p.ts = 1;
    inv.on_flow_start(flow::Flow{}, p);
  }
  // The device says its name in a DHCP request, which is what types it.
  void name(const MacAddr& mac, const std::string& hostname) {
    dissect::Observation o;
    protocols::DhcpMessage m;
    m.op = 1;
    m.msg_type = 3;
    m.client_mac = mac;
    m.hostname = hostname;
    o.body = m;
    inv.on_observation(o);
  }
  const MacAddr& mac_of(const IpAddr& ip) const {
    if (ip == cam) return cam_mac;
    if (ip == plug) return plug_mac;
    if (ip == phone) return phone_mac;
    return router_mac;  // internet hosts are behind the router
  }

  flow::Flow flow(const IpAddr& src, const IpAddr& dst, std::uint16_t dport, Timestamp start,
                  bool answered = true, flow::AppProto app = flow::AppProto::kTls,
                  std::uint8_t proto = decode::kProtoTcp, std::uint64_t bytes = 1000) const {
    flow::Flow f;
    bool src_lo = true;
    f.key = flow::make_key(src, 40000, dst, dport, proto, 0, src_lo);
    f.orig_is_lo = src_lo;
    f.orig_mac = mac_of(src);
    f.resp_mac = mac_of(dst);
    f.first_ts = start;
    f.last_ts = start + kNsPerSec;
    f.dir[0].packets = 3;
    f.dir[0].ip_bytes = bytes / 2;
    f.tcp_seen = proto == decode::kProtoTcp ? 1 : 0;
    if (answered) {
      if (proto == decode::kProtoTcp) f.tcp_seen |= (2 << 8) | 4 | (4 << 8);
      f.dir[1].packets = 3;
      f.dir[1].ip_bytes = bytes - bytes / 2;
    }
    f.app = app;
    return f;
  }
  void end(const flow::Flow& f) {
    chain->on_tick(f.last_ts);
    chain->on_flow_end(f);
  }
  // The camera's habit: TLS to its cloud every two minutes for `minutes`, from `from`.
  Timestamp habit(Timestamp from, int minutes) {
    for (int i = 0; i < minutes / 2; ++i) end(flow(cam, cloud, 443, from + i * 2 * kMin));
    return from + minutes * kMin;
  }
  std::vector<const Alert*> of(std::string_view detector) const {
    std::vector<const Alert*> v;
    for (const auto& a : chain->alerts().alerts())
      if (a.detector == detector) v.push_back(&a);
    return v;
  }
  // Alerts of this file's detectors (the camera's regular check-ins are also a beacon).
  std::size_t ours() const {
    std::size_t n = 0;
    for (const auto& a : chain->alerts().alerts())
      n += a.detector.starts_with("baseline.") || a.detector.starts_with("lateral.");
    return n;
  }
  std::string evidence(const Alert& a, std::string_view key) const {
    for (const auto& e : a.evidence)
      if (e.key == key) return e.value;
    return {};
  }
};

TEST(Baseline, NothingAlertsWhileLearning) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 40);
  // Forty minutes in: new destination, port, protocol and peer, all still learning.
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.7"), 23, t, true, flow::AppProto::kTelnet));
  h.end(h.flow(h.cam, h.plug, 80, t + kMin, true, flow::AppProto::kHttp));
  h.chain->finish();
  EXPECT_EQ(h.ours(), 0u);
  const DeviceBaseline* b = h.model.find("00:11:22:33:44:55");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->learning());
  EXPECT_EQ(b->items[static_cast<std::size_t>(BaselineKind::kService)].size(), 3u);
}

TEST(Baseline, EnoughTimeButTooLittleActivityIsStillLearning) {
  Home h;
  h.end(h.flow(h.cam, h.cloud, 443, kHour));
  h.end(h.flow(h.cam, h.cloud, 443, 3 * kHour));  // period over, 2 flows of the 20 needed
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.7"), 443, 4 * kHour));
  EXPECT_TRUE(h.model.find("00:11:22:33:44:55")->learning());
  EXPECT_TRUE(h.of("baseline.new_destination").empty());
}

TEST(Baseline, NewDestinationsAfterLearningAreOneAggregatedAlert) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 80);
  ASSERT_FALSE(h.model.find("00:11:22:33:44:55")->learning());
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.7"), 443, t));
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.7"), 443, t + kMin));  // the same: no repeat
  h.end(h.flow(h.cam, *IpAddr::parse("192.0.2.99"), 443, t + 2 * kMin));
  h.end(h.flow(h.cam, *IpAddr::parse("192.0.2.98"), 443, t + 3 * kMin, /*answered=*/false));
  h.end(h.flow(h.cam, h.cloud, 443, t + 4 * kMin));  // the habit goes on
  auto a = h.of("baseline.new_destination");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->count, 2u);
  EXPECT_EQ(a[0]->severity, Severity::kLow);
  EXPECT_EQ(a[0]->device, "00:11:22:33:44:55");
  EXPECT_EQ(h.evidence(*a[0], "new_destinations"), "2");
  EXPECT_EQ(h.evidence(*a[0], "examples"), "198.51.100.7, 192.0.2.99");
  EXPECT_NE(a[0]->explanation.find("camera (ipcamera-garden"), std::string::npos);
  // Same port and protocol as ever: only the destination is new.
  EXPECT_EQ(h.ours(), 1u);
}

TEST(Baseline, WithAGeoDatabaseNewCountriesAndNetworksAlert) {
  geo::GeoDb geo;
  ASSERT_TRUE(
      geo.add_csv("203.0.113.0,203.0.113.255,DE\n203.0.113.0,203.0.113.255,64500,Cam Cloud\n"
                  "198.51.100.0,198.51.100.255,KP\n"
                  "198.51.100.0,198.51.100.255,64511,\"Far, Away\"\n"));
  Home h(&geo);
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 80);  // the cloud in DE, AS64500
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.7"), 443, t));
  h.end(h.flow(h.cam, *IpAddr::parse("198.51.100.8"), 443, t + kMin));  // same country, network
  auto c = h.of("baseline.new_country");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->count, 1u);
  EXPECT_EQ(c[0]->severity, Severity::kMedium);
  EXPECT_EQ(h.evidence(*c[0], "examples"), "KP (198.51.100.7)");
  EXPECT_EQ(h.evidence(*c[0], "peer_country"), "KP");  // every alert names the peer's country
  auto n = h.of("baseline.new_network");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(h.evidence(*n[0], "examples"), "AS64511 Far, Away (198.51.100.7)");
  const DeviceBaseline* b = h.model.find("00:11:22:33:44:55");
  EXPECT_EQ(b->items[static_cast<std::size_t>(BaselineKind::kCountry)].size(), 2u);
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kNetwork, "AS4294967295"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kNetwork, "AS0"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kCountry, "de"));
}

TEST(Baseline, HabitualCheckInsAreALowBeaconAndNewOnesAreNot) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  // The camera checks in with its cloud every two minutes from its first sighting on...
  Timestamp t = h.habit(kHour, 120);
  // ...and after learning starts checking in with a new server just as regularly.
  const IpAddr cnc = *IpAddr::parse("198.51.100.66");
  for (int i = 0; i < 15; ++i) h.end(h.flow(h.cam, cnc, 8443, t + i * 2 * kMin));
  h.chain->finish();
  const Alert* cloud = nullptr;
  const Alert* fresh = nullptr;
  for (const auto* a : h.of("cnc.beacon")) (a->dest_ip == h.cloud ? cloud : fresh) = a;
  ASSERT_NE(cloud, nullptr);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(cloud->severity, Severity::kLow);
  EXPECT_EQ(h.evidence(*cloud, "habitual"), "yes");
  EXPECT_NE(cloud->explanation.find("maker's cloud"), std::string::npos);
  EXPECT_EQ(fresh->severity, Severity::kMedium);
  EXPECT_EQ(h.evidence(*fresh, "habitual"), "no");
}

TEST(Baseline, DestinationsAreNamedSoACdnRotatingAddressesIsOneDestination) {
  Home h;
  auto answer = [&](const std::string& q, const IpAddr& addr, Timestamp ts) {
    dissect::Observation o;
    o.ctx.ts = ts;
    o.ctx.src_ip = h.cam;
    dissect::DnsObservation d;
    d.msg.response = true;
    d.msg.questions.push_back(protocols::DnsQuestion{q, 1, 1, false});
    protocols::DnsRecord rr;
    rr.name = q;
    rr.type = 1;
    rr.address = addr;
    d.msg.answers.push_back(rr);
    o.body = d;
    h.chain->on_observation(o);
  };
  answer("api.cloud.example.com", h.cloud, kHour);
  Timestamp t = h.habit(kHour, 80);
  const IpAddr moved = *IpAddr::parse("198.51.100.200");
  answer("eu.cloud.example.com", moved, t);
  h.end(h.flow(h.cam, moved, 443, t));
  EXPECT_TRUE(h.of("baseline.new_destination").empty());
  const IpAddr other = *IpAddr::parse("192.0.2.44");
  answer("c2.evil.example.net", other, t + kMin);
  h.end(h.flow(h.cam, other, 443, t + kMin));
  auto a = h.of("baseline.new_destination");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(h.evidence(*a[0], "examples"), "example.net (192.0.2.44)");
}

TEST(Baseline, NewPortAndProtocolAlertOnceEachAndRiskyOnesAreMedium) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 80);
  for (int i = 0; i < 3; ++i)
    h.end(h.flow(h.cam, h.cloud, 23, t + i * kMin, true, flow::AppProto::kTelnet));
  auto port = h.of("baseline.new_port");
  auto proto = h.of("baseline.new_protocol");
  ASSERT_EQ(port.size(), 1u);
  ASSERT_EQ(proto.size(), 1u);
  EXPECT_EQ(port[0]->count, 1u);
  EXPECT_EQ(port[0]->severity, Severity::kMedium);
  EXPECT_EQ(h.evidence(*port[0], "examples"), "tcp/23 at 203.0.113.10");
  EXPECT_EQ(proto[0]->severity, Severity::kMedium);
  EXPECT_NE(proto[0]->explanation.find("started speaking Telnet"), std::string::npos);
  EXPECT_TRUE(h.of("baseline.new_destination").empty());  // the cloud is known
  // An ephemeral UDP port is learned but never alerts.
  h.end(h.flow(h.cam, h.cloud, 51234, t + 5 * kMin, true, flow::AppProto::kUnknown,
               decode::kProtoUdp));
  EXPECT_EQ(h.of("baseline.new_port")[0]->count, 1u);
}

TEST(Baseline, NewLocalPeerAndInfrastructureIsIgnored) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 80);
  // DNS to a new resolver, NTP to a new server, mDNS: plumbing, never a deviation.
  h.end(h.flow(h.cam, *IpAddr::parse("9.9.9.9"), 53, t, true, flow::AppProto::kDns,
               decode::kProtoUdp));
  h.end(h.flow(h.cam, *IpAddr::parse("162.159.200.1"), 123, t, true, flow::AppProto::kNtp,
               decode::kProtoUdp));
  h.end(h.flow(h.cam, *IpAddr::parse("224.0.0.251"), 5353, t, false, flow::AppProto::kMdns,
               decode::kProtoUdp));
  EXPECT_EQ(h.ours(), 0u);
  // A neighbour it never talked to, tried twice without an answer.
  h.end(h.flow(h.cam, h.phone, 8080, t + kMin, false, flow::AppProto::kUnknown));
  h.end(h.flow(h.cam, h.phone, 8080, t + 2 * kMin, false, flow::AppProto::kUnknown));
  auto a = h.of("baseline.new_peer");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->count, 1u);
  EXPECT_EQ(h.evidence(*a[0], "examples"), "192.168.1.50:8080");
  EXPECT_EQ(h.evidence(*a[0], "answered"), "no");
}

TEST(Baseline, AKindStillGrowingLateInLearningDoesNotAlert) {
  Home h;
  Timestamp t = h.habit(kHour, 30);
  // A new destination every two minutes until learning ends: destinations never settled.
  for (int i = 0; i < 25; ++i)
    h.end(h.flow(h.cam, IpAddr::v4(0xc6336400u + (static_cast<std::uint32_t>(i) << 8)), 443,
                 t + i * 2 * kMin));
  t += 50 * kMin;
  ASSERT_FALSE(h.model.find("00:11:22:33:44:55")->learning());
  h.end(h.flow(h.cam, *IpAddr::parse("192.0.2.99"), 443, t));
  EXPECT_TRUE(h.of("baseline.new_destination").empty());
}

TEST(Baseline, PhonesAndComputersAreInfoOnly) {
  Home h;
  h.name(h.phone_mac, "iPhone-de-Ana");
  for (int i = 0; i < 40; ++i) h.end(h.flow(h.phone, h.cloud, 443, kHour + i * 2 * kMin));
  h.end(h.flow(h.phone, *IpAddr::parse("198.51.100.7"), 443, 3 * kHour));
  auto a = h.of("baseline.new_destination");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->severity, Severity::kInfo);
}

TEST(Baseline, AnHourFarAboveTheHabitIsAVolumeJump) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  // Ten hours of about 1 MB an hour (four 250 KB uploads).
  Timestamp t = kHour;
  for (int hour = 0; hour < 10; ++hour) {
    for (int i = 0; i < 4; ++i) {
      h.end(h.flow(h.cam, h.cloud, 443, t + i * 10 * kMin, true, flow::AppProto::kTls,
                   decode::kProtoTcp, 240'000 + hour * 5'000 + i * 1'000));
    }
    t += kHour;
  }
  EXPECT_TRUE(h.of("baseline.volume").empty());
  // Then 60 MB within one hour, in six uploads: one alert for the hour.
  for (int i = 0; i < 6; ++i) {
    h.end(h.flow(h.cam, h.cloud, 443, t + i * 5 * kMin, true, flow::AppProto::kTls,
                 decode::kProtoTcp, 10'000'000));
  }
  auto a = h.of("baseline.volume");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->severity, Severity::kMedium);
  EXPECT_EQ(a[0]->count, 1u);
  EXPECT_NE(a[0]->explanation.find("within one hour"), std::string::npos);
  // A busy hour below the floor is not a jump, however large the ratio.
  Home quiet;
  Timestamp q = kHour;
  for (int hour = 0; hour < 10; ++hour, q += kHour)
    for (int i = 0; i < 3; ++i)
      quiet.end(quiet.flow(quiet.cam, quiet.cloud, 443, q + i * kMin, true, flow::AppProto::kTls,
                           decode::kProtoTcp, 1'000));
  for (int i = 0; i < 20; ++i)
    quiet.end(quiet.flow(quiet.cam, quiet.cloud, 443, q + i * kMin, true, flow::AppProto::kTls,
                         decode::kProtoTcp, 400'000));
  EXPECT_TRUE(quiet.of("baseline.volume").empty());
}

TEST(Baseline, RawIpCapturesKeyDevicesByAddress) {
  // No link layer: the inventory keys local devices by address ("ip:..."), and so does the
  // baseline.
  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  BaselineModel model;
  DetectConfig cfg;
  cfg.learning_period = kHour;
  cfg.baseline = &model;
  DetectorChain chain(cfg, inv);
  Home h;  // for its flow builder only
  decode::DecodedPacket p;
  p.src_ip = h.cam;
  p.dst_ip = h.cloud;
  inv.on_flow_start(flow::Flow{}, p);
  auto raw = [&](const IpAddr& dst, Timestamp t) {
    flow::Flow f = h.flow(h.cam, dst, 443, t);
    f.orig_mac = f.resp_mac = MacAddr{};
    chain.on_flow_end(f);
  };
  for (int i = 0; i < 40; ++i) raw(h.cloud, kHour + i * 2 * kMin);
  raw(*IpAddr::parse("198.51.100.7"), 3 * kHour);
  ASSERT_NE(model.find("ip:192.168.1.30"), nullptr);
  std::size_t n = 0;
  for (const auto& a : chain.alerts().alerts()) {
    if (a.detector != "baseline.new_destination") continue;
    ++n;
    EXPECT_EQ(a.device, "ip:192.168.1.30");
    EXPECT_NE(a.explanation.find("Your device (192.168.1.30)"), std::string::npos);
  }
  EXPECT_EQ(n, 1u);
}

TEST(BaselineModel, DevicesAndItemsAreCappedAndCounted) {
  BaselineLimits limits;
  limits.max_devices = 2;
  limits.max_items[static_cast<std::size_t>(BaselineKind::kDestination)] = 3;
  BaselineModel m(limits);
  ASSERT_NE(m.device("00:00:00:00:00:01", 1, kHour), nullptr);
  ASSERT_NE(m.device("00:00:00:00:00:02", 1, kHour), nullptr);
  EXPECT_EQ(m.device("00:00:00:00:00:03", 1, kHour), nullptr);
  EXPECT_EQ(m.devices_dropped(), 1u);
  DeviceBaseline* d = m.device("00:00:00:00:00:01", 2, kHour);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m.learn(*d, BaselineKind::kDestination, "d" + std::to_string(i) + ".example", 2),
              BaselineModel::Learned::kNew);
  }
  EXPECT_EQ(m.learn(*d, BaselineKind::kDestination, "d0.example", 3),
            BaselineModel::Learned::kKnown);
  EXPECT_EQ(m.learn(*d, BaselineKind::kDestination, "d9.example", 3),
            BaselineModel::Learned::kFull);
  EXPECT_EQ(m.items_dropped(), 1u);
  EXPECT_EQ(m.item_count(), 3u);
  EXPECT_EQ(d->items[0].at("d0.example").count, 2u);
  EXPECT_GT(m.memory_bytes(), 3 * 64u);
  // The model-wide cap holds whatever the per-kind caps allow.
  limits.max_total_items = 4;
  BaselineModel small(limits);
  DeviceBaseline* e = small.device("00:00:00:00:00:01", 1, kHour);
  DeviceBaseline* f = small.device("00:00:00:00:00:02", 1, kHour);
  small.learn(*e, BaselineKind::kService, "tcp/1", 1);
  small.learn(*e, BaselineKind::kService, "tcp/2", 1);
  small.learn(*f, BaselineKind::kService, "tcp/3", 1);
  small.learn(*f, BaselineKind::kProtocol, "TLS", 1);
  EXPECT_EQ(small.learn(*f, BaselineKind::kPeer, "ip:10.0.0.1", 1), BaselineModel::Learned::kFull);
  EXPECT_EQ(small.item_count(), 4u);
  BaselineModel restored(limits);
  restored.restore(m.snapshot());  // 3 items fit
  EXPECT_EQ(restored.item_count(), 3u);
  restored.restore(small.snapshot());
  EXPECT_EQ(restored.item_count(), 4u);
}

TEST(BaselineModel, SnapshotRestoresWhatWasLearned) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  Timestamp t = h.habit(kHour, 80);
  const BaselineSnapshot snap = h.model.snapshot();
  ASSERT_EQ(snap.devices.size(), 1u);  // only the camera took part in flows
  // A new process: a fresh inventory and chain, the model restored from the snapshot.
  Home later;
  later.name(later.cam_mac, "ipcamera-garden");
  later.model.restore(snap);
  const DeviceBaseline* b = later.model.find("00:11:22:33:44:55");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->learning());
  EXPECT_EQ(b->flows, 40u);
  later.end(later.flow(later.cam, later.cloud, 443, t));
  EXPECT_EQ(later.ours(), 0u);
  later.end(later.flow(later.cam, *IpAddr::parse("198.51.100.7"), 443, t + kMin));
  EXPECT_EQ(later.of("baseline.new_destination").size(), 1u);
}

TEST(BaselineModel, ValuesAndIdsAreValidated) {
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kDestination, "example.com"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kDestination, "net:203.0.113.0/24"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kDestination, "net:2001:db8:1::/48"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kDestination, "net:203.0.113.0/8"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kDestination, "Example.com"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kDestination, "a b"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kService, "tcp/443"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kService, "tcp/65536"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kServes, "sctp/80"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kProtocol, "TLS"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kProtocol, "Gopher"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kPeer, "00:11:22:33:44:55"));
  EXPECT_TRUE(baseline_value_valid(BaselineKind::kPeer, "ip:10.0.0.5"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kPeer, "ip:10.0.0.500"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kPeer, std::string("00:11:22:33:44:55\0x", 19)));
  EXPECT_FALSE(baseline_device_id_valid("00:11:22:33:44:5G"));
  EXPECT_FALSE(baseline_value_valid(BaselineKind::kDestination, std::string(300, 'a')));
}

// ------------------------------------------------------------------ lateral.type_policy

TEST(Lateral, APlugConnectingToACameraIsHigh) {
  Home h;
  h.name(h.plug_mac, "smart-plug-hs110");
  h.name(h.cam_mac, "ipcamera-garden");
  for (int i = 0; i < 3; ++i)
    h.end(h.flow(h.plug, h.cam, 554, kHour + i * kMin, true, flow::AppProto::kRtsp));
  auto a = h.of("lateral.type_policy");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->severity, Severity::kHigh);
  EXPECT_EQ(a[0]->count, 3u);
  EXPECT_EQ(a[0]->device, "00:11:22:33:44:66");
  EXPECT_EQ(a[0]->dest_port, 554);
  EXPECT_EQ(h.evidence(*a[0], "attempts"), "3");
  EXPECT_EQ(h.evidence(*a[0], "from_type"), "plug");
  EXPECT_EQ(h.evidence(*a[0], "to_type"), "camera");
  EXPECT_EQ(a[0]->explanation,
            "Your smart plug (smart-plug-hs110, 192.168.1.40) connected to your camera "
            "(ipcamera-garden, 192.168.1.30) on port 554: a smart plug never needs to talk to a "
            "camera; it may be compromised and spreading.");
}

TEST(Lateral, UnknownTypesAndAllowedPairsDoNotAlert) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  // The plug never said what it is.
  h.end(h.flow(h.plug, h.cam, 554, kHour));
  // Phones and computers may talk to anything (the camera's app).
  h.name(h.phone_mac, "iPhone-de-Ana");
  h.end(h.flow(h.phone, h.cam, 554, kHour));
  h.end(h.flow(h.phone, h.cam, 23, kHour));
  h.chain->finish();
  EXPECT_TRUE(h.of("lateral.type_policy").empty());
}

TEST(Lateral, SpeakersOfAFamilyTalkButNotToCameraShells) {
  Home h;
  h.name(h.plug_mac, "Sonos-Kitchen");  // a speaker, despite the variable's name
  h.name(h.phone_mac, "Sonos-Living");  // and another
  h.name(h.cam_mac, "ipcamera-garden");
  h.end(h.flow(h.plug, h.phone, 1400, kHour, true, flow::AppProto::kHttp));
  h.end(h.flow(h.plug, h.phone, 443, kHour));
  EXPECT_TRUE(h.of("lateral.type_policy").empty());
  // Telnet to the camera, unanswered: the shell row decides, medium without an answer.
  h.end(h.flow(h.plug, h.cam, 23, kHour + kMin, false, flow::AppProto::kUnknown));
  auto a = h.of("lateral.type_policy");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->severity, Severity::kMedium);
  EXPECT_NE(a[0]->explanation.find("tried to connect"), std::string::npos);
  EXPECT_NE(a[0]->explanation.find("remote shell"), std::string::npos);
}

TEST(Lateral, RecordersPullCamerasButCamerasDoNotOpenShells) {
  Home h;
  h.name(h.plug_mac, "nvr-basement");  // a recorder, labelled camera
  h.name(h.cam_mac, "ipcamera-garden");
  h.end(h.flow(h.plug, h.cam, 554, kHour, true, flow::AppProto::kRtsp));
  h.end(h.flow(h.plug, h.cam, 80, kHour, true, flow::AppProto::kHttp));
  EXPECT_TRUE(h.of("lateral.type_policy").empty());
  h.end(h.flow(h.cam, h.plug, 2323, kHour + kMin, true, flow::AppProto::kTelnet));
  auto a = h.of("lateral.type_policy");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->severity, Severity::kHigh);
  EXPECT_EQ(h.evidence(*a[0], "port"), "tcp/2323");
}

TEST(Lateral, ATypeLearnedAfterTheConnectionIsJudgedLater) {
  Home h;
  h.name(h.cam_mac, "ipcamera-garden");
  h.end(h.flow(h.plug, h.cam, 80, kHour, true, flow::AppProto::kHttp));
  EXPECT_TRUE(h.of("lateral.type_policy").empty());
  h.name(h.plug_mac, "smart-plug-hs110");  // its DHCP renewal comes after
  h.chain->on_tick(kHour + 2 * kMin);
  auto a = h.of("lateral.type_policy");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->count, 1u);
  // Discovery and name lookups between devices are plumbing.
  h.end(h.flow(h.plug, h.cam, 53, kHour + 3 * kMin, true, flow::AppProto::kDns, decode::kProtoUdp));
  h.end(h.flow(h.plug, h.cam, 1900, kHour + 3 * kMin, true, flow::AppProto::kSsdp,
               decode::kProtoUdp));
  h.chain->finish();
  EXPECT_EQ(h.of("lateral.type_policy").size(), 1u);
  EXPECT_EQ(h.of("lateral.type_policy")[0]->count, 1u);
}

}  // namespace
}  // namespace warden::detect
