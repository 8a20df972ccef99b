#include "protocols/mqtt.h"

#include <algorithm>

namespace warden::protocols {
namespace {

constexpr std::uint8_t kTypeConnect = 1;
constexpr std::uint8_t kTypeConnack = 2;
constexpr std::uint8_t kTypePublish = 3;

constexpr std::uint8_t kFlagUsername = 0x80;
constexpr std::uint8_t kFlagPassword = 0x40;
constexpr std::uint8_t kFlagWill = 0x04;
constexpr std::uint8_t kFlagCleanStart = 0x02;
constexpr std::uint8_t kFlagReserved = 0x01;

struct FixedHeader {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t remaining_length = 0;
};

// Variable Byte Integer: 7 bits per byte, least significant first, at most 4 bytes (so at
// most 268,435,455). A fifth continuation byte makes the value invalid, not larger.
std::optional<std::uint32_t> read_varint(ByteReader& r) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    auto b = r.u8();
    if (!b) return std::nullopt;
    value |= static_cast<std::uint32_t>(*b & 0x7f) << (7 * i);
    if ((*b & 0x80) == 0) return value;
  }
  return std::nullopt;
}

// The flags nibble is fixed for every type but PUBLISH (MQTT 3.1.1 section 2.2.2); requiring it
// keeps random binary from classifying as MQTT.
bool flags_valid(std::uint8_t type, std::uint8_t flags) {
  switch (type) {
    case kTypePublish:
      return ((flags >> 1) & 0x3) != 0x3;  // QoS 3 is reserved
    case 6:                                // PUBREL
    case 8:                                // SUBSCRIBE
    case 10:                               // UNSUBSCRIBE
      return flags == 0x2;
    default:
      return flags == 0;
  }
}

std::optional<FixedHeader> read_fixed_header(ByteReader& r) {
  auto first = r.u8();
  if (!first) return std::nullopt;
  FixedHeader h;
  h.type = static_cast<std::uint8_t>(*first >> 4);
  h.flags = static_cast<std::uint8_t>(*first & 0x0f);
  auto length = read_varint(r);
  if (!length) return std::nullopt;
  h.remaining_length = *length;
  return h;
}

// UTF-8 string: u16 length then bytes (not validated; consumers escape on output).
std::optional<std::string> read_string(ByteReader& r) {
  auto len = r.be16();
  auto s = len ? r.string(*len) : std::nullopt;
  if (!s) return std::nullopt;
  return std::string(*s);
}

// MQTT 5 properties: a varint byte count, then properties we have no use for.
bool skip_properties(ByteReader& r) {
  auto len = read_varint(r);
  return len && r.skip(*len);
}

// The packet body: what the remaining length claims, bounded by what the segment holds.
Bytes packet_body(ByteReader& r, const FixedHeader& h) {
  return *r.bytes(std::min<std::size_t>(h.remaining_length, r.remaining()));
}

}  // namespace

ParseResult<MqttConnect> parse_mqtt_connect(Bytes payload) {
  ByteReader r(payload);
  auto fh = read_fixed_header(r);
  if (!fh) return parse_error("bad fixed header", r.offset());
  if (fh->type != kTypeConnect || fh->flags != 0) return parse_error("not a connect", 0);
  const std::size_t base = r.offset();
  ByteReader b(packet_body(r, *fh));
  auto fail = [&](std::string_view reason) { return parse_error(reason, base + b.offset()); };

  MqttConnect c;
  auto name = read_string(b);
  if (!name) return fail("truncated");
  if (*name != "MQTT" && *name != "MQIsdp") return fail("unknown protocol name");
  c.protocol_name = std::move(*name);
  auto level = b.u8();
  auto flags = b.u8();
  auto keep_alive = b.be16();
  if (!keep_alive) return fail("truncated");
  if (*level < 3 || *level > 5) return fail("unknown protocol level");
  if ((*flags & kFlagReserved) != 0) return fail("reserved connect flag set");
  c.protocol_level = *level;
  c.clean_start = (*flags & kFlagCleanStart) != 0;
  c.keep_alive = *keep_alive;
  c.has_password = (*flags & kFlagPassword) != 0;
  if (c.protocol_level == 5 && !skip_properties(b)) return fail("truncated");

  auto client_id = read_string(b);
  if (!client_id) return fail("truncated");
  c.client_id = std::move(*client_id);
  if ((*flags & kFlagWill) != 0) {
    if (c.protocol_level == 5 && !skip_properties(b)) return fail("truncated");
    auto topic = read_string(b);
    auto payload_len = topic ? b.be16() : std::nullopt;
    if (!payload_len || !b.skip(*payload_len)) return fail("truncated");
    c.will_topic = std::move(*topic);
  }
  if ((*flags & kFlagUsername) != 0) {
    auto username = read_string(b);
    if (!username) return fail("truncated");
    c.username = std::move(*username);
  }
  return c;
}

ParseResult<MqttConnack> parse_mqtt_connack(Bytes payload) {
  ByteReader r(payload);
  auto fh = read_fixed_header(r);
  if (!fh) return parse_error("bad fixed header", r.offset());
  if (fh->type != kTypeConnack || fh->flags != 0) return parse_error("not a connack", 0);
  if (fh->remaining_length < 2) return parse_error("connack too short", r.offset());
  auto ack_flags = r.u8();
  auto code = r.u8();
  if (!code) return parse_error("truncated", r.offset());
  // Bits 7..1 of the acknowledge flags are reserved and must be zero in every version.
  if ((*ack_flags & 0xfe) != 0) return parse_error("reserved connack flag set", r.offset() - 2);
  return MqttConnack{(*ack_flags & 0x01) != 0, *code};
}

std::optional<std::uint8_t> mqtt_packet_type(Bytes payload) {
  ByteReader r(payload);
  auto fh = read_fixed_header(r);
  if (!fh || fh->type == 0 || !flags_valid(fh->type, fh->flags)) return std::nullopt;
  return fh->type;
}

}  // namespace warden::protocols
