// TLS ClientHello and ServerHello read from the first TLS record(s) of a TCP payload, with
// their JA3 / JA3S fingerprints. These are the last plaintext a TLS client sends about itself:
// the SNI names the server, and the cipher/extension layout identifies the TLS stack (an IoT
// firmware's library, a malware family). Results own their data. Only the hello is parsed;
// no state is kept across segments: a hello cut by the segment boundary fails as "truncated"
// and the caller may retry with the reassembled bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::protocols {

// The lists keep GREASE values (RFC 8701) as sent, since their presence itself says something
// about the client; only the JA3 strings drop them, as the JA3 definition requires.
struct TlsClientHello {
  std::uint16_t record_version = 0, client_version = 0;
  std::string sni;  // first host_name of server_name, as sent (not validated)
  std::vector<std::uint16_t> cipher_suites, extensions, supported_groups, signature_algorithms,
      supported_versions;
  std::vector<std::uint8_t> ec_point_formats;
  std::vector<std::string> alpn;
  std::string ja3;      // "version,ciphers,extensions,groups,ec_point_formats", decimal, '-'-joined
  std::string ja3_md5;  // lowercase hex MD5 of ja3; empty if the digest is unavailable (FIPS)
};

struct TlsServerHello {
  std::uint16_t version = 0;           // legacy server_version
  std::uint16_t selected_version = 0;  // supported_versions extension (TLS 1.3), else == version
  std::uint16_t cipher_suite = 0;
  std::vector<std::uint16_t> extensions;
  std::string ja3s, ja3s_md5;  // "version,cipher,extensions"
};

// The hello may be fragmented over several handshake records within the payload; the record
// holding its end may itself be cut (a ServerHello shares its record with the certificate).
ParseResult<TlsClientHello> parse_tls_client_hello(Bytes tcp_payload);
ParseResult<TlsServerHello> parse_tls_server_hello(Bytes tcp_payload);

// A whole record header: content type 22 (handshake), version 0x0300 to 0x0304.
bool looks_like_tls_handshake(Bytes tcp_payload);

// "SSLv3", "TLSv1.0" ... "TLSv1.3"; "" for anything else (GREASE, DTLS, garbage).
std::string_view tls_version_name(std::uint16_t v);

}  // namespace warden::protocols
