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

TEST(LegacyHello, ClientHelloIsWellFormed) {
  std::vector<std::uint16_t> suites{0x0004, 0x0005};
  std::string h = build_client_hello(0x0301, suites);
  ASSERT_GE(h.size(), 9u);
  auto u8 = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(h[i])); };
  EXPECT_EQ(u8(0), 0x16u);
  EXPECT_EQ((u8(1) << 8) | u8(2), 0x0301u);
  EXPECT_EQ((u8(3) << 8) | u8(4), h.size() - 5);                  // record length
  EXPECT_EQ(u8(5), 1u);                                           // client_hello
  EXPECT_EQ((u8(6) << 16) | (u8(7) << 8) | u8(8), h.size() - 9);  // handshake length
  EXPECT_EQ((u8(9) << 8) | u8(10), 0x0301u);                      // client_version
  EXPECT_EQ(u8(43), 0u);                                          // session id length
  EXPECT_EQ((u8(44) << 8) | u8(45), 4u);                          // suites length
  EXPECT_EQ((u8(46) << 8) | u8(47), 0x0004u);
  // SSLv3 hellos carry no extensions.
  std::string v3 = build_client_hello(0x0300, suites);
  EXPECT_EQ(v3.size(), h.size() - 7);
}

std::string server_hello(std::uint16_t version, std::uint16_t suite, std::uint8_t sid_len = 0) {
  std::string body;
  body.push_back(static_cast<char>(version >> 8));
  body.push_back(static_cast<char>(version & 0xff));
  body.append(32, 'r');
  body.push_back(static_cast<char>(sid_len));
  body.append(sid_len, 's');
  body.push_back(static_cast<char>(suite >> 8));
  body.push_back(static_cast<char>(suite & 0xff));
  body.push_back(0);
  std::string hs{"\x02\x00", 2};
  hs.push_back(static_cast<char>(body.size() >> 8));
  hs.push_back(static_cast<char>(body.size() & 0xff));
  hs += body;
  std::string rec{"\x16\x03\x01", 3};
  rec.push_back(static_cast<char>(hs.size() >> 8));
  rec.push_back(static_cast<char>(hs.size() & 0xff));
  return rec + hs;
}

HelloReply parse(std::string_view s) { return parse_server_hello(as_bytes(s)); }

TEST(LegacyHello, ServerHelloAnswers) {
  std::string sh = server_hello(0x0300, 0x0005, 32);
  HelloReply r = parse(sh);
  ASSERT_EQ(r.kind, HelloReply::Kind::server_hello);
  EXPECT_EQ(r.version, 0x0300);
  EXPECT_EQ(r.suite, 0x0005);
  // Every proper prefix asks for more; an alert or junk is a refusal.
  for (std::size_t n = 0; n < sh.size() - 3; ++n) {
    EXPECT_EQ(parse(std::string_view(sh).substr(0, n)).kind, HelloReply::Kind::need_more) << n;
  }
  EXPECT_EQ(parse(std::string("\x15\x03\x01\x00\x02\x02\x28", 7)).kind, HelloReply::Kind::refused);
  EXPECT_EQ(parse("HTTP/1.1 400 Bad Request\r\n").kind, HelloReply::Kind::refused);
  std::string bad_sid = server_hello(0x0301, 0x0005, 33);
  EXPECT_EQ(parse(bad_sid).kind, HelloReply::Kind::refused);
  EXPECT_EQ(legacy_suite_name(0x0005), "TLS_RSA_WITH_RC4_128_SHA");
  EXPECT_EQ(legacy_suite_name(0x1301), "");
  for (const auto& s : legacy_suites(false)) {
    EXPECT_GE(rate_suite(s.name).level, Level::weak) << s.name;
  }
}

}  // namespace
}  // namespace warden::scan
