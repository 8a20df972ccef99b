#include "protocols/mqtt.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace warden::protocols {
namespace {

// Test vectors are valid hex by construction; core's decoder checks that anyway.
std::vector<std::byte> from_hex(std::string_view hex) { return warden::from_hex(hex).value(); }

// mqtt.pcap frame 2: MQTT 3.1 (MQIsdp) CONNECT with username and password (equal, as sent).
constexpr char kMqisdpConnect[] =
    "104000064d514973647003c20014001663626161626362616261636262626262616161616162000c30324435"
    "3035303232334433000c303244353035303232334433";
// mqtt.pcap frame 9, first 119 of 349 bytes: MQTT 3.1.1 CONNECT to Azure IoT Hub, cut 10 bytes
// into the password (which keeps the captured SAS token out of the source).
constexpr char kAzureConnectHead[] =
    "109a0200044d51545404c00258001050343737373549443137305732313230004a696f74617a6577706d6c69"
    "746875622e617a7572652d646576696365732e6e65742f503437373735494431373057323132302f3f617069"
    "2d76657273696f6e3d323031382d30362d333000b053686172656441636365";
// coap_mqtt.pcap frame 31 (TCP port 17501): MQTT 3.1.1 CONNECT, clean session, no credentials.
constexpr char kBusConnect[] = "101100044d5154540402003c00054275733431";
// mqtt.pcap frame 4 and coap_mqtt.pcap frame 33: CONNACK, accepted.
constexpr char kConnack[] = "20020000";

TEST(MqttConnect, Real31WithCredentials) {
  auto c = parse_mqtt_connect(from_hex(kMqisdpConnect));
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->protocol_name, "MQIsdp");
  EXPECT_EQ(c->protocol_level, 3);
  EXPECT_EQ(c->client_id, "cbaabcbabacbbbbbaaaaab");
  EXPECT_EQ(c->username, "02D5050223D3");
  EXPECT_TRUE(c->has_password);
  EXPECT_TRUE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 20);
  EXPECT_FALSE(c->will_topic.has_value());
}

TEST(MqttConnect, Real311CutInsideThePassword) {
  auto c = parse_mqtt_connect(from_hex(kAzureConnectHead));
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->protocol_name, "MQTT");
  EXPECT_EQ(c->protocol_level, 4);
  EXPECT_EQ(c->client_id, "P47775ID170W2120");
  EXPECT_EQ(c->username,
            "iotazewpmlithub.azure-devices.net/P47775ID170W2120/?api-version=2018-06-30");
  EXPECT_TRUE(c->has_password);
  EXPECT_FALSE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 600);
}

TEST(MqttConnect, Real311Anonymous) {
  auto c = parse_mqtt_connect(from_hex(kBusConnect));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->protocol_level, 4);
  EXPECT_EQ(c->client_id, "Bus41");
  EXPECT_FALSE(c->username.has_value());
  EXPECT_FALSE(c->has_password);
  EXPECT_TRUE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 60);
}

// Each real CONNECT cut at every offset parses exactly when the username (the last field
// read) is whole, and otherwise fails as "truncated".
TEST(MqttConnect, EveryTruncation) {
  struct Case {
    const char* hex;
    std::size_t needed;
  };
  for (const Case& c :
       {Case{kMqisdpConnect, 52}, Case{kAzureConnectHead, 107}, Case{kBusConnect, 19}}) {
    auto bytes = from_hex(c.hex);
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
      auto r = parse_mqtt_connect(Bytes(bytes).first(n));
      EXPECT_EQ(r.has_value(), n >= c.needed) << c.hex << " " << n;
      if (!r && n >= 3) {  // past the fixed header
        EXPECT_EQ(r.error().reason, "truncated") << n;
      }
    }
  }
}

// Assembles an MQTT packet from a fixed-header byte and body pieces.
std::vector<std::byte> packet(std::uint8_t first, std::string_view body_hex) {
  auto body = from_hex(body_hex);
  std::vector<std::byte> out{static_cast<std::byte>(first)};
  std::size_t len = body.size();
  do {
    auto b = static_cast<std::uint8_t>(len & 0x7f);
    len >>= 7;
    out.push_back(static_cast<std::byte>(len != 0 ? (b | 0x80) : b));
  } while (len != 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// MQTT 5.0 CONNECT (hand-made; the captures have none): session-expiry property, will with
// properties, QoS 1 will, username and password.
constexpr std::string_view kV5ConnectBody =
    "00044d515454"  // "MQTT"
    "05"            // level 5
    "ce"            // username, password, will QoS 1, will, clean start
    "003c"          // keep alive 60
    "05"
    "1100000e10"  // properties: session expiry interval 3600
    "0006"
    "73656e736f72"  // client id "sensor"
    "02"
    "0101"  // will properties: payload format indicator 1
    "000b"
    "686f6d652f737461747573"  // will topic "home/status"
    "0007"
    "6f66666c696e65"  // will payload "offline"
    "0005"
    "616c696365"  // username "alice"
    "0006"
    "733363726574";  // password
TEST(MqttConnect, Version5PropertiesAreSkipped) {
  auto bytes = packet(0x10, kV5ConnectBody);
  auto c = parse_mqtt_connect(bytes);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->protocol_level, 5);
  EXPECT_EQ(c->client_id, "sensor");
  EXPECT_EQ(c->will_topic, "home/status");
  EXPECT_EQ(c->username, "alice");
  EXPECT_TRUE(c->has_password);
  EXPECT_TRUE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 60);
  for (std::size_t n = 0; n < bytes.size() - 8; ++n) {  // up to the end of the username
    EXPECT_FALSE(parse_mqtt_connect(Bytes(bytes).first(n))) << n;
  }
}

