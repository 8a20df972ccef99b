#include "protocols/tls.h"

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace warden::protocols {
namespace {

constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::uint8_t kHandshakeServerHello = 2;

constexpr std::uint16_t kExtServerName = 0;
constexpr std::uint16_t kExtSupportedGroups = 10;
constexpr std::uint16_t kExtEcPointFormats = 11;
constexpr std::uint16_t kExtSignatureAlgorithms = 13;
constexpr std::uint16_t kExtAlpn = 16;
constexpr std::uint16_t kExtSupportedVersions = 43;

// The largest hello the grammar allows (32-byte session id, 64 KB of ciphers, 64 KB of
// extensions, plus change). A longer claimed length is not worth waiting for more segments.
constexpr std::uint32_t kMaxHelloLength = 1u << 17;

// RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa.
bool is_grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

bool is_record_version(std::uint16_t v) { return v >= 0x0300 && v <= 0x0304; }

// The first handshake message of the payload. Its bytes are a view into the payload when one
// record carries it whole (the common case) and into `storage` when it is fragmented.
struct Handshake {
  std::uint16_t record_version = 0;
  std::uint8_t type = 0;
  Bytes body;
};

ParseResult<Handshake> first_handshake(Bytes payload, std::vector<std::byte>& storage) {
  ByteReader r(payload);
  Handshake hs;
  Bytes gathered;
  // Each pass consumes a 5-byte record header, so the loop is bounded by the payload.
  for (bool first = true;; first = false) {
    auto type = r.u8();
    auto version = r.be16();
    auto length = r.be16();
    if (!length) return parse_error("truncated", payload.size());
    if (*type != kContentHandshake) {
      return parse_error(first ? "not a handshake record" : "interleaved record", r.offset() - 5);
    }
    if (!is_record_version(*version)) return parse_error("bad record version", r.offset() - 4);
    if (first) hs.record_version = *version;
    std::size_t take = std::min<std::size_t>(*length, r.remaining());
    Bytes fragment = *r.bytes(take);
    if (first) {
      gathered = fragment;
    } else {
      if (storage.empty()) storage.assign(gathered.begin(), gathered.end());
      storage.insert(storage.end(), fragment.begin(), fragment.end());
      gathered = storage;
    }
    if (gathered.size() >= 4) {
      ByteReader h(gathered);
      hs.type = *h.u8();
      std::uint32_t hs_length = *h.be24();
      if (hs_length > kMaxHelloLength) return parse_error("handshake too long", 6);
      if (h.remaining() >= hs_length) {
        hs.body = *h.bytes(hs_length);
        return hs;
      }
    }
    if (take < *length) return parse_error("truncated", payload.size());  // record cut
  }
}

std::string md5_hex(std::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(s.data(), s.size(), digest, &len, EVP_md5(), nullptr) != 1) return {};
  return to_hex(std::as_bytes(std::span<const unsigned char>(digest, len)));
}

template <class T>
void append_list(std::string& out, const std::vector<T>& values, bool drop_grease) {
  bool first = true;
  for (T v : values) {
    if (drop_grease && is_grease(v)) continue;
    if (!first) out.push_back('-');
    out += std::to_string(v);
    first = false;
  }
}

// A list of big-endian u16 prefixed by its byte length (of width 1 or 2). Content that does
// not frame cleanly is ignored: JA3 needs only the extension type, not its well-formed body.
void read_u16_list(Bytes data, bool u8_length, std::vector<std::uint16_t>& out) {
  ByteReader r(data);
  auto len = u8_length ? std::optional<std::uint16_t>(r.u8()) : r.be16();
  if (!len || *len % 2 != 0) return;
  auto list = r.bytes(*len);
  if (!list) return;
  ByteReader l(*list);
  while (auto v = l.be16()) out.push_back(*v);
}

void read_server_name(Bytes data, std::string& sni) {
  ByteReader r(data);
  auto list_len = r.be16();
  auto list = list_len ? r.bytes(*list_len) : std::nullopt;
  if (!list) return;
  ByteReader l(*list);
  while (!l.empty()) {
    auto name_type = l.u8();
    auto name_len = l.be16();
    auto name = name_len ? l.string(*name_len) : std::nullopt;
    if (!name) return;
    if (*name_type == 0) {  // host_name
      sni = std::string(*name);
      return;
    }
  }
}

void read_alpn(Bytes data, std::vector<std::string>& alpn) {
  ByteReader r(data);
  auto list_len = r.be16();
  auto list = list_len ? r.bytes(*list_len) : std::nullopt;
  if (!list) return;
  ByteReader l(*list);
  while (!l.empty()) {
    auto len = l.u8();
    auto proto = len ? l.string(*len) : std::nullopt;
    if (!proto) return;
    alpn.emplace_back(*proto);
  }
}

struct Extension {
  std::uint16_t type;
  Bytes data;
};

// Walks the extension block; the outer framing must be exact, or the hello is malformed.
template <class Fn>
bool for_each_extension(Bytes block, Fn&& fn) {
  ByteReader r(block);
  while (!r.empty()) {
    auto type = r.be16();
    auto len = r.be16();
    auto data = len ? r.bytes(*len) : std::nullopt;
    if (!data) return false;
    fn(Extension{*type, *data});
  }
  return true;
}

}  // namespace

