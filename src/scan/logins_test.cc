// Unit tests of the login checks' codecs: telnet negotiation and prompts, MQTT packets, HTTP
// responses, WWW-Authenticate and Digest (RFC 2617/7616 vectors), login forms, FTP replies, and
// the credential files.
#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir.h"
#include "mqtt/wire.h"
#include "scan/checks.h"
#include "scan/http_auth.h"
#include "scan/telnet.h"

namespace warden::scan {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// --- telnet

TEST(TelnetNegotiator, RefusesAllButSgaAndEcho) {
  TelnetNegotiator n;
  std::string text, reply;
  // WILL ECHO, WILL SGA, DO TTYPE(24), DO NAWS(31), WILL LINEMODE(34), DO SGA, "login: "
  n.feed(bytes({255, 251, 1, 255, 251, 3, 255, 253, 24, 255, 253, 31, 255, 251, 34, 255, 253, 3}) +
             "login: ",
         text, reply);
  EXPECT_EQ(text, "login: ");
  EXPECT_EQ(reply, bytes({255, 253, 1, 255, 253, 3, 255, 252, 24, 255, 252, 31, 255, 254, 34, 255,
                          251, 3}));
}

TEST(TelnetNegotiator, SplitSequencesAndSubnegotiation) {
  TelnetNegotiator n;
  std::string text, reply;
  std::string all = "ab" + bytes({255, 253, 24}) + "c" +
                    bytes({255, 250, 24, 1, 255, 255, 255, 240}) + "d" + bytes({255, 255}) + "e" +
                    bytes({255, 241}) + "f";
  // Byte by byte: every sequence is cut somewhere.
  for (char c : all) n.feed(std::string_view(&c, 1), text, reply);
  EXPECT_EQ(text,
            "abcd\xff"
            "ef");
  EXPECT_EQ(reply, bytes({255, 252, 24}));
}

TEST(TelnetNegotiator, NoReplyStorm) {
  TelnetNegotiator n;
  std::string text, reply;
  for (int i = 0; i < 100; ++i) n.feed(bytes({255, 253, 24}), text, reply);
  EXPECT_EQ(reply.size(), 3u);
}

TEST(TelnetPrompt, Classifies) {
  EXPECT_EQ(classify_telnet("\r\nBusyBox v1.35\r\ndvr1 login: "), TelnetPrompt::login);
  EXPECT_EQ(classify_telnet("Username:"), TelnetPrompt::login);
  EXPECT_EQ(classify_telnet("root\r\nPassword: "), TelnetPrompt::password);
  EXPECT_EQ(classify_telnet("\r\nLogin incorrect\r\nvm login: "), TelnetPrompt::failure);
  EXPECT_EQ(classify_telnet("\r\n~ # "), TelnetPrompt::shell);
  EXPECT_EQ(classify_telnet("Last login: Mon\r\nsupport@dvr2:~$ "), TelnetPrompt::shell);
  EXPECT_EQ(classify_telnet("HG8245> "), TelnetPrompt::shell);
  EXPECT_EQ(classify_telnet("built-in shell (ash)\r\n\r\n~ # \x1b[6n"), TelnetPrompt::shell);
  EXPECT_EQ(classify_telnet("\x1b[1;32mroot@cam:~#\x1b[0m "), TelnetPrompt::shell);
  EXPECT_EQ(classify_telnet("Welcome to the device\r\n"), TelnetPrompt::none);
  EXPECT_EQ(classify_telnet(""), TelnetPrompt::none);
  EXPECT_EQ(classify_telnet("root\r\n"), TelnetPrompt::none);  // our echo alone
}

TEST(TelnetProof, MarkerIsNotInTheEcho) {
  EXPECT_EQ(kTelnetProofCommand.find(kTelnetProofMarker), std::string_view::npos);
  std::string out = std::string(kTelnetProofCommand) +
                    "WARDENOK42\r\nuid=0(root) gid=0(root) groups=0(root)\r\n# ";
  EXPECT_EQ(telnet_uid(out), "uid=0(root)");
  EXPECT_EQ(telnet_uid("; id\r\nWARDENOK42\r\n"), "");
  EXPECT_EQ(telnet_uid("uid=1001(support) gid=1001"), "uid=1001(support)");
}

// --- MQTT

TEST(Mqtt, ConnectAnonymousAndWithPassword) {
  auto a = mqtt::mqtt_connect("c", std::nullopt, std::nullopt, 30);
  EXPECT_EQ(a, bytes({0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 1, 'c'}));
  auto b = mqtt::mqtt_connect("c", std::string("u"), std::string("p"), 30);
  EXPECT_EQ(b, bytes({0x10, 19, 0, 4,   'M', 'Q', 'T', 'T', 4, 0xc2, 0,
                      30,   0,  1, 'c', 0,   1,   'u', 0,   1, 'p'}));
  auto f = mqtt::mqtt_frame(b);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, 1);
  EXPECT_EQ(f->size, b.size());
}

