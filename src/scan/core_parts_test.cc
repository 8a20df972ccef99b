// Unit tests of the scanner's own parts: targets, identification, scoring, reports, storage.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "core/json_reader.h"
#include "core/temp_dir.h"
#include "scan/identify.h"
#include "scan/portscan.h"
#include "scan/report.h"
#include "scan/scanner.h"
#include "scan/score.h"
#include "scan/store.h"
#include "scan/targets.h"

namespace warden::scan {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST(Targets, ExpandsAddressesBlocksAndRanges) {
  auto r = expand_targets({"192.168.77.1", "192.168.77.11-13", "10.0.0.0/30", "192.168.77.12"});
  ASSERT_TRUE(r) << r.error();
  std::vector<std::string> got;
  for (const auto& a : *r) got.push_back(a.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{"192.168.77.1", "192.168.77.11", "192.168.77.12",
                                           "192.168.77.13", "10.0.0.1", "10.0.0.2"}));
  auto full = expand_targets({"192.168.77.20-192.168.77.21", "192.168.1.7/32"});
  ASSERT_TRUE(full);
  EXPECT_EQ(full->size(), 3u);
}

TEST(Targets, RefusesTyposAndHugeRanges) {
  for (const char* bad : {"192.168.77", "192.168.77.1/33", "192.168.77.9-3", "10.0.0.0/8",
                          "host name", "192.168.77.1-300", "::1/64", ""}) {
    EXPECT_FALSE(expand_targets({bad})) << bad;
  }
  EXPECT_FALSE(expand_targets({"10.0.0.0/20", "10.1.0.0/20"}, 4096));
}

TEST(Targets, ParsesPortLists) {
  auto p = parse_ports("80,22,8000-8002,22");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<std::uint16_t>{22, 80, 8000, 8001, 8002}));
  EXPECT_FALSE(parse_ports("0"));
  EXPECT_FALSE(parse_ports("70000"));
  EXPECT_FALSE(parse_ports("22,,x"));
  EXPECT_FALSE(parse_ports("90-80"));
}

TEST(Identify, ReadsGreetingsAndProbeAnswers) {
  Service ssh{22};
  identify("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", Probe::none, "", ssh);
  EXPECT_EQ(ssh.name, "ssh");
  EXPECT_EQ(ssh.product, "OpenSSH");
  EXPECT_EQ(ssh.version, "9.2p1");

  Service dropbear{2222};
  identify("SSH-2.0-dropbear_2020.81\r\n", Probe::http, "", dropbear);
  EXPECT_EQ(dropbear.product, "dropbear");
  EXPECT_EQ(dropbear.version, "2020.81");

  Service telnet{2323};
  identify(std::string("\xff\xfd\x01\xff\xfd\x1f", 6), Probe::none, "", telnet);
  EXPECT_EQ(telnet.name, "telnet");

  Service web{80};
  identify("", Probe::http,
           "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"RT-N66U\"\r\n"
           "Server: lighttpd/1.4.69\r\n\r\n",
           web);
  EXPECT_EQ(web.name, "http");
  EXPECT_EQ(web.product, "lighttpd");
  EXPECT_EQ(web.version, "1.4.69");

  Service upnp{5000};
  identify("", Probe::http,
           "HTTP/1.1 404 Not Found\r\nServer: Debian/12 UPnP/1.1 MiniUPnPd/2.3.1\r\n\r\n", upnp);
  EXPECT_EQ(upnp.name, "upnp");
  EXPECT_EQ(upnp.product, "MiniUPnPd");
  EXPECT_EQ(upnp.version, "2.3.1");

  Service mqtt{1883};
  identify("", Probe::mqtt, std::string("\x20\x02\x00\x05", 4), mqtt);
  EXPECT_EQ(mqtt.name, "mqtt");
  EXPECT_EQ(mqtt.banner, "CONNACK return code 5");

  Service ftp{21};
  identify("220 (vsFTPd 3.0.3)\r\n", Probe::none, "", ftp);
  EXPECT_EQ(ftp.name, "ftp");
  EXPECT_EQ(ftp.product, "vsFTPd");
  EXPECT_EQ(ftp.version, "3.0.3");

  Service tls{443};
  identify("", Probe::none, "", tls);
  EXPECT_EQ(tls.name, "https");
  EXPECT_TRUE(tls.tls);

  Service rtsp{554};
  identify("", Probe::rtsp, "RTSP/1.0 401 Unauthorized\r\nServer: Hipcam RealServer/V1.0\r\n\r\n",
           rtsp);
  EXPECT_EQ(rtsp.name, "rtsp");
  EXPECT_EQ(rtsp.product, "Hipcam");
}

