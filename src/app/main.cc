// warden: the command-line entry point. Subcommands are a table (name -> function + help),
// built here in one place; each parses its own options into one validated config struct.
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/console.h"
#include "app/exit_codes.h"
#include "app/gateway_cli.h"
#include "app/intel_cli.h"
#include "app/mud_cli.h"
#include "app/pki_cli.h"
#include "app/relay_cli.h"
#include "app/scan_cli.h"
#include "app/update_cli.h"
#include "capture/file_format.h"
#include "capture/live_source.h"
#include "capture/mapped_file.h"
#include "geo/geo.h"
#include "intel/intel.h"
#include "inventory/oui.h"
#include "pipeline/pipeline.h"
#include "report/html_report.h"
#include "storage/async_sink.h"
#include "storage/baseline_store.h"
#include "storage/output_writer.h"

namespace warden::app {
namespace {

struct CommonOptions {
  std::string output_dir;
  bool sqlite = true;
  bool quiet = false;
  bool progress = true;
  std::string oui_dir = std::string(inventory::kDefaultOuiDir);
  std::vector<std::string> intel_files;
  std::string intel_store;  // empty: the default store
  bool use_intel_store = true;
  std::vector<std::string> geo_files;
  std::string baseline_file;
  pipeline::PipelineConfig pipeline;
};

std::uint64_t peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss);
}

std::string now_stamp(const char* fmt) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

bool parse_uint(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-') return false;
  out = v;
  return true;
}

// Loads country/ASN range lists; false (after saying why) when one cannot be read or holds no
// range at all (most likely the wrong file).
bool load_geo(const std::vector<std::string>& files, geo::GeoDb& db, bool verbose) {
  for (const auto& file : files) {
    auto map = capture::MappedFile::open(file);
    if (!map) {
      std::fprintf(stderr, "warden: geo list %s\n", map.error().c_str());
      return false;
    }
    auto st = db.add_csv(as_string_view(map->bytes()));
    if (!st) {
      std::fprintf(stderr, "warden: geo list %s: %.*s\n", file.c_str(),
                   static_cast<int>(st.error().reason.size()), st.error().reason.data());
      return false;
    }
    if (st->country_ranges + st->asn_ranges == 0) {
      std::fprintf(stderr,
                   "warden: geo list %s: no ranges (expected lines 'start,end,CC' or "
                   "'start,end,ASN,organisation'; first bad line %zu)\n",
                   file.c_str(), st->first_bad_line);
      return false;
    }
    if (verbose) {
      std::fprintf(stderr, "warden: geo %s: %zu country ranges, %zu network ranges", file.c_str(),
                   st->country_ranges, st->asn_ranges);
      if (st->skipped > 0)
        std::fprintf(stderr, "; %zu lines skipped (first: line %zu)", st->skipped,
                     st->first_bad_line);
      std::fputc('\n', stderr);
    }
  }
  return true;
}

enum OptionId {
  kOptNoSqlite = 1000,
  kOptMaxFlows,
  kOptOuiDir,
  kOptNoProgress,
  kOptNoDetect,
  kOptIntel,
  kOptIntelStore,
  kOptNoIntelStore,
  kOptGeo,
  kOptTcpTimeout,
  kOptUdpTimeout,
  kOptUser,
  kOptSnaplen,
  kOptDuration,
  kOptMaxPackets,
  kOptDevicesInterval,
  kOptNoPromisc,
  kOptBaseline,
  kOptLearningPeriod,
};

