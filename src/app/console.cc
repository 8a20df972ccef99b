#include "app/console.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include "core/time.h"
#include "inventory/device.h"

namespace warden::app {

ProgressBar::ProgressBar(bool enabled, std::uint64_t total_bytes)
    : enabled_(enabled),
      total_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(std::uint64_t done, std::uint64_t packets, const std::string& label) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac =
      total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  const double rate = elapsed > 0 ? static_cast<double>(packets) / elapsed : 0;
  const double eta = frac > 0.01 ? elapsed * (1 - frac) / frac : 0;
  std::fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %.2f Mpkt/s  ETA %.0fs  %-24.24s", bar.c_str(),
               frac * 100, human_bytes(done).c_str(), human_bytes(total_).c_str(), rate / 1e6, eta,
               label.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) std::fprintf(stderr, "\r%*s\r", 110, "");
  drawn_ = false;
}

namespace {
std::string span_text(Timestamp a, Timestamp b) {
  if (a == 0) return "-";
  std::string s = format_rfc3339(a).substr(0, 19);
  s[10] = ' ';
  const std::int64_t secs = (b - a) / kNsPerSec;
  char buf[64];
  std::snprintf(buf, sizeof buf, " UTC, %lldh%02lldm%02llds", static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return s + buf;
}
}  // namespace

void print_summary(std::FILE* out, const char* command, const pipeline::Pipeline& p,
                   double wall_seconds, const std::string& output_dir, bool sqlite) {
  const auto& st = p.stats();
  const auto& fs = p.flows().stats();
  std::fprintf(out, "\nwarden %s: %s packets (%s) in %.2f s, %s packets/s\n", command,
               with_commas(st.packets).c_str(), human_bytes(st.bytes).c_str(), wall_seconds,
               with_commas(wall_seconds > 0 ? static_cast<std::uint64_t>(
                                                  static_cast<double>(st.packets) / wall_seconds)
                                            : 0)
                   .c_str());
  std::fprintf(out, "Traffic from %s\n\n", span_text(st.first_ts, st.last_ts).c_str());

  const auto& devices = p.inventory().devices();
  std::fprintf(out, "Devices: %zu\n", devices.size());
  if (!devices.empty()) {
    std::fprintf(out, "  %-17s  %-24s  %-14s  %4s  %-15s  %s\n", "MAC / ID", "VENDOR", "TYPE",
                 "CONF", "ADDRESS", "NAME");
    std::size_t shown = 0;
    for (const auto& d : devices) {
      if (shown++ == 25) {
        std::fprintf(out, "  ... and %zu more in devices.jsonl\n", devices.size() - 25);
        break;
      }
      std::string addr = d->addresses.empty() ? "-" : d->addresses.front().ip.to_string();
      if (d->addresses.size() > 1) addr += " +" + std::to_string(d->addresses.size() - 1);
      const std::string name(d->display_name());
      std::fprintf(out, "  %-17.17s  %-24.24s  %-14s  %4.2f  %-15.15s  %.30s\n", d->id.c_str(),
                   d->vendor.empty() ? "-" : d->vendor.c_str(),
                   std::string(inventory::device_type_name(d->type)).c_str(), d->confidence,
                   addr.c_str(), name.c_str());
    }
  }

  // The ten that matter most on the screen: most severe first, then the most frequent (the
  // files keep first-seen order).
  const auto& all = p.detectors().alerts().alerts();
  std::vector<const detect::Alert*> alerts;
  for (const auto& a : all) alerts.push_back(&a);
  std::stable_sort(alerts.begin(), alerts.end(), [](const auto* x, const auto* y) {
    if (x->severity != y->severity) return x->severity < y->severity;
    return x->count > y->count;
  });
  std::fprintf(out, "\nAlerts: %zu\n", alerts.size());
  for (std::size_t i = 0; i < alerts.size() && i < 10; ++i) {
    const auto& a = *alerts[i];
    std::fprintf(out, "  [%-6s] %-16s %-15s x%-6s %s\n",
                 std::string(detect::severity_name(a.severity)).c_str(), a.detector.c_str(),
                 a.src_ip.to_string().c_str(), with_commas(a.count).c_str(), a.explanation.c_str());
  }
  if (alerts.size() > 10) {
    std::fprintf(out, "  ... and %zu more in alerts.jsonl\n", alerts.size() - 10);
  }

  std::fprintf(out,
               "\nFlows: %s (TCP %s, UDP %s, other %s); peak %s in table (cap %s), %s evicted\n",
               with_commas(fs.created).c_str(), with_commas(st.flows_tcp).c_str(),
               with_commas(st.flows_udp).c_str(), with_commas(st.flows_other).c_str(),
               with_commas(fs.peak_flows).c_str(), with_commas(p.flows().capacity()).c_str(),
               with_commas(fs.evicted).c_str());
  std::vector<std::pair<std::uint64_t, std::size_t>> apps;
  for (std::size_t i = 0; i < st.flows_by_app.size(); ++i) {
    if (st.flows_by_app[i] > 0) apps.emplace_back(st.flows_by_app[i], i);
  }
  std::sort(apps.rbegin(), apps.rend());
  std::fprintf(out, "Services:");
  for (std::size_t i = 0; i < apps.size() && i < 10; ++i) {
    std::fprintf(
        out, " %s %s%s",
        std::string(flow::app_proto_name(static_cast<flow::AppProto>(apps[i].second))).c_str(),
        with_commas(apps[i].first).c_str(), i + 1 < apps.size() && i < 9 ? "," : "");
  }
  std::fprintf(out, "\n");
  std::fprintf(out, "Observations:");
  bool any = false;
  for (std::size_t i = 0; i < dissect::kObservationKinds; ++i) {
    auto n = p.dissector().stats().observations[i];
    if (n) {
      std::fprintf(out, " %s %s", std::string(dissect::observation_kind_name(i)).c_str(),
                   with_commas(n).c_str());
      any = true;
    }
  }
  std::fprintf(out, any ? "\n" : " none\n");
  if (p.anomalies().total() > 0) {
    std::fprintf(out, "Anomalies:");
    for (std::size_t i = 0; i < kAnomalyCount; ++i) {
      auto a = static_cast<Anomaly>(i);
      if (p.anomalies().get(a)) {
        std::fprintf(out, " %s %s", std::string(anomaly_name(a)).c_str(),
                     with_commas(p.anomalies().get(a)).c_str());
      }
    }
    std::fprintf(out, "\n");
  }
  std::fprintf(
      out,
      "\nOutput: %s/ (report.html, alerts.jsonl, flows.jsonl, observations.jsonl, devices.jsonl, "
      "summary.json%s)\n",
      output_dir.c_str(), sqlite ? ", warden.db" : "");
}

}  // namespace warden::app
