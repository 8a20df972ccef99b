#include "core/json_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/json.h"
#include "core/text.h"

namespace warden {

JsonValue JsonValue::make_bool(bool b) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}
JsonValue JsonValue::make_number(double d, std::optional<std::int64_t> exact) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = d;
  v.integral_ = exact.has_value();
  v.integer_ = exact.value_or(0);
  return v;
}
JsonValue JsonValue::make_string(std::string s) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}
JsonValue JsonValue::make_array(std::vector<JsonValue> items) {
  JsonValue v;
  v.type_ = Type::kArray;
  v.items_ = std::move(items);
  return v;
}
JsonValue JsonValue::make_object(std::vector<JsonMember> members) {
  JsonValue v;
  v.type_ = Type::kObject;
  v.members_ = std::move(members);
  return v;
}

std::optional<std::int64_t> JsonValue::as_integer() const {
  if (type_ != Type::kNumber || !integral_) return std::nullopt;
  return integer_;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

bool JsonValue::operator==(const JsonValue& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return bool_ == o.bool_;
    case Type::kNumber:
      // 1.0 and 1 are the same JSON number; compare the exact integers when both have one.
      if (integral_ && o.integral_) return integer_ == o.integer_;
      return number_ == o.number_;
    case Type::kString:
      return string_ == o.string_;
    case Type::kArray:
      return items_ == o.items_;
    case Type::kObject:
      return members_ == o.members_;
  }
  return false;
}

namespace {

// Recursive descent over the text; depth is bounded by JsonLimits::max_depth, so the recursion
// is too (64 frames of a few hundred bytes).
class JsonParser {
 public:
  JsonParser(std::string_view text, const JsonLimits& limits) : s_(text), limits_(limits) {}

  ParseResult<JsonValue> parse() {
    if (s_.size() > limits_.max_bytes) return parse_error("input too large", limits_.max_bytes);
    skip_ws();
    auto v = value(0);
    if (!v) return v;
    skip_ws();
    if (pos_ != s_.size()) return parse_error("trailing characters after the value", pos_);
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  ParseResult<JsonValue> value(std::size_t depth) {
    if (++values_ > limits_.max_values) return parse_error("too many values", pos_);
    if (pos_ >= s_.size()) return parse_error("unexpected end of input", pos_);
    char c = s_[pos_];
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"': {
        auto str = string();
        if (!str) return Unexpected<ParseError>{str.error()};
        return JsonValue::make_string(std::move(*str));
      }
      case 't':
        if (literal("true")) return JsonValue::make_bool(true);
        break;
      case 'f':
        if (literal("false")) return JsonValue::make_bool(false);
        break;
      case 'n':
        if (literal("null")) return JsonValue();
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        break;
    }
    // NaN, Infinity, single quotes, bare words: all land here.
    return parse_error("unexpected character", pos_);
  }

