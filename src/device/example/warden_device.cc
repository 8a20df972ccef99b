// warden-device: what a device maker's firmware does with warden's device library. It enrolls
// (key made here, never leaves; a one-time token instead of a password), keeps its credentials,
// dials out to the relay over mutually authenticated TLS 1.3, publishes telemetry and takes
// commands over MQTT, reconnects with backoff and jitter, and renews its certificate before it
// expires. Nothing listens on the device.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/file.h"
#include "device/backoff.h"
#include "device/est_client.h"
#include "device/renewal.h"
#include "device/store.h"
#include "device/tls_client.h"
#include "mqtt/wire.h"

namespace {

using namespace warden;
using namespace warden::device;
using std::chrono::milliseconds;
using std::chrono::seconds;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage = R"(usage: warden-device COMMAND [options]

The example device: enrolls with warden's CA, then talks MQTT through warden relay over
mutually authenticated TLS 1.3. Credentials live in --store (default ./device-creds).

commands:
  enroll     --est HOST:PORT --server-ca FILE --device TENANT:ID --token TOKEN
             [--key-type p256|ed25519] [--serial HW-SERIAL]
             make a key (0600), send a CSR with the one-time token (and the hardware serial
             when the token is bound to one), store the certificate
  renew      --est HOST:PORT [--force]
             re-enroll with the current certificate when a third of its lifetime is left
  status     show the identity, validity and when renewal is due
  publish    --relay HOST:PORT --topic T --message M [--qos 0|1] [--count N] [--interval S]
  subscribe  --relay HOST:PORT --topic FILTER [--count N] [--timeout S]
             print each message as "<topic> <payload>"; exit after N messages or S seconds
  run        --relay HOST:PORT [--est HOST:PORT] [--interval S] [--max-attempts N]
             stay connected: publish telemetry to devices/<id>/telemetry every S seconds,
             reconnect with exponential backoff and full jitter, renew when due

common options:
  --store DIR       credential directory (default ./device-creds)
  --client-id ID    MQTT client id (default TENANT:ID; a second session needs its own)
  -h, --help        this text

exit codes: 0 ok, 1 failure (the reason is printed), 2 usage
)";

