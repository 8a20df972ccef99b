// MqttGuard: topic enforcement on the device->upstream byte stream of an MQTT 3.1.1/5.0 session.
// An incremental, bounds-checked framer (fixed header, remaining-length varint, size cap) that
// looks only at what the policy needs: CONNECT (protocol level, client id, Will topic), PUBLISH
// (topic name) and SUBSCRIBE (topic filters). It never changes or holds back bytes; the relay
// closes the session on the first violation. It buffers at most one packet header, CONNECT or
// SUBSCRIBE, so an idle session costs a few dozen bytes.
//
// MQTT 5 topic aliases need no state here: an alias can only be defined by a PUBLISH whose topic
// was checked, so a PUBLISH with an empty topic refers to an allowed topic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden::relay {

// Which MQTT client identifiers a device may use. A client id names a broker session; taking
// over another device's (persistent) session would receive that device's queued messages.
enum class ClientIdRule : std::uint8_t {
  kOwn,       // an id that looks like a warden name ("t:d" or "t:d/...") must be the device's own
  kIdentity,  // the id must be the device's own name, or "<name>/<suffix>" (or empty)
  kAny,       // no check
};

struct MqttViolation {
  std::string_view reason;  // static text
  std::string topic;        // the offending topic or filter, when there is one
};

class MqttGuard {
 public:
  // `allowed`: topic filters the device may publish to and subscribe within.
  // `device_id` ("tenant:device") must outlive the guard.
  MqttGuard(const std::vector<std::string>* allowed, std::uint32_t max_packet,
            std::string_view device_id = {}, ClientIdRule client_ids = ClientIdRule::kAny)
      : allowed_(allowed),
        max_packet_(max_packet),
        device_id_(device_id),
        client_ids_(client_ids) {}

  // Consumes the next bytes the device sent. nullopt while the session follows the policy; after
  // a violation the guard stays failed.
  std::optional<MqttViolation> feed(std::span<const std::uint8_t> bytes);

  std::uint64_t packets() const { return packets_; }
  int protocol_level() const { return level_; }

 private:
  enum class State : std::uint8_t { kHeader, kCapture, kSkip, kFailed };
  std::optional<MqttViolation> on_header();
  std::optional<MqttViolation> on_captured();
  std::optional<MqttViolation> check_connect();
  std::optional<MqttViolation> check_publish();
  std::optional<MqttViolation> check_subscribe();
  bool allowed_topic(std::string_view topic) const;
  bool allowed_filter(std::string_view filter) const;
  std::optional<MqttViolation> fail(std::string_view reason, std::string topic = {});
  void finish_packet();

  const std::vector<std::string>* allowed_;
  std::uint32_t max_packet_;
  std::string_view device_id_;
  ClientIdRule client_ids_;
  State state_ = State::kHeader;
  std::uint8_t header_[5] = {};
  std::uint8_t header_len_ = 0;
  std::uint8_t type_ = 0;
  std::uint8_t flags_ = 0;
  std::uint8_t level_ = 0;  // 0 until CONNECT
  bool connected_ = false;
  std::uint32_t remaining_ = 0;  // body bytes not yet consumed
  std::uint32_t want_ = 0;       // body bytes to capture
  std::string body_;             // the captured prefix of the body
  std::uint64_t packets_ = 0;
};

}  // namespace warden::relay