TEST(Mqtt, Subscribe) {
  EXPECT_EQ(mqtt::mqtt_subscribe(1, "#", 0), bytes({0x82, 6, 0, 1, 0, 1, '#', 0}));
}

TEST(Mqtt, FramesAndVarint) {
  EXPECT_EQ(mqtt::mqtt_frame("").error().reason, mqtt::kMqttIncomplete);
  EXPECT_EQ(mqtt::mqtt_frame(bytes({0x20})).error().reason, mqtt::kMqttIncomplete);
  EXPECT_EQ(mqtt::mqtt_frame(bytes({0x20, 2, 0})).error().reason, mqtt::kMqttIncomplete);
  EXPECT_EQ(mqtt::mqtt_frame(bytes({0x30, 0x80, 0x80})).error().reason, mqtt::kMqttIncomplete);
  EXPECT_NE(mqtt::mqtt_frame(bytes({0x30, 0xff, 0xff, 0xff, 0xff, 1})).error().reason,
            mqtt::kMqttIncomplete);
  const std::string connack = bytes({0x20, 2, 0, 5, 0x90});  // the frame's views point into it
  auto f = mqtt::mqtt_frame(connack);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 4u);
  auto ack = mqtt::parse_mqtt_connack(f->body);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, 5);
  // A 200-byte body takes two length bytes.
  std::string big = bytes({0x30, 0xc8, 0x01}) + std::string(200, 'x');
  auto g = mqtt::mqtt_frame(big);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->body.size(), 200u);
}

TEST(Mqtt, SubackAndPublish) {
  auto s = mqtt::parse_mqtt_suback(bytes({0, 1, 0}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->codes, std::vector<std::uint8_t>{0});
  EXPECT_EQ(mqtt::parse_mqtt_suback(bytes({0, 1, 0x80}))->codes[0], 0x80);
  EXPECT_FALSE(mqtt::parse_mqtt_suback(bytes({0, 1, 7})));
  std::string body = bytes({0, 19}) + "home/frontdoor/lock" + "unlocked";
  auto p = mqtt::parse_mqtt_publish(0x1, body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->topic, "home/frontdoor/lock");
  EXPECT_EQ(p->payload, "unlocked");
  EXPECT_TRUE(p->retain);
  auto q = mqtt::parse_mqtt_publish(0x2, bytes({0, 1, 't', 0, 9}) + "x");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->packet_id, 9);
  EXPECT_FALSE(mqtt::parse_mqtt_publish(0, bytes({0, 5, 't'})));
  EXPECT_FALSE(mqtt::parse_mqtt_publish(0x6, bytes({0, 0})));
}

// --- HTTP

TEST(Http, ParsesResponseHead) {
  std::string r =
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"RT-N66U\", charset=\"UTF-8\""
      "\r\nContent-Length: 5\r\n\r\nhello";
  auto h = parse_http_response(r);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 401);
  EXPECT_EQ(h->reason, "Unauthorized");
  EXPECT_EQ(*h->header("content-length"), "5");
  EXPECT_EQ(r.substr(h->head_size), "hello");
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nA: b\r\n").error().reason, kHttpIncomplete);
  EXPECT_TRUE(parse_http_response("RTSP/1.0 200 OK\nCSeq: 2\n\n"));
  EXPECT_FALSE(parse_http_response("SSH-2.0-OpenSSH\r\n\r\n"));
  EXPECT_FALSE(parse_http_response("HTTP/1.1 2x0 OK\r\n\r\n"));
}

TEST(Http, WwwAuthenticate) {
  auto c = parse_www_authenticate(
      "Digest realm=\"a, \\\"b\\\"\", qop=\"auth,auth-int\", algorithm=SHA-256, "
      "nonce=\"n1\", opaque=\"o\", stale=TRUE, Basic realm=\"x\"");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "digest");
  EXPECT_EQ(c[0].realm, "a, \"b\"");
  EXPECT_EQ(c[0].qop, "auth,auth-int");
  EXPECT_EQ(c[0].algorithm, "SHA-256");
  EXPECT_EQ(c[0].nonce, "n1");
  EXPECT_EQ(c[0].opaque, "o");
  EXPECT_TRUE(c[0].stale);
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].realm, "x");
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_EQ(parse_www_authenticate("Basic realm=\"unterminated").at(0).realm, "unterminated");
}

TEST(Http, Basic) {
  EXPECT_EQ(basic_authorization("admin", "admin"), "Basic YWRtaW46YWRtaW4=");
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
}

TEST(Http, DigestRfc2617) {
  AuthChallenge c;
  c.scheme = "digest";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.opaque = "5ccc069c403ebaf9f0171e9517f40e41";
  c.qop = "auth,auth-int";
  auto d =
      digest_authorization(c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1);
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << *d;
  EXPECT_NE(d->find("nc=00000001"), std::string::npos);
}

