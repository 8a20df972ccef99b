#include "dissect/dissector.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "decode/packet_builder.h"
#include "flow/flow_table.h"

namespace warden::dissect {
namespace {

using decode::PacketBuilder;

const MacAddr kPhone = *MacAddr::parse("00:11:22:33:44:55");
const MacAddr kRouter = *MacAddr::parse("00:aa:bb:cc:dd:ee");
const IpAddr kClient = *IpAddr::parse("192.168.1.20");
const IpAddr kServer = *IpAddr::parse("192.168.1.1");

struct Collector : ObservationSink, flow::FlowSink {
  std::vector<Observation> obs;
  std::vector<flow::AppProto> ended;
  void on_observation(const Observation& o) override { obs.push_back(o); }
  void on_flow_end(flow::Flow& f, flow::EndReason) override { ended.push_back(f.app); }
};

// Feeds TCP segments of one connection through a flow table and the dissector.
struct Conn {
  Collector sink;
  AnomalyCounters anomalies;
  flow::FlowTable table{flow::FlowTableConfig{}, sink, anomalies};
  Dissector dissector{sink, anomalies};
  std::vector<std::vector<std::byte>> frames;
  std::uint32_t seq[2] = {1000, 5000};
  std::uint16_t server_port;
  Timestamp ts = 1'700'000'000LL * kNsPerSec;

  explicit Conn(std::uint16_t port) : server_port(port) {
    send(true, "", decode::kTcpSyn);
    send(false, "", decode::kTcpSyn | decode::kTcpAck);
  }
  // Sends data from the client (or server); `skip` leaves a hole in the sequence space.
  void send(bool from_client, std::string_view data,
            std::uint8_t flags = decode::kTcpAck | decode::kTcpPsh, std::uint32_t skip = 0) {
    const int d = from_client ? 0 : 1;
    seq[d] += skip;
    PacketBuilder b;
    if (from_client) {
      b.ethernet(kPhone, kRouter)
          .ipv4(kClient, kServer, decode::kProtoTcp)
          .tcp(40000, server_port, flags, seq[d]);
    } else {
      b.ethernet(kRouter, kPhone)
          .ipv4(kServer, kClient, decode::kProtoTcp)
          .tcp(server_port, 40000, flags, seq[d]);
    }
    frames.push_back(b.payload(data).build());
    seq[d] += static_cast<std::uint32_t>(data.size()) + ((flags & decode::kTcpSyn) ? 1 : 0);
    decode::DecodedPacket p;
    decode::decode(frames.back(), kLinkEthernet, ts += 1000, 0, p, anomalies);
    auto u = table.process(p);
    ASSERT_NE(u.flow, nullptr);
    dissector.on_packet(*u.flow, u.dir, p);
  }
};

const std::string kHelloPath =
    std::string(WARDEN_SOURCE_DIR) + "/fuzz/corpus/tls/alexa-frame2820-client";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(Dissector, TlsClientHelloSplitAcrossSegmentsIsReassembled) {
  // A real ClientHello (alexa-app.pcapng frame 2820, SNI android.clients.google.com), in three.
  const std::string hello = read_file(kHelloPath);
  ASSERT_GT(hello.size(), 150u);
  Conn c(443);
  c.send(true, std::string_view(hello).substr(0, 60));
  c.send(true, std::string_view(hello).substr(60, 50));
  c.send(true, std::string_view(hello).substr(110));
  ASSERT_EQ(c.sink.obs.size(), 1u);
  const auto* ch = std::get_if<protocols::TlsClientHello>(&c.sink.obs[0].body);
  ASSERT_NE(ch, nullptr);
  EXPECT_EQ(ch->sni, "android.clients.google.com");
  EXPECT_EQ(ch->ja3_md5.size(), 32u);
  c.table.flush();
  EXPECT_EQ(c.sink.ended.at(0), flow::AppProto::kTls);
}

const char kDescription[] =
    "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion>"
    "<major>1</major><minor>0</minor></specVersion><device>"
    "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
    "<friendlyName>Home Router</friendlyName><manufacturer>OpenWrt</manufacturer>"
    "<modelName>miniupnpd</modelName><modelNumber>2.3</modelNumber>"
    "<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1"
    "</serviceType></service></serviceList></device></root>\r\n";

std::string response_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nServer: OpenWRT/21 "
         "UPnP/1.1 MiniUPnPd/2.3\r\nContent-Length: " +
         std::to_string(sizeof kDescription - 1) + "\r\n\r\n";
}

TEST(Dissector, UpnpDescriptionBodyIsReassembledAcrossSegments) {
  Conn c(5000);
  c.send(true, "GET /rootDesc.xml HTTP/1.1\r\nHost: 192.168.1.1:5000\r\nUser-Agent: test\r\n\r\n");
  const std::string body = kDescription;
  c.send(false, response_head() + body.substr(0, 120));
  c.send(false, body.substr(120, 200));
  c.send(false, body.substr(320));
  std::vector<std::string_view> types;
  for (const auto& o : c.sink.obs) types.push_back(observation_type(o));
  ASSERT_EQ(types,
            (std::vector<std::string_view>{"http_request", "http_response", "upnp_description"}));
  const auto& u = std::get<UpnpDescriptionObservation>(c.sink.obs[2].body);
  EXPECT_EQ(u.location, "http://192.168.1.1:5000/rootDesc.xml");
  EXPECT_EQ(u.desc.manufacturer, "OpenWrt");
  EXPECT_EQ(u.desc.model_name, "miniupnpd");
  ASSERT_EQ(u.desc.service_types.size(), 1u);
  // The description came from the server: the observation's source is the router.
  EXPECT_EQ(c.sink.obs[2].ctx.src_ip, kServer);
}

TEST(Dissector, AGapInTheStreamEndsReassemblyWithoutAWrongObservation) {
  Conn c(5000);
  c.send(true, "GET /rootDesc.xml HTTP/1.1\r\nHost: 192.168.1.1:5000\r\n\r\n");
  const std::string body = kDescription;
  c.send(false, response_head() + body.substr(0, 120));
  c.send(false, body.substr(320), decode::kTcpAck | decode::kTcpPsh, /*skip=*/200);  // lost segment
  for (int i = 0; i < 10; ++i) c.send(false, "x");
  for (const auto& o : c.sink.obs) EXPECT_NE(observation_type(o), "upnp_description");
}

TEST(Dissector, MqttKeepaliveIdentifiesASessionWhoseConnectWasMissed) {
  Conn c(17501);
  c.send(true, std::string("\xc0\x00", 2));
  c.send(false, std::string("\xd0\x00", 2));
  c.table.flush();
  EXPECT_EQ(c.sink.ended.at(0), flow::AppProto::kMqtt);
}

TEST(Dissector, PortIsOnlyAFallbackAndIsMarkedAsSuch) {
  Conn tls_on_80(80);
  tls_on_80.send(true, read_file(kHelloPath));
  tls_on_80.table.flush();
  EXPECT_EQ(tls_on_80.sink.ended.at(0), flow::AppProto::kTls);  // payload beats port 80

  Collector sink;
  AnomalyCounters an;
  Dissector d(sink, an);
  flow::Flow f;
  f.key.proto = decode::kProtoTcp;
  f.key.lo_port = 50000;
  f.key.hi_port = 1883;
  f.orig_is_lo = true;
  d.on_flow_end(f);
  EXPECT_EQ(f.app, flow::AppProto::kMqtt);
  EXPECT_TRUE(f.app_by_port);
}

}  // namespace
}  // namespace warden::dissect

