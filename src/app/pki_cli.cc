#include "app/pki_cli.h"

#include <getopt.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/exit_codes.h"
#include "core/file.h"
#include "core/json.h"
#include "identity/identity.h"
#include "pki/ca.h"
#include "pki/csr.h"
#include "pki/db.h"
#include "pki/est.h"
#include "pki/tokens.h"

namespace warden::app {
namespace {

constexpr const char* kHelp =
    "Usage: warden pki init --dir DIR [--tenant T] [--key-type p256|ed25519]\n"
    "       warden pki token --dir DIR --device TENANT:ID [--serial SN] [--ttl 24h]\n"
    "       warden pki serve --dir DIR --cert FILE --key FILE [--listen 127.0.0.1:8443]\n"
    "                        [--birth-ca FILE] [--deny-list FILE] [--days N]\n"
    "                        [--max-connections N]\n"
    "       warden pki server-cert --dir DIR --name HOST [--name HOST...] [--ip IP...]\n"
    "                        --out PREFIX [--key-type p256|ed25519]\n"
    "       warden pki device-cert --dir DIR --device TENANT:ID --out PREFIX [--days N]\n"
    "                        [--key-type p256|ed25519]\n"
    "       warden pki sign-csr --dir DIR --csr FILE [--days N] [--out FILE]\n"
    "       warden pki list --dir DIR [--json]\n\n"
    "init: creates the CA directory (0700): an offline root CA (10 years), an issuing CA for\n"
    "device certificates signed by the root (3 years, pathlen 0), a separate server CA for the\n"
    "relay's and the enrollment server's certificates (devices pin it), chain.pem and pki.db.\n"
    "Keys are written 0600. root.key is needed only to make a new issuing CA: move it offline.\n"
    "token: prints a single-use bootstrap token (32 random bytes, base64url) for one device,\n"
    "once; only its SHA-256 is stored. --serial binds it to a hardware serial the device must\n"
    "send as X-Warden-Serial. --ttl: 1s to 30d, as 90s, 30m, 24h or 7d (default 24h).\n"
    "serve: the EST-like enrollment server over TLS 1.3 (GET /.well-known/est/cacerts, POST\n"
    "simpleenroll with a token or a birth certificate, POST simplereenroll with the current\n"
    "device certificate). One JSON line per decision on stderr; counters when it stops\n"
    "(SIGINT/SIGTERM). --listen 127.0.0.1:0 picks a free port and says which. --deny-list: the\n"
    "relay's deny-list (warden relay revoke); a revoked key, device, tenant or CA gets 403\n"
    "'revoked (...)', and while the file cannot be read or parsed every enrollment gets 503.\n"
    "server-cert: a TLS server certificate from the server CA (serverAuth; DNS and IP SANs),\n"
    "written to PREFIX.crt and PREFIX.key (0600).\n"
    "device-cert: generates a key and CSR locally and issues a device certificate (tests,\n"
    "bench, devices provisioned in the factory): PREFIX.crt, PREFIX.key (0600).\n"
    "sign-csr: validates a PKCS#10 request (PEM or DER) and issues a device certificate for\n"
    "the one urn:warden URN in it; the certificate is printed (or written to --out).\n"
    "list: the issued-certificate log (serial, device, SPKI SHA-256, expiry, how).\n"
    "--days: device certificate lifetime, 30 to 90 (default 60).\n\n"
    "Exit status: 0 ok; 1 fatal error or refused request (a CSR that does not validate, a CA\n"
    "directory that exists already); 2 bad usage.\n";

enum Opt {
  kOptDir = 1000,
  kOptTenant,
  kOptKeyType,
  kOptDevice,
  kOptSerial,
  kOptTtl,
  kOptListen,
  kOptCert,
  kOptKey,
  kOptBirthCa,
  kOptDenyList,
  kOptDays,
  kOptMaxConn,
  kOptName,
  kOptIp,
  kOptOut,
  kOptCsr,
  kOptJson,
};

const option kLong[] = {
    {"dir", required_argument, nullptr, kOptDir},
    {"tenant", required_argument, nullptr, kOptTenant},
    {"key-type", required_argument, nullptr, kOptKeyType},
    {"device", required_argument, nullptr, kOptDevice},
    {"serial", required_argument, nullptr, kOptSerial},
    {"ttl", required_argument, nullptr, kOptTtl},
    {"listen", required_argument, nullptr, kOptListen},
    {"cert", required_argument, nullptr, kOptCert},
    {"key", required_argument, nullptr, kOptKey},
    {"birth-ca", required_argument, nullptr, kOptBirthCa},
    {"deny-list", required_argument, nullptr, kOptDenyList},
    {"days", required_argument, nullptr, kOptDays},
    {"max-connections", required_argument, nullptr, kOptMaxConn},
    {"name", required_argument, nullptr, kOptName},
    {"ip", required_argument, nullptr, kOptIp},
    {"out", required_argument, nullptr, kOptOut},
    {"csr", required_argument, nullptr, kOptCsr},
    {"json", no_argument, nullptr, kOptJson},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

// Every option of every subcommand, parsed once; each subcommand checks what it needs.
struct PkiOptions {
  std::string dir, tenant = "default", device, serial, listen = "127.0.0.1:8443", cert, key,
                   birth_ca, deny_list, out, csr;
  identity::KeyType key_type = identity::KeyType::kP256;
  std::int64_t ttl = pki::kDefaultTokenTtl;
  int days = pki::kDefaultDeviceDays;
  std::size_t max_connections = 16;
  std::vector<std::string> names, ips;
  bool json = false;
  bool has_serial = false;
};

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string utc(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int usage(const char* sub, const std::string& why) {
  std::fprintf(stderr, "warden pki %s: %s\nTry 'warden pki --help'.\n", sub, why.c_str());
  return kExitUsage;
}

int fatal(const char* sub, const std::string& why) {
  std::fprintf(stderr, "warden pki %s: %s\n", sub, why.c_str());
  return kExitFatal;
}

// Parses the options after the subcommand. Returns -1 to go on, or an exit status.
int parse_options(int argc, char** argv, const char* sub, PkiOptions& o) {
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1;) {
    const std::string_view arg = optarg ? optarg : "";
    switch (c) {
      case 'h':
        std::fputs(kHelp, stdout);
        return kExitOk;
      case kOptDir:
        o.dir = arg;
        break;
      case kOptTenant:
        o.tenant = arg;
        break;
      case kOptKeyType: {
        auto t = identity::parse_key_type(arg);
        if (!t)
          return usage(sub, "--key-type wants p256 or ed25519, not '" + std::string(arg) + "'");
        o.key_type = *t;
        break;
      }
      case kOptDevice:
        o.device = arg;
        break;
      case kOptSerial:
        o.serial = arg;
        o.has_serial = true;
        break;
      case kOptTtl: {
        auto t = pki::parse_duration(arg);
        if (!t || *t < 1 || *t > pki::kMaxTokenTtl) {
          return usage(sub, "--ttl wants 1s to 30d (e.g. 90s, 30m, 24h, 7d), not '" +
                                std::string(arg) + "'");
        }
        o.ttl = *t;
        break;
      }
      case kOptListen:
        o.listen = arg;
        break;
      case kOptCert:
        o.cert = arg;
        break;
      case kOptKey:
        o.key = arg;
        break;
      case kOptBirthCa:
        o.birth_ca = arg;
        break;
      case kOptDenyList:
        o.deny_list = arg;
        break;
      case kOptDays:
        if (!parse_int(arg, o.days)) return usage(sub, "--days wants a number");
        break;
      case kOptMaxConn:
        if (!parse_int(arg, o.max_connections) || o.max_connections < 1 ||
            o.max_connections > 1024) {
          return usage(sub, "--max-connections wants 1 to 1024");
        }
        break;
      case kOptName:
        o.names.emplace_back(arg);
        break;
      case kOptIp:
        o.ips.emplace_back(arg);
        break;
      case kOptOut:
        o.out = arg;
        break;
      case kOptCsr:
        o.csr = arg;
        break;
      case kOptJson:
        o.json = true;
        break;
      default:
        std::fprintf(stderr, "Try 'warden pki --help'.\n");
        return kExitUsage;
    }
  }
  if (optind < argc) return usage(sub, "unexpected argument '" + std::string(argv[optind]) + "'");
  if (o.dir.empty()) return usage(sub, "--dir DIR is required");
  return -1;
}

Result<std::unique_ptr<pki::PkiDb>, std::string> open_db(const std::string& dir) {
  return pki::PkiDb::open(pki::CaPaths(dir).db());
}

// Writes PREFIX.crt and PREFIX.key (0600).
int write_pair(const char* sub, const std::string& prefix, X509* cert, EVP_PKEY* key) {
  auto saved = identity::save_private_key(prefix + ".key", key);
  if (!saved) return fatal(sub, saved.error());
  auto written = write_file_durable(prefix + ".crt", identity::to_pem(cert), 0644);
  if (!written) return fatal(sub, written.error());
  return kExitOk;
}

int record(const char* sub, const std::string& dir, X509* cert, const std::string& device,
           const char* how) {
  auto db = open_db(dir);
  if (!db) return fatal(sub, db.error());
  auto r = (*db)->record_issued(pki::IssuedRecord{identity::serial_hex(cert), device,
                                                  identity::spki_sha256_hex(cert),
                                                  identity::not_after(cert), now_s(), how});
  if (!r) return fatal(sub, r.error());
  return kExitOk;
}

int pki_init(const PkiOptions& o) {
  auto done = pki::init_ca({o.dir, o.tenant, o.key_type});
  if (!done) return fatal("init", done.error());
  const pki::CaPaths p(o.dir);
  std::printf(
      "CA created in %s (%s keys, tenant %s):\n"
      "  root.crt        root CA, 10 years (trust anchor of device certificates)\n"
      "  root.key        ROOT KEY: move it to offline storage now and delete it here;\n"
      "                  issuing device and server certificates never needs it\n"
      "  issuing.crt/key issuing CA for device certificates, 3 years\n"
      "  server-ca.crt/key  server CA for relay and enrollment server certificates (devices\n"
      "                  pin server-ca.crt)\n"
      "  chain.pem       issuing.crt + root.crt (what the relay verifies devices with)\n"
      "  pki.db          bootstrap tokens and the issued-certificate log\n",
      o.dir.c_str(), std::string(identity::key_type_name(o.key_type)).c_str(), o.tenant.c_str());
  std::fprintf(stderr,
               "warden pki init: WARNING: %s is an online copy of the root key; move it "
               "offline (e.g. to an encrypted USB stick in a safe)\n",
               p.root_key().c_str());
  return kExitOk;
}

int pki_token(const PkiOptions& o) {
  auto id = identity::parse_device_id(o.device);
  if (!id) return usage("token", "--device wants TENANT:ID, not '" + o.device + "'");
  auto db = open_db(o.dir);
  if (!db) return fatal("token", db.error());
  std::optional<std::string> serial;
  if (o.has_serial) serial = o.serial;
  auto t = pki::create_token(**db, *id, serial, o.ttl, now_s());
  if (!t) return fatal("token", t.error());
  std::printf("%s\n", t->token.c_str());
  std::fprintf(stderr,
               "warden pki token: single-use token for %s%s%s, valid until %s; it is shown only "
               "this once\n",
               id->str().c_str(), serial ? ", hardware serial " : "", serial ? serial->c_str() : "",
               utc(t->expires_at).c_str());
  return kExitOk;
}

int pki_server_cert(const PkiOptions& o) {
  if (o.names.empty() && o.ips.empty()) return usage("server-cert", "--name HOST is required");
  if (o.out.empty()) return usage("server-cert", "--out PREFIX is required");
  auto ca = pki::Ca::open(o.dir);
  if (!ca) return fatal("server-cert", ca.error());
  auto key = identity::generate_key(o.key_type);
  if (!key) return fatal("server-cert", key.error());
  auto cert = ca->issue_server(key->get(), o.names, o.ips);
  if (!cert) return fatal("server-cert", cert.error());
  if (int rc = write_pair("server-cert", o.out, cert->get(), key->get()); rc != kExitOk) return rc;
  const std::string label = "server:" + (o.names.empty() ? o.ips.front() : o.names.front());
  if (int rc = record("server-cert", o.dir, cert->get(), label, "cli"); rc != kExitOk) return rc;
  std::printf("server certificate %s for %s: %s.crt, %s.key (valid until %s)\n",
              identity::serial_hex(cert->get()).c_str(), label.c_str() + 7, o.out.c_str(),
              o.out.c_str(), utc(identity::not_after(cert->get())).c_str());
  return kExitOk;
}

int pki_device_cert(const PkiOptions& o) {
  auto id = identity::parse_device_id(o.device);
  if (!id) return usage("device-cert", "--device wants TENANT:ID, not '" + o.device + "'");
  if (o.out.empty()) return usage("device-cert", "--out PREFIX is required");
  if (!pki::valid_device_days(o.days)) return usage("device-cert", "--days wants 30 to 90");
  auto ca = pki::Ca::open(o.dir);
  if (!ca) return fatal("device-cert", ca.error());
  auto key = identity::generate_key(o.key_type);
  if (!key) return fatal("device-cert", key.error());
  // Through a CSR, as a device would: the same validation as the enrollment server.
  auto csr = identity::make_csr(key->get(), *id);
  if (!csr) return fatal("device-cert", csr.error());
  auto valid = pki::parse_csr(identity::to_pem(csr->get()));
  if (!valid) return fatal("device-cert", valid.error());
  auto cert = ca->issue_device(valid->id, valid->key.get(), o.days);
  if (!cert) return fatal("device-cert", cert.error());
  if (int rc = write_pair("device-cert", o.out, cert->get(), key->get()); rc != kExitOk) return rc;
  if (int rc = record("device-cert", o.dir, cert->get(), id->urn(), "cli"); rc != kExitOk)
    return rc;
  std::printf("device certificate %s for %s: %s.crt, %s.key (valid until %s)\n",
              identity::serial_hex(cert->get()).c_str(), id->str().c_str(), o.out.c_str(),
              o.out.c_str(), utc(identity::not_after(cert->get())).c_str());
  return kExitOk;
}

int pki_sign_csr(const PkiOptions& o) {
  if (o.csr.empty()) return usage("sign-csr", "--csr FILE is required");
  if (!pki::valid_device_days(o.days)) return usage("sign-csr", "--days wants 30 to 90");
  auto bytes = read_file(o.csr, pki::kMaxCsrBytes);
  if (!bytes) return fatal("sign-csr", bytes.error());
  auto valid = pki::parse_csr(std::string_view(*bytes));
  if (!valid) return fatal("sign-csr", o.csr + ": refused: " + valid.error());
  auto ca = pki::Ca::open(o.dir);
  if (!ca) return fatal("sign-csr", ca.error());
  auto cert = ca->issue_device(valid->id, valid->key.get(), o.days);
  if (!cert) return fatal("sign-csr", cert.error());
  if (int rc = record("sign-csr", o.dir, cert->get(), valid->id.urn(), "cli"); rc != kExitOk)
    return rc;
  const std::string pem = identity::to_pem(cert->get());
  if (o.out.empty()) {
    std::fputs(pem.c_str(), stdout);
  } else {
    auto w = write_file_durable(o.out, pem, 0644);
    if (!w) return fatal("sign-csr", w.error());
  }
  std::fprintf(stderr, "warden pki sign-csr: issued %s for %s, valid until %s\n",
               identity::serial_hex(cert->get()).c_str(), valid->id.str().c_str(),
               utc(identity::not_after(cert->get())).c_str());
  return kExitOk;
}

int pki_list(const PkiOptions& o) {
  auto db = open_db(o.dir);
  if (!db) return fatal("list", db.error());
  auto rows = (*db)->list_issued();
  if (!rows) return fatal("list", rows.error());
  for (const auto& r : *rows) {
    if (o.json) {
      std::string line;
      JsonWriter(line)
          .begin_object()
          .field("serial", r.serial)
          .field("device", r.device)
          .field("spki_sha256", r.spki_sha256)
          .field("not_after", r.not_after)
          .field("issued_at", r.issued_at)
          .field("how", r.how)
          .end_object();
      std::printf("%s\n", line.c_str());
    } else {
      std::printf("%-32s %-40s %s  until %s  %s\n", r.serial.c_str(), r.device.c_str(),
                  r.spki_sha256.substr(0, 16).c_str(), utc(r.not_after).c_str(), r.how.c_str());
    }
  }
  if (!o.json) std::fprintf(stderr, "%zu certificates issued\n", rows->size());
  return kExitOk;
}

std::atomic<pki::EstServer*> g_server{nullptr};

void on_stop(int) {
  if (pki::EstServer* s = g_server.load()) s->stop();
}

int pki_serve(const PkiOptions& o) {
  if (o.cert.empty() || o.key.empty())
    return usage("serve", "--cert FILE and --key FILE are required");
  if (!pki::valid_device_days(o.days)) return usage("serve", "--days wants 30 to 90");
  pki::EstConfig config;
  config.dir = o.dir;
  const auto colon = o.listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return usage("serve", "--listen wants ADDRESS:PORT, not '" + o.listen + "'");
  }
  config.listen_host = o.listen.substr(0, colon);
  if (config.listen_host.size() > 2 && config.listen_host.front() == '[' &&
      config.listen_host.back() == ']') {
    config.listen_host = config.listen_host.substr(1, config.listen_host.size() - 2);
  }
  if (!parse_int(std::string_view(o.listen).substr(colon + 1), config.port)) {
    return usage("serve", "--listen wants ADDRESS:PORT, not '" + o.listen + "'");
  }
  config.cert_file = o.cert;
  config.key_file = o.key;
  config.birth_ca_file = o.birth_ca;
  config.deny_list_file = o.deny_list;
  config.device_days = o.days;
  config.max_connections = o.max_connections;
  auto server = pki::EstServer::open(config);
  if (!server) return fatal("serve", server.error());
  g_server.store(server->get());
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr, "warden pki serve: listening on %s:%u (TLS 1.3), CA %s%s%s%s%s\n",
               config.listen_host.c_str(), static_cast<unsigned>((*server)->port()), o.dir.c_str(),
               o.birth_ca.empty() ? "" : ", birth CA ", o.birth_ca.c_str(),
               o.deny_list.empty() ? "" : ", deny-list ", o.deny_list.c_str());
  std::fflush(stderr);
  (*server)->run();
  g_server.store(nullptr);
  std::fprintf(stderr, "warden pki serve: stopped; counters %s\n",
               (*server)->counters_json().c_str());
  return kExitOk;
}

struct Sub {
  const char* name;
  int (*run)(const PkiOptions&);
};

constexpr Sub kSubs[] = {
    {"init", pki_init},
    {"token", pki_token},
    {"serve", pki_serve},
    {"server-cert", pki_server_cert},
    {"device-cert", pki_device_cert},
    {"sign-csr", pki_sign_csr},
    {"list", pki_list},
};

}  // namespace

int cmd_pki(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  for (const auto& s : kSubs) {
    if (std::strcmp(argv[1], s.name) != 0) continue;
    PkiOptions o;
    if (int rc = parse_options(argc - 1, argv + 1, s.name, o); rc >= 0) return rc;
    return s.run(o);
  }
  std::fprintf(stderr, "warden pki: unknown subcommand '%s'\nTry 'warden pki --help'.\n", argv[1]);
  return kExitUsage;
}

}  // namespace warden::app
