// `warden intel`: checking lists and managing the intel store (add, list, refresh, remove),
// and loading lists for analyze/monitor (--intel FILE and the store).
#pragma once

#include <string>
#include <vector>

#include "intel/intel.h"

namespace warden::app {

int cmd_intel(int argc, char** argv);

// Loads threat-intelligence list files into `set`; prints what each held when verbose.
// False (after saying why) when a file cannot be read or parsed.
bool load_intel(const std::vector<std::string>& files, const intel::ListOptions& base,
                intel::IntelSet& set, bool verbose);

// Loads every list of the intel store (`store_dir`, or the default store when empty) into
// `set`. A default store that does not exist is no error (nothing was added yet); a --store
// that does not exist is. Damaged lists are skipped with a warning. `cmd` prefixes messages.
bool load_intel_store(const std::string& store_dir, intel::IntelSet& set, bool verbose,
                      const char* cmd);

}  // namespace warden::app