namespace warden::dissect {
namespace {

// DNS query bytes for "<name> A" with the given id; `answer` makes it a response with no RRs.
std::string dns_message(std::uint16_t id, bool answer, const std::string& label) {
  std::string m;
  m += static_cast<char>(id >> 8);
  m += static_cast<char>(id & 0xff);
  m += answer ? std::string("\x81\x80", 2) : std::string("\x01\x00", 2);
  m += std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
  m += static_cast<char>(label.size()) + label +
       std::string(
           "\x03"
           "com\x00\x00\x01\x00\x01",
           9);
  return m;
}

TEST(Dissector, DnsQueryAndAnswerBecomeOneTransactionAndUnansweredQueriesAreKept) {
  Collector sink;
  AnomalyCounters an;
  flow::FlowTable table({}, sink, an);
  Dissector d(sink, an);
  std::vector<std::vector<std::byte>> frames;
  auto send = [&](bool query, std::uint16_t id, const std::string& name, Timestamp ts) {
    PacketBuilder b;
    if (query)
      b.ethernet(kPhone, kRouter).ipv4(kClient, kServer, decode::kProtoUdp).udp(40000, 53);
    else
      b.ethernet(kRouter, kPhone).ipv4(kServer, kClient, decode::kProtoUdp).udp(53, 40000);
    frames.push_back(b.payload(dns_message(id, !query, name)).build());
    decode::DecodedPacket p;
    decode::decode(frames.back(), kLinkEthernet, ts, 0, p, an);
    auto u = table.process(p);
    d.on_packet(*u.flow, u.dir, p);
  };
  send(true, 7, "example", kNsPerSec);
  send(true, 8, "lost", kNsPerSec + 10);
  send(false, 7, "example", kNsPerSec + 25'000'000);
  ASSERT_EQ(sink.obs.size(), 1u);
  const auto& t = std::get<DnsObservation>(sink.obs[0].body);
  EXPECT_TRUE(t.msg.response);
  ASSERT_TRUE(t.rtt.has_value());
  EXPECT_EQ(*t.rtt, 25'000'000);
  EXPECT_EQ(sink.obs[0].ctx.src_ip, kClient);  // the transaction belongs to the asking client
  EXPECT_EQ(sink.obs[0].ctx.ts, kNsPerSec);
  // A query never answered is reported when its flow ends (the pipeline forwards flow ends to
  // the dissector; this hook does the same).
  struct EndHook : flow::FlowSink {
    Dissector& d;
    explicit EndHook(Dissector& dd) : d(dd) {}
    void on_flow_end(flow::Flow& f, flow::EndReason) override { d.on_flow_end(f); }
  };
  Collector sink2;
  Dissector d2(sink2, an);
  EndHook hook(d2);
  flow::FlowTable table2({}, hook, an);
  frames.push_back(PacketBuilder()
                       .ethernet(kPhone, kRouter)
                       .ipv4(kClient, kServer, decode::kProtoUdp)
                       .udp(40001, 53)
                       .payload(dns_message(9, false, "nobody"))
                       .build());
  decode::DecodedPacket p;
  decode::decode(frames.back(), kLinkEthernet, kNsPerSec, 0, p, an);
  auto u = table2.process(p);
  d2.on_packet(*u.flow, u.dir, p);
  EXPECT_TRUE(sink2.obs.empty());
  table2.flush();
  ASSERT_EQ(sink2.obs.size(), 1u);
  const auto& q = std::get<DnsObservation>(sink2.obs[0].body);
  EXPECT_FALSE(q.msg.response);
  EXPECT_FALSE(q.rtt.has_value());
  EXPECT_EQ(q.msg.questions.at(0).name, "nobody.com");
}

// LLDP frames never reach a flow: the pipeline hands them over at the link layer.
TEST(Dissector, LldpBecomesALinkLayerObservation) {
  std::vector<std::byte> f;
  auto put = [&](std::initializer_list<int> bytes) {
    for (int b : bytes) f.push_back(static_cast<std::byte>(b));
  };
  auto tlv = [&](int type, std::string_view v) {
    const int h = (type << 9) | static_cast<int>(v.size());
    put({h >> 8, h & 0xff});
    for (char c : v) f.push_back(static_cast<std::byte>(c));
  };
  put({0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e});  // nearest-bridge multicast
  for (auto b : kPhone.b) f.push_back(static_cast<std::byte>(b));
  put({0x88, 0xcc});
  tlv(1, std::string_view("\x04\x00\x11\x22\x33\x44\x55", 7));
  tlv(2,
      "\x05"
      "eth0");
  tlv(3, std::string_view("\x00\x78", 2));
  tlv(127, std::string("\x00\x00\x5e\x01", 4) + "https://mud.example.com/bulb.json");
  tlv(0, "");
  Collector sink;
  AnomalyCounters anomalies;
  Dissector d(sink, anomalies);
  decode::DecodedPacket pkt;
  ASSERT_TRUE(decode::decode(Bytes(f.data(), f.size()), 1, 7, f.size(), pkt, anomalies));
  ASSERT_EQ(pkt.network, decode::Network::kNone);
  d.on_link_frame(pkt);
  ASSERT_EQ(sink.obs.size(), 1u);
  const Observation& o = sink.obs[0];
  EXPECT_EQ(observation_type(o), "lldp");
  EXPECT_FALSE(o.ctx.has_ip);
  EXPECT_EQ(o.ctx.flow_uid, 0u);
  EXPECT_EQ(o.ctx.src_mac, kPhone);
  const auto* m = std::get_if<protocols::LldpMessage>(&o.body);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->mud_url, "https://mud.example.com/bulb.json");
  EXPECT_EQ(m->chassis_id, "00:11:22:33:44:55");
  // A damaged LLDPDU is counted, not observed.
  f.resize(f.size() - 10);
  ASSERT_TRUE(decode::decode(Bytes(f.data(), f.size()), 1, 8, f.size(), pkt, anomalies));
  d.on_link_frame(pkt);
  EXPECT_EQ(sink.obs.size(), 1u);
  EXPECT_EQ(anomalies.get(Anomaly::kMalformedLldp), 1u);
}

}  // namespace
}  // namespace warden::dissect
