// JsonWriter: a streaming writer of one JSON value into a std::string, with correct escaping
// of arbitrary (possibly hostile, non-UTF-8) bytes. Used for every JSON Lines record; it never
// allocates a DOM, so writing a flow record costs one string append per field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace warden {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
  JsonWriter& value(double v, int precision = 6);
  JsonWriter& null();
  // A pre-formatted JSON number or literal (e.g. an epoch timestamp string "123.456").
  JsonWriter& raw(std::string_view json);

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separator();
  std::string& out_;
  bool need_comma_ = false;
};

// Appends s as a JSON string literal. Bytes that are not valid UTF-8 are written as \u00XX of
// the byte value (latin-1 interpretation) so the output is always valid JSON and reversible.
void json_escape(std::string& out, std::string_view s);

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when the bytes
// there are not valid UTF-8 (overlong forms, surrogates and truncated sequences included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

}  // namespace warden
