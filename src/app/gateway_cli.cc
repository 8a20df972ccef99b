#include "app/gateway_cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/exit_codes.h"
#include "capture/live_source.h"
#include "core/json.h"
#include "core/json_reader.h"
#include "enforce/enforcer.h"
#include "enforce/nft.h"
#include "enforce/ruleset.h"
#include "enforce/state_store.h"
#include "fetch/fetch.h"
#include "mud/mud.h"
#include "mud/signature.h"
#include "mud/source.h"
#include "pipeline/pipeline.h"
#include "policy/config.h"
#include "policy/learned.h"
#include "storage/async_sink.h"
#include "storage/baseline_store.h"
#include "storage/output_writer.h"

namespace warden::app {
namespace {

namespace fs = std::filesystem;
using enforce::DeviceEntry;
using enforce::Enforcer;
using enforce::GatewayState;
using enforce::QuarantineEntry;

constexpr const char* kDefaultState = "/var/lib/warden/gateway";
constexpr std::size_t kMaxRequest = 64u << 10;

Timestamp wall_ns() {
  return static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
}

void gateway_help(std::FILE* out) {
  std::fprintf(
      out,
      "Usage: warden gateway COMMAND [OPTIONS]\n"
      "The inline guardian on a Linux router: per-device allow-lists (RFC 8520 MUD files,\n"
      "allow-lists in the configuration, learned profiles) and quarantine, enforced with\n"
      "nftables (table inet warden, forward hook), never by ARP spoofing.\n\n"
      "Commands:\n"
      "  run --lan IFACE --config FILE   watch the LAN and enforce (runs until stopped)\n"
      "  quarantine DEVICE --reason TEXT cut a device off: only DNS, DHCP, NTP and the update\n"
      "                                  servers stay reachable; recorded with its reason\n"
      "  release DEVICE                  give a quarantined device its policy back\n"
      "  status [--json]                 devices, quarantine, drop counters per device/rule\n"
      "  profile DEVICE                  show the profile learned for a device\n"
      "  lock DEVICE                     enforce a device's learned profile now\n"
      "  relax DEVICE                    stop enforcing a learned profile (the device is open\n"
      "                                  and keeps learning; undo with lock)\n"
      "  rules --config FILE             print the nftables ruleset the configuration gives\n\n"
      "DEVICE is a configured name, a MAC address or an IP address.\n\n"
      "Options:\n"
      "  --state DIR          state folder: gateway.db, control.sock, events.jsonl,\n"
      "                       metrics.prom (default %s)\n"
      "  --config FILE        gateway configuration (JSON; see docs/gateway.md)\n"
      "  --lan IFACE          LAN interface (a bridge: set net.bridge.bridge-nf-call-iptables=1\n"
      "                       so traffic between devices crosses the forward hook)\n"
      "  --quarantine-on SEV  quarantine a device on a detection of this severity or worse:\n"
      "                       high, medium or off (default off)\n"
      "  --output DIR         pipeline output folder (default STATE/out)\n"
      "  --mud-ca FILE        CA certificates (PEM) that MUD file signatures must chain to\n"
      "  --mud-ca-dir DIR     the same, as an OpenSSL hashed directory\n"
      "  --mud-tls-ca FILE    check MUD servers' HTTPS against FILE instead of the system CAs\n"
      "  --mud-allow-unsigned accept MUD files that publish no signature\n"
      "  --no-mud-announcements  do not fetch the MUD URLs devices announce (DHCP option 161,\n"
      "                       LLDP); only configured policies are enforced\n"
      "  --mud-allow-local-urls  fetch announced URLs whose host is a local address\n"
      "                       (refused by default: a device must not make the gateway\n"
      "                       reach into the LAN or its own loopback)\n"
      "  --dnsmasq FILE       write dnsmasq nftset= lines for the DNS names the policies use\n"
      "                       (a dnsmasq resolver on the router then fills the sets itself,\n"
      "                       before it answers; include FILE with conf-file=)\n"
      "  --snaplen N          bytes captured per packet (default 4096: headers and the\n"
      "                       messages the dissectors read, not whole GRO segments)\n"
      "  --duration S         stop after S seconds (tests)\n"
      "  --flush-on-exit      remove the rules when stopping (default: they stay in force)\n"
      "  -q, --quiet          no progress messages\n\n"
      "Fail mode: fail-static. The rules live in the kernel; if warden stops or crashes the\n"
      "last ruleset stays in force, and 'warden gateway status' says so. A new run rebuilds\n"
      "the table atomically from the configuration and the stored quarantine.\n\n"
      "Example: sudo warden gateway run --lan br0 --config /etc/warden/gateway.json\n",
      kDefaultState);
}

struct Options {
  std::string state_dir = kDefaultState;
  std::string config;
  std::string lan;
  std::string output;
  std::string reason;
  std::string dnsmasq;  // write dnsmasq nftset= lines here
  mud::TrustOptions mud_trust;
  std::string mud_tls_ca;
  bool mud_allow_unsigned = false, mud_announced = true, mud_local_urls = false;
  int quarantine_on = 0;  // 0 off, else the worst severity number that triggers (1 high, 2 medium)
  std::uint64_t duration_s = 0;
  int snaplen = 4096;
  bool json = false, quiet = false, flush_on_exit = false;
  std::vector<std::string> args;
};

enum {
  kOptState = 1000,
  kOptConfig,
  kOptLan,
  kOptReason,
  kOptQuarantineOn,
  kOptOutput,
  kOptDuration,
  kOptJson,
  kOptFlush,
  kOptDnsmasq,
  kOptMudCa,
  kOptMudCaDir,
  kOptMudTlsCa,
  kOptMudUnsigned,
  kOptNoMudAnnounced,
  kOptMudLocalUrls,
  kOptSnaplen
};

bool parse_options(int argc, char** argv, Options& o, int& status) {
  static const option longs[] = {{"state", required_argument, nullptr, kOptState},
                                 {"config", required_argument, nullptr, kOptConfig},
                                 {"lan", required_argument, nullptr, kOptLan},
                                 {"reason", required_argument, nullptr, kOptReason},
                                 {"quarantine-on", required_argument, nullptr, kOptQuarantineOn},
                                 {"output", required_argument, nullptr, kOptOutput},
                                 {"duration", required_argument, nullptr, kOptDuration},
                                 {"json", no_argument, nullptr, kOptJson},
                                 {"dnsmasq", required_argument, nullptr, kOptDnsmasq},
                                 {"mud-ca", required_argument, nullptr, kOptMudCa},
                                 {"mud-ca-dir", required_argument, nullptr, kOptMudCaDir},
                                 {"mud-tls-ca", required_argument, nullptr, kOptMudTlsCa},
                                 {"mud-allow-unsigned", no_argument, nullptr, kOptMudUnsigned},
                                 {"no-mud-announcements", no_argument, nullptr, kOptNoMudAnnounced},
                                 {"mud-allow-local-urls", no_argument, nullptr, kOptMudLocalUrls},
                                 {"snaplen", required_argument, nullptr, kOptSnaplen},
                                 {"flush-on-exit", no_argument, nullptr, kOptFlush},
                                 {"quiet", no_argument, nullptr, 'q'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "qh", longs, nullptr)) != -1) {
    switch (c) {
      case kOptState:
        o.state_dir = optarg;
        break;
      case kOptConfig:
        o.config = optarg;
        break;
      case kOptLan:
        o.lan = optarg;
        break;
      case kOptReason:
        o.reason = optarg;
        break;
      case kOptOutput:
        o.output = optarg;
        break;
      case kOptJson:
        o.json = true;
        break;
      case kOptDnsmasq:
        o.dnsmasq = optarg;
        break;
      case kOptMudCa:
        o.mud_trust.ca_file = optarg;
        break;
      case kOptMudCaDir:
        o.mud_trust.ca_dir = optarg;
        break;
      case kOptMudTlsCa:
        o.mud_tls_ca = optarg;
        break;
      case kOptMudUnsigned:
        o.mud_allow_unsigned = true;
        break;
      case kOptNoMudAnnounced:
        o.mud_announced = false;
        break;
      case kOptMudLocalUrls:
        o.mud_local_urls = true;
        break;
      case kOptSnaplen: {
        char* end = nullptr;
        const long v = std::strtol(optarg, &end, 10);
        if (!end || *end || v < 256 || v > 262144) {
          std::fprintf(stderr, "warden gateway: --snaplen takes 256..262144\n");
          status = kExitUsage;
          return false;
        }
        o.snaplen = static_cast<int>(v);
        break;
      }
      case kOptFlush:
        o.flush_on_exit = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      case kOptDuration: {
        char* end = nullptr;
        o.duration_s = std::strtoull(optarg, &end, 10);
        if (!end || *end) {
          std::fprintf(stderr, "warden gateway: bad --duration '%s'\n", optarg);
          status = kExitUsage;
          return false;
        }
        break;
      }
      case kOptQuarantineOn: {
        const std::string v = optarg;
        if (v == "high")
          o.quarantine_on = 1;
        else if (v == "medium")
          o.quarantine_on = 2;
        else if (v == "off")
          o.quarantine_on = 0;
        else {
          std::fprintf(stderr, "warden gateway: --quarantine-on takes high, medium or off\n");
          status = kExitUsage;
          return false;
        }
        break;
      }
      case 'h':
        gateway_help(stdout);
        status = kExitOk;
        return false;
      default:
        std::fprintf(stderr, "Try 'warden gateway --help'.\n");
        status = kExitUsage;
        return false;
    }
  }
  for (int i = optind; i < argc; ++i) o.args.push_back(argv[i]);
  return true;
}

Result<std::string, std::string> read_file(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected("cannot read " + path + ": " + std::strerror(errno));
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max)
      return unexpected(path + " is larger than " + std::to_string(max) + " bytes");
  }
  return data;
}

