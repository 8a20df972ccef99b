#include "identity/identity.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>

#include "core/file.h"
#include "core/temp_dir.h"

namespace warden::identity {
namespace {

// A self-signed certificate carrying `sans` as URI subjectAltNames, for testing the parsers.
X509Ptr self_signed(EVP_PKEY* key, const std::vector<std::string>& sans, long days = 30) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0x1234);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  if (!sans.empty()) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    for (const auto& san : sans) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* uri = ASN1_IA5STRING_new();
      ASN1_STRING_set(uri, san.data(), static_cast<int>(san.size()));
      GENERAL_NAME_set0_value(gn, GEN_URI, uri);
      sk_GENERAL_NAME_push(names.get(), gn);
    }
    X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, 0);
  }
  const EVP_MD* md = key_type_of(key) == KeyType::kEd25519 ? nullptr : EVP_sha256();
  X509_sign(cert.get(), key, md);
  return cert;
}

TEST(Identity, KeyTypes) {
  EXPECT_EQ(parse_key_type("p256"), KeyType::kP256);
  EXPECT_EQ(parse_key_type("prime256v1"), KeyType::kP256);
  EXPECT_EQ(parse_key_type("ed25519"), KeyType::kEd25519);
  EXPECT_FALSE(parse_key_type("rsa"));
  for (const KeyType type : {KeyType::kP256, KeyType::kEd25519}) {
    auto key = generate_key(type);
    ASSERT_TRUE(key) << key.error();
    EXPECT_EQ(key_type_of(key->get()), type);
    EXPECT_EQ(parse_key_type(key_type_name(type)), type);
  }
  PkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_TRUE(p384);
  EXPECT_FALSE(key_type_of(p384.get())) << "only P-256 and Ed25519 are issued for";
}

TEST(Identity, Names) {
  EXPECT_TRUE(valid_name("cam-17"));
  EXPECT_TRUE(valid_name("A.b_c-9"));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("-x"));
  EXPECT_FALSE(valid_name(".x"));
  EXPECT_FALSE(valid_name("a:b"));
  EXPECT_FALSE(valid_name("a/b"));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name(std::string(65, 'a')));
  EXPECT_TRUE(valid_name(std::string(64, 'a')));

  auto id = parse_device_urn("urn:warden:acme:cam-17");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->tenant, "acme");
  EXPECT_EQ(id->device, "cam-17");
  EXPECT_EQ(id->urn(), "urn:warden:acme:cam-17");
  EXPECT_EQ(id->str(), "acme:cam-17");
  EXPECT_FALSE(parse_device_urn("urn:warden:acme"));
  EXPECT_FALSE(parse_device_urn("urn:warden:acme:cam:17"));
  EXPECT_FALSE(parse_device_urn("urn:other:acme:cam"));
  EXPECT_FALSE(parse_device_urn("urn:warden::cam"));
  EXPECT_EQ(parse_device_id("acme:cam-17"), id);
  EXPECT_EQ(parse_device_id("urn:warden:acme:cam-17"), id);
  EXPECT_FALSE(parse_device_id("acme"));
  EXPECT_FALSE(parse_device_id("acme:*"));
}

TEST(Identity, CsrCarriesTheDeviceUrn) {
  for (const KeyType type : {KeyType::kP256, KeyType::kEd25519}) {
    auto key = generate_key(type);
    ASSERT_TRUE(key);
    const DeviceId id{"acme", "cam-17"};
    auto csr = make_csr(key->get(), id);
    ASSERT_TRUE(csr) << csr.error();
    EXPECT_EQ(X509_REQ_verify(csr->get(), key->get()), 1);
    const std::string pem = to_pem(csr->get());
    auto back = csr_from_pem(pem);
    ASSERT_TRUE(back) << back.error();
    auto got = device_id_of(back->get());
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(*got, id);
    PkeyPtr pub(X509_REQ_get_pubkey(back->get()));
    EXPECT_EQ(spki_sha256_hex(pub.get()), spki_sha256_hex(key->get()));
  }
  auto key = generate_key(KeyType::kP256);
  EXPECT_FALSE(make_csr(key->get(), DeviceId{"acme", "bad/name"}));
}

