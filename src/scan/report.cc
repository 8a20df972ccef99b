#include "scan/report.h"

#include <algorithm>
#include <array>

#include "core/json.h"
#include "core/text.h"
#include "scan/score.h"

namespace warden::scan {
namespace {

void write_host(JsonWriter& w, const HostReport& h) {
  w.begin_object();
  w.field("addr", h.addr.to_string());
  if (h.mac) {
    w.field("mac", h.mac->to_string());
  }
  if (!h.vendor.empty()) w.field("vendor", h.vendor);
  if (!h.device_id.empty()) w.field("device_id", h.device_id);
  w.field("up", h.up);
  w.field("score", h.score);
  w.field("grade", grade_of(h.score));
  w.key("elapsed_s").value(h.elapsed_s, 3);
  w.key("services").begin_array();
  for (const auto& s : h.services) {
    w.begin_object();
    w.field("port", static_cast<unsigned>(s.port));
    w.field("transport", transport_name(s.transport));
    w.field("name", s.name);
    if (!s.product.empty()) w.field("product", s.product);
    if (!s.version.empty()) w.field("version", s.version);
    if (s.tls) w.field("tls", true);
    if (s.auth_required) w.field("auth_required", true);
    if (!s.banner.empty()) w.field("banner", s.banner);
    w.end_object();
  }
  w.end_array();
  w.key("findings").begin_array();
  for (const auto& f : h.findings) {
    w.begin_object();
    w.field("id", f.kind->id);
    w.field("severity", severity_name(f.severity));
    w.field("title", f.kind->title);
    if (f.port != 0) {
      w.field("port", static_cast<unsigned>(f.port));
      w.field("transport", f.udp ? "udp" : "tcp");
    }
    w.field("evidence", f.evidence);
    w.field("etsi_en_303_645", f.kind->etsi);
    w.field("owasp_iot", f.kind->owasp);
    w.field("remediation", f.kind->remediation);
    w.end_object();
  }
  w.end_array();
  w.key("credentials").begin_array();
  for (const auto& g : h.guesses) {
    w.begin_object();
    w.field("service", g.service);
    w.field("port", static_cast<unsigned>(g.port));
    w.field("attempts", g.attempts);
    w.key("first_guess_ms").value(g.first_guess_ms, 1);
    w.key("median_guess_ms").value(g.median_guess_ms, 1);
    w.key("last_guess_ms").value(g.last_guess_ms, 1);
    w.field("lockout", g.lockout);
    w.field("slowed", g.slowed);
    w.field("stopped", g.stopped);
    if (g.valid_user) {
      w.field("user", *g.valid_user);
      w.field("password", g.valid_pass.value_or(""));
      w.field("proof", g.proof);
      w.field("source", g.credential_source);
    }
    w.end_object();
  }
  w.end_array();
  w.key("keys").begin_array();
  for (const auto& k : h.keys) {
    w.begin_object();
    w.field("kind", k.kind);
    w.field("port", static_cast<unsigned>(k.port));
    w.field("sha256", k.sha256);
    w.field("description", k.description);
    w.end_object();
  }
  w.end_array();
  w.key("changes").begin_array();
  for (const auto& c : h.changes) w.value(c);
  w.end_array();
  w.end_object();
}

const char* ansi(Severity s) {
  switch (s) {
    case Severity::critical:
      return "\033[1;37;41m";
    case Severity::high:
      return "\033[1;31m";
    case Severity::medium:
      return "\033[33m";
    case Severity::low:
      return "\033[36m";
    case Severity::info:
      return "\033[2m";
  }
  return "";
}

std::string html_escape(std::string_view s) { return markup_escape(s); }

const char* score_color(int score) {
  if (score >= 90) return "#2e7d32";
  if (score >= 75) return "#7cb342";
  if (score >= 50) return "#f9a825";
  if (score >= 25) return "#ef6c00";
  return "#c62828";
}

std::array<int, 5> severity_counts(const HostReport& h) {
  std::array<int, 5> c{};
  for (const auto& f : h.findings) ++c[static_cast<int>(f.severity)];
  return c;
}

}  // namespace

std::string host_json(const HostReport& host) {
  std::string out;
  JsonWriter w(out);
  write_host(w, host);
  return out;
}

std::string run_json(const ScanRun& run) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("tool", "warden scan");
  w.field("started", run.started);
  w.key("elapsed_s").value(run.elapsed_s, 3);
  w.key("options").begin_object();
  w.field("guess_credentials", run.options.guess_credentials);
  w.field("credentials", static_cast<std::uint64_t>(run.credential_count));
  w.field("wan_view", run.options.wan_view);
  w.field("upnp_probe_mapping", run.options.upnp_probe_mapping);
  w.field("connect_timeout_ms", static_cast<std::int64_t>(run.options.connect_timeout.count()));
  w.field("io_timeout_ms", static_cast<std::int64_t>(run.options.io_timeout.count()));
  w.field("guess_interval_ms", static_cast<std::int64_t>(run.options.guess_interval.count()));
  w.end_object();
  std::array<int, 5> totals{};
  std::size_t up = 0;
  for (const auto& h : run.hosts) {
    if (h.up) ++up;
    auto c = severity_counts(h);
    for (int i = 0; i < 5; ++i) totals[i] += c[i];
  }
  w.key("summary").begin_object();
  w.field("hosts", static_cast<std::uint64_t>(run.hosts.size()));
  w.field("up", static_cast<std::uint64_t>(up));
  w.key("findings").begin_object();
  for (int i = 4; i >= 0; --i) w.field(severity_name(static_cast<Severity>(i)), totals[i]);
  w.end_object();
  w.end_object();
  w.key("hosts").begin_array();
  for (const auto& h : run.hosts) {
    if (h.up) write_host(w, h);
  }
  w.end_array();
  w.end_object();
  out.push_back('\n');
  return out;
}

