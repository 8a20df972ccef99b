// Console output for people: a progress bar for long files (only on a terminal) and the
// one-screen summary at the end of a run. Machine-readable results go to the output folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/text.h"
#include "pipeline/pipeline.h"

namespace warden::app {

class ProgressBar {
 public:
  // Draws only when `enabled` (stderr is a terminal and the user did not ask for quiet).
  ProgressBar(bool enabled, std::uint64_t total_bytes);
  // Cheap enough to call every few thousand packets; redraws at most 10 times a second.
  void update(std::uint64_t done_bytes, std::uint64_t packets, const std::string& label);
  void finish();

 private:
  bool enabled_;
  std::uint64_t total_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

// Prints the summary screen to `out`.
void print_summary(std::FILE* out, const char* command, const pipeline::Pipeline& p,
                   double wall_seconds, const std::string& output_dir, bool sqlite);

}  // namespace warden::app
