// The pure half of the TLS assessment: suite rating, certificate facts from real DER (the fuzz
// seed corpus, made with the openssl CLI) and the judgement of a probe into findings.
#include "scan/tls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace warden::scan {
namespace {

using Level = SuiteRating::Level;

TEST(RateSuite, ModernSuitesAreNotWeak) {
  for (const char* s :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_8_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"}) {
    SuiteRating r = rate_suite(s);
    EXPECT_EQ(r.level, Level::ok) << s << ": " << r.reasons;
    EXPECT_TRUE(r.forward_secrecy) << s;
  }
}

TEST(RateSuite, CbcSha1UnderEphemeralKeyExchangeIsOnlyANote) {
  for (const char* s : {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
                        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"}) {
    SuiteRating r = rate_suite(s);
    EXPECT_EQ(r.level, Level::note) << s;
    EXPECT_TRUE(r.forward_secrecy) << s;
  }
  // CBC with SHA-256 under ECDHE: nothing to say.
  EXPECT_EQ(rate_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256").level, Level::ok);
}

TEST(RateSuite, StaticKeyExchangeIsWeak) {
  SuiteRating r = rate_suite("TLS_RSA_WITH_AES_128_CBC_SHA");
  EXPECT_EQ(r.level, Level::weak);
  EXPECT_FALSE(r.forward_secrecy);
  EXPECT_NE(r.reasons.find("static RSA"), std::string::npos);
  EXPECT_EQ(rate_suite("TLS_RSA_WITH_AES_256_GCM_SHA384").level, Level::weak);
  EXPECT_EQ(rate_suite("TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256").level, Level::weak);
  EXPECT_EQ(rate_suite("TLS_DH_RSA_WITH_AES_128_CBC_SHA").level, Level::weak);
  EXPECT_EQ(rate_suite("TLS_PSK_WITH_AES_128_GCM_SHA256").level, Level::weak);
  EXPECT_EQ(rate_suite("TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256").level, Level::ok);
}

TEST(RateSuite, BrokenSuites) {
  for (const char* s :
       {"TLS_RSA_WITH_NULL_SHA256", "TLS_ECDHE_RSA_WITH_NULL_SHA", "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_DH_anon_WITH_AES_128_CBC_SHA", "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_DES_CBC_SHA", "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "TLS_SHA256_SHA256",
        "SSL_RSA_WITH_RC4_128_MD5"}) {
    EXPECT_EQ(rate_suite(s).level, Level::broken) << s;
  }
  SuiteRating r = rate_suite("TLS_DH_anon_WITH_AES_128_CBC_SHA");
  EXPECT_NE(r.reasons.find("anonymous"), std::string::npos);
}

TEST(RateSuite, ThreeDesAndMd5AreWeak) {
  SuiteRating r = rate_suite("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA");
  EXPECT_EQ(r.level, Level::weak);
  EXPECT_NE(r.reasons.find("3DES"), std::string::npos);
  EXPECT_EQ(rate_suite("TLS_DHE_RSA_WITH_AES_128_CBC_MD5").level, Level::weak);
}

std::string read_seed(const char* name) {
  std::string path = std::string(WARDEN_SOURCE_DIR) + "/fuzz/corpus/tls_cert/" + name;
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ParseResult<CertFacts> facts_of(const char* seed) {
  std::string der = read_seed(seed);
  return analyse_certificate_der(Bytes(reinterpret_cast<const std::byte*>(der.data()), der.size()));
}

// After the seeds were made (2026-12-02) and before the shortest-lived one expires (365 days).
constexpr std::int64_t kNow = 1811808000;  // 2027-06-01

TEST(Certificate, BenchShapeRsa1024Sha1SelfSigned) {
  auto f = facts_of("rsa1024-sha1-selfsigned.der");
  ASSERT_TRUE(f) << f.error().reason;
  EXPECT_EQ(f->key_type, "RSA");
  EXPECT_EQ(f->key_bits, 1024);
  EXPECT_EQ(f->signature, "sha1WithRSAEncryption");
  EXPECT_EQ(f->signature_md, "sha1");
  EXPECT_EQ(f->common_name, "IPC");
  EXPECT_TRUE(f->self_issued);
  EXPECT_TRUE(f->self_signed);
  EXPECT_EQ(f->spki_sha256.size(), 64u);
  HostReport h;
  report_certificate(*f, 443, kNow, h);
  EXPECT_TRUE(h.has("tls.weak_key"));
  EXPECT_TRUE(h.has("tls.weak_signature"));
  EXPECT_TRUE(h.has("tls.self_signed"));
  EXPECT_FALSE(h.has("tls.expired"));
  ASSERT_EQ(h.keys.size(), 1u);
  EXPECT_EQ(h.keys[0].kind, "tls-key");
  EXPECT_EQ(h.keys[0].description, "RSA 1024");
  EXPECT_EQ(h.keys[0].port, 443);
  // The same key seen again on the port is one fingerprint.
  report_certificate(*f, 443, kNow, h);
  EXPECT_EQ(h.keys.size(), 1u);
}

TEST(Certificate, EcP256Sha256WithAltNames) {
  auto f = facts_of("ec-p256-sha256-san.der");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->key_type, "EC");
  EXPECT_EQ(f->key_bits, 256);
  EXPECT_EQ(f->curve, "prime256v1");
  EXPECT_EQ(f->signature_md, "sha256");
  ASSERT_EQ(f->alt_names.size(), 3u);
  EXPECT_EQ(f->alt_names[0], "DNS:cam.local");
  EXPECT_EQ(f->alt_names[1], "IP:192.168.1.20");
  EXPECT_EQ(f->alt_names[2], "IP:fe80:0:0:0:0:0:0:1");
  HostReport h;
  report_certificate(*f, 8883, kNow, h);
  ASSERT_EQ(h.findings.size(), 1u);  // only: self-signed, low
  EXPECT_EQ(h.findings[0].kind->id, "tls.self_signed");
  EXPECT_EQ(h.findings[0].severity, Severity::low);
  EXPECT_NE(h.findings[0].evidence.find("cam.local"), std::string::npos);
}

TEST(Certificate, Ed25519IsNotAWeakKey) {
  auto f = facts_of("ed25519-selfsigned.der");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->key_type, "ED25519");
  HostReport h;
  report_certificate(*f, 443, kNow, h);
  EXPECT_FALSE(h.has("tls.weak_key"));
  EXPECT_FALSE(h.has("tls.weak_signature"));
}

TEST(Certificate, Md5SignedByACaIsWeakButNotSelfSigned) {
  auto f = facts_of("rsa2048-md5-ca-issued.der");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->signature_md, "md5");
  EXPECT_FALSE(f->self_issued);
  HostReport h;
  report_certificate(*f, 443, kNow, h);
  ASSERT_TRUE(h.has("tls.weak_signature"));
  EXPECT_EQ(h.findings[0].severity, Severity::high);
  EXPECT_FALSE(h.has("tls.self_signed"));
  EXPECT_FALSE(h.has("tls.weak_key"));
}

TEST(Certificate, ExpiredAndNotYetValid) {
  auto f = facts_of("rsa2048-expired-2021.der");
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->validity_parsed);
  HostReport h;
  report_certificate(*f, 443, kNow, h);
  ASSERT_TRUE(h.has("tls.expired"));
  EXPECT_NE(h.findings.back().evidence.find("2021-01-01"), std::string::npos);
  HostReport early;
  report_certificate(*f, 443, f->not_before - 86400, early);
  EXPECT_NE(early.findings.back().evidence.find("not valid before"), std::string::npos);
}

