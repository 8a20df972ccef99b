#include "enforce/enforcer.h"

#include <algorithm>
#include <chrono>

#include "core/json_reader.h"

namespace warden::enforce {
namespace {

Timestamp wall_ns() {
  return static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
}

bool same_device(const QuarantineEntry& a, const QuarantineEntry& b) {
  if (a.device == b.device) return true;
  if (a.mac && b.mac && *a.mac == *b.mac) return true;
  for (const auto& x : a.addrs)
    if (std::find(b.addrs.begin(), b.addrs.end(), x) != b.addrs.end()) return true;
  return false;
}

std::uint64_t num(const JsonValue* v) {
  if (!v) return 0;
  auto n = v->as_integer();
  return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
}

}  // namespace

Result<bool, std::string> Enforcer::apply(const std::string& script, std::int64_t& us) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = nft_.apply(script);
  us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
           .count();
  ++stats_.applies;
  if (!r) ++stats_.apply_errors;
  return r;
}

Result<Applied, std::string> Enforcer::start(GatewayState state, Timestamp now) {
  state_ = std::move(state);
  if (store_) {
    auto stored = store_->load();
    if (!stored) return unexpected(stored.error());
    generation_ = stored->generation;
    profiles_ = stored->profiles;
    for (auto& q : stored->quarantine) {
      // A stored quarantine wins over nothing; the configuration may have given the device
      // new addresses since: take them, so the device stays cut off where it is now.
      if (auto fresh = resolve(q.device)) {
        if (fresh->mac) q.mac = fresh->mac;
        if (!fresh->addrs.empty()) q.addrs = fresh->addrs;
      }
      state_.quarantine.push_back(std::move(q));
    }
    for (auto& [name, addrs] : stored->resolved)
      for (auto& [ip, expiry] : addrs)
        if (expiry > now) state_.resolved[name][ip] = expiry;
    (void)store_->prune(now);
  }
  auto a = rebuild(now);
  // Connections a quarantined device opened while no warden ran (the rules were in force,
  // but a reboot may have started from an empty table) are judged again.
  if (a)
    for (const auto& q : state_.quarantine) forget_connections(q.addrs);
  return a;
}

void Enforcer::forget_connections(const std::vector<IpAddr>& addrs) {
  if (!conntrack_ || addrs.empty()) return;
  auto n = conntrack_->forget(addrs);
  if (n)
    stats_.connections_forgotten += *n;
  else
    ++stats_.conntrack_errors;
}

Result<Applied, std::string> Enforcer::set_devices(std::vector<DeviceEntry> devices,
                                                   Timestamp now) {
  state_.devices = std::move(devices);
  return rebuild(now);
}

Result<Applied, std::string> Enforcer::rebuild(Timestamp now) {
  names_ = needed_names(state_);
  const std::uint64_t next = generation_ + 1;
  Rendered r = render_table(state_, next, now);
  // Counters of a table this run wrote are carried over the replacement (a previous run's
  // are not: totals count from this start).
  if (applied_once_) carry_counters();
  Applied a;
  auto ok = apply(r.script, a.apply_us);
  if (!ok) return unexpected("could not apply the ruleset: " + ok.error());
  generation_ = next;
  applied_once_ = true;
  if (store_) {
    auto saved = store_->set_generation(generation_);
    if (!saved) return unexpected(saved.error());
  }
  stats_.last_rebuild_us = a.apply_us;
  pending_.clear();  // the table just written holds everything queued
  pending_store_.clear();
  a.generation = generation_;
  a.rules = r.rules;
  a.warnings = std::move(r.warnings);
  for (const auto& d : state_.devices) a.enforced_devices += d.policy ? 1 : 0;
  return a;
}

Result<bool, std::string> Enforcer::set_profile_state(const std::string& device,
                                                      const std::string& state) {
  if (store_) {
    auto ok = store_->set_profile_state(device, state);
    if (!ok) return ok;
  }
  profiles_[device] = state;
  return true;
}

std::optional<QuarantineEntry> Enforcer::resolve(std::string_view ref) const {
  auto mac = MacAddr::parse(ref);
  auto ip = IpAddr::parse(ref);
  for (const auto& d : state_.devices) {
    const bool hit = d.name == ref || (mac && d.mac && *d.mac == *mac) ||
                     (ip && std::find(d.addrs.begin(), d.addrs.end(), *ip) != d.addrs.end());
    if (hit) return QuarantineEntry{d.name, d.mac, d.addrs, {}, {}, 0};
  }
  for (const auto& q : state_.quarantine)
    if (q.device == ref) return q;
  if (mac && !mac->is_multicast() && !mac->is_zero())
    return QuarantineEntry{mac->to_string(), *mac, {}, {}, {}, 0};
  if (ip && !ip->is_unspecified() && !ip->is_multicast())
    return QuarantineEntry{ip->to_string(), std::nullopt, {*ip}, {}, {}, 0};
  return std::nullopt;
}

