#include "pki/csr.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

namespace warden::pki {
namespace {

using identity::PkeyPtr;
using identity::X509ReqPtr;

PkeyPtr keygen(const char* type, const char* curve = nullptr) {
  EVP_PKEY* key = nullptr;
  if (curve) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else if (std::string_view(type) == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  return PkeyPtr(key);
}

// A CSR with arbitrary contents: `sans` as URI names, optionally CA:TRUE requested, signed by
// `signer` but carrying `pub` (a mismatch makes the signature fail).
X509ReqPtr build(EVP_PKEY* signer, EVP_PKEY* pub, const std::vector<std::string>& sans,
                 bool ask_ca = false, const char* bc_value = nullptr) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), X509_REQ_VERSION_1);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("dev"), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), signer);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  if (!sans.empty()) {
    std::string value;
    for (const auto& s : sans) value += (value.empty() ? "URI:" : ",URI:") + s;
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str()));
  }
  if (ask_ca || bc_value) {
    sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints,
                                                     bc_value ? bc_value : "critical,CA:TRUE"));
  }
  if (sk_X509_EXTENSION_num(exts) > 0) X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  const EVP_MD* md =
      identity::key_type_of(signer) == identity::KeyType::kEd25519 ? nullptr : EVP_sha256();
  X509_REQ_sign(req.get(), signer, md);
  if (pub != signer) X509_REQ_set_pubkey(req.get(), pub);
  return req;
}

std::string der(X509_REQ* req) {
  unsigned char* p = nullptr;
  const int n = i2d_X509_REQ(req, &p);
  std::string out(reinterpret_cast<char*>(p), static_cast<std::size_t>(n));
  OPENSSL_free(p);
  return out;
}

std::string reason(const std::string& bytes) {
  auto r = parse_csr(std::string_view(bytes));
  return r ? "ok" : r.error();
}

TEST(Csr, AcceptsP256AndEd25519InPemAndDer) {
  for (auto type : {identity::KeyType::kP256, identity::KeyType::kEd25519}) {
    auto key = identity::generate_key(type);
    ASSERT_TRUE(key);
    auto csr = identity::make_csr(key->get(), {"acme", "cam-1"});
    ASSERT_TRUE(csr);
    for (const std::string& bytes : {identity::to_pem(csr->get()), der(csr->get())}) {
      auto v = parse_csr(std::string_view(bytes));
      ASSERT_TRUE(v) << v.error();
      EXPECT_EQ(v->id.str(), "acme:cam-1");
      EXPECT_EQ(v->key_type, type);
      EXPECT_EQ(EVP_PKEY_eq(v->key.get(), key->get()), 1);
    }
  }
}

TEST(Csr, RefusesWithAReason) {
  auto p256 = keygen("EC", "P-256");
  auto other = keygen("EC", "P-256");
  const std::string urn = "urn:warden:acme:cam-1";
  EXPECT_EQ(reason(der(build(p256.get(), p256.get(), {urn}).get())), "ok");
  EXPECT_EQ(reason(""), "empty CSR");
  EXPECT_EQ(reason(std::string(kMaxCsrBytes + 1, 'A')),
            "CSR larger than " + std::to_string(kMaxCsrBytes) + " bytes");
  EXPECT_EQ(reason("garbage"), "not a DER certificate request");
  EXPECT_EQ(reason("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE "
                   "REQUEST-----\n"),
            "not a PEM certificate request");
  EXPECT_EQ(reason(der(build(p256.get(), p256.get(), {urn}).get()) + "x"),
            "trailing bytes after the CSR");
  EXPECT_EQ(reason(der(build(p256.get(), other.get(), {urn}).get())),
            "CSR signature does not verify");
  EXPECT_EQ(reason(der(build(p256.get(), p256.get(), {urn}, true).get())),
            "CSR asks for a CA certificate (CA:TRUE)");
  EXPECT_EQ(reason(der(build(p256.get(), p256.get(), {urn}, false, "CA:FALSE").get())), "ok");
  EXPECT_NE(reason(der(build(p256.get(), p256.get(), {}).get())).find("subjectAltName"),
            std::string::npos);
  EXPECT_NE(reason(der(build(p256.get(), p256.get(), {urn, "urn:warden:acme:cam-2"}).get()))
                .find("subjectAltName"),
            std::string::npos);
  EXPECT_NE(
      reason(der(build(p256.get(), p256.get(), {"urn:warden:acme"}).get())).find("subjectAltName"),
      std::string::npos);
  auto p384 = keygen("EC", "P-384");
  EXPECT_EQ(reason(der(build(p384.get(), p384.get(), {urn}).get())),
            "CSR key is not P-256 or Ed25519");
  auto rsa = keygen("RSA");
  EXPECT_EQ(reason(der(build(rsa.get(), rsa.get(), {urn}).get())),
            "CSR key is not P-256 or Ed25519");
}

TEST(Csr, RefusesEveryTruncation) {
  auto key = identity::generate_key(identity::KeyType::kP256);
  ASSERT_TRUE(key);
  auto csr = identity::make_csr(key->get(), {"acme", "cam-1"});
  ASSERT_TRUE(csr);
  const std::string bytes = der(csr->get());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_csr(std::string_view(bytes).substr(0, n))) << n;
  }
}

}  // namespace
}  // namespace warden::pki
