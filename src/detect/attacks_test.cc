// Tests of the attack detectors: DDoS participation, ICMP tunnels, DNS exfiltration, DGA and
// HTTP command-and-control, and the DNS name judgements behind them.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "detect/detectors.h"
#include "detect/dns_names.h"

namespace warden::detect {
namespace {

const IpAddr kDevice = *IpAddr::parse("192.168.1.50");
const IpAddr kTarget = *IpAddr::parse("203.0.113.9");
const IpAddr kResolver = *IpAddr::parse("192.168.1.1");

struct Harness {
  inventory::DeviceInventory inv{inventory::InventoryConfig{}, nullptr};
  DetectorChain chain{DetectConfig{}, inv};
  std::vector<const Alert*> by(std::string_view detector) const {
    std::vector<const Alert*> v;
    for (const auto& a : chain.alerts().alerts()) {
      if (a.detector == detector) v.push_back(&a);
    }
    return v;
  }
};

// One flow from the device: `out` packets sent, `back` answered; TCP flags as given.
flow::Flow flow_from(const IpAddr& src, std::uint16_t sport, const IpAddr& dst, std::uint16_t dport,
                     std::uint8_t proto, Timestamp start, Timestamp length, std::uint64_t out,
                     std::uint64_t back, std::uint16_t tcp_seen = 0) {
  flow::Flow f;
  bool src_lo = true;
  f.key = flow::make_key(src, sport, dst, dport, proto, 0, src_lo);
  f.orig_is_lo = src_lo;
  f.first_ts = start;
  f.last_ts = start + length;
  f.dir[0].packets = out;
  f.dir[0].ip_bytes = out * 60;
  f.dir[1].packets = back;
  f.tcp_seen = tcp_seen;
  return f;
}

TEST(DdosDetector, SynFloodOfManySmallFlowsIsOneHighAlert) {
  Harness h;
  // 3,000 SYNs from random source ports to one web server in 3 s, answered with resets.
  for (int i = 0; i < 3000; ++i) {
    const Timestamp t = 100 * kNsPerSec + i * (kNsPerSec / 1000);
    h.chain.on_flow_end(flow_from(kDevice, static_cast<std::uint16_t>(1024 + i), kTarget, 80,
                                  decode::kProtoTcp, t, 0, 1, 1, 1 | (8 << 8)));
  }
  h.chain.finish();
  const auto alerts = h.by("ddos.syn");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->severity, Severity::kHigh);
  EXPECT_EQ(alerts[0]->count, 3000u);
  EXPECT_EQ(alerts[0]->dest_ip, kTarget);
  EXPECT_EQ(alerts[0]->dest_port, 80);
  EXPECT_EQ(h.chain.alerts().alerts().size(), 1u);
}

TEST(DdosDetector, BusyButAnsweredOrSlowTrafficIsNotAFlood) {
  Harness h;
  // 3,000 completed connections with data (a busy client)...
  for (int i = 0; i < 3000; ++i) {
    auto f =
        flow_from(kDevice, static_cast<std::uint16_t>(1024 + i), kTarget, 443, decode::kProtoTcp,
                  i * (kNsPerSec / 1000), kNsPerSec / 100, 5, 5, 1 | (2 << 8) | 16 | 32);
    f.dir[0].payload_bytes = 300;
    f.dir[1].payload_bytes = 3000;
    h.chain.on_flow_end(f);
  }
  // ...a device retrying an unreachable server once a second for an hour...
  for (int i = 0; i < 3600; ++i) {
    h.chain.on_flow_end(flow_from(kDevice, static_cast<std::uint16_t>(20000 + i),
                                  *IpAddr::parse("198.51.100.7"), 8883, decode::kProtoTcp,
                                  i * kNsPerSec, 0, 1, 0, 1));
  }
  // ...and a two-way UDP stream (a video call): 5,000 packets each way in 20 s.
  h.chain.on_flow_end(
      flow_from(kDevice, 5000, kTarget, 3478, decode::kProtoUdp, 0, 20 * kNsPerSec, 5000, 5000));
  h.chain.finish();
  for (const auto& a : h.chain.alerts().alerts()) {
    EXPECT_NE(a.detector.substr(0, 5), "ddos.") << a.explanation;  // (the retries beacon)
  }
}

TEST(DdosDetector, LongUdpFloodIsReportedWhileItRuns) {
  Harness h;
  auto f = flow_from(kDevice, 4444, kTarget, 9999, decode::kProtoUdp, 0, 2 * kNsPerSec, 2048, 0);
  h.chain.on_flow_progress(f);  // the pipeline calls this at 1024, 2048... packets
  ASSERT_EQ(h.by("ddos.udp").size(), 1u);
  EXPECT_EQ(h.by("ddos.udp")[0]->count, 2048u);
  // When the flow ends, only its packets not yet reported are added.
  f.dir[0].packets = 3000;
  f.last_ts = 3 * kNsPerSec;
  h.chain.on_flow_end(f);
  h.chain.finish();
  ASSERT_EQ(h.by("ddos.udp").size(), 1u);
  EXPECT_EQ(h.by("ddos.udp")[0]->count, 3000u);
}

// An echo packet as the decoder hands it over (payload after the 8-byte ICMP header).
decode::DecodedPacket echo(bool request, Timestamp ts, const std::vector<std::uint8_t>& payload) {
  decode::DecodedPacket p;
  p.ts = ts;
  p.network = decode::Network::kIpv4;
  p.ip_proto = decode::kProtoIcmp;
  p.has_l4 = true;
  p.icmp_type = request ? 8 : 0;
  p.src_ip = request ? kDevice : kTarget;
  p.dst_ip = request ? kTarget : kDevice;
  p.payload = Bytes(reinterpret_cast<const std::byte*>(payload.data()), payload.size());
  return p;
}

TEST(IcmpTunnelDetector, PingPatternsStayQuiet) {
  Harness h;
  flow::Flow f;
  // Linux ping: 8-byte timestamp then 0x08, 0x09... ; Windows: the alphabet; -p ff: a pattern.
  std::vector<std::uint8_t> linux_ping = {0x61, 0x5e, 0x1c, 0x65, 0, 0, 0, 0};
  for (int i = 0; i < 48; ++i) linux_ping.push_back(static_cast<std::uint8_t>(0x10 + i));
  const std::string abc = "abcdefghijklmnopqrstuvwabcdefghi";
  const std::vector<std::uint8_t> windows(abc.begin(), abc.end());
  const std::vector<std::uint8_t> pattern(56, 0xff);
  for (int i = 0; i < 100; ++i) {
    linux_ping[0] = static_cast<std::uint8_t>(i);  // the timestamp changes
    for (const auto* payload :
         std::initializer_list<const std::vector<std::uint8_t>*>{&linux_ping, &windows, &pattern}) {
      h.chain.on_icmp_echo(f, flow::Direction::kOrigToResp, echo(true, i, *payload));
      h.chain.on_icmp_echo(f, flow::Direction::kRespToOrig, echo(false, i, *payload));
    }
  }
  h.chain.finish();
  EXPECT_TRUE(h.chain.alerts().alerts().empty());
}

TEST(IcmpTunnelDetector, IpPacketsInsideEchoesAreATunnel) {
  Harness h;
  flow::Flow f;
  for (int i = 0; i < 30; ++i) {
    // A whole IPv4 packet of varying size, as hans and icmptunnel carry.
    std::vector<std::uint8_t> inner(40 + 10 * i, 0);
    inner[0] = 0x45;
    inner[2] = static_cast<std::uint8_t>(inner.size() >> 8);
    inner[3] = static_cast<std::uint8_t>(inner.size());
    for (std::size_t j = 20; j < inner.size(); ++j) inner[j] = static_cast<std::uint8_t>(j * 7);
    h.chain.on_icmp_echo(f, flow::Direction::kOrigToResp, echo(true, i * kNsPerSec, inner));
  }
  h.chain.finish();
  const auto alerts = h.by("icmp.tunnel");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->src_ip, kDevice);
  EXPECT_EQ(alerts[0]->count, 30u);
  EXPECT_EQ(alerts[0]->severity, Severity::kHigh);
}

