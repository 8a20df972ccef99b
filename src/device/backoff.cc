#include "device/backoff.h"

#include <algorithm>

namespace warden::device {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed)
    : base_(std::max(base, std::chrono::milliseconds(1))), cap_(std::max(cap, base_)), rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling() const {
  // base * 2^attempt, saturating at cap without overflowing the shift.
  std::int64_t ceiling = base_.count();
  for (unsigned i = 0; i < attempt_ && ceiling < cap_.count(); ++i) ceiling *= 2;
  return std::chrono::milliseconds(std::min<std::int64_t>(ceiling, cap_.count()));
}

std::chrono::milliseconds Backoff::next() {
  const std::int64_t hi = ceiling().count();
  if (attempt_ < 64) ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(0, hi);
  return std::chrono::milliseconds(pick(rng_));
}

}  // namespace warden::device
