// The few MQTT 3.1.1 packets the login check sends (CONNECT, SUBSCRIBE) and the ones it reads
// back (CONNACK, SUBACK, PUBLISH). Parsers are pure and bounds-checked: a broker (or something
// pretending to be one) controls every byte, including the remaining-length varint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace warden::scan {

inline constexpr std::uint8_t kMqttConnack = 2, kMqttPublish = 3, kMqttSuback = 9;

std::string mqtt_connect(std::string_view client_id, const std::optional<std::string>& user,
                         const std::optional<std::string>& pass, std::uint16_t keepalive_s = 30);
std::string mqtt_subscribe(std::uint16_t packet_id, std::string_view topic, std::uint8_t qos);
std::string mqtt_disconnect();

// One packet cut from the front of a receive buffer. `body` borrows from that buffer.
struct MqttFrame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::string_view body;
  std::size_t size = 0;  // fixed header + body: how much to drop from the buffer
};
// The reason a frame that is merely incomplete fails with; read more and retry.
inline constexpr std::string_view kMqttIncomplete = "incomplete";
ParseResult<MqttFrame> mqtt_frame(std::string_view buf);

struct MqttConnack {
  bool session_present = false;
  std::uint8_t code = 0;  // 0 accepted, 4 bad user name or password, 5 not authorized
};
ParseResult<MqttConnack> parse_mqtt_connack(std::string_view body);

struct MqttSuback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> codes;  // granted QoS, or 0x80 failure, per topic filter
};
ParseResult<MqttSuback> parse_mqtt_suback(std::string_view body);

struct MqttPublish {
  std::string_view topic, payload;  // borrowed from the body
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint16_t packet_id = 0;  // only with qos > 0
};
ParseResult<MqttPublish> parse_mqtt_publish(std::uint8_t flags, std::string_view body);

}  // namespace warden::scan
