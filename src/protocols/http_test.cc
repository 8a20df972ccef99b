#include "protocols/http.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace warden::protocols {
namespace {

// alexa-app.pcapng frame 22: Android connectivity check.
constexpr std::string_view kAlexaGet =
    "GET /generate_204 HTTP/1.1\r\n"
    "User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.1.1; LGLS751 Build/LMY47V)\r\n"
    "Host: connectivitycheck.android.com\r\n"
    "Connection: Keep-Alive\r\n"
    "Accept-Encoding: gzip\r\n"
    "\r\n";

// alexa-app.pcapng frame 24: its answer.
constexpr std::string_view kAlexa204 =
    "HTTP/1.1 204 No Content\r\n"
    "Content-Length: 0\r\n"
    "Date: Fri, 31 Mar 2017 16:00:24 GMT\r\n"
    "\r\n";

// trickbot.pcap frame 4: C2 check-in; the 928-byte body follows in frame 5.
constexpr std::string_view kTrickbotPost =
    "POST /OK21pqJAtyyGBEo00sk HTTP/1.1\r\n"
    "Referer: http://82.118.225.196/OK21pqJAtyyGBEo00sk\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "DNT: 1\r\n"
    "User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; "
    ".NET4.0C; .NET4.0E)\r\n"
    "Host: 82.118.225.196:7080\r\n"
    "Content-Length: 928\r\n"
    "Connection: Keep-Alive\r\n"
    "Cache-Control: no-cache\r\n"
    "\r\n";

// trickbot.pcap frame 8, first 197 bytes: the C2 answer's head and 16 bytes of its body.
constexpr std::string_view kTrickbotResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx\r\n"
    "Date: Tue, 29 Dec 2020 18:21:49 GMT\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "Content-Length: 56532\r\n"
    "Connection: keep-alive\r\n"
    "Vary: Accept-Encoding\r\n"
    "\r\n"
    "\xdf\x6a\x56\xf8\xaf\x4b\x99\xe3\x6e\x33\xcf\xf8\xf6\x22\x11\x29";

// bot.pcap frame 4: a crawler.
constexpr std::string_view kBingbotGet =
    "GET /quartieri/img/S.Donato_M.Vittoria1930_B.jpg HTTP/1.1\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: Keep-Alive\r\n"
    "Pragma: no-cache\r\n"
    "Accept: */*\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "From: bingbot(at)microsoft.com\r\n"
    "Host: atlanteditorino.it\r\n"
    "User-Agent: Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)\r\n"
    "\r\n";

ParseResult<HttpHead> parse(std::string_view s) { return parse_http_head(as_bytes(s)); }

TEST(HttpHead, RealRequest) {
  auto h = parse(kAlexaGet);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_TRUE(h->is_request);
  EXPECT_EQ(h->method, "GET");
  EXPECT_EQ(h->target, "/generate_204");
  EXPECT_EQ(h->version, "HTTP/1.1");
  EXPECT_EQ(h->status, 0);
  ASSERT_EQ(h->headers.size(), 4u);
  EXPECT_EQ(h->headers[0].name, "User-Agent");
  EXPECT_EQ(h->headers[3].value, "gzip");
  EXPECT_TRUE(h->complete);
  EXPECT_EQ(h->head_length, kAlexaGet.size());
  EXPECT_EQ(h->header("host"), "connectivitycheck.android.com");
  EXPECT_EQ(h->header("USER-AGENT"),
            "Dalvik/2.1.0 (Linux; U; Android 5.1.1; LGLS751 Build/LMY47V)");
  EXPECT_FALSE(h->header("Cookie").has_value());
}

TEST(HttpHead, RealResponses) {
  auto h = parse(kAlexa204);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->is_request);
  EXPECT_EQ(h->version, "HTTP/1.1");
  EXPECT_EQ(h->status, 204);
  EXPECT_EQ(h->reason, "No Content");
  EXPECT_EQ(h->header("content-length"), "0");
  EXPECT_TRUE(h->complete);

  auto t = parse(kTrickbotResponse);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 200);
  EXPECT_EQ(t->reason, "OK");
  EXPECT_EQ(t->header("Server"), "nginx");
  EXPECT_EQ(t->headers.size(), 6u);
  EXPECT_TRUE(t->complete);
  EXPECT_EQ(t->head_length, 181u);  // the body starts right after the blank line
  EXPECT_EQ(kTrickbotResponse.substr(t->head_length, 2), "\xdf\x6a");
}

