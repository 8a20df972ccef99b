// The relay end to end, in process: a PKI made in the test, the relay on an ephemeral
// 127.0.0.1 port, an echo server as the upstream, and blocking OpenSSL clients as devices.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/file.h"
#include "core/temp_dir.h"
#include "identity/identity.h"
#include "relay/relay.h"

namespace warden::relay {
namespace {

using namespace identity;
using namespace std::chrono_literals;

// Issues a certificate for `key` signed by `issuer_key` (self-signed when issuer is null).
X509Ptr issue(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, bool ca,
              const std::string& uri = {}, long serial = 1) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "critical,CA:FALSE");
    add(NID_key_usage, "critical,digitalSignature");
    add(NID_ext_key_usage, uri.empty() ? "serverAuth" : "clientAuth");
    if (!uri.empty()) add(NID_subject_alt_name, ("URI:" + uri).c_str());
  }
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

struct Pki {
  PkeyPtr ca_key, other_ca_key, server_key;
  X509Ptr ca, other_ca, server;
  std::string ca_file, server_file, server_key_file;
};

struct Device {
  PkeyPtr key;
  X509Ptr cert;
};

Device make_device(const Pki& pki, const std::string& uri, bool other_ca = false) {
  Device d;
  d.key = generate_key(KeyType::kP256).value();
  static long serial = 100;
  d.cert = issue(d.key.get(), "device", other_ca ? pki.other_ca.get() : pki.ca.get(),
                 other_ca ? pki.other_ca_key.get() : pki.ca_key.get(), false, uri, ++serial);
  return d;
}

// Echoes every byte back, one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    listen(fd_, 64);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    accept_thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard lock(mu_);
        conns_.push_back(c);
        threads_.emplace_back([c] {
          char buf[4096];
          for (;;) {
            ssize_t n = recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            if (send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
          }
          shutdown(c, SHUT_RDWR);
        });
      }
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    accept_thread_.join();
    std::lock_guard lock(mu_);
    for (int c : conns_) shutdown(c, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    for (int c : conns_) close(c);
    close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
};

