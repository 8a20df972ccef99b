#include "pki/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <charconv>

#include "core/bytes.h"
#include "sqlite/db.h"

namespace warden::pki {
namespace {

std::string token_hash(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::as_bytes(std::span(md, len)));
}

using sqlite::Stmt;

}  // namespace

std::string_view refusal_text(TokenRefusal r) {
  switch (r) {
    case TokenRefusal::kUnknown:
      return "unknown token";
    case TokenRefusal::kExpired:
      return "token expired";
    case TokenRefusal::kAlreadyUsed:
      return "token already used (replay)";
    case TokenRefusal::kDeviceMismatch:
      return "token is for another device";
    case TokenRefusal::kSerialMismatch:
      return "token is bound to another hardware serial";
    case TokenRefusal::kStoreError:
      return "token store error";
  }
  return "token refused";
}

std::string_view refusal_code(TokenRefusal r) {
  switch (r) {
    case TokenRefusal::kUnknown:
      return "unknown_token";
    case TokenRefusal::kExpired:
      return "token_expired";
    case TokenRefusal::kAlreadyUsed:
      return "token_replay";
    case TokenRefusal::kDeviceMismatch:
      return "token_device_mismatch";
    case TokenRefusal::kSerialMismatch:
      return "token_serial_mismatch";
    case TokenRefusal::kStoreError:
      return "token_store_error";
  }
  return "token_refused";
}

std::string base64url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < 0 ||
      v > 10LL * 365 * 86400) {
    return std::nullopt;
  }
  return v * unit;
}

Result<NewToken, std::string> create_token(PkiDb& db, const identity::DeviceId& device,
                                           std::optional<std::string> hw_serial,
                                           std::int64_t ttl_seconds, std::int64_t now) {
  if (ttl_seconds < 1 || ttl_seconds > kMaxTokenTtl) {
    return unexpected(std::string("token lifetime must be 1 second to 30 days"));
  }
  if (hw_serial && (hw_serial->empty() || hw_serial->size() > 128)) {
    return unexpected(std::string("hardware serial must be 1-128 characters"));
  }
  unsigned char raw[kTokenBytes];
  if (RAND_bytes(raw, sizeof raw) != 1) return unexpected(identity::ossl_error("RAND_bytes"));
  NewToken t{base64url(raw, sizeof raw), now + ttl_seconds};
  OPENSSL_cleanse(raw, sizeof raw);
  Stmt st(db.handle(),
          "INSERT INTO tokens(hash, device, hw_serial, created_at, expires_at) "
          "VALUES(?,?,?,?,?)");
  if (!st.s) return unexpected("pki.db: " + db.last_error());
  st.text(1, token_hash(t.token));
  st.text(2, device.urn());
  if (hw_serial) {
    st.text(3, *hw_serial);
  } else {
    sqlite3_bind_null(st.s, 3);
  }
  sqlite3_bind_int64(st.s, 4, now);
  sqlite3_bind_int64(st.s, 5, t.expires_at);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    return unexpected("pki.db: cannot store token: " + db.last_error());
  }
  return t;
}

Result<TokenClaim, TokenRefusal> check_token(PkiDb& db, std::string_view token,
                                             const identity::DeviceId& device,
                                             std::optional<std::string_view> hw_serial,
                                             std::int64_t now) {
  // A token is 43 characters; a longer one is not ours (and is not hashed at any length).
  if (token.empty() || token.size() > 256) return unexpected(TokenRefusal::kUnknown);
  // The lookup is by SHA-256 of the token, so its timing says nothing usable about the token.
  TokenClaim claim{token_hash(token)};
  std::string urn, serial;
  bool has_serial = false, used = false;
  std::int64_t expires_at = 0;
  {
    Stmt st(db.handle(), "SELECT device, hw_serial, expires_at, used_at FROM tokens WHERE hash=?");
    if (!st.s) return unexpected(TokenRefusal::kStoreError);
    st.text(1, claim.hash);
    const int rc = sqlite3_step(st.s);
    if (rc == SQLITE_DONE) return unexpected(TokenRefusal::kUnknown);
    if (rc != SQLITE_ROW) return unexpected(TokenRefusal::kStoreError);
    urn = st.column(0);
    has_serial = sqlite3_column_type(st.s, 1) != SQLITE_NULL;
    serial = st.column(1);
    expires_at = sqlite3_column_int64(st.s, 2);
    used = sqlite3_column_type(st.s, 3) != SQLITE_NULL;
  }
  if (used) return unexpected(TokenRefusal::kAlreadyUsed);
  if (now >= expires_at) return unexpected(TokenRefusal::kExpired);
  if (urn != device.urn()) return unexpected(TokenRefusal::kDeviceMismatch);
  if (has_serial) {
    // Constant time over the bound serial's length: the serial is not secret, but there is no
    // reason to leak how much of it a guess got right.
    if (!hw_serial || hw_serial->size() != serial.size() ||
        CRYPTO_memcmp(hw_serial->data(), serial.data(), serial.size()) != 0) {
      return unexpected(TokenRefusal::kSerialMismatch);
    }
  }
  return claim;
}

Result<bool, TokenRefusal> spend_token(PkiDb& db, const TokenClaim& claim, std::int64_t now) {
  // The claim: exactly one request wins, even against another process on the same file.
  Stmt st(db.handle(),
          "UPDATE tokens SET used_at=? WHERE hash=? AND used_at IS NULL AND expires_at>?");
  if (!st.s) return unexpected(TokenRefusal::kStoreError);
  sqlite3_bind_int64(st.s, 1, now);
  st.text(2, claim.hash);
  sqlite3_bind_int64(st.s, 3, now);
  if (sqlite3_step(st.s) != SQLITE_DONE) return unexpected(TokenRefusal::kStoreError);
  if (sqlite3_changes(db.handle()) == 1) return true;
  // Lost the race, or the token expired between the check and now.
  Stmt why(db.handle(), "SELECT used_at IS NULL FROM tokens WHERE hash=?");
  if (!why.s) return unexpected(TokenRefusal::kStoreError);
  why.text(1, claim.hash);
  if (sqlite3_step(why.s) == SQLITE_ROW && sqlite3_column_int(why.s, 0) == 1)
    return unexpected(TokenRefusal::kExpired);
  return unexpected(TokenRefusal::kAlreadyUsed);
}

Result<bool, TokenRefusal> redeem_token(PkiDb& db, std::string_view token,
                                        const identity::DeviceId& device,
                                        std::optional<std::string_view> hw_serial,
                                        std::int64_t now) {
  auto claim = check_token(db, token, device, hw_serial, now);
  if (!claim) return unexpected(claim.error());
  return spend_token(db, *claim, now);
}

}  // namespace warden::pki