// The desired state from a configuration file: every device's policy built, MUD files read
// and parsed. Learned devices start without a policy (not enforced until their profile is
// ready). Errors name the file and the device.
Result<GatewayState, std::string> load_state(const std::string& config_path,
                                             std::vector<std::string>& learned,
                                             const mud::MudSource& source) {
  auto text = read_file(config_path, policy::kMaxConfigBytes);
  if (!text) return unexpected(text.error());
  auto cfg = policy::parse_gateway_config(*text);
  if (!cfg) return unexpected(config_path + ": " + cfg.error());
  GatewayState s;
  s.lan_networks = cfg->lan_networks;
  s.update_servers = cfg->update_servers;
  s.update_names = cfg->update_names;
  s.controllers = cfg->controllers;
  const fs::path base = fs::path(config_path).parent_path();
  for (auto& d : cfg->devices) {
    DeviceEntry e;
    e.name = d.name;
    e.mac = d.mac;
    e.addrs = d.addrs;
    e.my_controller = d.my_controller;
    if (!d.mud.empty()) {
      if (d.mud.find("://") != std::string::npos) {
        // A configured URL: fetched, checked and verified like an announced one (a local
        // file, below, is a copy the operator vetted).
        auto got = source.acquire(d.mud, mud::UrlOrigin::kConfigured);
        if (!got) return unexpected("device " + d.name + ": " + got.error());
        auto pol = policy::from_mud(got->mud);
        if (!pol) return unexpected("device " + d.name + ": " + d.mud + ": " + pol.error());
        e.policy = std::move(*pol);
        s.devices.push_back(std::move(e));
        continue;
      }
      fs::path p = d.mud;
      if (p.is_relative()) p = base / p;
      auto mud_text = read_file(p.string(), mud::kMaxMudBytes);
      if (!mud_text) return unexpected("device " + d.name + ": " + mud_text.error());
      auto mud = mud::parse_mud(*mud_text);
      if (!mud)
        return unexpected("device " + d.name + ": " + p.string() + ": " + mud.error().message());
      auto pol = policy::from_mud(*mud);
      if (!pol) return unexpected("device " + d.name + ": " + p.string() + ": " + pol.error());
      e.policy = std::move(*pol);
    } else if (d.allow) {
      policy::DevicePolicy pol;
      pol.source = policy::DevicePolicy::Source::kAllowList;
      pol.rules = std::move(*d.allow);
      e.policy = std::move(pol);
    } else {
      learned.push_back(d.name);
    }
    s.devices.push_back(std::move(e));
  }
  return s;
}

bool write_dnsmasq(const Options& o, const GatewayState& s) {
  if (o.dnsmasq.empty()) return true;
  std::ofstream out(o.dnsmasq + ".tmp");
  out << enforce::dnsmasq_nftsets(s);
  out.close();
  if (!out || std::rename((o.dnsmasq + ".tmp").c_str(), o.dnsmasq.c_str()) != 0) {
    std::fprintf(stderr, "warden gateway: cannot write %s\n", o.dnsmasq.c_str());
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------ MUD acquisition

// The trust store and the source built from the options; the source keeps a reference to the
// store, so both live here, at a stable address.
struct MudAcquisition {
  mud::TrustStore trust;
  std::unique_ptr<mud::MudSource> source;
};

Result<std::unique_ptr<MudAcquisition>, std::string> make_mud_source(const Options& o) {
  auto a = std::make_unique<MudAcquisition>();
  if (!o.mud_trust.ca_file.empty() || !o.mud_trust.ca_dir.empty()) {
    auto t = mud::TrustStore::load(o.mud_trust);
    if (!t) return unexpected(t.error());
    a->trust = std::move(*t);
  }
  mud::SourceOptions so;
  so.allow_unsigned = o.mud_allow_unsigned;
  so.cache_dir = o.state_dir + "/mud-cache";
  // A vendor's server outage must not drop a device's policy: an expired copy that still
  // verifies keeps being enforced (marked stale) until a refetch works.
  so.stale_if_error = true;
  std::error_code ec;
  fs::create_directories(so.cache_dir, ec);
  const std::string tls_ca = o.mud_tls_ca;
  mud::Fetcher fetcher = [tls_ca](const fetch::FetchRequest& request) {
    fetch::FetchRequest r = request;
    r.tls_ca_file = tls_ca;
    r.connect_timeout_s = 10;
    r.timeout_s = 30;
    return fetch::fetch(r);
  };
  a->source = std::make_unique<mud::MudSource>(so, a->trust, fetcher, nullptr);
  return a;
}

// Fetches announced MUD URLs off the capture thread: a slow or dead vendor server must not
// stall the capture. Bounded queue; results are collected by the capture loop.
class MudWorker {
 public:
  struct Job {
    MacAddr mac;
    std::string url;
    mud::UrlOrigin origin = mud::UrlOrigin::kDhcp;
  };
  struct Done {
    Job job;
    Result<mud::Acquired, std::string> result;
  };
  static constexpr std::size_t kMaxQueued = 64;

  explicit MudWorker(const mud::MudSource& source) : source_(source), thread_([this] { run(); }) {}
  ~MudWorker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool submit(Job job) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= kMaxQueued) return false;
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }
  std::vector<Done> take_done() {
    std::lock_guard lock(mu_);
    std::vector<Done> out;
    out.swap(done_);
    return out;
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      auto r = source_.acquire(job.url, job.origin);
      std::lock_guard lock(mu_);
      done_.push_back(Done{std::move(job), std::move(r)});
    }
  }

  const mud::MudSource& source_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::vector<Done> done_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

// --------------------------------------------------------------------- control socket

std::string socket_path(const Options& o) { return o.state_dir + "/control.sock"; }