class Events {
 public:
  void add(std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
    cv_.notify_all();
  }
  // The first line containing every needle, waiting up to `timeout`; empty when none came.
  std::string wait(std::initializer_list<std::string_view> needles,
                   std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    std::string found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& l : lines_) {
        bool all = true;
        for (auto n : needles) all = all && l.find(n) != std::string::npos;
        if (all) {
          found = l;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // How many lines contain every needle.
  std::size_t count(std::initializer_list<std::string_view> needles) {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& l : lines_) {
      bool all = true;
      for (auto nd : needles) all = all && l.find(nd) != std::string::npos;
      n += all;
    }
    return n;
  }
  std::string all() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

// A blocking TLS client standing in for a device.
struct Conn {
  int fd = -1;
  SslPtr ssl;
  bool handshake_ok = false;
  ~Conn() {
    ssl.reset();
    if (fd >= 0) close(fd);
  }
  bool send_all(std::string_view data) {
    return SSL_write(ssl.get(), data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  std::string recv_n(std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      int r = SSL_read(ssl.get(), buf, static_cast<int>(std::min(sizeof buf, n - out.size())));
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  // True when the relay closes the session (read returns EOF or an error within the timeout).
  bool closed_by_peer() {
    char c;
    int r = SSL_read(ssl.get(), &c, 1);
    return r <= 0;
  }
};

SslCtxPtr client_ctx(const Pki& pki, const Device* dev, int max_version = TLS1_3_VERSION) {
  auto ctx = make_tls13_context(false);
  SSL_CTX* x = ctx->get();
  if (max_version != TLS1_3_VERSION) {
    SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(x, max_version);
  }
  X509_STORE_add_cert(SSL_CTX_get_cert_store(x), pki.ca.get());
  SSL_CTX_set_verify(x, SSL_VERIFY_PEER, nullptr);
  if (dev) {
    SSL_CTX_use_certificate(x, dev->cert.get());
    SSL_CTX_use_PrivateKey(x, dev->key.get());
  }
  SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_CLIENT);
  return std::move(*ctx);
}

std::unique_ptr<Conn> dial(std::uint16_t port, SSL_CTX* ctx, SSL_SESSION* session = nullptr) {
  auto c = std::make_unique<Conn>();
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (connect(c->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return c;
  c->ssl.reset(SSL_new(ctx));
  SSL_set_fd(c->ssl.get(), c->fd);
  SSL_set_tlsext_host_name(c->ssl.get(), "relay.test");
  if (session) SSL_set_session(c->ssl.get(), session);
  c->handshake_ok = SSL_connect(c->ssl.get()) == 1;
  ossl_clear_errors();
  return c;
}

// The client's side of the connection as the relay's events name it: "peer":"127.0.0.1:PORT".
std::string peer_field(const Conn& c) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(c.fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return "\"peer\":\"127.0.0.1:" + std::to_string(ntohs(sa.sin_port)) + "\"";
}

// The "worker" of an event line; -1 when it has none.
int worker_in(const std::string& event) {
  const auto at = event.find("\"worker\":");
  return at == std::string::npos ? -1 : std::atoi(event.c_str() + at + 9);
}

class RelayEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.ca_key = generate_key(KeyType::kP256).value();
    pki_.other_ca_key = generate_key(KeyType::kP256).value();
    pki_.server_key = generate_key(KeyType::kP256).value();
    pki_.ca = issue(pki_.ca_key.get(), "issuing CA", nullptr, nullptr, true);
    pki_.other_ca = issue(pki_.other_ca_key.get(), "other CA", nullptr, nullptr, true);
    pki_.server =
        issue(pki_.server_key.get(), "relay.test", pki_.ca.get(), pki_.ca_key.get(), false, {}, 2);
    pki_.ca_file = dir_.path() + "/ca.crt";
    pki_.server_file = dir_.path() + "/relay.crt";
    pki_.server_key_file = dir_.path() + "/relay.key";
    ASSERT_TRUE(write_file_durable(pki_.ca_file, to_pem(pki_.ca.get())));
    ASSERT_TRUE(write_file_durable(pki_.server_file, to_pem(pki_.server.get())));
    ASSERT_TRUE(save_private_key(pki_.server_key_file, pki_.server_key.get()));
    deny_file_ = dir_.path() + "/deny.list";
    ASSERT_TRUE(write_file_durable(deny_file_, "# empty\n"));
  }

  void TearDown() override {
    if (relay_) relay_->stop();
    if (thread_.joinable()) thread_.join();
    if (HasFailure() || std::getenv("WARDEN_RELAY_EVENTS"))
      std::fprintf(stderr, "events:\n%s", events_.all().c_str());
  }

  std::string config_text(std::string_view allow, std::string_view extra) {
    return "[relay]\nlisten = 127.0.0.1:1\ncert = relay.crt\nkey = relay.key\n"
           "client-ca = ca.crt\ndeny-list = deny.list\nhandshake-timeout = 2\n" +
           std::string(extra) +
           "\n[upstream echo]\nconnect = 127.0.0.1:" + std::to_string(echo_.port()) +
           "\n[upstream mq]\nconnect = 127.0.0.1:" + std::to_string(echo_.port()) +
           "\nprotocol = mqtt\n[upstream dead]\nconnect = 127.0.0.1:1\n[allow]\n" +
           std::string(allow);
  }

  // Starts the relay; a reload (request_reload) parses reload_text_ the same way.
  void start(std::string_view allow, std::uint32_t max_per_identity = 4,
             std::string_view extra = {}) {
    std::string more =
        "max-per-identity = " + std::to_string(max_per_identity) + "\n" + std::string(extra);
    auto cfg = parse_config(config_text(allow, more), dir_.path());
    ASSERT_TRUE(cfg) << cfg.error().str();
    cfg->listen = loopback_ephemeral();
    reload_text_ = config_text(allow, more);
    auto loader = [this]() -> Result<RelayConfig, std::string> {
      std::lock_guard lock(reload_mu_);
      auto c = parse_config(reload_text_, dir_.path());
      if (!c) return unexpected(c.error().str());
      c->listen = loopback_ephemeral();
      return std::move(*c);
    };
    auto r = Relay::create(
        std::move(*cfg), [this](std::string_view l) { events_.add(l); }, loader);
    ASSERT_TRUE(r) << r.error();
    relay_ = std::move(*r);
    port_ = relay_->listen_port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { relay_->run(); });
  }

  // Dials (a fresh connection each time) until the relay accepts one on `worker`, echoing a
  // byte through it; connections that land on another worker are dropped. Null after 40 tries.
  std::unique_ptr<Conn> dial_worker(int worker, SSL_CTX* ctx, SSL_SESSION* session = nullptr) {
    for (int i = 0; i < 40; ++i) {
      auto c = dial(port_, ctx, session);
      if (!c->handshake_ok || !c->send_all("w") || c->recv_n(1) != "w") return nullptr;
      const std::string peer = peer_field(*c);
      auto ev = events_.wait({"\"event\":\"accepted\"", peer});
      if (worker_in(ev) == worker) return c;
      c.reset();  // wait for the close, so it no longer counts for max-per-identity
      if (events_.wait({"\"event\":\"closed\"", peer}).empty()) return nullptr;
    }
    return nullptr;
  }

  std::mutex reload_mu_;
  std::string reload_text_;
  TempDir dir_{"warden-relay"};
  Pki pki_;
  std::string deny_file_;
  EchoServer echo_;
  Events events_;
  std::unique_ptr<Relay> relay_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

TEST_F(RelayEngine, ForwardsAnAllowedDeviceBothWays) {
  start("acme:cam-* = echo\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto c = dial(port_, ctx.get());
  ASSERT_TRUE(c->handshake_ok);
  const std::string big(100000, 'x');  // several records, through the backpressure path
  std::thread writer([&] { c->send_all(big); });
  EXPECT_EQ(c->recv_n(big.size()), big);
  writer.join();
  auto ev = events_.wait({"\"event\":\"accepted\"", "\"device\":\"acme:cam-1\"",
                          "\"upstream\":\"echo\"", spki_sha256_hex(dev.cert.get())});
  EXPECT_FALSE(ev.empty());
  c.reset();
  EXPECT_FALSE(events_.wait({"\"event\":\"closed\"", "\"bytes_up\":100000"}).empty());
  auto counters = relay_->counters();
  EXPECT_EQ(counters.accepted, 1u);
}

TEST_F(RelayEngine, DeniesByDefaultAndRefusesStrangers) {
  start("acme:cam-* = echo\n");
  auto other = make_device(pki_, "urn:warden:acme:gateway-1");
  auto ctx = client_ctx(pki_, &other);
  auto c = dial(port_, ctx.get());
  EXPECT_TRUE(!c->handshake_ok || c->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "acme:gateway-1", "no allow rule"}).empty());

  auto foreign = make_device(pki_, "urn:warden:acme:cam-1", /*other_ca=*/true);
  auto fctx = client_ctx(pki_, &foreign);
  auto f = dial(port_, fctx.get());
  EXPECT_TRUE(!f->handshake_ok || f->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "certificate verify failed"}).empty());

  auto nocert_ctx = client_ctx(pki_, nullptr);
  auto n = dial(port_, nocert_ctx.get());
  EXPECT_TRUE(!n->handshake_ok || n->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "certificate"}).empty());

  auto old_ctx = client_ctx(pki_, nullptr, TLS1_2_VERSION);
  auto o = dial(port_, old_ctx.get());
  EXPECT_FALSE(o->handshake_ok);
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "protocol"}).empty());

  auto nourn = make_device(pki_, "https://example.com/");
  auto uctx = client_ctx(pki_, &nourn);
  auto u = dial(port_, uctx.get());
  EXPECT_TRUE(!u->handshake_ok || u->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "identity"}).empty());

  // A silent client is dropped at the handshake timeout.
  int raw = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port_);
  ASSERT_EQ(connect(raw, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_FALSE(events_.wait({"handshake timeout"}, 6s).empty());
  close(raw);
  EXPECT_GE(relay_->counters().refused_timeout, 1u);
}

TEST_F(RelayEngine, RevocationCutsLiveSessionsAndResumedOnes) {
  start("acme:* = echo\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto c = dial(port_, ctx.get());
  ASSERT_TRUE(c->handshake_ok);
  ASSERT_TRUE(c->send_all("ping"));
  ASSERT_EQ(c->recv_n(4), "ping");  // also receives the session ticket
  SslSessionPtr session(SSL_get1_session(c->ssl.get()));
  ASSERT_TRUE(session);

  // Resumption works and still names the device.
  auto r = dial(port_, ctx.get(), session.get());
  ASSERT_TRUE(r->handshake_ok);
  EXPECT_EQ(SSL_session_reused(r->ssl.get()), 1);
  ASSERT_TRUE(r->send_all("pong"));
  EXPECT_EQ(r->recv_n(4), "pong");
  EXPECT_FALSE(events_.wait({"\"event\":\"accepted\"", "\"resumed\":true", "acme:cam-1"}).empty());

  // Revoke the key: both live sessions are cut within about a second.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(write_file_durable(deny_file_, "spki " + spki_sha256_hex(dev.cert.get()) + "\n"));
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_TRUE(r->closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(events_.wait({"\"event\":\"revoked\"", "acme:cam-1", "deny-list: spki"}).empty());
  EXPECT_FALSE(events_.wait({"\"event\":\"reload\"", "deny-list", "\"ok\":true"}).empty());

  // A resumed session of the revoked key is refused too.
  auto again = dial(port_, ctx.get(), session.get());
  EXPECT_TRUE(!again->handshake_ok || again->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "deny-list: spki"}).empty());
  EXPECT_EQ(relay_->counters().revoked, 2u);

  // Revoking the whole CA also refuses a fresh device.
  auto dev2 = make_device(pki_, "urn:warden:acme:cam-2");
  ASSERT_TRUE(write_file_durable(deny_file_,
                                 "ca " + spki_sha256_hex(pki_.ca.get()) + "\ndevice other:x\n"));
  EXPECT_FALSE(events_.wait({"\"event\":\"reload\"", "\"entries\":2"}).empty());
  auto ctx2 = client_ctx(pki_, &dev2);
  auto d2 = dial(port_, ctx2.get());
  EXPECT_TRUE(!d2->handshake_ok || d2->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "acme:cam-2", "deny-list: ca"}).empty());
}

