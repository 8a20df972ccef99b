#include "inventory/inventory.h"

#include <algorithm>
#include <variant>

namespace warden::inventory {

namespace {
constexpr std::size_t kMaxRemotePeers = 16;

bool usable_mac(const MacAddr& m) { return !m.is_zero() && !m.is_multicast(); }

// mDNS service instance names look like "Living Room._googlecast._tcp.local": the service type
// is the "_x._tcp" / "_x._udp" pair.
std::string service_type_of(std::string_view name) {
  for (std::string_view proto : {"._tcp", "._udp"}) {
    std::size_t p = name.find(proto);
    if (p == std::string_view::npos) continue;
    std::size_t start = name.rfind("._", p == 0 ? 0 : p - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    if (name.substr(start, 1) != "_") {
      start = name.rfind('_', p == 0 ? 0 : p - 1);
      if (start == std::string_view::npos) continue;
    }
    return std::string(name.substr(start, p + proto.size() - start));
  }
  return {};
}

std::string strip_local(std::string_view n) {
  if (n.ends_with(".local")) n.remove_suffix(6);
  return std::string(n);
}
}  // namespace

DeviceInventory::DeviceInventory(const InventoryConfig& config, const OuiDatabase* oui)
    : config_(config), oui_(oui) {}

const Device* DeviceInventory::find(const MacAddr& mac) const {
  auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : it->second;
}

Device* DeviceInventory::device_for(const MacAddr& mac, Timestamp ts) {
  if (!usable_mac(mac)) return nullptr;
  auto it = by_mac_.find(mac);
  Device* d = nullptr;
  if (it != by_mac_.end()) {
    d = it->second;
  } else {
    if (devices_.size() >= config_.max_devices) {
      ++dropped_;
      return nullptr;
    }
    auto dev = std::make_unique<Device>();
    dev->id = mac.to_string();
    dev->has_mac = true;
    dev->mac = mac;
    dev->randomized_mac = mac.is_local();
    if (oui_) dev->vendor = std::string(oui_->lookup(mac));
    dev->first_seen = ts;
    d = dev.get();
    by_mac_.emplace(mac, d);
    devices_.push_back(std::move(dev));
  }
  if (ts > d->last_seen) d->last_seen = ts;
  if (ts < d->first_seen) d->first_seen = ts;
  return d;
}

Device* DeviceInventory::device_for_ip(const IpAddr& ip, Timestamp ts) {
  if (!ip.is_local_unicast()) return nullptr;
  auto it = by_ip_.find(ip);
  if (it != by_ip_.end()) {
    Device* d = it->second;
    if (ts > d->last_seen) d->last_seen = ts;
    return d;
  }
  if (devices_.size() >= config_.max_devices) {
    ++dropped_;
    return nullptr;
  }
  auto dev = std::make_unique<Device>();
  dev->id = "ip:" + ip.to_string();
  dev->first_seen = dev->last_seen = ts;
  Device* d = dev.get();
  devices_.push_back(std::move(dev));
  bind_address(*d, ip, ts, "traffic");
  return d;
}

void DeviceInventory::bind_address(Device& d, const IpAddr& ip, Timestamp ts,
                                   std::string_view source) {
  if (!ip.is_local_unicast()) return;
  by_ip_[ip] = &d;
  for (auto& a : d.addresses) {
    if (a.ip == ip) {
      if (ts > a.last_seen) a.last_seen = ts;
      if (ts < a.first_seen) a.first_seen = ts;
      if (source != "traffic" && a.source == "traffic") a.source = std::string(source);
      return;
    }
  }
  if (d.addresses.size() >= config_.max_addresses_per_device) return;
  d.addresses.push_back(AddressRecord{ip, ts, ts, std::string(source)});
}

void DeviceInventory::on_flow_start(const flow::Flow& /*flow*/, const decode::DecodedPacket& p) {
  if (p.has_l2) {
    if (Device* d = device_for(p.src_mac, p.ts)) {
      if (p.src_ip.is_local_unicast()) {
        bind_address(*d, p.src_ip, p.ts, "traffic");
      } else if (!p.src_ip.is_multicast() && !p.src_ip.is_unspecified() &&
                 d->remote_peers_sample.size() < kMaxRemotePeers) {
        // This MAC sends packets from internet addresses: it forwards traffic (a router).
        d->remote_peers_sample.insert(p.src_ip);
      }
    }
    if (p.has_dst_mac && p.dst_ip.is_local_unicast()) {
      if (Device* d = device_for(p.dst_mac, p.ts)) bind_address(*d, p.dst_ip, p.ts, "traffic");
    }
  } else {
    device_for_ip(p.src_ip, p.ts);
    device_for_ip(p.dst_ip, p.ts);
  }
}

const Device* DeviceInventory::find_endpoint(const MacAddr& mac, const IpAddr& ip) const {
  if (!ip.is_local_unicast()) return nullptr;  // an internet host, seen through the router
  if (usable_mac(mac)) {
    auto it = by_mac_.find(mac);
    return it == by_mac_.end() ? nullptr : it->second;
  }
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : it->second;
}

void DeviceInventory::on_flow_end(const flow::Flow& f) {
  // The inventory is the single writer of its devices: the const lookup names them, this
  // function owns them.
  auto endpoint = [&](const MacAddr& mac, const IpAddr& ip) -> Device* {
    return const_cast<Device*>(find_endpoint(mac, ip));
  };
  if (Device* o = endpoint(f.orig_mac, f.orig_ip())) {
    if (f.key.proto == decode::kProtoUdp &&
        (f.resp_mac.is_multicast() || f.resp_ip().is_multicast()) &&
        o->udp_announce_ports.size() < config_.max_ports_per_device) {
      o->udp_announce_ports.insert(f.resp_port());
    }
    ++o->flows_originated;
    if (f.last_ts > o->last_seen) o->last_seen = f.last_ts;
    o->packets_sent += f.dir[0].packets;
    o->bytes_sent += f.dir[0].ip_bytes;
  }
  Device* r = endpoint(f.resp_mac, f.resp_ip());
  if (r && f.dir[1].packets > 0) {
    ++r->flows_served;
    if (f.last_ts > r->last_seen) r->last_seen = f.last_ts;  // its last answer, at the latest
    r->packets_sent += f.dir[1].packets;
    r->bytes_sent += f.dir[1].ip_bytes;
    const bool established_tcp = f.key.proto == decode::kProtoTcp && (f.tcp_seen & (2 << 8));
    auto& ports = f.key.proto == decode::kProtoTcp ? r->tcp_server_ports : r->udp_server_ports;
    const bool udp_service = f.key.proto == decode::kProtoUdp && f.resp_port() < 32768;
    if ((established_tcp || udp_service) && ports.size() < config_.max_ports_per_device) {
      ports.insert(f.resp_port());
    }
  }
}

void DeviceInventory::on_arp(const decode::DecodedPacket& p) {
  if (p.network != decode::Network::kArp || p.arp.op == 0) return;
  if (Device* d = device_for(p.arp.sender_mac, p.ts)) {
    if (!p.arp.sender_ip.is_unspecified()) bind_address(*d, p.arp.sender_ip, p.ts, "arp");
  }
}

Device* DeviceInventory::sender(const dissect::ObsContext& ctx) {
  const bool local = ctx.src_ip.is_local_unicast() || ctx.src_ip.is_unspecified();
  if (!local) return nullptr;
  if (ctx.has_src_mac && usable_mac(ctx.src_mac)) return device_for(ctx.src_mac, ctx.ts);
  return device_for_ip(ctx.src_ip, ctx.ts);
}

void DeviceInventory::on_observation(const dissect::Observation& obs) {
  const auto& ctx = obs.ctx;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, protocols::DhcpMessage>) {
          Device* d = usable_mac(body.client_mac) ? device_for(body.client_mac, ctx.ts) : nullptr;
          if (!d) return;
          if (body.op == 1) {
            if (!body.hostname.empty()) d->hostname = body.hostname;
            if (!body.vendor_class.empty()) d->dhcp_vendor_class = body.vendor_class;
            if (!body.param_request_list.empty()) d->dhcp_fingerprint = body.param_list_string();
            if (!body.mud_url.empty()) d->mud_url = body.mud_url;
            if (!ctx.src_ip.is_unspecified()) bind_address(*d, ctx.src_ip, ctx.ts, "dhcp");
          } else if (body.op == 2 && body.msg_type == 5 && !body.yiaddr.is_unspecified()) {
            bind_address(*d, body.yiaddr, ctx.ts, "dhcp");
          }
        } else if constexpr (std::is_same_v<T, dissect::DnsObservation>) {
          Device* d = sender(ctx);
          if (!d) return;
          if (body.flavor == dissect::DnsFlavor::kMdns) {
            if (!body.msg.response) return;  // queries say what a device wants, not what it is
            for (const auto* section : {&body.msg.answers, &body.msg.additionals}) {
              for (const auto& rr : *section) {
                if (rr.type == 12) {  // PTR: service type -> instance
                  std::string st = service_type_of(rr.target);
                  if (st.empty()) st = service_type_of(rr.name);
                  if (!st.empty() && rr.name != "_services._dns-sd._udp.local") {
                    d->mdns_services.insert(st);
                  }
                } else if (rr.type == 33 && !rr.target.empty()) {  // SRV target is the host name
                  d->mdns_names.insert(strip_local(rr.target));
                } else if ((rr.type == 1 || rr.type == 28) && !rr.name.empty()) {
                  d->mdns_names.insert(strip_local(rr.name));
                }
              }
            }
          } else if (!body.msg.response || body.rtt) {
            // A query, or a query merged with its answer: the sender is the asking client.
            for (const auto& q : body.msg.questions) d->dns_queries.insert(q.name);
          }
        } else if constexpr (std::is_same_v<T, protocols::SsdpMessage>) {
          if (body.kind == protocols::SsdpKind::kSearch) return;  // a control point asking
          Device* d = sender(ctx);
          if (!d) return;
          if (!body.server.empty()) d->ssdp_server = body.server;
          if (!body.nt_or_st.empty()) d->ssdp_types.insert(body.nt_or_st);
          if (!body.usn.empty()) d->ssdp_usns.insert(body.usn);
        } else if constexpr (std::is_same_v<T, dissect::UpnpDescriptionObservation>) {
          Device* d = sender(ctx);
          if (!d) return;
          const auto& u = body.desc;
          if (!u.device_type.empty()) d->upnp_device_type = u.device_type;
          if (!u.friendly_name.empty()) d->upnp_friendly_name = u.friendly_name;
          if (!u.manufacturer.empty()) d->upnp_manufacturer = u.manufacturer;
          if (!u.model_name.empty()) d->upnp_model_name = u.model_name;
          if (!u.model_number.empty()) d->upnp_model_number = u.model_number;
          for (const auto& s : u.service_types) d->upnp_services.insert(s);
        } else if constexpr (std::is_same_v<T, dissect::HttpRequestObservation>) {
          Device* d = sender(ctx);
          if (d && !body.user_agent.empty()) d->http_user_agents.insert(body.user_agent);
        } else if constexpr (std::is_same_v<T, dissect::HttpResponseObservation>) {
          Device* d = sender(ctx);
          if (d && !body.server.empty()) d->http_servers.insert(body.server);
        } else if constexpr (std::is_same_v<T, protocols::TlsClientHello>) {
          Device* d = sender(ctx);
          if (!d) return;
          if (!body.ja3_md5.empty()) d->tls_ja3.insert(body.ja3_md5);
          if (!body.sni.empty()) d->tls_sni.insert(body.sni);
        } else if constexpr (std::is_same_v<T, protocols::MqttConnect>) {
          Device* d = sender(ctx);
          if (d && !body.client_id.empty()) d->mqtt_client_ids.insert(body.client_id);
        } else if constexpr (std::is_same_v<T, protocols::LldpMessage>) {
          // RFC 8520 §10: a wired device may announce its MUD URL in LLDP instead of DHCP.
          // Only that is taken (switches announce themselves too; a device record for every
          // LLDP speaker would say nothing new). TTL 0 is the sender leaving: nothing to learn.
          if (body.mud_url.empty() || body.ttl == 0) return;
          if (!ctx.has_src_mac || !usable_mac(ctx.src_mac)) return;
          if (Device* d = device_for(ctx.src_mac, ctx.ts)) d->mud_url = body.mud_url;
        }
      },
      obs.body);
}

void DeviceInventory::classify_all() {
  for (auto& d : devices_) classify(*d);
}

void BoundedSet::insert(std::string_view v) {
  if (items_.size() >= cap_ && !items_.contains(std::string(v))) {
    ++dropped_;
    return;
  }
  items_.emplace(v);
}

}  // namespace warden::inventory
