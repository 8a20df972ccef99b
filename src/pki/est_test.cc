// The enrollment server end to end on 127.0.0.1 (an ephemeral port), driven by the device
// library's real EST client over TLS 1.3.
#include "pki/est.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>
#include <utility>

#include "core/file.h"
#include "core/temp_dir.h"
#include "device/est_client.h"
#include "pki/tokens.h"

namespace warden::pki {
namespace {

using identity::DeviceId;

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

class EstRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/ca";
    ASSERT_TRUE(init_ca({dir_, "acme", identity::KeyType::kP256}));
    auto ca = Ca::open(dir_);
    ASSERT_TRUE(ca);
    auto key = identity::generate_key(identity::KeyType::kP256);
    ASSERT_TRUE(key);
    auto cert = ca->issue_server(key->get(), {"localhost"}, {"127.0.0.1"});
    ASSERT_TRUE(cert) << cert.error();
    ASSERT_TRUE(identity::save_private_key(tmp_.path() + "/srv.key", key->get()));
    ASSERT_TRUE(write_file_durable(tmp_.path() + "/srv.crt", identity::to_pem(cert->get())));
    server_ca_pem_ = identity::to_pem(ca->server_ca());
    chain_ = {X509_dup(ca->root()), X509_dup(ca->issuing())};

    // A manufacturer with its own CA, whose birth certificates name warden devices.
    ASSERT_TRUE(init_ca({tmp_.path() + "/maker", "maker", identity::KeyType::kP256}));
    auto maker = Ca::open(tmp_.path() + "/maker");
    ASSERT_TRUE(maker);
    birth_key_ = identity::generate_key(identity::KeyType::kP256).value();
    birth_cert_ = maker->issue_device({"acme", "born-1"}, birth_key_.get(), 90).value();

    // Empty: nobody is revoked yet. The server re-reads it when it changes.
    deny_ = tmp_.path() + "/deny.list";
    ASSERT_TRUE(write_file_durable(deny_, "# revoked\n"));

    EstConfig config;
    config.dir = dir_;
    config.deny_list_file = deny_;
    config.port = 0;
    config.cert_file = tmp_.path() + "/srv.crt";
    config.key_file = tmp_.path() + "/srv.key";
    config.birth_ca_file = tmp_.path() + "/maker/chain.pem";
    config.log = log_ = std::tmpfile();
    config_ = config;
    auto server = EstServer::open(config);
    ASSERT_TRUE(server) << server.error();
    server_ = std::move(*server);
    endpoint_ = {"127.0.0.1", server_->port()};
    thread_ = std::thread([this] { server_->run(); });
    auto db = PkiDb::open(CaPaths(dir_).db());
    ASSERT_TRUE(db);
    db_ = std::move(*db);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    for (X509* c : chain_) X509_free(c);
    if (log_) std::fclose(log_);
  }

  std::string token(const DeviceId& id, std::optional<std::string> serial = std::nullopt,
                    std::int64_t ttl = 3600) {
    auto t = create_token(*db_, id, std::move(serial), ttl, now_s());
    EXPECT_TRUE(t);
    return t ? t->token : "";
  }
  struct Device {
    identity::PkeyPtr key;
    identity::X509ReqPtr csr;
  };
  Device device(const DeviceId& id) {
    auto key = identity::generate_key(identity::KeyType::kEd25519);
    auto csr = identity::make_csr(key->get(), id);
    return {std::move(*key), std::move(*csr)};
  }
  std::string verify_client(X509* cert) {
    identity::X509StorePtr store(X509_STORE_new());
    for (X509* c : chain_) X509_STORE_add_cert(store.get(), c);
    identity::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx.get()) == 1) return "ok";
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  void deny(const std::string& text) { ASSERT_TRUE(write_file_durable(deny_, text)); }
  static std::string csr_b64(X509_REQ* csr) {
    unsigned char* der = nullptr;
    const int n = i2d_X509_REQ(csr, &der);
    std::string out =
        base64_lines(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)));
    OPENSSL_free(der);
    return out;
  }
  std::string log_text() {
    std::fflush(log_);
    std::rewind(log_);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, log_)) > 0;) out.append(buf, n);
    return out;
  }

  TempDir tmp_{"pki-est"};
  std::string dir_, server_ca_pem_, deny_;
  EstConfig config_;
  std::vector<X509*> chain_;
  identity::PkeyPtr birth_key_;
  identity::X509Ptr birth_cert_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<EstServer> server_;
  std::unique_ptr<PkiDb> db_;
  std::thread thread_;
  device::Endpoint endpoint_;
};