TEST_F(RelayEngine, LimitsSessionsPerIdentity) {
  start("acme:* = echo\n", 1);
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto a = dial(port_, ctx.get());
  ASSERT_TRUE(a->handshake_ok);
  ASSERT_TRUE(a->send_all("x"));
  ASSERT_EQ(a->recv_n(1), "x");
  auto b = dial(port_, ctx.get());
  EXPECT_TRUE(!b->handshake_ok || b->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"refused\"", "per-identity limit"}).empty());
  a.reset();
  EXPECT_FALSE(events_.wait({"\"event\":\"closed\""}).empty());
  auto c = dial(port_, ctx.get());
  ASSERT_TRUE(c->handshake_ok);
  ASSERT_TRUE(c->send_all("y"));
  EXPECT_EQ(c->recv_n(1), "y");
}

std::string mqtt_packet(std::uint8_t first, const std::string& body) {
  std::string out(1, static_cast<char>(first));
  std::size_t len = body.size();
  do {
    std::uint8_t b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    out += static_cast<char>(b);
  } while (len);
  return out + body;
}
std::string mqtt_str(std::string_view s) {
  return std::string{static_cast<char>(s.size() >> 8), static_cast<char>(s.size() & 0xff)} +
         std::string(s);
}

TEST_F(RelayEngine, EnforcesMqttTopics) {
  start("acme:* = mq topics=devices/{device}/#\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto c = dial(port_, ctx.get());
  ASSERT_TRUE(c->handshake_ok);
  const std::string connect_pkt =
      mqtt_packet(0x10, mqtt_str("MQTT") + std::string{4, 2, 0, 60} + mqtt_str("cam-1"));
  const std::string ok_pub = mqtt_packet(0x30, mqtt_str("devices/cam-1/temp") + "21.5");
  const std::string ok_sub =
      mqtt_packet(0x82, std::string{0, 1} + mqtt_str("devices/cam-1/cmd/#") + std::string{1});
  ASSERT_TRUE(c->send_all(connect_pkt + ok_pub + ok_sub));
  const std::size_t n = connect_pkt.size() + ok_pub.size() + ok_sub.size();
  EXPECT_EQ(c->recv_n(n).size(), n);
  ASSERT_TRUE(c->send_all(mqtt_packet(0x30, mqtt_str("devices/cam-2/temp") + "1")));
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_FALSE(events_
                   .wait({"\"event\":\"policy_violation\"", "acme:cam-1",
                          "\"topic\":\"devices/cam-2/temp\""})
                   .empty());
  EXPECT_EQ(relay_->counters().policy_violations, 1u);
}

TEST_F(RelayEngine, ReloadKeepsSessionsAndRefusesABadConfig) {
  start("acme:cam-1 = echo\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto live = dial(port_, ctx.get());
  ASSERT_TRUE(live->handshake_ok);
  ASSERT_TRUE(live->send_all("a"));
  ASSERT_EQ(live->recv_n(1), "a");

  {
    std::lock_guard lock(reload_mu_);
    reload_text_ = "[relay]\nlisten = 127.0.0.1:1\nbogus = 1\n";
  }
  relay_->request_reload();
  EXPECT_FALSE(events_.wait({"\"event\":\"reload\"", "\"ok\":false", "line 3", "keeping"}).empty());

  {
    std::lock_guard lock(reload_mu_);
    reload_text_ = config_text("acme:cam-1 = echo\nacme:cam-2 = echo\n", "");
  }
  relay_->request_reload();
  EXPECT_FALSE(
      events_.wait({"\"event\":\"reload\"", "\"what\":\"config\"", "\"ok\":true"}).empty());
  auto dev2 = make_device(pki_, "urn:warden:acme:cam-2");
  auto ctx2 = client_ctx(pki_, &dev2);
  auto fresh = dial(port_, ctx2.get());
  ASSERT_TRUE(fresh->handshake_ok);
  ASSERT_TRUE(fresh->send_all("b"));
  EXPECT_EQ(fresh->recv_n(1), "b");
  // The session from before the reloads still works.
  ASSERT_TRUE(live->send_all("c"));
  EXPECT_EQ(live->recv_n(1), "c");
  EXPECT_EQ(relay_->counters().reload_failures, 1u);
}

TEST_F(RelayEngine, ClosesIdleSessions) {
  start("acme:* = echo\n", 4, "idle-timeout = 1\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto c = dial(port_, ctx.get());
  ASSERT_TRUE(c->handshake_ok);
  ASSERT_TRUE(c->send_all("a"));
  ASSERT_EQ(c->recv_n(1), "a");
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_FALSE(events_.wait({"\"event\":\"closed\"", "idle timeout"}).empty());
}

TEST_F(RelayEngine, RefusesWhenTheUpstreamIsDown) {
  start("acme:* = dead\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto c = dial(port_, ctx.get());
  EXPECT_TRUE(!c->handshake_ok || c->closed_by_peer());
  EXPECT_FALSE(
      events_.wait({"\"event\":\"refused\"", "acme:cam-1", "upstream 127.0.0.1:1", "refused"})
          .empty());
  EXPECT_EQ(relay_->counters().refused_upstream, 1u);
  EXPECT_EQ(relay_->counters().accepted, 0u);
}

// ---------------------------------------------------------------- workers = 2

TEST_F(RelayEngine, WorkersCarryTrafficAndResumeEachOthersTickets) {
  start("acme:* = echo\n", 16, "workers = 2\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto on0 = dial_worker(0, ctx.get());
  ASSERT_TRUE(on0);
  auto on1 = dial_worker(1, ctx.get());
  ASSERT_TRUE(on1);
  const std::string big(100000, 'y');
  for (auto* c : {on0.get(), on1.get()}) {
    std::thread writer([&] { c->send_all(big); });
    EXPECT_EQ(c->recv_n(big.size()), big);
    writer.join();
  }
  // A ticket issued by one worker (received with the echo) resumes on the other: one SSL_CTX,
  // one set of ticket keys. A client uses a TLS 1.3 ticket once, so each try takes a new one.
  auto resumes_across = [&](int from, int to) {
    for (int i = 0; i < 40; ++i) {
      auto issuer = dial_worker(from, ctx.get());
      if (!issuer) return false;
      SslSessionPtr ticket(SSL_get1_session(issuer->ssl.get()));
      auto r = dial(port_, ctx.get(), ticket.get());
      if (!r->handshake_ok || !r->send_all("r") || r->recv_n(1) != "r") return false;
      const std::string peer = peer_field(*r);
      auto ev = events_.wait({"\"event\":\"accepted\"", peer});
      if (worker_in(ev) == to) {
        EXPECT_EQ(SSL_session_reused(r->ssl.get()), 1);
        EXPECT_NE(ev.find("\"resumed\":true"), std::string::npos) << ev;
        return true;
      }
      const std::string issuer_peer = peer_field(*issuer);
      r.reset();
      issuer.reset();
      if (events_.wait({"\"event\":\"closed\"", peer}).empty() ||
          events_.wait({"\"event\":\"closed\"", issuer_peer}).empty())
        return false;
    }
    return false;
  };
  EXPECT_TRUE(resumes_across(0, 1));
  EXPECT_TRUE(resumes_across(1, 0));
  on0.reset();
  on1.reset();
  EXPECT_FALSE(
      events_.wait({"\"event\":\"closed\"", "\"worker\":0", "\"bytes_up\":100001"}).empty());
  EXPECT_FALSE(
      events_.wait({"\"event\":\"closed\"", "\"worker\":1", "\"bytes_up\":100001"}).empty());
  relay_->stop();
  thread_.join();
  const auto counters = relay_->counters();  // summed over both workers
  EXPECT_GE(counters.accepted, 4u);
  EXPECT_GE(counters.resumed, 2u);
  EXPECT_EQ(counters.active, 0u);
  EXPECT_EQ(counters.handshaking, 0u);
}

TEST_F(RelayEngine, WorkersShareThePerIdentityLimit) {
  start("acme:* = echo\n", 1, "workers = 2\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto a = dial(port_, ctx.get());
  ASSERT_TRUE(a->handshake_ok);
  ASSERT_TRUE(a->send_all("x"));
  ASSERT_EQ(a->recv_n(1), "x");
  const int first = worker_in(events_.wait({"\"event\":\"accepted\"", peer_field(*a)}));
  ASSERT_GE(first, 0);
  // A second session of the same device is refused on whichever worker it lands, the other
  // worker included.
  bool refused_on_other = false;
  for (int i = 0; i < 40 && !refused_on_other; ++i) {
    auto b = dial(port_, ctx.get());
    EXPECT_TRUE(!b->handshake_ok || b->closed_by_peer());
    auto ev = events_.wait({"\"event\":\"refused\"", peer_field(*b), "per-identity limit"});
    ASSERT_FALSE(ev.empty());
    refused_on_other = worker_in(ev) == 1 - first;
  }
  EXPECT_TRUE(refused_on_other);
  EXPECT_EQ(relay_->counters().accepted, 1u);
  a.reset();
  EXPECT_FALSE(events_.wait({"\"event\":\"closed\""}).empty());
  auto c = dial_worker(1 - first, ctx.get());
  ASSERT_TRUE(c);
}

TEST_F(RelayEngine, RevocationCutsSessionsOnEveryWorker) {
  start("acme:* = echo\n", 4, "workers = 2\n");
  std::vector<Device> devs;
  std::vector<SslCtxPtr> ctxs;
  std::vector<std::unique_ptr<Conn>> conns;
  for (int w = 0; w < 2; ++w) {
    devs.push_back(make_device(pki_, "urn:warden:acme:cam-" + std::to_string(w)));
    ctxs.push_back(client_ctx(pki_, &devs.back()));
    conns.push_back(dial_worker(w, ctxs.back().get()));
    ASSERT_TRUE(conns.back());
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(write_file_durable(deny_file_, "ca " + spki_sha256_hex(pki_.ca.get()) + "\n"));
  for (auto& c : conns) EXPECT_TRUE(c->closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(events_.wait({"\"event\":\"revoked\"", "\"worker\":0", "deny-list: ca"}).empty());
  EXPECT_FALSE(events_.wait({"\"event\":\"revoked\"", "\"worker\":1", "deny-list: ca"}).empty());
  EXPECT_EQ(events_.count({"\"event\":\"reload\"", "deny-list"}), 1u);  // read once
  EXPECT_EQ(relay_->counters().revoked, 2u);
}

TEST_F(RelayEngine, WorkersReloadOnceAndKeepSessions) {
  start("acme:cam-1 = echo\n", 4, "workers = 2\n");
  auto dev = make_device(pki_, "urn:warden:acme:cam-1");
  auto ctx = client_ctx(pki_, &dev);
  auto live0 = dial_worker(0, ctx.get());
  auto live1 = dial_worker(1, ctx.get());
  ASSERT_TRUE(live0 && live1);

  {
    std::lock_guard lock(reload_mu_);
    reload_text_ = "[relay]\nlisten = 127.0.0.1:1\nbogus = 1\n";
  }
  relay_->request_reload();
  EXPECT_FALSE(events_.wait({"\"event\":\"reload\"", "\"ok\":false", "line 3"}).empty());

  {
    std::lock_guard lock(reload_mu_);
    reload_text_ = config_text("acme:cam-1 = echo\nacme:cam-2 = echo\n", "workers = 3\n");
  }
  relay_->request_reload();
  auto ok = events_.wait({"\"event\":\"reload\"", "\"what\":\"config\"", "\"ok\":true"});
  EXPECT_NE(ok.find("workers changes need a restart; still 2"), std::string::npos) << ok;
  // The new policy applies on both workers.
  auto dev2 = make_device(pki_, "urn:warden:acme:cam-2");
  auto ctx2 = client_ctx(pki_, &dev2);
  EXPECT_TRUE(dial_worker(0, ctx2.get()));
  EXPECT_TRUE(dial_worker(1, ctx2.get()));
  // The sessions from before the reloads still work.
  for (auto* c : {live0.get(), live1.get()}) {
    ASSERT_TRUE(c->send_all("c"));
    EXPECT_EQ(c->recv_n(1), "c");
  }
  EXPECT_EQ(events_.count({"\"event\":\"reload\"", "\"ok\":false"}), 1u);
  EXPECT_EQ(events_.count({"\"event\":\"reload\"", "\"ok\":true"}), 1u);
  EXPECT_EQ(relay_->counters().reload_failures, 1u);
  EXPECT_EQ(relay_->counters().reloads, 1u);
}

}  // namespace
}  // namespace warden::relay
