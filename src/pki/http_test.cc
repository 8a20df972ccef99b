#include "pki/http.h"

#include <gtest/gtest.h>

namespace warden::pki {
namespace {

std::string reason(std::string_view bytes) {
  bool incomplete = false;
  auto r = parse_request(bytes, incomplete);
  if (r) return "ok";
  return (incomplete ? "incomplete: " : "") + std::string(r.error().reason);
}

TEST(HttpRequest, ParsesAnEnrollment) {
  const std::string req =
      "POST /.well-known/est/simpleenroll?x=1 HTTP/1.1\r\nHost: est\r\n"
      "authorization:  Bearer abc \r\nContent-Type: application/pkcs10\r\n"
      "X-Warden-Serial: SN1\r\nContent-Length: 4\r\n\r\nMIIBextra";
  bool incomplete = true;
  auto r = parse_request(req, incomplete);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_FALSE(incomplete);
  EXPECT_EQ(r->head.method, "POST");
  EXPECT_EQ(r->head.target, "/.well-known/est/simpleenroll");
  EXPECT_EQ(r->head.authorization, "Bearer abc");
  EXPECT_EQ(r->head.content_type, "application/pkcs10");
  EXPECT_EQ(r->head.warden_serial, "SN1");
  EXPECT_EQ(r->body, "MIIB");
}

TEST(HttpRequest, WaitsForTheRest) {
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nHost: x\r\n"), "incomplete: incomplete head");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc"),
            "incomplete: incomplete body");
  EXPECT_EQ(reason("GET /.well-known/est/cacerts HTTP/1.0\r\n\r\n"), "ok");
}

TEST(HttpRequest, RefusesWhatItDoesNotSpeak) {
  EXPECT_EQ(reason("GET / HTTP/2\r\n\r\n"), "bad HTTP version");
  EXPECT_EQ(reason("GET http://x/ HTTP/1.1\r\n\r\n"), "target not origin-form");
  EXPECT_EQ(reason("GET  / HTTP/1.1\r\n\r\n"), "malformed request line");
  EXPECT_EQ(reason("G(T / HTTP/1.1\r\n\r\n"), "bad method");
  EXPECT_EQ(reason("GET /\x01 HTTP/1.1\r\n\r\n"), "bad character in target");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), "folded header");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA b\r\n\r\n"), "header without colon");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA : b\r\n\r\n"), "bad header name");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n"), "bare CR or LF in header");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n"), "bad header value");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "Transfer-Encoding not supported");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            "conflicting Content-Length");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"), "ok");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), "bad Content-Length");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), "bad Content-Length");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"), "bad Content-Length");
  EXPECT_EQ(reason("POST / HTTP/1.1\r\nContent-Length: " + std::to_string(kMaxBodyBytes + 1) +
                   "\r\n\r\n"),
            "body too large");
}

TEST(HttpRequest, BoundsTheHead) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= kMaxHeaders; ++i) many += "A: b\r\n";
  EXPECT_EQ(reason(many + "\r\n"), "too many headers");
  EXPECT_EQ(reason("GET / HTTP/1.1\r\nA: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n"),
            "request head too large");
  EXPECT_EQ(reason("GET /" + std::string(kMaxTargetBytes, 'a') + " HTTP/1.1\r\n\r\n"),
            "target not origin-form");
}

}  // namespace
}  // namespace warden::pki
