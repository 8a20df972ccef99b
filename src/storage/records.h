// JSON renderings of warden's records, one function per record type, shared by the JSON Lines
// files and the SQLite store (which keeps the same JSON beside its indexed columns).
//   flows.jsonl        one line per ended flow, Zeek conn.log field names ("id.orig_h", ...)
//   observations.jsonl one line per observation, Suricata EVE shape (timestamp, event_type,
//                      src_ip/dest_ip, and an object named after the event type)
//   devices.jsonl      one line per device of the inventory
#pragma once

#include <string>

#include "detect/alert.h"
#include "dissect/observation.h"
#include "flow/flow.h"
#include "inventory/device.h"

namespace warden::storage {

std::string_view proto_name(std::uint8_t ip_proto);  // "tcp", "udp", "icmp", ... or the number

void flow_json(const flow::Flow& f, flow::EndReason reason, std::string& out);
void observation_json(const dissect::Observation& o, std::string& out);
void device_json(const inventory::Device& d, std::string& out);
// alerts.jsonl: Suricata EVE "alert" events plus a "warden" object.
void alert_json(const detect::Alert& a, std::string& out);

}  // namespace warden::storage
