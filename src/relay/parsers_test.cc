// Pure parts of the relay: config parser, glob and topic matching, MQTT guard.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relay/config.h"
#include "relay/match.h"
#include "relay/mqtt_guard.h"

namespace warden::relay {
namespace {

constexpr const char* kExample = R"(
[relay]
listen = 127.0.0.1:8883
cert = relay.crt            ; server cert
key = relay.key
client-ca = issuing-ca.crt  ; device certs must chain to this (only)
deny-list = deny.list
idle-timeout = 300          ; seconds
max-per-identity = 4
max-connections = 20000
log = -
[upstream mqtt]
connect = 127.0.0.1:1883
protocol = mqtt              ; or raw
[allow]
acme:* = mqtt topics=devices/{device}/#
acme:gateway-1 = mqtt topics=devices/#,site/acme/#
)";

TEST(RelayConfig, ParsesTheDocumentedExample) {
  auto cfg = parse_config(kExample, "/etc/warden");
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(cfg->listen.text, "127.0.0.1:8883");
  EXPECT_EQ(cfg->cert, "/etc/warden/relay.crt");
  EXPECT_EQ(cfg->client_ca, "/etc/warden/issuing-ca.crt");
  EXPECT_EQ(cfg->log, "-");
  EXPECT_EQ(cfg->idle_timeout_s, 300u);
  EXPECT_EQ(cfg->max_per_identity, 4u);
  EXPECT_EQ(cfg->workers, 1u);  // the default
  ASSERT_EQ(cfg->upstreams.size(), 1u);
  EXPECT_EQ(cfg->upstreams[0].protocol, Protocol::kMqtt);
  ASSERT_EQ(cfg->rules.size(), 2u);
  EXPECT_EQ(cfg->rules[0].line, 16u);

  auto g = find_grant(*cfg, "acme", "cam-1");
  ASSERT_TRUE(g);
  ASSERT_EQ(g->topics.size(), 1u);
  EXPECT_EQ(g->topics[0], "devices/cam-1/#");
  auto gw = find_grant(*cfg, "acme", "gateway-1");  // exact beats the earlier glob
  ASSERT_TRUE(gw);
  EXPECT_EQ(gw->topics.size(), 2u);
  EXPECT_FALSE(find_grant(*cfg, "other", "cam-1"));  // deny by default
}

TEST(RelayConfig, ErrorsCarryLineNumbers) {
  struct Case {
    const char* text;
    std::size_t line;
    const char* needle;
  };
  const Case cases[] = {
      {"[relay]\nlisten = nowhere\n", 2, "listen"},
      {"[relay]\nbogus = 1\n", 2, "unknown key"},
      {"[relay]\nidle-timeout = 0\n", 2, "idle-timeout"},
      {"[relay]\nworkers = 0\n", 2, "workers"},
      {"[relay]\nworkers = 65\n", 2, "workers"},
      {"[relay]\nworkers = many\n", 2, "workers"},
      {"[relay]\nidle-timeout = 5\nidle-timeout = 6\n", 3, "twice"},
      {"[nope]\n", 1, "unknown section"},
      {"listen = 1.2.3.4:1\n", 1, "outside"},
      {"[allow]\nacme = x\n", 2, "tenant"},
      {"[allow]\nacme:c/m = x\n", 2, "glob"},
      {"[upstream]\n", 1, "name"},
      {"[upstream m]\nprotocol = http\n", 2, "protocol"},
      {"[upstream m]\nclient-id = mine\n", 2, "client-id"},
      {"[relay]\nlisten=1.1.1.1:1\ncert=a\nkey=b\nclient-ca=c\n[allow]\nt:d = nowhere\n", 7,
       "no [upstream nowhere]"},
      {"[relay]\nlisten=1.1.1.1:1\ncert=a\nkey=b\nclient-ca=c\n[upstream m]\nconnect=1.1.1.1:2\n"
       "protocol=mqtt\n[allow]\nt:d = m\n",
       10, "topics"},
      {"[relay]\nlisten=1.1.1.1:1\ncert=a\nkey=b\nclient-ca=c\n[upstream m]\nconnect=1.1.1.1:2\n"
       "protocol=mqtt\n[allow]\nt:d = m topics=a/#/b\n",
       10, "topic filter"},
      {"[relay]\nlisten=1.1.1.1:1\ncert=a\nkey=b\nclient-ca=c\n[upstream r]\nconnect=1.1.1.1:2\n"
       "[allow]\nt:d = r topics=a\n",
       9, "mqtt upstreams only"},
  };
  for (const auto& c : cases) {
    auto cfg = parse_config(c.text);
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_EQ(cfg.error().line, c.line) << c.text << " -> " << cfg.error().str();
    EXPECT_NE(cfg.error().message.find(c.needle), std::string::npos)
        << c.text << " -> " << cfg.error().str();
  }
  auto missing = parse_config("[relay]\nlisten = 1.2.3.4:5\n");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().line, 0u);
  EXPECT_EQ(missing.error().str(), "[relay] has no 'cert'");
}

