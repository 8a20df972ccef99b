#include "dissect/dissector.h"

#include <algorithm>
#include <string>

#include "core/text.h"
#include "protocols/http.h"

namespace warden::dissect {

using flow::AppProto;
using flow::Direction;

namespace {

// Reassembly state for the few TCP messages worth waiting for (a TLS hello split over
// segments, an HTTP head, a UPnP description body). In-order only: a gap ends buffering, which
// costs a missed observation, never a wrong one.
struct StreamState : flow::FlowExtension {
  std::array<std::string, 2> buf;
  std::array<std::uint32_t, 2> next_seq{};
  std::array<bool, 2> buffering{};
  bool hello_seen = false, server_hello_seen = false;
  bool request_seen = false, response_seen = false;
  bool mqtt_ping_sent = false;
  bool want_body = false;
  std::size_t body_start = 0, body_length = 0;
  std::string location;                  // http://host/target of the request, for UPnP descriptions
  std::vector<Observation> pending_dns;  // queries waiting for their answers, oldest first
  // FTP/Telnet: the login being followed, and payload packets given to it per direction.
  std::unique_ptr<protocols::LoginTracker> login;
  std::array<std::uint8_t, 2> login_packets{};
};

StreamState& state_of(flow::Flow& f) {
  if (!f.ext) f.ext = std::make_unique<StreamState>();
  return static_cast<StreamState&>(*f.ext);
}

bool starts_with(Bytes b, std::string_view prefix) {
  return b.size() >= prefix.size() && as_string_view(b.first(prefix.size())) == prefix;
}

// A TLS record whose declared length runs past the bytes we have: wait for more.
bool tls_needs_more(Bytes b) {
  if (b.size() < 5) return true;
  std::size_t len = (std::size_t{byte_at(b, 3)} << 8) | byte_at(b, 4);
  return 5 + len > b.size();
}

bool is_telnet_negotiation(Bytes b) {
  return b.size() >= 3 && byte_at(b, 0) == 0xff && byte_at(b, 1) >= 0xfb && byte_at(b, 1) <= 0xfe;
}

std::string str(std::optional<std::string_view> v) { return v ? std::string(*v) : std::string(); }

}  // namespace

std::string_view observation_kind_name(std::size_t index) {
  static constexpr std::string_view kNames[] = {"dhcp",
                                                "dns",
                                                "ssdp",
                                                "upnp_description",
                                                "http_request",
                                                "http_response",
                                                "tls_client_hello",
                                                "tls_server_hello",
                                                "mqtt_connect",
                                                "login",
                                                "lldp"};
  static_assert(std::size(kNames) == kObservationKinds, "one name per ObservationBody type");
  return index < kObservationKinds ? kNames[index] : "unknown";
}

std::string_view observation_type(const Observation& o) {
  if (const auto* dns = std::get_if<DnsObservation>(&o.body)) {
    if (dns->flavor == DnsFlavor::kMdns) return "mdns";
    if (dns->flavor == DnsFlavor::kLlmnr) return "llmnr";
  }
  return observation_kind_name(o.body.index());
}

AppProto app_from_port(std::uint8_t ip_proto, std::uint16_t port) {
  if (ip_proto == decode::kProtoTcp) {
    switch (port) {
      case 80:
      case 7080:
      case 8000:
        return AppProto::kHttp;
      case 8080:
      case 3128:
        return AppProto::kHttpProxy;
      case 443:
      case 8443:
      case 8883:
        return AppProto::kTls;
      case 22:
        return AppProto::kSsh;
      case 23:
      case 2323:
        return AppProto::kTelnet;
      case 21:
        return AppProto::kFtp;
      case 25:
      case 587:
        return AppProto::kSmtp;
      case 53:
        return AppProto::kDns;
      case 554:
        return AppProto::kRtsp;
      case 1883:
        return AppProto::kMqtt;
      case 9999:
        return AppProto::kTplinkShp;
      case 6668:
        return AppProto::kTuyaLp;
      case 11095:
        return AppProto::kNestLogSink;
      case 1400:
      case 1443:
        return AppProto::kSonos;
      default:
        return AppProto::kUnknown;
    }
  }
  if (ip_proto == decode::kProtoUdp) {
    switch (port) {
      case 53:
        return AppProto::kDns;
      case 5353:
        return AppProto::kMdns;
      case 5355:
        return AppProto::kLlmnr;
      case 67:
      case 68:
        return AppProto::kDhcp;
      case 546:
      case 547:
        return AppProto::kDhcpv6;
      case 137:
      case 138:
        return AppProto::kNetbios;
      case 1900:
        return AppProto::kSsdp;
      case 3702:
        return AppProto::kWsd;
      case 5683:
        return AppProto::kCoap;
      case 123:
        return AppProto::kNtp;
      case 161:
      case 162:
        return AppProto::kSnmp;
      case 514:
        return AppProto::kSyslog;
      case 3478:
        return AppProto::kStun;
      case 6666:
      case 6667:
        return AppProto::kTuyaLp;
      case 9999:
        return AppProto::kTplinkShp;
      case 17500:
        return AppProto::kDropbox;
      case 443:
        return AppProto::kQuic;
      default:
        return AppProto::kUnknown;
    }
  }
  return AppProto::kUnknown;
}

ObsContext Dissector::context(const flow::Flow& f, const decode::DecodedPacket& pkt) const {
  ObsContext c;
  c.ts = pkt.ts;
  c.flow_uid = f.uid_value();
  c.has_src_mac = pkt.has_l2;
  c.src_mac = pkt.src_mac;
  c.has_dst_mac = pkt.has_dst_mac;
  c.dst_mac = pkt.dst_mac;
  c.src_ip = pkt.src_ip;
  c.dst_ip = pkt.dst_ip;
  c.src_port = pkt.src_port;
  c.dst_port = pkt.dst_port;
  c.proto = pkt.ip_proto;
  c.vlan = pkt.vlan;
  return c;
}

void Dissector::emit(const flow::Flow& f, const decode::DecodedPacket& pkt, ObservationBody body) {
  ++stats_.observations[body.index()];
  Observation o{context(f, pkt), std::move(body)};
  sink_.on_observation(o);
}

void Dissector::on_link_frame(const decode::DecodedPacket& pkt) {
  if (pkt.ethertype != protocols::kEtherLldp) return;
  auto m = protocols::parse_lldp(pkt.link_payload);
  if (!m) {
    anomalies_.add(Anomaly::kMalformedLldp);
    return;
  }
  ObsContext c;  // no flow and no IP: the link-layer addresses are the context
  c.ts = pkt.ts;
  c.has_src_mac = pkt.has_l2;
  c.src_mac = pkt.src_mac;
  c.has_dst_mac = pkt.has_dst_mac;
  c.dst_mac = pkt.dst_mac;
  c.vlan = pkt.vlan;
  c.has_ip = false;
  ObservationBody body(std::move(*m));
  ++stats_.observations[body.index()];
  Observation o{c, std::move(body)};
  sink_.on_observation(o);
}

void Dissector::on_packet(flow::Flow& f, Direction dir, const decode::DecodedPacket& pkt) {
  switch (pkt.ip_proto) {
    case decode::kProtoUdp:
      if (pkt.has_l4) udp(f, dir, pkt);
      return;
    case decode::kProtoTcp:
      if (pkt.has_l4 && !f.dissect_done && !pkt.payload.empty()) tcp(f, dir, pkt);
      return;
    case decode::kProtoIcmp:
      f.app = AppProto::kIcmp;
      break;
    case decode::kProtoIcmpv6:
      f.app = AppProto::kIcmpv6;
      break;
    case decode::kProtoIgmp:
      f.app = AppProto::kIgmp;
      break;
    default:
      break;
  }
  f.dissect_done = true;
}

void Dissector::dns(flow::Flow& f, const decode::DecodedPacket& pkt, protocols::DnsMessage msg) {
  StreamState& st = state_of(f);
  auto& pending = st.pending_dns;
  if (!msg.response) {
    if (pending.size() >= kMaxPendingDns) {  // a flood of unanswered queries: report the oldest
      ++stats_.observations[pending.front().body.index()];
      sink_.on_observation(pending.front());
      pending.erase(pending.begin());
    }
    pending.push_back(Observation{context(f, pkt),
                                  DnsObservation{DnsFlavor::kDns, std::move(msg), std::nullopt}});
    return;
  }
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    auto& q = std::get<DnsObservation>(it->body);
    if (q.msg.id != msg.id) continue;
    Observation merged{std::move(it->ctx),
                       DnsObservation{DnsFlavor::kDns, std::move(msg), pkt.ts - it->ctx.ts}};
    pending.erase(it);
    ++stats_.observations[merged.body.index()];
    sink_.on_observation(merged);
    return;
  }
  emit(f, pkt, DnsObservation{DnsFlavor::kDns, std::move(msg), std::nullopt});
}