TEST(Identify, HeaderLookupIsBoundedToTheHead) {
  std::string_view head = "HTTP/1.1 200 OK\r\nserver: a/1\r\n\r\nServer: body/2\r\n";
  EXPECT_EQ(header_value(head, "Server"), "a/1");
  EXPECT_EQ(header_value(head, "Location"), "");
  EXPECT_EQ(printable(std::string("a\x01\x7f\nb", 5)), "a.. b");
}

TEST(Portscan, EveryDefaultUdpPortHasAQuery) {
  for (auto p : default_udp_ports()) EXPECT_FALSE(udp_probe(p).empty()) << p;
  // The SNMP query's BER lengths agree with its size.
  std::string snmp = udp_probe(161);
  EXPECT_EQ(static_cast<unsigned char>(snmp[1]) + 2u, snmp.size());
}

Finding make(Severity s) {
  Finding f;
  f.kind = find_kind("service.exposed");
  f.severity = s;
  return f;
}

TEST(Score, WorstFindingCapsTheScore) {
  EXPECT_EQ(score_of({}), 100);
  EXPECT_EQ(score_of({make(Severity::info)}), 100);
  EXPECT_EQ(score_of({make(Severity::low)}), 90);
  EXPECT_EQ(score_of({make(Severity::critical)}), 20);
  EXPECT_EQ(score_of({make(Severity::high), make(Severity::high)}), 50);
  EXPECT_EQ(score_of({make(Severity::high), make(Severity::high), make(Severity::high)}), 25);
  std::vector<Finding> many(10, make(Severity::critical));
  EXPECT_EQ(score_of(many), 0);
  EXPECT_STREQ(grade_of(100), "A");
  EXPECT_STREQ(grade_of(20), "F");
}

TEST(Score, FinalizeRanksWorstFirst) {
  HostReport h;
  h.add("service.exposed", "x");
  h.add("tls.self_signed", "y", 443);
  h.add("cred.default", "root:xc3511", 23);
  finalize_host(h);
  EXPECT_EQ(h.findings[0].kind->id, "cred.default");
  EXPECT_EQ(h.findings[2].kind->id, "service.exposed");
  EXPECT_EQ(h.score, 20);  // 100 - 40 - 3, capped at 20 by the critical finding
}

TEST(Score, SharedKeysAreFlaggedOnEveryHolder) {
  std::vector<HostReport> hosts(3);
  hosts[0].addr = ip("192.168.1.2");
  hosts[1].addr = ip("192.168.1.3");
  hosts[2].addr = ip("192.168.1.4");
  hosts[0].keys.push_back({"ssh-hostkey", 22, "ab12", "ssh-ed25519"});
  hosts[0].keys.push_back({"ssh-hostkey", 2222, "ab12", "ssh-ed25519"});  // same host twice
  hosts[1].keys.push_back({"ssh-hostkey", 22, "ab12", "ssh-ed25519"});
  hosts[2].keys.push_back({"ssh-hostkey", 22, "cd34", "ssh-ed25519"});
  find_shared_keys(hosts);
  ASSERT_TRUE(hosts[0].has("key.shared"));
  EXPECT_EQ(hosts[0].findings.size(), 1u);
  EXPECT_NE(hosts[0].findings[0].evidence.find("192.168.1.3:22"), std::string::npos);
  EXPECT_TRUE(hosts[1].has("key.shared"));
  EXPECT_FALSE(hosts[2].has("key.shared"));
}

TEST(Scanner, ReadsMacsFromTheNeighbourTable) {
  const std::string table =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "192.168.77.13    0x1         0x2         ba:9b:3e:10:00:0d     *        eth0\n"
      "192.168.77.14    0x1         0x0         00:00:00:00:00:00     *        eth0\n";
  auto mac = mac_from_arp_table(table, ip("192.168.77.13"));
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->to_string(), "ba:9b:3e:10:00:0d");
  EXPECT_FALSE(mac_from_arp_table(table, ip("192.168.77.14")));
  EXPECT_FALSE(mac_from_arp_table(table, ip("192.168.77.1")));
}

