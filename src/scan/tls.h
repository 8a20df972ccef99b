// TLS posture assessment, the pure half: what a probe of one port saw (versions, the suites the
// server accepted under each, its certificates, its ephemeral DH size) as plain data, and the
// judgement of those facts into catalogue findings. The network half (tls_check.cc) fills a
// TlsProbe with real handshakes; everything here runs without a socket, so the rules are unit
// tested and the certificate analysis of untrusted DER is fuzzed (fuzz/tls_cert_fuzz.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "scan/model.h"

namespace warden::scan {

enum class TlsVersion : std::uint8_t { ssl3, tls1_0, tls1_1, tls1_2, tls1_3 };
const char* tls_version_name(TlsVersion v);  // "SSLv3", "TLS 1.0", ...
// Obsolete: SSLv3, TLS 1.0 and TLS 1.1 (RFC 8996 deprecates the last two).
bool tls_version_obsolete(TlsVersion v);

// How bad a cipher suite is. `broken`: no confidentiality or authentication worth the name
// (NULL, export, anonymous, RC4, single DES, RC2); `weak`: sound primitives used in a way that
// costs security (static RSA/DH key exchange without forward secrecy, 3DES's 64-bit blocks,
// MD5 MAC). `note` marks what is merely dated (CBC with HMAC-SHA1 under ECDHE/DHE) and is not a
// finding: those suites are still safe with the TLS 1.1+ record layer and encrypt-then-MAC.
struct SuiteRating {
  enum class Level : std::uint8_t { ok, note, weak, broken };
  Level level = Level::ok;
  bool forward_secrecy = false;
  std::string reasons;  // "static RSA key exchange (no forward secrecy)", comma-separated
};
// Rates a suite by its IANA (RFC) name, e.g. "TLS_RSA_WITH_AES_128_CBC_SHA",
// "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" or the TLS 1.3 "TLS_AES_128_GCM_SHA256". IANA names
// spell key exchange, authentication, cipher and MAC explicitly, so the rule reads the name.
SuiteRating rate_suite(std::string_view iana_name);

// What a certificate says about itself. Strings from the certificate are untrusted: they are
// made printable and bounded before they land here.
struct CertFacts {
  std::string subject;  // one-line form, "/CN=IPC"
  std::string issuer;
  std::string common_name;
  std::vector<std::string> alt_names;  // DNS and IP subjectAltNames, at most kMaxAltNames
  std::string key_type;                // "RSA", "EC", "DSA", "ED25519", "ED448", "?"
  int key_bits = 0;
  std::string curve;            // for EC keys: "prime256v1"
  std::string signature;        // "sha1WithRSAEncryption"
  std::string signature_md;     // the signature's hash: "sha1", "md5", "sha256", "" if none/unknown
  bool self_issued = false;     // issuer name == subject name
  bool self_signed = false;     // ... and the signature verifies with the certificate's own key
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
  bool validity_parsed = false;
  std::string spki_sha256;  // hex SHA-256 of the DER SubjectPublicKeyInfo ("" if unreadable)
  static constexpr std::size_t kMaxAltNames = 8;
};
// Parses one DER certificate (untrusted bytes: what a server sent) and extracts its facts.
ParseResult<CertFacts> analyse_certificate_der(Bytes der);

// Everything one port's probe saw.
struct TlsVersionResult {
  TlsVersion version = TlsVersion::tls1_2;
  std::vector<std::string> suites;   // IANA names, in the order the server chose them
  bool enumeration_complete = true;  // false when the handshake budget ran out
};
struct TlsProbe {
  std::vector<TlsVersion> tested;          // versions this client could offer
  std::vector<TlsVersionResult> accepted;  // ascending version order
  std::vector<CertFacts> certificates;     // distinct leaf certificates (by key)
  int min_dh_bits = 0;                     // smallest ephemeral finite-field DH group seen
  std::string dh_suite;                    // the suite that showed it
  unsigned handshakes = 0;
  double elapsed_ms = 0;
};

// Turns a probe of `port` into findings on `host` (and the certificates' key fingerprints);
// `now` (Unix seconds) decides expiry. Adds nothing when no version was accepted.
void report_tls(const TlsProbe& probe, std::uint16_t port, std::int64_t now, HostReport& host);
// The certificate part alone (also used by the fuzz target).
void report_certificate(const CertFacts& cert, std::uint16_t port, std::int64_t now,
                        HostReport& host);
// "TLS 1.0: TLS_RSA_WITH_AES_128_CBC_SHA, ...; TLS 1.2: ..." bounded to `max` characters.
std::string describe_suites(const TlsProbe& probe, std::size_t max = 600);

// The legacy probe. Debian's OpenSSL 3 is built without SSLv3, RC4, single DES and export
// suites, so it cannot offer what old IoT firmware often still accepts. For those a hand-made
// ClientHello is sent and only the ServerHello is read: enough to know the version and suite
// were accepted (the handshake is then abandoned).
struct LegacySuite {
  std::uint16_t id;
  std::string_view name;  // IANA
};
// The suites the legacy probe offers: RC4, DES, export, and (for SSLv3, where OpenSSL offers
// nothing at all) the common suites of the time.
std::span<const LegacySuite> legacy_suites(bool with_common);
std::string_view legacy_suite_name(std::uint16_t id);  // "" when not in the table
// A ClientHello record: `wire_version` 0x0300 (SSLv3) .. 0x0303 (TLS 1.2), no extensions
// except, above SSLv3, renegotiation_info (some servers refuse a hello without it).
std::string build_client_hello(std::uint16_t wire_version, std::span<const std::uint16_t> suites);
// The server's answer to such a hello, from the bytes received so far (untrusted).
struct HelloReply {
  enum class Kind : std::uint8_t { need_more, server_hello, refused };
  Kind kind = Kind::need_more;
  std::uint16_t version = 0;
  std::uint16_t suite = 0;
};
HelloReply parse_server_hello(Bytes data);

// The network half (tls_check.cc): probes one TCP port with real handshakes, one at a time.
// Unless `known_tls`, a port that fails the first handshake is taken not to speak TLS and
// costs nothing more. Each version is tried alone; under each, suites are enumerated the way
// nmap's ssl-enum-ciphers does (offer all, remove the chosen one, repeat until refused).
TlsProbe probe_tls(const IpAddr& addr, std::uint16_t port, const ScanOptions& options,
                   bool known_tls);
// One legacy hello offering `suites` at `wire_version`: the suite the server chose, if it
// answered with a ServerHello of that very version.
std::optional<std::uint16_t> legacy_hello(const IpAddr& addr, std::uint16_t port,
                                          const ScanOptions& options, std::uint16_t wire_version,
                                          std::span<const std::uint16_t> suites);

}  // namespace warden::scan
