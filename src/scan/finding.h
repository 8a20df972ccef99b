// The catalogue of what an assessment can find, each kind mapped to the ETSI EN 303 645
// provisions and OWASP IoT Top 10 (2018) items it breaks, with a remediation in plain words.
// Checks name a kind by id ("cred.default"); the catalogue gives severity, title and mappings,
// so one kind reads the same on every host and in every report.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace warden::scan {

enum class Severity : std::uint8_t { info, low, medium, high, critical };
const char* severity_name(Severity s);
// Points a finding of this severity takes off the device's 100.
int severity_penalty(Severity s);

struct FindingKind {
  std::string_view id;
  Severity severity;
  std::string_view title;
  std::string_view etsi;   // "5.1-1, 5.1-2" (ETSI EN 303 645 V2.1.1 provisions)
  std::string_view owasp;  // "I1 Weak, Guessable, or Hardcoded Passwords"
  std::string_view remediation;
};

// nullptr for an unknown id.
const FindingKind* find_kind(std::string_view id);
std::span<const FindingKind> catalogue();

struct Finding {
  const FindingKind* kind = nullptr;
  Severity severity = Severity::info;  // the kind's, unless a check knows better
  std::uint16_t port = 0;              // 0: the host as a whole
  bool udp = false;
  std::string evidence;  // what was seen, short and concrete ("root:xc3511 -> uid=0(root)")
};

}  // namespace warden::scan
