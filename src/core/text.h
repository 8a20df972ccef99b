// Small text helpers shared across modules: ASCII case folding for protocol tokens (never
// locale-dependent: header names are ASCII by spec) and number formatting for people.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace warden {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s);

// Case-insensitive (ASCII) equality, as HTTP header and XML element names compare.
bool iequals(std::string_view a, std::string_view b);
// Case-insensitive (ASCII) substring search.
bool icontains(std::string_view haystack, std::string_view needle);

// Appends a Unicode code point (at most U+10FFFF, validated by the caller) as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

// 1234567 -> "1,234,567"
std::string with_commas(std::uint64_t v);
// 1500000 -> "1.5 MB" (decimal units, as disk and network sizes are quoted)
std::string human_bytes(std::uint64_t bytes);

// Text made safe inside HTML or XML (element text and quoted attributes): & < > " ' escaped,
// valid UTF-8 kept, control bytes and broken sequences replaced by U+FFFD. Device-supplied
// strings (banners, UPnP names, host names) go through this before any page or SOAP body.
std::string markup_escape(std::string_view s);

}  // namespace warden
