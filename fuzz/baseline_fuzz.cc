// Fuzzes the baseline-file loader: a --baseline FILE may be any file a user was handed. The
// bytes go into a file (the loader reads SQLite files by path), and whatever loads must restore
// into a model within its caps and save again.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/baseline_store.h"

namespace {
// One scratch folder per process, removed at exit. Plain char arrays: they outlive every
// atexit handler (a std::string's destructor could run first).
char g_dir[64], g_in[80], g_out[80];

void remove_scratch() {
  std::remove(g_in);
  std::remove(g_out);
  rmdir(g_dir);
}

bool make_scratch() {
  std::snprintf(g_dir, sizeof g_dir, "/tmp/warden-baseline-fuzz-%d", static_cast<int>(getpid()));
  std::snprintf(g_in, sizeof g_in, "%s/in.db", g_dir);
  std::snprintf(g_out, sizeof g_out, "%s/out.db", g_dir);
  if (mkdir(g_dir, 0700) != 0 && errno != EEXIST) return false;
  std::atexit(remove_scratch);
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  static const bool ready = make_scratch();
  if (!ready) return 0;
  if (std::FILE* f = std::fopen(g_in, "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  detect::BaselineLimits limits;
  auto snap = storage::load_baseline(g_in, limits);
  if (snap) {
    detect::BaselineModel model(limits);
    model.restore(*snap);
    if (model.size() > limits.max_devices || model.item_count() > limits.max_total_items)
      __builtin_trap();
    if (!storage::save_baseline(g_out, model.snapshot())) __builtin_trap();
    auto again = storage::load_baseline(g_out, limits);
    if (!again || again->devices.size() != model.size()) __builtin_trap();
  }
  return 0;
}
