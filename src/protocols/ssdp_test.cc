#include "protocols/ssdp.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace warden::protocols {
namespace {

// ssdp-m-search.pcap frame 1 (UDP 42253 -> 32412): Plex GDM's probe, the request line alone.
constexpr std::string_view kPlexSearch = "M-SEARCH * HTTP/1.1\r\n";

// upnp.pcap frame 2 (UDP 58931 -> 3702): a WS-Discovery Resolve, the SOAP cousin of SSDP on
// the same multicast group. Neither an SSDP message nor a UPnP description.
constexpr std::string_view kWsDiscoveryResolve =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/20"
    "03/05/soap-envelope\" xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns"
    ":wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"><soap:Header><wsa:To>urn:schemas-"
    "xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04"
    "/discovery/Resolve</wsa:Action><wsa:MessageID>urn:uuid:3f42dc9a-24ce-48d1-88f9-16b96a137d7"
    "1</wsa:MessageID></soap:Header><soap:Body><wsd:Resolve><wsa:EndpointReference><wsa:Address"
    ">urn:uuid:e3248000-80ce-11db-8000-001ba99ec956</wsa:Address></wsa:EndpointReference></wsd:"
    "Resolve></soap:Body></soap:Envelope>";

// The captures hold no NOTIFY, search response or description document, so these are written
// by hand after what miniupnpd 2.x, Chrome's DIAL discovery and a Sonos player send.
constexpr std::string_view kMiniupnpdNotify =
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "CACHE-CONTROL: max-age=120\r\n"
    "LOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n"
    "SERVER: OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.1\r\n"
    "NT: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
    "USN: uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a10::urn:schemas-upnp-org:device:"
    "InternetGatewayDevice:1\r\n"
    "NTS: ssdp:alive\r\n"
    "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
    "01-NLS: 1\r\n"
    "BOOTID.UPNP.ORG: 1\r\n"
    "CONFIGID.UPNP.ORG: 1337\r\n"
    "\r\n";

constexpr std::string_view kChromeSearch =
    "M-SEARCH * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "MAN: \"ssdp:discover\"\r\n"
    "MX: 1\r\n"
    "ST: urn:dial-multiscreen-org:service:dial:1\r\n"
    "USER-AGENT: Google Chrome/120.0.6099.130 Windows\r\n"
    "\r\n";

constexpr std::string_view kSonosResponse =
    "HTTP/1.1 200 OK\r\n"
    "CACHE-CONTROL: max-age = 1800\r\n"
    "EXT:\r\n"
    "LOCATION: http://192.168.1.23:1400/xml/device_description.xml\r\n"
    "SERVER: Linux UPnP/1.0 Sonos/70.3-35220 (ZPS9)\r\n"
    "ST: urn:schemas-upnp-org:device:ZonePlayer:1\r\n"
    "USN: uuid:RINCON_000E58A1B2C301400::urn:schemas-upnp-org:device:ZonePlayer:1\r\n"
    "X-RINCON-HOUSEHOLD: Sonos_abcdefghijklmnop\r\n"
    "\r\n";

// miniupnpd's rootDesc.xml: one line, no whitespace, the WAN services two devices down and
// presentationURL after the embedded device list.
constexpr std::string_view kMiniupnpdDescription =
    "<?xml version=\"1.0\"?>\r\n"
    "<root xmlns=\"urn:schemas-upnp-org:device-1-0\" configId=\"1337\"><specVersion><major>1"
    "</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:"
    "InternetGatewayDevice:1</deviceType><friendlyName>OpenWrt router</friendlyName>"
    "<manufacturer>OpenWrt</manufacturer><manufacturerURL>https://openwrt.org/</manufacturerURL>"
    "<modelDescription>OpenWrt router</modelDescription><modelName>OpenWrt router</modelName>"
    "<modelNumber>2.1</modelNumber><modelURL>https://openwrt.org/</modelURL><serialNumber>"
    "00000000</serialNumber><UDN>uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a10</UDN><serviceList>"
    "<service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>"
    "<serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL>"
    "<controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service>"
    "</serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1"
    "</deviceType><friendlyName>WANDevice</friendlyName><manufacturer>MiniUPnP</manufacturer>"
    "<manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>WAN Device"
    "</modelDescription><modelName>WAN Device</modelName><modelNumber>20230107</modelNumber>"
    "<UDN>uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a11</UDN><UPC>000000000000</UPC><serviceList>"
    "<service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"
    "</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>"
    "/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg"
    "</eventSubURL></service></serviceList><deviceList><device><deviceType>"
    "urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><friendlyName>"
    "WANConnectionDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><UDN>"
    "uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a12</UDN><serviceList><service><serviceType>"
    "urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><serviceId>"
    "urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>"
    "/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service></serviceList>"
    "</device></deviceList></device></deviceList><presentationURL>http://192.168.1.1/"
    "</presentationURL></device></root>";

ParseResult<SsdpMessage> parse(std::string_view s) { return parse_ssdp(as_bytes(s)); }

TEST(Ssdp, RealPlexProbeWithoutHeaders) {
  auto m = parse(kPlexSearch);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->kind, SsdpKind::kSearch);
  EXPECT_EQ(m->nt_or_st, "");
  EXPECT_FALSE(m->max_age.has_value());
}

