#include "relay/match.h"

#include <cstddef>
#include <vector>

namespace warden::relay {
namespace {

std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0;
  std::size_t star = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > 65535) return false;
  if (filter.find('\0') != std::string_view::npos) return false;
  auto lv = levels(filter);
  for (std::size_t i = 0; i < lv.size(); ++i) {
    const auto l = lv[i];
    if (l.find('#') != std::string_view::npos && (l != "#" || i + 1 != lv.size())) return false;
    if (l.find('+') != std::string_view::npos && l != "+") return false;
  }
  return true;
}

bool valid_topic_name(std::string_view topic) {
  return !topic.empty() && topic.size() <= 65535 &&
         topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#'))
    return false;
  auto f = levels(filter);
  auto t = levels(topic);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // also matches the parent level ("a/#" matches "a")
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

bool filter_within(std::string_view inner, std::string_view outer) {
  if (!inner.empty() && inner[0] == '$' && !outer.empty() && (outer[0] == '+' || outer[0] == '#'))
    return false;
  auto in = levels(inner);
  auto out = levels(outer);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == "#") return true;
    if (i >= in.size()) return false;
    if (in[i] == "#") return false;  // inner covers deeper and parent levels outer does not
    if (out[i] == "+") continue;     // one level of anything, '+' included
    if (in[i] != out[i]) return false;
  }
  return in.size() == out.size();
}

std::string expand_topic(std::string_view pattern, std::string_view tenant,
                         std::string_view device) {
  std::string out;
  out.reserve(pattern.size() + 32);
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern.substr(i, 8) == "{tenant}") {
      out += tenant;
      i += 8;
    } else if (pattern.substr(i, 8) == "{device}") {
      out += device;
      i += 8;
    } else if (pattern.substr(i, 4) == "{id}") {
      out += tenant;
      out += ':';
      out += device;
      i += 4;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

}  // namespace warden::relay
