#include "capture/live_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace warden::capture {
namespace {

TEST(LiveSource, SeesAUdpDatagramOnLoopback) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  std::random_device rd;
  const int port = 40000 + static_cast<int>(rd() % 20000);
  LiveOptions opts;
  opts.interface = "lo";
  opts.timeout_ms = 50;
  opts.buffer_mb = 2;
  opts.bpf_filter = "udp and port " + std::to_string(port);
  auto src = LiveSource::open(opts);
  if (!src.has_value() && src.error().find("permission denied") != std::string::npos) {
    GTEST_SKIP() << src.error();  // root without CAP_NET_RAW, e.g. an unprivileged container
  }
  ASSERT_TRUE(src.has_value()) << src.error();
  LiveSource& live = **src;
  EXPECT_EQ(live.link_type(), kLinkEthernet);  // Linux loopback has a zeroed Ethernet header

  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string_view marker = "warden-capture-live-test";
  const auto sent_at = std::chrono::system_clock::now();
  ASSERT_EQ(
      ::sendto(fd, marker.data(), marker.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(marker.size()));
  ::close(fd);

  bool seen = false;
  Timestamp seen_ts = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    auto n = live.dispatch([&](const Frame& f) {
      EXPECT_EQ(f.link_type, kLinkEthernet);
      EXPECT_GE(f.wire_length, f.data.size());
      if (as_string_view(f.data).find(marker) != std::string_view::npos) {
        seen = true;
        seen_ts = f.ts;
      }
    });
    ASSERT_TRUE(n.has_value()) << n.error();
  }
  ASSERT_TRUE(seen);
  const Timestamp sent_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(sent_at.time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(seen_ts), static_cast<double>(sent_ns), 5e9);
  EXPECT_GE(live.stats().received, 1u);

  // break_loop makes the next dispatch return at once, even with nothing to read.
  live.break_loop();
  const auto t0 = std::chrono::steady_clock::now();
  auto n = live.dispatch([](const Frame&) {});
  ASSERT_TRUE(n.has_value()) << n.error();
  EXPECT_EQ(*n, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(LiveSource, MissingInterfaceHasAReadableError) {
  LiveOptions opts;
  opts.interface = "warden-nope0";
  auto src = LiveSource::open(opts);
  ASSERT_FALSE(src.has_value());
  const std::string& e = src.error();
  EXPECT_EQ(e.rfind("warden-nope0: ", 0), 0u) << e;
  EXPECT_TRUE(e.find("no such device") != std::string::npos ||
              e.find("permission denied") != std::string::npos)
      << e;
}

TEST(LiveSource, RejectsBadOptionsAndFilters) {
  LiveOptions opts;
  EXPECT_FALSE(LiveSource::open(opts).has_value());  // no interface
  opts.interface = "lo";
  opts.snaplen = 0;
  EXPECT_FALSE(LiveSource::open(opts).has_value());
  if (::geteuid() != 0) GTEST_SKIP() << "filter compilation needs an activated handle (root)";
  opts.snaplen = 65535;
  opts.bpf_filter = "udp and port banana";
  auto src = LiveSource::open(opts);
  ASSERT_FALSE(src.has_value());
  if (src.error().find("permission denied") != std::string::npos) GTEST_SKIP() << src.error();
  EXPECT_NE(src.error().find("invalid BPF filter 'udp and port banana'"), std::string::npos)
      << src.error();
}

}  // namespace
}  // namespace warden::capture
