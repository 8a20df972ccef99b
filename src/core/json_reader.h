// JsonValue and parse_json: a strict, bounded RFC 8259 reader that builds a small DOM from
// untrusted text (MUD files fetched from a device-chosen URL, configuration). It is the reading
// twin of JsonWriter (core/json.h). Strict means: one value, no comments, no trailing commas,
// no leading zeros, no NaN/Infinity, only valid UTF-8, no raw control characters in strings,
// no lone surrogates, and no duplicate object keys. Bounded means: input size, nesting depth,
// string length and value count are capped (JsonLimits), so a hostile file costs at most a
// known amount of stack and memory. Errors are a ParseError: a static reason and a byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace warden {

struct JsonLimits {
  std::size_t max_bytes = 1u << 20;    // whole input
  std::size_t max_depth = 64;          // nested arrays/objects; the parser recurses this deep
  std::size_t max_string = 64u << 10;  // one decoded string or key, in bytes
  std::size_t max_values = 200'000;    // every value counted, so the DOM stays a few MiB
};

struct JsonMember;

class JsonValue {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;  // null
  static JsonValue make_bool(bool b);
  static JsonValue make_number(double d, std::optional<std::int64_t> exact);
  static JsonValue make_string(std::string s);
  static JsonValue make_array(std::vector<JsonValue> items);
  static JsonValue make_object(std::vector<JsonMember> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Accessors return a neutral value (false, 0, empty) when the type differs; callers that care
  // check the type first.
  bool as_bool() const { return type_ == Type::kBool && bool_; }
  double as_double() const { return type_ == Type::kNumber ? number_ : 0.0; }
  // The exact value when the number was written as an integer (no fraction, no exponent) that
  // fits in 64 bits: ports and protocol numbers must not pass through a double.
  std::optional<std::int64_t> as_integer() const;
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<JsonMember>& members() const { return members_; }

  // The member named `key` of an object, or nullptr (also for non-objects).
  const JsonValue* find(std::string_view key) const;

  bool operator==(const JsonValue& other) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool integral_ = false;
  std::int64_t integer_ = 0;
  double number_ = 0.0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<JsonMember> members_;  // in document order
};

struct JsonMember {
  std::string key;
  JsonValue value;
  bool operator==(const JsonMember&) const = default;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Duplicate keys in one object
// are refused rather than resolved: RFC 8259 leaves their meaning open, so two readers of the
// same policy file could disagree about which value wins, and a policy must mean one thing.
ParseResult<JsonValue> parse_json(std::string_view text, const JsonLimits& limits = {});

// Writes `value` back as compact JSON with JsonWriter; integers are written exactly, other
// numbers in the shortest form that reads back to the same double.
std::string to_json(const JsonValue& value);

}  // namespace warden
