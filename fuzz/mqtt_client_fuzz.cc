// Fuzzes the MQTT client parsers (mqtt/wire.h: the scanner, the device library, the relay): a
// byte stream is cut into frames and each CONNACK, SUBACK, PUBLISH and SUBSCRIBE (the relay reads
// a device's) is parsed. Frames never claim more bytes than the buffer holds, and parsed views
// stay inside their frame.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mqtt/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::mqtt;
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  for (int frames = 0; frames < 1000 && !buf.empty(); ++frames) {
    auto f = mqtt_frame(buf);
    if (!f) {
      if (f.error().reason.empty() || f.error().offset > buf.size()) __builtin_trap();
      break;
    }
    if (f->size == 0 || f->size > buf.size() || f->body.size() >= f->size) __builtin_trap();
    if (f->body.data() < buf.data() || f->body.data() + f->body.size() > buf.data() + buf.size())
      __builtin_trap();
    if (auto a = parse_mqtt_connack(f->body); a && f->body.size() != 2) __builtin_trap();
    if (auto s = parse_mqtt_suback(f->body); s && s->codes.size() + 2 != f->body.size())
      __builtin_trap();
    if (auto p = parse_mqtt_publish(f->flags, f->body)) {
      if (p->topic.size() + p->payload.size() > f->body.size()) __builtin_trap();
    }
    for (const bool unsubscribe : {false, true}) {
      if (auto s = parse_mqtt_subscribe(f->body, unsubscribe)) {
        if (s->filters.empty()) __builtin_trap();
        for (auto filter : s->filters) {
          if (filter.data() < f->body.data() ||
              filter.data() + filter.size() > f->body.data() + f->body.size())
            __builtin_trap();
        }
      }
    }
    buf.remove_prefix(f->size);
  }
  return 0;
}
