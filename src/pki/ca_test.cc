#include "pki/ca.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/temp_dir.h"
#include "pki/db.h"

namespace warden::pki {
namespace {

using identity::DeviceId;

int mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// Verifies `cert` against `anchors` (+ `untrusted`) for `purpose`; the OpenSSL error string.
std::string verify(X509* cert, std::vector<X509*> anchors, int purpose) {
  identity::X509StorePtr store(X509_STORE_new());
  for (X509* a : anchors) X509_STORE_add_cert(store.get(), a);
  identity::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (X509_verify_cert(ctx.get()) == 1) return "ok";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

class CaTest : public ::testing::TestWithParam<identity::KeyType> {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/ca";
    ASSERT_TRUE(init_ca({dir_, "acme", GetParam()}));
    auto ca = Ca::open(dir_);
    ASSERT_TRUE(ca) << ca.error();
    ca_.emplace(std::move(*ca));
  }
  TempDir tmp_{"pki-ca"};
  std::string dir_;
  std::optional<Ca> ca_;
};

TEST_P(CaTest, InitLaysOutTheDirectoryWithPrivateKeys) {
  const CaPaths p(dir_);
  EXPECT_EQ(mode_of(dir_), 0700);
  for (const auto& key : {p.root_key(), p.issuing_key(), p.server_ca_key()}) {
    EXPECT_EQ(mode_of(key), 0600) << key;
  }
  for (const auto& crt : {p.root_crt(), p.issuing_crt(), p.server_ca_crt(), p.chain(), p.db()}) {
    EXPECT_GE(mode_of(crt), 0) << crt;
  }
  // A second init refuses to overwrite the CA.
  auto again = init_ca({dir_, "acme", GetParam()});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("refusing"), std::string::npos);
}

TEST_P(CaTest, HierarchyVerifies) {
  EXPECT_EQ(verify(ca_->issuing(), {ca_->root()}, X509_PURPOSE_ANY), "ok");
  // The server CA is its own anchor: it is not under the device root.
  EXPECT_NE(verify(ca_->server_ca(), {ca_->root()}, X509_PURPOSE_ANY), "ok");
  EXPECT_EQ(X509_get_pathlen(ca_->issuing()), 0);
  EXPECT_EQ(X509_get_pathlen(ca_->server_ca()), 0);
}

TEST_P(CaTest, IssuesDeviceCertificates) {
  auto key = identity::generate_key(GetParam());
  ASSERT_TRUE(key);
  const DeviceId id{"acme", "cam-1"};
  auto cert = ca_->issue_device(id, key->get());
  ASSERT_TRUE(cert) << cert.error();
  EXPECT_EQ(verify(cert->get(), {ca_->root(), ca_->issuing()}, X509_PURPOSE_SSL_CLIENT), "ok");
  // Not a server certificate, and nothing the server CA would accept.
  EXPECT_NE(verify(cert->get(), {ca_->root(), ca_->issuing()}, X509_PURPOSE_SSL_SERVER), "ok");
  EXPECT_NE(verify(cert->get(), {ca_->server_ca()}, X509_PURPOSE_SSL_CLIENT), "ok");
  auto got = identity::device_id_of(cert->get());
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, id);
  EXPECT_EQ(X509_check_ca(cert->get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert->get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert->get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  ASSERT_NE(X509_get0_subject_key_id(cert->get()), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(cert->get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert->get()),
                                  X509_get0_subject_key_id(ca_->issuing())),
            0);
  const auto life = identity::not_after(cert->get()) - identity::not_before(cert->get());
  EXPECT_EQ(life, 60 * 86400 + 300);
  // Serial: 128 random bits, positive; two certificates never share one.
  auto other = ca_->issue_device(id, key->get());
  ASSERT_TRUE(other);
  EXPECT_EQ(identity::serial_hex(cert->get()).size(), 32u);
  EXPECT_NE(identity::serial_hex(cert->get()), identity::serial_hex(other->get()));
  identity::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->get()), nullptr));
  EXPECT_FALSE(BN_is_negative(bn.get()));
  EXPECT_GE(BN_num_bits(bn.get()), 121);
}

TEST_P(CaTest, RefusesLifetimesOutside30To90Days) {
  auto key = identity::generate_key(GetParam());
  ASSERT_TRUE(key);
  const DeviceId id{"acme", "cam-1"};
  EXPECT_TRUE(ca_->issue_device(id, key->get(), 30));
  EXPECT_TRUE(ca_->issue_device(id, key->get(), 90));
  EXPECT_FALSE(ca_->issue_device(id, key->get(), 29));
  EXPECT_FALSE(ca_->issue_device(id, key->get(), 91));
  EXPECT_FALSE(ca_->issue_device(id, key->get(), 3650));
  EXPECT_FALSE(ca_->issue_device(DeviceId{"acme", ".bad"}, key->get()));
}

TEST_P(CaTest, IssuesServerCertificatesFromTheServerCa) {
  auto key = identity::generate_key(GetParam());
  ASSERT_TRUE(key);
  auto cert = ca_->issue_server(key->get(), {"relay.example"}, {"127.0.0.1"});
  ASSERT_TRUE(cert) << cert.error();
  EXPECT_EQ(verify(cert->get(), {ca_->server_ca()}, X509_PURPOSE_SSL_SERVER), "ok");
  EXPECT_NE(verify(cert->get(), {ca_->root(), ca_->issuing()}, X509_PURPOSE_SSL_SERVER), "ok");
  EXPECT_EQ(X509_check_host(cert->get(), "relay.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert->get(), "127.0.0.1", 0), 1);
  EXPECT_FALSE(ca_->issue_server(key->get(), {"bad name,DNS:evil"}, {}));
  EXPECT_FALSE(ca_->issue_server(key->get(), {}, {"300.1.1.1"}));
  EXPECT_FALSE(ca_->issue_server(key->get(), {}, {}));
}

TEST_P(CaTest, IssuedLogRoundTrips) {
  auto db = PkiDb::open(CaPaths(dir_).db());
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->record_issued({"AB", "urn:warden:acme:x", "00", 5, 4, "cli"}));
  EXPECT_FALSE((*db)->record_issued({"AB", "urn:warden:acme:y", "00", 5, 4, "cli"}));
  auto rows = (*db)->list_issued();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].device, "urn:warden:acme:x");
}

TEST(CaOpen, RefusesAMissingOrOpenKey) {
  TempDir tmp("pki-ca");
  EXPECT_FALSE(Ca::open(tmp.path() + "/none"));
  const std::string dir = tmp.path() + "/ca";
  ASSERT_TRUE(init_ca({dir, "acme", identity::KeyType::kP256}));
  ASSERT_EQ(::chmod(CaPaths(dir).issuing_key().c_str(), 0644), 0);
  EXPECT_FALSE(Ca::open(dir));
}

INSTANTIATE_TEST_SUITE_P(Keys, CaTest,
                         ::testing::Values(identity::KeyType::kP256, identity::KeyType::kEd25519),
                         [](const auto& param_info) {
                           return std::string(identity::key_type_name(param_info.param));
                         });

}  // namespace
}  // namespace warden::pki
