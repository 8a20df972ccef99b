#include <gtest/gtest.h>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

const IpAddr kBot = *IpAddr::parse("192.168.2.16");

// A TCP flow as the flow table would end it. `answered`: the responder sent a SYN-ACK.
flow::Flow tcp_flow(const IpAddr& src, const IpAddr& dst, std::uint16_t dport, Timestamp start,
                    bool answered, flow::AppProto app = flow::AppProto::kUnknown) {
  flow::Flow f;
  bool src_lo = true;
  f.key = flow::make_key(src, 40000, dst, dport, decode::kProtoTcp, 0, src_lo);
  f.orig_is_lo = src_lo;
  f.first_ts = start;
  f.last_ts = start + kNsPerSec / 10;
  f.dir[0].packets = 3;
  f.tcp_seen = 1;  // SYN from the originator
  if (answered) {
    f.tcp_seen |= (2 << 8) | 4 | (4 << 8);  // SYN-ACK, FIN both ways
    f.dir[1].packets = 3;
    f.dir[0].payload_bytes = f.dir[1].payload_bytes = 500;
  }
  f.app = app;
  return f;
}

struct Harness {
  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  DetectorChain chain{DetectConfig{}, inv};
};

TEST(AlertTable, AggregatesByGroupAndKeepsTheNewestText) {
  AlertTable t(2);
  Alert a;
  a.signature_id = 1;
  a.src_ip = kBot;
  a.group = "port=23";
  a.first_ts = 10;
  a.last_ts = 10;
  a.explanation = "first";
  t.raise(a);
  a.first_ts = 5;
  a.last_ts = 20;
  a.explanation = "latest";
  a.severity = Severity::kHigh;
  t.raise(a);
  ASSERT_EQ(t.alerts().size(), 1u);
  EXPECT_EQ(t.alerts()[0].count, 2u);
  EXPECT_EQ(t.alerts()[0].first_ts, 5);
  EXPECT_EQ(t.alerts()[0].last_ts, 20);
  EXPECT_EQ(t.alerts()[0].explanation, "latest");
  EXPECT_EQ(t.alerts()[0].severity, Severity::kHigh);
  a.group = "port=2323";
  t.raise(a);
  a.group = "port=80";
  t.raise(a);  // over the cap of 2 distinct alerts
  EXPECT_EQ(t.alerts().size(), 2u);
  EXPECT_EQ(t.dropped(), 1u);
}

TEST(ScanDetector, TelnetSweepFromAnInsideDeviceIsHighSeverity) {
  Harness h;
  for (int i = 0; i < 30; ++i) {
    h.chain.on_flow_end(tcp_flow(kBot, IpAddr::v4(0xcb007100u + i), 23, i * kNsPerSec, false));
  }
  h.chain.finish();
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  const Alert& a = h.chain.alerts().alerts()[0];
  EXPECT_EQ(a.detector, "scan.telnet");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.count, 30u);
  EXPECT_EQ(a.dest_port, 23);
}

TEST(ScanDetector, ABusyClientReachingManyServersIsNotAScan) {
  Harness h;
  for (int i = 0; i < 100; ++i) {
    h.chain.on_flow_end(tcp_flow(kBot, IpAddr::v4(0xc6336400u + i), 443, i * kNsPerSec, true));
  }
  h.chain.finish();
  EXPECT_TRUE(h.chain.alerts().alerts().empty());
}

TEST(ScanDetector, VerticalScanOfOneHost) {
  Harness h;
  const IpAddr target = *IpAddr::parse("192.168.2.1");
  const IpAddr scanner = *IpAddr::parse("198.51.100.9");
  for (std::uint16_t p = 1; p <= 25; ++p)
    h.chain.on_flow_end(tcp_flow(scanner, target, p, p, false));
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  EXPECT_EQ(h.chain.alerts().alerts()[0].detector, "scan.vertical");
  EXPECT_EQ(h.chain.alerts().alerts()[0].count, 25u);
}