TEST(DnsNames, EncodedDataInOneName) {
  // The query from nDPI's dns-exf capture: gzip ("H4sI") in Base64 with '*' and '='.
  EXPECT_FALSE(
      encoded_data_reason("H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-."
                          "test.txt")
          .empty());
  EXPECT_FALSE(encoded_data_reason("aGVsbG8gd29ybGQgdGhpcyBpcyBkYXRh9xZ.evil.example").empty());
  for (const char* benign :
       {"www.google.com", "e6858.dscx.akamaiedge.net", "r3---sn-4g5e6nsz.googlevideo.com",
        "device-metrics-us-2.amazon.com", "a1b2c3d4e5f6a7b8c9d0.cloudfront.net",
        "_googlecast._tcp.local", "connectivitycheck.gstatic.com",
        "prod-eu-west-1-iot-gateway.tuyaeu.com"}) {
    EXPECT_EQ(encoded_data_reason(benign), "") << benign;
  }
}

TEST(DnsNames, GeneratedLookingDomains) {
  // Names of the shape DGAs produce (random consonant-heavy or digit-mixed labels).
  for (const char* dga : {"xjwqkdhfztpv.com", "qwzrtkvbnmplx.net", "kdj3h8f2k9s7d.org",
                          "bhqjvusnmzgk.info", "zzkxqwtrfghb.ru"}) {
    EXPECT_TRUE(looks_generated(dga)) << dga;
  }
  for (const char* real : {"instagram.com",
                           "stackoverflow.com",
                           "amazonaws.com",
                           "googleapis.com",
                           "www.facebook.com",
                           "tuyaeu.com",
                           "sonos.com",
                           "nest.com",
                           "mosquitto.org",
                           "microsoft.com",
                           "cloudflare.com",
                           "netflix.com",
                           "spotify.com",
                           "example.co.uk",
                           "strengthsfinder.com",
                           "api.smartthings.com",
                           "tplinkcloud.com",
                           "hikvision.com",
                           "reolinkcloud.com",
                           "broadlink.com.cn",
                           "msftconnecttest.com",
                           "googlesyndication.com",
                           "scorecardresearch.com",
                           "wunderground.com",
                           "openweathermap.org"}) {
    EXPECT_FALSE(looks_generated(real)) << real;
  }
}

