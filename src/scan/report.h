// The assessment's outputs: JSON for machines, a terminal report for the person who ran it,
// and a self-contained HTML page (scores as gauges, findings ranked, remediation) to share.
#pragma once

#include <cstdio>
#include <string>

#include "scan/scanner.h"

namespace warden::scan {

std::string run_json(const ScanRun& run);
// One host as a JSON object (also stored in the database with the device).
std::string host_json(const HostReport& host);
// `color`: ANSI colours (only when the output is a terminal). `verbose`: info findings too.
void print_terminal(std::FILE* out, const ScanRun& run, bool color, bool verbose);
std::string run_html(const ScanRun& run);

}  // namespace warden::scan
