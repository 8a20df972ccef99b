// MQTT 3.1.1 on the wire, for every warden part that speaks it as a client or inspects it: the
// scanner's login check, the device library, the relay's topic policy. Builders for the packets
// a client sends; pure, bounds-checked parsers for what comes back (and for what a device sends,
// which the relay checks). The peer controls every byte, including the remaining-length varint.
// (The passive sensor's view of MQTT lives in protocols/mqtt.h: it reads one packet at the start
// of a captured payload, not a stream.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace warden::mqtt {

inline constexpr std::uint8_t kMqttConnect = 1, kMqttConnack = 2, kMqttPublish = 3, kMqttPuback = 4,
                              kMqttSubscribe = 8, kMqttSuback = 9, kMqttUnsubscribe = 10,
                              kMqttPingreq = 12, kMqttPingresp = 13, kMqttDisconnect = 14;

std::string mqtt_connect(std::string_view client_id, const std::optional<std::string>& user,
                         const std::optional<std::string>& pass, std::uint16_t keepalive_s = 30);
std::string mqtt_subscribe(std::uint16_t packet_id, std::string_view topic, std::uint8_t qos);
std::string mqtt_disconnect();
// PUBLISH with QoS 0 or 1 (`packet_id` is sent only with QoS 1).
std::string mqtt_publish(std::string_view topic, std::string_view payload, std::uint8_t qos,
                         std::uint16_t packet_id);
std::string mqtt_puback(std::uint16_t packet_id);
std::string mqtt_pingreq();

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

struct MqttSubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string_view> filters;  // borrowed from the body; the QoS bytes are skipped
};
// SUBSCRIBE (and, with the same layout minus QoS bytes, UNSUBSCRIBE when `unsubscribe`).
ParseResult<MqttSubscribe> parse_mqtt_subscribe(std::string_view body, bool unsubscribe = false);

}  // namespace warden::mqtt
