// Helpers the device-behaviour detectors (baseline.cc, lateral.cc) share: which flows are the
// network's own plumbing, whether a flow was answered, and how to name a device to a person.
#pragma once

#include <string>
#include <string_view>

#include "decode/decode.h"
#include "flow/flow.h"
#include "inventory/device.h"

namespace warden::detect {

// Name resolution, address assignment, time, discovery and announcements: every device does
// them with whatever answers, so they say nothing about its behaviour.
inline bool infrastructure_flow(const flow::Flow& f) {
  if (f.key.proto != decode::kProtoTcp && f.key.proto != decode::kProtoUdp) return true;
  if (f.resp_ip().is_multicast() || f.resp_ip().is_broadcast() || f.resp_mac.is_multicast())
    return true;
  switch (f.app) {
    case flow::AppProto::kDns:
    case flow::AppProto::kMdns:
    case flow::AppProto::kLlmnr:
    case flow::AppProto::kNetbios:
    case flow::AppProto::kDhcp:
    case flow::AppProto::kDhcpv6:
    case flow::AppProto::kSsdp:
    case flow::AppProto::kNtp:
    case flow::AppProto::kWsd:
      return true;
    default:
      break;
  }
  switch (f.resp_port()) {
    case 53:
    case 67:
    case 68:
    case 123:
    case 137:
    case 138:
    case 546:
    case 547:
    case 1900:
    case 3702:
    case 5353:
    case 5355:
      return true;
    default:
      return false;
  }
}

// The responder took part: a SYN-ACK (or, picked up mid-stream, packets both ways), or a UDP
// reply.
inline bool answered(const flow::Flow& f) {
  if (f.key.proto == decode::kProtoTcp) {
    if (f.tcp_seen & (2 << 8)) return true;
    return !(f.tcp_seen & 1) && f.dir[0].packets > 0 && f.dir[1].packets > 0;
  }
  return f.dir[1].packets > 0;
}

// "smart plug", "camera": a device type as a person says it.
inline std::string_view type_noun(inventory::DeviceType t) {
  using T = inventory::DeviceType;
  switch (t) {
    case T::kCamera:
      return "camera";
    case T::kPlug:
      return "smart plug";
    case T::kBulb:
      return "smart bulb";
    case T::kHub:
      return "smart-home hub";
    case T::kSpeaker:
      return "speaker";
    case T::kTv:
      return "TV";
    case T::kPrinter:
      return "printer";
    case T::kPhoneComputer:
      return "phone or computer";
    case T::kRouter:
      return "router";
    default:
      return "device";
  }
}

// "smart plug (Tuya-5A1B, 192.168.1.23)": the type, then the name it gave and the address.
inline std::string describe_device(inventory::DeviceType t, const inventory::Device* d,
                                   const IpAddr& ip) {
  std::string s(type_noun(t));
  s += " (";
  if (d && !d->display_name().empty()) {
    s += d->display_name();
    s += ", ";
  } else if (d && !d->vendor.empty()) {
    s += d->vendor;
    s += ", ";
  }
  s += ip.to_string();
  s += ")";
  return s;
}

}  // namespace warden::detect
