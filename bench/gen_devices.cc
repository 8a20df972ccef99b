// gen_devices: writes a pcap of K activities spread over N devices, to measure what warden keeps
// per tracked device. Activity k belongs to device k mod N: a DNS lookup and its answer, a short
// TLS-port TCP connection to an internet host, and an echo request/reply. Two captures with the
// same K and timing and different N differ only in how many devices they hold, so the peak
// memory difference divided by the device difference is the cost of one device (inventory,
// detector state). Devices are 02:10:... / 10.x.y.z; internet hosts come from the documentation
// ranges (RFC 5737).
// Usage: gen_devices OUT.pcap DEVICES ACTIVITIES
#include <cstdio>
#include <cstdlib>
#include <string>

#include "capture/pcap_writer.h"
#include "decode/decode.h"
#include "decode/packet_builder.h"

int main(int argc, char** argv) {
  using namespace warden;
  if (argc < 4) {
    std::fprintf(stderr, "usage: gen_devices OUT.pcap DEVICES ACTIVITIES\n");
    return 2;
  }
  const long long n = std::atoll(argv[2]), k = std::atoll(argv[3]);
  if (n < 1 || n > 16'000'000 || k < 1) {
    std::fprintf(stderr, "gen_devices: DEVICES 1..16000000, ACTIVITIES >= 1\n");
    return 2;
  }
  auto w = capture::PcapWriter::open(argv[1], kLinkEthernet);
  if (!w) {
    std::fprintf(stderr, "gen_devices: %s\n", w.error().c_str());
    return 1;
  }
  const MacAddr router = *MacAddr::parse("02:00:00:00:00:01");
  const IpAddr resolver = *IpAddr::parse("10.255.255.254");
  Timestamp ts = 1'700'000'000LL * kNsPerSec;
  auto put = [&](const std::vector<std::byte>& f) {
    ts += 50'000;  // 20,000 packets per second
    w->write(ts, f, static_cast<std::uint32_t>(f.size()));
  };
  for (long long a = 0; a < k; ++a) {
    const auto d = static_cast<std::uint32_t>(a % n);
    MacAddr mac = router;
    mac.b = {0x02,
             0x10,
             static_cast<std::uint8_t>(d >> 24),
             static_cast<std::uint8_t>(d >> 16),
             static_cast<std::uint8_t>(d >> 8),
             static_cast<std::uint8_t>(d)};
    const IpAddr ip = IpAddr::v4(0x0a000000u | (d & 0x00ffffffu));
    const IpAddr remote = IpAddr::v4(0xc6336400u | (d & 0xff));  // 198.51.100.x
    const IpAddr pinged = IpAddr::v4(0xcb007101u);               // 203.0.113.1
    const auto sport = static_cast<std::uint16_t>(10000 + a % 50000);
    // DNS query and answer header only (no question): enough to form a DNS flow.
    std::string q = "\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    put(decode::PacketBuilder()
            .ethernet(mac, router)
            .ipv4(ip, resolver, decode::kProtoUdp)
            .udp(sport, 53)
            .payload(std::string_view(q.data(), q.size()))
            .build());
    q[2] = '\x81';
    put(decode::PacketBuilder()
            .ethernet(router, mac)
            .ipv4(resolver, ip, decode::kProtoUdp)
            .udp(53, sport)
            .payload(std::string_view(q.data(), q.size()))
            .build());
    put(decode::PacketBuilder()
            .ethernet(mac, router)
            .ipv4(ip, remote, decode::kProtoTcp)
            .tcp(sport, 443, decode::kTcpSyn, 1)
            .build());
    put(decode::PacketBuilder()
            .ethernet(router, mac)
            .ipv4(remote, ip, decode::kProtoTcp)
            .tcp(443, sport, decode::kTcpSyn | decode::kTcpAck, 100, 2)
            .build());
    put(decode::PacketBuilder()
            .ethernet(mac, router)
            .ipv4(ip, remote, decode::kProtoTcp)
            .tcp(sport, 443, decode::kTcpFin | decode::kTcpAck, 2, 101)
            .build());
    put(decode::PacketBuilder()
            .ethernet(router, mac)
            .ipv4(remote, ip, decode::kProtoTcp)
            .tcp(443, sport, decode::kTcpFin | decode::kTcpAck, 101, 3)
            .build());
    put(decode::PacketBuilder()
            .ethernet(mac, router)
            .ipv4(ip, pinged, decode::kProtoIcmp)
            .icmp_echo(true, static_cast<std::uint16_t>(d), 1)
            .build());
    put(decode::PacketBuilder()
            .ethernet(router, mac)
            .ipv4(pinged, ip, decode::kProtoIcmp)
            .icmp_echo(false, static_cast<std::uint16_t>(d), 1)
            .build());
  }
  auto r = w->close();
  if (!r) {
    std::fprintf(stderr, "gen_devices: %s\n", r.error().c_str());
    return 1;
  }
  return 0;
}