dissect::Observation dns_answer(const std::string& name, std::uint8_t rcode, Timestamp ts) {
  dissect::Observation o;
  o.ctx.ts = ts;
  o.ctx.src_ip = kDevice;  // a transaction: the context is the client's query
  o.ctx.dst_ip = kResolver;
  o.ctx.dst_port = 53;
  o.ctx.proto = decode::kProtoUdp;
  dissect::DnsObservation d;
  d.msg.response = true;
  d.msg.rcode = rcode;
  d.rtt = kNsPerSec / 100;
  d.msg.questions.push_back(protocols::DnsQuestion{name, 1, 1, false});
  o.body = d;
  return o;
}

TEST(DnsTunnelDetector, OneEncodedQueryIsExfiltrationAndManyAreOneTunnel) {
  Harness h;
  h.chain.on_observation(
      dns_answer("aGVsbG8gd29ybGQgdGhpcyBpcyBkYXRh9xZ.drop.example", 0, kNsPerSec));
  for (int i = 0; i < 30; ++i) {
    h.chain.on_observation(
        dns_answer("Q2h1bmsgb2YgZGF0YSBudW1iZXIg" + std::to_string(1000 + i) + "Zm9vYmFy.t.example",
                   0, (10 + i) * kNsPerSec));
  }
  h.chain.finish();
  const auto exfil = h.by("dns.exfiltration");
  ASSERT_EQ(exfil.size(), 1u);
  EXPECT_EQ(exfil[0]->group, "drop.example");
  EXPECT_EQ(exfil[0]->severity, Severity::kMedium);
  ASSERT_EQ(h.by("dns.tunnel").size(), 1u);  // t.example: a tunnel, not also exfiltration
  EXPECT_EQ(h.chain.alerts().alerts().size(), 2u);
}

