#include "mud/signature.h"

#include <gtest/gtest.h>

#include "mud/test_pki.h"

namespace warden::mud {
namespace {

using testing::pki_path;
using testing::sign;

TrustStore test_ca() {
  auto t = TrustStore::load({.ca_file = pki_path("ca.pem")});
  EXPECT_TRUE(t) << t.error();
  return t ? std::move(*t) : TrustStore();
}

void expect_error(const Result<SignatureInfo, std::string>& r, const std::string& part) {
  ASSERT_FALSE(r) << "verified, expected: " << part;
  EXPECT_NE(r.error().find(part), std::string::npos) << r.error();
}

const std::string kFile = testing::mud_json("https://mud.example.com/bulb.json");

TEST(Signature, GoodSignatureVerifiesAndNamesTheSigner) {
  const TrustStore trust = test_ca();
  const std::string der = sign(kFile);
  ASSERT_FALSE(der.empty());
  auto r = verify_signature(kFile, der, trust);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->signer_subject, "CN=Example Devices MUD signer,O=Example Devices");
  EXPECT_EQ(r->signer_issuer, "CN=Warden Test MUD CA,O=Warden Test");
}

TEST(Signature, PemWrappedIsAccepted) {
  const TrustStore trust = test_ca();
  const std::string pem = sign(kFile, "signer", /*pem=*/true);
  ASSERT_TRUE(pem.starts_with("-----BEGIN CMS-----")) << pem.substr(0, 40);
  auto r = verify_signature(kFile, pem, trust);
  EXPECT_TRUE(r) << r.error();
}

TEST(Signature, OneChangedByteIsRefused) {
  const TrustStore trust = test_ca();
  const std::string der = sign(kFile);
  std::string tampered = kFile;
  tampered[tampered.find("443")] = '8';  // port 443 becomes 843
  expect_error(verify_signature(tampered, der, trust), "signature does not match the file");
  // A trailing newline is a different file too: the signature covers the exact bytes.
  expect_error(verify_signature(kFile + "\n", der, trust), "signature does not match the file");
}

TEST(Signature, UntrustedSignerIsRefusedWithOpenSslsReason) {
  const TrustStore trust = test_ca();
  expect_error(verify_signature(kFile, sign(kFile, "other-signer"), trust),
               "signer certificate not trusted: unable to get local issuer certificate");
  // With no anchors at all, the message says how to give some.
  const TrustStore nobody;
  EXPECT_TRUE(nobody.empty());
  expect_error(verify_signature(kFile, sign(kFile), nobody), "no trust anchors given");
  // Trusting the other root is enough for the other signer, and not for ours.
  auto other = TrustStore::load({.ca_file = pki_path("other-ca.pem")});
  ASSERT_TRUE(other) << other.error();
  EXPECT_TRUE(verify_signature(kFile, sign(kFile, "other-signer"), *other));
  expect_error(verify_signature(kFile, sign(kFile), *other), "signer certificate not trusted");
}

TEST(Signature, AnyGivenCertificateIsAnAnchor) {
  // Pinning the signer's own certificate (or a vendor intermediate) is enough.
  auto pinned = TrustStore::load({.ca_file = pki_path("signer.pem")});
  ASSERT_TRUE(pinned) << pinned.error();
  EXPECT_TRUE(verify_signature(kFile, sign(kFile), *pinned));
  expect_error(verify_signature(kFile, sign(kFile, "other-signer"), *pinned), "not trusted");
}

TEST(Signature, NotASignature) {
  const TrustStore trust = test_ca();
  expect_error(verify_signature(kFile, "", trust), "empty");
  expect_error(verify_signature(kFile, "hello, I am a signature", trust), "not a CMS signature");
  expect_error(verify_signature(kFile, kFile, trust), "not a CMS signature");
  expect_error(verify_signature(kFile, "-----BEGIN CMS-----\n!!!\n-----END CMS-----\n", trust),
               "not a CMS signature");
  // A truncated DER signature.
  const std::string der = sign(kFile);
  expect_error(verify_signature(kFile, der.substr(0, der.size() / 2), trust),
               "not a CMS signature");
  expect_error(verify_signature(kFile, std::string(kMaxSignatureBytes + 1, '\x30'), trust),
               "larger than the 256 KiB limit");
}

TEST(Signature, AttachedSignatureIsRefused) {
  const TrustStore trust = test_ca();
  expect_error(verify_signature(kFile, sign(kFile, "signer", false, /*detached=*/false), trust),
               "not detached");
}

TEST(Signature, TrustStoreErrorsNameThePath) {
  auto r = TrustStore::load({.ca_file = "/nonexistent/ca.pem"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("cannot load CA file /nonexistent/ca.pem: No such file or directory"),
            std::string::npos)
      << r.error();
  auto d = TrustStore::load({.ca_dir = "/nonexistent/dir"});
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("/nonexistent/dir"), std::string::npos) << d.error();
  // PEM text in memory works like a file.
  auto pem = TrustStore::load({.ca_pem = testing::read_text(pki_path("ca.pem"))});
  ASSERT_TRUE(pem) << pem.error();
  EXPECT_TRUE(verify_signature(kFile, sign(kFile), *pem));
  EXPECT_FALSE(TrustStore::load({.ca_pem = "not a certificate"}));
  // A file that holds no certificate is not a CA file.
  auto k = TrustStore::load({.ca_file = pki_path("README.md")});
  EXPECT_FALSE(k);
}

// The fuzz target's seeds (fuzz/corpus/mud_signature) must reach the checks they were made
// for, or the fuzzer starts at "not a CMS signature" every time.
TEST(Signature, FuzzSeedsReachTheirChecks) {
  const TrustStore trust = test_ca();
  const std::string content =
      "{\"ietf-mud:mud\": {\"mud-url\": \"https://mud.example.com/fuzz.json\"}}\n";
  auto seed = [](const std::string& name) {
    return testing::read_text(std::string(WARDEN_SOURCE_DIR) + "/fuzz/corpus/mud_signature/" +
                              name);
  };
  for (const char* good : {"good.der", "good.pem", "noattr.der"})
    EXPECT_TRUE(verify_signature(content, seed(good), trust)) << good;
  expect_error(verify_signature(content, seed("untrusted.der"), trust), "not trusted");
  expect_error(verify_signature(content, seed("attached.der"), trust), "not detached");
  expect_error(verify_signature(content, seed("nocerts.der"), trust), "signer's certificate");
  expect_error(verify_signature(content, seed("other_content.der"), trust), "does not match");
  expect_error(verify_signature(content, seed("enveloped.der"), trust), "not SignedData");
  // A digest algorithm OpenSSL does not know (it leaked memory in OpenSSL 3.0's CMS_verify
  // until the content BIO was wrapped; the asan preset replays it with leak checking).
  auto unknown = verify_signature(content, seed("unknown_digest.der"), trust);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("signature verification failed"), std::string::npos)
      << unknown.error();
}

}  // namespace
}  // namespace warden::mud