// Parses options shared by analyze and monitor. Returns false (after printing why) on error.
bool common_option(int c, const char* arg, CommonOptions& o, const char* cmd) {
  std::uint64_t v = 0;
  switch (c) {
    case 'o':
      o.output_dir = arg;
      return true;
    case 'q':
      o.quiet = true;
      o.progress = false;
      return true;
    case kOptNoSqlite:
      o.sqlite = false;
      return true;
    case kOptNoProgress:
      o.progress = false;
      return true;
    case kOptNoDetect:
      o.pipeline.detect.enabled = false;
      return true;
    case kOptIntel:
      o.intel_files.emplace_back(arg);
      return true;
    case kOptGeo:
      o.geo_files.emplace_back(arg);
      return true;
    case kOptIntelStore:
      o.intel_store = arg;
      return true;
    case kOptNoIntelStore:
      o.use_intel_store = false;
      return true;
    case kOptOuiDir:
      o.oui_dir = arg;
      return true;
    case kOptBaseline:
      o.baseline_file = arg;
      return true;
    case kOptLearningPeriod:
      if (!parse_uint(arg, v) || v < 1 || v > 366 * 86400) {
        std::fprintf(stderr,
                     "warden %s: --learning-period wants seconds from 1 to 31622400, not '%s'\n",
                     cmd, arg);
        return false;
      }
      o.pipeline.detect.learning_period = static_cast<Timestamp>(v) * kNsPerSec;
      return true;
    case kOptMaxFlows:
      if (!parse_uint(arg, v) || v < 16 || v > 100'000'000) {
        std::fprintf(stderr,
                     "warden %s: --max-flows wants a number from 16 to 100000000, not '%s'\n", cmd,
                     arg);
        return false;
      }
      o.pipeline.flows.max_flows = v;
      return true;
    case kOptTcpTimeout:
    case kOptUdpTimeout:
      if (!parse_uint(arg, v) || v < 1 || v > 86400) {
        std::fprintf(stderr, "warden %s: timeouts are seconds from 1 to 86400, not '%s'\n", cmd,
                     arg);
        return false;
      }
      (c == kOptTcpTimeout ? o.pipeline.flows.tcp_idle_timeout
                           : o.pipeline.flows.udp_idle_timeout) =
          static_cast<Timestamp>(v) * kNsPerSec;
      return true;
    default:
      return false;
  }
}

constexpr const char* kCommonHelp =
    "  -o, --output DIR      output folder (default: warden-out/<name>-<UTC time>)\n"
    "      --no-sqlite       write JSON Lines only, no warden.db\n"
    "      --max-flows N     flow table capacity; beyond it the least recently active flow\n"
    "                        is evicted and counted (default 262144)\n"
    "      --tcp-timeout S   idle timeout of established TCP flows (default 300)\n"
    "      --udp-timeout S   idle timeout of UDP/ICMP flows (default 60)\n"
    "      --oui-dir DIR     IEEE registry CSVs (default /usr/share/ieee-data, Debian ieee-data)\n"
    "      --no-detect       run no threat detectors (alerts.jsonl stays empty)\n"
    "      --intel FILE      threat-intelligence list (IPs, CIDRs, domains, JA3; plain, hosts\n"
    "                        or CSV); repeat for several. Check one with 'warden intel check'\n"
    "      --store DIR       intel store whose lists are all loaded ('warden intel add';\n"
    "                        default $WARDEN_INTEL_DIR, /var/lib/warden/intel as root, else\n"
    "                        ~/.local/share/warden/intel), when it exists\n"
    "      --no-intel-store  do not load the intel store\n"
    "      --geo FILE        country or ASN ranges (ip-location-db CSV: start,end,CC or\n"
    "                        start,end,ASN,org); alerts name the peer's country and network\n"
    "      --baseline FILE   per-device behaviour baselines: loaded from FILE if it exists,\n"
    "                        saved back at the end (SQLite; monitor: also every 5 minutes)\n"
    "      --learning-period S  capture time a newly seen device learns (and at least\n"
    "                        20 flows) before its deviations alert (default 86400, a day)\n"
    "  -q, --quiet           no progress bar and no summary screen\n"
    "      --no-progress     no progress bar\n"
    "  -h, --help            this help\n";

