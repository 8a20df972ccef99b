#include "relay/config.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <set>
#include <utility>

#include "identity/identity.h"
#include "relay/match.h"

namespace warden::relay {
namespace {

constexpr std::string_view kSpace = " \t\r";

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

// Drops a comment: a line starting with '#' or ';', or " ;" / "\t;" anywhere ('#' inside a line
// is data: MQTT filters use it).
std::string_view strip_comment(std::string_view line) {
  auto t = trim(line);
  if (t.empty() || t[0] == '#' || t[0] == ';') return {};
  for (std::size_t i = 1; i < t.size(); ++i) {
    if (t[i] == ';' && (t[i - 1] == ' ' || t[i - 1] == '\t')) return trim(t.substr(0, i));
  }
  return t;
}

bool parse_u32(std::string_view s, std::uint32_t lo, std::uint32_t hi, std::uint32_t& out) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool valid_glob(std::string_view g) {
  if (g.empty() || g.size() > identity::kMaxNameLength) return false;
  for (char c : g) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '*' || c == '?';
    if (!ok) return false;
  }
  return true;
}

Unexpected<ConfigError> fail(std::size_t line, std::string message) {
  return unexpected(ConfigError{line, std::move(message)});
}

std::string join_path(std::string_view base, std::string_view path) {
  if (base.empty() || path.empty() || path[0] == '/' || path == "-") return std::string(path);
  std::string out(base);
  if (out.back() != '/') out += '/';
  out += path;
  return out;
}

struct PendingRule {
  AllowRule rule;
  std::string upstream_name;
};

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint ep;
  ep.text = std::string(text);
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    std::uint32_t p = 0;
    if (!parse_u32(port, 1, 65535, p)) return std::nullopt;
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<std::uint16_t>(p));
    std::string h(host);
    if (inet_pton(AF_INET6, h.c_str(), &sa.sin6_addr) != 1) return std::nullopt;
    std::memcpy(&ep.addr, &sa, sizeof sa);
    ep.len = sizeof sa;
    return ep;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  std::uint32_t p = 0;
  if (!parse_u32(port, 1, 65535, p)) return std::nullopt;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(p));
  if (host == "*" || host.empty()) {
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (host == "localhost") {
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), &sa.sin_addr) != 1) return std::nullopt;
  }
  std::memcpy(&ep.addr, &sa, sizeof sa);
  ep.len = sizeof sa;
  return ep;
}

std::string endpoint_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

std::string ConfigError::str() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

