#include "scan/tls.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace warden::scan {

const char* tls_version_name(TlsVersion v) {
  switch (v) {
    case TlsVersion::ssl3:
      return "SSLv3";
    case TlsVersion::tls1_0:
      return "TLS 1.0";
    case TlsVersion::tls1_1:
      return "TLS 1.1";
    case TlsVersion::tls1_2:
      return "TLS 1.2";
    case TlsVersion::tls1_3:
      return "TLS 1.3";
  }
  return "?";
}

bool tls_version_obsolete(TlsVersion v) {
  return v == TlsVersion::ssl3 || v == TlsVersion::tls1_0 || v == TlsVersion::tls1_1;
}

namespace {

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

void raise(SuiteRating& r, SuiteRating::Level level, std::string_view reason) {
  if (level > r.level) r.level = level;
  if (!r.reasons.empty()) r.reasons += ", ";
  r.reasons += reason;
}

}  // namespace

SuiteRating rate_suite(std::string_view name) {
  SuiteRating r;
  if (starts_with(name, "TLS_") || starts_with(name, "SSL_")) name.remove_prefix(4);
  auto with = name.find("_WITH_");
  if (with == std::string_view::npos) {
    // TLS 1.3 suites name only the AEAD and the hash: key exchange is always ephemeral. The
    // integrity-only suites of RFC 9150 ("TLS_SHA256_SHA256") encrypt nothing.
    r.forward_secrecy = true;
    if (!contains(name, "GCM") && !contains(name, "CCM") && !contains(name, "POLY1305")) {
      raise(r, SuiteRating::Level::broken, "no encryption (integrity only)");
    }
    return r;
  }
  std::string_view kx = name.substr(0, with);
  std::string_view cipher = name.substr(with + 6);

  // Key exchange and authentication.
  if (contains(kx, "anon")) {
    raise(r, SuiteRating::Level::broken, "anonymous key exchange (no server authentication)");
  }
  if (contains(kx, "EXPORT")) raise(r, SuiteRating::Level::broken, "export-grade");
  r.forward_secrecy = starts_with(kx, "DHE_") || starts_with(kx, "ECDHE_") ||
                      starts_with(kx, "DH_anon") || starts_with(kx, "ECDH_anon") ||
                      starts_with(kx, "SRP_");
  if (!r.forward_secrecy) {
    // Whoever records the traffic and later obtains the server's key (or the PSK) decrypts
    // all of it: for a device that never rotates its key that is its whole life.
    if (starts_with(kx, "RSA")) {
      raise(r, SuiteRating::Level::weak, "static RSA key exchange (no forward secrecy)");
    } else if (starts_with(kx, "DH_") || starts_with(kx, "ECDH_")) {
      raise(r, SuiteRating::Level::weak, "static DH key exchange (no forward secrecy)");
    } else if (starts_with(kx, "PSK")) {
      raise(r, SuiteRating::Level::weak, "PSK key exchange without DHE (no forward secrecy)");
    } else {
      raise(r, SuiteRating::Level::weak, "no forward secrecy");
    }
  }

  // Bulk cipher and MAC.
  if (starts_with(cipher, "NULL"))
    raise(r, SuiteRating::Level::broken, "NULL cipher (no encryption)");
  if (contains(cipher, "RC4")) raise(r, SuiteRating::Level::broken, "RC4");
  if (contains(cipher, "RC2")) raise(r, SuiteRating::Level::broken, "RC2");
  if (contains(cipher, "3DES")) {
    raise(r, SuiteRating::Level::weak, "3DES (64-bit block, Sweet32)");
  } else if (contains(cipher, "DES")) {
    raise(r, SuiteRating::Level::broken, "single DES (56-bit key)");
  }
  if (contains(cipher, "IDEA")) raise(r, SuiteRating::Level::weak, "IDEA (64-bit block)");
  if (ends_with(cipher, "_MD5")) raise(r, SuiteRating::Level::weak, "MD5 MAC");
  if (r.level == SuiteRating::Level::ok && contains(cipher, "CBC") && ends_with(cipher, "_SHA")) {
    raise(r, SuiteRating::Level::note, "CBC with HMAC-SHA1");
  }
  return r;
}

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// Certificate text is chosen by whoever made the certificate: keep it printable and short
// before it reaches reports, terminals and HTML.
std::string printable(const unsigned char* data, std::size_t len, std::size_t max = 200) {
  std::string out;
  for (std::size_t i = 0; i < len && out.size() < max; ++i) {
    unsigned char c = data[i];
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

std::string name_line(const X509_NAME* name) {
  if (name == nullptr) return {};
  char buf[256];
  if (X509_NAME_oneline(name, buf, sizeof buf) == nullptr) return {};
  return printable(reinterpret_cast<const unsigned char*>(buf), std::strlen(buf));
}

std::string common_name(const X509_NAME* name) {
  if (name == nullptr) return {};
  int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  if (s == nullptr) return {};
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0 || utf8 == nullptr) return {};
  std::string out = printable(utf8, static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> alt_names(const X509* cert) {
  std::vector<std::string> out;
  auto* gens =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (gens == nullptr) return out;
  int n = sk_GENERAL_NAME_num(gens);
  for (int i = 0; i < n && out.size() < CertFacts::kMaxAltNames; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    if (g->type == GEN_DNS && g->d.dNSName != nullptr) {
      out.push_back("DNS:" + printable(ASN1_STRING_get0_data(g->d.dNSName),
                                       static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName))));
    } else if (g->type == GEN_IPADD && g->d.iPAddress != nullptr) {
      const unsigned char* ip = ASN1_STRING_get0_data(g->d.iPAddress);
      int len = ASN1_STRING_length(g->d.iPAddress);
      char buf[64];
      if (len == 4) {
        std::snprintf(buf, sizeof buf, "IP:%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
        out.emplace_back(buf);
      } else if (len == 16) {
        std::string s = "IP:";
        for (int k = 0; k < 16; k += 2) {
          std::snprintf(buf, sizeof buf, "%s%x", k ? ":" : "", (ip[k] << 8) | ip[k + 1]);
          s += buf;
        }
        out.push_back(std::move(s));
      }
    }
  }
  GENERAL_NAMES_free(gens);
  return out;
}

bool to_unix(const ASN1_TIME* t, std::int64_t& out) {
  if (t == nullptr) return false;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return false;
  out = static_cast<std::int64_t>(timegm(&tm));
  return true;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

std::string spki_sha256(X509* cert) {
  X509_PUBKEY* pk = X509_get_X509_PUBKEY(cert);
  if (pk == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(pk, &der);
  if (len <= 0 || der == nullptr) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  bool ok = EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  return ok ? hex(md, md_len) : std::string();
}

void key_facts(X509* cert, CertFacts& f) {
  EVP_PKEY* key = X509_get0_pubkey(cert);  // borrowed; null for keys this OpenSSL cannot decode
  if (key == nullptr) {
    f.key_type = "?";
    return;
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      f.key_type = "RSA";
      break;
    case EVP_PKEY_RSA_PSS:
      f.key_type = "RSA-PSS";
      break;
    case EVP_PKEY_DSA:
      f.key_type = "DSA";
      break;
    case EVP_PKEY_EC: {
      f.key_type = "EC";
      char group[64];
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
        f.curve = printable(reinterpret_cast<const unsigned char*>(group), len);
      }
      break;
    }
    case EVP_PKEY_ED25519:
      f.key_type = "ED25519";
      break;
    case EVP_PKEY_ED448:
      f.key_type = "ED448";
      break;
    default: {
      const char* t = EVP_PKEY_get0_type_name(key);
      f.key_type =
          t ? printable(reinterpret_cast<const unsigned char*>(t), std::strlen(t), 32) : "?";
    }
  }
  f.key_bits = EVP_PKEY_get_bits(key);
}

void signature_facts(const X509* cert, CertFacts& f) {
  int sig_nid = X509_get_signature_nid(cert);
  const char* ln = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : nullptr;
  f.signature = ln ? ln : "?";
  int md_nid = NID_undef, pk_nid = NID_undef;
  // X509_get_signature_info also resolves RSA-PSS parameters; the OID table is the fallback.
  if (X509_get_signature_info(const_cast<X509*>(cert), &md_nid, &pk_nid, nullptr, nullptr) != 1 ||
      md_nid == NID_undef) {
    if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1) md_nid = NID_undef;
  }
  if (md_nid != NID_undef) {
    const char* md = OBJ_nid2ln(md_nid);
    if (md != nullptr) f.signature_md = md;
  }
}

}  // namespace

ParseResult<CertFacts> analyse_certificate_der(Bytes der) {
  // A certificate chain entry is at most 2^24 bytes on the wire; a leaf over 64 KiB is not a
  // certificate worth analysing and would only cost time.
  if (der.empty()) return parse_error("empty certificate", 0);
  if (der.size() > 64 * 1024) return parse_error("certificate larger than 64 KiB", 64 * 1024);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return parse_error("not a DER X.509 certificate", 0);
  CertFacts f;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const X509_NAME* issuer = X509_get_issuer_name(cert.get());
  f.subject = name_line(subject);
  f.issuer = name_line(issuer);
  f.common_name = common_name(subject);
  f.alt_names = alt_names(cert.get());
  key_facts(cert.get(), f);
  signature_facts(cert.get(), f);
  f.self_issued = subject != nullptr && issuer != nullptr && X509_NAME_cmp(subject, issuer) == 0;
  if (f.self_issued) {
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    f.self_signed = key != nullptr && X509_verify(cert.get(), key) == 1;
  }
  f.validity_parsed = to_unix(X509_get0_notBefore(cert.get()), f.not_before) &&
                      to_unix(X509_get0_notAfter(cert.get()), f.not_after);
  f.spki_sha256 = spki_sha256(cert.get());
  return f;
}

namespace {

std::string date(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string who(const CertFacts& c) {
  std::string s = c.common_name.empty() ? c.subject : "CN=" + c.common_name;
  if (!c.alt_names.empty()) {
    s += " (SAN ";
    for (std::size_t i = 0; i < c.alt_names.size(); ++i) s += (i ? ", " : "") + c.alt_names[i];
    s += ")";
  }
  return s;
}

std::string key_description(const CertFacts& c) {
  std::string s = c.key_type + " " + std::to_string(c.key_bits);
  if (!c.curve.empty()) s += " " + c.curve;
  return s;
}

std::string bounded(std::string s, std::size_t max) {
  if (s.size() > max) {
    s.resize(max - 3);
    s += "...";
  }
  return s;
}

}  // namespace

void report_certificate(const CertFacts& c, std::uint16_t port, std::int64_t now,
                        HostReport& host) {
  const std::string subject = who(c);
  bool ec = c.key_type == "EC";
  bool rsa_like = c.key_type == "RSA" || c.key_type == "RSA-PSS" || c.key_type == "DSA";
  // Ed25519/Ed448 report 253/456 bits and are strong; unknown types are not judged.
  if ((rsa_like && c.key_bits < 2048) || (ec && c.key_bits < 256)) {
    auto& f = host.add("tls.weak_key", bounded(key_description(c) + " key, " + subject, 300), port);
    // Anything under 1024 bits (RSA-512, 768) has been factored publicly.
    if (rsa_like && c.key_bits < 1024) f.severity = Severity::critical;
  }
  if (c.signature_md == "sha1" || c.signature_md == "md5" || c.signature_md == "md4" ||
      c.signature_md == "md2" || c.signature_md == "md5-sha1") {
    auto& f = host.add("tls.weak_signature", bounded(c.signature + ", " + subject, 300), port);
    if (c.signature_md != "sha1") f.severity = Severity::high;  // MD5 collisions are practical
  }
  if (c.self_signed) {
    std::string ev = "subject = issuer = " + c.subject;
    if (!c.alt_names.empty()) ev += ", " + who(c);
    host.add("tls.self_signed", bounded(std::move(ev), 300), port);
  }
  if (c.validity_parsed) {
    if (now > c.not_after) {
      host.add("tls.expired", bounded("expired on " + date(c.not_after) + ", " + subject, 300),
               port);
    } else if (now < c.not_before) {
      host.add("tls.expired",
               bounded("not valid before " + date(c.not_before) + ", " + subject, 300), port);
    }
  }
  if (!c.spki_sha256.empty()) {
    bool seen = std::any_of(host.keys.begin(), host.keys.end(), [&](const KeyFingerprint& k) {
      return k.kind == "tls-key" && k.port == port && k.sha256 == c.spki_sha256;
    });
    if (!seen)
      host.keys.push_back(KeyFingerprint{"tls-key", port, c.spki_sha256, key_description(c)});
  }
}

std::string describe_suites(const TlsProbe& probe, std::size_t max) {
  std::string s;
  for (const auto& v : probe.accepted) {
    if (!s.empty()) s += "; ";
    s += tls_version_name(v.version);
    s += ": ";
    for (std::size_t i = 0; i < v.suites.size(); ++i) s += (i ? ", " : "") + v.suites[i];
    if (!v.enumeration_complete) s += ", ... (not enumerated to the end)";
  }
  return bounded(std::move(s), max);
}

void report_tls(const TlsProbe& probe, std::uint16_t port, std::int64_t now, HostReport& host) {
  if (probe.accepted.empty()) return;
  std::string versions;
  std::string old;
  bool modern = false;
  for (const auto& v : probe.accepted) {
    versions += (versions.empty() ? "" : ", ") + std::string(tls_version_name(v.version));
    if (tls_version_obsolete(v.version)) {
      old += (old.empty() ? "" : ", ") + std::string(tls_version_name(v.version));
    }
    if (v.version == TlsVersion::tls1_2 || v.version == TlsVersion::tls1_3) modern = true;
  }
  if (!old.empty()) {
    host.add("tls.old_version",
             bounded("accepts " + old + " [" + describe_suites(probe, 400) + "]", 500), port);
  }
  if (!modern) {
    // probe.accepted is in ascending order: the last entry is the best the server offers.
    host.add("tls.no_modern_version",
             std::string("best version offered: ") +
                 tls_version_name(probe.accepted.back().version) + " (accepted: " + versions + ")",
             port);
  }

  // One finding per port listing every weak suite (once, with the versions it was accepted
  // under): a report reader acts on the server's configuration, not on each suite.
  struct Weak {
    std::string suite, reasons, versions;
  };
  std::vector<Weak> weak;
  bool broken = false;
  for (const auto& v : probe.accepted) {
    for (const auto& s : v.suites) {
      SuiteRating r = rate_suite(s);
      if (r.level < SuiteRating::Level::weak) continue;
      broken = broken || r.level == SuiteRating::Level::broken;
      auto it = std::find_if(weak.begin(), weak.end(), [&](const Weak& w) { return w.suite == s; });
      if (it == weak.end()) {
        weak.push_back(Weak{s, r.reasons, tls_version_name(v.version)});
      } else {
        it->versions += std::string("/") + tls_version_name(v.version);
      }
    }
  }
  if (!weak.empty()) {
    std::string ev;
    for (const auto& w : weak) {
      ev += (ev.empty() ? "" : "; ") + w.suite + " (" + w.versions + "): " + w.reasons;
    }
    auto& f = host.add("tls.weak_cipher", bounded(std::move(ev), 600), port);
    if (broken) f.severity = Severity::high;
  }

  if (probe.min_dh_bits > 0 && probe.min_dh_bits < 2048) {
    auto& f = host.add(
        "tls.weak_dh",
        "DHE group of " + std::to_string(probe.min_dh_bits) + " bits (" + probe.dh_suite + ")",
        port);
    // Under 1024 bits (export-grade 512, Logjam) the group can be broken by precomputation.
    if (probe.min_dh_bits < 1024) f.severity = Severity::high;
  }
  for (const auto& c : probe.certificates) report_certificate(c, port, now, host);
}

namespace {

// IANA registry ids. Export and anonymous suites are included: a server that accepts them is
// exactly what the probe is for.
constexpr LegacySuite kLegacy[] = {
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
    {0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
    // The common suites of SSLv3's time, offered only under SSLv3.
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
};
constexpr std::size_t kLegacyOnly = 16;  // the first 16: what OpenSSL cannot offer

void put16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

std::span<const LegacySuite> legacy_suites(bool with_common) {
  return std::span<const LegacySuite>(kLegacy, with_common ? std::size(kLegacy) : kLegacyOnly);
}

std::string_view legacy_suite_name(std::uint16_t id) {
  for (const auto& s : kLegacy) {
    if (s.id == id) return s.name;
  }
  return {};
}

std::string build_client_hello(std::uint16_t wire_version, std::span<const std::uint16_t> suites) {
  std::string body;
  put16(body, wire_version);
  // The random need not be unpredictable: the handshake is abandoned after the ServerHello.
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<char>(0x5a ^ i));
  body.push_back(0);  // no session id
  put16(body, suites.size() * 2);
  for (auto id : suites) put16(body, id);
  body += std::string("\x01\x00", 2);  // compression: null only
  if (wire_version > 0x0300) {
    // renegotiation_info, empty (RFC 5746): some stacks reject hellos without it.
    body += std::string("\x00\x05\xff\x01\x00\x01\x00", 7);
  }
  std::string hs;
  hs.push_back(1);  // client_hello
  hs.push_back(static_cast<char>((body.size() >> 16) & 0xff));
  put16(hs, body.size() & 0xffff);
  hs += body;
  std::string record;
  record.push_back(0x16);
  // Record version 1.0 for every TLS hello (what real clients send; some servers reject more).
  put16(record, wire_version == 0x0300 ? 0x0300 : 0x0301);
  put16(record, hs.size());
  record += hs;
  return record;
}

HelloReply parse_server_hello(Bytes data) {
  HelloReply r;
  ByteReader rd(data);
  auto type = rd.u8();
  auto rec_version = rd.be16();
  auto rec_len = rd.be16();
  if (!type || !rec_version || !rec_len) return r;  // need_more
  if (*type != 0x16 || (*rec_version >> 8) != 3 || *rec_len == 0 || *rec_len > 16384 + 2048) {
    r.kind = HelloReply::Kind::refused;  // an alert (0x15), SSLv2, or not TLS at all
    return r;
  }
  auto record = rd.bytes(*rec_len);
  if (!record) return r;  // need_more
  ByteReader hs(*record);
  auto hs_type = hs.u8();
  auto hs_len = hs.be24();
  auto version = hs.be16();
  bool random = hs.skip(32);
  auto sid_len = hs.u8();
  r.kind = HelloReply::Kind::refused;
  // The ServerHello must fit its first record: servers send it whole, and a fragmented one is
  // not worth reassembling for a yes/no answer.
  if (!hs_type || *hs_type != 2 || !hs_len || !version || !random || !sid_len || *sid_len > 32 ||
      !hs.skip(*sid_len)) {
    return r;
  }
  auto suite = hs.be16();
  if (!suite) return r;
  r.kind = HelloReply::Kind::server_hello;
  r.version = *version;
  r.suite = *suite;
  return r;
}

}  // namespace warden::scan
