#include "app/relay_cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

#include "app/exit_codes.h"
#include "core/file.h"
#include "identity/denylist.h"
#include "identity/identity.h"
#include "relay/config.h"
#include "relay/relay.h"

namespace warden::app {
namespace {

constexpr const char* kHelp =
    "Usage: warden relay --config FILE [--check]\n"
    "       warden relay revoke --deny-list FILE (--device T:D | --spki HEX | --cert FILE |\n"
    "                           --ca FILE) [--note TEXT]\n\n"
    "A TLS 1.3 mutual-authentication proxy for devices. A device dials in with a certificate\n"
    "naming it urn:warden:<tenant>:<device> (issued by warden's CA); the relay verifies it\n"
    "against client-ca only, checks the deny-list (key, name, issuing CA) and the\n"
    "deny-by-default [allow] policy, then forwards it to its upstream (e.g. mosquitto on\n"
    "127.0.0.1:1883). For protocol = mqtt the device may publish and subscribe only within its\n"
    "allowed topics. Every decision is one JSON line on the log (accepted, refused, revoked,\n"
    "closed, policy_violation, reload, stats). The configuration is described in docs/relay.md.\n\n"
    "Options:\n"
    "  -c, --config FILE   the relay configuration (INI); relative paths in it are relative\n"
    "                      to its folder\n"
    "      --check         load the configuration, certificates and deny-list, then exit\n"
    "  -h, --help          this help\n\n"
    "Signals: SIGHUP reloads the configuration, certificates and deny-list for new sessions\n"
    "(a bad one is refused and the running one kept) and reopens the log; SIGUSR1 writes the\n"
    "counters (log and 'stats' file); SIGTERM/SIGINT stop and print the counters on standard\n"
    "error. The deny-list is also re-read as soon as it changes; sessions it now names\n"
    "are closed.\n\n"
    "revoke options:\n"
    "      --deny-list FILE  the deny-list to append to (created if missing; written durably)\n"
    "      --device T:D      a device name, or T:* for a whole tenant\n"
    "      --spki HEX        SHA-256 of a device's SubjectPublicKeyInfo (64 hex digits)\n"
    "      --cert FILE       a device certificate: its public key is revoked\n"
    "      --ca FILE         an issuing CA certificate: everything it issued is revoked\n"
    "      --note TEXT       a comment written above the entry\n\n"
    "Exit status: 0 done, 1 error (bad configuration, cannot listen), 2 usage error,\n"
    "3 the deny-list to append to is damaged.\n";

relay::Relay* g_relay = nullptr;

void on_signal(int sig) {
  if (!g_relay) return;
  if (sig == SIGHUP)
    g_relay->request_reload();
  else if (sig == SIGUSR1)
    g_relay->request_stats();
  else
    g_relay->stop();
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  return path.substr(0, slash + 1);
}

Result<relay::RelayConfig, std::string> load_config(const std::string& path) {
  auto text = read_file(path, 1u << 20);
  if (!text) return unexpected(text.error());
  auto cfg = relay::parse_config(*text, dir_of(path));
  if (!cfg) return unexpected(path + ": " + cfg.error().str());
  return std::move(*cfg);
}

// Where events go: standard error or an append-only file, one write() per line so lines from
// a crash or a concurrent reader are never torn.
class EventLog {
 public:
  bool open(const std::string& path, std::string& err) {
    path_ = path;
    if (path == "-") {
      fd_ = STDERR_FILENO;
      return true;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      err = errno_text("cannot open log", path);
      return false;
    }
    std::lock_guard lock(mu_);
    if (fd_ > STDERR_FILENO) ::close(fd_);
    fd_ = fd;
    return true;
  }
  void reopen() {
    std::string err;
    if (path_ != "-" && !open(path_, err)) std::fprintf(stderr, "warden relay: %s\n", err.c_str());
  }
  void write(std::string_view json) {
    std::string line(json);
    line += '\n';
    std::lock_guard lock(mu_);
    [[maybe_unused]] auto r = ::write(fd_, line.data(), line.size());
  }
  ~EventLog() {
    if (fd_ > STDERR_FILENO) ::close(fd_);
  }

