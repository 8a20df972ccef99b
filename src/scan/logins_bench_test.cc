// The login checks against the live IoT bench (tests/bench/iot): skipped unless
// WARDEN_SCAN_BENCH=1, and it must run inside the scanner's namespace:
//   WARDEN_SCAN_BENCH=1 ip netns exec scan ./build/dev/src/scan/scan_test
//   --gtest_filter='LoginsBench*'
// The services are written by hand here (the port scan is another check's job); the figures
// (time per host, guesses) are printed for the record.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "scan/checks.h"

namespace warden::scan {
namespace {

bool bench() {
  const char* v = std::getenv("WARDEN_SCAN_BENCH");
  return v != nullptr && std::string(v) == "1";
}

ScanOptions guess_options() {
  ScanOptions o;
  o.guess_credentials = true;
  std::string dir = std::string(WARDEN_SOURCE_DIR) + "/data";
  // WARDEN_SCAN_BENCH_LIST=mirai measures with the Mirai list alone.
  const char* list = std::getenv("WARDEN_SCAN_BENCH_LIST");
  if (list != nullptr && std::string(list) == "mirai") {
    auto m = load_credentials(dir + "/credentials/mirai.tsv", "mirai");
    EXPECT_TRUE(m.has_value());
    if (m) o.credentials = *m;
  } else {
    auto creds = default_credential_list(dir);
    EXPECT_TRUE(creds.has_value()) << (creds ? "" : creds.error());
    if (creds) o.credentials = *creds;
  }
  return o;
}

HostReport run(const char* ip, std::vector<Service> services, const ScanOptions& o) {
  HostReport h;
  h.addr = *IpAddr::parse(ip);
  h.up = true;
  h.services = std::move(services);
  auto start = std::chrono::steady_clock::now();
  check_logins(h, o);
  h.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("== %s: %.1f s\n", ip, h.elapsed_s);
  for (const auto& f : h.findings) {
    std::printf("  [%s] %s port %u: %s\n", severity_name(f.severity),
                std::string(f.kind->id).c_str(), f.port, f.evidence.c_str());
  }
  for (const auto& g : h.guesses) {
    std::printf(
        "  guesses %s/%u: %u attempts, first %.0f median %.0f last %.0f ms, lockout %d "
        "slowed %d, stopped \"%s\", valid %s:%s, proof \"%s\", source \"%s\"\n",
        g.service.c_str(), g.port, g.attempts, g.first_guess_ms, g.median_guess_ms, g.last_guess_ms,
        g.lockout, g.slowed, g.stopped.c_str(), g.valid_user.value_or("-").c_str(),
        g.valid_pass.value_or("-").c_str(), g.proof.c_str(), g.credential_source.c_str());
  }
  for (const auto& k : h.keys) {
    std::printf("  key %s/%u %s %s\n", k.kind.c_str(), k.port, k.description.c_str(),
                k.sha256.c_str());
  }
  return h;
}

// A host:port override from the environment (e.g. WARDEN_SCAN_BENCH_DVR2=127.0.0.1:2323 for a
// private copy of a bench daemon), else the bench's address and port.
std::pair<std::string, std::uint16_t> target(const char* env, const char* ip, std::uint16_t port) {
  const char* v = std::getenv(env);
  if (v == nullptr) return {ip, port};
  std::string s(v);
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return {s, port};
  return {s.substr(0, colon), static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)))};
}

Service svc(std::uint16_t port, const char* name) {
  Service s;
  s.port = port;
  s.name = name;
  return s;
}

Severity worst(const HostReport& h) {
  Severity w = Severity::info;
  for (const auto& f : h.findings) w = std::max(w, f.severity);
  return w;
}

#define BENCH_ONLY() \
  if (!bench()) GTEST_SKIP() << "set WARDEN_SCAN_BENCH=1 and run in the scan namespace"

