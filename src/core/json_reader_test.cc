#include "core/json_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace warden {
namespace {

std::string_view reason(std::string_view text, const JsonLimits& limits = {}) {
  auto r = parse_json(text, limits);
  return r ? std::string_view("ok") : r.error().reason;
}

TEST(JsonReader, ParsesEveryKindKeepingKeyOrder) {
  auto r = parse_json(R"( {"b": [1, -2.5e1, true, false, null], "a": {"x": "y"}, "c": 0} )");
  ASSERT_TRUE(r) << r.error().reason << " at " << r.error().offset;
  const auto& v = *r;
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].key, "b");  // document order, not sorted
  EXPECT_EQ(v.members()[1].key, "a");
  const auto* b = v.find("b");
  ASSERT_TRUE(b && b->is_array());
  EXPECT_EQ(b->items()[0].as_integer(), 1);
  EXPECT_FALSE(b->items()[1].as_integer());  // fraction/exponent: no exact integer
  EXPECT_DOUBLE_EQ(b->items()[1].as_double(), -25.0);
  EXPECT_TRUE(b->items()[2].as_bool());
  EXPECT_TRUE(b->items()[4].is_null());
  EXPECT_EQ(v.find("a")->find("x")->as_string(), "y");
  EXPECT_EQ(v.find("zz"), nullptr);
}

TEST(JsonReader, LargeIntegersStayExact) {
  auto r = parse_json("[9007199254740993, -9223372036854775808, 18446744073709551616]");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->items()[0].as_integer(), 9007199254740993);  // not representable as a double
  EXPECT_EQ(r->items()[1].as_integer(), INT64_MIN);
  EXPECT_FALSE(r->items()[2].as_integer());  // beyond 64 bits: a double only
  EXPECT_DOUBLE_EQ(r->items()[2].as_double(), 18446744073709551616.0);
}

TEST(JsonReader, DecodesEscapesAndSurrogatePairs) {
  auto r = parse_json(R"("a\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_string(), "a\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(parse_json("\"\\u0000\"")->as_string(), std::string(1, '\0'));
}

TEST(JsonReader, RefusesBadStrings) {
  EXPECT_EQ(reason(R"("\x")"), "bad escape");
  EXPECT_EQ(reason(R"("\u12")"), "bad \\u escape");
  EXPECT_EQ(reason(R"("\u12G4")"), "bad \\u escape");
  EXPECT_EQ(reason(R"("\ud800")"), "lone high surrogate");
  EXPECT_EQ(reason(R"("\ud800\u0041")"), "lone high surrogate");
  EXPECT_EQ(reason(R"("\udc00")"), "lone low surrogate");
  EXPECT_EQ(reason("\"a\tb\""), "control character in string");
  EXPECT_EQ(reason("\"a\nb\""), "control character in string");
  EXPECT_EQ(reason("\"\xff\""), "invalid UTF-8 in string");
  EXPECT_EQ(reason("\"\xed\xa0\x80\""), "invalid UTF-8 in string");  // encoded surrogate
  EXPECT_EQ(reason("\"\xc0\xaf\""), "invalid UTF-8 in string");      // overlong '/'
  EXPECT_EQ(reason("\"abc"), "unterminated string");
  EXPECT_EQ(reason("\"abc\\"), "unterminated string");
  EXPECT_EQ(reason("'a'"), "unexpected character");
}

TEST(JsonReader, RefusesBadNumbers) {
  EXPECT_EQ(reason("01"), "leading zero in number");
  EXPECT_EQ(reason("-01"), "leading zero in number");
  EXPECT_EQ(reason("1."), "expected a digit after '.'");
  EXPECT_EQ(reason(".5"), "unexpected character");
  EXPECT_EQ(reason("1e"), "expected a digit in exponent");
  EXPECT_EQ(reason("-"), "truncated number");
  EXPECT_EQ(reason("+1"), "unexpected character");
  EXPECT_EQ(reason("NaN"), "unexpected character");
  EXPECT_EQ(reason("Infinity"), "unexpected character");
  EXPECT_EQ(reason("-Infinity"), "expected a digit");
  EXPECT_EQ(reason("1e999"), "number out of range");
  EXPECT_EQ(reason("0x10"), "trailing characters after the value");
  EXPECT_EQ(reason("-0"), "ok");
  EXPECT_EQ(reason("1E+2"), "ok");
}

TEST(JsonReader, RefusesBadStructure) {
  EXPECT_EQ(reason("[1,]"), "trailing comma");
  EXPECT_EQ(reason(R"({"a":1,})"), "trailing comma");
  EXPECT_EQ(reason("[1 2]"), "expected ',' or ']'");
  EXPECT_EQ(reason(R"({"a" 1})"), "expected ':'");
  EXPECT_EQ(reason(R"({a:1})"), "expected a string key");
  EXPECT_EQ(reason(R"({"a":1,"a":2})"), "duplicate key in object");
  EXPECT_EQ(reason("[1"), "unterminated array");
  EXPECT_EQ(reason(R"({"a":1)"), "unterminated object");
  EXPECT_EQ(reason(R"({"a":)"), "unexpected end of input");
  EXPECT_EQ(reason(""), "unexpected end of input");
  EXPECT_EQ(reason("   "), "unexpected end of input");
  EXPECT_EQ(reason("1 2"), "trailing characters after the value");
  EXPECT_EQ(reason("// c\n1"), "unexpected character");
  EXPECT_EQ(reason("tru"), "unexpected character");
  EXPECT_EQ(reason("nulll"), "trailing characters after the value");
}

TEST(JsonReader, ErrorsCarryTheOffset) {
  auto r = parse_json("{\"a\": [1, 2, x]}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 13u);
}

TEST(JsonReader, EnforcesLimits) {
  JsonLimits l;
  l.max_depth = 64;
  std::string deep(64, '[');
  deep += std::string(64, ']');
  EXPECT_EQ(reason(deep, l), "ok");
  std::string deeper(65, '[');
  deeper += std::string(65, ']');
  EXPECT_EQ(reason(deeper, l), "nesting too deep");
  // A megabyte of '[' is refused by depth long before the stack matters.
  EXPECT_EQ(reason(std::string(1'000'000, '['), l), "nesting too deep");

  l.max_bytes = 10;
  EXPECT_EQ(reason("[1,2,3,4,5,6]", l), "input too large");
  l = JsonLimits{};
  l.max_string = 4;
  EXPECT_EQ(reason("\"abcd\"", l), "ok");
  EXPECT_EQ(reason("\"abcdef\"", l), "string too long");
  l = JsonLimits{};
  l.max_values = 3;
  EXPECT_EQ(reason("[1,2]", l), "ok");
  EXPECT_EQ(reason("[1,2,3]", l), "too many values");
}

TEST(JsonReader, WritesBackToAnEqualValue) {
  const char* text =
      R"({"s":"\u00e9\n\"","n":[0,-1,1.5,1e300,-2.5e-300,12345678901234567890],"o":{},"a":[],)"
      R"("t":true,"z":null})";
  auto r = parse_json(text);
  ASSERT_TRUE(r);
  auto again = parse_json(to_json(*r));
  ASSERT_TRUE(again) << to_json(*r);
  EXPECT_EQ(*r, *again);
  EXPECT_EQ(to_json(*parse_json(R"({"a":[1,true,null,"x"]})")), R"({"a":[1,true,null,"x"]})");
}

}  // namespace
}  // namespace warden