struct Args {
  std::string command;
  std::map<std::string, std::string> opts;
  bool flag(const std::string& name) const { return opts.count(name) != 0; }
  std::string get(const std::string& name, std::string fallback = {}) const {
    auto it = opts.find(name);
    return it == opts.end() ? fallback : it->second;
  }
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "warden-device: %s\n(see warden-device --help)\n", message.c_str());
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "warden-device: %s\n", message.c_str());
  return 1;
}

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string when(std::int64_t t) {
  char buf[32];
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The device's identity from its stored certificate.
Result<identity::DeviceId, std::string> my_id(const CredentialStore& store) {
  auto cert = store.load_cert();
  if (!cert) return unexpected(cert.error() + " (run warden-device enroll first)");
  return identity::device_id_of(cert->get());
}

Result<std::unique_ptr<TlsClient>, std::string> relay_client(const CredentialStore& store) {
  auto key = store.load_key();
  if (!key) return unexpected(key.error());
  auto cert = store.load_cert();
  if (!cert) return unexpected(cert.error() + " (run warden-device enroll first)");
  auto ca = read_file(store.server_ca_path());
  if (!ca) return unexpected(ca.error());
  return TlsClient::create(*ca, key->get(), cert->get());
}

// A packet the broker sent, owned (mqtt::MqttFrame borrows from the receive buffer).
struct Packet {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::string body;
};

// An MQTT session over the pipe: CONNECT, wait for CONNACK, then publish, subscribe, read.
class Session {
 public:
  explicit Session(TlsConnection conn) : conn_(std::move(conn)) {}

  Result<bool, std::string> start(const std::string& client_id) {
    auto sent = conn_.write_all(mqtt::mqtt_connect(client_id, std::nullopt, std::nullopt, 60));
    if (!sent) return sent;
    auto p = wait_for(mqtt::kMqttConnack, seconds(10));
    if (!p) return unexpected(p.error());
    auto ack = mqtt::parse_mqtt_connack(p->body);
    if (!ack) return unexpected(std::string("malformed CONNACK"));
    if (ack->code != 0) {
      return unexpected("broker refused the session (CONNACK code " + std::to_string(ack->code) +
                        ")");
    }
    return true;
  }

  Result<bool, std::string> publish(const std::string& topic, const std::string& payload, int qos) {
    const std::uint16_t id = next_id();
    auto sent =
        conn_.write_all(mqtt::mqtt_publish(topic, payload, static_cast<std::uint8_t>(qos), id));
    if (!sent || qos == 0) return sent;
    auto ack = wait_for(mqtt::kMqttPuback, seconds(10));
    if (!ack) return unexpected(ack.error());
    return true;
  }

  Result<bool, std::string> subscribe(const std::string& filter) {
    auto sent = conn_.write_all(mqtt::mqtt_subscribe(next_id(), filter, 1));
    if (!sent) return sent;
    auto p = wait_for(mqtt::kMqttSuback, seconds(10));
    if (!p) return unexpected(p.error());
    auto ack = mqtt::parse_mqtt_suback(p->body);
    if (!ack || ack->codes.empty() || ack->codes[0] == 0x80) {
      return unexpected("broker refused the subscription to " + filter);
    }
    return true;
  }

  // The next packet, or nullopt when `timeout` passes quietly. PUBLISH with QoS 1 is
  // acknowledged here, or the broker would send it again.
  Result<std::optional<Packet>, std::string> read(milliseconds timeout) {
    for (;;) {
      auto f = mqtt::mqtt_frame(buf_);
      if (f) {
        Packet p{f->type, f->flags, std::string(f->body)};
        buf_.erase(0, f->size);
        if (p.type == mqtt::kMqttPublish) {
          auto m = mqtt::parse_mqtt_publish(p.flags, p.body);
          if (m && m->qos == 1) {
            auto sent = conn_.write_all(mqtt::mqtt_puback(m->packet_id));
            if (!sent) return unexpected(sent.error());
          }
        }
        return std::optional<Packet>(std::move(p));
      }
      if (f.error().reason != mqtt::kMqttIncomplete) {
        return unexpected("broker sent malformed MQTT: " + std::string(f.error().reason));
      }
      if (buf_.size() > kMaxBuffered) return unexpected(std::string("MQTT packet too large"));
      char chunk[16384];
      auto n = conn_.read(chunk, timeout);
      if (!n) {
        if (n.error().find("timed out") != std::string::npos) return std::optional<Packet>();
        return unexpected(n.error());
      }
      if (*n == 0) return unexpected(std::string("the relay closed the connection"));
      buf_.append(chunk, *n);
    }
  }

  Result<bool, std::string> ping() { return conn_.write_all(mqtt::mqtt_pingreq()); }
  void close() {
    (void)conn_.write_all(mqtt::mqtt_disconnect());
    conn_.close();
  }
  bool resumed() const { return conn_.resumed(); }

 private:
  static constexpr std::size_t kMaxBuffered = 1u << 20;

  Result<Packet, std::string> wait_for(std::uint8_t type, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto p = read(milliseconds(200));
      if (!p) return unexpected(p.error());
      if (*p && (*p)->type == type) return std::move(**p);
    }
    return unexpected("no reply from the broker (waited for packet type " + std::to_string(type) +
                      ")");
  }
  std::uint16_t next_id() {
    return packet_id_ = static_cast<std::uint16_t>(packet_id_ % 65535 + 1);
  }

  TlsConnection conn_;
  std::string buf_;
  std::uint16_t packet_id_ = 0;
};