void Dissector::on_flow_end(flow::Flow& f) {
  if (f.ext) {
    // Queries that were never answered are reported when their flow ends.
    for (auto& q : static_cast<StreamState&>(*f.ext).pending_dns) {
      ++stats_.observations[q.body.index()];
      sink_.on_observation(q);
    }
    static_cast<StreamState&>(*f.ext).pending_dns.clear();
  }
  if (f.app != AppProto::kUnknown) return;
  AppProto guess = app_from_port(f.key.proto, f.resp_port());
  if (guess == AppProto::kUnknown) guess = app_from_port(f.key.proto, f.orig_port());
  if (guess != AppProto::kUnknown) {
    f.app = guess;
    f.app_by_port = true;
  }
}

void Dissector::udp(flow::Flow& f, Direction /*dir*/, const decode::DecodedPacket& pkt) {
  const auto is = [&](std::uint16_t p) { return pkt.src_port == p || pkt.dst_port == p; };
  const Bytes data = pkt.payload;
  if (is(67) || is(68)) {
    f.app = AppProto::kDhcp;
    if (auto m = protocols::parse_dhcp(data))
      emit(f, pkt, std::move(*m));
    else
      anomalies_.add(Anomaly::kMalformedDhcp);
    return;
  }
  const DnsFlavor flavor = is(5353)   ? DnsFlavor::kMdns
                           : is(5355) ? DnsFlavor::kLlmnr
                           : is(53)   ? DnsFlavor::kDns
                                      : DnsFlavor{255};
  if (flavor != DnsFlavor{255}) {
    f.app = flavor == DnsFlavor::kMdns    ? AppProto::kMdns
            : flavor == DnsFlavor::kLlmnr ? AppProto::kLlmnr
                                          : AppProto::kDns;
    auto m = protocols::parse_dns(data);
    if (!m) {
      anomalies_.add(Anomaly::kMalformedDns);
    } else if (flavor == DnsFlavor::kDns) {
      dns(f, pkt, std::move(*m));
    } else {
      emit(f, pkt, DnsObservation{flavor, std::move(*m), std::nullopt});
    }
    return;
  }
  // SSDP by payload too: discovery protocols reuse it on other ports (Plex on 32412/32414).
  if (is(1900) || f.app == AppProto::kSsdp ||
      (f.app == AppProto::kUnknown &&
       (starts_with(data, "M-SEARCH * ") || starts_with(data, "NOTIFY * ")))) {
    f.app = AppProto::kSsdp;
    if (auto m = protocols::parse_ssdp(data))
      emit(f, pkt, std::move(*m));
    else
      anomalies_.add(Anomaly::kMalformedSsdp);
    return;
  }
  if (f.dissect_done) return;
  f.dissect_done = true;
  // CoAP: version 1 in the top two bits, and a sane token length.
  if ((is(5683) || is(5684)) && !data.empty() && (byte_at(data, 0) >> 6) == 1 &&
      (byte_at(data, 0) & 0x0f) <= 8) {
    f.app = AppProto::kCoap;
    return;
  }
  // QUIC long header (initial packets) on 443.
  if (is(443) && !data.empty() && (byte_at(data, 0) & 0xc0) == 0xc0) {
    f.app = AppProto::kQuic;
    return;
  }
  AppProto p = app_from_port(decode::kProtoUdp, f.resp_port());
  if (p == AppProto::kUnknown) p = app_from_port(decode::kProtoUdp, f.orig_port());
  if (p != AppProto::kUnknown && p != AppProto::kCoap && p != AppProto::kQuic) f.app = p;
}