const option kCommonLong[] = {
    {"output", required_argument, nullptr, 'o'},
    {"quiet", no_argument, nullptr, 'q'},
    {"no-sqlite", no_argument, nullptr, kOptNoSqlite},
    {"max-flows", required_argument, nullptr, kOptMaxFlows},
    {"oui-dir", required_argument, nullptr, kOptOuiDir},
    {"no-progress", no_argument, nullptr, kOptNoProgress},
    {"no-detect", no_argument, nullptr, kOptNoDetect},
    {"intel", required_argument, nullptr, kOptIntel},
    {"store", required_argument, nullptr, kOptIntelStore},
    {"no-intel-store", no_argument, nullptr, kOptNoIntelStore},
    {"geo", required_argument, nullptr, kOptGeo},
    {"tcp-timeout", required_argument, nullptr, kOptTcpTimeout},
    {"udp-timeout", required_argument, nullptr, kOptUdpTimeout},
    {"baseline", required_argument, nullptr, kOptBaseline},
    {"learning-period", required_argument, nullptr, kOptLearningPeriod},
    {"help", no_argument, nullptr, 'h'},
};

std::vector<option> long_options(std::initializer_list<option> extra) {
  std::vector<option> v(std::begin(kCommonLong), std::end(kCommonLong));
  v.insert(v.end(), extra.begin(), extra.end());
  v.push_back(option{nullptr, 0, nullptr, 0});
  return v;
}

std::unique_ptr<inventory::OuiDatabase> load_oui(const CommonOptions& o) {
  auto db = inventory::OuiDatabase::load(o.oui_dir);
  if (!db) {
    std::fprintf(stderr, "warden: warning: %s; device vendors will be empty\n", db.error().c_str());
    return nullptr;
  }
  return std::make_unique<inventory::OuiDatabase>(std::move(*db));
}

// Loads --baseline FILE into `model` when the file exists (a missing file is a first run).
// False (after saying why) when it exists but is not a usable baseline.
bool load_baseline(const CommonOptions& o, detect::BaselineModel& model, const char* cmd) {
  if (o.baseline_file.empty()) return true;
  std::error_code ec;
  if (!std::filesystem::exists(o.baseline_file, ec)) {
    if (!o.quiet)
      std::fprintf(stderr, "warden %s: baseline %s does not exist yet; devices start learning\n",
                   cmd, o.baseline_file.c_str());
    return true;
  }
  auto snap = storage::load_baseline(o.baseline_file, detect::BaselineLimits{});
  if (!snap) {
    std::fprintf(stderr, "warden %s: %s\n", cmd, snap.error().c_str());
    return false;
  }
  model.restore(*snap);
  if (!o.quiet) {
    std::fprintf(stderr, "warden %s: baseline %s: %zu devices, %zu items\n", cmd,
                 o.baseline_file.c_str(), model.size(), model.item_count());
  }
  return true;
}

// Saves the model to --baseline FILE. False (after saying why) when it cannot be written.
bool save_baseline(const CommonOptions& o, const detect::BaselineModel& model, const char* cmd) {
  if (o.baseline_file.empty()) return true;
  auto saved = storage::save_baseline(o.baseline_file, model.snapshot());
  if (!saved) {
    std::fprintf(stderr, "warden %s: %s\n", cmd, saved.error().c_str());
    return false;
  }
  return true;
}

void report_baseline(const CommonOptions& o, const detect::BaselineModel& model, const char* cmd) {
  if (o.baseline_file.empty() || o.quiet) return;
  std::fprintf(stderr,
               "warden %s: baseline %s saved: %zu devices (%zu still learning), %zu items, "
               "about %zu KB in memory",
               cmd, o.baseline_file.c_str(), model.size(), model.learning_count(),
               model.item_count(), model.memory_bytes() / 1024);
  if (model.devices_dropped() || model.items_dropped()) {
    std::fprintf(stderr, "; %llu devices and %llu items not kept (caps)",
                 static_cast<unsigned long long>(model.devices_dropped()),
                 static_cast<unsigned long long>(model.items_dropped()));
  }
  std::fprintf(stderr, "\n");
}

std::string default_output(const std::string& name) {
  return "warden-out/" + name + "-" + now_stamp("%Y%m%d-%H%M%S");
}

