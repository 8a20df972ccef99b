// Observation: a typed fact seen on the wire (a DHCP request, a DNS answer, a TLS hello...),
// with the packet context it came from. Observations are the pipeline's vocabulary above flows:
// the inventory learns devices from them, the writers log them, detectors will judge them.
// They own their data (strings are copied out of the packet), so they may outlive the packet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/net.h"
#include "core/time.h"
#include "protocols/dhcp.h"
#include "protocols/dns.h"
#include "protocols/lldp.h"
#include "protocols/login.h"
#include "protocols/mqtt.h"
#include "protocols/ssdp.h"
#include "protocols/tls.h"

namespace warden::dissect {

struct ObsContext {
  Timestamp ts = 0;
  std::uint64_t flow_uid = 0;  // Flow::uid_value(), 0 when not tied to a flow; flow::uid_text()
  bool has_src_mac = false, has_dst_mac = false;
  MacAddr src_mac, dst_mac;
  IpAddr src_ip, dst_ip;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint8_t proto = 0;
  std::uint16_t vlan = 0;
  // False for link-layer observations (LLDP): no addresses, ports or protocol to report.
  bool has_ip = true;
};

enum class DnsFlavor : std::uint8_t { kDns, kMdns, kLlmnr };

// Unicast DNS is reported per transaction, as Zeek's dns.log does: the query and its answer
// in one record whose context is the query's (src = the asking client) and `rtt` is set. A
// query never answered is reported alone when its flow ends (rtt unset, msg.response false);
// an answer whose query was not seen is reported alone (context = the answering server).
// mDNS and LLMNR are announcements and questions to the link, reported per packet.
struct DnsObservation {
  DnsFlavor flavor = DnsFlavor::kDns;
  protocols::DnsMessage msg;
  std::optional<Timestamp> rtt;  // set when msg is the answer to a query seen on this flow
};

struct HttpRequestObservation {
  std::string method, host, uri, version, user_agent;
  std::string auth_scheme;  // "Basic", "Digest", ... of an Authorization header; never the secret
  std::string soap_action;  // SOAPAction header (UPnP control: AddPortMapping, ...)
};

struct HttpResponseObservation {
  int status = 0;
  std::string server, content_type;
};

struct UpnpDescriptionObservation {
  std::string location;  // the URL the client fetched, when seen
  protocols::UpnpDescription desc;
};

using ObservationBody =
    std::variant<protocols::DhcpMessage, DnsObservation, protocols::SsdpMessage,
                 UpnpDescriptionObservation, HttpRequestObservation, HttpResponseObservation,
                 protocols::TlsClientHello, protocols::TlsServerHello, protocols::MqttConnect,
                 protocols::CleartextLogin, protocols::LldpMessage>;

struct Observation {
  ObsContext ctx;
  ObservationBody body;
};

inline constexpr std::size_t kObservationKinds = std::variant_size_v<ObservationBody>;

// Stable type names used in observations.jsonl and the database.
std::string_view observation_type(const Observation& o);
// The name of each ObservationBody alternative, by index (DNS as "dns").
std::string_view observation_kind_name(std::size_t body_index);

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  virtual void on_observation(const Observation& obs) = 0;
};

}  // namespace warden::dissect
