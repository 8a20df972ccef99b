// gen_flood: writes a pcap of N one-packet TCP SYN flows from random sources, the shape of a
// spoofed SYN flood or a mass scan, to check that memory stays bounded however many flows
// arrive. Sources come from the documentation ranges (RFC 5737), ports at random.
// Usage: gen_flood OUT.pcap PACKETS [SEED]
#include <cstdio>
#include <cstdlib>
#include <random>

#include "capture/pcap_writer.h"
#include "decode/decode.h"
#include "decode/packet_builder.h"

int main(int argc, char** argv) {
  using namespace warden;
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_flood OUT.pcap PACKETS [SEED]\n");
    return 2;
  }
  const long long n = std::atoll(argv[2]);
  std::mt19937_64 rng(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
  auto w = capture::PcapWriter::open(argv[1], kLinkEthernet);
  if (!w) {
    std::fprintf(stderr, "gen_flood: %s\n", w.error().c_str());
    return 1;
  }
  const std::uint32_t nets[] = {0xc0000200u, 0xc6336400u,
                                0xcb007100u};  // 192.0.2/24, 198.51.100/24, 203.0.113/24
  const MacAddr router = *MacAddr::parse("02:00:00:00:00:01");
  const MacAddr victim = *MacAddr::parse("02:00:00:00:00:02");
  const IpAddr dst = *IpAddr::parse("192.168.1.10");
  auto frame = decode::PacketBuilder()
                   .ethernet(router, victim)
                   .ipv4(IpAddr::v4(nets[0]), dst, decode::kProtoTcp)
                   .tcp(1, 23, decode::kTcpSyn)
                   .build();
  Timestamp ts = 1'700'000'000LL * kNsPerSec;
  for (long long i = 0; i < n; ++i) {
    const std::uint64_t r = rng();
    const std::uint32_t src = nets[r % 3] | static_cast<std::uint32_t>((r >> 8) & 0xff);
    // Rewrite the source address and port in place: the frame layout is fixed.
    frame[26] = std::byte(src >> 24);
    frame[27] = std::byte(src >> 16);
    frame[28] = std::byte(src >> 8);
    frame[29] = std::byte(src);
    frame[34] = std::byte(r >> 24);
    frame[35] = std::byte(r >> 16);
    ts += 2000;  // 500,000 packets per second
    w->write(ts, frame, static_cast<std::uint32_t>(frame.size()));
  }
  auto r = w->close();
  if (!r) {
    std::fprintf(stderr, "gen_flood: %s\n", r.error().c_str());
    return 1;
  }
  return 0;
}
