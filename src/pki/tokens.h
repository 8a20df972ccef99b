// Bootstrap tokens: how a device without a certificate proves it may enroll. An operator makes
// one per device (`warden pki token`); the device presents it once to the enrollment server.
//
// A token is 32 random bytes, base64url without padding (43 characters), shown once. Only its
// SHA-256 is stored, with the device id it is for, an optional hardware serial it is bound to,
// its expiry and when it was used. Redemption is single-use and atomic: the row is claimed with
// `UPDATE ... WHERE hash = ? AND used_at IS NULL`, so two concurrent requests cannot both win.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"
#include "pki/db.h"

namespace warden::pki {

inline constexpr std::int64_t kDefaultTokenTtl = 24 * 3600;
inline constexpr std::int64_t kMaxTokenTtl = 30 * 24 * 3600;
inline constexpr std::size_t kTokenBytes = 32;

enum class TokenRefusal : std::uint8_t {
  kUnknown,         // no such token (mistyped, or never made)
  kExpired,         // past its expiry
  kAlreadyUsed,     // redeemed before: a replay
  kDeviceMismatch,  // the CSR names another device than the token is for
  kSerialMismatch,  // bound to a hardware serial the request does not carry
  kStoreError,      // pki.db failed; nothing was redeemed
};

std::string_view refusal_text(TokenRefusal refusal);  // "token already used (replay)"...
std::string_view refusal_code(TokenRefusal refusal);  // "already_used"... (for logs, counters)

struct NewToken {
  std::string token;  // the secret: print once, never store
  std::int64_t expires_at = 0;
};

// Makes and stores a token for `device`. `ttl_seconds` 1..kMaxTokenTtl.
Result<NewToken, std::string> create_token(PkiDb& db, const identity::DeviceId& device,
                                           std::optional<std::string> hw_serial,
                                           std::int64_t ttl_seconds, std::int64_t now);

// Redeems `token` for `device` (and the hardware serial the request claims, if any). On
// success the token is spent and cannot be used again.
Result<bool, TokenRefusal> redeem_token(PkiDb& db, std::string_view token,
                                        const identity::DeviceId& device,
                                        std::optional<std::string_view> hw_serial,
                                        std::int64_t now);

// "24h", "90m", "3600s", "3600", "2d" -> seconds; nullopt when malformed.
std::optional<std::int64_t> parse_duration(std::string_view text);

// RFC 4648 section 5 base64url, no padding.
std::string base64url(const unsigned char* data, std::size_t n);

}  // namespace warden::pki