ParseResult<TlsClientHello> parse_tls_client_hello(Bytes tcp_payload) {
  std::vector<std::byte> storage;
  auto hs = first_handshake(tcp_payload, storage);
  if (!hs) return Unexpected<ParseError>{hs.error()};
  if (hs->type != kHandshakeClientHello) return parse_error("not a client hello", 5);

  // Offsets below are within the handshake body, which may not be contiguous in the payload.
  TlsClientHello hello;
  hello.record_version = hs->record_version;
  ByteReader r(hs->body);
  auto version = r.be16();
  if (!version || !r.skip(32)) return parse_error("malformed client hello", r.offset());
  hello.client_version = *version;
  auto session_len = r.u8();
  if (!session_len || !r.skip(*session_len)) return parse_error("bad session id", r.offset());
  auto cipher_len = r.be16();
  auto ciphers = cipher_len && *cipher_len % 2 == 0 ? r.bytes(*cipher_len) : std::nullopt;
  if (!ciphers) return parse_error("bad cipher suites", r.offset());
  ByteReader c(*ciphers);
  while (auto v = c.be16()) hello.cipher_suites.push_back(*v);
  auto compression_len = r.u8();
  if (!compression_len || !r.skip(*compression_len)) {
    return parse_error("bad compression methods", r.offset());
  }
  if (!r.empty()) {  // SSLv3-era hellos stop here; the extension block is optional
    auto ext_len = r.be16();
    auto block = ext_len ? r.bytes(*ext_len) : std::nullopt;
    if (!block) return parse_error("bad extensions length", r.offset());
    bool ok = for_each_extension(*block, [&](const Extension& e) {
      hello.extensions.push_back(e.type);
      switch (e.type) {
        case kExtServerName:
          if (hello.sni.empty()) read_server_name(e.data, hello.sni);
          break;
        case kExtSupportedGroups:
          if (hello.supported_groups.empty()) read_u16_list(e.data, false, hello.supported_groups);
          break;
        case kExtEcPointFormats:
          if (hello.ec_point_formats.empty()) {
            ByteReader p(e.data);
            auto n = p.u8();
            auto list = n ? p.bytes(*n) : std::nullopt;
            if (list) {
              for (std::byte b : *list)
                hello.ec_point_formats.push_back(static_cast<std::uint8_t>(b));
            }
          }
          break;
        case kExtSignatureAlgorithms:
          if (hello.signature_algorithms.empty()) {
            read_u16_list(e.data, false, hello.signature_algorithms);
          }
          break;
        case kExtAlpn:
          if (hello.alpn.empty()) read_alpn(e.data, hello.alpn);
          break;
        case kExtSupportedVersions:
          if (hello.supported_versions.empty()) {
            read_u16_list(e.data, true, hello.supported_versions);
          }
          break;
        default:
          break;
      }
    });
    if (!ok) return parse_error("malformed extension", r.offset());
  }

  hello.ja3 = std::to_string(hello.client_version) + ",";
  append_list(hello.ja3, hello.cipher_suites, true);
  hello.ja3 += ',';
  append_list(hello.ja3, hello.extensions, true);
  hello.ja3 += ',';
  append_list(hello.ja3, hello.supported_groups, true);
  hello.ja3 += ',';
  append_list(hello.ja3, hello.ec_point_formats, false);
  hello.ja3_md5 = md5_hex(hello.ja3);
  return hello;
}

ParseResult<TlsServerHello> parse_tls_server_hello(Bytes tcp_payload) {
  std::vector<std::byte> storage;
  auto hs = first_handshake(tcp_payload, storage);
  if (!hs) return Unexpected<ParseError>{hs.error()};
  if (hs->type != kHandshakeServerHello) return parse_error("not a server hello", 5);

  TlsServerHello hello;
  ByteReader r(hs->body);
  auto version = r.be16();
  if (!version || !r.skip(32)) return parse_error("malformed server hello", r.offset());
  hello.version = *version;
  hello.selected_version = *version;
  auto session_len = r.u8();
  if (!session_len || !r.skip(*session_len)) return parse_error("bad session id", r.offset());
  auto cipher = r.be16();
  auto compression = r.u8();
  if (!cipher || !compression) return parse_error("malformed server hello", r.offset());
  hello.cipher_suite = *cipher;
  if (!r.empty()) {
    auto ext_len = r.be16();
    auto block = ext_len ? r.bytes(*ext_len) : std::nullopt;
    if (!block) return parse_error("bad extensions length", r.offset());
    bool ok = for_each_extension(*block, [&](const Extension& e) {
      hello.extensions.push_back(e.type);
      if (e.type == kExtSupportedVersions && e.data.size() == 2) {
        hello.selected_version = *ByteReader(e.data).be16();
      }
    });
    if (!ok) return parse_error("malformed extension", r.offset());
  }

  hello.ja3s = std::to_string(hello.version) + "," + std::to_string(hello.cipher_suite) + ",";
  append_list(hello.ja3s, hello.extensions, true);
  hello.ja3s_md5 = md5_hex(hello.ja3s);
  return hello;
}

bool looks_like_tls_handshake(Bytes tcp_payload) {
  ByteReader r(tcp_payload);
  auto type = r.u8();
  auto version = r.be16();
  auto length = r.be16();
  return length && *type == kContentHandshake && is_record_version(*version);
}

std::string_view tls_version_name(std::uint16_t v) {
  switch (v) {
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1.0";
    case 0x0302:
      return "TLSv1.1";
    case 0x0303:
      return "TLSv1.2";
    case 0x0304:
      return "TLSv1.3";
    default:
      return "";
  }
}

}  // namespace warden::protocols