void Dissector::tcp(flow::Flow& f, Direction dir, const decode::DecodedPacket& pkt) {
  const auto d = static_cast<std::size_t>(dir);
  if (f.ext && static_cast<StreamState&>(*f.ext).login) {
    follow_login(f, dir, pkt, pkt.payload);
    return;
  }
  if (f.inspected[0] >= kMaxInspected && f.inspected[1] >= kMaxInspected) {
    f.dissect_done = true;
    return;
  }
  if (f.inspected[d] >= kMaxInspected) return;
  ++f.inspected[d];

  Bytes data = pkt.payload;
  if (f.ext) {
    auto& st = static_cast<StreamState&>(*f.ext);
    if (st.buffering[d]) {
      if (pkt.tcp_seq != st.next_seq[d]) return;  // retransmission or gap: not in order
      st.buf[d].append(as_string_view(data));
      st.next_seq[d] += static_cast<std::uint32_t>(data.size());
      stats_.reassembled_bytes += data.size();
      data = as_bytes(st.buf[d]);
    }
  }
  if (dir == Direction::kOrigToResp) {
    tcp_client_payload(f, pkt, data);
  } else {
    tcp_server_payload(f, pkt, data);
  }
}

namespace {
// Starts (or continues) buffering this direction from the current packet on.
void keep_buffering(flow::Flow& f, std::size_t d, const decode::DecodedPacket& pkt, Bytes data) {
  StreamState& st = state_of(f);
  if (!st.buffering[d]) {
    st.buffering[d] = true;
    st.buf[d].assign(as_string_view(data));
    st.next_seq[d] = pkt.tcp_seq + static_cast<std::uint32_t>(pkt.payload.size());
  }
  if (st.buf[d].size() > Dissector::kMaxBuffered) {
    st.buffering[d] = false;
    st.buf[d].clear();
  }
}
void stop_buffering(flow::Flow& f, std::size_t d) {
  if (!f.ext) return;
  auto& st = static_cast<StreamState&>(*f.ext);
  st.buffering[d] = false;
  std::string().swap(st.buf[d]);
}
}  // namespace

