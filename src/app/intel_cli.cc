// `warden intel` subcommands, in the spirit of suricata-update: lists are named, fetched from
// a file or URL into a store, refreshed (conditionally) and loaded by analyze/monitor.
#include "app/intel_cli.h"

#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string_view>

#include "app/exit_codes.h"
#include "capture/mapped_file.h"
#include "core/text.h"
#include "fetch/fetch.h"
#include "intel/store.h"

namespace warden::app {
namespace {

enum IntelOption { kOptStore = 2000, kOptColumn, kOptKind };

constexpr const char* kStoreHelp =
    "      --store DIR      the intel store (default: $WARDEN_INTEL_DIR, else\n"
    "                       /var/lib/warden/intel as root, else\n"
    "                       $XDG_DATA_HOME/warden/intel or ~/.local/share/warden/intel)\n";
constexpr const char* kParseHelp =
    "      --kind K         take every entry as K (ip, domain or ja3); default: detect each\n"
    "      --column N|NAME  CSV: the indicator is in column N (0-based) or the column whose\n"
    "                       header is NAME\n";

// The add help quotes the download limit.
static_assert(intel::kMaxListBytes == 256ull << 20, "update 'warden intel add --help'");

struct SubHelp {
  const char* name;
  const char* usage;
  const char* text;
};

const SubHelp kSubHelp[] = {
    {"add", "warden intel add NAME SOURCE [--kind K] [--column N|NAME] [--store DIR]",
     "Fetches SOURCE (a file path or an http, https or file URL) now, parses it and stores\n"
     "it as the list NAME (letters, digits, '.', '_', '-'). Refused, with nothing stored,\n"
     "when the fetch fails or the list holds no indicator. analyze and monitor load every\n"
     "stored list. Downloads are limited to 256 MiB; TLS certificates are always verified.\n"},
    {"list", "warden intel list [--store DIR]",
     "Shows the stored lists: kinds, indicators, when each was last fetched successfully,\n"
     "whether the last refresh failed and why, and the source.\n"},
    {"refresh", "warden intel refresh [NAME...] [--store DIR]",
     "Fetches the named lists again (all when none is named). HTTP sources are asked\n"
     "conditionally (If-None-Match / If-Modified-Since), so an unchanged feed costs one\n"
     "request. A failed refresh keeps the previous copy and records the error; the exit\n"
     "status is then 1. Run it from cron or a systemd timer to keep lists current.\n"},
    {"remove", "warden intel remove NAME... [--store DIR]", "Deletes lists from the store.\n"},
    {"check", "warden intel check [--column N|NAME] [--kind K] FILE...",
     "Reads threat-intelligence lists the way analyze/monitor --intel will and says\n"
     "what they hold: one indicator per line (comments with #, ; or //), hosts-file\n"
     "lines (0.0.0.0 name), or CSV with the indicator in a column.\n"},
};

void intel_help(std::FILE* out) {
  std::fprintf(out, "Usage: warden intel COMMAND [OPTIONS] [ARGS]\n");
  for (const auto& h : kSubHelp) std::fprintf(out, "  %s\n", h.usage);
  std::fprintf(out,
               "\nThreat-intelligence lists: IPs, CIDRs, domains (a listed domain covers its\n"
               "subdomains) and JA3 hashes, one per line, hosts-file lines or CSV. Lists added\n"
               "to the store are loaded by every analyze/monitor run (--no-intel-store skips\n"
               "them; --intel FILE adds a list for one run).\n\n"
               "Options:\n%s%s"
               "  -h, --help           help; 'warden intel COMMAND --help' for one command\n\n"
               "Example: warden intel add feodo "
               "https://feodotracker.abuse.ch/downloads/ipblocklist.txt\n",
               kStoreHelp, kParseHelp);
}

void sub_help(const SubHelp& h, std::FILE* out) {
  const bool parse_opts = std::strcmp(h.name, "add") == 0 || std::strcmp(h.name, "check") == 0;
  std::fprintf(out, "Usage: %s\n%s\nOptions:\n%s%s  -h, --help           this help\n", h.usage,
               h.text, std::strcmp(h.name, "check") == 0 ? "" : kStoreHelp,
               parse_opts ? kParseHelp : "");
}

bool parse_kind(const char* arg, intel::Kind& kind) {
  const std::string_view k = arg;
  if (k == "ip")
    kind = intel::Kind::kIp;
  else if (k == "domain")
    kind = intel::Kind::kDomain;
  else if (k == "ja3")
    kind = intel::Kind::kJa3;
  else
    return false;
  return true;
}

std::string default_store() {
  return intel::default_store_dir({.warden_intel_dir = std::getenv("WARDEN_INTEL_DIR"),
                                   .xdg_data_home = std::getenv("XDG_DATA_HOME"),
                                   .home = std::getenv("HOME"),
                                   .root = geteuid() == 0});
}

std::string user_agent() { return std::string("warden/") + WARDEN_VERSION; }

// The real fetcher with the CLI's User-Agent; limits are the store's.
fetch::FetchResult fetch_for_cli(const fetch::FetchRequest& request) {
  fetch::FetchRequest r = request;
  r.user_agent = user_agent();
  return fetch::fetch(r);
}

std::string age(std::int64_t now, std::int64_t then) {
  if (then <= 0) return "never";
  const std::int64_t s = std::max<std::int64_t>(0, now - then);
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 120 * 60) return std::to_string(s / 60) + "m ago";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string kinds(const intel::ListMeta& m) {
  if (m.kind != intel::Kind::kAuto) return std::string(intel::kind_name(m.kind));
  std::string out;
  auto add = [&](bool present, const char* k) {
    if (!present) return;
    if (!out.empty()) out += ',';
    out += k;
  };
  add(m.counts.ips > 0, "ip");
  add(m.counts.cidrs > 0, "cidr");
  add(m.counts.domains > 0, "domain");
  add(m.counts.ja3 > 0, "ja3");
  return out.empty() ? "-" : out;
}

std::string counts_text(const intel::ListStats& st) {
  std::string s = with_commas(st.total()) + " indicators (" + with_commas(st.ips) + " IPs, " +
                  with_commas(st.cidrs) + " CIDRs, " + with_commas(st.domains) + " domains, " +
                  with_commas(st.ja3) + " JA3)";
  if (st.skipped) s += ", " + with_commas(st.skipped) + " lines skipped";
  return s;
}

// Options and positional arguments of one store subcommand.
struct SubArgs {
  std::string store;
  intel::ListOptions parse;
  std::vector<std::string> args;
};

// Parses argv (argv[0] = "intel", argv[1] = the subcommand). Returns -1 to go on, else the
// exit status (help printed, or a usage error reported).
int parse_sub(int argc, char** argv, const SubHelp& help, bool parse_opts, SubArgs& out) {
  const option longs[] = {{"store", required_argument, nullptr, kOptStore},
                          {"column", required_argument, nullptr, kOptColumn},
                          {"kind", required_argument, nullptr, kOptKind},
                          {"help", no_argument, nullptr, 'h'},
                          {nullptr, 0, nullptr, 0}};
  optind = 2;
  for (int c; (c = getopt_long(argc, argv, "h", longs, nullptr)) != -1;) {
    if (c == 'h') {
      sub_help(help, stdout);
      return kExitOk;
    }
    if (c == kOptStore && std::strcmp(help.name, "check") != 0) {
      out.store = optarg;
      continue;
    }
    if (c == kOptColumn && parse_opts) {
      char* end = nullptr;
      const long v = std::strtol(optarg, &end, 10);
      if (*optarg && *end == '\0' && v >= 0 && v < 256) {
        out.parse.column = static_cast<int>(v);
      } else {
        out.parse.column_name = optarg;
      }
      continue;
    }
    if (c == kOptKind && parse_opts) {
      if (parse_kind(optarg, out.parse.kind)) continue;
      std::fprintf(stderr, "warden intel %s: --kind is ip, domain or ja3, not '%s'\n", help.name,
                   optarg);
    } else if (c == kOptStore) {
      std::fprintf(stderr, "warden intel check: reads list files, not the store (no --store)\n");
    } else if (c != '?') {
      std::fprintf(stderr, "warden intel %s: --kind and --column apply to 'add' and 'check'\n",
                   help.name);
    }
    std::fprintf(stderr, "Try 'warden intel %s --help'.\n", help.name);
    return kExitUsage;
  }
  out.args.assign(argv + optind, argv + argc);
  if (out.store.empty()) out.store = default_store();
  if (out.store.empty() && std::strcmp(help.name, "check") != 0) {
    std::fprintf(stderr,
                 "warden intel %s: no intel store: HOME is not set; give --store DIR or set "
                 "WARDEN_INTEL_DIR\n",
                 help.name);
    return kExitUsage;
  }
  return -1;
}

int usage_error(const char* sub, const char* what) {
  std::fprintf(stderr, "warden intel %s: %s\nTry 'warden intel %s --help'.\n", sub, what, sub);
  return kExitUsage;
}

int intel_add(const SubArgs& a) {
  if (a.args.size() != 2) return usage_error("add", "wants a NAME and a SOURCE");
  auto source = fetch::normalize_source(a.args[1]);
  if (!source) {
    std::fprintf(stderr, "warden intel add: %s\n", source.error().c_str());
    return kExitUsage;
  }
  intel::ListStore store(a.store);
  auto lock = intel::StoreLock::acquire(store);
  if (!lock) {
    std::fprintf(stderr, "warden intel add: %s\n", lock.error().c_str());
    return kExitFatal;
  }
  intel::ListMeta spec;
  spec.name = a.args[0];
  spec.source = *source;
  spec.kind = a.parse.kind;
  spec.column = a.parse.column;
  spec.column_name = a.parse.column_name;
  auto added = store.add(spec, fetch_for_cli, std::time(nullptr));
  if (!added) {
    std::fprintf(stderr, "warden intel add: %s\n", added.error().c_str());
    return kExitFatal;
  }
  std::printf("added %s: %s, %s from %s\nstore: %s\n", added->name.c_str(),
              counts_text(added->counts).c_str(), human_bytes(added->bytes).c_str(),
              added->source.c_str(), store.dir().c_str());
  return kExitOk;
}

int intel_list(const SubArgs& a) {
  if (!a.args.empty()) return usage_error("list", "takes no arguments");
  intel::ListStore store(a.store);
  if (!store.exists()) {
    std::printf("no lists in %s (add one with 'warden intel add NAME SOURCE')\n",
                store.dir().c_str());
    return kExitOk;
  }
  auto names = store.names();
  if (!names) {
    std::fprintf(stderr, "warden intel list: %s\n", names.error().c_str());
    return kExitFatal;
  }
  if (names->empty()) {
    std::printf("no lists in %s (add one with 'warden intel add NAME SOURCE')\n",
                store.dir().c_str());
    return kExitOk;
  }
  struct Row {
    std::string name, kinds, indicators, refreshed, status, source;
  };
  std::vector<Row> rows;
  rows.push_back({"NAME", "KINDS", "INDICATORS", "REFRESHED", "STATUS", "SOURCE"});
  const std::int64_t now = std::time(nullptr);
  std::size_t total = 0;
  int status = kExitOk;
  for (const auto& name : *names) {
    auto m = store.read_meta(name);
    if (!m) {
      rows.push_back({name, "-", "-", "-", "damaged: " + m.error(), "-"});
      status = kExitFatal;
      continue;
    }
    total += m->counts.total();
    std::string st = "ok";
    if (!m->last_error.empty()) st = "failed " + age(now, m->last_refresh) + ": " + m->last_error;
    rows.push_back({name, kinds(*m), with_commas(m->counts.total()), age(now, m->last_success), st,
                    m->source});
  }
  // Every column but the status (an error can be long) padded to its widest cell.
  std::size_t w[5] = {};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.kinds.size());
    w[2] = std::max(w[2], r.indicators.size());
    w[3] = std::max(w[3], r.refreshed.size());
    w[4] = std::max(w[4], r.source.size());
  }
  for (const auto& r : rows) {
    std::printf("%-*s  %-*s  %*s  %-*s  %-*s  %s\n", static_cast<int>(w[0]), r.name.c_str(),
                static_cast<int>(w[1]), r.kinds.c_str(), static_cast<int>(w[2]),
                r.indicators.c_str(), static_cast<int>(w[3]), r.refreshed.c_str(),
                static_cast<int>(w[4]), r.source.c_str(), r.status.c_str());
  }
  std::printf("%zu lists, %s indicators in %s\n", names->size(), with_commas(total).c_str(),
              store.dir().c_str());
  return status;
}