TEST(LoginsBench, Dvr1TelnetRootShell) {
  BENCH_ONLY();
  auto h = run("192.168.77.13", {svc(23, "telnet")}, guess_options());
  EXPECT_TRUE(h.has("telnet.open"));
  EXPECT_TRUE(h.has("service.cleartext_login"));
  EXPECT_TRUE(h.has("cred.default"));
  EXPECT_TRUE(h.has("cred.root_shell"));
  ASSERT_EQ(h.guesses.size(), 1u);
  EXPECT_EQ(h.guesses[0].valid_user.value_or(""), "root");
  EXPECT_EQ(h.guesses[0].valid_pass.value_or(""), "xc3511");
}

TEST(LoginsBench, Dvr2TelnetPamDelay) {
  BENCH_ONLY();
  auto [ip, port] = target("WARDEN_SCAN_BENCH_DVR2", "192.168.77.14", 23);
  auto h = run(ip.c_str(), {svc(port, "telnet")}, guess_options());
  EXPECT_TRUE(h.has("cred.default"));
  EXPECT_FALSE(h.has("cred.root_shell"));
  ASSERT_EQ(h.guesses.size(), 1u);
  EXPECT_EQ(h.guesses[0].valid_user.value_or(""), "support");
}

TEST(LoginsBench, Cam1Ssh) {
  BENCH_ONLY();
  auto [ip, port] = target("WARDEN_SCAN_BENCH_CAM1", "192.168.77.12", 22);
  auto h = run(ip.c_str(), {svc(port, "ssh")}, guess_options());
  EXPECT_TRUE(h.has("cred.default"));
  ASSERT_EQ(h.keys.size(), 1u);
  EXPECT_EQ(h.keys[0].kind, "ssh-hostkey");
  EXPECT_EQ(h.keys[0].sha256.size(), 64u);
}

TEST(LoginsBench, Web1HttpBasic) {
  BENCH_ONLY();
  auto h = run("192.168.77.11", {svc(80, "http")}, guess_options());
  EXPECT_TRUE(h.has("http.cleartext_admin"));
  EXPECT_TRUE(h.has("service.cleartext_login"));
  EXPECT_TRUE(h.has("cred.default"));
  EXPECT_TRUE(h.services[0].auth_required);
}

TEST(LoginsBench, Hub1MqttAnonymous) {
  BENCH_ONLY();
  auto h = run("192.168.77.15", {svc(1883, "mqtt")}, ScanOptions{});
  EXPECT_TRUE(h.has("mqtt.anonymous"));
  EXPECT_TRUE(h.has("mqtt.wildcard"));
  bool topic = false;
  for (const auto& f : h.findings) {
    if (f.kind->id == "mqtt.wildcard")
      topic = f.evidence.find("home/frontdoor/lock") != std::string::npos;
  }
  EXPECT_TRUE(topic);
}

TEST(LoginsBench, Good1NothingAboveInfo) {
  BENCH_ONLY();
  auto h = run("192.168.77.17", {svc(1883, "mqtt")}, guess_options());
  EXPECT_EQ(worst(h), Severity::info);
  EXPECT_TRUE(h.has("mqtt.cleartext"));
  EXPECT_TRUE(h.services[0].auth_required);
}

TEST(LoginsBench, NoGuessing) {
  BENCH_ONLY();
  ScanOptions o;
  auto d = run("192.168.77.13", {svc(23, "telnet")}, o);
  EXPECT_TRUE(d.has("telnet.open"));
  EXPECT_FALSE(d.has("cred.default"));
  auto c = run("192.168.77.12", {svc(22, "ssh")}, o);
  EXPECT_EQ(c.keys.size(), 1u);
  EXPECT_TRUE(c.findings.empty());
  auto w = run("192.168.77.11", {svc(80, "http")}, o);
  EXPECT_TRUE(w.has("http.cleartext_admin"));
}

}  // namespace
}  // namespace warden::scan