// ---------------------------------------------------------------------------------- analyze

void analyze_help(std::FILE* out) {
  std::fprintf(out,
               "Usage: warden analyze [OPTIONS] CAPTURE...\n"
               "Reads pcap and pcapng files (Ethernet, 802.1Q, Linux cooked v1/v2, raw IP,\n"
               "BSD loopback) and writes flows, observations, alerts and the device inventory:\n"
               "  flows.jsonl         one line per bidirectional flow (Zeek conn.log fields)\n"
               "  observations.jsonl  DHCP, DNS, mDNS, SSDP, UPnP, HTTP, TLS hello + JA3, MQTT,\n"
               "                      FTP/Telnet logins (Suricata EVE shape)\n"
               "  alerts.jsonl        threats found: scans, brute force, C&C, floods, tunnels,\n"
               "                      exfiltration, DGA, weak practice, intel hits, deviations\n"
               "                      from each device's baseline, lateral movement (EVE alerts)\n"
               "  devices.jsonl       one line per device: vendor, addresses, names, type,\n"
               "                      confidence and the evidence behind it\n"
               "  summary.json        every counter of the run\n"
               "  warden.db           all of the above in SQLite\n"
               "  report.html         the picture: alerts, devices by type, services\n\n"
               "Options:\n%s\n"
               "Exit status: 0 ok; 1 fatal error (also: a --baseline file that is not a\n"
               "readable warden baseline, or cannot be saved); 2 bad usage; 3 finished, but an\n"
               "input file was damaged (the packets before the damage were analysed and written).\n"
               "Example: warden analyze -o out/ capture.pcapng\n",
               kCommonHelp);
}