int intel_refresh(const SubArgs& a) {
  intel::ListStore store(a.store);
  if (!store.exists()) {  // said here: taking the lock would create an empty store
    if (a.args.empty()) {
      std::printf("no lists in %s to refresh\n", store.dir().c_str());
      return kExitOk;
    }
    std::fprintf(stderr, "warden intel refresh: the intel store %s does not exist\n",
                 store.dir().c_str());
    return kExitFatal;
  }
  auto lock = intel::StoreLock::acquire(store);
  if (!lock) {
    std::fprintf(stderr, "warden intel refresh: %s\n", lock.error().c_str());
    return kExitFatal;
  }
  std::vector<std::string> names = a.args;
  if (names.empty()) {
    auto all = store.names();
    if (!all) {
      std::fprintf(stderr, "warden intel refresh: %s\n", all.error().c_str());
      return kExitFatal;
    }
    names = std::move(*all);
  }
  std::size_t failed = 0;
  for (const auto& name : names) {
    auto r = store.refresh(name, fetch_for_cli, std::time(nullptr));
    if (!r) {
      ++failed;
      std::fprintf(stderr, "warden intel refresh: %s: %s", name.c_str(), r.error().c_str());
      // Say what still protects the network.
      if (auto m = store.read_meta(name)) {
        std::fprintf(stderr, "; kept the previous copy (%s indicators, fetched %s)",
                     with_commas(m->counts.total()).c_str(),
                     age(std::time(nullptr), m->last_success).c_str());
      }
      std::fprintf(stderr, "\n");
      continue;
    }
    if (r->state == intel::RefreshState::kUnchanged) {
      std::printf("%s: unchanged, %s indicators\n", name.c_str(),
                  with_commas(r->meta.counts.total()).c_str());
    } else {
      std::printf("%s: updated, %s (was %s)\n", name.c_str(), counts_text(r->meta.counts).c_str(),
                  with_commas(r->previous_total).c_str());
    }
  }
  if (failed) {
    std::fprintf(stderr, "warden intel refresh: %zu of %zu lists failed\n", failed, names.size());
    return kExitFatal;
  }
  return kExitOk;
}

