// Alert: one finding, in the shape Suricata's EVE "alert" events have (so a SIEM ingests it
// unchanged) plus warden's own fields: the detector, the device, a sentence a home user
// understands, the evidence, and a count. Repeats of the same finding are aggregated by the
// AlertTable into one alert whose count grows, not ten thousand lines for one scan.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/time.h"

namespace warden::detect {

// EVE severities: 1 is the most severe. kInfo is warden's for findings worth a look only.
enum class Severity : std::uint8_t { kHigh = 1, kMedium = 2, kLow = 3, kInfo = 4 };
std::string_view severity_name(Severity s);

struct Alert {
  Timestamp first_ts = 0, last_ts = 0;
  std::string detector;            // e.g. "scan.telnet"
  std::uint32_t signature_id = 0;  // stable per signature (warden's range: 9'100'000+)
  std::string signature;  // "WARDEN SCAN Mirai-style telnet scanning from an inside device"
  std::string category;   // Suricata classification, e.g. "Attempted Information Leak"
  Severity severity = Severity::kLow;
  IpAddr src_ip, dest_ip;
  std::uint16_t src_port = 0, dest_port = 0;
  std::uint8_t proto = 0;
  std::string device;       // inventory id of the device the alert is about (often the source)
  std::string explanation;  // one sentence for a home user
  // Facts behind the alert, in order. Text is escaped by the writer, never by detectors:
  // much of it (DNS names, URLs) comes straight off the wire.
  struct Evidence {
    std::string key, value;
    bool number = false;  // value is a formatted number, written bare
  };
  std::vector<Evidence> evidence;
  void note(std::string key, std::string_view text) {
    evidence.push_back({std::move(key), std::string(text), false});
  }
  void note(std::string key, std::uint64_t n) {
    evidence.push_back({std::move(key), std::to_string(n), true});
  }
  void note(std::string key, double v, int decimals);
  std::uint64_t count = 1;  // occurrences aggregated into this alert
  // The detector re-judged the finding on new evidence (a beacon's destination turned out to
  // be a habit the baseline learned): the merge takes this severity instead of the higher.
  bool rejudged = false;
  // What makes two raises the same finding, beside signature and source (e.g. "port=23" for a
  // horizontal scan, the target for a vertical one). Not written out.
  std::string group;
};

// Aggregates alerts by (signature, source, group) and keeps them in first-seen order. Bounded: past
// `max_alerts` distinct alerts, new keys are counted as dropped (a flood of distinct findings must
// not exhaust memory).
class AlertTable {
 public:
  explicit AlertTable(std::size_t max_alerts = 10'000) : max_(max_alerts) {}

  // Adds or merges: the merged alert extends the time span, adds `a.count`, takes the higher
  // severity, and takes the newest explanation and evidence (they carry the running totals).
  void raise(Alert a);
  // Called on every alert raised, before it is merged (adds evidence common to all detectors).
  void set_enricher(std::function<void(Alert&)> f) { enrich_ = std::move(f); }
  // Called with every alert raised, after enrichment (the gateway quarantines on it).
  void set_listener(std::function<void(const Alert&)> f) { listen_ = std::move(f); }
  const std::vector<Alert>& alerts() const { return alerts_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_;
  std::vector<Alert> alerts_;
  std::map<std::string, std::size_t> index_;
  std::uint64_t dropped_ = 0;
  std::function<void(Alert&)> enrich_;
  std::function<void(const Alert&)> listen_;
};

}  // namespace warden::detect