TEST(RelayConfig, Workers) {
  const std::string base = "[relay]\nlisten=1.1.1.1:1\ncert=a\nkey=b\nclient-ca=c\n";
  auto four = parse_config(base + "workers = 4\n");
  ASSERT_TRUE(four) << four.error().str();
  EXPECT_EQ(four->workers, 4u);
  auto max = parse_config(base + "workers = 64\n");
  ASSERT_TRUE(max) << max.error().str();
  EXPECT_EQ(max->workers, 64u);
  auto autos = parse_config(base + "workers = auto\n");
  ASSERT_TRUE(autos) << autos.error().str();
  EXPECT_EQ(autos->workers, 0u);  // resolved to the online CPUs by Relay::create
}

TEST(RelayConfig, Endpoints) {
  EXPECT_TRUE(parse_endpoint("0.0.0.0:8883"));
  EXPECT_TRUE(parse_endpoint("*:8883"));
  EXPECT_TRUE(parse_endpoint("[::1]:8883"));
  EXPECT_TRUE(parse_endpoint("localhost:1883"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:65536"));
  EXPECT_FALSE(parse_endpoint("example.com:80"));
  EXPECT_FALSE(parse_endpoint("[::1]8883"));
  auto ep = parse_endpoint("[::1]:8883");
  EXPECT_EQ(endpoint_text(reinterpret_cast<const sockaddr*>(&ep->addr)), "[::1]:8883");
}

TEST(Glob, Matches) {
  EXPECT_TRUE(glob_match("*", "cam-1"));
  EXPECT_TRUE(glob_match("cam-*", "cam-1"));
  EXPECT_TRUE(glob_match("cam-?", "cam-1"));
  EXPECT_FALSE(glob_match("cam-?", "cam-12"));
  EXPECT_TRUE(glob_match("*-1", "cam-1"));
  EXPECT_TRUE(glob_match("c*m*1", "cam-1"));
  EXPECT_FALSE(glob_match("cam", "cam-1"));
  EXPECT_FALSE(glob_match("gw-*", "cam-1"));
  EXPECT_TRUE(glob_match("a*a*a*a*a*a*b", std::string(60, 'a') + "b"));
  EXPECT_FALSE(glob_match("a*a*a*a*a*a*b", std::string(64, 'a')));
}

TEST(Topics, MqttMatching) {
  EXPECT_TRUE(topic_matches("devices/cam-1/#", "devices/cam-1/temp"));
  EXPECT_TRUE(topic_matches("devices/cam-1/#", "devices/cam-1"));  // '#' includes the parent
  EXPECT_FALSE(topic_matches("devices/cam-1/#", "devices/cam-2/temp"));
  EXPECT_TRUE(topic_matches("devices/+/temp", "devices/cam-1/temp"));
  EXPECT_FALSE(topic_matches("devices/+/temp", "devices/cam-1/x/temp"));
  EXPECT_TRUE(topic_matches("#", "a/b"));
  EXPECT_FALSE(topic_matches("#", "$SYS/broker"));
  EXPECT_FALSE(topic_matches("+/broker", "$SYS/broker"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/broker"));
  EXPECT_TRUE(topic_matches("a//b", "a//b"));
  EXPECT_FALSE(topic_matches("a/b", "a/b/"));
}

TEST(Topics, FilterWithin) {
  EXPECT_TRUE(filter_within("devices/cam/+", "devices/cam/#"));
  EXPECT_TRUE(filter_within("devices/cam/#", "devices/cam/#"));
  EXPECT_TRUE(filter_within("devices/cam", "devices/cam/#"));
  EXPECT_TRUE(filter_within("devices/cam/a/b/#", "devices/cam/#"));
  EXPECT_FALSE(filter_within("devices/#", "devices/cam/#"));
  EXPECT_FALSE(filter_within("devices/+/x", "devices/cam/#"));
  EXPECT_FALSE(filter_within("#", "devices/#"));
  EXPECT_TRUE(filter_within("devices/+/x", "devices/+/x"));
  EXPECT_TRUE(filter_within("devices/a/x", "devices/+/x"));
  EXPECT_FALSE(filter_within("devices/+/#", "devices/+/x"));
  EXPECT_FALSE(filter_within("$SYS/#", "#"));
  EXPECT_TRUE(valid_topic_filter("a/+/#"));
  EXPECT_FALSE(valid_topic_filter("a/#/b"));
  EXPECT_FALSE(valid_topic_filter("a/b+"));
  EXPECT_FALSE(valid_topic_name("a/+"));
  EXPECT_EQ(expand_topic("t/{tenant}/{device}/{id}", "acme", "cam"), "t/acme/cam/acme:cam");
}

// MQTT packet builders.
std::vector<std::uint8_t> packet(std::uint8_t first, const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out{first};
  std::size_t len = body.size();
  do {
    std::uint8_t b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    out.push_back(b);
  } while (len);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
void put_str(std::vector<std::uint8_t>& v, std::string_view s) {
  v.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  v.push_back(static_cast<std::uint8_t>(s.size()));
  v.insert(v.end(), s.begin(), s.end());
}
std::vector<std::uint8_t> connect_packet(std::uint8_t level) {
  std::vector<std::uint8_t> b;
  put_str(b, "MQTT");
  b.push_back(level);
  b.push_back(0x02);  // clean session
  b.push_back(0);
  b.push_back(60);
  if (level == 5) b.push_back(0);  // properties
  put_str(b, "cam-1");
  return packet(0x10, b);
}
std::vector<std::uint8_t> publish_packet(std::string_view topic, std::string_view payload,
                                         bool v5 = false) {
  std::vector<std::uint8_t> b;
  put_str(b, topic);
  if (v5) b.push_back(0);
  b.insert(b.end(), payload.begin(), payload.end());
  return packet(0x30, b);
}
std::vector<std::uint8_t> subscribe_packet(std::vector<std::string> filters, bool v5 = false) {
  std::vector<std::uint8_t> b{0, 1};
  if (v5) b.push_back(0);
  for (const auto& f : filters) {
    put_str(b, f);
    b.push_back(1);
  }
  return packet(0x82, b);
}

std::optional<MqttViolation> feed_all(MqttGuard& g, const std::vector<std::uint8_t>& bytes,
                                      bool bytewise) {
  if (!bytewise) return g.feed(bytes);
  for (auto b : bytes)
    if (auto v = g.feed({&b, 1})) return v;
  return std::nullopt;
}

TEST(MqttGuard, EnforcesTopicsInAnySplit) {
  const std::vector<std::string> allowed{"devices/cam-1/#", "site/+/status"};
  for (bool bytewise : {false, true}) {
    for (std::uint8_t level : {4, 5}) {
      const bool v5 = level == 5;
      MqttGuard g(&allowed, 1 << 20);
      EXPECT_FALSE(feed_all(g, connect_packet(level), bytewise));
      EXPECT_EQ(g.protocol_level(), level);
      EXPECT_FALSE(feed_all(g, publish_packet("devices/cam-1/temp", "21.5", v5), bytewise));
      EXPECT_FALSE(
          feed_all(g, publish_packet("site/a/status", std::string(300, 'x'), v5), bytewise));
      EXPECT_FALSE(feed_all(g, packet(0xc0, {}), bytewise));  // PINGREQ
      EXPECT_FALSE(
          feed_all(g, subscribe_packet({"devices/cam-1/cmd/+", "site/x/status"}, v5), bytewise));
      auto bad = feed_all(g, publish_packet("devices/cam-2/temp", "1", v5), bytewise);
      ASSERT_TRUE(bad);
      EXPECT_EQ(bad->topic, "devices/cam-2/temp");
      EXPECT_TRUE(g.feed(connect_packet(4)));  // stays failed
    }
  }
}

std::vector<std::uint8_t> connect_with_will(std::uint8_t level, std::string_view will_topic) {
  std::vector<std::uint8_t> b;
  put_str(b, "MQTT");
  b.push_back(level);
  b.push_back(0x02 | 0x04);  // clean session, Will
  b.push_back(0);
  b.push_back(60);
  if (level == 5) b.push_back(0);  // properties
  put_str(b, "cam-1");
  if (level == 5) b.push_back(0);  // Will properties
  put_str(b, will_topic);
  put_str(b, "offline");
  return packet(0x10, b);
}

std::vector<std::uint8_t> connect_as(std::string_view client_id) {
  std::vector<std::uint8_t> b;
  put_str(b, "MQTT");
  b.push_back(4);
  b.push_back(0x02);
  b.push_back(0);
  b.push_back(60);
  put_str(b, client_id);
  return packet(0x10, b);
}

TEST(MqttGuard, BindsClientIdsToTheIdentity) {
  const std::vector<std::string> allowed{"#"};
  struct Case {
    ClientIdRule rule;
    const char* client_id;
    bool ok;
  };
  const Case cases[] = {
      {ClientIdRule::kOwn, "acme:cam-1", true},
      {ClientIdRule::kOwn, "acme:cam-1/sub-2", true},
      {ClientIdRule::kOwn, "mosq-3f9a1b", true},
      {ClientIdRule::kOwn, "", true},
      {ClientIdRule::kOwn, "acme:cam-2", false},
      {ClientIdRule::kOwn, "acme:cam-2/x", false},
      {ClientIdRule::kOwn, "acme:cam-10", false},
      {ClientIdRule::kIdentity, "acme:cam-1", true},
      {ClientIdRule::kIdentity, "acme:cam-1/a", true},
      {ClientIdRule::kIdentity, "mosq-3f9a1b", false},
      {ClientIdRule::kIdentity, "acme:cam-1x", false},
      {ClientIdRule::kAny, "acme:cam-2", true},
  };
  for (const auto& c : cases) {
    MqttGuard g(&allowed, 1024, "acme:cam-1", c.rule);
    auto v = g.feed(connect_as(c.client_id));
    EXPECT_EQ(!v, c.ok) << c.client_id << " rule " << static_cast<int>(c.rule);
  }
}

TEST(MqttGuard, ChecksTheWillTopic) {
  const std::vector<std::string> allowed{"devices/cam-1/#"};
  for (std::uint8_t level : {4, 5}) {
    MqttGuard ok(&allowed, 1024);
    EXPECT_FALSE(ok.feed(connect_with_will(level, "devices/cam-1/status")));
    EXPECT_EQ(ok.protocol_level(), level);
    MqttGuard bad(&allowed, 1024);
    auto v = bad.feed(connect_with_will(level, "devices/cam-2/cmd"));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->topic, "devices/cam-2/cmd");
  }
}

TEST(MqttGuard, RefusesWhatThePolicyDoesNotCover) {
  const std::vector<std::string> allowed{"devices/cam-1/#"};
  auto fresh = [&] {
    MqttGuard g(&allowed, 1024);
    EXPECT_FALSE(g.feed(connect_packet(4)));
    return g;
  };
  {
    auto g = fresh();
    auto v = g.feed(subscribe_packet({"devices/cam-1/x", "devices/#"}));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->topic, "devices/#");
  }
  {
    auto g = fresh();
    auto v = g.feed(subscribe_packet({"$share/g/devices/+/x"}));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->topic, "devices/+/x");
  }
  {
    auto g = fresh();
    EXPECT_FALSE(g.feed(subscribe_packet({"$share/g/devices/cam-1/x"})));
  }
  {
    auto g = fresh();
    EXPECT_TRUE(g.feed(publish_packet("devices/cam-1/+", "x")));  // wildcard in a name
  }
  {
    auto g = fresh();
    EXPECT_TRUE(g.feed(publish_packet("", "x")));  // empty topic before MQTT 5
  }
  {
    auto g = fresh();
    EXPECT_TRUE(g.feed(publish_packet("devices/cam-1/a", std::string(2000, 'x'))));  // > max
  }
  {
    MqttGuard g(&allowed, 1024);
    EXPECT_TRUE(g.feed(publish_packet("devices/cam-1/a", "x")));  // before CONNECT
  }
  {
    auto g = fresh();
    const std::uint8_t bad_len[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x7f};
    EXPECT_TRUE(g.feed(bad_len));
  }
  {
    auto g = fresh();
    EXPECT_TRUE(g.feed(connect_packet(4)));  // a second CONNECT
  }
  {
    MqttGuard g(&allowed, 1024);
    EXPECT_FALSE(g.feed(connect_packet(5)));
    EXPECT_FALSE(g.feed(publish_packet("", "x", true)));  // topic alias
  }
  {
    auto g = fresh();  // found by the fuzzer: a PUBLISH too short for its topic length
    const std::uint8_t short_publish[] = {0x30, 0x01, 0x00};
    EXPECT_TRUE(g.feed(short_publish));
  }
  {
    MqttGuard g(&allowed, 1024);
    const std::uint8_t short_connect[] = {0x10, 0x01, 0x00};
    EXPECT_TRUE(g.feed(short_connect));
  }
}

}  // namespace
}  // namespace warden::relay