int cmd_analyze(int argc, char** argv) {
  CommonOptions o;
  auto longs = long_options({});
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "o:qh", longs.data(), nullptr)) != -1;) {
    if (c == 'h') {
      analyze_help(stdout);
      return kExitOk;
    }
    if (c == '?' || !common_option(c, optarg, o, "analyze")) {
      std::fprintf(stderr, "Try 'warden analyze --help'.\n");
      return kExitUsage;
    }
  }
  std::vector<std::string> files(argv + optind, argv + argc);
  if (files.empty()) {
    std::fprintf(stderr, "warden analyze: no capture file given\nTry 'warden analyze --help'.\n");
    return kExitUsage;
  }
  // Open every input first, so a typo fails before any work or output.
  std::vector<capture::MappedFile> maps;
  std::uint64_t total = 0;
  for (const auto& f : files) {
    auto m = capture::MappedFile::open(f);
    if (!m) {
      std::fprintf(stderr, "warden analyze: %s\n", m.error().c_str());
      return kExitFatal;
    }
    total += m->size();
    maps.push_back(std::move(*m));
  }
  detect::BaselineModel baseline;
  // Saved once now as well: a baseline that cannot be written fails before the work.
  if (!load_baseline(o, baseline, "analyze") || !save_baseline(o, baseline, "analyze"))
    return kExitFatal;
  o.pipeline.detect.baseline = &baseline;
  if (o.output_dir.empty())
    o.output_dir = default_output(std::filesystem::path(files[0]).stem().string());
  auto writer = storage::OutputWriter::open({o.output_dir, o.sqlite, /*bulk=*/true});
  if (!writer) {
    std::fprintf(stderr, "warden analyze: %s\n", writer.error().c_str());
    return kExitFatal;
  }
  if (!o.quiet) std::fprintf(stderr, "warden analyze: writing to %s/\n", o.output_dir.c_str());
  auto oui = load_oui(o);
  intel::IntelSet intel_set;
  if (!load_intel(o.intel_files, {}, intel_set, !o.quiet)) return kExitFatal;
  if (o.use_intel_store && !load_intel_store(o.intel_store, intel_set, !o.quiet, "analyze"))
    return kExitFatal;
  o.pipeline.detect.intel = &intel_set;
  geo::GeoDb geo_db;
  if (!load_geo(o.geo_files, geo_db, !o.quiet)) return kExitFatal;
  o.pipeline.detect.geo = &geo_db;
  // Storage (JSON formatting, files, SQLite) runs on its own thread behind a bounded channel.
  storage::AsyncSink storage_channel(**writer);
  pipeline::Pipeline pipe(o.pipeline, oui.get(), storage_channel);

  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar(o.progress && isatty(STDERR_FILENO), total);
  std::uint64_t done_before = 0;
  int status = kExitOk;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto parser = capture::FileParser::open(maps[i].bytes());
    if (!parser) {
      bar.finish();
      std::fprintf(stderr, "warden analyze: %s: %s; skipped\n", files[i].c_str(),
                   capture::describe_error(parser.error(), maps[i].bytes()).c_str());
      status = kExitDamagedInput;
      done_before += maps[i].size();
      continue;
    }
    const std::string label = std::filesystem::path(files[i]).filename().string();
    pipe.new_source();
    std::size_t released = 0;
    std::uint64_t n = 0;
    while (auto frame = parser->next()) {
      pipe.process(frame->data, frame->link_type, frame->ts, frame->wire_length);
      if ((++n & 0x3fff) == 0) {
        bar.update(done_before + parser->offset(), pipe.stats().packets, label);
        // No packet bytes outlive process(): observations copy what they keep. Released in
        // 16 MB steps: each release is a TLB shootdown across the process's threads.
        if (parser->offset() >= released + (16u << 20)) {
          released = parser->offset();
          maps[i].release_before(released);
        }
      }
    }
    if (parser->error()) {
      bar.finish();
      const auto& e = *parser->error();
      std::fprintf(stderr,
                   "warden analyze: %s: damaged at byte %zu: %.*s; the %s packets before it were "
                   "analysed\n",
                   files[i].c_str(), e.offset, static_cast<int>(e.reason.size()), e.reason.data(),
                   with_commas(n).c_str());
      status = kExitDamagedInput;
    }
    done_before += maps[i].size();
  }
  bar.finish();
  pipe.finish();
  storage_channel.drain();
  if (!save_baseline(o, baseline, "analyze"))
    status = kExitFatal;
  else
    report_baseline(o, baseline, "analyze");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string command = "analyze";
  for (const auto& f : files) command += " " + f;
  const std::string generated = now_stamp("%Y-%m-%dT%H:%M:%SZ");
  (*writer)->write_summary(generated, command, pipe.summary_json(wall, peak_rss_kb()));
  auto closed = (*writer)->close();
  auto html = report::write_html(o.output_dir + "/report.html", pipe,
                                 report::ReportMeta{"analyze", files, generated, wall});
  if (!closed || !html) {
    std::fprintf(stderr, "warden analyze: %s\n", (!closed ? closed.error() : html.error()).c_str());
    return kExitFatal;
  }
  if (!o.quiet) print_summary(stdout, "analyze", pipe, wall, o.output_dir, o.sqlite);
  return status;
}

// ---------------------------------------------------------------------------------- monitor

std::atomic<bool> g_stop{false};
capture::LiveSource* g_source = nullptr;  // only for the signal handler to break the loop

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
  if (g_source) g_source->break_loop();
}

void monitor_help(std::FILE* out) {
  std::fprintf(
      out,
      "Usage: warden monitor -i IFACE [OPTIONS]\n"
      "Runs the analysis pipeline live on a network interface (libpcap) and writes the\n"
      "same output folder as 'warden analyze', continuously: flows as they end,\n"
      "observations as they are seen, the device inventory every --devices-interval.\n"
      "Stops cleanly on SIGINT (Ctrl-C) or SIGTERM with everything flushed.\n"
      "Started as root, it drops to --user right after opening the capture.\n\n"
      "Options:\n"
      "  -i, --interface IFACE  interface to capture on (required)\n"
      "  -f, --filter EXPR      BPF capture filter (tcpdump syntax)\n"
      "      --user NAME        user to run as after opening the capture (default nobody)\n"
      "      --snaplen N        bytes captured per packet (default 262144)\n"
      "      --no-promisc       do not put the interface in promiscuous mode\n"
      "      --devices-interval S  rewrite devices.jsonl every S seconds (default 30)\n"
      "      --duration S       stop after S seconds\n"
      "      --max-packets N    stop after N packets\n"
      "%s\n"
      "Example: sudo warden monitor -i eth0 -o /var/lib/warden/live\n",
      kCommonHelp);
}

