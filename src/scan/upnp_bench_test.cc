// The UPnP, DNS and SNMP checks against the live IoT bench (tests/bench/iot): runs only with
// WARDEN_SCAN_BENCH=1, from the `scan` namespace (LAN view of 192.168.77.1) or the `inet`
// namespace (WAN view of 10.99.0.1); each test skips unless the route to its target leaves from
// the right side:
//   sudo ip netns exec scan env WARDEN_SCAN_BENCH=1 build/dev/src/scan/scan_test
//   --gtest_filter='Bench*' sudo ip netns exec inet env WARDEN_SCAN_BENCH=1
//   build/dev/src/scan/scan_test --gtest_filter='Bench*'
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scan/checks.h"
#include "scan/conn.h"

namespace warden::scan {
namespace {

// Our source address toward `dst` (a connected UDP socket sends nothing).
std::string source_toward(const char* dst) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(9);
  ::inet_pton(AF_INET, dst, &sin.sin_addr);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0) {
    socklen_t len = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    char buf[INET_ADDRSTRLEN];
    out = ::inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
  }
  ::close(fd);
  return out;
}

bool bench_enabled() {
  const char* e = std::getenv("WARDEN_SCAN_BENCH");
  return e != nullptr && std::string(e) == "1";
}

HostReport router(const char* addr) {
  HostReport h;
  h.addr = *IpAddr::parse(addr);
  h.up = true;
  h.services.push_back(Service{1900, Transport::udp, "ssdp"});
  h.services.push_back(Service{5000, Transport::tcp, "http"});
  h.services.push_back(Service{53, Transport::udp, "domain"});
  return h;
}

template <class F>
double timed(const char* name, F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  double ms = ms_since(t0);
  std::printf("  %s: %.0f ms\n", name, ms);
  return ms;
}

void print(const HostReport& h) {
  for (const auto& f : h.findings) {
    std::printf("  [%s] %s port %u: %s\n", severity_name(f.severity),
                std::string(f.kind->id).c_str(), f.port, f.evidence.c_str());
  }
  for (const auto& c : h.changes) std::printf("  change: %s\n", c.c_str());
  for (const auto& s : h.services) {
    std::printf("  service %u/%s %s %s %s\n", s.port, transport_name(s.transport), s.name.c_str(),
                s.product.c_str(), s.version.c_str());
  }
}

int count(const HostReport& h, std::string_view id) {
  int n = 0;
  for (const auto& f : h.findings) n += f.kind->id == id;
  return n;
}

TEST(Bench, LanViewOfRouter) {
  if (!bench_enabled()) GTEST_SKIP() << "set WARDEN_SCAN_BENCH=1";
  if (source_toward("192.168.77.1").rfind("192.168.77.", 0) != 0) GTEST_SKIP() << "not on the LAN";
  HostReport h = router("192.168.77.1");
  ScanOptions o;
  timed("check_upnp", [&] { check_upnp(h, o); });
  timed("check_dns", [&] { check_dns(h, o); });
  timed("check_snmp", [&] { check_snmp(h, o); });
  print(h);
  EXPECT_EQ(count(h, "upnp.nat_injection"), 1);
  EXPECT_EQ(count(h, "upnp.ioc_description"), 1);
  EXPECT_EQ(count(h, "upnp.risky_mapping"), 1);
  EXPECT_EQ(count(h, "upnp.secure_mode_off"), 1);
  EXPECT_EQ(count(h, "upnp.zero_uuid"), 1);
  EXPECT_EQ(count(h, "upnp.igd_present"), 1);
  EXPECT_EQ(count(h, "dns.version_disclosure"), 1);
  EXPECT_FALSE(h.has("upnp.wan_exposed"));
  EXPECT_FALSE(h.has("dns.wan_open"));
  ASSERT_EQ(h.changes.size(), 1u);
  EXPECT_NE(h.changes[0].find("verified gone"), std::string::npos);

  // Afterwards the IGD lists exactly the two injected mappings again.
  HostReport again = router("192.168.77.1");
  o.upnp_probe_mapping = false;
  check_upnp(again, o);
  EXPECT_EQ(count(again, "upnp.nat_injection") + count(again, "upnp.ioc_description"), 2);
  for (const auto& f : again.findings) {
    if (f.kind->id == "upnp.igd_present") {
      EXPECT_NE(f.evidence.find(" 2 port mapping(s)"), std::string::npos) << f.evidence;
    }
  }
}

TEST(Bench, WanViewOfRouter) {
  if (!bench_enabled()) GTEST_SKIP() << "set WARDEN_SCAN_BENCH=1";
  if (source_toward("10.99.0.1").rfind("10.99.0.", 0) != 0) GTEST_SKIP() << "not on the WAN";
  HostReport h = router("10.99.0.1");
  ScanOptions o;
  o.wan_view = true;
  timed("check_upnp", [&] { check_upnp(h, o); });
  timed("check_dns", [&] { check_dns(h, o); });
  print(h);
  EXPECT_EQ(count(h, "upnp.wan_exposed"), 1);
  EXPECT_EQ(count(h, "upnp.nat_injection"), 1);
  EXPECT_EQ(count(h, "upnp.ioc_description"), 1);
  EXPECT_EQ(count(h, "upnp.risky_mapping"), 1);
  EXPECT_EQ(count(h, "dns.wan_open"), 1);
  EXPECT_EQ(count(h, "dns.version_disclosure"), 1);
  EXPECT_FALSE(h.has("upnp.secure_mode_off"));
  EXPECT_TRUE(h.changes.empty());
}

}  // namespace
}  // namespace warden::scan
