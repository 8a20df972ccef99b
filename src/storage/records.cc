#include "storage/records.h"

#include <variant>

#include "core/json.h"
#include "core/time.h"
#include "decode/decode.h"

namespace warden::storage {

namespace {

void epoch(JsonWriter& w, std::string_view key, Timestamp t) { w.key(key).raw(format_epoch(t)); }

void seconds(JsonWriter& w, std::string_view key, Timestamp ns) {
  w.key(key).value(static_cast<double>(ns) / 1e9, 6);
}

void set_array(JsonWriter& w, std::string_view key, const inventory::BoundedSet& s) {
  w.key(key).begin_array();
  for (const auto& v : s.items()) w.value(v);
  w.end_array();
}

template <class Ints>
void int_array(JsonWriter& w, std::string_view key, const Ints& v) {
  w.key(key).begin_array();
  for (auto x : v) w.value(static_cast<std::uint64_t>(x));
  w.end_array();
}

void dns_body(JsonWriter& w, const dissect::DnsObservation& d) {
  const auto& m = d.msg;
  w.field("id", static_cast<unsigned>(m.id)).field("type", m.response ? "answer" : "query");
  if (d.rtt) w.key("rtt").value(static_cast<double>(*d.rtt) / 1e9, 6);
  if (m.response) {
    auto rc = protocols::dns_rcode_name(m.rcode);
    if (rc.empty())
      w.field("rcode", static_cast<unsigned>(m.rcode));
    else
      w.field("rcode", rc);
  }
  w.field("flags_aa", m.authoritative).field("flags_tc", m.truncated);
  w.key("queries").begin_array();
  for (const auto& q : m.questions) {
    w.begin_object().field("rrname", q.name);
    auto tn = protocols::dns_type_name(q.type);
    if (tn.empty())
      w.field("rrtype", static_cast<unsigned>(q.type));
    else
      w.field("rrtype", tn);
    w.end_object();
  }
  w.end_array();
  auto rrs = [&](std::string_view key, const std::vector<protocols::DnsRecord>& v) {
    if (v.empty()) return;
    w.key(key).begin_array();
    for (const auto& r : v) {
      w.begin_object().field("rrname", r.name);
      auto tn = protocols::dns_type_name(r.type);
      if (tn.empty())
        w.field("rrtype", static_cast<unsigned>(r.type));
      else
        w.field("rrtype", tn);
      w.field("ttl", static_cast<std::uint64_t>(r.ttl));
      if (r.address)
        w.field("rdata", r.address->to_string());
      else if (!r.target.empty())
        w.field("rdata", r.target);
      if (r.type == 33) w.field("port", static_cast<unsigned>(r.port));
      if (!r.txt.empty()) {
        w.key("txt").begin_array();
        for (const auto& t : r.txt) w.value(t);
        w.end_array();
      }
      w.end_object();
    }
    w.end_array();
  };
  rrs("answers", m.answers);
  rrs("additionals", m.additionals);
}

}  // namespace

std::string_view proto_name(std::uint8_t p) {
  switch (p) {
    case decode::kProtoTcp:
      return "tcp";
    case decode::kProtoUdp:
      return "udp";
    case decode::kProtoIcmp:
      return "icmp";
    case decode::kProtoIcmpv6:
      return "icmp6";
    case decode::kProtoIgmp:
      return "igmp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    default:
      return "other";
  }
}

void flow_json(const flow::Flow& f, flow::EndReason reason, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  epoch(w, "ts", f.first_ts);
  w.field("uid", f.uid());
  w.field("id.orig_h", f.orig_ip().to_string());
  w.field("id.orig_p", static_cast<unsigned>(f.logged_orig_port()));
  w.field("id.resp_h", f.resp_ip().to_string());
  w.field("id.resp_p", static_cast<unsigned>(f.logged_resp_port()));
  w.field("proto", proto_name(f.key.proto));
  if (f.key.proto != decode::kProtoTcp && f.key.proto != decode::kProtoUdp && !f.is_icmp()) {
    w.field("ip_proto", static_cast<unsigned>(f.key.proto));
  }
  w.field("service", flow::app_proto_name(f.app));
  w.field("service_by", f.app == flow::AppProto::kUnknown ? "none"
                        : f.app_by_port                   ? "port"
                                                          : "payload");
  seconds(w, "duration", f.duration());
  w.field("orig_bytes", f.dir[0].payload_bytes).field("resp_bytes", f.dir[1].payload_bytes);
  w.field("conn_state", f.conn_state());
  w.field("local_orig", f.orig_ip().is_local_unicast());
  w.field("local_resp", f.resp_ip().is_local_unicast());
  if (f.key.proto == decode::kProtoTcp) w.field("history", f.history_str());
  w.field("orig_pkts", f.dir[0].packets).field("orig_ip_bytes", f.dir[0].ip_bytes);
  w.field("resp_pkts", f.dir[1].packets).field("resp_ip_bytes", f.dir[1].ip_bytes);
  if (!f.orig_mac.is_zero()) w.field("orig_l2_addr", f.orig_mac.to_string());
  if (!f.resp_mac.is_zero()) w.field("resp_l2_addr", f.resp_mac.to_string());
  if (f.key.vlan != 0) w.field("vlan", static_cast<unsigned>(f.key.vlan));
  w.field("end_reason", flow::end_reason_name(reason));
  w.end_object();
}

void observation_json(const dissect::Observation& o, std::string& out) {
  JsonWriter w(out);
  const auto& c = o.ctx;
  const std::string_view type = dissect::observation_type(o);
  w.begin_object();
  w.field("timestamp", format_rfc3339(c.ts));
  w.field("event_type", type);
  if (c.flow_uid != 0) w.field("flow_uid", flow::uid_text(c.flow_uid));
  if (c.has_ip) {
    w.field("src_ip", c.src_ip.to_string()).field("src_port", static_cast<unsigned>(c.src_port));
    w.field("dest_ip", c.dst_ip.to_string()).field("dest_port", static_cast<unsigned>(c.dst_port));
    w.field("proto", proto_name(c.proto));
  }
  if (c.has_src_mac) w.field("src_mac", c.src_mac.to_string());
  if (c.has_dst_mac) w.field("dest_mac", c.dst_mac.to_string());
  if (c.vlan != 0) w.field("vlan", static_cast<unsigned>(c.vlan));
  w.key(type).begin_object();
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, protocols::DhcpMessage>) {
          w.field("type", b.op == 1 ? "request" : "reply")
              .field("dhcp_type", protocols::dhcp_message_type_name(b.msg_type))
              .field("id", static_cast<std::uint64_t>(b.xid))
              .field("client_mac", b.client_mac.to_string());
          if (!b.ciaddr.is_unspecified()) w.field("client_ip", b.ciaddr.to_string());
          if (!b.yiaddr.is_unspecified()) w.field("assigned_ip", b.yiaddr.to_string());
          if (b.requested_ip) w.field("requested_ip", b.requested_ip->to_string());
          if (b.server_id) w.field("server_id", b.server_id->to_string());
          if (b.lease_seconds) w.field("lease_time", static_cast<std::uint64_t>(*b.lease_seconds));
          if (!b.hostname.empty()) w.field("hostname", b.hostname);
          if (!b.client_fqdn.empty()) w.field("client_fqdn", b.client_fqdn);
          if (!b.vendor_class.empty()) w.field("vendor_class", b.vendor_class);
          if (!b.param_request_list.empty()) w.field("params", b.param_list_string());
          if (!b.domain_name.empty()) w.field("domain", b.domain_name);
          if (!b.mud_url.empty()) w.field("mud_url", b.mud_url);
          if (!b.routers.empty()) {
            w.key("routers").begin_array();
            for (const auto& r : b.routers) w.value(r.to_string());
            w.end_array();
          }
          if (!b.dns_servers.empty()) {
            w.key("dns_servers").begin_array();
            for (const auto& r : b.dns_servers) w.value(r.to_string());
            w.end_array();
          }
        } else if constexpr (std::is_same_v<T, dissect::DnsObservation>) {
          dns_body(w, b);
        } else if constexpr (std::is_same_v<T, protocols::SsdpMessage>) {
          w.field("method", b.kind == protocols::SsdpKind::kNotify   ? "NOTIFY"
                            : b.kind == protocols::SsdpKind::kSearch ? "M-SEARCH"
                                                                     : "response");
          if (!b.nt_or_st.empty())
            w.field(b.kind == protocols::SsdpKind::kNotify ? "nt" : "st", b.nt_or_st);
          if (!b.nts.empty()) w.field("nts", b.nts);
          if (!b.usn.empty()) w.field("usn", b.usn);
          if (!b.server.empty()) w.field("server", b.server);
          if (!b.location.empty()) w.field("location", b.location);
          if (!b.user_agent.empty()) w.field("user_agent", b.user_agent);
          if (b.max_age) w.field("max_age", static_cast<std::uint64_t>(*b.max_age));
        } else if constexpr (std::is_same_v<T, dissect::UpnpDescriptionObservation>) {
          const auto& u = b.desc;
          if (!b.location.empty()) w.field("location", b.location);
          w.field("device_type", u.device_type)
              .field("friendly_name", u.friendly_name)
              .field("manufacturer", u.manufacturer)
              .field("model_name", u.model_name)
              .field("model_number", u.model_number);
          if (!u.serial_number.empty()) w.field("serial_number", u.serial_number);
          if (!u.udn.empty()) w.field("udn", u.udn);
          w.key("services").begin_array();
          for (const auto& s : u.service_types) w.value(s);
          w.end_array();
        } else if constexpr (std::is_same_v<T, dissect::HttpRequestObservation>) {
          w.field("hostname", b.host)
              .field("url", b.uri)
              .field("http_method", b.method)
              .field("protocol", b.version);
          if (!b.user_agent.empty()) w.field("http_user_agent", b.user_agent);
          if (!b.auth_scheme.empty()) w.field("auth_scheme", b.auth_scheme);
          if (!b.soap_action.empty()) w.field("soap_action", b.soap_action);
        } else if constexpr (std::is_same_v<T, dissect::HttpResponseObservation>) {
          w.field("status", b.status);
          if (!b.server.empty()) w.field("server", b.server);
          if (!b.content_type.empty()) w.field("http_content_type", b.content_type);
        } else if constexpr (std::is_same_v<T, protocols::TlsClientHello>) {
          if (!b.sni.empty()) w.field("sni", b.sni);
          auto v = protocols::tls_version_name(b.client_version);
          w.field("version", v.empty() ? std::string_view("unknown") : v);
          if (!b.supported_versions.empty())
            int_array(w, "supported_versions", b.supported_versions);
          if (!b.alpn.empty()) {
            w.key("alpn").begin_array();
            for (const auto& a : b.alpn) w.value(a);
            w.end_array();
          }
          w.key("ja3").begin_object().field("hash", b.ja3_md5).field("string", b.ja3).end_object();
        } else if constexpr (std::is_same_v<T, protocols::TlsServerHello>) {
          auto v = protocols::tls_version_name(b.selected_version);
          w.field("version", v.empty() ? std::string_view("unknown") : v);
          w.field("cipher_suite", static_cast<unsigned>(b.cipher_suite));
          w.key("ja3s")
              .begin_object()
              .field("hash", b.ja3s_md5)
              .field("string", b.ja3s)
              .end_object();
        } else if constexpr (std::is_same_v<T, protocols::MqttConnect>) {
          w.field("protocol_name", b.protocol_name)
              .field("protocol_version", static_cast<unsigned>(b.protocol_level))
              .field("client_id", b.client_id);
          if (b.username) w.field("username", *b.username);
          w.field("has_password", b.has_password)
              .field("clean_start", b.clean_start)
              .field("keep_alive", static_cast<unsigned>(b.keep_alive));
          if (b.will_topic) w.field("will_topic", *b.will_topic);
        } else if constexpr (std::is_same_v<T, protocols::CleartextLogin>) {
          w.field("protocol", b.protocol)
              .field("username", b.username)
              .field("password_sent", b.password_sent);
        } else if constexpr (std::is_same_v<T, protocols::LldpMessage>) {
          w.field("chassis_id", b.chassis_id)
              .field("chassis_id_subtype", static_cast<unsigned>(b.chassis_id_subtype))
              .field("port_id", b.port_id)
              .field("port_id_subtype", static_cast<unsigned>(b.port_id_subtype))
              .field("ttl", static_cast<unsigned>(b.ttl));
          if (!b.port_description.empty()) w.field("port_description", b.port_description);
          if (!b.system_name.empty()) w.field("system_name", b.system_name);
          if (!b.system_description.empty()) w.field("system_description", b.system_description);
          if (b.capabilities != 0 || b.enabled_capabilities != 0) {
            w.field("capabilities", static_cast<unsigned>(b.capabilities))
                .field("enabled_capabilities", static_cast<unsigned>(b.enabled_capabilities));
          }
          if (!b.mud_url.empty()) w.field("mud_url", b.mud_url);
        }
      },
      o.body);
  w.end_object();
  w.end_object();
}