bool Enforcer::quarantined(std::string_view device) const {
  return std::any_of(state_.quarantine.begin(), state_.quarantine.end(),
                     [&](const QuarantineEntry& q) { return q.device == device; });
}

Result<Decision, std::string> Enforcer::quarantine(QuarantineEntry e) {
  Decision d;
  d.decided_ns = wall_ns();
  if (e.since == 0) e.since = d.decided_ns;
  for (const auto& q : state_.quarantine)
    if (same_device(q, e))
      return unexpected(q.device + " is already in quarantine (" + q.reason + ")");
  // Enforce first, then persist, then acknowledge: the device is cut off without waiting for
  // the disk (an fsync costs more than the nft transaction), and the caller hears "done" once
  // the quarantine would survive a crash. If it cannot be stored (a full disk), the device
  // stays cut off (releasing a device that attacks because the disk is full would be worse)
  // and the decision says it will not survive a restart.
  std::int64_t us = 0;
  auto ok = apply(render_quarantine(e, state_), us);
  if (!ok) return unexpected("could not quarantine " + e.device + ": " + ok.error());
  forget_connections(e.addrs);
  d.enforced_ns = wall_ns();
  if (store_) {
    auto saved = store_->put_quarantine(e);
    if (!saved)
      d.warning =
          "in force, but not recorded: it will not survive a restart (" + saved.error() + ")";
  }
  stats_.last_change_us = us;
  ++stats_.quarantines;
  state_.quarantine.push_back(e);
  d.entry = std::move(e);
  return d;
}

Result<Decision, std::string> Enforcer::release(std::string_view ref) {
  auto target = resolve(ref);
  auto it = state_.quarantine.end();
  if (target)
    it = std::find_if(state_.quarantine.begin(), state_.quarantine.end(),
                      [&](const QuarantineEntry& q) { return same_device(q, *target); });
  if (it == state_.quarantine.end()) return unexpected(std::string(ref) + " is not in quarantine");
  Decision d;
  d.decided_ns = wall_ns();
  std::int64_t us = 0;
  auto ok = apply(render_release(*it), us);
  if (!ok) return unexpected("could not release " + it->device + ": " + ok.error());
  d.enforced_ns = wall_ns();
  if (store_) {
    auto saved = store_->remove_quarantine(it->device);
    if (!saved) return unexpected(saved.error());
  }
  stats_.last_change_us = us;
  ++stats_.releases;
  d.entry = *it;
  state_.quarantine.erase(it);
  return d;
}

void Enforcer::on_dns_answer(std::string_view name, const std::vector<IpAddr>& addrs,
                             std::uint32_t ttl_s, Timestamp now) {
  if (addrs.empty()) return;
  auto it = std::lower_bound(names_.begin(), names_.end(), name);
  if (it == names_.end() || *it != name) return;
  const std::uint32_t ttl = std::clamp<std::uint32_t>(ttl_s, 600, 86400);
  const Timestamp expiry = now + static_cast<Timestamp>(ttl) * kNsPerSec;
  auto& known = state_.resolved[std::string(name)];
  for (const auto& a : addrs) known[a] = expiry;
  // Bounded: expired addresses go, and a name that keeps resolving to new addresses (a CDN,
  // or an attacker's zone) keeps its kMaxAddrsPerName freshest. The kernel's set elements
  // expire on their own.
  std::erase_if(known, [now](const auto& kv) { return kv.second <= now; });
  while (known.size() > kMaxAddrsPerName) {
    auto oldest = std::min_element(known.begin(), known.end(), [](const auto& x, const auto& y) {
      return x.second < y.second;
    });
    known.erase(oldest);
  }
  ++stats_.dns_answers_used;
  stats_.dns_addresses_added += addrs.size();
  pending_ += render_resolution(name, addrs, ttl);
  pending_store_.push_back({std::string(name), {addrs, expiry}});
}

Result<bool, std::string> Enforcer::flush() {
  if (pending_.empty()) return true;
  std::int64_t us = 0;
  auto ok = apply(pending_, us);
  pending_.clear();
  stats_.last_change_us = us;
  if (store_)
    for (const auto& [name, p] : pending_store_)
      (void)store_->put_resolutions(name, p.first, p.second);
  pending_store_.clear();
  if (!ok) return unexpected("could not add resolved addresses: " + ok.error());
  return true;
}

std::string table_comment(NftBackend& nft) {
  auto text = nft.list_text("list table inet warden");
  if (!text) return {};
  const std::string key = "comment \"";
  auto at = text->find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  auto end = text->find('"', at);
  return end == std::string::npos ? std::string() : text->substr(at, end - at);
}