// Drops root for `user`: supplementary groups, gid, then uid, and checks it cannot come back.
bool drop_privileges(const std::string& user, std::string& error) {
  if (geteuid() != 0) return true;
  errno = 0;
  passwd* pw = getpwnam(user.c_str());
  if (!pw) {
    error = "no such user '" + user + "' to drop privileges to";
    return false;
  }
  if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
    error = std::string("cannot drop privileges to ") + user + ": " + std::strerror(errno);
    return false;
  }
  if (pw->pw_uid != 0 && setuid(0) == 0) {
    error = "privileges could be regained after dropping them; refusing to run";
    return false;
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return true;
}

int cmd_monitor(int argc, char** argv) {
  CommonOptions o;
  capture::LiveOptions live;
  std::string user = "nobody";
  std::uint64_t duration_s = 0, max_packets = 0, devices_interval = 30;
  auto longs =
      long_options({{"interface", required_argument, nullptr, 'i'},
                    {"filter", required_argument, nullptr, 'f'},
                    {"user", required_argument, nullptr, kOptUser},
                    {"snaplen", required_argument, nullptr, kOptSnaplen},
                    {"no-promisc", no_argument, nullptr, kOptNoPromisc},
                    {"duration", required_argument, nullptr, kOptDuration},
                    {"max-packets", required_argument, nullptr, kOptMaxPackets},
                    {"devices-interval", required_argument, nullptr, kOptDevicesInterval}});
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "o:qhi:f:", longs.data(), nullptr)) != -1;) {
    std::uint64_t v = 0;
    bool ok = true;
    switch (c) {
      case 'h':
        monitor_help(stdout);
        return kExitOk;
      case 'i':
        live.interface = optarg;
        break;
      case 'f':
        live.bpf_filter = optarg;
        break;
      case kOptUser:
        user = optarg;
        break;
      case kOptNoPromisc:
        live.promiscuous = false;
        break;
      case kOptSnaplen:
        ok = parse_uint(optarg, v) && v >= 64 && v <= 262144;
        live.snaplen = static_cast<int>(v);
        break;
      case kOptDuration:
        ok = parse_uint(optarg, duration_s);
        break;
      case kOptMaxPackets:
        ok = parse_uint(optarg, max_packets);
        break;
      case kOptDevicesInterval:
        ok = parse_uint(optarg, devices_interval) && devices_interval > 0;
        break;
      default:
        ok = c != '?' && common_option(c, optarg, o, "monitor");
    }
    if (!ok) {
      if (c != '?') std::fprintf(stderr, "warden monitor: bad value '%s'\n", optarg ? optarg : "");
      std::fprintf(stderr, "Try 'warden monitor --help'.\n");
      return kExitUsage;
    }
  }
  if (live.interface.empty()) {
    std::fprintf(stderr,
                 "warden monitor: no interface given (-i IFACE)\nTry 'warden monitor --help'.\n");
    return kExitUsage;
  }
  live.immediate = true;
  auto source = capture::LiveSource::open(live);
  if (!source) {
    std::fprintf(stderr, "warden monitor: %s\n", source.error().c_str());
    return kExitFatal;
  }
  for (const auto& w : (*source)->warnings())
    std::fprintf(stderr, "warden monitor: warning: %s\n", w.c_str());
  if (o.output_dir.empty()) o.output_dir = default_output(live.interface);
  // The output folder must be writable by the user we drop to.
  std::error_code ec;
  std::filesystem::create_directories(o.output_dir, ec);
  if (ec) {
    std::fprintf(stderr, "warden monitor: cannot create %s: %s\n", o.output_dir.c_str(),
                 ec.message().c_str());
    return kExitFatal;
  }
  if (geteuid() == 0) {
    if (passwd* pw = getpwnam(user.c_str())) {
      if (chown(o.output_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        std::fprintf(stderr, "warden monitor: cannot hand %s to %s: %s\n", o.output_dir.c_str(),
                     user.c_str(), std::strerror(errno));
        return kExitFatal;
      }
    }
  }
  auto oui = load_oui(o);     // read before dropping: the registry may not be readable after
  intel::IntelSet intel_set;  // likewise the intel lists
  if (!load_intel(o.intel_files, {}, intel_set, !o.quiet)) return kExitFatal;
  if (o.use_intel_store && !load_intel_store(o.intel_store, intel_set, !o.quiet, "monitor"))
    return kExitFatal;
  o.pipeline.detect.intel = &intel_set;
  geo::GeoDb geo_db;  // and the geo lists
  if (!load_geo(o.geo_files, geo_db, !o.quiet)) return kExitFatal;
  o.pipeline.detect.geo = &geo_db;
  detect::BaselineModel baseline;  // and the baseline
  if (!load_baseline(o, baseline, "monitor")) return kExitFatal;
  o.pipeline.detect.baseline = &baseline;
  std::string err;
  if (!drop_privileges(user, err)) {
    std::fprintf(stderr, "warden monitor: %s\n", err.c_str());
    return kExitFatal;
  }
  auto writer = storage::OutputWriter::open({o.output_dir, o.sqlite});
  if (!writer) {
    std::fprintf(stderr, "warden monitor: %s\n", writer.error().c_str());
    return kExitFatal;
  }
  // Written once now, as the user we run as: a baseline that cannot be saved fails at the
  // start, not after a day of learning.
  if (!save_baseline(o, baseline, "monitor")) return kExitFatal;
  storage::AsyncSink storage_channel(**writer);
  pipeline::Pipeline pipe(o.pipeline, oui.get(), storage_channel);
  g_source = source->get();
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (!o.quiet) {
    std::fprintf(
        stderr,
        "warden monitor: capturing on %s (%s), writing to %s/, running as %s; Ctrl-C stops\n",
        live.interface.c_str(),
        std::string(capture::link_type_name((*source)->link_type())).c_str(), o.output_dir.c_str(),
        geteuid() == 0 ? "root" : user.c_str());
  }
  const auto start = std::chrono::steady_clock::now();
  auto last_devices = start, last_status = start, last_baseline = start;
  std::uint64_t saved_version = baseline.version();
  // A live status line, once a second, for a person watching a terminal.
  const bool status_line = !o.quiet && o.progress && isatty(STDERR_FILENO);
  int status = kExitOk;
  while (!g_stop.load()) {
    auto n = (*source)->dispatch(
        [&](const capture::Frame& f) { pipe.process(f.data, f.link_type, f.ts, f.wire_length); });
    if (!n) {
      if (g_stop.load()) break;
      std::fprintf(stderr, "warden monitor: capture failed: %s\n", n.error().c_str());
      status = kExitFatal;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    // Idle flows end on wall-clock time when the network is quiet.
    pipe.heartbeat(static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()));
    if (now - last_devices >= std::chrono::seconds(devices_interval)) {
      pipe.publish_devices();
      last_devices = now;
    }
    // What was learned survives a crash or power cut, at most five minutes of it lost.
    if (now - last_baseline >= std::chrono::minutes(5) && baseline.version() != saved_version) {
      if (!save_baseline(o, baseline, "monitor")) status = kExitFatal;
      saved_version = baseline.version();
      last_baseline = now;
    }
    if (status_line && now - last_status >= std::chrono::seconds(1)) {
      last_status = now;
      const auto cs = (*source)->stats();
      std::fprintf(stderr, "\r%s packets  %s flows (%s active)  %zu devices  %s dropped   ",
                   with_commas(pipe.stats().packets).c_str(),
                   with_commas(pipe.flows().stats().created).c_str(),
                   with_commas(pipe.flows().size()).c_str(), pipe.inventory().devices().size(),
                   with_commas(cs.dropped + cs.if_dropped).c_str());
    }
    if (duration_s && now - start >= std::chrono::seconds(duration_s)) break;
    if (max_packets && pipe.stats().packets >= max_packets) break;
  }
  g_source = nullptr;
  if (status_line) std::fprintf(stderr, "\n");
  pipe.finish();
  storage_channel.drain();
  if (!save_baseline(o, baseline, "monitor"))
    status = kExitFatal;
  else
    report_baseline(o, baseline, "monitor");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto cs = (*source)->stats();
  std::string summary = pipe.summary_json(wall, peak_rss_kb());
  summary.pop_back();  // add the capture's own counters to the summary object
  summary += ",\"capture\":{\"interface\":\"" + live.interface +
             "\",\"received\":" + std::to_string(cs.received) +
             ",\"dropped\":" + std::to_string(cs.dropped) +
             ",\"if_dropped\":" + std::to_string(cs.if_dropped) + "}}";
  const std::string generated = now_stamp("%Y-%m-%dT%H:%M:%SZ");
  (*writer)->write_summary(generated, "monitor -i " + live.interface, summary);
  auto closed = (*writer)->close();
  auto html = report::write_html(o.output_dir + "/report.html", pipe,
                                 report::ReportMeta{"monitor", {live.interface}, generated, wall});
  if (!closed || !html) {
    std::fprintf(stderr, "warden monitor: %s\n", (!closed ? closed.error() : html.error()).c_str());
    return kExitFatal;
  }
  if (!o.quiet) {
    print_summary(stdout, "monitor", pipe, wall, o.output_dir, o.sqlite);
    std::printf("Capture: %s received, %s dropped by the kernel, %s by the interface\n",
                with_commas(cs.received).c_str(), with_commas(cs.dropped).c_str(),
                with_commas(cs.if_dropped).c_str());
  }
  return status;
}

