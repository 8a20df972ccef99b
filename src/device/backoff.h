// Reconnect pacing for a fleet: exponential backoff with "full jitter". After a relay restart
// every device reconnects at once; without jitter they retry in lock-step and knock the relay
// over again. The n-th wait is uniform in [0, min(cap, base * 2^n)] (the AWS Architecture Blog's
// "Exponential Backoff And Jitter" shows this spreads a herd best for the least total work).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace warden::device {

class Backoff {
 public:
  // `seed` lets tests replay a sequence; devices pass something unique (random_device).
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed);

  // The wait before the next attempt; each call counts one more failure.
  std::chrono::milliseconds next();
  // The upper bound the next call draws from (for logs: "retrying within 8 s").
  std::chrono::milliseconds ceiling() const;
  // After a success: the next failure starts from `base` again.
  void reset() { attempt_ = 0; }
  unsigned attempt() const { return attempt_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  unsigned attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace warden::device