TEST(Certificate, GarbageIsAParseError) {
  EXPECT_FALSE(analyse_certificate_der(Bytes()));
  std::string truncated = read_seed("truncated.der");
  EXPECT_FALSE(analyse_certificate_der(
      Bytes(reinterpret_cast<const std::byte*>(truncated.data()), truncated.size())));
}

TlsProbe weak_probe() {
  TlsProbe p;
  p.tested = {TlsVersion::tls1_0, TlsVersion::tls1_1, TlsVersion::tls1_2, TlsVersion::tls1_3};
  p.accepted.push_back(TlsVersionResult{
      TlsVersion::tls1_0, {"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"}});
  p.min_dh_bits = 1024;
  p.dh_suite = "TLS_DHE_RSA_WITH_AES_128_CBC_SHA";
  return p;
}

TEST(ReportTls, Tls1OnlyServerLikeTheBench) {
  HostReport h;
  report_tls(weak_probe(), 443, kNow, h);
  EXPECT_TRUE(h.has("tls.old_version"));
  EXPECT_TRUE(h.has("tls.no_modern_version"));
  EXPECT_TRUE(h.has("tls.weak_cipher"));
  EXPECT_TRUE(h.has("tls.weak_dh"));
  for (const auto& f : h.findings) {
    EXPECT_EQ(f.port, 443);
    if (f.kind->id == "tls.weak_cipher") {
      // static RSA is weak; DHE-RSA CBC-SHA1 is not listed
      EXPECT_NE(f.evidence.find("TLS_RSA_WITH_AES_128_CBC_SHA"), std::string::npos);
      EXPECT_EQ(f.evidence.find("TLS_DHE_RSA"), std::string::npos);
      EXPECT_EQ(f.severity, Severity::medium);
    }
    if (f.kind->id == "tls.old_version") {
      EXPECT_NE(f.evidence.find("TLS 1.0"), std::string::npos);
    }
  }
}

TEST(ReportTls, ModernServerHasNoFindings) {
  TlsProbe p;
  p.accepted.push_back(TlsVersionResult{
      TlsVersion::tls1_2,
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}});
  p.accepted.push_back(TlsVersionResult{TlsVersion::tls1_3, {"TLS_AES_256_GCM_SHA384"}});
  HostReport h;
  report_tls(p, 443, kNow, h);
  EXPECT_TRUE(h.findings.empty());
  // Nothing accepted: nothing said (the port may simply not speak TLS).
  HostReport none;
  report_tls(TlsProbe{}, 443, kNow, none);
  EXPECT_TRUE(none.findings.empty());
}

TEST(ReportTls, BrokenSuiteRaisesSeverity) {
  TlsProbe p;
  p.accepted.push_back(TlsVersionResult{
      TlsVersion::tls1_2, {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_NULL_SHA256"}});
  HostReport h;
  report_tls(p, 443, kNow, h);
  ASSERT_TRUE(h.has("tls.weak_cipher"));
  EXPECT_EQ(h.findings[0].severity, Severity::high);
  EXPECT_FALSE(h.has("tls.old_version"));
  EXPECT_FALSE(h.has("tls.no_modern_version"));
}

TEST(ReportTls, DescribeSuitesIsBounded) {
  TlsProbe p = weak_probe();
  for (int i = 0; i < 100; ++i) p.accepted[0].suites.push_back("TLS_RSA_WITH_AES_256_CBC_SHA");
  EXPECT_LE(describe_suites(p, 200).size(), 200u);
}

}  // namespace
}  // namespace warden::scan
