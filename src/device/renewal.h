// When a device renews its certificate. Device certificates live 30-90 days so a stolen key
// expires on its own; a device that misses renewal drops off the network, so it starts early:
// once two thirds of the lifetime have passed (a third left, as ACME clients such as certbot do
// for 90-day certificates), leaving weeks of retries before anything breaks.
#pragma once

#include <cstdint>

namespace warden::device {

// Unix seconds at which renewal is due for a certificate valid [not_before, not_after).
inline std::int64_t renew_at(std::int64_t not_before, std::int64_t not_after) {
  if (not_after <= not_before) return not_before;
  return not_before + (not_after - not_before) * 2 / 3;
}

enum class CertState { kValid, kRenewDue, kExpired, kNotYetValid };

inline CertState cert_state(std::int64_t not_before, std::int64_t not_after, std::int64_t now) {
  if (now < not_before) return CertState::kNotYetValid;
  if (now >= not_after) return CertState::kExpired;
  if (now >= renew_at(not_before, not_after)) return CertState::kRenewDue;
  return CertState::kValid;
}

}  // namespace warden::device