// One request, one answer, one line each (JSON).
Result<std::string, std::string> control_call(const Options& o, const std::string& request) {
  const std::string path = socket_path(o);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    close(fd);
    return unexpected("state path too long for a socket: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    close(fd);
    return unexpected("no gateway is running with state " + o.state_dir + " (" + path + ": " +
                      std::strerror(e) + ")");
  }
  std::string msg = request + "\n";
  for (std::size_t off = 0; off < msg.size();) {
    auto n = write(fd, msg.data() + off, msg.size() - off);
    if (n <= 0) {
      close(fd);
      return unexpected(std::string("write to the gateway: ") + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[65536];
  for (;;) {
    auto n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (!reply.empty() && reply.back() == '\n') break;
  }
  close(fd);
  if (reply.empty())
    return unexpected(std::string("the gateway closed the connection without an answer"));
  if (reply.back() == '\n') reply.pop_back();
  return reply;
}

std::string json_error(const std::string& why) {
  std::string js;
  JsonWriter w(js);
  w.begin_object().field("ok", false).field("error", why).end_object();
  return js;
}

// ------------------------------------------------------------------------------ gateway

class Gateway;

// Watches the pipeline's records for what the enforcer needs (DNS answers), and passes
// everything on to the usual writer.
class GatewaySink final : public storage::RecordSink {
 public:
  GatewaySink(storage::RecordSink& inner, Gateway& gw) : inner_(inner), gw_(gw) {}
  void on_flow(const flow::Flow& f, flow::EndReason r) override { inner_.on_flow(f, r); }
  void on_observation(const dissect::Observation& o) override;
  void on_devices(const std::vector<std::unique_ptr<inventory::Device>>& d) override {
    inner_.on_devices(d);
  }
  void on_alerts(const std::vector<detect::Alert>& a) override { inner_.on_alerts(a); }

 private:
  storage::RecordSink& inner_;
  Gateway& gw_;
};

class Gateway {
 public:
  Gateway(const Options& o, Enforcer& enf) : o_(o), enf_(enf) {
    events_ = std::fopen((o.state_dir + "/events.jsonl").c_str(), "a");
  }
  ~Gateway() {
    if (events_) std::fclose(events_);
  }

  std::mutex mu;  // guards the enforcer: the capture loop and the control thread share it

  // Requests that need the pipeline (learned profiles read the baseline and the inventory,
  // which only the capture thread may touch): the control thread queues them, the capture
  // loop answers them between two dispatches (within ~100 ms).
  struct Deferred {
    std::string line;
    std::promise<std::string> reply;
  };
  std::deque<Deferred> deferred;  // guarded by mu

  void event(const std::string& json) {
    if (!events_) return;
    std::fputs(json.c_str(), events_);
    std::fputc('\n', events_);
    std::fflush(events_);
  }

  void decision_event(const char* kind, const enforce::Decision& d) {
    std::string js;
    JsonWriter w(js);
    w.begin_object()
        .field("ts", now_text())
        .field("event", kind)
        .field("device", d.entry.device)
        .field("mac", d.entry.mac ? d.entry.mac->to_string() : std::string())
        .field("reason", d.entry.reason)
        .field("by", d.entry.by)
        .field("decided_ns", static_cast<std::uint64_t>(d.decided_ns))
        .field("enforced_ns", static_cast<std::uint64_t>(d.enforced_ns))
        .field("latency_us", static_cast<std::uint64_t>((d.enforced_ns - d.decided_ns) / 1000))
        .field("warning", d.warning)
        .end_object();
    event(js);
  }

  static std::string now_text() {
    char buf[32];
    std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
  }

  // quarantine and release, with `mu` held (serve_control answers status and the profile
  // commands elsewhere: they must not hold the lock, or need the capture thread).
  std::string handle(const std::string& line) {
    JsonLimits limits;
    limits.max_bytes = kMaxRequest;
    auto req = parse_json(line, limits);
    if (!req || !req->is_object()) return json_error("the request is not a JSON object");
    const JsonValue* cmd = req->find("cmd");
    const JsonValue* dev = req->find("device");
    const JsonValue* reason = req->find("reason");
    const std::string c = cmd && cmd->is_string() ? cmd->as_string() : "";
    const std::string device = dev && dev->is_string() ? dev->as_string() : "";
    if (c == "quarantine") {
      auto e = enf_.resolve(device);
      if (!e)
        return json_error("unknown device \"" + device +
                          "\" (a configured name, a MAC or an IP address)");
      e->reason = reason && reason->is_string() && !reason->as_string().empty()
                      ? reason->as_string()
                      : "by hand";
      e->by = "cli";
      return decision("quarantine", enf_.quarantine(std::move(*e)));
    }
    if (c == "release") return decision("release", enf_.release(device));
    return json_error("unknown command \"" + c +
                      "\" (quarantine, release, status, profile, lock, relax)");
  }

  std::string decision(const char* kind, const Result<enforce::Decision, std::string>& r) {
    if (!r) return json_error(r.error());
    decision_event(kind, *r);
    std::string js;
    JsonWriter w(js);
    w.begin_object()
        .field("ok", true)
        .field("device", r->entry.device)
        .field("reason", r->entry.reason)
        .field("latency_us", static_cast<std::uint64_t>((r->enforced_ns - r->decided_ns) / 1000))
        .field("warning", r->warning)
        .end_object();
    return js;
  }

  // With `mu` held.
  // Called WITHOUT `mu`: reading the kernel's counters takes long with many devices, and a
  // quarantine must not wait for it.
  std::string status_json(bool running) {
    auto c = enf_.read_counters();
    std::lock_guard lock(mu);
    if (c) enf_.complete_counters(*c);
    std::string js;
    JsonWriter w(js);
    w.begin_object().field("ok", true).field("running", running);
    w.field("generation", enf_.generation());
    if (!c) w.field("counters_error", c.error());
    w.key("devices").begin_array();
    for (const auto& d : enf_.state().devices) {
      const std::string key = enforce::device_key(d.mac, d.addrs);
      w.begin_object().field("name", d.name).field("key", key);
      if (d.mac) w.field("mac", d.mac->to_string());
      w.key("addresses").begin_array();
      for (const auto& a : d.addrs) w.value(a.to_string());
      w.end_array();
      w.field("policy", d.policy ? std::string(policy::source_name(d.policy->source))
                                 : std::string("learning"));
      if (d.policy) w.field("rules", static_cast<std::uint64_t>(d.policy->rules.size()));
      add_quarantine_and_drops(w, d.name, key, c ? &*c : nullptr);
      w.end_object();
    }
    // Devices in quarantine that the configuration does not list.
    for (const auto& q : enf_.state().quarantine) {
      bool listed = false;
      for (const auto& d : enf_.state().devices) listed |= d.name == q.device;
      if (listed) continue;
      const std::string key = enforce::device_key(q.mac, q.addrs);
      w.begin_object().field("name", q.device).field("key", key).field("policy", "none");
      add_quarantine_and_drops(w, q.device, key, c ? &*c : nullptr);
      w.end_object();
    }
    w.end_array();
    w.key("rules").begin_array();
    if (c)
      for (const auto& r : c->rules) {
        if (r.packets == 0) continue;
        w.begin_object()
            .field("device", r.device)
            .field("chain", r.chain)
            .field("rule", r.rule)
            .field("packets", r.packets)
            .field("bytes", r.bytes)
            .end_object();
      }
    w.end_array();
    const auto& st = enf_.stats();
    w.key("stats")
        .begin_object()
        .field("applies", st.applies)
        .field("apply_errors", st.apply_errors)
        .field("quarantines", st.quarantines)
        .field("releases", st.releases)
        .field("dns_answers_used", st.dns_answers_used)
        .field("dns_addresses_added", st.dns_addresses_added)
        .field("connections_forgotten", st.connections_forgotten)
        .field("conntrack_errors", st.conntrack_errors)
        .field("last_rebuild_us", static_cast<std::uint64_t>(st.last_rebuild_us))
        .field("last_change_us", static_cast<std::uint64_t>(st.last_change_us))
        .end_object();
    w.end_object();
    return js;
  }

  void add_quarantine_and_drops(JsonWriter& w, const std::string& name, const std::string& key,
                                const enforce::Counters* c) {
    const QuarantineEntry* q = nullptr;
    for (const auto& e : enf_.state().quarantine)
      if (e.device == name) q = &e;
    w.field("quarantined", q != nullptr);
    if (q)
      w.field("reason", q->reason)
          .field("by", q->by)
          .field("since_ns", static_cast<std::uint64_t>(q->since));
    std::uint64_t pk = 0, by = 0;
    if (c)
      for (const auto& d : c->devices)
        if (d.key == key) {
          pk = d.drop_packets;
          by = d.drop_bytes;
        }
    w.field("dropped_packets", pk).field("dropped_bytes", by);
  }

  // Prometheus text format, for node_exporter's textfile collector or a scrape by file.
  // Called WITHOUT `mu` (control thread, every 10 s), like status_json.
  void write_metrics() {
    auto c = enf_.read_counters();
    std::lock_guard lock(mu);
    if (c) enf_.complete_counters(*c);
    std::string m;
    m += "# HELP warden_gateway_generation Ruleset generation in force.\n# TYPE "
         "warden_gateway_generation gauge\n";
    m += "warden_gateway_generation " + std::to_string(enf_.generation()) + "\n";
    m += "# HELP warden_gateway_dropped_packets_total Packets dropped for a device (default deny, "
         "quarantine).\n# TYPE warden_gateway_dropped_packets_total counter\n";
    std::string bytes =
        "# HELP warden_gateway_dropped_bytes_total Bytes dropped for a device.\n# TYPE "
        "warden_gateway_dropped_bytes_total counter\n";
    auto label = [](std::string v) {
      std::string out;
      for (char ch : v) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (ch == '\n') {
          out += "\\n";
          continue;
        }
        out += ch;
      }
      return out;
    };
    if (c) {
      for (const auto& d : c->devices) {
        const std::string n = label(d.name.empty() ? d.key : d.name);
        m += "warden_gateway_dropped_packets_total{device=\"" + n + "\"} " +
             std::to_string(d.drop_packets) + "\n";
        bytes += "warden_gateway_dropped_bytes_total{device=\"" + n + "\"} " +
                 std::to_string(d.drop_bytes) + "\n";
      }
      m += bytes;
      m += "# HELP warden_gateway_rule_packets_total Packets matched by a policy rule.\n# TYPE "
           "warden_gateway_rule_packets_total counter\n";
      for (const auto& r : c->rules)
        m += "warden_gateway_rule_packets_total{device=\"" + label(r.device) + "\",chain=\"" +
             label(r.chain) + "\",rule=\"" + label(r.rule) + "\"} " + std::to_string(r.packets) +
             "\n";
    }
    m += "# HELP warden_gateway_quarantined Devices in quarantine.\n# TYPE "
         "warden_gateway_quarantined gauge\n";
    m += "warden_gateway_quarantined " + std::to_string(enf_.state().quarantine.size()) + "\n";
    const auto& st = enf_.stats();
    m += "# TYPE warden_gateway_apply_errors_total counter\nwarden_gateway_apply_errors_total " +
         std::to_string(st.apply_errors) + "\n";
    m += "# TYPE warden_gateway_dns_addresses_added_total "
         "counter\nwarden_gateway_dns_addresses_added_total " +
         std::to_string(st.dns_addresses_added) + "\n";
    const std::string path = o_.state_dir + "/metrics.prom";
    std::ofstream out(path + ".tmp");
    out << m;
    out.close();
    std::rename((path + ".tmp").c_str(), path.c_str());
  }

  // A finding about a device: quarantine it when it is severe enough (runs on the capture
  // thread, inside the pipeline).
  void on_alert(const detect::Alert& a) {
    if (o_.quarantine_on == 0 || static_cast<int>(a.severity) > o_.quarantine_on ||
        a.device.empty())
      return;
    if (!misbehaving(a)) return;
    std::lock_guard lock(mu);
    std::string ref = a.device.rfind("ip:", 0) == 0 ? a.device.substr(3) : a.device;
    auto e = enf_.resolve(ref);
    if (!e || enf_.quarantined(e->device)) return;
    // The addresses the device was seen with, so its routed traffic is caught too.
    if (e->addrs.empty() && !a.src_ip.is_unspecified() && a.src_ip.is_local_unicast())
      e->addrs.push_back(a.src_ip);
    e->reason = a.signature;
    e->by = "detection:" + a.detector;
    auto r = enf_.quarantine(std::move(*e));
    if (r) {
      decision_event("quarantine", *r);
      if (!o_.quiet)
        std::fprintf(stderr, "warden gateway: quarantined %s: %s\n", r->entry.device.c_str(),
                     a.signature.c_str());
    } else if (!o_.quiet) {
      std::fprintf(stderr, "warden gateway: %s\n", r.error().c_str());
    }
  }

  void set_inventory(const inventory::DeviceInventory* inv) { inventory_ = inv; }
  void set_mud_worker(MudWorker* w) { mud_worker_ = w; }

  // A device announced its MUD URL (DHCP option 161, LLDP): fetch it once per device and URL
  // (again ten minutes after a failure), on the worker. Capture thread.
  void on_mud_url(const MacAddr& mac, const std::string& url, mud::UrlOrigin origin,
                  Timestamp now) {
    if (!mud_worker_ || url.empty() || mac.is_multicast() || mac.is_zero()) return;
    if (announced_.size() >= 4096 && !announced_.count(mac)) return;  // a MAC flood stays bounded
    auto& seen = announced_[mac];
    if (seen.url == url && (seen.ok || now < seen.retry_at)) return;
    seen.url = url;
    seen.ok = false;
    seen.retry_at = now + 600 * kNsPerSec;
    if (!o_.mud_local_urls && policy::url_host_is_local(url)) {
      std::string js;
      JsonWriter w(js);
      w.begin_object()
          .field("ts", now_text())
          .field("event", "mud")
          .field("device", mac.to_string())
          .field("url", url)
          .field("origin", mud::origin_name(origin))
          .field("ok", false)
          .field("error", "the URL names a local address; not fetched (--mud-allow-local-urls)")
          .end_object();
      event(js);
      return;
    }
    if (!mud_worker_->submit({mac, url, origin})) seen.retry_at = now;  // queue full: next time
  }
  void mud_done(const MacAddr& mac, bool ok) { announced_[mac].ok = ok; }

  // Whether the device an alert names is the one that misbehaved, not its victim: some
  // findings are about the target (a device exposed in cleartext, a service under password
  // guessing) and quarantining it would punish the victim. The alert's source must be the
  // device; DDoS floods are attributed by MAC (their source addresses are often forged).
  bool misbehaving(const detect::Alert& a) const {
    if (a.detector.rfind("exposure", 0) == 0) return false;
    if (a.device.rfind("ip:", 0) == 0) return a.device.substr(3) == a.src_ip.to_string();
    if (a.detector.rfind("ddos", 0) == 0) return true;
    auto mac = MacAddr::parse(a.device);
    const inventory::Device* d = mac && inventory_ ? inventory_->find(*mac) : nullptr;
    if (!d) return false;
    for (const auto& r : d->addresses)
      if (r.ip == a.src_ip) return true;
    return false;
  }

  void on_dns(const dissect::DnsObservation& dns) {
    // Only answers to queries seen on the same flow: an unsolicited "answer" a device sends
    // cannot open the way to an address of its choosing.
    if (dns.flavor != dissect::DnsFlavor::kDns || !dns.msg.response || !dns.rtt ||
        dns.msg.rcode != 0 || dns.msg.questions.empty())
      return;
    const std::string qname = policy::normalize_dns_name(dns.msg.questions.front().name);
    if (qname.empty()) return;
    std::vector<IpAddr> addrs;
    std::uint32_t ttl = UINT32_MAX;
    for (const auto& r : dns.msg.answers) {
      if (r.address) {
        addrs.push_back(*r.address);
        ttl = std::min(ttl, r.ttl);
      }
    }
    if (addrs.empty()) return;
    std::lock_guard lock(mu);
    enf_.on_dns_answer(qname, addrs, ttl, wall_ns());
  }

 private:
  const Options& o_;
  Enforcer& enf_;
  std::FILE* events_ = nullptr;
  const inventory::DeviceInventory* inventory_ = nullptr;  // the pipeline's; capture thread only
  MudWorker* mud_worker_ = nullptr;
  struct Announced {
    std::string url;
    bool ok = false;
    Timestamp retry_at = 0;
  };
  std::map<MacAddr, Announced> announced_;  // capture thread only
};

void GatewaySink::on_observation(const dissect::Observation& o) {
  if (const auto* dns = std::get_if<dissect::DnsObservation>(&o.body)) gw_.on_dns(*dns);
  if (o.ctx.has_src_mac) {
    if (const auto* dhcp = std::get_if<protocols::DhcpMessage>(&o.body);
        dhcp && !dhcp->mud_url.empty())
      gw_.on_mud_url(o.ctx.src_mac, dhcp->mud_url, mud::UrlOrigin::kDhcp, o.ctx.ts);
    if (const auto* lldp = std::get_if<protocols::LldpMessage>(&o.body);
        lldp && !lldp->mud_url.empty())
      gw_.on_mud_url(o.ctx.src_mac, lldp->mud_url, mud::UrlOrigin::kLldp, o.ctx.ts);
  }
  inner_.on_observation(o);
}

std::atomic<bool> g_gw_stop{false};
capture::LiveSource* g_gw_source = nullptr;
extern "C" void on_gateway_signal(int) {
  g_gw_stop.store(true);
  if (g_gw_source) g_gw_source->break_loop();
}

void warn_bridge(const Options& o) {
  if (!fs::exists("/sys/class/net/" + o.lan + "/bridge")) return;
  std::ifstream in("/proc/sys/net/bridge/bridge-nf-call-iptables");
  int v = 1;
  if (in >> v && v == 0)
    std::fprintf(stderr,
                 "warden gateway: warning: %s is a bridge and net.bridge.bridge-nf-call-iptables "
                 "is 0: traffic between devices on it is not filtered (only routed traffic is)\n",
                 o.lan.c_str());
}

int listen_socket(const Options& o) {
  const std::string path = socket_path(o);
  ::unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    close(fd);
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const mode_t old = umask(0077);  // the socket changes the firewall: root's only
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || listen(fd, 16) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string request_cmd(const std::string& line) {
  JsonLimits limits;
  limits.max_bytes = kMaxRequest;
  auto req = parse_json(line, limits);
  const JsonValue* cmd = req ? req->find("cmd") : nullptr;
  return cmd && cmd->is_string() ? cmd->as_string() : "";
}

bool is_deferred(const std::string& line) {
  const std::string c = request_cmd(line);
  return c == "profile" || c == "lock" || c == "relax";
}

// Metrics every 10 s, on a thread of their own: reading every counter of a large table takes
// about a second at 1,000 devices, which neither the capture nor a quarantine may wait for.
void write_metrics_loop(Gateway& gw) {
  auto next = std::chrono::steady_clock::now();
  while (!g_gw_stop.load()) {
    if (std::chrono::steady_clock::now() >= next) {
      gw.write_metrics();
      next = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void send_reply(int fd, const std::string& reply) {
  for (std::size_t off = 0; off < reply.size();) {
    auto n = write(fd, reply.data() + off, reply.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  close(fd);
}

void serve_control(int lfd, Gateway& gw) {
  // A status reads every counter (slow with many devices): it is answered on a thread of its
  // own, at most kMaxStatus at once, so the next request (a quarantine) is served at once.
  constexpr int kMaxStatus = 4;
  std::atomic<int> status_running{0};
  std::vector<std::thread> status_threads;
  while (!g_gw_stop.load()) {
    pollfd p{lfd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string line;
    char buf[4096];
    // A slow or silent client must not hold the gateway: one second to send its line.
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (line.size() < kMaxRequest) {
      auto n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
      if (line.find('\n') != std::string::npos) break;
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    std::string reply;
    if (is_deferred(line)) {
      std::future<std::string> answer;
      {
        std::lock_guard lock(gw.mu);
        gw.deferred.push_back({line, {}});
        answer = gw.deferred.back().reply.get_future();
      }
      reply = (answer.wait_for(std::chrono::seconds(10)) == std::future_status::ready
                   ? answer.get()
                   : json_error("the gateway did not answer in time")) +
              "\n";
    } else if (request_cmd(line) == "status") {
      if (status_running.load() >= kMaxStatus) {
        send_reply(fd, json_error("busy: too many status requests at once") + "\n");
        continue;
      }
      ++status_running;
      status_threads.emplace_back([fd, &gw, &status_running] {
        send_reply(fd, gw.status_json(true) + "\n");
        --status_running;
      });
      continue;
    } else {
      std::lock_guard lock(gw.mu);
      reply = gw.handle(line) + "\n";
    }
    send_reply(fd, reply);
    // Threads of finished status requests are joined as we go (at most kMaxStatus run).
    if (status_threads.size() > 64 && status_running.load() == 0) {
      for (auto& t : status_threads) t.join();
      status_threads.clear();
    }
  }
  for (auto& t : status_threads) t.join();
}

// Learned profiles: computed from the baseline and the inventory, on the capture thread.
struct Learned {
  const pipeline::Pipeline& pipe;
  const detect::BaselineModel& baseline;
  const std::vector<std::string>& names;  // devices the configuration gives "profile": "learned"

  bool is_learned(const DeviceEntry& d) const {
    return std::find(names.begin(), names.end(), d.name) != names.end();
  }
  const detect::DeviceBaseline* baseline_of(const DeviceEntry& d) const {
    return d.mac ? baseline.find(d.mac->to_string()) : nullptr;
  }
  policy::DevicePolicy profile(const DeviceEntry& d, const detect::DeviceBaseline& b) const {
    const inventory::Device* inv = d.mac ? pipe.inventory().find(*d.mac) : nullptr;
    std::vector<IpAddr> peers;
    for (const auto& [peer_id, stats] :
         b.items[static_cast<std::size_t>(detect::BaselineKind::kPeer)])
      if (auto m = MacAddr::parse(peer_id))
        if (const auto* pd = pipe.inventory().find(*m))
          for (const auto& a : pd->addresses) peers.push_back(a.ip);
    return policy::from_baseline(b, inv ? inv->type : inventory::DeviceType::kUnknown, peers);
  }
  // Devices whose profile should be in force and is not: learning ended (unless the user
  // relaxed it) or the user locked it. True when `devices` changed.
  bool adopt(std::vector<DeviceEntry>& devices,
             const std::map<std::string, std::string>& states) const {
    bool changed = false;
    for (auto& d : devices) {
      if (d.policy || !is_learned(d)) continue;
      auto st = states.find(d.name);
      const std::string state = st == states.end() ? "" : st->second;
      if (state == "relaxed") continue;
      const auto* b = baseline_of(d);
      if (!b || (b->learning() && state != "locked")) continue;
      d.policy = profile(d, *b);
      changed = true;
    }
    return changed;
  }
};

// profile / lock / relax, on the capture thread with `mu` held.
std::string handle_deferred(const std::string& line, Enforcer& enf, const Learned& learned,
                            bool& rebuild) {
  auto req = parse_json(line);
  const JsonValue* dev = req ? req->find("device") : nullptr;
  const std::string cmd = request_cmd(line);
  const std::string ref = dev && dev->is_string() ? dev->as_string() : "";
  auto target = enf.resolve(ref);
  const DeviceEntry* d = nullptr;
  for (const auto& e : enf.state().devices)
    if (target && e.name == target->device) d = &e;
  if (!d || !learned.is_learned(*d))
    return json_error("\"" + ref +
                      "\" is not a device with \"profile\": \"learned\" in the configuration");
  const auto* b = learned.baseline_of(*d);
  std::string js;
  JsonWriter w(js);
  if (cmd == "profile") {
    w.begin_object().field("ok", true).field("device", d->name);
    w.field("learning", !b || b->learning());
    if (b) w.field("flows", b->flows);
    auto st = enf.profile_states().find(d->name);
    w.field("state", st != enf.profile_states().end() ? st->second
                     : d->policy                      ? std::string("enforced")
                                                      : std::string("learning"));
    w.key("rules").begin_array();
    std::vector<std::string> warnings;
    if (b) {
      const auto p = d->policy ? *d->policy : learned.profile(*d, *b);
      for (const auto& r : p.rules) w.value(policy::describe(r));
      warnings = p.warnings;
    }
    w.end_array();
    w.key("warnings").begin_array();
    for (const auto& x : warnings) w.value(x);
    w.end_array().end_object();
    return js;
  }
  if (!b) return json_error(d->name + " has not been seen yet: there is no profile to lock");
  const std::string name = d->name;  // `d` points into the state set_devices() replaces
  auto devices = enf.state().devices;
  for (auto& e : devices) {
    if (e.name != name) continue;
    if (cmd == "lock")
      e.policy = learned.profile(e, *b);
    else
      e.policy.reset();
  }
  auto saved = enf.set_profile_state(name, cmd == "lock" ? "locked" : "relaxed");
  if (!saved) return json_error(saved.error());
  auto r = enf.set_devices(std::move(devices), wall_ns());
  if (!r) return json_error(r.error());
  rebuild = true;
  w.begin_object()
      .field("ok", true)
      .field("device", name)
      .field("state", cmd == "lock" ? "locked" : "relaxed")
      .field("generation", r->generation)
      .end_object();
  return js;
}

// The MUD source (trust store, cache) and the desired state from the configuration.
Result<GatewayState, std::string> load_desired(const Options& o, std::vector<std::string>& learned,
                                               std::unique_ptr<MudAcquisition>& acquisition) {
  auto a = make_mud_source(o);
  if (!a) return unexpected(a.error());
  acquisition = std::move(*a);
  return load_state(o.config, learned, *acquisition->source);
}

// The LAN addresses the inventory has seen a device use (none when it has not been seen).
std::vector<IpAddr> local_addresses(const inventory::DeviceInventory& inventory,
                                    const MacAddr& mac) {
  std::vector<IpAddr> out;
  if (const auto* inv = inventory.find(mac))
    for (const auto& a : inv->addresses)
      if (a.ip.is_local_unicast()) out.push_back(a.ip);
  return out;
}

// A MUD file a device announced arrived (capture thread, `mu` held): the device is enforced
// with it, unless the configuration gives that device a policy of its own (the operator's
// word wins over the device's). True when the ruleset changed.
bool adopt_announced(MudWorker::Done& done, Enforcer& enf, Gateway& gw,
                     const inventory::DeviceInventory& inventory, std::set<MacAddr>& announced,
                     const Options& o) {
  const std::string mac = done.job.mac.to_string();
  std::string js;
  JsonWriter w(js);
  w.begin_object()
      .field("ts", Gateway::now_text())
      .field("event", "mud")
      .field("device", mac)
      .field("url", done.job.url)
      .field("origin", mud::origin_name(done.job.origin));
  auto finish = [&](bool changed) {
    w.end_object();
    gw.event(js);
    return changed;
  };
  if (!done.result) {
    gw.mud_done(done.job.mac, false);
    if (!o.quiet)
      std::fprintf(stderr, "warden gateway: MUD file of %s not used: %s\n", mac.c_str(),
                   done.result.error().c_str());
    w.field("ok", false).field("error", done.result.error());
    return finish(false);
  }
  gw.mud_done(done.job.mac, true);
  const mud::Acquired& got = *done.result;
  w.field("ok", true)
      .field("signature", got.signature == mud::SignatureState::kVerified ? "verified" : "unsigned")
      .field("signer", got.signer.signer_subject)
      .field("from_cache", got.from_cache)
      .field("stale", got.stale);
  auto pol = policy::from_mud(got.mud);
  if (!pol) {
    w.field("applied", false).field("error", pol.error());
    return finish(false);
  }
  auto devices = enf.state().devices;
  DeviceEntry* entry = nullptr;
  for (auto& d : devices)
    if (d.mac && *d.mac == done.job.mac) entry = &d;
  if (entry && !announced.count(done.job.mac)) {
    w.field("applied", false)
        .field("why", "the configuration gives " + entry->name + " its own policy");
    return finish(false);
  }
  if (!entry) {
    devices.push_back(DeviceEntry{});
    entry = &devices.back();
    entry->name = mac;
    entry->mac = done.job.mac;
    entry->addrs = local_addresses(inventory, done.job.mac);
  }
  entry->policy = std::move(*pol);
  announced.insert(done.job.mac);
  auto r = enf.set_devices(std::move(devices), wall_ns());
  if (!r) {
    w.field("applied", false).field("error", r.error());
    return finish(false);
  }
  w.field("applied", true).field("generation", r->generation);
  if (!o.quiet)
    std::fprintf(
        stderr, "warden gateway: %s enforces the MUD file it announced (%s, %s)\n", mac.c_str(),
        done.job.url.c_str(),
        got.signature == mud::SignatureState::kVerified ? "signature verified" : "unsigned");
  return finish(true);
}

int cmd_run(Options& o) {
  if (o.lan.empty() || o.config.empty()) {
    std::fprintf(
        stderr,
        "warden gateway run: needs --lan IFACE and --config FILE\nTry 'warden gateway --help'.\n");
    return kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(o.state_dir, ec);
  if (ec) {
    std::fprintf(stderr, "warden gateway: cannot create %s: %s\n", o.state_dir.c_str(),
                 ec.message().c_str());
    return kExitFatal;
  }
  ::unlink((o.state_dir + "/ready").c_str());
  std::unique_ptr<MudAcquisition> acquisition;
  std::vector<std::string> learned;
  auto state = load_desired(o, learned, acquisition);
  if (!state) {
    std::fprintf(stderr, "warden gateway: %s\n", state.error().c_str());
    return kExitFatal;
  }
  auto nft = enforce::LibNftables::open();
  if (!nft) {
    std::fprintf(stderr, "warden gateway: %s\n", nft.error().c_str());
    return kExitFatal;
  }
  // What is in force now, before we replace it: a previous run's rules that stayed in force
  // (fail-static) are worth a line.
  if (auto prev = enforce::table_comment(**nft); !prev.empty() && !o.quiet)
    std::fprintf(stderr,
                 "warden gateway: found rules of a previous run in force (%s); replacing them\n",
                 prev.c_str());
  auto store = enforce::StateStore::open(o.state_dir + "/gateway.db");
  if (!store) {
    std::fprintf(stderr, "warden gateway: %s\n", store.error().c_str());
    return kExitFatal;
  }
  enforce::LibConntrack conntrack;
  Enforcer enf(**nft, store->get(), &conntrack);
  auto applied = enf.start(std::move(*state), wall_ns());
  if (!applied) {
    std::fprintf(stderr, "warden gateway: %s\n", applied.error().c_str());
    return kExitFatal;
  }
  if (!o.quiet)
    for (const auto& w : applied->warnings)
      std::fprintf(stderr, "warden gateway: warning: %s\n", w.c_str());
  else if (!applied->warnings.empty())
    std::fprintf(stderr,
                 "warden gateway: %zu parts of policies could not be enforced (warden gateway "
                 "rules lists them)\n",
                 applied->warnings.size());
  if (!write_dnsmasq(o, enf.state())) return kExitFatal;
  Gateway gw(o, enf);
  {
    std::string js;
    JsonWriter w(js);
    w.begin_object()
        .field("ts", Gateway::now_text())
        .field("event", "start")
        .field("generation", applied->generation)
        .field("devices", static_cast<std::uint64_t>(applied->enforced_devices))
        .field("rules", static_cast<std::uint64_t>(applied->rules))
        .field("apply_us", static_cast<std::uint64_t>(applied->apply_us))
        .field("quarantined", static_cast<std::uint64_t>(enf.state().quarantine.size()))
        .end_object();
    gw.event(js);
  }
  if (!o.quiet)
    std::fprintf(stderr,
                 "warden gateway: enforcing %zu devices (%zu rules, generation %llu, applied in "
                 "%.1f ms), %zu in quarantine, %zu learning\n",
                 applied->enforced_devices, applied->rules,
                 static_cast<unsigned long long>(applied->generation), applied->apply_us / 1000.0,
                 enf.state().quarantine.size(), learned.size());
  warn_bridge(o);

  capture::LiveOptions live;
  live.interface = o.lan;
  live.immediate = true;
  // What the dissectors read sits in the first few KB of a packet (headers, a DNS answer, a
  // TLS hello, an HTTP request); copying all of a 64 KB GRO segment to user space for every
  // forwarded packet is what a router's throughput pays for (bench/gateway_bench.sh).
  live.snaplen = o.snaplen;
  auto source = capture::LiveSource::open(live);
  if (!source) {
    std::fprintf(stderr, "warden gateway: %s\n", source.error().c_str());
    return kExitFatal;
  }
  if (o.output.empty()) o.output = o.state_dir + "/out";
  fs::create_directories(o.output, ec);
  auto writer = storage::OutputWriter::open({o.output, false});
  if (!writer) {
    std::fprintf(stderr, "warden gateway: %s\n", writer.error().c_str());
    return kExitFatal;
  }
  storage::AsyncSink channel(**writer);
  GatewaySink sink(channel, gw);
  pipeline::PipelineConfig pc;
  // Floods and scans from changing source ports are judged when their unanswered flows end:
  // inline, a quarantine should not wait the sensor's 30 s for that. A SYN left unanswered
  // for 5 s ends its flow here (a retransmission starts a new one; nothing is lost).
  pc.flows.tcp_embryonic_timeout = 5 * kNsPerSec;
  detect::BaselineModel baseline;
  // What devices were learned to do survives restarts: learned profiles are built from it.
  const std::string baseline_path = o.state_dir + "/baseline.db";
  if (fs::exists(baseline_path)) {
    auto snap = storage::load_baseline(baseline_path, detect::BaselineLimits{});
    if (!snap) {
      std::fprintf(stderr, "warden gateway: %s\n", snap.error().c_str());
      return kExitFatal;
    }
    baseline.restore(*snap);
  }
  std::uint64_t saved_version = baseline.version();
  auto save = [&] {
    if (baseline.version() == saved_version) return;
    if (auto ok = storage::save_baseline(baseline_path, baseline.snapshot()); !ok)
      std::fprintf(stderr, "warden gateway: %s\n", ok.error().c_str());
    saved_version = baseline.version();
  };
  pc.detect.baseline = &baseline;
  pc.detect.alert_listener = [&gw](const detect::Alert& a) { gw.on_alert(a); };
  pipeline::Pipeline pipe(pc, nullptr, sink);
  gw.set_inventory(&pipe.inventory());
  std::unique_ptr<MudWorker> mud_worker;
  if (o.mud_announced) mud_worker = std::make_unique<MudWorker>(*acquisition->source);
  gw.set_mud_worker(mud_worker.get());
  std::set<MacAddr> announced_devices;  // enforced from the MUD file they announced
  const Learned profiles{pipe, baseline, learned};
  // Profiles locked before a restart, or learned then, are in force again at once.
  {
    auto devices = enf.state().devices;
    if (profiles.adopt(devices, enf.profile_states())) {
      auto r = enf.set_devices(std::move(devices), wall_ns());
      if (!r) {
        std::fprintf(stderr, "warden gateway: %s\n", r.error().c_str());
        return kExitFatal;
      }
    }
  }

  const int lfd = listen_socket(o);
  if (lfd < 0) {
    std::fprintf(stderr, "warden gateway: cannot listen on %s: %s\n", socket_path(o).c_str(),
                 std::strerror(errno));
    return kExitFatal;
  }
  g_gw_source = source->get();
  struct sigaction sa {};
  sa.sa_handler = on_gateway_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::thread control([&] { serve_control(lfd, gw); });
  std::thread metrics([&] { write_metrics_loop(gw); });
  {
    std::ofstream ready(o.state_dir + "/ready");
    ready << getpid() << "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto last_learned = start, last_baseline = start;
  int status = kExitOk;
  while (!g_gw_stop.load()) {
    auto n = (*source)->dispatch(
        [&](const capture::Frame& f) { pipe.process(f.data, f.link_type, f.ts, f.wire_length); });
    if (!n) {
      if (g_gw_stop.load()) break;
      std::fprintf(stderr, "warden gateway: capture failed: %s\n", n.error().c_str());
      status = kExitFatal;
      break;
    }
    pipe.heartbeat(wall_ns());
    const auto now = std::chrono::steady_clock::now();
    // Every 30 s: the inventory is classified and written (as `monitor` does), then announced
    // devices' addresses and learned profiles are brought up to date from it. Publishing
    // touches no enforcer state, so it runs before the lock a quarantine may be waiting for.
    const bool tick = now - last_learned >= std::chrono::seconds(30);
    if (tick) {
      last_learned = now;
      pipe.publish_devices();
    }
    std::lock_guard lock(gw.mu);
    if (enf.pending())
      if (auto f = enf.flush(); !f && !o.quiet)
        std::fprintf(stderr, "warden gateway: %s\n", f.error().c_str());
    while (!gw.deferred.empty()) {
      bool rebuilt = false;
      gw.deferred.front().reply.set_value(
          handle_deferred(gw.deferred.front().line, enf, profiles, rebuilt));
      gw.deferred.pop_front();
      if (rebuilt && !write_dnsmasq(o, enf.state())) status = kExitFatal;
    }
    if (mud_worker) {
      for (auto& done : mud_worker->take_done())
        if (adopt_announced(done, enf, gw, pipe.inventory(), announced_devices, o) &&
            !write_dnsmasq(o, enf.state()))
          status = kExitFatal;
    }
    if (tick && !announced_devices.empty()) {
      // Devices known by their announcement get the addresses the inventory saw them use.
      auto devices = enf.state().devices;
      bool changed = false;
      for (auto& d : devices) {
        if (!d.mac || !announced_devices.count(*d.mac) || !pipe.inventory().find(*d.mac)) continue;
        auto addrs = local_addresses(pipe.inventory(), *d.mac);
        if (addrs != d.addrs) {
          d.addrs = std::move(addrs);
          changed = true;
        }
      }
      if (changed)
        if (auto r = enf.set_devices(std::move(devices), wall_ns()); !r)
          std::fprintf(stderr, "warden gateway: %s\n", r.error().c_str());
    }
    if (tick && !learned.empty()) {
      auto devices = enf.state().devices;
      if (profiles.adopt(devices, enf.profile_states())) {
        auto r = enf.set_devices(std::move(devices), wall_ns());
        if (!r)
          std::fprintf(stderr, "warden gateway: %s\n", r.error().c_str());
        else if (!write_dnsmasq(o, enf.state()))
          status = kExitFatal;
        else if (!o.quiet)
          std::fprintf(stderr, "warden gateway: learned profiles in force (generation %llu)\n",
                       static_cast<unsigned long long>(r->generation));
      }
    }
    if (now - last_baseline >= std::chrono::minutes(5)) {
      last_baseline = now;
      save();
    }
    if (o.duration_s && now - start >= std::chrono::seconds(o.duration_s)) break;
  }
  g_gw_stop.store(true);
  {
    std::lock_guard lock(gw.mu);
    for (auto& d : gw.deferred) d.reply.set_value(json_error("the gateway is stopping"));
    gw.deferred.clear();
  }
  control.join();
  metrics.join();
  close(lfd);
  g_gw_source = nullptr;
  pipe.finish();
  save();
  channel.drain();
  (void)(*writer)->close();
  ::unlink(socket_path(o).c_str());
  ::unlink((o.state_dir + "/ready").c_str());
  gw.write_metrics();
  std::lock_guard lock(gw.mu);
  if (o.flush_on_exit) {
    auto r = (*nft)->apply("table inet warden {}\ndelete table inet warden\n");
    if (!o.quiet)
      std::fprintf(stderr, "warden gateway: %s\n",
                   r ? "rules removed (--flush-on-exit): the network is open" : r.error().c_str());
    gw.event("{\"event\":\"stop\",\"rules\":\"removed\"}");
  } else {
    if (!o.quiet)
      std::fprintf(stderr, "warden gateway: stopped; the rules of generation %llu stay in force\n",
                   static_cast<unsigned long long>(enf.generation()));
    gw.event("{\"event\":\"stop\",\"rules\":\"in force\"}");
  }
  return status;
}

int cmd_rules(Options& o) {
  if (o.config.empty()) {
    std::fprintf(stderr, "warden gateway rules: needs --config FILE\n");
    return kExitUsage;
  }
  std::unique_ptr<MudAcquisition> acquisition;
  std::vector<std::string> learned;
  auto state = load_desired(o, learned, acquisition);
  if (!state) {
    std::fprintf(stderr, "warden gateway: %s\n", state.error().c_str());
    return kExitFatal;
  }
  auto r = enforce::render_table(*state, 0, wall_ns());
  std::fputs(r.script.c_str(), stdout);
  if (!write_dnsmasq(o, *state)) return kExitFatal;
  for (const auto& w : r.warnings) std::fprintf(stderr, "warden gateway: warning: %s\n", w.c_str());
  for (const auto& n : learned)
    std::fprintf(stderr,
                 "warden gateway: %s: learned profile, not enforced until it has been learned\n",
                 n.c_str());
  return kExitOk;
}

void print_status(const std::string& json) {
  auto doc = parse_json(json, JsonLimits{64u << 20, 64, 64u << 10, 10'000'000});
  if (!doc) {
    std::puts(json.c_str());
    return;
  }
  const JsonValue* gen = doc->find("generation");
  std::printf("warden gateway: running, ruleset generation %lld\n",
              gen ? static_cast<long long>(gen->as_integer().value_or(0)) : 0LL);
  std::printf("%-20s %-11s %-12s %12s %12s  %s\n", "DEVICE", "POLICY", "STATE", "DROPPED PKTS",
              "BYTES", "REASON");
  if (const JsonValue* devs = doc->find("devices"))
    for (const auto& d : devs->items()) {
      auto s = [&](const char* k) {
        const JsonValue* v = d.find(k);
        return v && v->is_string() ? v->as_string() : std::string();
      };
      auto n = [&](const char* k) {
        const JsonValue* v = d.find(k);
        return v ? static_cast<long long>(v->as_integer().value_or(0)) : 0LL;
      };
      const JsonValue* q = d.find("quarantined");
      const bool quarantined = q && q->as_bool();
      const std::string pol = s("policy");
      std::printf("%-20s %-11s %-12s %12lld %12lld  %s\n", s("name").c_str(), pol.c_str(),
                  quarantined                          ? "QUARANTINED"
                  : pol == "learning" || pol == "none" ? "open"
                                                       : "enforced",
                  n("dropped_packets"), n("dropped_bytes"), quarantined ? s("reason").c_str() : "");
    }
  if (const JsonValue* rules = doc->find("rules"); rules && !rules->items().empty()) {
    std::printf("\nRules that matched traffic:\n");
    for (const auto& r : rules->items()) {
      const JsonValue* dv = r.find("device");
      const JsonValue* rv = r.find("rule");
      const JsonValue* pv = r.find("packets");
      const JsonValue* cv = r.find("chain");
      const std::string chain = cv && cv->is_string() ? cv->as_string() : "";
      const bool out = chain.size() > 2 && (chain.compare(chain.size() - 2, 2, "_o") == 0 ||
                                            chain.compare(chain.size() - 3, 3, "_qo") == 0);
      std::printf("  %-20s %-11s %-50s %lld packets\n", dv ? dv->as_string().c_str() : "",
                  out ? "from device" : "to device", rv ? rv->as_string().c_str() : "",
                  pv ? static_cast<long long>(pv->as_integer().value_or(0)) : 0LL);
    }
  }
}

// Without a running gateway: what the kernel holds, and the stored quarantine. Exit status 1
// (nobody is running the rules), but the answer is complete, in JSON with --json.
int offline_status(const Options& o, const std::string& why) {
  auto nft = enforce::LibNftables::open();
  const std::string comment = nft ? enforce::table_comment(**nft) : std::string();
  std::vector<QuarantineEntry> quarantine;
  if (auto store = enforce::StateStore::open(o.state_dir + "/gateway.db"))
    if (auto st = (*store)->load()) quarantine = st->quarantine;
  if (o.json) {
    std::string js;
    JsonWriter w(js);
    w.begin_object().field("ok", true).field("running", false).field("why", why);
    w.field("rules_in_force", !comment.empty()).field("table", comment);
    w.key("devices").begin_array();
    for (const auto& q : quarantine) {
      w.begin_object().field("name", q.device);
      if (q.mac) w.field("mac", q.mac->to_string());
      w.key("addresses").begin_array();
      for (const auto& a : q.addrs) w.value(a.to_string());
      w.end_array();
      w.field("quarantined", true)
          .field("reason", q.reason)
          .field("by", q.by)
          .field("since_ns", static_cast<std::uint64_t>(q.since))
          .end_object();
    }
    w.end_array().end_object();
    std::puts(js.c_str());
    return kExitFatal;
  }
  std::fprintf(stderr, "warden gateway: %s\n", why.c_str());
  if (comment.empty()) {
    std::printf("No warden rules are in force: the network is open.\n");
    return kExitFatal;
  }
  std::printf("Not running. Rules in force (fail-static): %s\n", comment.c_str());
  for (const auto& q : quarantine)
    std::printf("  in quarantine: %s (%s)\n", q.device.c_str(), q.reason.c_str());
  return kExitFatal;
}

// Sends a request to the running gateway; the answer when it says ok, else nullopt after
// printing why.
std::optional<JsonValue> call_ok(const Options& o, const std::string& request, std::string& reply) {
  auto r = control_call(o, request);
  if (!r) {
    std::fprintf(stderr, "warden gateway: %s\n", r.error().c_str());
    return std::nullopt;
  }
  reply = *r;
  auto doc = parse_json(reply);
  const JsonValue* ok = doc ? doc->find("ok") : nullptr;
  if (!ok || !ok->as_bool()) {
    const JsonValue* err = doc ? doc->find("error") : nullptr;
    std::fprintf(stderr, "warden gateway: %s\n",
                 err && err->is_string() ? err->as_string().c_str() : reply.c_str());
    return std::nullopt;
  }
  return std::move(*doc);
}

}  // namespace

int cmd_gateway(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    gateway_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[1];
  Options o;
  int status = kExitOk;
  if (!parse_options(argc - 1, argv + 1, o, status)) return status;
  if (sub == "run") return cmd_run(o);
  if (sub == "rules") return cmd_rules(o);
  if (sub == "profile" || sub == "lock" || sub == "relax") {
    if (o.args.size() != 1) {
      std::fprintf(stderr, "warden gateway %s: name one DEVICE\n", sub.c_str());
      return kExitUsage;
    }
    std::string js;
    JsonWriter w(js);
    w.begin_object().field("cmd", sub).field("device", o.args[0]).end_object();
    std::string reply;
    auto doc = call_ok(o, js, reply);
    if (!doc) return kExitFatal;
    if (o.json || sub != "profile") {
      if (o.json)
        std::puts(reply.c_str());
      else
        std::printf(
            "%s: %s\n", o.args[0].c_str(),
            sub == "lock" ? "learned profile enforced" : "learned profile relaxed (not enforced)");
      return kExitOk;
    }
    const JsonValue* st = doc->find("state");
    std::printf("%s: %s\n", o.args[0].c_str(),
                st && st->is_string() ? st->as_string().c_str() : "");
    if (const JsonValue* rules = doc->find("rules"))
      for (const auto& r : rules->items()) std::printf("  %s\n", r.as_string().c_str());
    if (const JsonValue* ws = doc->find("warnings"))
      for (const auto& x : ws->items()) std::printf("  note: %s\n", x.as_string().c_str());
    return kExitOk;
  }
  if (sub == "quarantine" || sub == "release") {
    if (o.args.size() != 1) {
      std::fprintf(stderr, "warden gateway %s: name one DEVICE (a name, MAC or IP address)\n",
                   sub.c_str());
      return kExitUsage;
    }
    std::string js;
    JsonWriter w(js);
    w.begin_object().field("cmd", sub).field("device", o.args[0]);
    if (sub == "quarantine") w.field("reason", o.reason);
    w.end_object();
    std::string reply;
    auto doc = call_ok(o, js, reply);
    if (!doc) return kExitFatal;
    if (o.json) {
      std::puts(reply.c_str());
    } else {
      const JsonValue* lat = doc->find("latency_us");
      std::printf("%s %s (enforced in %.2f ms)\n", sub == "quarantine" ? "Quarantined" : "Released",
                  o.args[0].c_str(),
                  lat ? static_cast<double>(lat->as_integer().value_or(0)) / 1000.0 : 0.0);
      if (const JsonValue* warn = doc->find("warning");
          warn && warn->is_string() && !warn->as_string().empty())
        std::fprintf(stderr, "warden gateway: warning: %s\n", warn->as_string().c_str());
    }
    return kExitOk;
  }
  if (sub == "status") {
    auto reply = control_call(o, "{\"cmd\":\"status\"}");
    if (!reply) return offline_status(o, reply.error());
    if (o.json)
      std::puts(reply->c_str());
    else
      print_status(*reply);
    return kExitOk;
  }
  std::fprintf(stderr, "warden gateway: unknown command '%s'\nTry 'warden gateway --help'.\n",
               sub.c_str());
  return kExitUsage;
}

}  // namespace warden::app
