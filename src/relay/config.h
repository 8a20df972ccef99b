// The relay's configuration: one validated struct, parsed from stunnel-like INI text. The parser
// is pure (no file or network I/O; relative paths are joined to a base directory as text), so
// the CLI, the reload path and the fuzzer share it.
//
//   [relay]            listen, cert, key, client-ca, deny-list, idle-timeout, handshake-timeout,
//                      max-per-identity, max-connections, workers, log, stats
//   [upstream NAME]    connect, protocol (mqtt|raw), max-packet
//   [allow]            <tenant>:<device-glob> = <upstream> [topics=F1,F2,...]
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "relay/mqtt_guard.h"

namespace warden::relay {

// A numeric socket address: "127.0.0.1:8883", "[::1]:8883", "*:8883" (all IPv4 addresses),
// "localhost:1883" (127.0.0.1). No name resolution: a relay must not depend on DNS to start.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;
};
std::optional<Endpoint> parse_endpoint(std::string_view text);
// "127.0.0.1:5555" / "[::1]:5555" for a socket address.
std::string endpoint_text(const sockaddr* sa);

enum class Protocol : std::uint8_t { kRaw, kMqtt };

struct Upstream {
  std::string name;
  Endpoint connect;
  Protocol protocol = Protocol::kRaw;
  std::uint32_t max_packet = 1u << 20;  // MQTT: largest packet a device may send
  ClientIdRule client_ids = ClientIdRule::kOwn;
};

// One [allow] line. Topic templates may use {tenant}, {device} and {id} (tenant:device).
struct AllowRule {
  std::string tenant;        // literal
  std::string device_glob;   // '*' and '?' globs
  std::size_t upstream = 0;  // index into RelayConfig::upstreams
  std::vector<std::string> topics;
  std::size_t line = 0;
};

struct RelayConfig {
  Endpoint listen;
  std::string cert;
  std::string key;
  std::string client_ca;
  std::string deny_list;  // empty: none
  std::uint32_t idle_timeout_s = 300;
  std::uint32_t handshake_timeout_s = 10;
  std::uint32_t max_per_identity = 4;
  std::uint32_t max_connections = 20000;
  std::uint32_t workers = 1;  // threads, each with its own loop; 0: "auto", one per online CPU
  std::string log = "-";      // "-": standard error
  std::string stats;          // counters written here on SIGUSR1 and exit; empty: none
  std::vector<Upstream> upstreams;
  std::vector<AllowRule> rules;
};

struct ConfigError {
  std::size_t line = 0;  // 0: the file as a whole
  std::string message;
  std::string str() const;  // "line N: message"
};

// Parses the text. `base_dir` (may be empty) is prepended to relative file paths.
Result<RelayConfig, ConfigError> parse_config(std::string_view text,
                                              std::string_view base_dir = {});

// What the policy grants an authenticated device: its upstream and (MQTT) the topic filters it
// may publish and subscribe to, with {tenant}/{device}/{id} already substituted.
struct Grant {
  std::size_t upstream = 0;
  std::vector<std::string> topics;
  std::size_t rule_line = 0;
};

// Deny by default: nullopt when no rule names the device. An exact device name wins over a glob;
// among globs the first in the file wins.
std::optional<Grant> find_grant(const RelayConfig& config, std::string_view tenant,
                                std::string_view device);

}  // namespace warden::relay
