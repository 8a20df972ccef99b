// HtmlReport: report.html, the page a person opens after a run. It shows the device inventory
// (what each device is, how sure warden is, and why), a picture of the device types and of the
// services on the network, and the anomalies seen. One self-contained file (inline CSS and
// SVG, no scripts, nothing fetched), so it opens offline and can be mailed. Every string from
// the wire is HTML-escaped: host names and user agents are attacker-controlled.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "pipeline/pipeline.h"

namespace warden::report {

struct ReportMeta {
  std::string command;              // "analyze" or "monitor"
  std::vector<std::string> inputs;  // capture files or the interface
  std::string generated_at;         // UTC time of the run
  double wall_seconds = 0;
};

std::string render_html(const pipeline::Pipeline& p, const ReportMeta& meta);
Result<bool, std::string> write_html(const std::string& path, const pipeline::Pipeline& p,
                                     const ReportMeta& meta);

// Escapes &, <, >, " and ' and replaces bytes that are not printable ASCII or valid UTF-8.
std::string html_escape(std::string_view s);

}  // namespace warden::report