void device_json(const inventory::Device& d, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("id", d.id);
  if (d.has_mac) w.field("mac", d.mac.to_string());
  w.field("vendor", d.vendor);
  if (d.randomized_mac) w.field("randomized_mac", true);
  w.field("type", inventory::device_type_name(d.type)).key("confidence").value(d.confidence, 2);
  epoch(w, "first_seen", d.first_seen);
  epoch(w, "last_seen", d.last_seen);
  w.key("addresses").begin_array();
  for (const auto& a : d.addresses) {
    w.begin_object().field("ip", a.ip.to_string()).field("source", a.source);
    epoch(w, "first_seen", a.first_seen);
    epoch(w, "last_seen", a.last_seen);
    w.end_object();
  }
  w.end_array();
  if (!d.hostname.empty()) w.field("hostname", d.hostname);
  if (!d.dhcp_vendor_class.empty() || !d.dhcp_fingerprint.empty()) {
    w.key("dhcp")
        .begin_object()
        .field("vendor_class", d.dhcp_vendor_class)
        .field("fingerprint", d.dhcp_fingerprint)
        .end_object();
  }
  if (!d.mud_url.empty()) w.field("mud_url", d.mud_url);
  if (!d.mdns_names.empty() || !d.mdns_services.empty()) {
    w.key("mdns").begin_object();
    set_array(w, "names", d.mdns_names);
    set_array(w, "services", d.mdns_services);
    w.end_object();
  }
  if (!d.ssdp_server.empty() || !d.ssdp_types.empty()) {
    w.key("ssdp").begin_object().field("server", d.ssdp_server);
    set_array(w, "types", d.ssdp_types);
    set_array(w, "usns", d.ssdp_usns);
    w.end_object();
  }
  if (!d.upnp_device_type.empty() || !d.upnp_model_name.empty()) {
    w.key("upnp")
        .begin_object()
        .field("device_type", d.upnp_device_type)
        .field("friendly_name", d.upnp_friendly_name)
        .field("manufacturer", d.upnp_manufacturer)
        .field("model_name", d.upnp_model_name)
        .field("model_number", d.upnp_model_number);
    set_array(w, "services", d.upnp_services);
    w.end_object();
  }
  if (!d.http_user_agents.empty()) set_array(w, "http_user_agents", d.http_user_agents);
  if (!d.http_servers.empty()) set_array(w, "http_servers", d.http_servers);
  if (!d.tls_ja3.empty() || !d.tls_sni.empty()) {
    w.key("tls").begin_object();
    set_array(w, "ja3", d.tls_ja3);
    set_array(w, "sni", d.tls_sni);
    w.end_object();
  }
  if (!d.mqtt_client_ids.empty()) set_array(w, "mqtt_client_ids", d.mqtt_client_ids);
  if (!d.dns_queries.empty()) set_array(w, "dns_queries", d.dns_queries);
  if (!d.tcp_server_ports.empty()) int_array(w, "tcp_server_ports", d.tcp_server_ports);
  if (!d.udp_server_ports.empty()) int_array(w, "udp_server_ports", d.udp_server_ports);
  if (!d.udp_announce_ports.empty()) int_array(w, "udp_announce_ports", d.udp_announce_ports);
  w.key("stats")
      .begin_object()
      .field("flows_originated", d.flows_originated)
      .field("flows_served", d.flows_served)
      .field("packets_sent", d.packets_sent)
      .field("bytes_sent", d.bytes_sent)
      .end_object();
  w.key("evidence").begin_array();
  for (const auto& e : d.evidence) {
    w.begin_object()
        .field("source", e.source)
        .field("value", e.value)
        .field("suggests", inventory::device_type_name(e.suggests))
        .field("weight", e.weight)
        .end_object();
  }
  w.end_array();
  w.end_object();
}

