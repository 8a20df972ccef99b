// The behaviour baselines (detect::BaselineModel) in their own SQLite file, so a sensor that
// restarts, or an analysis of tomorrow's capture, keeps what each device was learned to do.
// Two tables: `devices` (id, first sighting, end of learning, counters, hourly volume
// statistics) and `items` (device, kind, value, first/last seen, count); the file is marked as
// a warden baseline (application_id, user_version) so another database is refused by name.
//
// A baseline file is untrusted input: a user may hand over any file. The loader reads it
// read-only with SQLite's defensive settings, checks integrity, and validates every field of
// every row (types, ranges, the shape of ids and values, the caps); anything wrong is an error
// naming the file and the row, never a crash and never a half-loaded model. Saving is atomic:
// the whole model is written into a temporary file in one transaction, then renamed over the
// old one, so a crash or a full disk leaves the previous baseline intact.
#pragma once

#include <string>

#include "core/result.h"
#include "detect/baseline.h"

namespace warden::storage {

inline constexpr int kBaselineFormatVersion = 1;

// Reads the baseline at `path`. Rows beyond `limits` are an error (this program never writes
// them; such a file was made elsewhere).
Result<detect::BaselineSnapshot, std::string> load_baseline(const std::string& path,
                                                            const detect::BaselineLimits& limits);

// Writes `snapshot` to `path` atomically (PATH.tmp-<pid>, then rename).
Result<bool, std::string> save_baseline(const std::string& path,
                                        const detect::BaselineSnapshot& snapshot);

}  // namespace warden::storage
