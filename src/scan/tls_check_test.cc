// check_tls against real `openssl s_server` daemons on loopback: a weak one shaped like the
// bench's tls1 (TLS 1.0 only, RSA-1024, SHA-1 self-signed, DH-1024, static RSA suite) and a
// modern one (TLS 1.2 + 1.3, ECDSA P-256, SHA-256). Skipped when the openssl CLI is missing.
// WARDEN_TLS_BENCH=ADDR:PORT also times check_tls against a live server (the bench's tls1).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "scan/checks.h"
#include "scan/conn.h"
#include "scan/tls.h"

namespace warden::scan {
namespace {

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(fd);
  return ntohs(sin.sin_port);
}

IpAddr loopback() { return IpAddr::v4(0x7f000001); }

// One s_server process for a test's life: started on a free port, ready once a TCP connect
// succeeds, killed and reaped at teardown.
class Server {
 public:
  Server(const std::string& dir, std::vector<std::string> args) {
    port_ = free_port();
    args.insert(args.begin(),
                {"openssl", "s_server", "-quiet", "-www", "-accept", std::to_string(port_)});
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(127);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (TcpConn::connect(loopback(), port_, Millis(200))) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
};

class TlsDaemon : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_openssl()) return;
    char tmpl[] = "/tmp/warden-tls-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    std::string cmd =
        "cd " + dir_ +
        " && openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -days 3650"
        " -subj /CN=IPC -sha1"
        " && openssl dhparam -dsaparam -out dh1024.pem 1024"
        " && openssl ecparam -name prime256v1 -genkey -noout -out ec.key"
        " && openssl req -x509 -key ec.key -out ec.pem -days 3650 -subj /CN=modern.local -sha256"
        "    -addext subjectAltName=DNS:modern.local";
    made_ = std::system(("( " + cmd + " ) >/dev/null 2>&1").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  void SetUp() override {
    if (!have_openssl() || !made_) GTEST_SKIP() << "openssl CLI missing or key generation failed";
  }
  static ScanOptions options() {
    ScanOptions o;
    o.connect_timeout = Millis(1000);
    o.io_timeout = Millis(3000);
    return o;
  }
  static inline std::string dir_;
  static inline bool made_ = false;
};

TEST_F(TlsDaemon, WeakServerLikeTheBenchTls1) {
  Server s(dir_, {"-cert", "weak.pem", "-key", "weak.key", "-dhparam", "dh1024.pem", "-tls1",
                  "-cipher", "AES128-SHA:DHE-RSA-AES128-SHA:@SECLEVEL=0"});
  ASSERT_TRUE(s.ready());
  HostReport h;
  h.addr = loopback();
  h.services.push_back(Service{s.port(), Transport::tcp, "https"});
  check_tls(h, options());
  for (const char* id :
       {"tls.old_version", "tls.no_modern_version", "tls.weak_key", "tls.weak_signature",
        "tls.weak_dh", "tls.weak_cipher", "tls.self_signed"}) {
    EXPECT_TRUE(h.has(id)) << id;
  }
  EXPECT_FALSE(h.has("tls.expired"));
  for (const auto& f : h.findings) {
    EXPECT_EQ(f.port, s.port());
    if (f.kind->id == "tls.weak_cipher") {
      EXPECT_NE(f.evidence.find("TLS_RSA_WITH_AES_128_CBC_SHA"), std::string::npos) << f.evidence;
    }
    if (f.kind->id == "tls.weak_dh") {
      EXPECT_NE(f.evidence.find("1024"), std::string::npos);
    }
    if (f.kind->id == "tls.old_version") {
      EXPECT_NE(f.evidence.find("TLS_DHE_RSA_WITH_AES_128_CBC_SHA"), std::string::npos);
    }
  }
  ASSERT_EQ(h.keys.size(), 1u);
  EXPECT_EQ(h.keys[0].description, "RSA 1024");
  EXPECT_EQ(h.keys[0].sha256.size(), 64u);
  EXPECT_TRUE(h.services[0].tls);

  // The probe itself: TLS 1.0 only, both suites, sequential handshakes that all completed
  // against a server serving one connection at a time.
  TlsProbe p = probe_tls(loopback(), s.port(), options(), true);
  ASSERT_EQ(p.accepted.size(), 1u);
  EXPECT_EQ(p.accepted[0].version, TlsVersion::tls1_0);
  EXPECT_EQ(p.accepted[0].suites.size(), 2u);
  EXPECT_EQ(p.min_dh_bits, 1024);
  EXPECT_EQ(p.tested.front(), TlsVersion::ssl3);  // by the legacy hello

  // The legacy hello against a real stack: a suite it accepts is seen, SSLv3 is not.
  std::vector<std::uint16_t> aes128{0x002F};
  EXPECT_EQ(legacy_hello(loopback(), s.port(), options(), 0x0301, aes128), 0x002F);
  EXPECT_FALSE(legacy_hello(loopback(), s.port(), options(), 0x0300, aes128));
  std::vector<std::uint16_t> rc4{0x0004, 0x0005};
  EXPECT_FALSE(legacy_hello(loopback(), s.port(), options(), 0x0301, rc4));
  // ...and the server still serves proper clients after the abandoned handshakes.
  EXPECT_FALSE(probe_tls(loopback(), s.port(), options(), true).accepted.empty());
}

TEST_F(TlsDaemon, ModernServerHasNothingAboveLow) {
  Server s(dir_, {"-cert", "ec.pem", "-key", "ec.key", "-no_ssl3", "-no_tls1", "-no_tls1_1"});
  ASSERT_TRUE(s.ready());
  HostReport h;
  h.addr = loopback();
  h.services.push_back(Service{s.port(), Transport::tcp, "https"});
  check_tls(h, options());
  for (const auto& f : h.findings) {
    EXPECT_LE(f.severity, Severity::low) << f.kind->id << ": " << f.evidence;
  }
  EXPECT_TRUE(h.has("tls.self_signed"));
  ASSERT_EQ(h.keys.size(), 1u);
  EXPECT_EQ(h.keys[0].description, "EC 256 prime256v1");
  TlsProbe p = probe_tls(loopback(), s.port(), options(), true);
  ASSERT_EQ(p.accepted.size(), 2u);
  EXPECT_EQ(p.accepted[0].version, TlsVersion::tls1_2);
  EXPECT_EQ(p.accepted[1].version, TlsVersion::tls1_3);
  EXPECT_GE(p.accepted[1].suites.size(), 3u);  // AES-128/256-GCM, ChaCha20 at least
}

TEST(TlsCheck, SilentListenerCostsOneTimeoutAndIsNotTls) {
  // Accepts TCP (the kernel completes the handshake from the backlog) and never says a word.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  std::uint16_t port = ntohs(sin.sin_port);
  ScanOptions o;
  o.io_timeout = Millis(300);
  HostReport h;
  h.addr = loopback();
  // "unknown" on a TLS port is tried; this one is not on the list, so it is left alone...
  h.services.push_back(Service{port, Transport::tcp, "unknown"});
  auto start = std::chrono::steady_clock::now();
  check_tls(h, o);
  EXPECT_LT(ms_since(start), 50.0);
  // ...and probed directly it costs one handshake timeout, then is judged not TLS.
  start = std::chrono::steady_clock::now();
  TlsProbe p = probe_tls(loopback(), port, o, false);
  double ms = ms_since(start);
  EXPECT_TRUE(p.accepted.empty());
  EXPECT_EQ(p.handshakes, 1u);
  EXPECT_GE(ms, 250.0);
  EXPECT_LT(ms, 2000.0);
  EXPECT_TRUE(h.findings.empty());
  EXPECT_FALSE(h.services[0].tls);
  ::close(fd);
}

TEST(TlsCheck, ClosedPortIsNotAccepted) {
  TlsProbe p = probe_tls(loopback(), free_port(), ScanOptions{}, true);
  EXPECT_TRUE(p.accepted.empty());
}

// Not a test of the code but a measurement, on demand:
//   ip netns exec scan build/dev/src/scan/scan_test --gtest_filter='*LiveServer*'
//   with WARDEN_TLS_BENCH=192.168.77.16:443
TEST(TlsCheck, LiveServer) {
  const char* target = std::getenv("WARDEN_TLS_BENCH");
  if (target == nullptr) GTEST_SKIP() << "set WARDEN_TLS_BENCH=ADDR:PORT";
  std::string t = target;
  auto colon = t.rfind(':');
  ASSERT_NE(colon, std::string::npos);
  auto addr = IpAddr::parse(t.substr(0, colon));
  ASSERT_TRUE(addr);
  HostReport h;
  h.addr = *addr;
  auto port = static_cast<std::uint16_t>(std::stoi(t.substr(colon + 1)));
  h.services.push_back(Service{port, Transport::tcp, "unknown"});
  auto start = std::chrono::steady_clock::now();
  check_tls(h, ScanOptions{});
  double ms = ms_since(start);
  TlsProbe p = probe_tls(*addr, port, ScanOptions{}, true);
  std::printf("check_tls %s: %.1f ms (a second probe: %u handshakes, %.1f ms)\n", target, ms,
              p.handshakes, p.elapsed_ms);
  std::printf("service: %s tls=%d; suites: %s\n", h.services[0].name.c_str(), h.services[0].tls,
              describe_suites(p).c_str());
  for (const auto& f : h.findings) {
    std::printf("  [%s] %s: %s\n", severity_name(f.severity), std::string(f.kind->id).c_str(),
                f.evidence.c_str());
  }
  for (const auto& k : h.keys) {
    std::printf("  key %s port %u %s %s\n", k.kind.c_str(), k.port, k.description.c_str(),
                k.sha256.c_str());
  }
}

}  // namespace
}  // namespace warden::scan