TEST(HttpHead, RealMalwareAndCrawlerRequests) {
  auto p = parse(kTrickbotPost);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->method, "POST");
  EXPECT_EQ(p->headers.size(), 8u);
  EXPECT_EQ(p->header("Host"), "82.118.225.196:7080");
  EXPECT_EQ(p->header("content-length"), "928");
  EXPECT_EQ(p->head_length, 349u);  // frame 4 carries exactly the head

  auto b = parse(kBingbotGet);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->target, "/quartieri/img/S.Donato_M.Vittoria1930_B.jpg");
  EXPECT_EQ(b->header("user-agent"),
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)");
}

// A head cut by a segment boundary at every possible offset: the start line must be whole to
// parse; after that, the headers seen so far are a prefix of the full list, and only a cut
// after the blank line reports a complete head.
TEST(HttpHead, EveryTruncationOfRealMessages) {
  for (std::string_view msg :
       {kAlexaGet, kAlexa204, kTrickbotPost, kTrickbotResponse, kBingbotGet}) {
    auto full = parse(msg);
    ASSERT_TRUE(full);
    std::size_t first_line_end = msg.find('\n') + 1;
    for (std::size_t n = 0; n < msg.size(); ++n) {
      auto h = parse(msg.substr(0, n));
      if (n < first_line_end) {
        ASSERT_FALSE(h) << n;
        EXPECT_EQ(h.error().reason, "truncated start line") << n;  // worth waiting for
        continue;
      }
      ASSERT_TRUE(h) << n;
      EXPECT_EQ(h->complete, n >= full->head_length) << n;
      ASSERT_LE(h->headers.size(), full->headers.size());
      for (std::size_t i = 0; i < h->headers.size(); ++i) {
        EXPECT_EQ(h->headers[i].name, full->headers[i].name);
        // Only whole lines are kept, so a value is never cut short.
        EXPECT_EQ(h->headers[i].value, full->headers[i].value);
      }
    }
  }
}

TEST(HttpHead, UnterminatedGarbageIsNotWorthWaitingFor) {
  const std::string_view tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  for (std::string_view s :
       {tls, std::string_view("{\"jsonrpc\""), std::string_view("\xff\xfb\x01"),
        std::string_view("\0\1", 2), std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ")}) {
    auto h = parse(s);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().reason, "not an HTTP start line") << s;
  }
  for (std::string_view s : {"", "H", "HTTP/1.", "RTSP", "GET", "M-SEARCH * HTT", "GET /x"}) {
    auto h = parse(s);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().reason, "truncated start line") << s;
  }
}

TEST(HttpHead, BareLfAndTrimming) {
  auto h = parse("HTTP/1.0 302 Found\nLocation:   /login \t\nX-Empty:\nServer:lighttpd\n\nbody");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, "HTTP/1.0");
  EXPECT_EQ(h->status, 302);
  EXPECT_EQ(h->header("location"), "/login");
  EXPECT_EQ(h->header("x-empty"), "");
  EXPECT_EQ(h->header("server"), "lighttpd");
  EXPECT_TRUE(h->complete);
  EXPECT_EQ(
      h->head_length,
      std::string_view("HTTP/1.0 302 Found\nLocation:   /login \t\nX-Empty:\nServer:lighttpd\n\n")
          .size());
}

