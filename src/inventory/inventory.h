// DeviceInventory: the single writer of device state. It learns devices from flow starts and
// ends (who talks, from which address, which ports it serves), ARP, and typed observations
// (DHCP, mDNS, SSDP/UPnP, HTTP, TLS, MQTT, DNS), and labels each device with a type, a
// confidence and the evidence behind it. It is fed per flow and per observation, never per
// packet, so its cost on the data path is negligible.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "decode/decode.h"
#include "dissect/observation.h"
#include "flow/flow.h"
#include "inventory/device.h"
#include "inventory/oui.h"

namespace warden::inventory {

struct InventoryConfig {
  std::size_t max_devices = 65'536;  // a spoofed-MAC flood must not exhaust memory
  std::size_t max_addresses_per_device = 64;
  std::size_t max_ports_per_device = 64;
};

class DeviceInventory {
 public:
  // oui may be null (vendor names then stay empty); it must outlive the inventory.
  DeviceInventory(const InventoryConfig& config, const OuiDatabase* oui);

  void on_flow_start(const flow::Flow& flow, const decode::DecodedPacket& first);
  void on_flow_end(const flow::Flow& flow);
  void on_arp(const decode::DecodedPacket& pkt);
  void on_observation(const dissect::Observation& obs);

  // Runs the type classifier over every device (cheap; call before reporting).
  void classify_all();

  // Devices in order of first appearance.
  const std::vector<std::unique_ptr<Device>>& devices() const { return devices_; }
  const Device* find(const MacAddr& mac) const;
  // The local device at one end of a flow: by MAC when the capture has one, else by address
  // (raw-IP captures). Null for internet hosts (seen through the router) and unknown devices.
  const Device* find_endpoint(const MacAddr& mac, const IpAddr& ip) const;
  std::uint64_t devices_dropped() const { return dropped_; }

 private:
  Device* device_for(const MacAddr& mac, Timestamp ts);
  Device* device_for_ip(const IpAddr& ip, Timestamp ts);
  // The device an observation's sender is: by MAC when the capture has one, else by address.
  Device* sender(const dissect::ObsContext& ctx);
  void bind_address(Device& d, const IpAddr& ip, Timestamp ts, std::string_view source);

  InventoryConfig config_;
  const OuiDatabase* oui_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::unordered_map<MacAddr, Device*> by_mac_;
  std::unordered_map<IpAddr, Device*> by_ip_;  // current owner of each local address
  std::uint64_t dropped_ = 0;
};

}  // namespace warden::inventory
