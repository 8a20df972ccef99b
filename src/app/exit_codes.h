// What every warden command exits with (documented in each --help), and the version it reports.
#pragma once

#ifndef WARDEN_VERSION
#define WARDEN_VERSION "0.1.0"
#endif

namespace warden::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFatal = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDamagedInput = 3;  // analyze: finished, but an input was damaged

}  // namespace warden::app