void print_terminal(std::FILE* out, const ScanRun& run, bool color, bool verbose) {
  const char* reset = color ? "\033[0m" : "";
  const char* bold = color ? "\033[1m" : "";
  std::size_t up = 0;
  for (const auto& h : run.hosts) up += h.up ? 1 : 0;
  std::fprintf(
      out, "%swarden scan%s: %zu of %zu targets answered in %.1f s%s\n\n", bold, reset, up,
      run.hosts.size(), run.elapsed_s,
      run.options.guess_credentials ? "" : " (no credential guessing: --guess-credentials)");
  for (const auto& h : run.hosts) {
    if (!h.up) continue;
    // A 20-cell bar: the picture of the score, readable without colour.
    const int cells = (h.score + 4) / 5;
    std::string bar(static_cast<std::size_t>(cells), '#');
    bar.append(static_cast<std::size_t>(20 - cells), '.');
    std::fprintf(out, "%s%-15s%s score %3d/100 %s [%s]", bold, h.addr.to_string().c_str(), reset,
                 h.score, grade_of(h.score), bar.c_str());
    if (h.mac) std::fprintf(out, "  %s", h.mac->to_string().c_str());
    if (!h.vendor.empty()) std::fprintf(out, " (%s)", h.vendor.c_str());
    if (!h.device_id.empty()) std::fprintf(out, "  device %s", h.device_id.c_str());
    std::fprintf(out, "\n  services: %s\n", service_summary(h).c_str());
    for (const auto& f : h.findings) {
      if (f.severity == Severity::info && !verbose) continue;
      std::fprintf(out, "  %s%-8s%s %s", color ? ansi(f.severity) : "", severity_name(f.severity),
                   reset, std::string(f.kind->title).c_str());
      if (f.port) std::fprintf(out, " [%u/%s]", f.port, f.udp ? "udp" : "tcp");
      std::fprintf(out, "\n           %s\n", f.evidence.c_str());
      std::fprintf(out, "           ETSI EN 303 645 %s; OWASP %s\n",
                   std::string(f.kind->etsi).c_str(), std::string(f.kind->owasp).c_str());
      std::fprintf(out, "           fix: %s\n", std::string(f.kind->remediation).c_str());
    }
    for (const auto& g : h.guesses) {
      std::fprintf(out, "  login %s/%u: %u guesses, median %.0f ms, %s%s\n", g.service.c_str(),
                   g.port, g.attempts, g.median_guess_ms, g.stopped.c_str(),
                   g.lockout ? ", locked out" : (g.slowed ? ", slowed down" : ""));
    }
    for (const auto& c : h.changes) std::fprintf(out, "  changed: %s\n", c.c_str());
    std::fprintf(out, "\n");
  }
}