// A small DGA in the style of the classic ones: a seeded linear congruential generator picks
// letters, one name per step.
std::string generated(std::uint32_t& seed) {
  std::string s;
  for (int i = 0; i < 12; ++i) {
    seed = seed * 1103515245u + 12345u;
    s.push_back(static_cast<char>('a' + (seed >> 16) % 26));
  }
  return s + ".com";
}

TEST(DgaDetector, ManyGeneratedNxDomainsFromOneClient) {
  Harness h;
  std::uint32_t seed = 20261201;
  int generated_looking = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string name = generated(seed);
    generated_looking += looks_generated(name);
    h.chain.on_observation(dns_answer(name, 3, i * kNsPerSec));
  }
  h.chain.finish();
  const auto alerts = h.by("dns.dga");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->src_ip, kDevice);
  EXPECT_EQ(alerts[0]->count, static_cast<std::uint64_t>(generated_looking));
  EXPECT_GE(generated_looking, 20);  // most random names look generated
}

TEST(DgaDetector, ResolvingOrHumanNamesStayQuiet) {
  Harness h;
  std::uint32_t seed = 7;
  // Random names that resolve (a CDN's hosts) are not a DGA's misses.
  for (int i = 0; i < 40; ++i) h.chain.on_observation(dns_answer(generated(seed), 0, i));
  // NXDOMAIN for names people typed wrong or that expired.
  for (const char* typo : {"gogle.com", "amazom.com", "faceboook.com", "my-old-nas.net",
                           "printer.home.arpa", "wpad.lan", "instagran.com", "netflx.com"}) {
    h.chain.on_observation(dns_answer(typo, 3, 50));
  }
  h.chain.finish();
  EXPECT_TRUE(h.chain.alerts().alerts().empty());
}

dissect::Observation http_post(const std::string& host, std::uint16_t port, const std::string& uri,
                               const std::string& method, const std::string& ua) {
  dissect::Observation o;
  o.ctx.src_ip = kDevice;
  o.ctx.dst_ip = *IpAddr::parse(host.substr(0, host.find(':')));
  o.ctx.dst_port = port;
  o.ctx.proto = decode::kProtoTcp;
  dissect::HttpRequestObservation r;
  r.method = method;
  r.host = host;
  r.uri = uri;
  r.user_agent = ua;
  o.body = r;
  return o;
}

TEST(HttpCncDetector, TrojanCheckInIsMediumAndDeviceApiCallsAreNot) {
  Harness h;
  // TrickBot's check-in, as in nDPI's trickbot capture (address from the documentation range).
  h.chain.on_observation(http_post(
      "198.51.100.20:7080", 7080, "/OK21pqJAtyyGBEo00sk", "POST",
      "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C)"));
  // A device's cloud API on a bare address, and a firmware check: one sign at most each.
  h.chain.on_observation(
      http_post("198.51.100.21", 80, "/api/v1/status", "POST", "esp32-http-client/1.0"));
  h.chain.on_observation(
      http_post("198.51.100.22:8443", 8443, "/firmware/latest.bin", "GET", "curl/7.88"));
  const auto alerts = h.by("cnc.http");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->severity, Severity::kMedium);
  EXPECT_EQ(alerts[0]->dest_port, 7080);
  EXPECT_EQ(h.chain.alerts().alerts().size(), 1u);
}

}  // namespace
}  // namespace warden::detect