ScanRun sample_run() {
  ScanRun run;
  run.started = "2026-12-02T00:00:00Z";
  HostReport h;
  h.addr = ip("192.168.77.13");
  h.up = true;
  h.mac = MacAddr::parse("ba:9b:3e:10:00:0d");
  h.services.push_back(Service{23, Transport::tcp, "telnet"});
  h.add("telnet.open", "port 23 <open>", 23);
  h.add("cred.default", "root:xc3511 (mirai) -> uid=0(root)", 23);
  GuessStats g;
  g.service = "telnet";
  g.port = 23;
  g.attempts = 1;
  g.valid_user = "root";
  g.valid_pass = "xc3511";
  g.stopped = "valid credential";
  h.guesses.push_back(g);
  finalize_host(h);
  run.hosts.push_back(h);
  HostReport silent;
  silent.addr = ip("192.168.77.99");
  run.hosts.push_back(silent);
  return run;
}

TEST(Report, JsonCarriesFindingsWithTheirMappings) {
  auto json = parse_json(run_json(sample_run()));
  ASSERT_TRUE(json);
  const JsonValue* hosts = json->find("hosts");
  ASSERT_TRUE(hosts && hosts->is_array());
  ASSERT_EQ(hosts->items().size(), 1u);  // the silent target is counted, not listed
  const JsonValue& h = hosts->items()[0];
  EXPECT_EQ(h.find("addr")->as_string(), "192.168.77.13");
  EXPECT_EQ(h.find("score")->as_integer(), 20);
  const JsonValue& f = h.find("findings")->items()[0];
  EXPECT_EQ(f.find("id")->as_string(), "cred.default");
  EXPECT_EQ(f.find("severity")->as_string(), "critical");
  EXPECT_EQ(f.find("etsi_en_303_645")->as_string(), "5.1-1, 5.1-2");
  EXPECT_EQ(h.find("credentials")->items()[0].find("password")->as_string(), "xc3511");
  EXPECT_EQ(json->find("summary")->find("findings")->find("critical")->as_integer(), 1);
}

TEST(Report, HtmlEscapesDeviceText) {
  std::string html = run_html(sample_run());
  EXPECT_NE(html.find("port 23 &lt;open&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<open>"), std::string::npos);
}

TEST(Store, ScoresFollowTheInventoryDevice) {
  TempDir dir;
  const std::string path = dir.path() + "/warden.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE devices(id TEXT PRIMARY KEY, mac TEXT, vendor TEXT, type "
                           "TEXT, confidence REAL, hostname TEXT, first_seen REAL, last_seen REAL, "
                           "record TEXT NOT NULL);"
                           "CREATE TABLE device_addresses(device_id TEXT NOT NULL, ip TEXT NOT "
                           "NULL, source TEXT, first_seen REAL, last_seen REAL);"
                           "INSERT INTO devices VALUES('dev-1','ba:9b:3e:10:00:0d','Acme','dvr',1,"
                           "'',0,0,'{}');"
                           "INSERT INTO device_addresses VALUES('dev-1','192.168.77.13','arp',0,0);"
                           "INSERT INTO device_addresses VALUES('dev-1','8.8.8.8','x',0,0);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = AssessmentStore::open(path);
  ASSERT_TRUE(store) << store.error();
  auto targets = (*store)->inventory_targets();
  ASSERT_TRUE(targets);
  ASSERT_EQ(targets->size(), 1u);  // the internet address the device talked to is not a target
  ScanRun run = sample_run();
  (*store)->match_devices(run.hosts);
  EXPECT_EQ(run.hosts[0].device_id, "dev-1");
  EXPECT_EQ(run.hosts[0].vendor, "Acme");
  auto saved = (*store)->save(run);
  ASSERT_TRUE(saved);
  EXPECT_EQ(*saved, 1u);
  run.hosts[0].findings.clear();
  finalize_host(run.hosts[0]);
  ASSERT_TRUE((*store)->save(run));
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT device_id, score FROM device_scores", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "dev-1");
  EXPECT_EQ(sqlite3_column_int(st, 1), 100);  // the latest assessment
  EXPECT_NE(sqlite3_step(st), SQLITE_ROW);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace warden::scan