TEST(BeaconDetector, RegularCheckInsAlertAndIrregularTrafficDoesNot) {
  Harness h;
  const IpAddr cnc = *IpAddr::parse("203.0.113.50");
  const IpAddr web = *IpAddr::parse("203.0.113.60");
  for (int i = 0; i < 20; ++i) {
    // Every 60 s with +/- 1 s of jitter.
    h.chain.on_flow_end(tcp_flow(kBot, cnc, 443, (i * 60 + (i % 3) - 1) * kNsPerSec, true));
    // Bursty browsing: intervals 1, 2, 4, 8 ... seconds.
    h.chain.on_flow_end(tcp_flow(kBot, web, 443, (1LL << (i % 12)) * kNsPerSec + i, true));
  }
  h.chain.finish();
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  const Alert& a = h.chain.alerts().alerts()[0];
  EXPECT_EQ(a.detector, "cnc.beacon");
  EXPECT_EQ(a.dest_ip, cnc);
}

TEST(BruteForceDetector, ShortSshSessionsIdentifiedByPayload) {
  Harness h;
  const IpAddr attacker = *IpAddr::parse("198.51.100.20");
  const IpAddr camera = *IpAddr::parse("192.168.1.30");
  for (int i = 0; i < 12; ++i) {
    h.chain.on_flow_end(tcp_flow(attacker, camera, 22, i * kNsPerSec, true, flow::AppProto::kSsh));
  }
  // Two findings: the guessing itself, and that the camera's SSH answers the internet at all.
  const auto& alerts = h.chain.alerts().alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].detector, "exposure.inbound");
  EXPECT_EQ(alerts[1].detector, "bruteforce.ssh");
  EXPECT_EQ(alerts[1].severity, Severity::kHigh);  // a local device is targeted
  EXPECT_EQ(alerts[1].count, 12u);
}

TEST(DnsTunnelDetector, EncodedNamesUnderOneDomainButNotOrdinaryLookups) {
  Harness h;
  auto query = [&](const std::string& name, std::uint16_t type) {
    dissect::Observation o;
    o.ctx.src_ip = *IpAddr::parse("10.0.2.30");
    o.ctx.dst_ip = *IpAddr::parse("10.0.2.20");
    o.ctx.proto = decode::kProtoUdp;
    dissect::DnsObservation d;
    d.msg.questions.push_back(protocols::DnsQuestion{name, type, 1, false});
    o.body = d;
    h.chain.on_observation(o);
  };
  for (int i = 0; i < 50; ++i) {
    query("www.example.com", 1);
    query("device-metrics-us.amazon.com", 28);
  }
  EXPECT_TRUE(h.chain.alerts().alerts().empty());
  for (int i = 0; i < 12; ++i) {
    query("0" + std::to_string(i) + "aGVsbG8gd29ybGQgdGhpcyBpcyBleGZpbHRyYXRlZCBkYXRh.t.pirate.sea",
          10);
  }
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  EXPECT_EQ(h.chain.alerts().alerts()[0].detector, "dns.tunnel");
  EXPECT_NE(h.chain.alerts().alerts()[0].explanation.find("pirate.sea"), std::string::npos);
}

TEST(SweepDetector, ArpScanOfTheLan) {
  Harness h;
  decode::DecodedPacket p;
  p.network = decode::Network::kArp;
  p.arp.op = 1;
  p.arp.sender_mac = *MacAddr::parse("50:ed:3c:39:bc:d9");
  p.arp.sender_ip = *IpAddr::parse("192.168.1.247");
  for (int i = 1; i <= 40; ++i) {
    p.ts = i * 1000;
    p.arp.target_ip = IpAddr::v4(0xc0a80100u + static_cast<std::uint32_t>(i));
    h.chain.on_arp(p);
    h.chain.on_arp(p);  // repeats of one target count once
  }
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  EXPECT_EQ(h.chain.alerts().alerts()[0].detector, "scan.arp");
  EXPECT_EQ(h.chain.alerts().alerts()[0].count, 40u);
}

TEST(DetectorChain, DisabledRunsNothing) {
  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  DetectConfig off;
  off.enabled = false;
  DetectorChain chain(off, inv);
  EXPECT_EQ(chain.size(), 0u);
  DetectorChain on(DetectConfig{}, inv);
  EXPECT_EQ(on.size(), 12u);
}

}  // namespace
}  // namespace warden::detect