TEST(Http, DigestRfc7616) {
  AuthChallenge c;
  c.scheme = "digest";
  c.realm = "http-auth@example.org";
  c.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  c.opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
  c.qop = "auth, auth-int";
  const char* cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  c.algorithm = "MD5";
  auto md5 = digest_authorization(c, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce);
  ASSERT_TRUE(md5);
  EXPECT_NE(md5->find("response=\"8ca523f5e9506fed4657c9700eebdbec\""), std::string::npos) << *md5;
  c.algorithm = "SHA-256";
  auto sha = digest_authorization(c, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce);
  ASSERT_TRUE(sha);
  EXPECT_NE(
      sha->find("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
      std::string::npos)
      << *sha;
  c.algorithm = "SHA-512-256";
  EXPECT_FALSE(digest_authorization(c, "u", "p", "GET", "/", "x"));
  c.algorithm = "MD5";
  c.qop = "auth-int";
  EXPECT_FALSE(digest_authorization(c, "u", "p", "GET", "/", "x"));
  c.qop = "";  // RFC 2069 style: no nc/cnonce
  auto old = digest_authorization(c, "u", "p", "GET", "/", "x");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->find("cnonce"), std::string::npos);
}

TEST(Http, LoginForm) {
  auto f = find_login_form(
      "<html><form action=\"/search\"><input name=q></form>"
      "<FORM method=POST action='/cgi-bin/login.cgi'>"
      "<input type=\"hidden\" name=\"csrf\" value=\"t0k\">"
      "<input type=text name=username>"
      "<input type=password name=pwd>"
      "<input type=submit name=go value=Login></FORM>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->action, "/cgi-bin/login.cgi");
  EXPECT_EQ(f->method, "post");
  EXPECT_EQ(f->user_field, "username");
  EXPECT_EQ(f->pass_field, "pwd");
  ASSERT_EQ(f->hidden.size(), 2u);
  EXPECT_EQ(f->hidden[0].first, "csrf");
  EXPECT_EQ(f->hidden[0].second, "t0k");
  EXPECT_FALSE(find_login_form("<form><input type=text name=q></form>"));
  EXPECT_FALSE(find_login_form("<form"));
  EXPECT_TRUE(find_login_form("<form><input name=u><input type=password name=p"));
  EXPECT_EQ(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
}

TEST(Ftp, Replies) {
  auto r = parse_ftp_reply("220 vsFTPd\r\n331 more");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 220);
  EXPECT_EQ(r->size, 12u);
  EXPECT_FALSE(parse_ftp_reply("230-Welcome\r\n  text\r\n"));
  auto m = parse_ftp_reply("230-Welcome\r\n  text\r\n230 Login successful.\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->code, 230);
  EXPECT_FALSE(parse_ftp_reply("SSH-2.0\r\n"));
  EXPECT_FALSE(parse_ftp_reply("530 no"));
}

// --- credentials

TEST(Credentials, LoadsBothFormatsAndMerges) {
  TempDir dir;
  std::string m = dir.path() + "/m.tsv", v = dir.path() + "/v.tsv";
  std::ofstream(m) << "user\tpass\tweight\nroot\txc3511\t10\nadmin\tadmin\t7\nroot\t\t4\n";
  std::ofstream(v)
      << "user\tpass\tsource\nadmin\tadmin\tvendor:ASUS (manual)\nubnt\tubnt\tvendor:Ubiquiti\n";
  auto mi = load_credentials(m, "mirai");
  ASSERT_TRUE(mi);
  ASSERT_EQ(mi->size(), 3u);
  EXPECT_EQ((*mi)[0].source, "mirai");
  EXPECT_EQ((*mi)[2].pass, "");
  auto ve = load_credentials(v, "vendor");
  ASSERT_TRUE(ve);
  EXPECT_EQ((*ve)[0].source, "vendor:ASUS (manual)");
  auto all = merge_credentials({*ve, *mi});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].user + ":" + all[0].pass + " " + all[0].source,
            "admin:admin vendor:ASUS (manual); also mirai");
  EXPECT_EQ(all[1].source, "vendor:Ubiquiti");
  EXPECT_EQ(all[2].pass, "xc3511");
  EXPECT_FALSE(load_credentials(dir.path() + "/none.tsv", "x"));
}

TEST(Credentials, ShippedLists) {
  auto all = default_credential_list(std::string(WARDEN_SOURCE_DIR) + "/data");
  ASSERT_TRUE(all) << all.error();
  EXPECT_GT(all->size(), 60u);
  EXPECT_EQ(all->front().source.rfind("vendor:", 0), 0u);
  bool mirai = false;
  for (const auto& c : *all) mirai |= c.user == "root" && c.pass == "xc3511" && c.source == "mirai";
  EXPECT_TRUE(mirai);
}

TEST(Logins, NothingToDoWithoutServices) {
  HostReport h;
  h.addr = *IpAddr::parse("192.0.2.1");
  Service s;
  s.port = 443;
  s.name = "https";
  s.tls = true;
  h.services.push_back(s);
  check_logins(h, ScanOptions{});
  EXPECT_TRUE(h.findings.empty());
}

}  // namespace
}  // namespace warden::scan
