#include "mqtt/wire.h"

#include <gtest/gtest.h>

namespace warden::mqtt {
namespace {

TEST(MqttWire, PublishRoundTripsWithATwoByteLength) {
  const std::string payload(300, 'x');
  const std::string wire = mqtt_publish("devices/cam-1/t", payload, 1, 7) + mqtt_pingreq();
  for (std::size_t cut = 0; cut < 4; ++cut) {
    auto partial = mqtt_frame(std::string_view(wire).substr(0, cut));
    ASSERT_FALSE(partial);
    EXPECT_EQ(partial.error().reason, kMqttIncomplete);
  }
  auto f = mqtt_frame(wire);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, kMqttPublish);
  auto p = parse_mqtt_publish(f->flags, f->body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->topic, "devices/cam-1/t");
  EXPECT_EQ(p->payload, payload);
  EXPECT_EQ(p->qos, 1);
  EXPECT_EQ(p->packet_id, 7);
  auto ping = mqtt_frame(std::string_view(wire).substr(f->size));
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->type, kMqttPingreq);
  const std::string puback = mqtt_puback(0x1234);  // the frame borrows from it
  auto ack = mqtt_frame(puback);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, kMqttPuback);
  EXPECT_EQ(ack->body, std::string("\x12\x34", 2));
}

TEST(MqttWire, SubscribeFiltersAreReadBack) {
  const std::string wire = mqtt_subscribe(9, "devices/cam-1/#", 1);
  auto f = mqtt_frame(wire);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, kMqttSubscribe);
  EXPECT_EQ(f->flags, 2);
  auto s = parse_mqtt_subscribe(f->body);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->packet_id, 9);
  ASSERT_EQ(s->filters.size(), 1u);
  EXPECT_EQ(s->filters[0], "devices/cam-1/#");
  // UNSUBSCRIBE has no QoS bytes.
  auto u = parse_mqtt_subscribe(std::string("\x00\x01\x00\x01#\x00\x02"
                                            "a/",
                                            9),
                                true);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->filters.size(), 2u);
  EXPECT_EQ(u->filters[1], "a/");
}

TEST(MqttWire, HostileSubscribesAreErrors) {
  EXPECT_FALSE(parse_mqtt_subscribe(""));
  EXPECT_FALSE(parse_mqtt_subscribe(std::string("\x00\x01", 2))) << "no filter";
  EXPECT_FALSE(
      parse_mqtt_subscribe(std::string("\x00\x01\x00\x09"
                                       "ab",
                                       6)))
      << "past the end";
  EXPECT_FALSE(parse_mqtt_subscribe(std::string("\x00\x01\x00\x01#", 5))) << "QoS byte missing";
  EXPECT_FALSE(mqtt_frame(std::string("\x30\xff\xff\xff\xff\x01", 6)));
}

}  // namespace
}  // namespace warden::mqtt