TEST(MqttConnect, HostileLengths) {
  auto reason = [](const std::vector<std::byte>& b) {
    auto c = parse_mqtt_connect(b);
    return c ? std::string_view("ok") : c.error().reason;
  };
  // A remaining length of 256 MB over a short segment: fields are read from what is there.
  EXPECT_EQ(reason(from_hex("10ffffff7f00044d5154540402003c00054275733431")), "ok");
  // Five varint bytes are invalid, not just large.
  EXPECT_EQ(reason(from_hex("10ffffffff0100044d5154540402003c00054275733431")), "bad fixed header");
  EXPECT_EQ(reason(from_hex("1080")), "bad fixed header");
  // The remaining length bounds the fields: one byte short of the client id.
  EXPECT_EQ(reason(from_hex("101000044d5154540402003c00054275733431")), "truncated");
  // String lengths pointing past the end.
  EXPECT_EQ(reason(packet(0x10, "ffff4d515454")), "truncated");
  EXPECT_EQ(reason(packet(0x10, "00044d5154540402003cffff4275")), "truncated");
  // A v5 property length past the end.
  EXPECT_EQ(reason(packet(0x10, "00044d5154540502003cffffff7f")), "truncated");
  EXPECT_EQ(reason(packet(0x10, "00044d5154540502003cffffffff01")), "truncated");
  // A will whose payload length runs past the end.
  EXPECT_EQ(reason(packet(0x10, "00044d5154540406003c0001410001420005")), "truncated");
  // Not MQTT, or not a CONNECT.
  EXPECT_EQ(reason(packet(0x10, "00044d5154580402003c00054275733431")), "unknown protocol name");
  EXPECT_EQ(reason(packet(0x10, "00044d5154540602003c00054275733431")), "unknown protocol level");
  EXPECT_EQ(reason(packet(0x10, "00044d5154540203003c00054275733431")), "unknown protocol level");
  EXPECT_EQ(reason(packet(0x10, "00044d5154540403003c00054275733431")),
            "reserved connect flag set");
  EXPECT_EQ(reason(packet(0x12, "00044d5154540402003c00054275733431")), "not a connect");
  EXPECT_EQ(reason(from_hex(kConnack)), "not a connect");
  EXPECT_EQ(reason({}), "bad fixed header");
}

TEST(MqttConnack, RealAndVersion5) {
  auto a = parse_mqtt_connack(from_hex(kConnack));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->session_present);
  EXPECT_EQ(a->return_code, 0);

  auto refused = parse_mqtt_connack(from_hex("20020005"));  // 3.1.1: not authorized
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->return_code, 5);

  auto v5 = parse_mqtt_connack(from_hex("2008010003270000ffff"));  // session present, props
  ASSERT_TRUE(v5);
  EXPECT_TRUE(v5->session_present);
  EXPECT_EQ(v5->return_code, 0);
  auto v5bad = parse_mqtt_connack(from_hex("2003008700"));  // 0x87 not authorized
  ASSERT_TRUE(v5bad);
  EXPECT_EQ(v5bad->return_code, 0x87);

  for (std::string_view bad : {"", "20", "2002", "200200", "2001000000", "21020000", "20020200",
                               "30020000", "20ffffffff01"}) {
    EXPECT_FALSE(parse_mqtt_connack(from_hex(bad))) << bad;
  }
}

TEST(MqttPacketType, RealPackets) {
  // First bytes of every packet kind in mqtt.pcap and coap_mqtt.pcap.
  struct Case {
    std::string_view hex;
    std::uint8_t type;
  };
  for (const Case& c :
       {Case{"104000", 1}, Case{"20020000", 2}, Case{"3085030012", 3}, Case{"333a0009", 3},
        Case{"32540008", 3}, Case{"40020001", 4}, Case{"821e0001", 8}, Case{"9003000100", 9},
        Case{"c000", 12}, Case{"d000", 13}, Case{"e000", 14}}) {
    EXPECT_EQ(mqtt_packet_type(from_hex(c.hex)), c.type) << c.hex;
  }
  EXPECT_EQ(mqtt_packet_type(from_hex(kMqisdpConnect)), 1);
  EXPECT_EQ(mqtt_packet_type(from_hex("62020001")), 6);    // PUBREL
  EXPECT_EQ(mqtt_packet_type(from_hex("a2020001")), 10);   // UNSUBSCRIBE
  EXPECT_EQ(mqtt_packet_type(from_hex("f000")), 15);       // AUTH (5.0)
  EXPECT_EQ(mqtt_packet_type(from_hex("30ffffff7f")), 3);  // largest remaining length
  EXPECT_EQ(mqtt_packet_type(from_hex("3d00")), 3);        // QoS 2, DUP, RETAIN
}

TEST(MqttPacketType, Implausible) {
  for (std::string_view bad : {"", "10", "0000", "0f00", "1100", "8000", "6000", "a000", "3600",
                               "3f00", "e100", "3080", "30ffffffff01", "16030100"}) {
    EXPECT_FALSE(mqtt_packet_type(from_hex(bad)).has_value()) << bad;
  }
  EXPECT_FALSE(mqtt_packet_type(as_bytes("GET / HTTP/1.1\r\n")).has_value());
}

}  // namespace
}  // namespace warden::protocols