TEST(Ssdp, Notify) {
  auto m = parse(kMiniupnpdNotify);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, SsdpKind::kNotify);
  EXPECT_EQ(m->nt_or_st, "urn:schemas-upnp-org:device:InternetGatewayDevice:1");
  EXPECT_EQ(m->nts, "ssdp:alive");
  EXPECT_EQ(m->usn,
            "uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a10::urn:schemas-upnp-org:device:"
            "InternetGatewayDevice:1");
  EXPECT_EQ(m->server, "OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.1");
  EXPECT_EQ(m->location, "http://192.168.1.1:5000/rootDesc.xml");
  EXPECT_EQ(m->max_age, 120u);
  EXPECT_EQ(m->user_agent, "");
}

TEST(Ssdp, SearchAndResponse) {
  auto s = parse(kChromeSearch);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, SsdpKind::kSearch);
  EXPECT_EQ(s->nt_or_st, "urn:dial-multiscreen-org:service:dial:1");
  EXPECT_EQ(s->man, "\"ssdp:discover\"");
  EXPECT_EQ(s->user_agent, "Google Chrome/120.0.6099.130 Windows");

  auto r = parse(kSonosResponse);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SsdpKind::kResponse);
  EXPECT_EQ(r->nt_or_st, "urn:schemas-upnp-org:device:ZonePlayer:1");
  EXPECT_EQ(r->server, "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS9)");
  EXPECT_EQ(r->location, "http://192.168.1.23:1400/xml/device_description.xml");
  EXPECT_EQ(r->max_age, 1800u);
}