TEST_F(EstRoundTrip, CaCerts) {
  auto certs = device::fetch_cacerts(endpoint_, server_ca_pem_);
  ASSERT_TRUE(certs) << certs.error();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ(X509_cmp((*certs)[0].get(), chain_[1]), 0);  // the issuing CA
  EXPECT_NE(log_text().find("\"event\":\"est.cacerts\""), std::string::npos);
}

TEST_F(EstRoundTrip, ThePinnedServerCaIsTheOnlyOneTrusted) {
  // The device root does not vouch for servers.
  auto certs = device::fetch_cacerts(endpoint_, identity::to_pem(chain_[0]));
  EXPECT_FALSE(certs);
  // Nor is a server certificate good for another name.
  auto wrong_name = device::fetch_cacerts({"localhost.invalid", endpoint_.port}, server_ca_pem_,
                                          std::chrono::milliseconds(2000));
  EXPECT_FALSE(wrong_name);
}

TEST_F(EstRoundTrip, TokenEnrollmentIsSingleUse) {
  const DeviceId id{"acme", "cam-1"};
  auto d = device(id);
  const std::string t = token(id);
  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_TRUE(cert) << cert.error();
  EXPECT_EQ(verify_client(cert->get()), "ok");
  EXPECT_EQ(*identity::device_id_of(cert->get()), id);
  EXPECT_EQ(X509_check_private_key(cert->get(), d.key.get()), 1);
  const auto life = identity::not_after(cert->get()) - identity::not_before(cert->get());
  EXPECT_EQ(life, kDefaultDeviceDays * 86400 + 300);

  auto replay = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_FALSE(replay);
  EXPECT_NE(replay.error().find("403"), std::string::npos) << replay.error();
  EXPECT_NE(replay.error().find("replay"), std::string::npos) << replay.error();

  auto rows = db_->list_issued();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].device, id.urn());
  EXPECT_EQ((*rows)[0].how, "token");
  EXPECT_EQ((*rows)[0].spki_sha256, identity::spki_sha256_hex(cert->get()));
  EXPECT_EQ(server_->issued_count(), 1u);
  const std::string counters = server_->counters_json();
  EXPECT_NE(counters.find("\"token_replay\":1"), std::string::npos) << counters;
}

TEST_F(EstRoundTrip, TokenRefusals) {
  const DeviceId id{"acme", "cam-1"};
  auto d = device(id);
  auto unknown = device::simple_enroll(endpoint_, server_ca_pem_, "nope", d.csr.get());
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("401"), std::string::npos) << unknown.error();

  auto other =
      device::simple_enroll(endpoint_, server_ca_pem_, token({"acme", "cam-2"}), d.csr.get());
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().find("another device"), std::string::npos) << other.error();

  const std::string bound = token(id, "SN-9");
  auto no_serial = device::simple_enroll(endpoint_, server_ca_pem_, bound, d.csr.get());
  ASSERT_FALSE(no_serial);
  EXPECT_NE(no_serial.error().find("hardware serial"), std::string::npos) << no_serial.error();
  auto with_serial = device::simple_enroll(endpoint_, server_ca_pem_, bound, d.csr.get(), "SN-9");
  EXPECT_TRUE(with_serial) << with_serial.error();

  const std::string short_lived = token(id, std::nullopt, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto expired = device::simple_enroll(endpoint_, server_ca_pem_, short_lived, d.csr.get());
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().find("expired"), std::string::npos) << expired.error();
  EXPECT_NE(log_text().find("\"result\":\"refused\""), std::string::npos);
}

TEST_F(EstRoundTrip, ReenrollNeedsTheCurrentCertificateOfTheSameDevice) {
  const DeviceId id{"acme", "cam-1"};
  auto d = device(id);
  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, token(id), d.csr.get());
  ASSERT_TRUE(cert) << cert.error();
  auto fresh = device(id);
  auto renewed =
      device::simple_reenroll(endpoint_, server_ca_pem_, cert->get(), d.key.get(), fresh.csr.get());
  ASSERT_TRUE(renewed) << renewed.error();
  EXPECT_EQ(X509_check_private_key(renewed->get(), fresh.key.get()), 1);
  EXPECT_EQ(verify_client(renewed->get()), "ok");

  auto someone_else = device({"acme", "cam-2"});
  auto stolen = device::simple_reenroll(endpoint_, server_ca_pem_, cert->get(), d.key.get(),
                                        someone_else.csr.get());
  ASSERT_FALSE(stolen);
  EXPECT_NE(stolen.error().find("403"), std::string::npos) << stolen.error();

  // A birth certificate is no device certificate.
  auto born = device({"acme", "born-1"});
  auto by_birth = device::simple_reenroll(endpoint_, server_ca_pem_, birth_cert_.get(),
                                          birth_key_.get(), born.csr.get());
  ASSERT_FALSE(by_birth);
  EXPECT_NE(by_birth.error().find("401"), std::string::npos) << by_birth.error();
}