int intel_remove(const SubArgs& a) {
  if (a.args.empty()) return usage_error("remove", "wants the NAME of a list");
  intel::ListStore store(a.store);
  if (!store.exists()) {
    std::fprintf(stderr, "warden intel remove: the intel store %s does not exist\n",
                 store.dir().c_str());
    return kExitFatal;
  }
  auto lock = intel::StoreLock::acquire(store);
  if (!lock) {
    std::fprintf(stderr, "warden intel remove: %s\n", lock.error().c_str());
    return kExitFatal;
  }
  int status = kExitOk;
  for (const auto& name : a.args) {
    if (auto r = store.remove(name); !r) {
      std::fprintf(stderr, "warden intel remove: %s\n", r.error().c_str());
      status = kExitFatal;
    } else {
      std::printf("removed %s\n", name.c_str());
    }
  }
  return status;
}

int intel_check(const SubArgs& a) {
  if (a.args.empty()) return usage_error("check", "no list file given");
  intel::IntelSet set;
  if (!load_intel(a.args, a.parse, set, true)) return kExitFatal;
  std::printf("%zu indicators from %zu lists, about %zu bytes each in memory\n", set.size(),
              set.lists().size(), set.empty() ? 0 : set.memory_bytes() / set.size());
  return kExitOk;
}

}  // namespace