TEST(Ssdp, HeaderNamesAreCaseInsensitive) {
  auto m = parse(
      "NOTIFY * HTTP/1.1\r\nnt: upnp:rootdevice\r\nnts: ssdp:byebye\r\n"
      "Usn: uuid:x::upnp:rootdevice\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->nt_or_st, "upnp:rootdevice");
  EXPECT_EQ(m->nts, "ssdp:byebye");
  EXPECT_EQ(m->usn, "uuid:x::upnp:rootdevice");
}

TEST(Ssdp, MaxAgeVariants) {
  auto age = [](std::string_view cc) {
    std::string msg = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: " + std::string(cc) + "\r\n\r\n";
    auto m = parse_ssdp(as_bytes(msg));
    EXPECT_TRUE(m);
    return m ? m->max_age : std::nullopt;
  };
  EXPECT_EQ(age("max-age=1800"), 1800u);
  EXPECT_EQ(age("MAX-AGE = 66"), 66u);
  EXPECT_EQ(age("no-cache=\"Ext\", max-age=5000"), 5000u);
  EXPECT_EQ(age("max-age=\"90\""), 90u);
  EXPECT_EQ(age("max-age=4294967295"), 4294967295u);
  EXPECT_EQ(age("max-age=4294967296"), std::nullopt);
  EXPECT_EQ(age("max-age=99999999999999999999999"), std::nullopt);
  EXPECT_EQ(age("max-age=-1"), std::nullopt);
  EXPECT_EQ(age("max-age="), std::nullopt);
  EXPECT_EQ(age("max-age"), std::nullopt);
  EXPECT_EQ(age("no-cache"), std::nullopt);
  EXPECT_EQ(age(",,,"), std::nullopt);
}

TEST(Ssdp, RejectsOtherMessages) {
  EXPECT_FALSE(parse(kWsDiscoveryResolve));
  EXPECT_FALSE(parse("GET /rootDesc.xml HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(parse("NOTIFY /evt/IPConn HTTP/1.1\r\nNT: upnp:event\r\n\r\n"));  // GENA
  EXPECT_FALSE(parse("M-SEARCH * RTSP/1.0\r\n\r\n"));
  EXPECT_FALSE(parse("M-SEARCH * HTTP/1.1"));
  EXPECT_FALSE(parse(""));
}

TEST(Ssdp, EveryTruncation) {
  for (std::string_view msg : {kMiniupnpdNotify, kChromeSearch, kSonosResponse}) {
    std::size_t first_line = msg.find('\n') + 1;
    for (std::size_t n = 0; n <= msg.size(); ++n) {
      auto m = parse(msg.substr(0, n));
      EXPECT_EQ(m.has_value(), n >= first_line) << n;
    }
  }
}

TEST(UpnpDescription, MiniupnpdGateway) {
  auto d = parse_upnp_description(kMiniupnpdDescription);
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(d->device_type, "urn:schemas-upnp-org:device:InternetGatewayDevice:1");
  EXPECT_EQ(d->friendly_name, "OpenWrt router");  // not the embedded WANDevice's
  EXPECT_EQ(d->manufacturer, "OpenWrt");
  EXPECT_EQ(d->manufacturer_url, "https://openwrt.org/");
  EXPECT_EQ(d->model_name, "OpenWrt router");
  EXPECT_EQ(d->model_number, "2.1");
  EXPECT_EQ(d->model_description, "OpenWrt router");
  EXPECT_EQ(d->serial_number, "00000000");
  EXPECT_EQ(d->udn, "uuid:9c5c8d1b-3c6b-4b9c-a3f5-5d2c0e1f7a10");
  EXPECT_EQ(d->presentation_url, "http://192.168.1.1/");  // after the embedded devices
  ASSERT_EQ(d->service_types.size(), 3u);
  EXPECT_EQ(d->service_types[0], "urn:schemas-upnp-org:service:Layer3Forwarding:1");
  EXPECT_EQ(d->service_types[1], "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1");
  EXPECT_EQ(d->service_types[2], "urn:schemas-upnp-org:service:WANIPConnection:1");
}

TEST(UpnpDescription, PrefixesWhitespaceEntitiesCdataComments) {
  constexpr std::string_view kXml = R"(<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE root>
<!-- a <device> in a comment does not count -->
<u:root xmlns:u="urn:schemas-upnp-org:device-1-0" xmlns:dlna="urn:schemas-dlna-org:device-1-0">
  <u:device>
    <u:deviceType>
      urn:schemas-upnp-org:device:MediaRenderer:1
    </u:deviceType>
    <u:friendlyName>Living Room &amp; Kitchen &lt;TV&gt; &quot;4K&quot; &apos;55&apos;</u:friendlyName>
    <u:manufacturer><![CDATA[Acme <Electronics>]]></u:manufacturer>
    <u:modelName>Caf&#233; &#x263A; &#65;<!-- note --> &bogus; &#0; &#xD800; a&amp</u:modelName>
    <dlna:X_DLNADOC>DMR-1.50</dlna:X_DLNADOC>
    <u:modelNumber/>
    <u:serialNumber attr="a>b" other='c'>SN-42</u:serialNumber>
    <u:UDN>uuid:12345678-1234-1234-1234-123456789abc</u:UDN>
    <u:serviceList>
      <u:service><u:serviceType>urn:schemas-upnp-org:service:AVTransport:1</u:serviceType></u:service>
    </u:serviceList>
  </u:device>
</u:root>)";
  auto d = parse_upnp_description(kXml);
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(d->device_type, "urn:schemas-upnp-org:device:MediaRenderer:1");
  EXPECT_EQ(d->friendly_name, "Living Room & Kitchen <TV> \"4K\" '55'");
  EXPECT_EQ(d->manufacturer, "Acme <Electronics>");
  EXPECT_EQ(d->model_name, "Caf\xc3\xa9 \xe2\x98\xba A &bogus; &#0; &#xD800; a&amp");
  EXPECT_EQ(d->model_number, "");
  EXPECT_EQ(d->serial_number, "SN-42");
  EXPECT_EQ(d->udn, "uuid:12345678-1234-1234-1234-123456789abc");
  ASSERT_EQ(d->service_types.size(), 1u);
  EXPECT_EQ(d->service_types[0], "urn:schemas-upnp-org:service:AVTransport:1");
}

TEST(UpnpDescription, NoDeviceIsAnError) {
  auto w = parse_upnp_description(kWsDiscoveryResolve);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().reason, "no device element");
  EXPECT_FALSE(parse_upnp_description(""));
  EXPECT_FALSE(parse_upnp_description("<root><!-- <device> --></root>"));
  EXPECT_FALSE(parse_upnp_description("<root><![CDATA[<device>]]></root>"));
  EXPECT_FALSE(parse_upnp_description("<root><devices></devices></root>"));
  EXPECT_TRUE(parse_upnp_description("<root><device/></root>"));
}

TEST(UpnpDescription, MalformedNestingIsTolerated) {
  // Unclosed and stray tags: close back to the nearest open element of the same name.
  auto d = parse_upnp_description(
      "<root><device><friendlyName>A</friendlyName><iconList><icon><url>/i.png</url>"
      "</iconList></stray><modelName>M</modelName></device><friendlyName>B</friendlyName>");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->friendly_name, "A");
  EXPECT_EQ(d->model_name, "M");

  // A field element with child elements has no text of its own.
  auto c = parse_upnp_description("<device><friendlyName>x<b>y</b>z</friendlyName></device>");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->friendly_name, "");
}

