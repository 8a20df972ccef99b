#include "app/update_cli.h"

#include <getopt.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/exit_codes.h"
#include "core/file.h"
#include "core/json.h"
#include "core/text.h"
#include "update/client.h"
#include "update/installer.h"
#include "update/repository.h"

namespace warden::app {
namespace {

using update::Failure;
using update::RoleType;

constexpr const char* kHelp =
    "Usage (publisher):\n"
    "  warden update init --dir DIR [--root-keys N] [--root-threshold K] [--targets-keys N]\n"
    "                     [--targets-threshold K] [--xmss-height 10|16|20]\n"
    "  warden update add --dir DIR FILE... [--name NAME] [--hardware ID]... [--version V]\n"
    "                    [--role ROLE]\n"
    "  warden update remove --dir DIR --name NAME [--role ROLE]\n"
    "  warden update delegate --dir DIR --role NAME --path GLOB... [--terminating]\n"
    "                         [--keys N] [--threshold K]\n"
    "  warden update timestamp --dir DIR\n"
    "  warden update rotate --dir DIR --role root|targets|snapshot|timestamp [--keys N]\n"
    "                       [--threshold K]\n"
    "  warden update status --dir DIR [--json]\n"
    "Usage (device):\n"
    "  warden update verify --repo DIR|URL --state DIR [--root FILE] [--hardware ID]\n"
    "                       [--target NAME [--out FILE | --install DIR]] [--ca FILE] [--json]\n"
    "  warden update confirm|rollback --install DIR\n"
    "  warden update boot --install DIR [--max-attempts N]\n\n"
    "A TUF-style update repository (The Update Framework 1.0): root, targets, snapshot and\n"
    "timestamp roles, delegated targets roles, k-of-n thresholds, expiry, versions, root\n"
    "rotation, and targets with length, SHA-256 and SHA-512. Root and targets keys are hybrid:\n"
    "Ed25519 and XMSS (RFC 8391, hash-based, safe against quantum computers); a signature\n"
    "counts only when both halves verify. Snapshot and timestamp keys are Ed25519 (they are\n"
    "online and short-lived).\n\n"
    "init: DIR/keys (0700, move keys/root-* offline afterwards) and DIR/repository (serve this\n"
    "with any web server). --xmss-height: 10 (1,024 signatures per key, default; about 0.5 s\n"
    "per signature with Debian's Botan 2), 16 (65,536; about a minute per key and 50 s per\n"
    "signature, as Botan 2 rebuilds the tree each time) or 20 (1,048,576; impractical with\n"
    "Botan 2). Each XMSS signature is counted; the budget is shown after every signature and\n"
    "warned about when a tenth is left.\n"
    "add: copies FILEs into the repository and signs them into ROLE (default targets), then a\n"
    "new snapshot and timestamp. NAME defaults to the file's name; --hardware restricts a\n"
    "target to devices with that hardware id (repeatable).\n"
    "timestamp: a fresh timestamp (it expires after a day: run it from cron).\n"
    "rotate: new keys for a role, in a new root signed by the old and new root keys; old key\n"
    "files are kept as *.retired. Rotating a key also recovers devices from a fast-forward\n"
    "attack made with the old key.\n"
    "verify: the device side. Refreshes metadata from the repository in TUF's order and keeps\n"
    "what it trusts in --state (first use: --root FILE is the root the device is provisioned\n"
    "with). Lists the targets, or with --target downloads one (to --out, or into the A/B slots\n"
    "of --install, which then waits for 'confirm' after a good start; 'boot' at each start\n"
    "rolls back an install that never confirmed). Refusals name the attack: signature,\n"
    "rollback, expired, mismatch, too_large, hardware, malformed.\n\n"
    "Exit status: 0 ok; 1 refused or failed (the reason is printed); 2 bad usage.\n";

enum Opt {
  kOptDir = 1000,
  kOptRootKeys,
  kOptRootThreshold,
  kOptTargetsKeys,
  kOptTargetsThreshold,
  kOptXmssHeight,
  kOptName,
  kOptHardware,
  kOptVersion,
  kOptRole,
  kOptPath,
  kOptTerminating,
  kOptKeys,
  kOptThreshold,
  kOptJson,
  kOptRepo,
  kOptState,
  kOptRoot,
  kOptTarget,
  kOptOut,
  kOptInstall,
  kOptCa,
  kOptMaxAttempts,
};

const option kLong[] = {
    {"dir", required_argument, nullptr, kOptDir},
    {"root-keys", required_argument, nullptr, kOptRootKeys},
    {"root-threshold", required_argument, nullptr, kOptRootThreshold},
    {"targets-keys", required_argument, nullptr, kOptTargetsKeys},
    {"targets-threshold", required_argument, nullptr, kOptTargetsThreshold},
    {"xmss-height", required_argument, nullptr, kOptXmssHeight},
    {"name", required_argument, nullptr, kOptName},
    {"hardware", required_argument, nullptr, kOptHardware},
    {"version", required_argument, nullptr, kOptVersion},
    {"role", required_argument, nullptr, kOptRole},
    {"path", required_argument, nullptr, kOptPath},
    {"terminating", no_argument, nullptr, kOptTerminating},
    {"keys", required_argument, nullptr, kOptKeys},
    {"threshold", required_argument, nullptr, kOptThreshold},
    {"json", no_argument, nullptr, kOptJson},
    {"repo", required_argument, nullptr, kOptRepo},
    {"state", required_argument, nullptr, kOptState},
    {"root", required_argument, nullptr, kOptRoot},
    {"target", required_argument, nullptr, kOptTarget},
    {"out", required_argument, nullptr, kOptOut},
    {"install", required_argument, nullptr, kOptInstall},
    {"ca", required_argument, nullptr, kOptCa},
    {"max-attempts", required_argument, nullptr, kOptMaxAttempts},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

struct Options {
  std::string dir, name, version, role, repo, state, root, target, out, install, ca;
  std::vector<std::string> hardware, paths, files;
  update::InitOptions init;
  std::uint32_t keys = 1, threshold = 1, max_attempts = 1;
  bool terminating = false, json = false;
};

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

int usage(const char* sub, const std::string& why) {
  std::fprintf(stderr, "warden update %s: %s\nTry 'warden update --help'.\n", sub, why.c_str());
  return kExitUsage;
}

int fatal(const char* sub, const std::string& why) {
  std::fprintf(stderr, "warden update %s: %s\n", sub, why.c_str());
  return kExitFatal;
}

bool parse_count(std::string_view s, std::uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 1 && out <= 100;
}

int parse_options(int argc, char** argv, const char* sub, Options& o) {
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1;) {
    const std::string_view arg = optarg ? optarg : "";
    auto count = [&](std::uint32_t& out, const char* name) {
      if (parse_count(arg, out)) return -1;
      return usage(
          sub, std::string(name) + " wants a number from 1 to 100, not '" + std::string(arg) + "'");
    };
    int rc = -1;
    switch (c) {
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      case kOptDir:
        o.dir = arg;
        break;
      case kOptRootKeys:
        rc = count(o.init.root_keys, "--root-keys");
        break;
      case kOptRootThreshold:
        rc = count(o.init.root_threshold, "--root-threshold");
        break;
      case kOptTargetsKeys:
        rc = count(o.init.targets_keys, "--targets-keys");
        break;
      case kOptTargetsThreshold:
        rc = count(o.init.targets_threshold, "--targets-threshold");
        break;
      case kOptXmssHeight:
        if (arg == "10") {
          o.init.xmss_height = update::XmssHeight::k10;
        } else if (arg == "16") {
          o.init.xmss_height = update::XmssHeight::k16;
        } else if (arg == "20") {
          o.init.xmss_height = update::XmssHeight::k20;
        } else {
          return usage(sub, "--xmss-height wants 10, 16 or 20");
        }
        break;
      case kOptName:
        o.name = arg;
        break;
      case kOptHardware:
        o.hardware.emplace_back(arg);
        break;
      case kOptVersion:
        o.version = arg;
        break;
      case kOptRole:
        o.role = arg;
        break;
      case kOptPath:
        o.paths.emplace_back(arg);
        break;
      case kOptTerminating:
        o.terminating = true;
        break;
      case kOptKeys:
        rc = count(o.keys, "--keys");
        break;
      case kOptThreshold:
        rc = count(o.threshold, "--threshold");
        break;
      case kOptMaxAttempts:
        rc = count(o.max_attempts, "--max-attempts");
        break;
      case kOptJson:
        o.json = true;
        break;
      case kOptRepo:
        o.repo = arg;
        break;
      case kOptState:
        o.state = arg;
        break;
      case kOptRoot:
        o.root = arg;
        break;
      case kOptTarget:
        o.target = arg;
        break;
      case kOptOut:
        o.out = arg;
        break;
      case kOptInstall:
        o.install = arg;
        break;
      case kOptCa:
        o.ca = arg;
        break;
      default:
        return usage(sub, "unknown option");
    }
    if (rc != -1) return rc;
  }
  for (int i = optind; i < argc; ++i) o.files.emplace_back(argv[i]);
  return -1;
}

// One line per signature on stderr: where the time goes and how much XMSS budget is left.
void show_signatures(update::Repository& repo) {
  repo.on_sign = [](const update::SignEvent& e) {
    std::string budget;
    if (e.xmss_remaining) {
      budget = "; " + with_commas(*e.xmss_remaining) + " XMSS signatures left on this key";
    }
    std::fprintf(stderr, "  signed %s with key %.8s in %.2f s%s\n", e.file.c_str(), e.keyid.c_str(),
                 e.seconds, budget.c_str());
    if (!e.warning.empty()) std::fprintf(stderr, "  WARNING: %s\n", e.warning.c_str());
  };
}

Result<update::Repository, std::string> open_repo(const Options& o) {
  auto repo = update::Repository::open(o.dir);
  if (repo) show_signatures(*repo);
  return repo;
}

int cmd_init(const Options& o) {
  if (o.dir.empty()) return usage("init", "--dir is required");
  std::fprintf(stderr,
               "warden update init: generating keys (XMSS height %d: a few seconds per key)...\n",
               static_cast<int>(o.init.xmss_height));
  auto repo = update::Repository::init(o.dir, o.init, now_s());
  if (!repo) return fatal("init", repo.error());
  const auto& r = repo->root();
  std::printf(
      "repository ready in %s\n  serve:        %s/repository\n  device root:  "
      "%s/repository/metadata/1.root.json (provision devices with it)\n  private keys: %s/keys "
      "(move keys/root-* offline)\n  root %u-of-%zu, targets %u-of-%zu (Ed25519 + XMSS), "
      "snapshot and timestamp Ed25519\n",
      o.dir.c_str(), o.dir.c_str(), o.dir.c_str(), o.dir.c_str(), r.root.threshold,
      r.root.keyids.size(), r.targets.threshold, r.targets.keyids.size());
  return kExitOk;
}

int cmd_add(const Options& o) {
  if (o.dir.empty()) return usage("add", "--dir is required");
  if (o.files.empty()) return usage("add", "name at least one FILE to add");
  if (!o.name.empty() && o.files.size() != 1) return usage("add", "--name takes one FILE");
  std::vector<update::NewTarget> targets;
  for (const auto& f : o.files) {
    update::NewTarget t;
    t.file = f;
    t.name = o.name.empty() ? std::filesystem::path(f).filename().string() : o.name;
    t.hardware = o.hardware;
    t.version = o.version;
    targets.push_back(std::move(t));
  }
  auto repo = open_repo(o);
  if (!repo) return fatal("add", repo.error());
  const std::string role = o.role.empty() ? "targets" : o.role;
  auto added = repo->add_targets(targets, role, now_s());
  if (!added) return fatal("add", added.error());
  std::printf("added %zu target(s) to %s; snapshot v%llu, timestamp v%llu published\n",
              targets.size(), role.c_str(),
              static_cast<unsigned long long>(repo->snapshot().version),
              static_cast<unsigned long long>(repo->timestamp().version));
  return kExitOk;
}

int cmd_remove(const Options& o) {
  if (o.dir.empty() || o.name.empty()) return usage("remove", "--dir and --name are required");
  auto repo = open_repo(o);
  if (!repo) return fatal("remove", repo.error());
  auto removed = repo->remove_target(o.name, o.role.empty() ? "targets" : o.role, now_s());
  if (!removed) return fatal("remove", removed.error());
  std::printf("removed %s\n", o.name.c_str());
  return kExitOk;
}

int cmd_delegate(const Options& o) {
  if (o.dir.empty() || o.role.empty() || o.paths.empty()) {
    return usage("delegate", "--dir, --role and at least one --path are required");
  }
  auto repo = open_repo(o);
  if (!repo) return fatal("delegate", repo.error());
  auto d = repo->delegate(o.role, o.paths, o.terminating, o.keys, o.threshold, now_s());
  if (!d) return fatal("delegate", d.error());
  std::printf("delegated %zu path pattern(s) to %s (keys in %s/deleg-%s-*)\n", o.paths.size(),
              o.role.c_str(), repo->keys_dir().c_str(), o.role.c_str());
  return kExitOk;
}

int cmd_timestamp(const Options& o) {
  if (o.dir.empty()) return usage("timestamp", "--dir is required");
  auto repo = open_repo(o);
  if (!repo) return fatal("timestamp", repo.error());
  auto t = repo->refresh_timestamp(now_s());
  if (!t) return fatal("timestamp", t.error());
  std::printf("timestamp v%llu, expires %s\n",
              static_cast<unsigned long long>(repo->timestamp().version),
              update::format_utc(repo->timestamp().expires).c_str());
  return kExitOk;
}

int cmd_rotate(const Options& o) {
  if (o.dir.empty() || o.role.empty()) return usage("rotate", "--dir and --role are required");
  std::optional<RoleType> type;
  for (RoleType t :
       {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp}) {
    if (o.role == update::role_type_name(t)) type = t;
  }
  if (!type) return usage("rotate", "--role wants root, targets, snapshot or timestamp");
  auto repo = open_repo(o);
  if (!repo) return fatal("rotate", repo.error());
  auto r = repo->rotate(*type, o.keys, o.threshold, now_s());
  if (!r) return fatal("rotate", r.error());
  std::printf("rotated %s keys: root v%llu published\n", o.role.c_str(),
              static_cast<unsigned long long>(repo->root().version));
  return kExitOk;
}

int cmd_status(const Options& o) {
  if (o.dir.empty()) return usage("status", "--dir is required");
  auto repo = update::Repository::open(o.dir);
  if (!repo) return fatal("status", repo.error());
  const std::int64_t now = now_s();
  struct Row {
    const char* role;
    const update::Common* c;
  };
  const Row rows[] = {{"root", &repo->root()},
                      {"targets", &repo->targets()},
                      {"snapshot", &repo->snapshot()},
                      {"timestamp", &repo->timestamp()}};
  if (o.json) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    for (const auto& r : rows) {
      w.key(r.role).begin_object().field("version", r.c->version);
      w.field("expires", update::format_utc(r.c->expires)).field("expired", now >= r.c->expires);
      w.end_object();
    }
    w.field("targets_count", static_cast<std::uint64_t>(repo->targets().targets.size()));
    w.key("xmss_budgets").begin_array();
    for (const auto& b : repo->budgets()) w.value(b);
    w.end_array().end_object();
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  for (const auto& r : rows) {
    const std::int64_t left = r.c->expires - now;
    std::printf("%-10s v%-6llu expires %s (%s)\n", r.role,
                static_cast<unsigned long long>(r.c->version),
                update::format_utc(r.c->expires).c_str(),
                left <= 0 ? "EXPIRED: devices refuse it"
                          : (std::to_string(left / 86400) + " days left").c_str());
  }
  std::printf("%zu targets in the top-level role, %zu delegated role(s)\n",
              repo->targets().targets.size(), repo->targets().delegations.size());
  for (const auto& t : repo->targets().targets) {
    std::printf("  %-40s %12s  %s%s\n", t.name.c_str(), human_bytes(t.length).c_str(),
                t.version.c_str(), t.hardware.empty() ? "" : (" for " + t.hardware[0]).c_str());
  }
  for (const auto& b : repo->budgets()) std::printf("  %s\n", b.c_str());
  return kExitOk;
}

int refused(const char* sub, const update::UpdateError& e, bool json) {
  if (json) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("result", "refused").field("reason", update::failure_name(e.kind));
    w.field("message", e.message).end_object();
    std::printf("%s\n", out.c_str());
  }
  std::fprintf(stderr, "warden update %s: refused (%s): %s\n", sub,
               std::string(update::failure_name(e.kind)).c_str(), e.message.c_str());
  return kExitFatal;
}

int cmd_verify(const Options& o) {
  if (o.repo.empty() || o.state.empty()) return usage("verify", "--repo and --state are required");
  if (!o.out.empty() && !o.install.empty()) return usage("verify", "--out or --install, not both");
  if ((!o.out.empty() || !o.install.empty()) && o.target.empty()) {
    return usage("verify", "--out and --install need --target");
  }
  std::error_code ec;
  std::filesystem::create_directories(o.state, ec);
  const std::string trusted = o.state + "/root.json";
  struct stat st {};
  if (::stat(trusted.c_str(), &st) != 0) {
    if (o.root.empty()) {
      return fatal("verify", trusted + " is missing: provision the device with --root FILE");
    }
    auto root = read_file(o.root, 1u << 20);
    if (!root) return fatal("verify", root.error());
    auto w = write_file_durable(trusted, *root, 0644);
    if (!w) return fatal("verify", w.error());
  }
  update::ClientOptions opts;
  opts.state_dir = o.state;
  opts.hardware_id = o.hardware.empty() ? "" : o.hardware.front();
  auto client = update::Client::open(opts, update::make_transport(o.repo, o.ca));
  if (!client) return refused("verify", client.error(), o.json);
  auto report = client->refresh();
  if (!report) return refused("verify", report.error(), o.json);
  if (!o.json) {
    std::fprintf(stderr,
                 "verified: root v%llu (%u new), timestamp v%llu, snapshot v%llu, targets v%llu; "
                 "%s downloaded\n",
                 static_cast<unsigned long long>(report->root_version), report->root_rotations,
                 static_cast<unsigned long long>(report->timestamp_version),
                 static_cast<unsigned long long>(report->snapshot_version),
                 static_cast<unsigned long long>(report->targets_version),
                 human_bytes(report->bytes_downloaded).c_str());
  }
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("result", "ok");
  w.field("root_version", report->root_version)
      .field("timestamp_version", report->timestamp_version)
      .field("snapshot_version", report->snapshot_version)
      .field("targets_version", report->targets_version);
  if (o.target.empty()) {
    w.key("targets").begin_array();
    for (const auto& t : client->targets()) {
      if (!o.json) {
        std::printf("%-40s %12s  %s\n", t.name.c_str(), human_bytes(t.length).c_str(),
                    t.version.c_str());
      }
      w.begin_object().field("name", t.name).field("length", t.length);
      w.field("sha256", t.hashes.sha256).field("version", t.version).end_object();
    }
    w.end_array().end_object();
    if (o.json) std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  auto target = client->find_target(o.target);
  if (!target) return refused("verify", target.error(), o.json);
  std::string dest = o.out;
  if (!o.install.empty()) {
    std::filesystem::create_directories(o.install, ec);
    dest = o.install + "/download";
  }
  auto got = client->download(*target, dest);
  if (!got) return refused("verify", got.error(), o.json);
  w.field("target", target->name).field("length", target->length);
  w.field("sha256", target->hashes.sha256);
  if (!o.install.empty()) {
    auto inst = update::Installer::open(o.install);
    if (!inst) return fatal("verify", inst.error());
    auto status =
        inst->install(dest, update::InstallTarget{target->name, target->length,
                                                  target->hashes.sha256, target->version});
    std::filesystem::remove(dest, ec);
    if (!status) return fatal("verify", "install: " + status.error());
    w.field("installed_slot", status->active ? status->active->slot : "");
    if (!o.json) {
      std::printf(
          "installed %s (%s) into slot %s; run 'warden update confirm --install %s' "
          "after a good start\n",
          target->name.c_str(), human_bytes(target->length).c_str(),
          status->active ? status->active->slot.c_str() : "?", o.install.c_str());
    }
  } else if (!o.json) {
    std::printf("%s verified (%s, sha256 %s) -> %s\n", target->name.c_str(),
                human_bytes(target->length).c_str(), target->hashes.sha256.c_str(), dest.c_str());
  }
  w.end_object();
  if (o.json) std::printf("%s\n", out.c_str());
  return kExitOk;
}

int cmd_slots(const char* sub, const Options& o) {
  if (o.install.empty()) return usage(sub, "--install is required");
  auto inst = update::Installer::open(o.install);
  if (!inst) return fatal(sub, inst.error());
  Result<update::InstallerStatus, std::string> r =
      std::strcmp(sub, "confirm") == 0    ? inst->confirm()
      : std::strcmp(sub, "rollback") == 0 ? inst->rollback()
                                          : inst->boot(o.max_attempts);
  if (!r) return fatal(sub, r.error());
  std::printf("active: %s%s%s\n",
              r->active ? ("slot " + r->active->slot + " (" + r->active->target.name + " " +
                           r->active->target.version + ")")
                              .c_str()
                        : "none",
              r->pending ? ", pending confirmation" : "",
              r->previous ? (", previous: slot " + r->previous->slot).c_str() : "");
  if (!r->note.empty()) std::printf("%s\n", r->note.c_str());
  return kExitOk;
}

}  // namespace

int cmd_update(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[1];
  Options o;
  const int rc = parse_options(argc - 1, argv + 1, sub.c_str(), o);
  if (rc != -1) return rc;
  if (sub != "add" && !o.files.empty()) {
    return usage(sub.c_str(), "unexpected argument '" + o.files.front() + "'");
  }
  if (sub == "init") return cmd_init(o);
  if (sub == "add") return cmd_add(o);
  if (sub == "remove") return cmd_remove(o);
  if (sub == "delegate") return cmd_delegate(o);
  if (sub == "timestamp") return cmd_timestamp(o);
  if (sub == "rotate") return cmd_rotate(o);
  if (sub == "status") return cmd_status(o);
  if (sub == "verify") return cmd_verify(o);
  if (sub == "confirm" || sub == "rollback" || sub == "boot") return cmd_slots(sub.c_str(), o);
  return usage(sub.c_str(), "unknown subcommand");
}

}  // namespace warden::app
