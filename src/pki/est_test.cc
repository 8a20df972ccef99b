// The enrollment server end to end on 127.0.0.1 (an ephemeral port), driven by the device
// library's real EST client over TLS 1.3.
#include "pki/est.h"

#include <gtest/gtest.h>

#include <thread>

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

    EstConfig config;
    config.dir = dir_;
    config.port = 0;
    config.cert_file = tmp_.path() + "/srv.crt";
    config.key_file = tmp_.path() + "/srv.key";
    config.birth_ca_file = tmp_.path() + "/maker/chain.pem";
    config.log = log_ = std::tmpfile();
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
  std::string log_text() {
    std::fflush(log_);
    std::rewind(log_);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, log_)) > 0;) out.append(buf, n);
    return out;
  }

  TempDir tmp_{"pki-est"};
  std::string dir_, server_ca_pem_;
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
