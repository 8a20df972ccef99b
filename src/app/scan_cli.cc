#include "app/scan_cli.h"

#include <getopt.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/exit_codes.h"
#include "inventory/oui.h"
#include "scan/checks.h"
#include "scan/report.h"
#include "scan/scanner.h"
#include "scan/score.h"
#include "scan/store.h"
#include "scan/targets.h"

#ifndef WARDEN_DATA_DIR
#define WARDEN_DATA_DIR "/usr/share/warden"
#endif

namespace warden::app {
namespace {

constexpr const char* kHelp =
    "Usage: warden scan [OPTIONS] TARGET...\n"
    "       warden scan [OPTIONS] --inventory warden.db\n\n"
    "Actively assesses the devices you name, as an attacker on the same network (or, with\n"
    "--wan, on the internet) would see them: open services and their versions, default\n"
    "passwords (only with --guess-credentials), anonymous MQTT/RTSP/FTP and open telnet shells,\n"
    "UPnP IGD port mappings (NAT injection, known attack descriptions, secure mode), TLS\n"
    "versions, suites, keys and certificates, keys shared by several devices, DNS and SNMP\n"
    "exposure. Each device gets a score (0-100) and findings ranked by severity, each mapped to\n"
    "ETSI EN 303 645 and the OWASP IoT Top 10, with what to do about it.\n\n"
    "Scan only devices you own or are allowed to test. The scan changes nothing on a device\n"
    "except one UPnP probe mapping (secure-mode check), which it deletes at once and reports.\n\n"
    "TARGET: 192.168.1.20, 192.168.1.0/24, 192.168.1.10-40 or 192.168.1.10-192.168.1.40\n"
    "(at most 4096 addresses).\n\n"
    "Options:\n"
    "      --inventory DB      scan the LAN addresses of the devices in warden's database\n"
    "      --target-file FILE  read targets from FILE, one per line ('#' starts a comment)\n"
    "      --db DB             store the results with the device inventory in DB (SQLite):\n"
    "                          hosts are matched to devices by MAC, then address\n"
    "      --json FILE         write the results as JSON ('-': standard output)\n"
    "      --html FILE         write a self-contained HTML report\n"
    "      --guess-credentials try default credentials (vendor defaults, then the Mirai list)\n"
    "                          on telnet, SSH, HTTP Basic/Digest/forms, MQTT, RTSP and FTP;\n"
    "                          stops at the first valid one per service\n"
    "      --credentials FILE  use FILE (user<TAB>password[<TAB>source]) instead; repeatable\n"
    "      --max-guesses N     at most N guesses per service (default: the whole list)\n"
    "      --guess-interval MS at least MS milliseconds between guesses (default 100)\n"
    "      --wan               the targets are seen from the internet side (e.g. the router's\n"
    "                          WAN address): UPnP or DNS answering there is reported\n"
    "      --no-upnp-probe     do not test UPnP secure mode with a probe mapping\n"
    "      --tcp-ports LIST    TCP ports (default: the IoT list, e.g. 23,2323,22,80,443,1883,\n"
    "                          554,5555,7547,8080,8443,8883, ...)\n"
    "      --udp-ports LIST    UDP ports (default 53,123,161,1900,5353,5683)\n"
    "      --timeout MS        connect timeout (default 1500)\n"
    "      --io-timeout MS     wait for an answer (default 5000; logins behind PAM's 3 s\n"
    "                          failure delay need more than 3000)\n"
    "      --parallel N        hosts assessed at once (default 32)\n"
    "      --fail-on SEVERITY  exit 4 if a finding at SEVERITY or worse is found\n"
    "                          (info, low, medium, high, critical)\n"
    "      --oui-dir DIR       IEEE registry CSVs for vendor names (default /usr/share/ieee-data)\n"
    "  -v, --verbose           also list informational findings\n"
    "  -q, --quiet             no progress on standard error\n"
    "  -h, --help              this help\n\n"
    "Exit status: 0 done, 1 error, 2 usage error, 4 a finding at --fail-on severity or worse.\n";

constexpr int kExitFindings = 4;

enum Opt {
  kInventory = 1000,
  kTargetFile,
  kDb,
  kJson,
  kHtml,
  kGuess,
  kCreds,
  kMaxGuesses,
  kInterval,
  kWan,
  kNoProbe,
  kTcpPorts,
  kUdpPorts,
  kTimeout,
  kIoTimeout,
  kParallel,
  kFailOn,
  kOuiDir,
};

bool parse_number(const char* text, long min, long max, long& out) {
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && p == end && out >= min && out <= max;
}

bool write_file(const std::string& path, const std::string& data) {
  if (path == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return true;
  }
  // Write beside and rename, so a reader never sees half a report.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string data_dir() {
  if (const char* env = std::getenv("WARDEN_DATA_DIR"); env && *env) return env;
  return WARDEN_DATA_DIR;
}

}  // namespace

int cmd_scan(int argc, char** argv) {
  static const option kLong[] = {
      {"inventory", required_argument, nullptr, kInventory},
      {"target-file", required_argument, nullptr, kTargetFile},
      {"db", required_argument, nullptr, kDb},
      {"json", required_argument, nullptr, kJson},
      {"html", required_argument, nullptr, kHtml},
      {"guess-credentials", no_argument, nullptr, kGuess},
      {"credentials", required_argument, nullptr, kCreds},
      {"max-guesses", required_argument, nullptr, kMaxGuesses},
      {"guess-interval", required_argument, nullptr, kInterval},
      {"wan", no_argument, nullptr, kWan},
      {"no-upnp-probe", no_argument, nullptr, kNoProbe},
      {"tcp-ports", required_argument, nullptr, kTcpPorts},
      {"udp-ports", required_argument, nullptr, kUdpPorts},
      {"timeout", required_argument, nullptr, kTimeout},
      {"io-timeout", required_argument, nullptr, kIoTimeout},
      {"parallel", required_argument, nullptr, kParallel},
      {"fail-on", required_argument, nullptr, kFailOn},
      {"oui-dir", required_argument, nullptr, kOuiDir},
      {"verbose", no_argument, nullptr, 'v'},
      {"quiet", no_argument, nullptr, 'q'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  scan::ScanOptions opt;
  std::string inventory, db_path, json_path, html_path, oui_dir = "/usr/share/ieee-data";
  std::vector<std::string> cred_files, target_files;
  bool verbose = false, quiet = false;
  int fail_on = -1;
  auto usage = [](const std::string& msg) {
    std::fprintf(stderr, "warden scan: %s\n(see 'warden scan --help')\n", msg.c_str());
    return kExitUsage;
  };
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "vqh", kLong, nullptr)) != -1) {
    long n = 0;
    switch (c) {
      case kInventory:
        inventory = optarg;
        break;
      case kTargetFile:
        target_files.emplace_back(optarg);
        break;
      case kDb:
        db_path = optarg;
        break;
      case kJson:
        json_path = optarg;
        break;
      case kHtml:
        html_path = optarg;
        break;
      case kGuess:
        opt.guess_credentials = true;
        break;
      case kCreds:
        cred_files.emplace_back(optarg);
        break;
      case kMaxGuesses:
        if (!parse_number(optarg, 1, 100000, n)) return usage("bad --max-guesses");
        opt.max_guesses_per_service = static_cast<unsigned>(n);
        break;
      case kInterval:
        if (!parse_number(optarg, 0, 60000, n)) return usage("bad --guess-interval");
        opt.guess_interval = std::chrono::milliseconds(n);
        break;
      case kWan:
        opt.wan_view = true;
        break;
      case kNoProbe:
        opt.upnp_probe_mapping = false;
        break;
      case kTcpPorts:
      case kUdpPorts: {
        auto ports = scan::parse_ports(optarg);
        if (!ports) return usage(ports.error());
        (c == kTcpPorts ? opt.tcp_ports : opt.udp_ports) = *ports;
        break;
      }
      case kTimeout:
        if (!parse_number(optarg, 50, 60000, n)) return usage("bad --timeout (50-60000 ms)");
        opt.connect_timeout = std::chrono::milliseconds(n);
        break;
      case kIoTimeout:
        if (!parse_number(optarg, 100, 120000, n)) return usage("bad --io-timeout (100-120000 ms)");
        opt.io_timeout = std::chrono::milliseconds(n);
        break;
      case kParallel:
        if (!parse_number(optarg, 1, 256, n)) return usage("bad --parallel (1-256)");
        opt.parallel_hosts = static_cast<unsigned>(n);
        break;
      case kFailOn: {
        for (int s = 0; s <= 4; ++s) {
          if (std::strcmp(optarg, scan::severity_name(static_cast<scan::Severity>(s))) == 0) {
            fail_on = s;
          }
        }
        if (fail_on < 0) return usage(std::string("bad --fail-on '") + optarg + "'");
        break;
      }
      case kOuiDir:
        oui_dir = optarg;
        break;
      case 'v':
        verbose = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      default:
        return usage("unknown option");
    }
  }
  std::vector<std::string> texts(argv + optind, argv + argc);
  for (const auto& file : target_files) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "warden scan: cannot read %s: %s\n", file.c_str(), std::strerror(errno));
      return kExitFatal;
    }
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::size_t b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos) continue;
      std::size_t e = line.find_last_not_of(" \t\r");
      texts.push_back(line.substr(b, e - b + 1));
    }
  }
  if (texts.empty() && inventory.empty()) {
    return usage("name at least one TARGET, --target-file or --inventory");
  }
  if (!cred_files.empty() && !opt.guess_credentials) {
    return usage("--credentials needs --guess-credentials");
  }

  auto targets = scan::expand_targets(texts);
  if (!targets) return usage(targets.error());
  if (!inventory.empty()) {
    auto store = scan::AssessmentStore::open(inventory);
    if (!store) {
      std::fprintf(stderr, "warden scan: %s\n", store.error().c_str());
      return kExitFatal;
    }
    auto more = (*store)->inventory_targets();
    if (!more) {
      std::fprintf(stderr, "warden scan: %s: %s\n", inventory.c_str(), more.error().c_str());
      return kExitFatal;
    }
    std::set<IpAddr> seen(targets->begin(), targets->end());
    for (const auto& a : *more) {
      if (seen.insert(a).second) targets->push_back(a);
    }
    if (db_path.empty()) db_path = inventory;  // results go back with the inventory
  }
  if (targets->empty()) {
    std::fprintf(stderr, "warden scan: no targets (the inventory lists no LAN addresses)\n");
    return kExitFatal;
  }

  if (opt.guess_credentials) {
    if (cred_files.empty()) {
      // Vendor defaults (each documented) and the Mirai list, duplicates merged.
      auto creds = scan::default_credential_list(data_dir());
      if (!creds) {
        std::fprintf(stderr, "warden scan: %s\n", creds.error().c_str());
        return kExitFatal;
      }
      opt.credentials = std::move(*creds);
    } else {
      std::vector<std::vector<scan::Credential>> lists;
      for (const auto& file : cred_files) {
        auto creds = scan::load_credentials(file, file);
        if (!creds) {
          std::fprintf(stderr, "warden scan: %s\n", creds.error().c_str());
          return kExitFatal;
        }
        lists.push_back(std::move(*creds));
      }
      opt.credentials = scan::merge_credentials(lists);
    }
  }

  const bool tty = isatty(STDERR_FILENO) != 0;
  scan::ScanProgress progress;
  if (!quiet) {
    std::fprintf(
        stderr, "warden scan: %zu target%s%s\n", targets->size(), targets->size() == 1 ? "" : "s",
        opt.guess_credentials
            ? (", trying " + std::to_string(opt.credentials.size()) + " credentials").c_str()
            : "");
    progress.host_done = [tty](const scan::HostReport& h, std::size_t done, std::size_t total) {
      if (!h.up) {
        if (tty)
          std::fprintf(stderr, "\r[%zu/%zu] %-15s no answer\033[K", done, total,
                       h.addr.to_string().c_str());
        return;
      }
      int worst = -1;
      for (const auto& f : h.findings) worst = std::max(worst, static_cast<int>(f.severity));
      std::fprintf(stderr, "%s[%zu/%zu] %-15s %zu services, %zu findings%s%s, %.1f s\n",
                   tty ? "\r\033[K" : "", done, total, h.addr.to_string().c_str(),
                   h.services.size(), h.findings.size(), worst >= 0 ? ", worst " : "",
                   worst >= 0 ? scan::severity_name(static_cast<scan::Severity>(worst)) : "",
                   h.elapsed_s);
    };
    if (tty) {
      progress.stage = [](const IpAddr& a, std::string_view stage) {
        static std::mutex mu;
        std::lock_guard lock(mu);
        std::fprintf(stderr, "\r\033[K%s: %.*s...", a.to_string().c_str(),
                     static_cast<int>(stage.size()), stage.data());
      };
    }
  }

  scan::ScanRun run = scan::run_scan(*targets, opt, progress);
  if (!quiet && tty) std::fprintf(stderr, "\r\033[K");

  if (auto oui = inventory::OuiDatabase::load(oui_dir); oui) {
    for (auto& h : run.hosts) {
      if (h.mac && h.vendor.empty()) h.vendor = std::string(oui->lookup(*h.mac));
    }
  }
  int status = kExitOk;
  if (!db_path.empty()) {
    auto store = scan::AssessmentStore::open(db_path);
    if (!store) {
      std::fprintf(stderr, "warden scan: %s\n", store.error().c_str());
      status = kExitFatal;
    } else {
      (*store)->match_devices(run.hosts);
      auto saved = (*store)->save(run);
      if (!saved) {
        std::fprintf(stderr, "warden scan: %s: %s\n", db_path.c_str(), saved.error().c_str());
        status = kExitFatal;
      } else if (!quiet) {
        std::fprintf(stderr, "warden scan: stored %zu assessments in %s\n", *saved,
                     db_path.c_str());
      }
    }
  }
  if (!json_path.empty() && !write_file(json_path, scan::run_json(run))) {
    std::fprintf(stderr, "warden scan: cannot write %s: %s\n", json_path.c_str(),
                 std::strerror(errno));
    status = kExitFatal;
  }
  if (!html_path.empty() && !write_file(html_path, scan::run_html(run))) {
    std::fprintf(stderr, "warden scan: cannot write %s: %s\n", html_path.c_str(),
                 std::strerror(errno));
    status = kExitFatal;
  }
  if (json_path != "-") {
    scan::print_terminal(stdout, run, isatty(STDOUT_FILENO) != 0, verbose);
  }
  if (status == kExitOk && fail_on >= 0) {
    for (const auto& h : run.hosts) {
      for (const auto& f : h.findings) {
        if (static_cast<int>(f.severity) >= fail_on) status = kExitFindings;
      }
    }
  }
  return status;
}

}  // namespace warden::app