std::string run_html(const ScanRun& run) {
  std::string h;
  h += "<!doctype html><html><head><meta charset=\"utf-8\"><title>warden scan ";
  h += html_escape(run.started);
  h +=
      "</title><style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
      ".dev{border:1px solid #ddd;border-radius:8px;padding:1em;margin:1em 0}"
      ".gauge{display:inline-block;width:240px;height:16px;background:#eee;border-radius:8px;"
      "vertical-align:middle;overflow:hidden}.gauge span{display:block;height:100%}"
      "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px;"
      "text-align:left;vertical-align:top}.sev{font-weight:bold;border-radius:4px;padding:1px 6px;"
      "color:#fff}.critical{background:#b71c1c}.high{background:#e53935}.medium{background:#fb8c00}"
      ".low{background:#039be5}.info{background:#9e9e9e}small{color:#666}</style></head><body>";
  h += "<h1>Device assessment</h1><p>warden scan, " + html_escape(run.started) + ", " +
       std::to_string(run.hosts.size()) + " targets, " +
       std::to_string(static_cast<int>(run.elapsed_s + 0.5)) + " s" +
       (run.options.guess_credentials ? ", default credentials tried" : "") +
       (run.options.wan_view ? ", seen from the internet (WAN) side" : "") + "</p>";
  // Overview: one gauge per device, worst first.
  std::vector<const HostReport*> order;
  for (const auto& host : run.hosts) {
    if (host.up) order.push_back(&host);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const HostReport* a, const HostReport* b) { return a->score < b->score; });
  h += "<table><tr><th>device</th><th>score</th><th></th><th>findings</th></tr>";
  for (const auto* host : order) {
    auto c = severity_counts(*host);
    h += "<tr><td><a href=\"#d" + html_escape(host->addr.to_string()) + "\">" +
         html_escape(host->addr.to_string()) + "</a> <small>" + html_escape(host->vendor) +
         "</small></td><td>" + std::to_string(host->score) + " " + grade_of(host->score) +
         "</td><td><div class=\"gauge\"><span style=\"width:" + std::to_string(host->score) +
         "%;background:" + score_color(host->score) + "\"></span></div></td><td>";
    for (int i = 4; i >= 1; --i) {
      if (c[i] == 0) continue;
      const char* name = severity_name(static_cast<Severity>(i));
      h += "<span class=\"sev " + std::string(name) + "\">" + std::to_string(c[i]) + " " + name +
           "</span> ";
    }
    h += "</td></tr>";
  }
  h += "</table>";
  for (const auto* host : order) {
    h += "<div class=\"dev\" id=\"d" + html_escape(host->addr.to_string()) + "\"><h2>" +
         html_escape(host->addr.to_string()) + " &mdash; " + std::to_string(host->score) +
         "/100</h2><p><small>";
    if (host->mac) h += html_escape(host->mac->to_string()) + " ";
    h += html_escape(host->vendor) + " " + html_escape(service_summary(*host)) + "</small></p>";
    h += "<table><tr><th>severity</th><th>finding</th><th>evidence</th><th>ETSI EN 303 645</th>"
         "<th>OWASP IoT</th><th>what to do</th></tr>";
    for (const auto& f : host->findings) {
      const char* name = severity_name(f.severity);
      h += "<tr><td><span class=\"sev " + std::string(name) + "\">" + name + "</span></td><td>" +
           html_escape(f.kind->title) +
           (f.port ? " <small>" + std::to_string(f.port) + (f.udp ? "/udp" : "/tcp") + "</small>"
                   : std::string()) +
           "</td><td><small>" + html_escape(f.evidence) + "</small></td><td>" +
           html_escape(f.kind->etsi) + "</td><td>" + html_escape(f.kind->owasp) + "</td><td>" +
           html_escape(f.kind->remediation) + "</td></tr>";
    }
    h += "</table>";
    for (const auto& c : host->changes)
      h += "<p><small>changed: " + html_escape(c) + "</small></p>";
    h += "</div>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace warden::scan
