#include "relay/mqtt_guard.h"

#include <algorithm>

#include "relay/match.h"

namespace warden::relay {
namespace {

constexpr std::uint8_t kConnect = 1;
constexpr std::uint8_t kPublish = 3;
constexpr std::uint8_t kSubscribe = 8;
constexpr std::uint32_t kMaxSubscribe = 65536;  // far above any real filter list
// Client id, Will topic and message, user name and password: 2-byte lengths, so 5 x 64 KiB
// plus properties at most.
constexpr std::uint32_t kMaxConnect = 6u << 16;

// A bounds-checked reader over the captured body.
struct Reader {
  std::string_view s;
  std::size_t pos = 0;
  bool u8(std::uint8_t& v) {
    if (pos >= s.size()) return false;
    v = static_cast<std::uint8_t>(s[pos++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (s.size() - pos < 2) return false;
    v = static_cast<std::uint16_t>(static_cast<std::uint8_t>(s[pos]) << 8 |
                                   static_cast<std::uint8_t>(s[pos + 1]));
    pos += 2;
    return true;
  }
  bool varint(std::uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint8_t b = 0;
      if (!u8(b)) return false;
      v |= static_cast<std::uint32_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (s.size() - pos < n) return false;
    out = s.substr(pos, n);
    pos += n;
    return true;
  }
  bool done() const { return pos == s.size(); }
};

}  // namespace

std::optional<MqttViolation> MqttGuard::fail(std::string_view reason, std::string topic) {
  state_ = State::kFailed;
  std::string().swap(body_);
  return MqttViolation{reason, std::move(topic)};
}

void MqttGuard::finish_packet() {
  ++packets_;
  header_len_ = 0;
  want_ = 0;
  if (body_.capacity() > 256)
    std::string().swap(body_);
  else
    body_.clear();
  state_ = remaining_ > 0 ? State::kSkip : State::kHeader;
}

bool MqttGuard::allowed_topic(std::string_view topic) const {
  return std::any_of(allowed_->begin(), allowed_->end(),
                     [&](const std::string& f) { return topic_matches(f, topic); });
}

bool MqttGuard::allowed_filter(std::string_view filter) const {
  return std::any_of(allowed_->begin(), allowed_->end(),
                     [&](const std::string& f) { return filter_within(filter, f); });
}

std::optional<MqttViolation> MqttGuard::feed(std::span<const std::uint8_t> bytes) {
  if (state_ == State::kFailed) return MqttViolation{"session already failed", {}};
  std::size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kHeader: {
        header_[header_len_++] = bytes[i++];
        if (header_len_ == 1) break;
        if (header_[header_len_ - 1] & 0x80) {
          if (header_len_ == 5) return fail("malformed remaining length");
          break;
        }
        if (auto v = on_header()) return v;
        break;
      }
      case State::kCapture: {
        const std::size_t take = std::min<std::size_t>(want_ - body_.size(), bytes.size() - i);
        body_.append(reinterpret_cast<const char*>(bytes.data() + i), take);
        i += take;
        remaining_ -= static_cast<std::uint32_t>(take);
        if (body_.size() == want_)
          if (auto v = on_captured()) return v;
        break;
      }
      case State::kSkip: {
        const std::size_t take = std::min<std::size_t>(remaining_, bytes.size() - i);
        i += take;
        remaining_ -= static_cast<std::uint32_t>(take);
        if (remaining_ == 0) state_ = State::kHeader;
        break;
      }
      case State::kFailed:
        return MqttViolation{"session already failed", {}};
    }
  }
  return std::nullopt;
}

std::optional<MqttViolation> MqttGuard::on_header() {
  type_ = header_[0] >> 4;
  flags_ = header_[0] & 0x0f;
  std::uint32_t len = 0;
  for (std::uint8_t k = 1; k < header_len_; ++k)
    len |= static_cast<std::uint32_t>(header_[k] & 0x7f) << (7 * (k - 1));
  remaining_ = len;
  if (len > max_packet_) return fail("packet larger than max-packet");
  if (type_ == 0) return fail("reserved packet type 0");
  if (!connected_ && type_ != kConnect) return fail("first packet is not CONNECT");
  body_.clear();
  switch (type_) {
    case kConnect:
      if (connected_) return fail("second CONNECT");
      connected_ = true;
      // Captured whole: its Will topic is a PUBLISH the broker makes on the device's behalf.
      if (len < 3) return fail("truncated CONNECT");
      if (len > kMaxConnect) return fail("CONNECT too large");
      want_ = len;
      break;
    case kPublish:
      if (((flags_ >> 1) & 3) == 3) return fail("PUBLISH with QoS 3");
      if (len < 2) return fail("truncated PUBLISH");
      want_ = 2;  // topic length first
      break;
    case kSubscribe:
      if (flags_ != 2) return fail("SUBSCRIBE with bad flags");
      if (len > kMaxSubscribe) return fail("SUBSCRIBE too large");
      want_ = len;
      break;
    default:
      want_ = 0;
      break;
  }
  if (want_ == 0) {
    if (type_ == kPublish || type_ == kSubscribe || type_ == kConnect)
      return fail("truncated packet");
    finish_packet();
    return std::nullopt;
  }
  state_ = State::kCapture;
  return std::nullopt;
}

std::optional<MqttViolation> MqttGuard::on_captured() {
  if (type_ == kConnect) {
    if (auto v = check_connect()) return v;
    finish_packet();
    return std::nullopt;
  }
  if (type_ == kPublish) {
    if (body_.size() == 2) {
      const std::uint32_t topic_len =
          static_cast<std::uint8_t>(body_[0]) << 8 | static_cast<std::uint8_t>(body_[1]);
      if (2 + topic_len > remaining_ + 2) return fail("truncated PUBLISH");
      if (topic_len > 0) {
        want_ = 2 + topic_len;
        return std::nullopt;
      }
    }
    if (auto v = check_publish()) return v;
    finish_packet();
    return std::nullopt;
  }
  if (auto v = check_subscribe()) return v;
  finish_packet();
  return std::nullopt;
}

std::optional<MqttViolation> MqttGuard::check_connect() {
  Reader r{body_};
  std::uint16_t n = 0;
  std::string_view name, skip;
  std::uint8_t flags = 0;
  std::uint16_t keepalive = 0;
  if (!r.u16(n) || !r.bytes(n, name) || !r.u8(level_) || !r.u8(flags) || !r.u16(keepalive))
    return fail("truncated CONNECT");
  const bool v5 = level_ >= 5;
  std::uint32_t props = 0;
  if (v5 && (!r.varint(props) || !r.bytes(props, skip))) return fail("truncated CONNECT");
  std::string_view client_id;
  if (!r.u16(n) || !r.bytes(n, client_id)) return fail("truncated CONNECT");
  if (client_ids_ != ClientIdRule::kAny && !client_id.empty()) {
    const auto base = client_id.substr(0, client_id.find('/'));
    const bool looks_like_name = base.find(':') != std::string_view::npos;
    if ((looks_like_name || client_ids_ == ClientIdRule::kIdentity) && base != device_id_)
      return fail("CONNECT with another identity's client id", std::string(client_id));
  }
  if (!(flags & 0x04)) return std::nullopt;  // no Will
  if (v5 && (!r.varint(props) || !r.bytes(props, skip))) return fail("truncated CONNECT");
  std::string_view will_topic;
  if (!r.u16(n) || !r.bytes(n, will_topic)) return fail("truncated CONNECT");
  if (!valid_topic_name(will_topic))
    return fail("invalid Will topic in CONNECT", std::string(will_topic));
  if (!allowed_topic(will_topic))
    return fail("CONNECT Will topic outside the policy", std::string(will_topic));
  return std::nullopt;
}

std::optional<MqttViolation> MqttGuard::check_publish() {
  std::string_view topic = std::string_view(body_).substr(2);
  if (topic.empty()) {
    // MQTT 5: an alias set by an earlier, checked PUBLISH. Before 5 an empty topic is invalid.
    if (level_ >= 5) return std::nullopt;
    return fail("PUBLISH without a topic");
  }
  if (!valid_topic_name(topic)) return fail("invalid topic name in PUBLISH", std::string(topic));
  if (!allowed_topic(topic))
    return fail("PUBLISH to a topic outside the policy", std::string(topic));
  return std::nullopt;
}

std::optional<MqttViolation> MqttGuard::check_subscribe() {
  Reader r{body_};
  std::uint16_t packet_id = 0;
  if (!r.u16(packet_id)) return fail("truncated SUBSCRIBE");
  if (level_ >= 5) {
    std::uint32_t props = 0;
    std::string_view skip;
    if (!r.varint(props) || !r.bytes(props, skip)) return fail("truncated SUBSCRIBE properties");
  }
  if (r.done()) return fail("SUBSCRIBE without a topic filter");
  while (!r.done()) {
    std::uint16_t n = 0;
    std::string_view filter;
    std::uint8_t options = 0;
    if (!r.u16(n) || !r.bytes(n, filter) || !r.u8(options)) return fail("truncated SUBSCRIBE");
    // A shared subscription "$share/<group>/<filter>" receives what <filter> matches.
    if (filter.substr(0, 7) == "$share/") {
      auto slash = filter.find('/', 7);
      if (slash == std::string_view::npos)
        return fail("malformed shared subscription", std::string(filter));
      filter = filter.substr(slash + 1);
    }
    if (!valid_topic_filter(filter))
      return fail("invalid topic filter in SUBSCRIBE", std::string(filter));
    if (!allowed_filter(filter))
      return fail("SUBSCRIBE to a filter outside the policy", std::string(filter));
  }
  return std::nullopt;
}

}  // namespace warden::relay