TEST_F(EstRoundTrip, BirthCertificateEnrollment) {
  auto born = device({"acme", "born-1"});
  auto cert = device::birth_enroll(endpoint_, server_ca_pem_, birth_cert_.get(), birth_key_.get(),
                                   born.csr.get());
  ASSERT_TRUE(cert) << cert.error();
  EXPECT_EQ(verify_client(cert->get()), "ok");
  // The birth certificate names born-1, not cam-9.
  auto other = device({"acme", "cam-9"});
  auto refused = device::birth_enroll(endpoint_, server_ca_pem_, birth_cert_.get(),
                                      birth_key_.get(), other.csr.get());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("403"), std::string::npos) << refused.error();
  // Our own device certificates are not birth certificates.
  const DeviceId id{"acme", "cam-1"};
  auto d = device(id);
  auto mine = device::simple_enroll(endpoint_, server_ca_pem_, token(id), d.csr.get());
  ASSERT_TRUE(mine);
  auto again =
      device::birth_enroll(endpoint_, server_ca_pem_, mine->get(), d.key.get(), d.csr.get());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("401"), std::string::npos) << again.error();
}

TEST_F(EstRoundTrip, HandleRefusesMalformedRequests) {
  EstPeer peer{"test"};
  HttpRequest get{"GET", "/.well-known/est/simpleenroll"};
  EXPECT_EQ(server_->handle(get, "", peer).status, 405);
  HttpRequest other{"GET", "/index.html"};
  EXPECT_EQ(server_->handle(other, "", peer).status, 404);
  HttpRequest post{"POST", "/.well-known/est/simpleenroll", "Bearer x", "text/plain"};
  EXPECT_EQ(server_->handle(post, "", peer).status, 415);
  post.content_type = "application/pkcs10";
  EXPECT_EQ(server_->handle(post, "!!!", peer).status, 400);
  EXPECT_EQ(server_->handle(post, "AAAA", peer).status, 400);
  HttpRequest none{"POST", "/.well-known/est/simpleenroll", "", "application/pkcs10"};
  auto d = device({"acme", "cam-1"});
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(d.csr.get(), &der);
  const std::string b64 =
      base64_lines(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  EXPECT_EQ(server_->handle(none, b64, peer).status, 401);
}

TEST_F(EstRoundTrip, ReenrollOfARevokedDeviceIsRefused) {
  const DeviceId id{"acme", "cam-1"};
  auto d = device(id);
  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, token(id), d.csr.get());
  ASSERT_TRUE(cert) << cert.error();
  auto fresh = device(id);
  auto reenroll = [&] {
    return device::simple_reenroll(endpoint_, server_ca_pem_, cert->get(), d.key.get(),
                                   fresh.csr.get());
  };
  const std::string spki = identity::spki_sha256_hex(cert->get());
  const std::string issuing = identity::spki_sha256_hex(chain_[1]);
  const std::pair<std::string, std::string> cases[] = {
      {"device acme:cam-1\n", "revoked (device)"},
      {"device acme:*\n", "revoked (tenant)"},
      {"spki " + spki + " # its current key\n", "revoked (spki)"},
      {"ca " + issuing + "\n", "revoked (ca)"},
  };
  for (const auto& [text, reason] : cases) {
    deny(text);
    auto refused = reenroll();
    ASSERT_FALSE(refused) << text;
    EXPECT_NE(refused.error().find("403"), std::string::npos) << refused.error();
    EXPECT_NE(refused.error().find(reason), std::string::npos) << refused.error();
    EXPECT_NE(log_text().find("\"event\":\"est.reenroll\",\"result\":\"refused\",\"device\":"
                              "\"acme:cam-1\",\"reason\":\"" +
                              reason + "\""),
              std::string::npos)
        << log_text();
  }
  // Another device's revocation is not this one's.
  deny("device acme:cam-2\nspki " + std::string(64, 'a') + "\n");
  auto renewed = reenroll();
  EXPECT_TRUE(renewed) << renewed.error();
  const std::string counters = server_->counters_json();
  EXPECT_NE(counters.find("\"revoked\":4"), std::string::npos) << counters;
  EXPECT_NE(log_text().find("\"event\":\"est.deny_list\",\"result\":\"loaded\""),
            std::string::npos);
}