namespace warden::detect {
namespace {

dissect::Observation http_request(const std::string& auth, const std::string& soap) {
  dissect::Observation o;
  o.ctx.ts = 5;
  o.ctx.src_ip = *IpAddr::parse("192.168.1.30");
  o.ctx.dst_ip = *IpAddr::parse("192.168.1.1");
  o.ctx.dst_port = 5000;
  o.ctx.proto = decode::kProtoTcp;
  dissect::HttpRequestObservation r;
  r.method = "POST";
  r.host = "192.168.1.1:5000";
  r.uri = "/ctl/IPConn";
  r.auth_scheme = auth;
  r.soap_action = soap;
  o.body = r;
  return o;
}

TEST(ExposureDetector, UpnpPortMappingRequestIsMediumAndBasicAuthIsLow) {
  Harness h;
  h.chain.on_observation(
      http_request("", "\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\""));
  h.chain.on_observation(http_request("Basic", ""));
  h.chain.on_observation(http_request("Bearer", ""));  // not a password on the wire
  const auto& alerts = h.chain.alerts().alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].detector, "upnp.add_port_mapping");
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(alerts[1].detector, "exposure.cleartext_credentials");
  EXPECT_EQ(alerts[1].severity, Severity::kLow);
}

TEST(ExposureDetector, InboundConnectionFromTheInternet) {
  Harness h;
  // Established connection from a documentation address into a local camera's RTSP port.
  h.chain.on_flow_end(tcp_flow(*IpAddr::parse("203.0.113.77"), *IpAddr::parse("192.168.1.30"), 554,
                               kNsPerSec, true));
  // An unanswered attempt is not exposure.
  h.chain.on_flow_end(tcp_flow(*IpAddr::parse("203.0.113.78"), *IpAddr::parse("192.168.1.31"), 23,
                               kNsPerSec, false));
  ASSERT_EQ(h.chain.alerts().alerts().size(), 1u);
  EXPECT_EQ(h.chain.alerts().alerts()[0].detector, "exposure.inbound");
  EXPECT_EQ(h.chain.alerts().alerts()[0].dest_port, 554);
}

}  // namespace
}  // namespace warden::detect

namespace warden::detect {
namespace {

TEST(IntelDetector, AddressDomainAndJa3Hits) {
  intel::IntelSet set;
  ASSERT_TRUE(set.add_list("203.0.113.0/24\nc2.example.net\ne7d705a3286e19ea42f587b344ee6865\n",
                           intel::ListOptions{.name = "feed"}));
  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  DetectConfig cfg;
  cfg.intel = &set;
  DetectorChain chain(cfg, inv);
  EXPECT_EQ(chain.size(), 13u);
  chain.on_flow_end(tcp_flow(kBot, *IpAddr::parse("203.0.113.5"), 443, kNsPerSec, true));
  chain.on_flow_end(tcp_flow(kBot, *IpAddr::parse("198.51.100.5"), 443, kNsPerSec, true));
  dissect::Observation dns;
  dns.ctx.src_ip = kBot;
  dns.ctx.dst_ip = *IpAddr::parse("192.168.2.1");
  dissect::DnsObservation d;
  d.msg.questions.push_back(protocols::DnsQuestion{"api.C2.example.net", 1, 1, false});
  dns.body = d;
  chain.on_observation(dns);
  dissect::Observation tls;
  tls.ctx.src_ip = kBot;
  tls.ctx.dst_ip = *IpAddr::parse("198.51.100.5");
  protocols::TlsClientHello hello;
  hello.ja3_md5 = "e7d705a3286e19ea42f587b344ee6865";
  tls.body = hello;
  chain.on_observation(tls);
  const auto& alerts = chain.alerts().alerts();
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].detector, "intel.ip");
  EXPECT_EQ(alerts[0].severity, Severity::kHigh);  // a local device reached a listed address
  EXPECT_EQ(alerts[1].detector, "intel.domain");
  EXPECT_EQ(alerts[2].detector, "intel.ja3");
  EXPECT_EQ(alerts[2].severity, Severity::kMedium);
}

}  // namespace
}  // namespace warden::detect