// The MQTT client id: the device's own name by default, so a reconnect takes over the old
// session at the broker (the newest connection wins). A second, concurrent session of the same
// device needs its own (--client-id acme:cam-1/diag); the relay allows ids that are the device's
// name or start with it, never another device's.
Result<Session, std::string> open_session(TlsClient& client, const Endpoint& relay,
                                          const identity::DeviceId& id,
                                          const std::string& client_id = {}) {
  auto conn = client.connect(relay, seconds(10));
  if (!conn) return unexpected(conn.error());
  Session s(std::move(*conn));
  auto started = s.start(client_id.empty() ? id.str() : client_id);
  if (!started) return unexpected(started.error());
  return s;
}

int cmd_enroll(const Args& a, const CredentialStore& store) {
  for (const char* need : {"est", "server-ca", "device", "token"}) {
    if (!a.flag(need)) return usage_error(std::string("enroll needs --") + need);
  }
  auto est = parse_endpoint(a.get("est"));
  if (!est) return usage_error(est.error());
  auto id = identity::parse_device_id(a.get("device"));
  if (!id) return usage_error("bad --device \"" + a.get("device") + "\" (expected TENANT:ID)");
  auto type = identity::parse_key_type(a.get("key-type", "p256"));
  if (!type) return usage_error("bad --key-type (p256 or ed25519)");
  auto ca = read_file(a.get("server-ca"));
  if (!ca) return fail(ca.error());
  if (auto ok = store.init(); !ok) return fail(ok.error());
  if (auto ok = store.save_server_ca(*ca); !ok) return fail(ok.error());
  auto key = store.load_or_create_key(*type);
  if (!key) return fail(key.error());
  auto csr = identity::make_csr(key->get(), *id);
  if (!csr) return fail(csr.error());
  auto cert = simple_enroll(*est, *ca, a.get("token"), csr->get(), a.get("serial"));
  if (!cert) return fail("enrollment refused: " + cert.error());
  if (auto ok = store.save_cert(cert->get()); !ok) return fail(ok.error());
  std::printf("enrolled %s: certificate %s valid until %s, stored in %s\n", id->str().c_str(),
              identity::serial_hex(cert->get()).c_str(),
              when(identity::not_after(cert->get())).c_str(), store.dir().c_str());
  return 0;
}

// Re-enrolls with the current certificate when due (or forced). Returns true when renewed.
Result<bool, std::string> renew_if_due(const CredentialStore& store, const Endpoint& est,
                                       bool force) {
  auto cert = store.load_cert();
  if (!cert) return unexpected(cert.error());
  const auto state =
      cert_state(identity::not_before(cert->get()), identity::not_after(cert->get()), now_s());
  if (!force && state == CertState::kValid) return false;
  if (state == CertState::kExpired) {
    return unexpected(
        std::string("the certificate has expired; the device must enroll again "
                    "with a new token"));
  }
  auto key = store.load_key();
  if (!key) return unexpected(key.error());
  auto id = identity::device_id_of(cert->get());
  if (!id) return unexpected(id.error());
  auto csr = identity::make_csr(key->get(), *id);
  if (!csr) return unexpected(csr.error());
  auto ca = read_file(store.server_ca_path());
  if (!ca) return unexpected(ca.error());
  auto fresh = simple_reenroll(est, *ca, cert->get(), key->get(), csr->get());
  if (!fresh) return unexpected("renewal refused: " + fresh.error());
  auto saved = store.save_cert(fresh->get());
  if (!saved) return unexpected(saved.error());
  return true;
}

int cmd_renew(const Args& a, const CredentialStore& store) {
  auto est = parse_endpoint(a.get("est"));
  if (!est) return usage_error("renew needs --est HOST:PORT");
  auto renewed = renew_if_due(store, *est, a.flag("force"));
  if (!renewed) return fail(renewed.error());
  auto cert = store.load_cert();
  if (!cert) return fail(cert.error());
  std::printf("%s: certificate %s valid until %s\n", *renewed ? "renewed" : "not due yet",
              identity::serial_hex(cert->get()).c_str(),
              when(identity::not_after(cert->get())).c_str());
  return 0;
}

