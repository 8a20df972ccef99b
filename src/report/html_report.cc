#include "report/html_report.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>

#include "core/json.h"
#include "core/text.h"
#include "core/time.h"
#include "inventory/device.h"

namespace warden::report {

namespace {

using inventory::DeviceType;

constexpr std::size_t kTypes = static_cast<std::size_t>(DeviceType::kCount);

// One colour per device type, shared by the badges, the bar and the legend.
constexpr std::array<const char*, kTypes> kTypeColour = {"#9aa5b1", "#d64545", "#e8a33d", "#f0c808",
                                                         "#3d9970", "#7b5ea7", "#1f77b4", "#8c564b",
                                                         "#17becf", "#2c3e50"};
constexpr std::array<const char*, kTypes> kTypeLabel = {
    "unknown", "camera",           "plug",  "bulb", "hub", "speaker", "TV",
    "printer", "phone / computer", "router"};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1f2933}
header{background:#1f2933;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#cbd2d9;font-size:13px}
main{padding:20px 32px;max-width:1400px}
.tiles{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:18px}
.tile{background:#fff;border-radius:8px;padding:12px 18px;min-width:140px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.tile b{display:block;font-size:24px}.tile span{color:#616e7c;font-size:12px;text-transform:uppercase}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:16px;margin:0 0 12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:#616e7c;font-weight:600;border-bottom:2px solid #e4e7eb;padding:6px 8px}
td{border-bottom:1px solid #e4e7eb;padding:6px 8px;vertical-align:top}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;white-space:nowrap}
.conf{display:inline-block;width:60px;height:6px;background:#e4e7eb;border-radius:3px;margin-left:6px;vertical-align:middle}
.conf i{display:block;height:6px;border-radius:3px;background:#3d9970}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.muted{color:#7b8794}.ev{font-size:12px;color:#3e4c59}.ev li{margin:1px 0}ul{margin:0;padding-left:16px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
)css";

void type_bar(std::string& h, const std::array<std::size_t, kTypes>& counts, std::size_t total) {
  h += "<svg width=\"100%\" height=\"28\" viewBox=\"0 0 1000 28\" preserveAspectRatio=\"none\" "
       "role=\"img\" aria-label=\"devices by type\">";
  double x = 0;
  for (std::size_t t = 0; t < kTypes; ++t) {
    if (counts[t] == 0) continue;
    const double w = 1000.0 * static_cast<double>(counts[t]) / static_cast<double>(total);
    h += "<rect x=\"" + fmt("%.2f", x) + "\" y=\"0\" width=\"" + fmt("%.2f", w) +
         "\" height=\"28\" fill=\"" + kTypeColour[t] + "\"><title>" + kTypeLabel[t] + ": " +
         std::to_string(counts[t]) + "</title></rect>";
    x += w;
  }
  h += "</svg><div class=\"legend\" style=\"margin-top:8px\">";
  for (std::size_t t = 0; t < kTypes; ++t) {
    if (counts[t] == 0) continue;
    h += std::string("<span><i style=\"background:") + kTypeColour[t] + "\"></i>" + kTypeLabel[t] +
         " " + std::to_string(counts[t]) + "</span>";
  }
  h += "</div>";
}

void services_chart(std::string& h, const pipeline::PipelineStats& st) {
  std::vector<std::pair<std::uint64_t, std::size_t>> apps;
  for (std::size_t i = 0; i < st.flows_by_app.size(); ++i) {
    if (st.flows_by_app[i] > 0) apps.emplace_back(st.flows_by_app[i], i);
  }
  std::sort(apps.rbegin(), apps.rend());
  if (apps.size() > 14) apps.resize(14);
  if (apps.empty()) {
    h += "<p class=\"muted\">No flows.</p>";
    return;
  }
  const double max = static_cast<double>(apps.front().first);
  const int row = 22, label = 130, width = 560;
  h += "<svg width=\"" + std::to_string(label + width + 170) + "\" height=\"" +
       std::to_string(static_cast<int>(apps.size()) * row + 4) +
       "\" role=\"img\" aria-label=\"flows by service\" style=\"font-size:12px\">";
  int y = 2;
  for (auto [n, app] : apps) {
    const double w = std::max(2.0, width * static_cast<double>(n) / max);
    const std::string name = html_escape(flow::app_proto_name(static_cast<flow::AppProto>(app)));
    h += "<text x=\"" + std::to_string(label - 8) + "\" y=\"" + std::to_string(y + 14) +
         "\" text-anchor=\"end\">" + name + "</text>";
    h += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
         fmt("%.1f", w) + "\" height=\"15\" rx=\"3\" fill=\"#1f77b4\"></rect>";
    h += "<text x=\"" + fmt("%.1f", label + w + 6) + "\" y=\"" + std::to_string(y + 14) +
         "\" fill=\"#3e4c59\">" + with_commas(n) + " flows, " + human_bytes(st.bytes_by_app[app]) +
         "</text>";
    y += row;
  }
  h += "</svg>";
}

}  // namespace

std::string html_escape(std::string_view s) { return markup_escape(s); }

std::string render_html(const pipeline::Pipeline& p, const ReportMeta& meta) {
  const auto& st = p.stats();
  const auto& devices = p.inventory().devices();
  std::string inputs;
  for (const auto& in : meta.inputs) inputs += (inputs.empty() ? "" : ", ") + in;

  std::string h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width\"><title>warden report</title><style>";
  h += kStyle;
  h += "</style></head><body><header><h1>warden: what is on this network</h1><p>";
  h += html_escape("warden " + meta.command + " " + inputs);
  if (st.packets > 0) {
    h += " &middot; traffic " + format_rfc3339(st.first_ts).substr(0, 19) + " to " +
         format_rfc3339(st.last_ts).substr(0, 19) + " UTC";
  }
  h += " &middot; generated " + html_escape(meta.generated_at) + "</p></header><main>";

  std::size_t typed = 0;
  std::array<std::size_t, kTypes> counts{};
  for (const auto& d : devices) {
    ++counts[static_cast<std::size_t>(d->type)];
    typed += d->type != DeviceType::kUnknown;
  }
  std::uint64_t observations = 0;
  for (auto n : p.dissector().stats().observations) observations += n;
  auto tile = [&](const std::string& value, const char* label) {
    h += "<div class=\"tile\"><b>" + value + "</b><span>" + label + "</span></div>";
  };
  h += "<div class=\"tiles\">";
  tile(std::to_string(devices.size()), "devices");
  tile(std::to_string(typed), "identified");
  tile(with_commas(p.flows().stats().created), "flows");
  tile(with_commas(st.packets), "packets");
  tile(human_bytes(st.bytes), "captured");
  tile(with_commas(observations), "observations");
  tile(with_commas(p.anomalies().total()), "anomalies");
  h += "</div>";

  h += "<section><h2>Devices by type</h2>";
  if (devices.empty())
    h += "<p class=\"muted\">No devices seen.</p>";
  else
    type_bar(h, counts, devices.size());
  h += "</section>";

  h += "<section><h2>Devices</h2><table><tr><th>Device</th><th>Type</th><th>Name</th>"
       "<th>Addresses</th><th>Activity</th><th>Why warden thinks so</th></tr>";
  for (const auto& dp : devices) {
    const auto& d = *dp;
    const auto t = static_cast<std::size_t>(d.type);
    h += "<tr><td><span class=\"mono\">" + html_escape(d.id) + "</span><br><span class=\"muted\">" +
         html_escape(d.vendor.empty() ? (d.randomized_mac ? "randomised MAC" : "unknown maker")
                                      : d.vendor) +
         "</span></td>";
    h += std::string("<td><span class=\"badge\" style=\"background:") + kTypeColour[t] + "\">" +
         kTypeLabel[t] + "</span><span class=\"conf\" title=\"confidence " +
         fmt("%.2f", d.confidence) + "\"><i style=\"width:" + fmt("%.0f", d.confidence * 100) +
         "%\"></i></span> <span class=\"muted\">" + fmt("%.0f", d.confidence * 100) +
         "%</span></td>";
    h += "<td>" + html_escape(d.display_name()) + "</td><td class=\"mono\">";
    for (std::size_t i = 0; i < d.addresses.size() && i < 4; ++i) {
      h += html_escape(d.addresses[i].ip.to_string()) + "<br>";
    }
    if (d.addresses.size() > 4) {
      // Appends, not "+" + to_string(): GCC 12 -O3 misfires -Wrestrict on that (bug 105329).
      h += '+';
      h += std::to_string(d.addresses.size() - 4);
      h += " more";
    }
    h += "</td><td>" + with_commas(d.flows_originated) + " flows out, " +
         with_commas(d.flows_served) + " in<br><span class=\"muted\">" + human_bytes(d.bytes_sent) +
         " sent</span></td>";
    h += "<td><ul class=\"ev\">";
    for (std::size_t i = 0; i < d.evidence.size() && i < 4; ++i) {
      const auto& e = d.evidence[i];
      h += "<li><b>" + html_escape(e.source) + "</b> " + html_escape(e.value) + " &rarr; " +
           kTypeLabel[static_cast<std::size_t>(e.suggests)] + "</li>";
    }
    if (d.evidence.empty()) h += "<li class=\"muted\">nothing identifying seen yet</li>";
    h += "</ul></td></tr>";
  }
  h += "</table></section>";

  h += "<section><h2>Services on the network</h2>";
  services_chart(h, st);
  h += "</section>";

  if (p.anomalies().total() > 0) {
    h += "<section><h2>Anomalies</h2><table><tr><th>What</th><th>Count</th></tr>";
    for (std::size_t i = 0; i < kAnomalyCount; ++i) {
      const auto a = static_cast<Anomaly>(i);
      if (p.anomalies().get(a) == 0) continue;
      h += "<tr><td class=\"mono\">" + std::string(anomaly_name(a)) + "</td><td>" +
           with_commas(p.anomalies().get(a)) + "</td></tr>";
    }
    h += "</table></section>";
  }
  h += "<p class=\"muted\" style=\"font-size:12px\">Details: devices.jsonl, flows.jsonl, "
       "observations.jsonl, summary.json and warden.db beside this file.</p>";
  h += "</main></body></html>\n";
  return h;
}

Result<bool, std::string> write_html(const std::string& path, const pipeline::Pipeline& p,
                                     const ReportMeta& meta) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return unexpected("cannot create " + path);
  out << render_html(p, meta);
  out.close();
  if (!out) return unexpected("cannot write " + path);
  return true;
}

}  // namespace warden::report