TEST(HttpHead, StatusWithoutReasonAndRtsp) {
  auto h = parse("HTTP/1.1 200\r\n\r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->reason, "");

  auto r = parse("OPTIONS rtsp://192.168.1.20:554/stream1 RTSP/1.0\r\nCSeq: 1\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "OPTIONS");
  EXPECT_EQ(r->version, "RTSP/1.0");
  EXPECT_EQ(r->header("cseq"), "1");
  auto rr = parse("RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n");
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->status, 401);
}

TEST(HttpHead, DuplicateHeadersFirstWinsAndJunkLinesAreSkipped) {
  auto h = parse(
      "GET / HTTP/1.1\r\nHost: a\r\nthis line has no colon\r\n: empty name\r\n"
      "X-Folded: one\r\n  folded continuation\r\nhost: b\r\n\r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header("Host"), "a");
  ASSERT_EQ(h->headers.size(), 3u);
  EXPECT_EQ(h->headers[1].value, "one");
  EXPECT_EQ(h->headers[2].value, "b");
  EXPECT_TRUE(h->complete);
}

TEST(HttpHead, SpaceInTargetIsKept) {
  auto h = parse("GET /a b.html HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->target, "/a b.html");
}

TEST(HttpHead, RejectsWhatIsNotAStartLine) {
  for (std::string_view bad :
       {std::string_view(""), std::string_view("\r\n"), std::string_view("GET /\r\n"),
        std::string_view("GET  HTTP/1.1\r\n"), std::string_view("GET / HTTP/1.1x\r\n"),
        std::string_view("GET / FTP/1.1\r\n"), std::string_view("HTTP/1.1 20 OK\r\n"),
        std::string_view("HTTP/1.1 2000 OK\r\n"), std::string_view("HTTP/1.1\r\n"),
        std::string_view("HTTP/x.1 200 OK\r\n"), std::string_view("G\x01T / HTTP/1.1\r\n"),
        std::string_view("SSH-2.0-OpenSSH_8.9\r\n"), std::string_view("GET / HTTP/1.1"),
        std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
  std::string long_method(kHttpMaxLineLength, 'A');
  EXPECT_FALSE(parse(std::string(40, 'A') + " / HTTP/1.1\r\n\r\n"));  // method over 32 chars
  EXPECT_FALSE(parse(long_method));                                   // no newline in sight
}

TEST(HttpHead, BoundsHeaderCountAndLineLength) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  auto h = parse(many);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->headers.size(), kHttpMaxHeaders);
  EXPECT_TRUE(h->complete);  // still scanned to the end of the head
  EXPECT_EQ(h->head_length, many.size());

  std::string long_line =
      "GET / HTTP/1.1\r\nCookie: " + std::string(kHttpMaxLineLength, 'c') + "\r\n\r\n";
  auto l = parse(long_line);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().reason, "line too long");
  EXPECT_EQ(l.error().offset, 16u);

  // An unterminated line is waited for while it could still be legal, then refused.
  std::string partial = "GET / HTTP/1.1\r\nCookie: " + std::string(100, 'c');
  auto p = parse(partial);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->complete);
  EXPECT_TRUE(p->headers.empty());
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\n" + std::string(kHttpMaxLineLength + 1, 'c')));

  std::string long_target = "GET /" + std::string(kHttpMaxLineLength, 'x') + " HTTP/1.1\r\n\r\n";
  EXPECT_FALSE(parse(long_target));
}

TEST(HttpHead, BinaryAfterStartLineDoesNotConfuse) {
  std::string s = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 512; ++i) s.push_back(static_cast<char>(i * 37));
  auto h = parse(s);
  ASSERT_TRUE(h);
  EXPECT_LE(h->headers.size(), kHttpMaxHeaders);
}

TEST(HttpClassify, Requests) {
  for (std::string_view m : {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ",
                             "PATCH ", "NOTIFY ", "M-SEARCH ", "SUBSCRIBE ", "UNSUBSCRIBE "}) {
    EXPECT_TRUE(looks_like_http_request(as_bytes(std::string(m) + "/ HTTP/1.1\r\n"))) << m;
  }
  EXPECT_TRUE(looks_like_http_request(as_bytes(kAlexaGet)));
  EXPECT_TRUE(looks_like_http_request(as_bytes(kTrickbotPost)));
  for (std::string_view s : {"", "GET", "GETX / HTTP/1.1", "get / HTTP/1.1", " GET /",
                             "HTTP/1.1 200 OK", "PRI * HTTP/2.0", "DESCRIBE rtsp://x RTSP/1.0"}) {
    EXPECT_FALSE(looks_like_http_request(as_bytes(s))) << s;
  }
}

TEST(HttpClassify, Responses) {
  EXPECT_TRUE(looks_like_http_response(as_bytes(kAlexa204)));
  EXPECT_TRUE(looks_like_http_response(as_bytes("HTTP/1.0 ")));
  for (std::string_view s :
       {"", "HTTP/1", "HTTP/2 200", "http/1.1 200 OK", "RTSP/1.0 200 OK", "GET / HTTP/1.1"}) {
    EXPECT_FALSE(looks_like_http_response(as_bytes(s))) << s;
  }
}

}  // namespace
}  // namespace warden::protocols
