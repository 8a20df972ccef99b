// MQTT 3.1, 3.1.1 and 5.0 control packets at the start of a TCP payload: CONNECT (who the
// device says it is, which broker account it uses) and CONNACK (whether the broker let it in).
// Results own their strings. The password is never copied out: knowing that one was sent is
// enough for detection, and keeping it would turn the sensor's database into a credential store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::protocols {

struct MqttConnect {
  std::string protocol_name;        // "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1)
  std::uint8_t protocol_level = 0;  // 3, 4 or 5
  std::string client_id;
  std::optional<std::string> username;
  bool has_password = false;
  bool clean_start = false;  // "clean session" before 5.0
  std::uint16_t keep_alive = 0;
  std::optional<std::string> will_topic;
};

struct MqttConnack {
  bool session_present = false;
  std::uint8_t return_code = 0;  // 3.x return code or 5.0 reason code; 0 is success
};

// Only the password follows the username and it is never read, so a CONNECT cut inside its
// password still parses; one cut earlier fails as "truncated".
ParseResult<MqttConnect> parse_mqtt_connect(Bytes payload);
ParseResult<MqttConnack> parse_mqtt_connack(Bytes payload);

// Packet type (1..15) of a plausible fixed header: the flags the type requires and a complete
// remaining-length varint of at most 4 bytes. Cheap enough to classify a flow's first payload.
std::optional<std::uint8_t> mqtt_packet_type(Bytes payload);

}  // namespace warden::protocols