int cmd_status(const CredentialStore& store) {
  auto cert = store.load_cert();
  if (!cert) return fail(cert.error() + " (not enrolled)");
  auto id = identity::device_id_of(cert->get());
  const std::int64_t nb = identity::not_before(cert->get());
  const std::int64_t na = identity::not_after(cert->get());
  static constexpr const char* kStates[] = {"valid", "renewal due", "expired", "not yet valid"};
  std::printf("device:     %s\n", id ? id->str().c_str() : id.error().c_str());
  std::printf("serial:     %s\n", identity::serial_hex(cert->get()).c_str());
  std::printf("public key: sha256:%s\n", identity::spki_sha256_hex(cert->get()).c_str());
  std::printf("valid:      %s .. %s (%s)\n", when(nb).c_str(), when(na).c_str(),
              kStates[static_cast<int>(cert_state(nb, na, now_s()))]);
  std::printf("renew at:   %s\n", when(renew_at(nb, na)).c_str());
  return 0;
}

// What publish and subscribe share: --relay and --topic checked, the identity loaded, an MQTT
// session open through the relay. On failure the reason is printed and the exit code returned.
Result<Session, int> session_for(const Args& a, const CredentialStore& store,
                                 const std::string& verb) {
  auto relay = parse_endpoint(a.get("relay"));
  if (!relay) return unexpected(usage_error(verb + " needs --relay HOST:PORT"));
  if (!a.flag("topic")) return unexpected(usage_error(verb + " needs --topic"));
  auto id = my_id(store);
  if (!id) return unexpected(fail(id.error()));
  auto client = relay_client(store);
  if (!client) return unexpected(fail(client.error()));
  auto session = open_session(**client, *relay, *id, a.get("client-id"));
  if (!session) return unexpected(fail(session.error()));
  return std::move(*session);
}

int cmd_publish(const Args& a, const CredentialStore& store) {
  auto session = session_for(a, store, "publish");
  if (!session) return session.error();
  const int count = std::stoi(a.get("count", "1"));
  const int qos = std::stoi(a.get("qos", "1"));
  const double interval = std::stod(a.get("interval", "0"));
  for (int i = 0; i < count && !g_stop; ++i) {
    auto ok = session->publish(a.get("topic"), a.get("message"), qos);
    if (!ok) return fail("publish failed: " + ok.error());
    if (interval > 0 && i + 1 < count) {
      std::this_thread::sleep_for(milliseconds(static_cast<long>(interval * 1000)));
    }
  }
  session->close();
  return 0;
}

int cmd_subscribe(const Args& a, const CredentialStore& store) {
  auto session = session_for(a, store, "subscribe");
  if (!session) return session.error();
  if (auto ok = session->subscribe(a.get("topic")); !ok) return fail(ok.error());
  std::fprintf(stderr, "subscribed to %s\n", a.get("topic").c_str());
  const int count = std::stoi(a.get("count", "0"));
  const auto deadline =
      std::chrono::steady_clock::now() + seconds(std::stoi(a.get("timeout", "0")));
  const bool timed = a.flag("timeout");
  int got = 0;
  auto last_ping = std::chrono::steady_clock::now();
  while (!g_stop && (count == 0 || got < count)) {
    if (timed && std::chrono::steady_clock::now() >= deadline) return fail("timed out");
    auto p = session->read(milliseconds(500));
    if (!p) return fail(p.error());
    if (*p && (*p)->type == mqtt::kMqttPublish) {
      auto m = mqtt::parse_mqtt_publish((*p)->flags, (*p)->body);
      if (m) {
        std::printf("%.*s %.*s\n", static_cast<int>(m->topic.size()), m->topic.data(),
                    static_cast<int>(m->payload.size()), m->payload.data());
        std::fflush(stdout);
        ++got;
      }
    }
    if (std::chrono::steady_clock::now() - last_ping > seconds(30)) {
      if (auto ok = session->ping(); !ok) return fail(ok.error());
      last_ping = std::chrono::steady_clock::now();
    }
  }
  session->close();
  return 0;
}

