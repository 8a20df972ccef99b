#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/net.h"
#include "detect/baseline.h"
#include "flow/app_proto.h"

namespace warden::detect {

namespace {

constexpr std::string_view kKindNames[kBaselineKinds] = {
    "destination", "service", "protocol", "peer", "serves", "country", "network"};
constexpr Timestamp kHour = 3600 * kNsPerSec;
constexpr std::size_t kMaxValueLength = 255;

bool digits_only(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "tcp/443", "udp/53"
bool valid_port_item(std::string_view v) {
  if (!v.starts_with("tcp/") && !v.starts_with("udp/")) return false;
  v.remove_prefix(4);
  unsigned port = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), port);
  return digits_only(v) && r.ec == std::errc{} && port <= 65535;
}

bool valid_domain(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

// "net:203.0.113.0/24" or "net:2001:db8:1::/48"
bool valid_network(std::string_view v) {
  v.remove_prefix(4);
  const auto slash = v.rfind('/');
  if (slash == std::string_view::npos) return false;
  const auto ip = IpAddr::parse(v.substr(0, slash));
  const auto len = v.substr(slash + 1);
  return ip && ((ip->is_v4() && len == "24") || (!ip->is_v4() && len == "48"));
}

void fold(double x, double& mean, double& var, std::uint64_t n) {
  if (n == 0) {
    mean = x;
    var = 0;
    return;
  }
  // West's exponentially weighted mean and variance.
  const double diff = x - mean;
  const double incr = VolumeStats::kAlpha * diff;
  mean += incr;
  var = (1.0 - VolumeStats::kAlpha) * (var + diff * incr);
}

std::size_t string_heap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;  // beyond the small-string buffer
}

// A std::map node: three pointers, colour, and the value.
template <class V>
constexpr std::size_t kNodeBytes = 32 + sizeof(V);

}  // namespace

std::string_view baseline_kind_name(BaselineKind k) {
  const auto i = static_cast<std::size_t>(k);
  return i < kBaselineKinds ? kKindNames[i] : "unknown";
}

std::optional<BaselineKind> baseline_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kBaselineKinds; ++i)
    if (kKindNames[i] == name) return static_cast<BaselineKind>(i);
  return std::nullopt;
}

bool baseline_device_id_valid(std::string_view id) {
  if (id.starts_with("ip:")) {
    const auto ip = IpAddr::parse(id.substr(3));
    return ip && ip->to_string() == id.substr(3);
  }
  const auto mac = MacAddr::parse(id);
  return mac && mac->to_string() == id;
}

bool baseline_value_valid(BaselineKind kind, std::string_view v) {
  if (v.empty() || v.size() > kMaxValueLength) return false;
  if (!std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 0x7f; })) return false;
  switch (kind) {
    case BaselineKind::kDestination:
      return v.starts_with("net:") ? valid_network(v) : valid_domain(v);
    case BaselineKind::kService:
    case BaselineKind::kServes:
      return valid_port_item(v);
    case BaselineKind::kProtocol:
      for (std::size_t i = 0; i < static_cast<std::size_t>(flow::AppProto::kCount); ++i)
        if (flow::app_proto_name(static_cast<flow::AppProto>(i)) == v) return true;
      return false;
    case BaselineKind::kPeer:
      return baseline_device_id_valid(v);
    case BaselineKind::kCountry:
      return v.size() == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';
    case BaselineKind::kNetwork:
      return v.size() > 2 && v.size() <= 12 && v.starts_with("AS") && v[2] != '0' &&
             std::all_of(v.begin() + 2, v.end(), [](char c) { return c >= '0' && c <= '9'; });
    case BaselineKind::kCount:
      break;
  }
  return false;
}

void VolumeStats::roll(Timestamp ts) {
  const std::int64_t h = std::max<Timestamp>(ts, 0) / kHour;
  if (hour < 0) {
    hour = h;
    return;
  }
  if (h <= hour) return;
  if (hour_flows > 0) {
    fold(static_cast<double>(hour_bytes), mean_bytes, var_bytes, hours);
    fold(static_cast<double>(hour_flows), mean_flows, var_flows, hours);
    ++hours;
  }
  hour = h;
  hour_bytes = hour_flows = 0;
}

void VolumeStats::add(Timestamp ts, std::uint64_t bytes) {
  roll(ts);
  hour_bytes += bytes;
  ++hour_flows;
}

double VolumeStats::sd_bytes() const { return std::sqrt(std::max(var_bytes, 0.0)); }
double VolumeStats::sd_flows() const { return std::sqrt(std::max(var_flows, 0.0)); }

std::size_t DeviceBaseline::item_count() const {
  std::size_t n = 0;
  for (const auto& m : items) n += m.size();
  return n;
}