void Dissector::tcp_client_payload(flow::Flow& f, const decode::DecodedPacket& pkt, Bytes data) {
  constexpr std::size_t d = 0;
  const bool unknown = f.app == AppProto::kUnknown;
  if ((unknown || f.app == AppProto::kTls) && protocols::looks_like_tls_handshake(data)) {
    f.app = AppProto::kTls;
    if (state_of(f).hello_seen) return;
    if (auto hello = protocols::parse_tls_client_hello(data)) {
      state_of(f).hello_seen = true;
      stop_buffering(f, d);
      emit(f, pkt, std::move(*hello));
    } else if (tls_needs_more(data)) {
      keep_buffering(f, d, pkt, data);
    } else {
      anomalies_.add(Anomaly::kMalformedTls);
      stop_buffering(f, d);
    }
    return;
  }
  if ((unknown || f.app == AppProto::kHttp || f.app == AppProto::kHttpProxy ||
       f.app == AppProto::kRtsp) &&
      protocols::looks_like_http_request(data)) {
    StreamState& st = state_of(f);
    if (st.request_seen) return;
    auto head = protocols::parse_http_head(data);
    if (!head) {
      anomalies_.add(Anomaly::kMalformedHttp);
      stop_buffering(f, d);
      return;
    }
    if (unknown) {
      const std::uint16_t port = f.resp_port();
      f.app = head->version.starts_with("RTSP") ? AppProto::kRtsp
              : (port == 8080 || port == 3128)  ? AppProto::kHttpProxy
                                                : AppProto::kHttp;
    }
    if (!head->complete && data.size() < 16 * 1024) {
      keep_buffering(f, d, pkt, data);
      return;
    }
    st.request_seen = true;
    stop_buffering(f, d);
    HttpRequestObservation r;
    r.method = std::string(head->method);
    r.uri = printable(head->target, 2048);
    r.version = std::string(head->version);
    r.host = str(head->header("host"));
    r.user_agent = str(head->header("user-agent"));
    if (auto auth = head->header("authorization")) {
      r.auth_scheme = printable(auth->substr(0, auth->find(' ')), 32);
    }
    r.soap_action = printable(str(head->header("soapaction")), 256);
    st.location = "http://" + r.host + r.uri;
    emit(f, pkt, std::move(r));
    return;
  }
  if (unknown) {
    if (auto type = protocols::mqtt_packet_type(data); type && *type == 1) {
      if (auto c = protocols::parse_mqtt_connect(data)) {
        f.app = AppProto::kMqtt;
        f.dissect_done = true;
        emit(f, pkt, std::move(*c));
        return;
      }
    }
    if (starts_with(data, "SSH-")) {
      f.app = AppProto::kSsh;
      f.dissect_done = true;
    } else if (data.size() == 2 && byte_at(data, 0) == 0xc0 && byte_at(data, 1) == 0) {
      // An MQTT PINGREQ on a session whose CONNECT was before the capture; the PINGRESP
      // answer confirms it (tcp_server_payload).
      state_of(f).mqtt_ping_sent = true;
    } else if (is_telnet_negotiation(data)) {
      f.app = AppProto::kTelnet;
      start_login(f, protocols::LoginTracker::Protocol::kTelnet);
      follow_login(f, Direction::kOrigToResp, pkt, data);
    }
  }
}