 private:
  std::mutex mu_;
  std::string path_;
  int fd_ = STDERR_FILENO;
};

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int cmd_revoke(int argc, char** argv) {
  enum { kDenyList = 1000, kDevice, kSpki, kCert, kCa, kNote };
  const option longopts[] = {{"deny-list", required_argument, nullptr, kDenyList},
                             {"device", required_argument, nullptr, kDevice},
                             {"spki", required_argument, nullptr, kSpki},
                             {"cert", required_argument, nullptr, kCert},
                             {"ca", required_argument, nullptr, kCa},
                             {"note", required_argument, nullptr, kNote},
                             {"help", no_argument, nullptr, 'h'},
                             {nullptr, 0, nullptr, 0}};
  std::string file, kind, value, note;
  int chosen = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
    switch (c) {
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      case kDenyList:
        file = optarg;
        break;
      case kNote:
        note = optarg;
        break;
      case kDevice:
      case kSpki:
      case kCert:
      case kCa:
        ++chosen;
        kind = c == kDevice ? "device" : c == kSpki ? "spki" : c == kCert ? "cert" : "ca";
        value = optarg;
        break;
      default:
        std::fputs("Try 'warden relay --help'.\n", stderr);
        return kExitUsage;
    }
  }
  if (file.empty() || chosen != 1 || optind != argc) {
    std::fprintf(stderr,
                 "warden relay revoke: wants --deny-list FILE and exactly one of --device, "
                 "--spki, --cert, --ca\n");
    return kExitUsage;
  }
  std::string entry_kind = kind, entry_value = value;
  if (kind == "cert" || kind == "ca") {
    auto cert = identity::load_cert(value);
    if (!cert) {
      std::fprintf(stderr, "warden relay revoke: %s\n", cert.error().c_str());
      return kExitFatal;
    }
    entry_kind = kind == "cert" ? "spki" : "ca";
    entry_value = identity::spki_sha256_hex(cert->get());
    if (note.empty()) {
      auto id = identity::device_id_of(cert->get());
      note = kind == "cert" && id
                 ? id->str() + " (serial " + identity::serial_hex(cert->get()) + ")"
                 : identity::subject_line(cert->get());
    }
  }
  auto line = identity::deny_line(entry_kind, entry_value);
  if (!line) {
    std::fprintf(stderr, "warden relay revoke: %s\n", line.error().c_str());
    return kExitUsage;
  }
  std::string text;
  if (::access(file.c_str(), F_OK) == 0) {
    auto cur = read_file(file);
    if (!cur) {
      std::fprintf(stderr, "warden relay revoke: %s\n", cur.error().c_str());
      return kExitFatal;
    }
    text = std::move(*cur);
    if (auto parsed = identity::DenyList::parse(text); !parsed) {
      std::fprintf(stderr, "warden relay revoke: %s: %s (not changed)\n", file.c_str(),
                   parsed.error().str().c_str());
      return kExitDamagedInput;
    }
    // Already there: nothing to do (the same line, ignoring surrounding spaces).
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view l(text.data() + pos, nl - pos);
      while (!l.empty() && (l.back() == ' ' || l.back() == '\r' || l.back() == '\t'))
        l.remove_suffix(1);
      if (l == *line) {
        std::printf("%s is already in %s\n", line->c_str(), file.c_str());
        return kExitOk;
      }
      pos = nl + 1;
    }
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  for (auto& ch : note)
    if (ch == '\n' || ch == '\r') ch = ' ';
  text += "# " + std::string(stamp) + (note.empty() ? "" : " " + note) + "\n" + *line + "\n";
  auto ok = write_file_durable(file, text, 0644);
  if (!ok) {
    std::fprintf(stderr, "warden relay revoke: %s\n", ok.error().c_str());
    return kExitFatal;
  }
  std::printf("added '%s' to %s; a running relay cuts such sessions off at once\n", line->c_str(),
              file.c_str());
  return kExitOk;
}

}  // namespace

int cmd_relay(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "revoke") == 0) return cmd_revoke(argc - 1, argv + 1);
  const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                             {"check", no_argument, nullptr, 1000},
                             {"help", no_argument, nullptr, 'h'},
                             {nullptr, 0, nullptr, 0}};
  std::string config_path;
  bool check = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "c:h", longopts, nullptr)) != -1) {
    switch (c) {
      case 'c':
        config_path = optarg;
        break;
      case 1000:
        check = true;
        break;
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      default:
        std::fputs("Try 'warden relay --help'.\n", stderr);
        return kExitUsage;
    }
  }
  if (config_path.empty() || optind != argc) {
    std::fputs("warden relay: wants --config FILE (see 'warden relay --help')\n", stderr);
    return kExitUsage;
  }
  auto cfg = load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "warden relay: %s\n", cfg.error().c_str());
    return kExitFatal;
  }
  EventLog log;
  std::string err;
  if (!check && !log.open(cfg->log, err)) {
    std::fprintf(stderr, "warden relay: %s\n", err.c_str());
    return kExitFatal;
  }
  const std::string stats_file = cfg->stats;
  raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);
  auto relay = relay::Relay::create(
      std::move(*cfg), [&log](std::string_view line) { log.write(line); },
      [&log, config_path]() -> Result<relay::RelayConfig, std::string> {
        log.reopen();  // SIGHUP also serves logrotate
        return load_config(config_path);
      });
  if (!relay) {
    std::fprintf(stderr, "warden relay: %s\n", relay.error().c_str());
    return kExitFatal;
  }
  if (check) {
    std::printf("%s: configuration, certificates and deny-list are usable\n", config_path.c_str());
    return kExitOk;
  }
  g_relay = relay->get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaction(sig, &sa, nullptr);
  std::fprintf(stderr, "warden relay: listening on %s\n", (*relay)->listen_address().c_str());
  std::fflush(stderr);
  relay::Counters counters = (*relay)->run();
  g_relay = nullptr;
  std::fprintf(stderr, "warden relay: stopped; counters %s\n", counters.json().c_str());
  if (!stats_file.empty()) {
    auto ok = write_file_durable(stats_file, counters.json() + "\n");
    if (!ok) std::fprintf(stderr, "warden relay: %s\n", ok.error().c_str());
  }
  return kExitOk;
}

}  // namespace warden::app
