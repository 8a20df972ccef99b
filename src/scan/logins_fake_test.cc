// check_logins against scripted servers on the loopback: FTP, RTSP (Digest), an HTTP login
// form and MQTT, the protocols the IoT bench has no daemon for (or no variant of). Each fake
// server answers one connection at a time from its own thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "mqtt/wire.h"
#include "scan/checks.h"
#include "scan/http_auth.h"

namespace warden::scan {
namespace {

// A connected socket with line and byte helpers for the scripted side.
struct Peer {
  int fd;
  std::string buf;
  bool write(std::string_view s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) >= 0; }
  // Reads until `delim` appears; returns everything up to and including it ("" on close).
  std::string read_until(std::string_view delim) {
    for (;;) {
      auto at = buf.find(delim);
      if (at != std::string::npos) {
        std::string out = buf.substr(0, at + delim.size());
        buf.erase(0, at + delim.size());
        return out;
      }
      char tmp[4096];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return "";
      buf.append(tmp, static_cast<std::size_t>(n));
    }
  }
  std::string read_n(std::size_t n) {
    while (buf.size() < n) {
      char tmp[4096];
      ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
      if (r <= 0) return "";
      buf.append(tmp, static_cast<std::size_t>(r));
    }
    std::string out = buf.substr(0, n);
    buf.erase(0, n);
    return out;
  }
  // Reads an HTTP/RTSP request head plus its Content-Length body.
  std::string read_request() {
    std::string head = read_until("\r\n\r\n");
    if (head.empty()) return "";
    auto cl = head.find("Content-Length: ");
    if (cl != std::string::npos) head += read_n(std::stoul(head.substr(cl + 16)));
    return head;
  }
};

class FakeServer {
 public:
  explicit FakeServer(std::function<void(Peer&)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        ++connections_;
        Peer p{c, {}};
        handler_(p);
        ::close(c);
      }
    });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  std::function<void(Peer&)> handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

HostReport host_with(std::uint16_t port, const char* name) {
  HostReport h;
  h.addr = *IpAddr::parse("127.0.0.1");
  Service s;
  s.port = port;
  s.name = name;
  h.services.push_back(s);
  return h;
}

ScanOptions guessing(std::vector<Credential> creds) {
  ScanOptions o;
  o.guess_credentials = true;
  o.credentials = std::move(creds);
  o.guess_interval = std::chrono::milliseconds(1);
  o.io_timeout = std::chrono::milliseconds(2000);
  return o;
}

const std::vector<Credential> kCreds{{"root", "root", "mirai"},
                                     {"admin", "x", "mirai"},
                                     {"admin", "1", "mirai"},
                                     {"user", "user", "mirai"},
                                     {"guest", "guest", "mirai"},
                                     {"support", "support", "mirai"},
                                     {"admin", "12345", "vendor:Hikvision"}};

const GuessStats* stats(const HostReport& h) { return h.guesses.empty() ? nullptr : &h.guesses[0]; }

TEST(LoginsFake, FtpAnonymous) {
  FakeServer srv([](Peer& p) {
    p.write("220 cam FTP\r\n");
    if (p.read_until("\r\n") != "USER anonymous\r\n") return;
    p.write("331 Please specify the password.\r\n");
    p.read_until("\r\n");
    p.write("230-Welcome\r\n230 Login successful.\r\n");
    p.read_until("\r\n");
  });
  auto h = host_with(srv.port(), "ftp");
  check_logins(h, ScanOptions{});
  EXPECT_TRUE(h.has("ftp.anonymous"));
  EXPECT_FALSE(h.has("service.cleartext_login"));
}

TEST(LoginsFake, FtpGuessReusesConnection) {
  FakeServer srv([](Peer& p) {
    p.write("220 cam FTP\r\n");
    for (;;) {
      std::string user = p.read_until("\r\n");
      if (user.empty()) return;
      p.write("331 Password required\r\n");
      std::string pass = p.read_until("\r\n");
      if (user == "USER admin\r\n" && pass == "PASS 12345\r\n") {
        p.write("230 Logged in\r\n");
        p.read_until("\r\n");
        return;
      }
      p.write("530 Login incorrect.\r\n");
    }
  });
  auto h = host_with(srv.port(), "ftp");
  check_logins(h, guessing(kCreds));
  EXPECT_TRUE(h.has("service.cleartext_login"));
  EXPECT_TRUE(h.has("cred.default"));
  EXPECT_TRUE(h.has("auth.no_rate_limit"));
  ASSERT_NE(stats(h), nullptr);
  EXPECT_EQ(stats(h)->attempts, 7u);
  EXPECT_EQ(stats(h)->valid_pass.value_or(""), "12345");
  EXPECT_EQ(stats(h)->credential_source, "vendor:Hikvision");
  EXPECT_LE(srv.connections(), 3);  // the anonymous probe, then one for all guesses
}

