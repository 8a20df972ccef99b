// The typed results of an assessment: what the scanner found on one host (services, findings,
// credential-guessing figures, key fingerprints) and the options that bound what it may do.
// Each host is assessed by one thread from start to end, so a HostReport needs no locking.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/net.h"
#include "scan/finding.h"

namespace warden::scan {

enum class Transport : std::uint8_t { tcp, udp };
const char* transport_name(Transport t);

// One open port and what answers on it.
struct Service {
  std::uint16_t port = 0;
  Transport transport = Transport::tcp;
  std::string name;     // "telnet", "ssh", "http", "https", "mqtt", "rtsp", "ftp", "upnp", "ssdp",
                        // "dns", "snmp", "mdns", "tls", "adb", "cwmp", ... or "unknown"
  std::string product;  // "OpenSSH", "lighttpd", "mosquitto", "BusyBox telnetd", ...
  std::string version;
  std::string banner;          // the first bytes it sent (printable, at most 256 characters)
  bool tls = false;            // speaks TLS on this port
  bool auth_required = false;  // a login/credential is needed (set by the checks that learn it)
};

// What guessing passwords on one service showed (ETSI EN 303 645 provision 5.1-5: brute force
// must be made impracticable). Latencies are measured per guess, connect to verdict.
struct GuessStats {
  std::string service;  // "telnet", "ssh", "http-basic", "http-digest", "http-form", "mqtt", ...
  std::uint16_t port = 0;
  unsigned attempts = 0;
  double first_guess_ms = 0;
  double median_guess_ms = 0;
  double last_guess_ms = 0;
  bool lockout = false;  // the service began refusing connections or said so
  bool slowed = false;   // later guesses took clearly longer (a growing delay)
  std::string stopped;   // "valid credential", "list exhausted", "lockout", "limit", "error: ..."
  std::optional<std::string> valid_user, valid_pass;
  std::string proof;  // what showed the login worked ("uid=0(root)", "HTTP 200 /", "CONNACK 0")
  std::string credential_source;  // provenance of the valid pair ("mirai", "vendor: ...")
};

// A public key or certificate seen on a host, compared across hosts afterwards: devices that
// share one private key (ETSI 5.4-3) can impersonate each other and fall together.
struct KeyFingerprint {
  std::string kind;  // "tls-cert", "tls-key", "ssh-hostkey"
  std::uint16_t port = 0;
  std::string sha256;       // hex of the DER public key / host key blob
  std::string description;  // "RSA 1024", "ssh-ed25519"
};

struct HostReport {
  IpAddr addr;
  std::optional<MacAddr> mac;  // from the neighbour table once we have talked to the host
  std::string vendor;          // from the MAC's OUI, when known
  std::string device_id;       // the inventory's id for this device, when one matches
  bool up = false;
  std::vector<Service> services;
  std::vector<Finding> findings;
  std::vector<GuessStats> guesses;
  std::vector<KeyFingerprint> keys;
  // Everything the scanner changed on the device and how it was undone ("added probe UPnP
  // mapping TCP 47999 -> 192.168.77.50:47999; deleted at once").
  std::vector<std::string> changes;
  int score = 100;
  double elapsed_s = 0;

  Service* service(std::uint16_t port, Transport t = Transport::tcp);
  const Service* service(std::uint16_t port, Transport t = Transport::tcp) const;
  // Adds a finding of catalogue kind `id`; severity defaults to the catalogue's.
  Finding& add(std::string_view id, std::string evidence, std::uint16_t port = 0,
               Transport t = Transport::tcp);
  bool has(std::string_view id) const;
};

struct Credential {
  std::string user, pass;
  std::string source;   // provenance: "mirai" or "vendor:<maker> (<where it is documented>)"
  int mirai_rank = -1;  // position in the Mirai table (its order is how often a pair worked)
};

struct ScanOptions {
  std::chrono::milliseconds connect_timeout{1500};
  std::chrono::milliseconds io_timeout{5000};
  std::vector<std::uint16_t> tcp_ports;  // empty: the default IoT list
  std::vector<std::uint16_t> udp_ports;  // empty: the default IoT list
  // Credential guessing happens only when the user asks for it (--guess-credentials).
  bool guess_credentials = false;
  std::vector<Credential> credentials;            // in the order to try
  std::chrono::milliseconds guess_interval{100};  // at least this long between two guesses
  unsigned max_guesses_per_service = 0;           // 0: the whole list
  // UPnP secure-mode probe: ask the IGD to map a port to another LAN host, then delete it.
  bool upnp_probe_mapping = true;
  // The scanner stands on the WAN side of the targets (e.g. a router's outside address):
  // anything answering there (UPnP, DNS) is exposed to the internet.
  bool wan_view = false;
  unsigned parallel_hosts = 32;
};

}  // namespace warden::scan
