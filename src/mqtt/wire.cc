#include "mqtt/wire.h"

namespace warden::mqtt {
namespace {

void put16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_str(std::string& out, std::string_view s) {
  // MQTT strings carry a 16-bit length; longer user input is cut rather than mis-framed.
  if (s.size() > 0xffff) s = s.substr(0, 0xffff);
  put16(out, s.size());
  out.append(s);
}

std::string frame(std::uint8_t first, const std::string& body) {
  std::string out;
  out.push_back(static_cast<char>(first));
  std::size_t len = body.size();
  do {
    std::uint8_t b = len % 128;
    len /= 128;
    if (len > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (len > 0);
  return out + body;
}

std::uint8_t u8(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }
std::uint16_t be16(std::string_view s, std::size_t i) {
  return static_cast<std::uint16_t>(u8(s, i) << 8 | u8(s, i + 1));
}

}  // namespace

std::string mqtt_connect(std::string_view client_id, const std::optional<std::string>& user,
                         const std::optional<std::string>& pass, std::uint16_t keepalive_s) {
  std::string body;
  put_str(body, "MQTT");
  body.push_back(4);          // protocol level 4: 3.1.1, which every broker in the field speaks
  std::uint8_t flags = 0x02;  // clean session: leave nothing behind on the broker
  if (user) flags |= 0x80;
  // 3.1.1 allows a password only with a user name.
  if (user && pass) flags |= 0x40;
  body.push_back(static_cast<char>(flags));
  put16(body, keepalive_s);
  put_str(body, client_id);
  if (user) put_str(body, *user);
  if (user && pass) put_str(body, *pass);
  return frame(0x10, body);
}

std::string mqtt_subscribe(std::uint16_t packet_id, std::string_view topic, std::uint8_t qos) {
  std::string body;
  put16(body, packet_id);
  put_str(body, topic);
  body.push_back(static_cast<char>(qos & 3));
  return frame(0x82, body);  // SUBSCRIBE's reserved flags must be 0010
}

std::string mqtt_disconnect() { return std::string("\xe0\x00", 2); }

std::string mqtt_publish(std::string_view topic, std::string_view payload, std::uint8_t qos,
                         std::uint16_t packet_id) {
  std::string body;
  put_str(body, topic);
  if (qos > 0) put16(body, packet_id);
  body.append(payload);
  return frame(static_cast<std::uint8_t>(0x30 | (qos > 0 ? 0x02 : 0)), body);
}

std::string mqtt_puback(std::uint16_t packet_id) {
  std::string out("\x40\x02", 2);
  put16(out, packet_id);
  return out;
}

std::string mqtt_pingreq() { return std::string("\xc0\x00", 2); }

ParseResult<MqttFrame> mqtt_frame(std::string_view buf) {
  if (buf.empty()) return parse_error(kMqttIncomplete, 0);
  std::size_t len = 0, at = 1;
  // At most four length bytes (268,435,455); a fifth continuation bit is malformed.
  for (int i = 0;; ++i) {
    if (i == 4) return parse_error("remaining length too long", at);
    if (at >= buf.size()) return parse_error(kMqttIncomplete, at);
    std::uint8_t b = u8(buf, at++);
    len |= static_cast<std::size_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) break;
  }
  if (buf.size() - at < len) return parse_error(kMqttIncomplete, buf.size());
  MqttFrame f;
  f.type = u8(buf, 0) >> 4;
  f.flags = u8(buf, 0) & 0x0f;
  f.body = buf.substr(at, len);
  f.size = at + len;
  if (f.type == 0) return parse_error("packet type 0 is reserved", 0);
  return f;
}

ParseResult<MqttConnack> parse_mqtt_connack(std::string_view body) {
  if (body.size() != 2) return parse_error("CONNACK body is not 2 bytes", 0);
  if (u8(body, 0) & 0xfe) return parse_error("CONNACK reserved flags set", 0);
  return MqttConnack{(u8(body, 0) & 1) != 0, u8(body, 1)};
}

ParseResult<MqttSuback> parse_mqtt_suback(std::string_view body) {
  if (body.size() < 3) return parse_error("SUBACK too short", body.size());
  MqttSuback s;
  s.packet_id = be16(body, 0);
  for (std::size_t i = 2; i < body.size(); ++i) {
    std::uint8_t c = u8(body, i);
    if (c > 2 && c != 0x80) return parse_error("SUBACK return code invalid", i);
    s.codes.push_back(c);
  }
  return s;
}

ParseResult<MqttPublish> parse_mqtt_publish(std::uint8_t flags, std::string_view body) {
  MqttPublish p;
  p.qos = (flags >> 1) & 3;
  p.retain = (flags & 1) != 0;
  if (p.qos == 3) return parse_error("PUBLISH QoS 3", 0);
  if (body.size() < 2) return parse_error("PUBLISH topic length missing", 0);
  std::size_t tlen = be16(body, 0);
  if (body.size() - 2 < tlen) return parse_error("PUBLISH topic past the end", 2);
  p.topic = body.substr(2, tlen);
  std::size_t at = 2 + tlen;
  if (p.qos > 0) {
    if (body.size() - at < 2) return parse_error("PUBLISH packet id missing", at);
    p.packet_id = be16(body, at);
    at += 2;
  }
  p.payload = body.substr(at);
  return p;
}

ParseResult<MqttSubscribe> parse_mqtt_subscribe(std::string_view body, bool unsubscribe) {
  if (body.size() < 2) return parse_error("SUBSCRIBE packet id missing", 0);
  MqttSubscribe s;
  s.packet_id = be16(body, 0);
  std::size_t at = 2;
  while (at < body.size()) {
    if (body.size() - at < 2) return parse_error("SUBSCRIBE filter length missing", at);
    const std::size_t len = be16(body, at);
    at += 2;
    if (body.size() - at < len) return parse_error("SUBSCRIBE filter past the end", at);
    s.filters.push_back(body.substr(at, len));
    at += len;
    if (!unsubscribe) {
      if (at >= body.size()) return parse_error("SUBSCRIBE QoS byte missing", at);
      ++at;
    }
  }
  // A SUBSCRIBE must name at least one filter ([MQTT-3.8.3-3]).
  if (s.filters.empty()) return parse_error("SUBSCRIBE without a topic filter", at);
  return s;
}

}  // namespace warden::mqtt
