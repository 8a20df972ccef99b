// The device-type rule table and the scorer. Rules are data: each says "when this field
// contains this text, the device is probably this type, with this weight". A device's type is
// the best-scoring type; its confidence grows with the score and shrinks when evidence
// disagrees. Weights: ~60 for an outright statement (a UPnP deviceType, a Sonos ZonePlayer),
// ~35-50 for strong hints (a DHCP host name, an mDNS service), ~10-20 for weak ones (the maker
// of the network chip, which often builds many kinds of device).
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include "core/text.h"
#include "inventory/device.h"

namespace warden::inventory {

namespace {

using T = DeviceType;

enum class Field : std::uint8_t {
  kHostname,
  kDhcpVendorClass,
  kMdnsService,
  kMdnsName,
  kSsdp,
  kUpnp,
  kUserAgent,
  kHttpServer,
  kVendor,
  kSni,
  kDnsQuery,
  kMqttClientId
};

struct Rule {
  Field field;
  std::string_view pattern;  // lowercase; short patterns (< 5 chars) must start a word
  T type;
  int weight;
};

constexpr Rule kRules[] = {
    // DHCP host names and mDNS host names: makers' defaults name the product.
    {Field::kHostname, "camera", T::kCamera, 40},
    {Field::kHostname, "ipcam", T::kCamera, 40},
    {Field::kHostname, "cam", T::kCamera, 30},
    {Field::kHostname, "dvr", T::kCamera, 35},
    {Field::kHostname, "nvr", T::kCamera, 35},
    {Field::kHostname, "doorbell", T::kCamera, 40},
    {Field::kHostname, "plug", T::kPlug, 40},
    {Field::kHostname, "hs100", T::kPlug, 50},
    {Field::kHostname, "hs110", T::kPlug, 50},
    {Field::kHostname, "hs105", T::kPlug, 50},
    {Field::kHostname, "kp115", T::kPlug, 50},
    {Field::kHostname, "wemo", T::kPlug, 45},
    {Field::kHostname, "tasmota", T::kPlug, 35},
    {Field::kHostname, "shelly", T::kPlug, 35},
    {Field::kHostname, "bulb", T::kBulb, 45},
    {Field::kHostname, "lifx", T::kBulb, 50},
    {Field::kHostname, "yeelink", T::kBulb, 45},
    {Field::kHostname, "lamp", T::kBulb, 35},
    {Field::kHostname, "hue", T::kHub, 35},
    {Field::kHostname, "bridge", T::kHub, 25},
    {Field::kHostname, "smartthings", T::kHub, 50},
    {Field::kHostname, "hub", T::kHub, 30},
    {Field::kHostname, "echo", T::kSpeaker, 40},
    {Field::kHostname, "alexa", T::kSpeaker, 35},
    {Field::kHostname, "sonos", T::kSpeaker, 50},
    {Field::kHostname, "google-home", T::kSpeaker, 45},
    {Field::kHostname, "homepod", T::kSpeaker, 50},
    {Field::kHostname, "speaker", T::kSpeaker, 40},
    {Field::kHostname, "chromecast", T::kTv, 45},
    {Field::kHostname, "roku", T::kTv, 50},
    {Field::kHostname, "firetv", T::kTv, 50},
    {Field::kHostname, "bravia", T::kTv, 50},
    {Field::kHostname, "webos", T::kTv, 45},
    {Field::kHostname, "tizen", T::kTv, 35},
    {Field::kHostname, "apple-tv", T::kTv, 50},
    {Field::kHostname, "tv", T::kTv, 35},
    {Field::kHostname, "printer", T::kPrinter, 50},
    {Field::kHostname, "epson", T::kPrinter, 40},
    {Field::kHostname, "officejet", T::kPrinter, 50},
    {Field::kHostname, "laserjet", T::kPrinter, 50},
    {Field::kHostname, "deskjet", T::kPrinter, 50},
    {Field::kHostname, "brn", T::kPrinter, 30},
    {Field::kHostname, "iphone", T::kPhoneComputer, 45},
    {Field::kHostname, "ipad", T::kPhoneComputer, 45},
    {Field::kHostname, "android", T::kPhoneComputer, 40},
    {Field::kHostname, "galaxy", T::kPhoneComputer, 40},
    {Field::kHostname, "pixel", T::kPhoneComputer, 35},
    {Field::kHostname, "macbook", T::kPhoneComputer, 45},
    {Field::kHostname, "imac", T::kPhoneComputer, 45},
    {Field::kHostname, "desktop", T::kPhoneComputer, 40},
    {Field::kHostname, "laptop", T::kPhoneComputer, 40},
    {Field::kHostname, "router", T::kRouter, 45},
    {Field::kHostname, "openwrt", T::kRouter, 45},
    {Field::kHostname, "fritz", T::kRouter, 40},
    {Field::kHostname, "gateway", T::kRouter, 35},
    // DHCP vendor class (option 60).
    {Field::kDhcpVendorClass, "msft", T::kPhoneComputer, 30},
    {Field::kDhcpVendorClass, "android-dhcp", T::kPhoneComputer, 35},
    {Field::kDhcpVendorClass, "udhcp", T::kUnknown, 0},  // embedded Linux: says nothing alone
    // mDNS / DNS-SD service types a device announces.
    {Field::kMdnsService, "_googlecast", T::kTv, 35},
    {Field::kMdnsService, "_airplay", T::kTv, 25},
    {Field::kMdnsService, "_raop", T::kSpeaker, 25},
    {Field::kMdnsService, "_sonos", T::kSpeaker, 55},
    {Field::kMdnsService, "_spotify-connect", T::kSpeaker, 30},
    {Field::kMdnsService, "_amzn-wplay", T::kSpeaker, 30},
    {Field::kMdnsService, "_amzn-alexa", T::kSpeaker, 40},
    {Field::kMdnsService, "_ipp", T::kPrinter, 50},
    {Field::kMdnsService, "_printer", T::kPrinter, 50},
    {Field::kMdnsService, "_pdl-datastream", T::kPrinter, 50},
    {Field::kMdnsService, "_uscan", T::kPrinter, 40},
    {Field::kMdnsService, "_hap", T::kHub, 20},
    {Field::kMdnsService, "_hue", T::kHub, 55},
    {Field::kMdnsService, "_rtsp", T::kCamera, 40},
    {Field::kMdnsService, "_onvif", T::kCamera, 55},
    {Field::kMdnsService, "_axis-video", T::kCamera, 55},
    {Field::kMdnsService, "_companion-link", T::kPhoneComputer, 30},
    {Field::kMdnsService, "_apple-mobdev", T::kPhoneComputer, 35},
    {Field::kMdnsService, "_workstation", T::kPhoneComputer, 30},
    {Field::kMdnsService, "_smb", T::kPhoneComputer, 20},
    {Field::kMdnsService, "_esphomelib", T::kPlug, 20},
    // SSDP NT/ST/SERVER and UPnP description fields.
    {Field::kSsdp, "internetgatewaydevice", T::kRouter, 60},
    {Field::kSsdp, "wanipconnection", T::kRouter, 55},
    {Field::kSsdp, "wanpppconnection", T::kRouter, 55},
    {Field::kSsdp, "miniupnpd", T::kRouter, 30},
    {Field::kSsdp, "zoneplayer", T::kSpeaker, 60},
    {Field::kSsdp, "sonos", T::kSpeaker, 50},
    {Field::kSsdp, "mediarenderer", T::kTv, 30},
    {Field::kSsdp, "dial-multiscreen", T::kTv, 45},
    {Field::kSsdp, "roku", T::kTv, 55},
    {Field::kSsdp, "ipbridge", T::kHub, 55},
    {Field::kSsdp, "hue", T::kHub, 35},
    {Field::kSsdp, "belkin", T::kPlug, 40},
    {Field::kSsdp, "controllee", T::kPlug, 50},
    {Field::kSsdp, "digitalsecuritycamera", T::kCamera, 60},
    {Field::kSsdp, "networkcamera", T::kCamera, 55},
    {Field::kSsdp, "printer:", T::kPrinter, 55},
    {Field::kSsdp, "amazon", T::kSpeaker, 15},
    {Field::kUpnp, "internetgatewaydevice", T::kRouter, 60},
    {Field::kUpnp, "wanipconnection", T::kRouter, 55},
    {Field::kUpnp, "zoneplayer", T::kSpeaker, 60},
    {Field::kUpnp, "sonos", T::kSpeaker, 50},
    {Field::kUpnp, "mediarenderer", T::kTv, 30},
    {Field::kUpnp, "hue bridge", T::kHub, 60},
    {Field::kUpnp, "camera", T::kCamera, 45},
    {Field::kUpnp, "wemo", T::kPlug, 50},
    {Field::kUpnp, "printer", T::kPrinter, 50},
    {Field::kUpnp, "television", T::kTv, 45},
    {Field::kUpnp, "roku", T::kTv, 55},
    // HTTP user agents and server banners.
    {Field::kUserAgent, "dalvik", T::kPhoneComputer, 25},
    {Field::kUserAgent, "iphone", T::kPhoneComputer, 30},
    {Field::kUserAgent, "cfnetwork", T::kPhoneComputer, 20},
    {Field::kUserAgent, "windows nt", T::kPhoneComputer, 35},
    {Field::kUserAgent, "macintosh", T::kPhoneComputer, 35},
    {Field::kUserAgent, "x11; linux", T::kPhoneComputer, 25},
    {Field::kUserAgent, "roku", T::kTv, 45},
    {Field::kUserAgent, "smarttv", T::kTv, 45},
    {Field::kUserAgent, "smart-tv", T::kTv, 45},
    {Field::kUserAgent, "web0s", T::kTv, 45},
    {Field::kUserAgent, "bravia", T::kTv, 45},
    {Field::kUserAgent, "sonos", T::kSpeaker, 45},
    {Field::kHttpServer, "hikvision", T::kCamera, 50},
    {Field::kHttpServer, "dvrdvs", T::kCamera, 50},
    {Field::kHttpServer, "boa/", T::kCamera, 10},
    {Field::kHttpServer, "goahead", T::kCamera, 15},
    // The maker of the network interface (IEEE OUI registry).
    {Field::kVendor, "espressif", T::kPlug, 15},
    {Field::kVendor, "tuya", T::kPlug, 25},
    {Field::kVendor, "hikvision", T::kCamera, 35},
    {Field::kVendor, "dahua", T::kCamera, 35},
    {Field::kVendor, "axis communications", T::kCamera, 35},
    {Field::kVendor, "wyze", T::kCamera, 30},
    {Field::kVendor, "ring llc", T::kCamera, 30},
    {Field::kVendor, "arlo", T::kCamera, 30},
    {Field::kVendor, "amcrest", T::kCamera, 30},
    {Field::kVendor, "reolink", T::kCamera, 30},
    {Field::kVendor, "sonos", T::kSpeaker, 40},
    {Field::kVendor, "amazon technologies", T::kSpeaker, 15},
    {Field::kVendor, "philips lighting", T::kHub, 30},
    {Field::kVendor, "signify", T::kHub, 30},
    {Field::kVendor, "lifi labs", T::kBulb, 40},
    {Field::kVendor, "belkin", T::kPlug, 25},
    {Field::kVendor, "tp-link", T::kPlug, 10},
    {Field::kVendor, "roku", T::kTv, 40},
    {Field::kVendor, "lg electronics", T::kTv, 15},
    {Field::kVendor, "apple", T::kPhoneComputer, 25},
    {Field::kVendor, "raspberry pi", T::kPhoneComputer, 10},
    {Field::kVendor, "intel corporate", T::kPhoneComputer, 20},
    {Field::kVendor, "dell", T::kPhoneComputer, 20},
    {Field::kVendor, "lenovo", T::kPhoneComputer, 20},
    {Field::kVendor, "seiko epson", T::kPrinter, 40},
    {Field::kVendor, "brother industries", T::kPrinter, 40},
    {Field::kVendor, "canon", T::kPrinter, 25},
    {Field::kVendor, "ubiquiti", T::kRouter, 25},
    {Field::kVendor, "netgear", T::kRouter, 20},
    {Field::kVendor, "avm", T::kRouter, 30},
    {Field::kVendor, "mikrotik", T::kRouter, 30},
    {Field::kVendor, "nest labs", T::kHub, 20},
    {Field::kVendor, "smartthings", T::kHub, 40},
    // Cloud services a device talks to (TLS SNI and DNS queries).
    {Field::kSni, "tuya", T::kPlug, 30},
    {Field::kSni, "tplinkcloud", T::kPlug, 30},
    {Field::kSni, "sonos", T::kSpeaker, 35},
    {Field::kSni, "avs-alexa", T::kSpeaker, 35},
    {Field::kSni, "ring.com", T::kCamera, 30},
    {Field::kSni, "wyze", T::kCamera, 30},
    {Field::kSni, "ezviz", T::kCamera, 35},
    {Field::kSni, "hik-connect", T::kCamera, 35},
    {Field::kSni, "immedia-semi", T::kCamera, 35},
    {Field::kSni, "meethue", T::kHub, 35},
    {Field::kSni, "lifx", T::kBulb, 35},
    {Field::kSni, "xbcs.net", T::kPlug, 35},
    {Field::kSni, "smartthings", T::kHub, 35},
    {Field::kSni, "roku", T::kTv, 35},
    {Field::kSni, "nest.com", T::kHub, 20},
    {Field::kDnsQuery, "tuya", T::kPlug, 30},
    {Field::kDnsQuery, "tplinkcloud", T::kPlug, 30},
    {Field::kDnsQuery, "sonos", T::kSpeaker, 30},
    {Field::kDnsQuery, "avs-alexa", T::kSpeaker, 30},
    {Field::kDnsQuery, "ring.com", T::kCamera, 25},
    {Field::kDnsQuery, "wyze", T::kCamera, 25},
    {Field::kDnsQuery, "ezviz", T::kCamera, 30},
    {Field::kDnsQuery, "meethue", T::kHub, 30},
    {Field::kDnsQuery, "lifx", T::kBulb, 30},
    {Field::kDnsQuery, "xbcs.net", T::kPlug, 30},
    {Field::kDnsQuery, "roku", T::kTv, 30},
    {Field::kDnsQuery, "nest.com", T::kHub, 15},
    {Field::kMqttClientId, "tasmota", T::kPlug, 35},
    {Field::kMqttClientId, "shelly", T::kPlug, 35},
};

// Ports a device serves, and what serving them says.
struct PortRule {
  bool tcp;
  std::uint16_t port;
  T type;
  int weight;
  std::string_view what;
};
constexpr PortRule kPortRules[] = {
    {true, 554, T::kCamera, 40, "RTSP video"},
    {true, 9999, T::kPlug, 40, "TP-Link smart home"},
    {true, 6668, T::kPlug, 35, "Tuya local"},
    {true, 1400, T::kSpeaker, 45, "Sonos control"},
    {true, 8008, T::kTv, 30, "Google Cast"},
    {true, 8009, T::kTv, 30, "Google Cast"},
    {true, 631, T::kPrinter, 50, "IPP printing"},
    {true, 9100, T::kPrinter, 50, "raw printing"},
    {true, 515, T::kPrinter, 45, "LPD printing"},
    {true, 1883, T::kHub, 25, "MQTT broker"},
    {false, 53, T::kRouter, 35, "DNS resolver"},
    {false, 67, T::kRouter, 40, "DHCP server"},
    {false, 9999, T::kPlug, 40, "TP-Link smart home"},
    {false, 5683, T::kHub, 10, "CoAP"},
};

// UDP ports a device broadcasts to: discovery announcements name the product family.
constexpr PortRule kAnnounceRules[] = {
    {false, 6666, T::kPlug, 35, "Tuya local discovery"},
    {false, 6667, T::kPlug, 35, "Tuya local discovery"},
    {false, 9999, T::kHub, 20, "looks for TP-Link smart plugs"},
};

bool matches(std::string_view hay_lower, std::string_view pattern) {
  if (pattern.size() >= 5) return hay_lower.find(pattern) != std::string_view::npos;
  // Short patterns ("tv", "cam", "hue") must start a word, so "hpc" is not "hp".
  for (std::size_t p = hay_lower.find(pattern); p != std::string_view::npos;
       p = hay_lower.find(pattern, p + 1)) {
    if (p == 0 || !std::isalpha(static_cast<unsigned char>(hay_lower[p - 1]))) return true;
  }
  return false;
}

void apply(std::vector<Evidence>& evidence, Field field, std::string_view source,
           std::string_view value) {
  if (value.empty()) return;
  const std::string v = ascii_lower(value);
  for (const Rule& r : kRules) {
    if (r.field != field || r.weight == 0 || !matches(v, r.pattern)) continue;
    // One piece of evidence per (source, type): ten matching SNIs are not ten times the proof.
    bool dup = std::any_of(evidence.begin(), evidence.end(), [&](const Evidence& e) {
      return e.source == source && e.suggests == r.type;
    });
    if (!dup)
      evidence.push_back(Evidence{std::string(source), std::string(value), r.type, r.weight});
  }
}

template <class Set>
void apply_all(std::vector<Evidence>& evidence, Field field, std::string_view source,
               const Set& values) {
  for (const auto& v : values) apply(evidence, field, source, v);
}

}  // namespace

std::string_view device_type_name(DeviceType t) {
  static constexpr std::string_view kNames[] = {
      "unknown", "camera", "plug",    "bulb",           "hub",
      "speaker", "tv",     "printer", "phone_computer", "router"};
  auto i = static_cast<std::size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Classification classification_of(const Device& d) {
  Classification c;
  auto& ev = c.evidence;
  apply(ev, Field::kHostname, "dhcp.hostname", d.hostname);
  apply_all(ev, Field::kHostname, "mdns.name", d.mdns_names.items());
  apply(ev, Field::kDhcpVendorClass, "dhcp.vendor_class", d.dhcp_vendor_class);
  apply_all(ev, Field::kMdnsService, "mdns.service", d.mdns_services.items());
  apply(ev, Field::kSsdp, "ssdp.server", d.ssdp_server);
  apply_all(ev, Field::kSsdp, "ssdp.type", d.ssdp_types.items());
  apply(ev, Field::kUpnp, "upnp.device_type", d.upnp_device_type);
  apply(ev, Field::kUpnp, "upnp.model",
        d.upnp_manufacturer + " " + d.upnp_model_name + " " + d.upnp_friendly_name);
  apply_all(ev, Field::kUpnp, "upnp.service", d.upnp_services.items());
  apply_all(ev, Field::kUserAgent, "http.user_agent", d.http_user_agents.items());
  apply_all(ev, Field::kHttpServer, "http.server", d.http_servers.items());
  apply(ev, Field::kVendor, "oui.vendor", d.vendor);
  apply_all(ev, Field::kSni, "tls.sni", d.tls_sni.items());
  apply_all(ev, Field::kDnsQuery, "dns.query", d.dns_queries.items());
  apply_all(ev, Field::kMqttClientId, "mqtt.client_id", d.mqtt_client_ids.items());
  for (const PortRule& r : kPortRules) {
    const auto& ports = r.tcp ? d.tcp_server_ports : d.udp_server_ports;
    if (ports.contains(r.port)) {
      ev.push_back(Evidence{r.tcp ? "tcp.serves" : "udp.serves",
                            std::to_string(r.port) + " (" + std::string(r.what) + ")", r.type,
                            r.weight});
    }
  }
  for (const PortRule& r : kAnnounceRules) {
    if (d.udp_announce_ports.contains(r.port)) {
      ev.push_back(Evidence{"udp.announces",
                            std::to_string(r.port) + " (" + std::string(r.what) + ")", r.type,
                            r.weight});
    }
  }
  if (d.remote_peers_sample.size() >= 3) {
    // Its MAC carries packets from several internet hosts: it forwards traffic.
    ev.push_back(
        Evidence{"traffic.forwards",
                 std::to_string(d.remote_peers_sample.size()) + "+ internet hosts behind this MAC",
                 T::kRouter, 50});
  }

  std::array<int, static_cast<std::size_t>(T::kCount)> score{};
  int total = 0;
  for (const Evidence& e : ev) {
    score[static_cast<std::size_t>(e.suggests)] += e.weight;
    total += e.weight;
  }
  auto best = std::max_element(score.begin(), score.end());
  if (*best <= 0) return c;
  c.type = static_cast<T>(best - score.begin());
  // Saturating in the winning score, discounted by the share of contrary evidence.
  const double strength = 1.0 - std::exp(-static_cast<double>(*best) / 45.0);
  const double agreement = static_cast<double>(*best) / static_cast<double>(total);
  c.confidence = std::round(std::min(0.99, strength * agreement) * 100.0) / 100.0;
  std::stable_sort(ev.begin(), ev.end(),
                   [](const Evidence& a, const Evidence& b) { return a.weight > b.weight; });
  return c;
}

void classify(Device& d) {
  Classification c = classification_of(d);
  d.type = c.type;
  d.confidence = c.confidence;
  d.evidence = std::move(c.evidence);
}

}  // namespace warden::inventory