void Dissector::start_login(flow::Flow& f, protocols::LoginTracker::Protocol p) {
  state_of(f).login = std::make_unique<protocols::LoginTracker>(p);
}

void Dissector::follow_login(flow::Flow& f, Direction dir, const decode::DecodedPacket& pkt,
                             Bytes data) {
  StreamState& st = state_of(f);
  const auto d = static_cast<std::size_t>(dir);
  // Typing arrives a key per packet: a login takes a few dozen packets, then the flow is done.
  if (++st.login_packets[d] > kMaxLoginPackets || st.login->done()) {
    st.login.reset();
    f.dissect_done = true;
    return;
  }
  if (dir == Direction::kRespToOrig) {
    st.login->server(data);
    return;
  }
  if (auto login = st.login->client(data)) {
    st.login.reset();
    f.dissect_done = true;
    emit(f, pkt, std::move(*login));
  }
}

void Dissector::tcp_server_payload(flow::Flow& f, const decode::DecodedPacket& pkt, Bytes data) {
  constexpr std::size_t d = 1;
  const std::uint16_t port = f.resp_port();
  if (f.app == AppProto::kUnknown) {
    if (starts_with(data, "SSH-")) {
      f.app = AppProto::kSsh;
    } else if (starts_with(data, "RTSP/1.")) {
      f.app = AppProto::kRtsp;
    } else if (is_telnet_negotiation(data)) {
      f.app = AppProto::kTelnet;
    } else if (starts_with(data, "220") && (port == 21 || port == 2121)) {
      f.app = AppProto::kFtp;
    } else if (starts_with(data, "220") && (port == 25 || port == 587)) {
      f.app = AppProto::kSmtp;
    } else if (protocols::looks_like_tls_handshake(data)) {
      f.app = AppProto::kTls;  // the client hello was not captured; the server hello tells
    } else if (auto type = protocols::mqtt_packet_type(data);
               type && *type == 2 && data.size() == 4) {
      f.app = AppProto::kMqtt;  // a CONNACK answering a CONNECT we did not see
    } else if (data.size() == 2 && byte_at(data, 0) == 0xd0 && byte_at(data, 1) == 0 && f.ext &&
               static_cast<StreamState&>(*f.ext).mqtt_ping_sent) {
      f.app = AppProto::kMqtt;  // PINGRESP answering PINGREQ
    }
    if (f.app == AppProto::kTelnet || f.app == AppProto::kFtp) {
      start_login(f, f.app == AppProto::kFtp ? protocols::LoginTracker::Protocol::kFtp
                                             : protocols::LoginTracker::Protocol::kTelnet);
      follow_login(f, Direction::kRespToOrig, pkt, data);
      return;
    }
    if (f.app != AppProto::kUnknown && f.app != AppProto::kTls) {
      f.dissect_done = true;
      return;
    }
  }
  if (f.app == AppProto::kTls) {
    StreamState& st = state_of(f);
    if (st.server_hello_seen) return;
    if (auto hello = protocols::parse_tls_server_hello(data)) {
      st.server_hello_seen = true;
      stop_buffering(f, d);
      emit(f, pkt, std::move(*hello));
      if (st.hello_seen) f.dissect_done = true;
    } else if (tls_needs_more(data)) {
      keep_buffering(f, d, pkt, data);
    } else {
      stop_buffering(f, d);
    }
    return;
  }
  if (f.app == AppProto::kHttp || f.app == AppProto::kHttpProxy) {
    StreamState& st = state_of(f);
    if (!st.response_seen) {
      if (!protocols::looks_like_http_response(data)) return;
      auto head = protocols::parse_http_head(data);
      if (!head) {
        anomalies_.add(Anomaly::kMalformedHttp);
        f.dissect_done = true;
        return;
      }
      if (!head->complete && data.size() < 16 * 1024) {
        keep_buffering(f, d, pkt, data);
        return;
      }
      st.response_seen = true;
      HttpResponseObservation r;
      r.status = head->status;
      r.server = str(head->header("server"));
      r.content_type = str(head->header("content-type"));
      // UPnP device descriptions arrive as an XML body: worth waiting for, they name the
      // maker and model outright.
      if (head->status == 200 && icontains(r.content_type, "xml")) {
        st.want_body = true;
        st.body_start = head->head_length;
        st.body_length = 0;
        if (auto cl = head->header("content-length")) {
          std::size_t n = 0;
          for (char c : *cl) {
            if (c < '0' || c > '9' || n > kMaxBuffered) break;
            n = n * 10 + static_cast<std::size_t>(c - '0');
          }
          st.body_length = n;
        }
      }
      emit(f, pkt, std::move(r));
      if (!st.want_body) {
        stop_buffering(f, d);
        f.dissect_done = true;
        return;
      }
    }
    if (st.want_body) {
      std::string_view all = as_string_view(data);
      std::string_view body = all.size() > st.body_start ? all.substr(st.body_start) : "";
      const bool complete = (st.body_length > 0 && body.size() >= st.body_length) ||
                            body.find("</root>") != std::string_view::npos;
      if (!complete && all.size() < kMaxBuffered && f.inspected[d] < kMaxInspected) {
        keep_buffering(f, d, pkt, data);
        return;
      }
      st.want_body = false;
      if (auto desc = protocols::parse_upnp_description(body)) {
        emit(f, pkt, UpnpDescriptionObservation{st.location, std::move(*desc)});
      }
      stop_buffering(f, d);
      f.dissect_done = true;
    }
  }
}

}  // namespace warden::dissect