void alert_json(const detect::Alert& a, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("timestamp", format_rfc3339(a.first_ts));
  w.field("event_type", "alert");
  w.field("src_ip", a.src_ip.to_string());
  if (a.src_port) w.field("src_port", static_cast<unsigned>(a.src_port));
  if (!a.dest_ip.is_unspecified()) w.field("dest_ip", a.dest_ip.to_string());
  if (a.dest_port) w.field("dest_port", static_cast<unsigned>(a.dest_port));
  w.field("proto", a.proto == 0 ? std::string_view("arp") : proto_name(a.proto));
  w.key("alert")
      .begin_object()
      .field("action", "allowed")
      .field("gid", 1)
      .field("signature_id", static_cast<std::uint64_t>(a.signature_id))
      .field("rev", 1)
      .field("signature", a.signature)
      .field("category", a.category)
      .field("severity", static_cast<unsigned>(a.severity))
      .end_object();
  w.key("warden").begin_object();
  w.field("detector", a.detector).field("severity", detect::severity_name(a.severity));
  if (!a.device.empty()) w.field("device", a.device);
  w.field("explanation", a.explanation).field("count", a.count);
  w.field("first_seen", format_rfc3339(a.first_ts)).field("last_seen", format_rfc3339(a.last_ts));
  w.key("evidence").begin_object();
  for (const auto& e : a.evidence) {
    w.key(e.key);
    if (e.number)
      w.raw(e.value);
    else
      w.value(e.value);
  }
  w.end_object();
  w.end_object();
  w.end_object();
}

}  // namespace warden::storage
