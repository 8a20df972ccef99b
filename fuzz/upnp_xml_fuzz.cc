// Fuzzes what check_upnp reads from an IGD over HTTP: the response framing and parser, and the
// same bytes as a description document, a SOAP answer and a URL. Beyond "no crash", checks the
// bounds upnp_xml.h promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/upnp.h"
#include "scan/upnp_xml.h"

namespace {

using namespace warden::scan;

void check_description(std::string_view xml) {
  auto d = parse_device_description(xml);
  if (!d) {
    if (d.error().reason.empty() || d.error().offset > xml.size()) __builtin_trap();
    return;
  }
  if (d->devices.empty() || d->devices.size() > kUpnpMaxDevices) __builtin_trap();
  if (d->services.size() > kUpnpMaxServices) __builtin_trap();
  for (const auto& dev : d->devices) {
    for (const std::string* s :
         {&dev.device_type, &dev.friendly_name, &dev.manufacturer, &dev.model_name,
          &dev.model_number, &dev.serial_number, &dev.udn}) {
      if (s->size() > kUpnpMaxText) __builtin_trap();
    }
  }
  for (const auto& s : d->services) {
    if (s.service_type.size() > kUpnpMaxText || s.control_url.size() > kUpnpMaxText) {
      __builtin_trap();
    }
  }
}

void check_soap(std::string_view xml) {
  auto r = parse_soap_response(xml);
  if (!r) {
    if (r.error().reason.empty() || r.error().offset > xml.size()) __builtin_trap();
    return;
  }
  if (r->args.size() > kUpnpMaxSoapArgs) __builtin_trap();
  for (const auto& [k, v] : r->args) {
    if (k.size() > kUpnpMaxText || v.size() > kUpnpMaxText) __builtin_trap();
  }
  if (auto m = mapping_from_soap(*r)) {
    (void)describe_mapping(*m);
    (void)ioc_for_description(m->description);
    (void)outside_lan_reason(m->internal_client, warden::IpAddr::v4(0xc0a84d01), false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool eof : {false, true}) (void)http_response_framing(in, eof);
  if (auto r = parse_upnp_http_response(in)) {
    if (r->body.size() > kUpnpMaxDocument) __builtin_trap();
    check_description(r->body);
    check_soap(r->body);
  }
  check_description(in);
  check_soap(in);
  if (auto u = parse_http_url(in)) {
    if (u->port == 0 || u->host.empty()) __builtin_trap();
    (void)resolve_url(*u, "/ctl/IPConn");
    (void)resolve_url(*u, "ctl");
  }
  (void)product_from_server(in);
  return 0;
}