TEST_F(EstRoundTrip, EnrollmentOfARevokedDeviceOrKeyIsRefusedWithoutSpendingTheToken) {
  const DeviceId id{"acme", "cam-2"};
  auto d = device(id);
  const std::string t = token(id);
  deny("device acme:cam-2\n");
  auto by_name = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_FALSE(by_name);
  EXPECT_NE(by_name.error().find("403"), std::string::npos) << by_name.error();
  EXPECT_NE(by_name.error().find("revoked (device)"), std::string::npos) << by_name.error();

  // The key the CSR asks to certify is a stolen one.
  deny("spki " + identity::spki_sha256_hex(d.key.get()) + "\n");
  auto by_key = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_FALSE(by_key);
  EXPECT_NE(by_key.error().find("revoked (spki)"), std::string::npos) << by_key.error();

  // A birth certificate does not get around it either.
  deny("device acme:born-1\n");
  auto born = device({"acme", "born-1"});
  auto by_birth = device::birth_enroll(endpoint_, server_ca_pem_, birth_cert_.get(),
                                       birth_key_.get(), born.csr.get());
  ASSERT_FALSE(by_birth);
  EXPECT_NE(by_birth.error().find("revoked (device)"), std::string::npos) << by_birth.error();

  // Lifted: the token was never spent.
  deny("");
  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  EXPECT_TRUE(cert) << cert.error();
}

TEST_F(EstRoundTrip, AnUnreadableDenyListSuspendsEnrollment) {
  const DeviceId id{"acme", "cam-3"};
  auto d = device(id);
  const std::string t = token(id);
  deny("device acme:cam-9\nspki not-a-hash\n");
  auto damaged = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.error().find("503"), std::string::npos) << damaged.error();
  EXPECT_NE(damaged.error().find("enrollment suspended"), std::string::npos) << damaged.error();
  // The log says which file and line; the client is not told the server's paths.
  EXPECT_EQ(damaged.error().find(deny_), std::string::npos) << damaged.error();
  const std::string log = log_text();
  EXPECT_NE(log.find("\"event\":\"est.deny_list\",\"result\":\"failed\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("line 2: spki wants 64 hex digits"), std::string::npos) << log;
  EXPECT_NE(log.find("\"code\":\"deny_list_unavailable\""), std::string::npos) << log;

  ASSERT_EQ(std::remove(deny_.c_str()), 0);
  auto gone = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().find("503"), std::string::npos) << gone.error();

  deny("device acme:cam-9\n");
  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  EXPECT_TRUE(cert) << cert.error();
}

TEST_F(EstRoundTrip, ADenyListThatDoesNotLoadStopsTheServerFromStarting) {
  EstConfig config = config_;
  config.log = nullptr;
  config.deny_list_file = tmp_.path() + "/missing.list";
  auto missing = EstServer::open(config);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("missing.list"), std::string::npos) << missing.error();
}

TEST_F(EstRoundTrip, AFailedSignatureLeavesTheTokenUsable) {
  // The same CA and pki.db, but a lifetime the CA refuses to sign: issuance fails after the
  // token checked out.
  EstConfig broken = config_;
  broken.device_days = kMaxDeviceDays + 1;
  broken.log = nullptr;
  auto server = EstServer::open(broken);
  ASSERT_TRUE(server) << server.error();
  const DeviceId id{"acme", "cam-4"};
  auto d = device(id);
  const std::string t = token(id);
  HttpRequest post{"POST", "/.well-known/est/simpleenroll", "Bearer " + t, "application/pkcs10"};
  auto failed = (*server)->handle(post, csr_b64(d.csr.get()), EstPeer{"test"});
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_NE((*server)->counters_json().find("\"issue_failed\":1"), std::string::npos);
  EXPECT_EQ(db_->list_issued()->size(), 0u);

  auto cert = device::simple_enroll(endpoint_, server_ca_pem_, t, d.csr.get());
  ASSERT_TRUE(cert) << cert.error();
  auto replay = (*server)->handle(post, csr_b64(d.csr.get()), EstPeer{"test"});
  EXPECT_EQ(replay.status, 403) << replay.body;
  EXPECT_EQ(db_->list_issued()->size(), 1u);
}

TEST(Base64, RoundTrips) {
  for (std::string s :
       {std::string("a"), std::string("ab"), std::string("abc"), std::string(200, '\xff')}) {
    auto back = base64_decode(base64_lines(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(base64_decode("A"));
  EXPECT_FALSE(base64_decode("A=AA"));
  EXPECT_FALSE(base64_decode(""));
  EXPECT_FALSE(base64_decode("AA*A"));
}

}  // namespace
}  // namespace warden::pki
