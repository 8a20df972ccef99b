#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "decode/packet_builder.h"
#include "flow/flow_table.h"

namespace warden::flow {
namespace {

using decode::PacketBuilder;

const MacAddr kCam = *MacAddr::parse("b8:27:eb:00:00:01");
const MacAddr kRouter = *MacAddr::parse("00:11:22:33:44:55");
const IpAddr kLan = *IpAddr::parse("192.168.1.20");
const IpAddr kNet = *IpAddr::parse("198.51.100.7");

struct Recorder : FlowSink {
  struct Ended {
    std::string state, history, uid;
    EndReason reason;
    std::uint64_t orig_pkts, resp_pkts;
    std::uint16_t orig_port;
  };
  std::vector<Ended> ended;
  void on_flow_end(Flow& f, EndReason r) override {
    ended.push_back({std::string(f.conn_state()), std::string(f.history_str()), f.uid(), r,
                     f.dir[0].packets, f.dir[1].packets, f.orig_port()});
  }
};

decode::DecodedPacket tcp_pkt(bool from_lan, std::uint8_t flags, Timestamp ts,
                              std::string_view data = "") {
  auto frame = from_lan ? PacketBuilder()
                              .ethernet(kCam, kRouter)
                              .ipv4(kLan, kNet, decode::kProtoTcp)
                              .tcp(40000, 443, flags)
                              .payload(data)
                              .build()
                        : PacketBuilder()
                              .ethernet(kRouter, kCam)
                              .ipv4(kNet, kLan, decode::kProtoTcp)
                              .tcp(443, 40000, flags)
                              .payload(data)
                              .build();
  static std::vector<std::vector<std::byte>> keep;  // payload views must outlive the packet
  keep.push_back(frame);
  decode::DecodedPacket p;
  AnomalyCounters c;
  decode::decode(keep.back(), kLinkEthernet, ts, 0, p, c);
  return p;
}

TEST(FlowTable, BothDirectionsFindOneFlowAndStateIsSF) {
  Recorder rec;
  AnomalyCounters an;
  FlowTable t({}, rec, an);
  using namespace decode;
  auto u1 = t.process(tcp_pkt(true, kTcpSyn, 1 * kNsPerSec));
  auto u2 = t.process(tcp_pkt(false, kTcpSyn | kTcpAck, 1 * kNsPerSec + 1000));
  auto u3 = t.process(tcp_pkt(true, kTcpAck, 1 * kNsPerSec + 2000));
  auto u4 = t.process(tcp_pkt(true, kTcpAck | kTcpPsh, 1 * kNsPerSec + 3000, "GET"));
  t.process(tcp_pkt(false, kTcpAck | kTcpPsh, 1 * kNsPerSec + 4000, "200"));
  t.process(tcp_pkt(true, kTcpFin | kTcpAck, 2 * kNsPerSec));
  t.process(tcp_pkt(false, kTcpFin | kTcpAck, 2 * kNsPerSec));
  EXPECT_TRUE(u1.created);
  EXPECT_FALSE(u2.created);
  EXPECT_EQ(u1.flow, u3.flow);
  EXPECT_EQ(u2.dir, Direction::kRespToOrig);
  EXPECT_EQ(u4.dir, Direction::kOrigToResp);
  EXPECT_EQ(t.size(), 1u);
  t.flush();
  ASSERT_EQ(rec.ended.size(), 1u);
  EXPECT_EQ(rec.ended[0].state, "SF");
  EXPECT_EQ(rec.ended[0].history, "ShADdFf");  // responder never sent a pure ACK
  EXPECT_EQ(rec.ended[0].orig_pkts, 4u);
  EXPECT_EQ(rec.ended[0].resp_pkts, 3u);
  EXPECT_EQ(rec.ended[0].orig_port, 40000);
  EXPECT_EQ(rec.ended[0].uid.size(), 12u);
}

TEST(FlowTable, ConnStatesOfAttempts) {
  using namespace decode;
  struct Case {
    std::vector<std::pair<bool, std::uint8_t>> pkts;
    const char* state;
  };
  const Case cases[] = {
      {{{true, kTcpSyn}}, "S0"},
      {{{true, kTcpSyn}, {false, kTcpRst | kTcpAck}}, "REJ"},
      {{{true, kTcpSyn}, {false, kTcpSyn | kTcpAck}, {true, kTcpAck}}, "S1"},
      {{{true, kTcpSyn}, {false, kTcpSyn | kTcpAck}, {true, kTcpRst}}, "RSTO"},
      {{{true, kTcpSyn}, {false, kTcpSyn | kTcpAck}, {false, kTcpRst}}, "RSTR"},
      {{{true, kTcpAck}, {false, kTcpAck}}, "OTH"},
  };
  for (const auto& c : cases) {
    Recorder rec;
    AnomalyCounters an;
    FlowTable t({}, rec, an);
    Timestamp ts = kNsPerSec;
    for (auto [lan, flags] : c.pkts) t.process(tcp_pkt(lan, flags, ts += 1000));
    t.flush();
    ASSERT_EQ(rec.ended.size(), 1u);
    EXPECT_EQ(rec.ended[0].state, c.state);
  }
}

TEST(FlowTable, MidstreamResponderFirstKeepsClientAsOriginator) {
  Recorder rec;
  AnomalyCounters an;
  FlowTable t({}, rec, an);
  t.process(tcp_pkt(false, decode::kTcpAck, kNsPerSec, "data from server"));
  t.flush();
  EXPECT_EQ(rec.ended.at(0).orig_port, 40000);  // port 443 side is the server
}

TEST(FlowTable, IdleAndClosedFlowsExpireByTheirOwnTimeouts) {
  Recorder rec;
  AnomalyCounters an;
  FlowTableConfig cfg;
  FlowTable t(cfg, rec, an);
  using namespace decode;
  t.process(tcp_pkt(true, kTcpSyn, 10 * kNsPerSec));
  t.process(tcp_pkt(false, kTcpSyn | kTcpAck, 10 * kNsPerSec));
  t.process(tcp_pkt(true, kTcpRst, 10 * kNsPerSec));
  EXPECT_EQ(t.size(), 1u);
  // A packet of another flow 6 s later triggers expiry: the reset flow is past its linger.
  auto other =
      PacketBuilder().ethernet(kCam, kRouter).ipv4(kLan, kNet, kProtoUdp).udp(1, 2).build();
  DecodedPacket p;
  AnomalyCounters c;
  decode::decode(other, kLinkEthernet, 16 * kNsPerSec, 0, p, c);
  t.process(p);
  ASSERT_EQ(rec.ended.size(), 1u);
  EXPECT_EQ(rec.ended[0].reason, EndReason::kTcpClosed);
  decode::decode(other, kLinkEthernet, 200 * kNsPerSec, 0, p, c);
  t.process(p);  // same UDP flow, 184 s idle > 60 s: the old one ends, a new one starts
  ASSERT_EQ(rec.ended.size(), 2u);
  EXPECT_EQ(rec.ended[1].reason, EndReason::kIdle);
  EXPECT_EQ(t.size(), 1u);
}

// The memory bound: a flood of two million one-packet flows from random sources never holds
// more than max_flows flows, evicts (and counts) the rest, and the table's own memory stops
// growing once it is full.
TEST(FlowTable, FloodOfOnePacketFlowsStaysUnderTheCap) {
  Recorder rec;
  AnomalyCounters an;
  FlowTableConfig cfg;
  cfg.max_flows = 50'000;
  FlowTable t(cfg, rec, an);
  std::mt19937 rng(42);
  auto frame = PacketBuilder()
                   .ethernet(kCam, kRouter)
                   .ipv4(kNet, kLan, decode::kProtoTcp)
                   .tcp(1234, 23, decode::kTcpSyn)
                   .build();
  decode::DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode::decode(frame, kLinkEthernet, 0, 0, p, c));
  constexpr int kPackets = 2'000'000;
  std::size_t memory_when_full = 0;
  for (int i = 0; i < kPackets; ++i) {
    p.src_ip = IpAddr::v4(rng());
    p.src_port = static_cast<std::uint16_t>(rng());
    p.ts = kNsPerSec + i * 1000;  // 1 million packets per second of capture time
    t.process(p);
    ASSERT_LE(t.size(), cfg.max_flows);
    if (i == 100'000) memory_when_full = t.memory_bytes();
  }
  EXPECT_EQ(t.size(), cfg.max_flows);
  EXPECT_EQ(t.stats().created, static_cast<std::uint64_t>(kPackets));
  EXPECT_GT(t.stats().evicted, 1'900'000u);
  EXPECT_EQ(an.get(Anomaly::kFlowTableFull), t.stats().evicted);
  EXPECT_EQ(t.memory_bytes(), memory_when_full);
  t.flush();
  EXPECT_EQ(rec.ended.size(), static_cast<std::size_t>(kPackets));
  EXPECT_EQ(t.size(), 0u);
}

// Churn through the open-addressing index: insert and delete many keys, then every live key
// must still be found (backward-shift deletion keeps probe runs intact).
TEST(FlowTable, IndexStaysConsistentUnderChurn) {
  Recorder rec;
  AnomalyCounters an;
  FlowTableConfig cfg;
  cfg.max_flows = 1000;
  cfg.udp_idle_timeout = 2 * kNsPerSec;
  FlowTable t(cfg, rec, an);
  auto frame = PacketBuilder()
                   .ethernet(kCam, kRouter)
                   .ipv4(kLan, kNet, decode::kProtoUdp)
                   .udp(1, 53)
                   .build();
  decode::DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode::decode(frame, kLinkEthernet, 0, 0, p, c));
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 900; ++i) {
      p.src_port = static_cast<std::uint16_t>(i + round * 7);
      p.ts = (round * 3 + 1) * kNsPerSec + i;
      t.process(p);
    }
    // Every flow of this round is found again, not created twice.
    std::uint64_t before = t.stats().created;
    for (int i = 0; i < 900; ++i) {
      p.src_port = static_cast<std::uint16_t>(i + round * 7);
      t.process(p);
    }
    ASSERT_EQ(t.stats().created, before) << "round " << round;
  }
  EXPECT_EQ(t.stats().evicted, 0u);
}

}  // namespace
}  // namespace warden::flow