TEST(LoginsFake, RtspNoAuth) {
  FakeServer srv([](Peer& p) {
    for (;;) {
      std::string req = p.read_request();
      if (req.empty()) return;
      if (req.starts_with("OPTIONS")) {
        p.write("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n");
      } else {
        std::string sdp = "v=0\r\nm=video 0 RTP/AVP 96\r\n";
        p.write("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: " +
                std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
      }
      return;  // one request per connection, as the check sends
    }
  });
  auto h = host_with(srv.port(), "rtsp");
  check_logins(h, ScanOptions{});
  EXPECT_TRUE(h.has("rtsp.no_auth"));
}

TEST(LoginsFake, RtspDigestGuess) {
  const std::string nonce = "n0nce";
  FakeServer srv([&](Peer& p) {
    std::string req = p.read_request();
    if (req.starts_with("OPTIONS")) {
      p.write("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n");
      return;
    }
    auto at = req.find("Authorization: ");
    if (at != std::string::npos) {
      std::string got = req.substr(at + 15, req.find("\r\n", at) - at - 15);
      auto uri_at = req.find(' ');
      std::string uri = req.substr(uri_at + 1, req.find(' ', uri_at + 1) - uri_at - 1);
      AuthChallenge c;
      c.scheme = "digest";
      c.realm = "IPC";
      c.nonce = nonce;
      // Recompute what the right password gives with the client's own cnonce.
      auto cn = got.find("cnonce=\"");
      std::string cnonce =
          cn == std::string::npos ? "" : got.substr(cn + 8, got.find('"', cn + 8) - cn - 8);
      c.qop = "auth";
      auto nc_at = got.find("nc=");
      unsigned nc = nc_at == std::string::npos
                        ? 1
                        : static_cast<unsigned>(std::stoul(got.substr(nc_at + 3, 8), nullptr, 16));
      auto want = digest_authorization(c, "admin", "12345", "DESCRIBE", uri, cnonce, nc);
      auto r = [](const std::string& s) { return s.substr(s.find("response=")); };
      if (want && r(*want).substr(0, 44) == r(got).substr(0, 44)) {
        p.write(
            "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Length: "
            "4\r\n\r\nv=0\n");
        return;
      }
    }
    p.write(
        "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IPC\", nonce=\"" +
        nonce + "\", qop=\"auth\"\r\n\r\n");
  });
  auto h = host_with(srv.port(), "rtsp");
  check_logins(h, guessing(kCreds));
  EXPECT_FALSE(h.has("rtsp.no_auth"));
  EXPECT_TRUE(h.has("cred.default"));
  ASSERT_NE(stats(h), nullptr);
  EXPECT_EQ(stats(h)->service, "rtsp-digest");
  EXPECT_EQ(stats(h)->valid_user.value_or(""), "admin");
  EXPECT_TRUE(h.services[0].auth_required);
}

TEST(LoginsFake, HttpLoginForm) {
  const std::string page =
      "<html><form method=post action=\"/login.cgi\"><input name=user>"
      "<input type=password name=pass></form></html>";
  FakeServer srv([&](Peer& p) {
    std::string req = p.read_request();
    if (req.starts_with("GET")) {
      p.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(page.size()) + "\r\n\r\n" +
              page);
    } else if (req.find("user=admin&pass=12345") != std::string::npos) {
      p.write(
          "HTTP/1.1 302 Found\r\nLocation: /index.html\r\nSet-Cookie: sid=1\r\nContent-Length: "
          "0\r\n\r\n");
    } else {
      p.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(page.size()) + "\r\n\r\n" +
              page);
    }
  });
  auto h = host_with(srv.port(), "http");
  check_logins(h, guessing(kCreds));
  EXPECT_TRUE(h.has("http.cleartext_admin"));
  EXPECT_TRUE(h.has("cred.default"));
  ASSERT_NE(stats(h), nullptr);
  EXPECT_EQ(stats(h)->service, "http-form");
  EXPECT_EQ(stats(h)->valid_pass.value_or(""), "12345");
}

TEST(LoginsFake, MqttAuthBrokerIsInfoOnly) {
  FakeServer srv([](Peer& p) {
    std::string h = p.read_n(2);
    if (h.size() < 2) return;
    std::string body = p.read_n(static_cast<unsigned char>(h[1]));
    bool right = body.find("sensor") != std::string::npos;
    p.write(std::string("\x20\x02\x00", 3) + (right ? std::string(1, '\0') : std::string("\x05")));
    if (right) p.read_n(2);
  });
  auto h = host_with(srv.port(), "mqtt");
  check_logins(h, guessing(kCreds));
  for (const auto& f : h.findings) EXPECT_EQ(f.severity, Severity::info) << f.kind->id;
  EXPECT_TRUE(h.has("mqtt.cleartext"));
  EXPECT_TRUE(h.services[0].auth_required);
  ASSERT_NE(stats(h), nullptr);
  EXPECT_EQ(stats(h)->attempts, kCreds.size());
}

TEST(LoginsFake, TelnetShellWithoutLogin) {
  FakeServer srv([](Peer& p) {
    p.write("\xff\xfb\x01\xff\xfb\x03\r\nBusyBox built-in shell (ash)\r\n/ # ");
    std::string line = p.read_until("\r\n");
    if (line.find("echo WARDEN") != std::string::npos) {
      p.write(line + "WARDENOK42\r\nuid=0(root) gid=0(root)\r\n/ # ");
    }
    p.read_until("\r\n");
  });
  auto h = host_with(srv.port(), "telnet");
  check_logins(h, ScanOptions{});
  EXPECT_TRUE(h.has("telnet.open"));
  EXPECT_TRUE(h.has("telnet.shell_no_auth"));
  EXPECT_TRUE(h.has("cred.root_shell"));
}

TEST(LoginsFake, TelnetEchoIsNoProof) {
  // A fake "shell" that echoes whatever it gets must not pass for a login.
  FakeServer srv([](Peer& p) {
    p.write("login: ");
    for (;;) {
      std::string line = p.read_until("\r\n");
      if (line.empty()) return;
      p.write(line + "# ");
    }
  });
  auto h = host_with(srv.port(), "telnet");
  check_logins(h, guessing({{"root", "x", "mirai"}}));
  EXPECT_FALSE(h.has("cred.default"));
}

}  // namespace
}  // namespace warden::scan