int cmd_run(const Args& a, const CredentialStore& store) {
  auto relay = parse_endpoint(a.get("relay"));
  if (!relay) return usage_error("run needs --relay HOST:PORT");
  std::optional<Endpoint> est;
  if (a.flag("est")) {
    auto e = parse_endpoint(a.get("est"));
    if (!e) return usage_error(e.error());
    est = *e;
  }
  const int interval = std::stoi(a.get("interval", "10"));
  const int max_attempts = std::stoi(a.get("max-attempts", "0"));
  Backoff backoff(milliseconds(500), seconds(60), std::random_device{}());
  int failures = 0;
  while (!g_stop) {
    if (est) {
      auto renewed = renew_if_due(store, *est, false);
      if (!renewed) std::fprintf(stderr, "renewal: %s (will retry)\n", renewed.error().c_str());
      if (renewed && *renewed) std::fprintf(stderr, "renewed the certificate\n");
    }
    auto id = my_id(store);
    if (!id) return fail(id.error());
    // A fresh client after renewal picks up the new certificate.
    auto client = relay_client(store);
    if (!client) return fail(client.error());
    auto session = open_session(**client, *relay, *id);
    if (!session) {
      ++failures;
      if (max_attempts > 0 && failures >= max_attempts) return fail(session.error());
      const auto wait = backoff.next();
      std::fprintf(stderr, "connect: %s; retrying in %.1f s\n", session.error().c_str(),
                   static_cast<double>(wait.count()) / 1000);
      for (auto left = wait; left.count() > 0 && !g_stop; left -= milliseconds(100)) {
        std::this_thread::sleep_for(std::min(left, milliseconds(100)));
      }
      continue;
    }
    backoff.reset();
    failures = 0;
    std::fprintf(stderr, "connected to %s as %s%s\n", relay->str().c_str(), id->str().c_str(),
                 session->resumed() ? " (resumed)" : "");
    const std::string topic = "devices/" + id->device + "/telemetry";
    std::uint64_t seq = 0;
    std::string error;
    while (!g_stop) {
      const std::string payload =
          "{\"seq\":" + std::to_string(seq++) + ",\"ts\":" + std::to_string(now_s()) + "}";
      if (auto ok = session->publish(topic, payload, 1); !ok) {
        error = ok.error();
        break;
      }
      // Sleep by reading, so a cut connection is noticed at once.
      const auto until = std::chrono::steady_clock::now() + seconds(interval);
      while (!g_stop && std::chrono::steady_clock::now() < until) {
        auto p = session->read(milliseconds(500));
        if (!p) {
          error = p.error();
          break;
        }
      }
      if (!error.empty()) break;
    }
    if (g_stop) {
      session->close();
      break;
    }
    std::fprintf(stderr, "disconnected: %s\n", error.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg.rfind("--", 0) != 0) return usage_error("unexpected argument \"" + arg + "\"");
    arg = arg.substr(2);
    if (arg == "force") {
      a.opts[arg] = "1";
    } else if (i + 1 < argc) {
      a.opts[arg] = argv[++i];
    } else {
      return usage_error("--" + arg + " needs a value");
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const CredentialStore store(a.get("store", "device-creds"));
  try {
    if (a.command == "enroll") return cmd_enroll(a, store);
    if (a.command == "renew") return cmd_renew(a, store);
    if (a.command == "status") return cmd_status(store);
    if (a.command == "publish") return cmd_publish(a, store);
    if (a.command == "subscribe") return cmd_subscribe(a, store);
    if (a.command == "run") return cmd_run(a, store);
  } catch (const std::exception& e) {  // std::stoi on a bad number
    return usage_error(std::string("bad number: ") + e.what());
  }
  return usage_error("unknown command \"" + a.command + "\"");
}