  ParseResult<JsonValue> array(std::size_t depth) {
    if (depth > limits_.max_depth) return parse_error("nesting too deep", pos_);
    ++pos_;  // '['
    std::vector<JsonValue> items;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return JsonValue::make_array(std::move(items));
    }
    for (;;) {
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ']') return parse_error("trailing comma", pos_);
      auto v = value(depth);
      if (!v) return v;
      items.push_back(std::move(*v));
      skip_ws();
      if (pos_ >= s_.size()) return parse_error("unterminated array", pos_);
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return JsonValue::make_array(std::move(items));
      }
      return parse_error("expected ',' or ']'", pos_);
    }
  }

  ParseResult<JsonValue> object(std::size_t depth) {
    if (depth > limits_.max_depth) return parse_error("nesting too deep", pos_);
    const std::size_t start = pos_;
    ++pos_;  // '{'
    std::vector<JsonMember> members;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return JsonValue::make_object(std::move(members));
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size()) return parse_error("unterminated object", pos_);
      if (s_[pos_] == '}') return parse_error("trailing comma", pos_);
      if (s_[pos_] != '"') return parse_error("expected a string key", pos_);
      auto key = string();
      if (!key) return Unexpected<ParseError>{key.error()};
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return parse_error("expected ':'", pos_);
      ++pos_;
      skip_ws();
      auto v = value(depth);
      if (!v) return v;
      members.push_back(JsonMember{std::move(*key), std::move(*v)});
      skip_ws();
      if (pos_ >= s_.size()) return parse_error("unterminated object", pos_);
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return parse_error("expected ',' or '}'", pos_);
    }
    // Duplicates are found once the object is complete (the key strings no longer move):
    // sorting views is O(n log n) where a pairwise check would let a hostile file with 100k
    // keys cost 10^10 comparisons.
    if (members.size() > 1) {
      std::vector<std::string_view> keys;
      keys.reserve(members.size());
      for (const auto& m : members) keys.emplace_back(m.key);
      std::sort(keys.begin(), keys.end());
      if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
        return parse_error("duplicate key in object", start);
    }
    return JsonValue::make_object(std::move(members));
  }

  ParseResult<JsonValue> number() {
    const std::size_t start = pos_;
    bool integral = true;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return parse_error("truncated number", pos_);
    if (s_[pos_] == '0') {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        return parse_error("leading zero in number", start);
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return parse_error("expected a digit", pos_);
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      const std::size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return parse_error("expected a digit after '.'", pos_);
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      const std::size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return parse_error("expected a digit in exponent", pos_);
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec != std::errc() || r.ptr != last || !std::isfinite(d))
      return parse_error("number out of range", start);
    std::optional<std::int64_t> exact;
    if (integral) {
      std::int64_t i = 0;
      auto ri = std::from_chars(first, last, i);
      // Beyond 64 bits the number is kept as a double only.
      if (ri.ec == std::errc() && ri.ptr == last) exact = i;
    }
    return JsonValue::make_number(d, exact);
  }

  std::optional<unsigned> hex4() {
    if (s_.size() - pos_ < 4) return std::nullopt;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[pos_ + k];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<unsigned>(h - 'A' + 10);
      else
        return std::nullopt;
    }
    pos_ += 4;
    return v;
  }

  // At the opening quote; leaves pos_ after the closing one.
  ParseResult<std::string> string() {
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) return parse_error("unterminated string", pos_);
      if (out.size() > limits_.max_string) return parse_error("string too long", pos_);
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) return parse_error("control character in string", pos_);
      if (c >= 0x80) {
        std::size_t n = utf8_sequence_length(s_, pos_);
        if (n == 0) return parse_error("invalid UTF-8 in string", pos_);
        out.append(s_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      const std::size_t esc = pos_;
      ++pos_;
      if (pos_ >= s_.size()) return parse_error("unterminated string", pos_);
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          auto hi = hex4();
          if (!hi) return parse_error("bad \\u escape", esc);
          std::uint32_t cp = *hi;
          if (cp >= 0xdc00 && cp <= 0xdfff) return parse_error("lone low surrogate", esc);
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (s_.substr(pos_, 2) != "\\u") return parse_error("lone high surrogate", esc);
            pos_ += 2;
            auto lo = hex4();
            if (!lo) return parse_error("bad \\u escape", esc);
            if (*lo < 0xdc00 || *lo > 0xdfff) return parse_error("lone high surrogate", esc);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (*lo - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return parse_error("bad escape", esc);
      }
    }
  }

  std::string_view s_;
  const JsonLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

void write_value(JsonWriter& w, std::string& out, const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::kNull:
      w.null();
      break;
    case JsonValue::Type::kBool:
      w.value(v.as_bool());
      break;
    case JsonValue::Type::kNumber:
      if (auto i = v.as_integer()) {
        w.value(*i);
      } else {
        // JsonWriter::value(double) writes fixed notation with a set precision, which loses
        // 1e-300 and overflows its buffer for 1e300; the shortest round-trip form does neither.
        char buf[40];
        auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
        w.raw(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
      }
      break;
    case JsonValue::Type::kString:
      w.value(std::string_view(v.as_string()));
      break;
    case JsonValue::Type::kArray:
      w.begin_array();
      for (const auto& item : v.items()) write_value(w, out, item);
      w.end_array();
      break;
    case JsonValue::Type::kObject:
      w.begin_object();
      for (const auto& m : v.members()) {
        w.key(m.key);
        write_value(w, out, m.value);
      }
      w.end_object();
      break;
  }
}

}  // namespace

ParseResult<JsonValue> parse_json(std::string_view text, const JsonLimits& limits) {
  return JsonParser(text, limits).parse();
}

std::string to_json(const JsonValue& value) {
  std::string out;
  JsonWriter w(out);
  write_value(w, out, value);
  return out;
}

}  // namespace warden