Result<Counters, std::string> Enforcer::raw_counters() {
  auto json = nft_.list_json("list table inet warden");
  if (!json) return unexpected(json.error());
  auto c = parse_counters(*json);
  if (!c) return c;
  // One rule name may stand for several nft rules (its IPv4 and IPv6 forms): one counter.
  std::map<std::pair<std::string, std::string>, RuleCounter> merged;
  for (auto& r : c->rules) {
    auto& m = merged[{r.chain, r.rule}];
    if (m.chain.empty())
      m = r;
    else {
      m.packets += r.packets;
      m.bytes += r.bytes;
    }
  }
  c->rules.clear();
  for (auto& [k, r] : merged) c->rules.push_back(std::move(r));
  return c;
}

Result<Counters, std::string> Enforcer::counters() {
  auto c = raw_counters();
  if (!c) return c;
  complete_counters(*c);
  return c;
}

void Enforcer::complete_counters(Counters& c) const {
  if (c.table_comment.empty())
    c.table_comment = "warden gateway generation " + std::to_string(generation_);
  // What the tables this run replaced had counted (a rebuild starts the kernel's counters
  // from zero): the totals run from the start of this warden.
  for (auto& dc : c.devices)
    if (auto it = carried_drops_.find(dc.key); it != carried_drops_.end()) {
      dc.drop_packets += it->second.first;
      dc.drop_bytes += it->second.second;
    }
  for (auto& rc : c.rules)
    if (auto it = carried_rules_.find(rc.chain + "|" + rc.rule); it != carried_rules_.end()) {
      rc.packets += it->second.first;
      rc.bytes += it->second.second;
    }
  // Name devices as the user knows them.
  std::map<std::string, std::string> names;
  for (const auto& q : state_.quarantine) names[device_key(q.mac, q.addrs)] = q.device;
  for (const auto& d : state_.devices) names[device_key(d.mac, d.addrs)] = d.name;
  for (auto& dc : c.devices)
    if (auto it = names.find(dc.key); it != names.end()) dc.name = it->second;
  for (auto& rc : c.rules)
    if (auto it = names.find(rc.device); it != names.end()) rc.device = it->second;
}

void Enforcer::carry_counters() {
  auto c = raw_counters();
  if (!c) return;  // no table yet (first start), or unreadable: nothing to carry
  for (const auto& dc : c->devices) {
    auto& t = carried_drops_[dc.key];
    t.first += dc.drop_packets;
    t.second += dc.drop_bytes;
  }
  for (const auto& rc : c->rules) {
    auto& t = carried_rules_[rc.chain + "|" + rc.rule];
    t.first += rc.packets;
    t.second += rc.bytes;
  }
}

Result<Counters, std::string> parse_counters(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 512u << 20;
  limits.max_values = 50'000'000;
  auto doc = parse_json(json, limits);
  if (!doc)
    return unexpected(std::string("nft listing is not JSON: ") + std::string(doc.error().reason));
  const JsonValue* list = doc->find("nftables");
  if (!list || !list->is_array())
    return unexpected(std::string("nft listing has no \"nftables\" array"));
  Counters out;
  for (const auto& item : list->items()) {
    if (const JsonValue* t = item.find("table")) {
      if (const JsonValue* c = t->find("comment"); c && c->is_string())
        out.table_comment = c->as_string();
    } else if (const JsonValue* c = item.find("counter")) {
      const JsonValue* name = c->find("name");
      if (!name || !name->is_string()) continue;
      std::string n = name->as_string();
      if (n.size() <= 5 || n.substr(n.size() - 5) != "_drop") continue;
      DeviceCounters d;
      d.key = n.substr(0, n.size() - 5);
      d.drop_packets = num(c->find("packets"));
      d.drop_bytes = num(c->find("bytes"));
      out.devices.push_back(std::move(d));
    } else if (const JsonValue* r = item.find("rule")) {
      const JsonValue* chain = r->find("chain");
      const JsonValue* comment = r->find("comment");
      const JsonValue* expr = r->find("expr");
      if (!chain || !chain->is_string() || !expr || !expr->is_array()) continue;
      const std::string& ch = chain->as_string();
      if (ch == "forward") continue;
      RuleCounter rc;
      rc.chain = ch;
      rc.device = ch.substr(0, ch.rfind('_'));
      rc.rule = comment && comment->is_string() ? comment->as_string() : "";
      bool has = false;
      for (const auto& e : expr->items()) {
        const JsonValue* ctr = e.find("counter");
        if (!ctr || !ctr->is_object()) continue;
        if (ctr->find("packets")) {
          rc.packets = num(ctr->find("packets"));
          rc.bytes = num(ctr->find("bytes"));
          has = true;
        }
      }
      if (has) out.rules.push_back(std::move(rc));
    }
  }
  return out;
}

}  // namespace warden::enforce