bool DeviceBaseline::settled(BaselineKind kind) const {
  if (learning()) return false;
  const Timestamp span = stable_since - first_seen;
  return stable_since - last_new[static_cast<std::size_t>(kind)] >= span / 4;
}

DeviceBaseline* BaselineModel::device(std::string_view id, Timestamp now,
                                      Timestamp learning_period) {
  auto it = devices_.find(id);
  if (it == devices_.end()) {
    if (devices_.size() >= limits_.max_devices) {
      ++devices_dropped_;
      return nullptr;
    }
    it = devices_.emplace(std::string(id), DeviceBaseline{}).first;
    it->second.first_seen = it->second.last_seen = now;
    it->second.learning_until = now + learning_period;
  }
  if (now > it->second.last_seen) it->second.last_seen = now;
  ++version_;
  return &it->second;
}

const DeviceBaseline* BaselineModel::find(std::string_view id) const {
  auto it = devices_.find(id);
  return it == devices_.end() ? nullptr : &it->second;
}

BaselineModel::Learned BaselineModel::learn(DeviceBaseline& d, BaselineKind kind,
                                            std::string_view value, Timestamp ts) {
  const auto k = static_cast<std::size_t>(kind);
  auto& items = d.items[k];
  ++version_;
  auto it = items.find(value);
  if (it != items.end()) {
    ++it->second.count;
    it->second.last_seen = std::max(it->second.last_seen, ts);
    return Learned::kKnown;
  }
  if (items.size() >= limits_.max_items[k] || total_items_ >= limits_.max_total_items) {
    ++d.items_dropped;
    return Learned::kFull;
  }
  items.emplace(std::string(value), BaselineItem{ts, ts, 1});
  ++total_items_;
  if (d.learning()) d.last_new[k] = std::max(d.last_new[k], ts);
  return Learned::kNew;
}

BaselineSnapshot BaselineModel::snapshot() const {
  BaselineSnapshot s;
  s.devices.reserve(devices_.size());
  for (const auto& [id, d] : devices_) {
    BaselineSnapshot::Device out;
    out.id = id;
    out.first_seen = d.first_seen;
    out.last_seen = d.last_seen;
    out.learning_until = d.learning_until;
    out.stable_since = d.stable_since;
    out.flows = d.flows;
    out.items_dropped = d.items_dropped;
    out.last_new = d.last_new;
    out.volume = d.volume;
    out.items.reserve(d.item_count());
    for (std::size_t k = 0; k < kBaselineKinds; ++k) {
      for (const auto& [value, stats] : d.items[k])
        out.items.push_back({static_cast<BaselineKind>(k), value, stats});
    }
    s.devices.push_back(std::move(out));
  }
  return s;
}

void BaselineModel::restore(const BaselineSnapshot& s) {
  devices_.clear();
  total_items_ = 0;
  ++version_;
  for (const auto& in : s.devices) {
    if (devices_.size() >= limits_.max_devices) {
      ++devices_dropped_;
      continue;
    }
    DeviceBaseline d;
    d.first_seen = in.first_seen;
    d.last_seen = in.last_seen;
    d.learning_until = in.learning_until;
    d.stable_since = in.stable_since;
    d.flows = in.flows;
    d.items_dropped = in.items_dropped;
    d.last_new = in.last_new;
    d.volume = in.volume;
    for (const auto& item : in.items) {
      const auto k = static_cast<std::size_t>(item.kind);
      if (k >= kBaselineKinds) continue;
      if (d.items[k].size() >= limits_.max_items[k] || total_items_ >= limits_.max_total_items) {
        ++d.items_dropped;
        continue;
      }
      total_items_ += d.items[k].insert_or_assign(item.value, item.stats).second;
    }
    devices_.insert_or_assign(in.id, std::move(d));
  }
}

std::size_t BaselineModel::learning_count() const {
  std::size_t n = 0;
  for (const auto& [id, d] : devices_) n += d.learning();
  return n;
}

std::uint64_t BaselineModel::items_dropped() const {
  std::uint64_t n = 0;
  for (const auto& [id, d] : devices_) n += d.items_dropped;
  return n;
}

std::size_t BaselineModel::memory_bytes() const {
  using DeviceNode = std::pair<const std::string, DeviceBaseline>;
  using ItemNode = std::pair<const std::string, BaselineItem>;
  std::size_t n = sizeof(*this);
  for (const auto& [id, d] : devices_) {
    n += kNodeBytes<DeviceNode> + string_heap(id);
    for (const auto& m : d.items)
      for (const auto& [value, stats] : m) n += kNodeBytes<ItemNode> + string_heap(value);
  }
  return n;
}

}  // namespace warden::detect