int cmd_intel(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    intel_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  using Run = int (*)(const SubArgs&);
  struct Sub {
    const char* name;
    Run run;
    bool parse_opts;
  };
  static constexpr Sub kSubs[] = {{"add", intel_add, true},
                                  {"list", intel_list, false},
                                  {"refresh", intel_refresh, false},
                                  {"remove", intel_remove, false},
                                  {"check", intel_check, true}};
  for (std::size_t i = 0; i < std::size(kSubs); ++i) {
    if (std::strcmp(argv[1], kSubs[i].name) != 0) continue;
    SubArgs args;
    if (int done = parse_sub(argc, argv, kSubHelp[i], kSubs[i].parse_opts, args); done >= 0)
      return done;
    return kSubs[i].run(args);
  }
  std::fprintf(stderr, "warden intel: unknown command '%s'\n\n", argv[1]);
  intel_help(stderr);
  return kExitUsage;
}

bool load_intel(const std::vector<std::string>& files, const intel::ListOptions& base,
                intel::IntelSet& set, bool verbose) {
  for (const auto& file : files) {
    auto map = capture::MappedFile::open(file);
    if (!map) {
      std::fprintf(stderr, "warden: intel list %s\n", map.error().c_str());
      return false;
    }
    intel::ListOptions opt = base;
    opt.name = std::filesystem::path(file).filename().string();
    auto st = set.add_list(as_string_view(map->bytes()), opt);
    if (!st) {
      std::fprintf(stderr, "warden: intel list %s: %.*s (line %zu)\n", file.c_str(),
                   static_cast<int>(st.error().reason.size()), st.error().reason.data(),
                   st.error().offset);
      return false;
    }
    if (verbose) {
      std::fprintf(stderr,
                   "warden: intel %s: %zu indicators (%zu IPs, %zu CIDRs, %zu domains, %zu JA3)",
                   opt.name.c_str(), st->total(), st->ips, st->cidrs, st->domains, st->ja3);
      if (st->skipped)
        std::fprintf(stderr, "; %zu lines skipped, first at line %zu", st->skipped,
                     st->first_bad_line);
      std::fprintf(stderr, "\n");
    }
  }
  return true;
}

bool load_intel_store(const std::string& store_dir, intel::IntelSet& set, bool verbose,
                      const char* cmd) {
  const std::string dir = store_dir.empty() ? default_store() : store_dir;
  if (dir.empty()) return true;
  intel::ListStore store(dir);
  if (!store.exists()) {
    if (store_dir.empty()) return true;  // nothing added yet
    std::fprintf(stderr, "warden %s: the intel store %s does not exist\n", cmd, dir.c_str());
    return false;
  }
  const auto loaded = store.load_into(set);
  for (const auto& w : loaded.warnings)
    std::fprintf(stderr, "warden %s: warning: intel store: %s\n", cmd, w.c_str());
  if (verbose) {
    std::fprintf(stderr, "warden %s: intel store %s: %s indicators from %zu lists\n", cmd,
                 dir.c_str(), with_commas(loaded.indicators).c_str(), loaded.lists);
  }
  return true;
}

}  // namespace warden::app
