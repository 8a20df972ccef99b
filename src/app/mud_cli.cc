#include "app/mud_cli.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "app/exit_codes.h"
#include "mud/mud.h"

namespace warden::app {
namespace {

constexpr const char* kHelp =
    "Usage: warden mud check FILE...\n\n"
    "Validates RFC 8520 MUD files and prints, for each, what it allows from and to the device\n"
    "and the DNS names the policy needs resolved. An invalid file is reported with the JSON\n"
    "path of the offending value. Files written in the pre-RFC 8520 draft schema are refused.\n"
    "At most 1 MiB per file.\n\n"
    "Exit status: 0 every file is valid, 1 a file is invalid or unreadable, 2 usage error.\n";

// Reads at most kMaxMudBytes + 1 bytes, so an oversized file is refused by the parser's own
// limit without being read whole.
bool read_file(const char* path, std::string& out, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = ec ? ec.message() : "not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  out.resize(mud::kMaxMudBytes + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return true;
}

int mud_check(int argc, char** argv) {
  if (argc < 1) {
    std::fprintf(stderr, "warden mud check: no MUD file given\n\n%s", kHelp);
    return kExitUsage;
  }
  int status = kExitOk;
  for (int i = 0; i < argc; ++i) {
    std::string text, error;
    if (!read_file(argv[i], text, error)) {
      std::fprintf(stderr, "%s: cannot read: %s\n", argv[i], error.c_str());
      status = kExitFatal;
      continue;
    }
    if (text.size() > mud::kMaxMudBytes) {
      std::fprintf(stderr, "%s: invalid: larger than 1 MiB\n", argv[i]);
      status = kExitFatal;
      continue;
    }
    auto r = mud::parse_mud(text);
    if (!r) {
      std::fprintf(stderr, "%s: invalid: %s\n", argv[i], r.error().message().c_str());
      status = kExitFatal;
      continue;
    }
    std::printf("%s: valid\n%s", argv[i], mud::summary(*r).c_str());
  }
  return status;
}

}  // namespace

int cmd_mud(int argc, char** argv) {
  // argv[0] is "mud".
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return kExitUsage;
  }
  if (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (std::strcmp(argv[1], "check") == 0) {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
        std::fputs(kHelp, stdout);
        return kExitOk;
      }
    }
    return mud_check(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "warden mud: unknown subcommand '%s'\n\n%s", argv[1], kHelp);
  return kExitUsage;
}

}  // namespace warden::app
