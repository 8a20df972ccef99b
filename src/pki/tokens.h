// Bootstrap tokens: how a device without a certificate proves it may enroll. An operator makes
// one per device (`warden pki token`); the device presents it once to the enrollment server.
//
// A token is 32 random bytes, base64url without padding (43 characters), shown once. Only its
// SHA-256 is stored, with the device id it is for, an optional hardware serial it is bound to,
// its expiry and when it was used. Redemption is two steps so that a token is spent only when a
// certificate is issued for it: check_token validates without writing, and spend_token claims
// the row with `UPDATE ... WHERE hash = ? AND used_at IS NULL` inside the transaction that
// records the certificate, so two concurrent requests cannot both win and a failed signature
// leaves the token usable.
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

// A token that passed check_token: what spend_token needs to claim it.
struct TokenClaim {
  std::string hash;  // SHA-256 of the token, hex: the row's key
};

// Checks `token` for `device` (and the hardware serial the request claims, if any) without
// spending it: unknown, used, expired, another device or serial are refused here.
Result<TokenClaim, TokenRefusal> check_token(PkiDb& db, std::string_view token,
                                             const identity::DeviceId& device,
                                             std::optional<std::string_view> hw_serial,
                                             std::int64_t now);

// Spends a checked token: exactly one caller wins, even across processes on the same pki.db;
// the others get kAlreadyUsed (or kExpired if it expired since the check). Call it inside the
// transaction that records what the token bought, so a rollback leaves the token unspent.
Result<bool, TokenRefusal> spend_token(PkiDb& db, const TokenClaim& claim, std::int64_t now);

// check_token then spend_token, for callers with nothing to make atomic with the spending.
Result<bool, TokenRefusal> redeem_token(PkiDb& db, std::string_view token,
                                        const identity::DeviceId& device,
                                        std::optional<std::string_view> hw_serial,
                                        std::int64_t now);

// "24h", "90m", "3600s", "3600", "2d" -> seconds; nullopt when malformed.
std::optional<std::int64_t> parse_duration(std::string_view text);

// RFC 4648 section 5 base64url, no padding.
std::string base64url(const unsigned char* data, std::size_t n);

}  // namespace warden::pki