TEST(Identity, CertificateNeedsExactlyOneDeviceUrn) {
  auto key = generate_key(KeyType::kP256);
  ASSERT_TRUE(key);
  auto one = self_signed(key->get(), {"https://example.com/x", "urn:warden:acme:cam-1"});
  auto id = device_id_of(one.get());
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(id->str(), "acme:cam-1");

  auto none = self_signed(key->get(), {});
  EXPECT_FALSE(device_id_of(none.get()));
  auto two = self_signed(key->get(), {"urn:warden:acme:cam-1", "urn:warden:acme:cam-2"});
  ASSERT_FALSE(device_id_of(two.get()));
  EXPECT_NE(device_id_of(two.get()).error().find("more than one"), std::string::npos);
  auto bad = self_signed(key->get(), {"urn:warden:acme:cam 1"});
  ASSERT_FALSE(device_id_of(bad.get()));
  EXPECT_NE(device_id_of(bad.get()).error().find("malformed"), std::string::npos);
}

TEST(Identity, SpkiHashIsStableAcrossCertificates) {
  auto key = generate_key(KeyType::kEd25519);
  ASSERT_TRUE(key);
  auto a = self_signed(key->get(), {"urn:warden:acme:cam-1"}, 30);
  auto b = self_signed(key->get(), {"urn:warden:acme:cam-1"}, 60);
  const std::string ha = spki_sha256_hex(a.get());
  EXPECT_EQ(ha.size(), 64u);
  EXPECT_EQ(ha, spki_sha256_hex(b.get())) << "re-issuing for the same key keeps the hash";
  auto other = generate_key(KeyType::kEd25519);
  EXPECT_NE(ha, spki_sha256_hex(other->get()));
}

TEST(Identity, PemRoundTripAndValidity) {
  auto key = generate_key(KeyType::kP256);
  auto a = self_signed(key->get(), {"urn:warden:acme:a"}, 30);
  auto b = self_signed(key->get(), {"urn:warden:acme:b"}, 90);
  const std::string bundle = to_pem(a.get()) + to_pem(b.get());
  auto certs = certs_from_pem(bundle);
  ASSERT_TRUE(certs) << certs.error();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ(device_id_of((*certs)[1].get())->device, "b");
  EXPECT_FALSE(certs_from_pem("not pem"));
  EXPECT_FALSE(cert_from_pem(""));
  // A truncated second certificate is damage, not the end of the bundle.
  EXPECT_FALSE(certs_from_pem(bundle.substr(0, bundle.size() - 100)));

  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  EXPECT_LE(std::llabs(not_before(a.get()) - now), 5);
  EXPECT_LE(std::llabs(not_after(b.get()) - (now + 90 * 86400)), 5);
  EXPECT_EQ(serial_hex(a.get()), "1234");
  EXPECT_EQ(subject_line(a.get()), "CN=test");
}

TEST(Identity, PrivateKeysAreWrittenPrivateAndRefusedWhenOpen) {
  TempDir dir;
  const std::string path = dir.path() + "/device.key";
  auto key = generate_key(KeyType::kP256);
  ASSERT_TRUE(save_private_key(path, key->get()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_private_key(path);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(EVP_PKEY_eq(loaded->get(), key->get()), 1);

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto refused = load_private_key(path);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("chmod 600"), std::string::npos) << refused.error();
  EXPECT_TRUE(load_private_key(path, /*allow_open_mode=*/true));

  ASSERT_TRUE(write_file_durable(path, "garbage", 0600));
  EXPECT_FALSE(load_private_key(path));
  EXPECT_FALSE(load_private_key(dir.path() + "/missing.key"));
}

TEST(Identity, Tls13ContextRefusesOlderVersions) {
  auto ctx = make_tls13_context(/*server=*/true);
  ASSERT_TRUE(ctx) << ctx.error();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx->get()), TLS1_3_VERSION);
}

}  // namespace
}  // namespace warden::identity