// ---------------------------------------------------------------------------------- main

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

int cmd_version(int, char**) {
  std::printf("warden %s\n", WARDEN_VERSION);
  return kExitOk;
}

const Command kCommands[] = {
    {"analyze", cmd_analyze, "analyse pcap/pcapng files: flows, observations, device inventory"},
    {"monitor", cmd_monitor, "run the same analysis live on a network interface"},
    {"gateway", cmd_gateway, "enforce per-device policies and quarantine on a router (nftables)"},
    {"intel", cmd_intel, "threat-intelligence lists: add, list, refresh, remove, check"},
    {"mud", cmd_mud, "RFC 8520 MUD files: check, fetch and verify a device's file"},
    {"pki", cmd_pki, "device identity: CA, bootstrap tokens, EST enrollment server"},
    {"relay", cmd_relay, "TLS 1.3 mutual-auth device proxy: identity, deny-list, MQTT topics"},
    {"scan", cmd_scan, "assess devices: default passwords, UPnP/NAT injection, weak TLS, exposure"},
    {"update", cmd_update,
     "signed updates: TUF repository (Ed25519 + XMSS), device verify/install"},
    {"version", cmd_version, "print the version"},
};

void main_help(std::FILE* out) {
  std::fprintf(out,
               "Usage: warden COMMAND [OPTIONS]\n\nwarden watches an IoT network: what devices are "
               "on it, what they are, and\nhow they behave.\n\nCommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'warden COMMAND --help' tells more about each.\n");
}

}  // namespace
}  // namespace warden::app

int main(int argc, char** argv) {
  using namespace warden::app;
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    main_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  if (std::strcmp(argv[1], "--version") == 0) return cmd_version(argc, argv);
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "warden: unknown command '%s'\n\n", argv[1]);
  main_help(stderr);
  return kExitUsage;
}
