// AppProto: the application-protocol label of a flow. The list is data: the name table in
// app_proto.cc gives each label the name nDPI uses, so results compare directly with nDPI's.
#pragma once

#include <cstdint>
#include <string_view>

namespace warden::flow {

#define WARDEN_APP_PROTOS(X)     \
  X(kUnknown, "Unknown")         \
  X(kDns, "DNS")                 \
  X(kMdns, "MDNS")               \
  X(kLlmnr, "LLMNR")             \
  X(kNetbios, "NetBIOS")         \
  X(kDhcp, "DHCP")               \
  X(kDhcpv6, "DHCPV6")           \
  X(kSsdp, "SSDP")               \
  X(kHttp, "HTTP")               \
  X(kHttpProxy, "HTTP_Proxy")    \
  X(kTls, "TLS")                 \
  X(kQuic, "QUIC")               \
  X(kMqtt, "MQTT")               \
  X(kCoap, "COAP")               \
  X(kTelnet, "Telnet")           \
  X(kSsh, "SSH")                 \
  X(kFtp, "FTP_CONTROL")         \
  X(kRtsp, "RTSP")               \
  X(kNtp, "NTP")                 \
  X(kSnmp, "SNMP")               \
  X(kSyslog, "Syslog")           \
  X(kStun, "STUN")               \
  X(kWsd, "WSD")                 \
  X(kTuyaLp, "TuyaLP")           \
  X(kTplinkShp, "TPLINK_SHP")    \
  X(kNestLogSink, "NestLogSink") \
  X(kDropbox, "Dropbox")         \
  X(kSonos, "Sonos")             \
  X(kIcmp, "ICMP")               \
  X(kIcmpv6, "ICMPV6")           \
  X(kIgmp, "IGMP")               \
  X(kSmtp, "SMTP")               \
  X(kUpnp, "UPnP")

enum class AppProto : std::uint8_t {
#define WARDEN_APP_ENUM(id, name) id,
  WARDEN_APP_PROTOS(WARDEN_APP_ENUM)
#undef WARDEN_APP_ENUM
      kCount
};

std::string_view app_proto_name(AppProto p);

}  // namespace warden::flow