TEST(UpnpDescription, EveryTruncationOfTheGatewayDocument) {
  auto full = parse_upnp_description(kMiniupnpdDescription);
  ASSERT_TRUE(full);
  std::size_t device_tag_end = kMiniupnpdDescription.find("<device>") + 8;
  for (std::size_t n = 0; n <= kMiniupnpdDescription.size(); ++n) {
    auto d = parse_upnp_description(kMiniupnpdDescription.substr(0, n));
    EXPECT_EQ(d.has_value(), n >= device_tag_end) << n;
    if (d) {
      // A field is either absent or complete: a cut never yields a shortened value.
      EXPECT_TRUE(d->friendly_name.empty() || d->friendly_name == full->friendly_name) << n;
      EXPECT_TRUE(d->udn.empty() || d->udn == full->udn) << n;
      EXPECT_LE(d->service_types.size(), full->service_types.size());
    }
  }
}

TEST(UpnpDescription, Bounds) {
  std::string deep;
  for (std::size_t i = 0; i < kUpnpMaxDepth + 1; ++i) deep += "<a>";
  deep += "<device></device>";
  auto d = parse_upnp_description(deep);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().reason, "nesting too deep");

  std::string big = "<device><friendlyName>" + std::string(100000, 'x') + "</friendlyName>";
  for (int i = 0; i < 200; ++i) big += "<serviceType>s" + std::to_string(i) + "</serviceType>";
  big += "</device>";
  auto b = parse_upnp_description(big);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->friendly_name.size(), kUpnpMaxFieldLength);
  EXPECT_EQ(b->service_types.size(), kUpnpMaxServices);

  // Many sibling elements at a bounded depth are fine, however many.
  std::string wide = "<root><device>";
  for (int i = 0; i < 20000; ++i) wide += "<x></x>";
  wide += "<UDN>uuid:1</UDN></device></root>";
  auto w = parse_upnp_description(wide);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->udn, "uuid:1");
}

TEST(UpnpDescription, UnterminatedConstructsStopTheScan) {
  for (std::string_view s :
       {"<device><!-- never closed", "<device><![CDATA[ never closed", "<device><?pi never closed",
        "<device></never", "<device><open", "<device><x attr=\"unterminated>",
        "<device>&#x110000;&#99999999999;<"}) {
    auto d = parse_upnp_description(s);
    EXPECT_TRUE(d) << s;  // the device element was seen before the junk
  }
}

}  // namespace
}  // namespace warden::protocols