Result<RelayConfig, ConfigError> parse_config(std::string_view text, std::string_view base_dir) {
  RelayConfig cfg;
  enum class Section { kNone, kRelay, kUpstream, kAllow } section = Section::kNone;
  std::set<std::string> seen_keys;  // per section, "section/key"
  std::set<std::string> seen_rules;
  std::vector<PendingRule> pending;
  std::size_t upstream_index = 0;
  bool have_listen = false;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    auto line = strip_comment(raw);
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') return fail(line_no, "section header without ']'");
      auto name = trim(line.substr(1, line.size() - 2));
      if (name == "relay") {
        section = Section::kRelay;
      } else if (name == "allow") {
        section = Section::kAllow;
      } else if (name.substr(0, 8) == "upstream") {
        auto uname = trim(name.substr(8));
        if (name.size() == 8 || (name[8] != ' ' && name[8] != '\t') || uname.empty() ||
            !identity::valid_name(uname))
          return fail(line_no, "upstream section wants a name: [upstream NAME]");
        for (const auto& u : cfg.upstreams)
          if (u.name == uname) return fail(line_no, "upstream '" + std::string(uname) + "' twice");
        Upstream u;
        u.name = std::string(uname);
        cfg.upstreams.push_back(std::move(u));
        upstream_index = cfg.upstreams.size() - 1;
        section = Section::kUpstream;
      } else {
        return fail(line_no, "unknown section [" + std::string(name) +
                                 "] (expected [relay], [upstream NAME] or [allow])");
      }
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail(line_no, "expected 'key = value'");
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key.empty()) return fail(line_no, "empty key");
    if (value.empty()) return fail(line_no, "'" + std::string(key) + "' has no value");
    const std::string skey = std::string(key);

    if (section == Section::kNone) return fail(line_no, "'" + skey + "' outside a section");

    if (section == Section::kAllow) {
      auto colon = key.find(':');
      if (colon == std::string_view::npos)
        return fail(line_no, "allow rule wants <tenant>:<device-glob>, not '" + skey + "'");
      PendingRule pr;
      pr.rule.line = line_no;
      pr.rule.tenant = std::string(key.substr(0, colon));
      pr.rule.device_glob = std::string(key.substr(colon + 1));
      if (!identity::valid_name(pr.rule.tenant))
        return fail(line_no, "bad tenant '" + pr.rule.tenant + "'");
      if (!valid_glob(pr.rule.device_glob))
        return fail(line_no, "bad device glob '" + pr.rule.device_glob +
                                 "' (letters, digits, . _ - and the globs * ?)");
      if (!seen_rules.insert(skey).second) return fail(line_no, "rule '" + skey + "' twice");
      // value: <upstream> [topics=a,b,...]
      auto sp = value.find_first_of(kSpace);
      pr.upstream_name = std::string(value.substr(0, sp));
      auto rest = sp == std::string_view::npos ? std::string_view{} : trim(value.substr(sp));
      while (!rest.empty()) {
        auto end = rest.find_first_of(kSpace);
        auto opt = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
        if (opt.substr(0, 7) != "topics=" || opt.size() == 7)
          return fail(line_no, "unknown rule option '" + std::string(opt) +
                                   "' (expected topics=FILTER,...)");
        auto list = opt.substr(7);
        std::size_t p = 0;
        while (p <= list.size()) {
          auto comma = list.find(',', p);
          if (comma == std::string_view::npos) comma = list.size();
          auto f = list.substr(p, comma - p);
          p = comma + 1;
          // Validate with a sample identity: placeholders expand to one level's worth of name.
          if (f.empty() || !valid_topic_filter(expand_topic(f, "t", "d")))
            return fail(line_no, "bad topic filter '" + std::string(f) +
                                     "' ('+' and '#' must be whole levels, '#' only last)");
          pr.rule.topics.emplace_back(f);
        }
      }
      pending.push_back(std::move(pr));
      continue;
    }

    const std::string scoped =
        (section == Section::kRelay ? "relay/" : cfg.upstreams[upstream_index].name + "/") + skey;
    if (!seen_keys.insert(scoped).second) return fail(line_no, "'" + skey + "' set twice");

    if (section == Section::kUpstream) {
      auto& u = cfg.upstreams[upstream_index];
      if (key == "connect") {
        auto ep = parse_endpoint(value);
        if (!ep) return fail(line_no, "connect wants ADDRESS:PORT (numeric, or localhost)");
        u.connect = std::move(*ep);
      } else if (key == "protocol") {
        if (value == "mqtt")
          u.protocol = Protocol::kMqtt;
        else if (value == "raw")
          u.protocol = Protocol::kRaw;
        else
          return fail(line_no, "protocol is 'mqtt' or 'raw', not '" + std::string(value) + "'");
      } else if (key == "client-id") {
        if (value == "own")
          u.client_ids = ClientIdRule::kOwn;
        else if (value == "identity")
          u.client_ids = ClientIdRule::kIdentity;
        else if (value == "any")
          u.client_ids = ClientIdRule::kAny;
        else
          return fail(line_no,
                      "client-id is 'own', 'identity' or 'any', not '" + std::string(value) + "'");
      } else if (key == "max-packet") {
        if (!parse_u32(value, 64, 268435455, u.max_packet))
          return fail(line_no, "max-packet wants bytes from 64 to 268435455");
      } else {
        return fail(line_no, "unknown upstream key '" + skey +
                                 "' (connect, protocol, max-packet, client-id)");
      }
      continue;
    }

    // [relay]
    if (key == "listen") {
      auto ep = parse_endpoint(value);
      if (!ep) return fail(line_no, "listen wants ADDRESS:PORT, e.g. 0.0.0.0:8883 or [::]:8883");
      cfg.listen = std::move(*ep);
      have_listen = true;
    } else if (key == "cert") {
      cfg.cert = join_path(base_dir, value);
    } else if (key == "key") {
      cfg.key = join_path(base_dir, value);
    } else if (key == "client-ca") {
      cfg.client_ca = join_path(base_dir, value);
    } else if (key == "deny-list") {
      cfg.deny_list = join_path(base_dir, value);
    } else if (key == "log") {
      cfg.log = join_path(base_dir, value);
    } else if (key == "stats") {
      cfg.stats = join_path(base_dir, value);
    } else if (key == "idle-timeout") {
      if (!parse_u32(value, 1, 7 * 86400, cfg.idle_timeout_s))
        return fail(line_no, "idle-timeout wants seconds from 1 to 604800");
    } else if (key == "handshake-timeout") {
      if (!parse_u32(value, 1, 300, cfg.handshake_timeout_s))
        return fail(line_no, "handshake-timeout wants seconds from 1 to 300");
    } else if (key == "max-per-identity") {
      if (!parse_u32(value, 1, 1000000, cfg.max_per_identity))
        return fail(line_no, "max-per-identity wants a number from 1 to 1000000");
    } else if (key == "max-connections") {
      if (!parse_u32(value, 1, 10000000, cfg.max_connections))
        return fail(line_no, "max-connections wants a number from 1 to 10000000");
    } else if (key == "workers") {
      if (value == "auto")
        cfg.workers = 0;
      else if (!parse_u32(value, 1, 64, cfg.workers))
        return fail(line_no, "workers wants a number from 1 to 64, or auto");
    } else {
      return fail(line_no, "unknown key '" + skey +
                               "' in [relay] (listen, cert, key, client-ca, deny-list, "
                               "idle-timeout, handshake-timeout, max-per-identity, "
                               "max-connections, workers, log, stats)");
    }
  }

  if (!have_listen) return fail(0, "[relay] has no 'listen'");
  if (cfg.cert.empty()) return fail(0, "[relay] has no 'cert'");
  if (cfg.key.empty()) return fail(0, "[relay] has no 'key'");
  if (cfg.client_ca.empty()) return fail(0, "[relay] has no 'client-ca'");
  for (const auto& u : cfg.upstreams)
    if (u.connect.len == 0) return fail(0, "[upstream " + u.name + "] has no 'connect'");
  for (auto& pr : pending) {
    std::size_t idx = cfg.upstreams.size();
    for (std::size_t i = 0; i < cfg.upstreams.size(); ++i)
      if (cfg.upstreams[i].name == pr.upstream_name) idx = i;
    if (idx == cfg.upstreams.size())
      return fail(pr.rule.line, "no [upstream " + pr.upstream_name + "]");
    pr.rule.upstream = idx;
    const bool mqtt = cfg.upstreams[idx].protocol == Protocol::kMqtt;
    if (mqtt && pr.rule.topics.empty())
      return fail(pr.rule.line, "an mqtt rule needs topics=FILTER,... (topics=# allows all)");
    if (!mqtt && !pr.rule.topics.empty())
      return fail(pr.rule.line, "topics= applies to mqtt upstreams only");
    cfg.rules.push_back(std::move(pr.rule));
  }
  return cfg;
}

std::optional<Grant> find_grant(const RelayConfig& config, std::string_view tenant,
                                std::string_view device) {
  const AllowRule* best = nullptr;
  for (const auto& r : config.rules) {
    if (r.tenant != tenant) continue;
    if (r.device_glob == device) {
      best = &r;
      break;
    }
    if (!best && glob_match(r.device_glob, device)) best = &r;
  }
  if (!best) return std::nullopt;
  Grant g;
  g.upstream = best->upstream;
  g.rule_line = best->line;
  for (const auto& t : best->topics) g.topics.push_back(expand_topic(t, tenant, device));
  return g;
}

}  // namespace warden::relay
