#include "geo/geo.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace warden::geo {
namespace {

// Splits one CSV line into at most `max` fields; a field may be double-quoted (with "" for a
// quote), as organisation names with commas are.
std::size_t split_csv(std::string_view line, std::string_view* out, std::size_t max,
                      std::string& scratch) {
  std::size_t n = 0, i = 0;
  scratch.clear();
  // Unquoted text is never longer than the line: with this much room reserved, scratch never
  // reallocates, so the views into it stay valid.
  scratch.reserve(line.size());
  while (n < max) {
    if (i < line.size() && line[i] == '"') {
      const std::size_t begin = scratch.size();
      ++i;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            scratch.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        scratch.push_back(line[i++]);
      }
      out[n++] = std::string_view(scratch).substr(begin);
      while (i < line.size() && line[i] != ',') ++i;
    } else {
      const std::size_t comma = line.find(',', i);
      out[n++] =
          line.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
      i = comma;
    }
    if (i == std::string_view::npos || i >= line.size()) break;
    ++i;  // past the comma
  }
  return n;
}

std::optional<IpAddr> parse_address(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    if (s.size() > 10) return std::nullopt;  // numeric form: IPv4 only
    std::uint64_t v = 0;
    for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > 0xffffffffu) return std::nullopt;
    return IpAddr::v4(static_cast<std::uint32_t>(v));
  }
  return IpAddr::parse(s);
}

std::optional<std::uint32_t> parse_asn(std::string_view s) {
  if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
    s.remove_prefix(2);
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  if (v == 0 || v > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

bool is_country(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace

ParseResult<LoadStats> GeoDb::add_csv(std::string_view text) {
  LoadStats st;
  const std::size_t countries_from = countries_.size(), networks_from = networks_.size();
  std::unordered_map<std::string, std::uint32_t> org_index;
  for (std::uint32_t i = 0; i < orgs_.size(); ++i) org_index.emplace(orgs_[i], i);
  std::string scratch;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::string_view f[4];
    const std::size_t n = split_csv(line, f, 4, scratch);
    auto skip = [&] {
      ++st.skipped;
      if (st.first_bad_line == 0) st.first_bad_line = line_no;
    };
    if (n < 3) {
      skip();
      continue;
    }
    const auto start = parse_address(trim(f[0]));
    const auto end = parse_address(trim(f[1]));
    if (!start || !end || *end < *start || start->is_v4() != end->is_v4()) {
      skip();
      continue;
    }
    if (size() >= kMaxRanges) return parse_error("more ranges than the cap of 20,000,000", pos);
    const std::string_view third = trim(f[2]);
    if (n == 3 && is_country(third)) {
      const std::uint32_t code = (static_cast<std::uint32_t>(third[0]) << 8) | third[1];
      countries_.push_back(Range{*start, *end, code, 0});
      ++st.country_ranges;
    } else if (const auto asn = parse_asn(third)) {
      std::string org(n > 3 ? trim(f[3]).substr(0, 128) : std::string_view());
      auto [it, added] = org_index.emplace(org, static_cast<std::uint32_t>(orgs_.size()));
      if (added) orgs_.push_back(std::move(org));
      networks_.push_back(Range{*start, *end, *asn, it->second});
      ++st.asn_ranges;
    } else {
      skip();
    }
  }
  sort_new(countries_, countries_from);
  sort_new(networks_, networks_from);
  // Views handed out by lookup() point into this table: one entry per two-letter code.
  if (country_names_.empty()) {
    country_names_.resize(26 * 26);
    for (int a = 0; a < 26; ++a)
      for (int b = 0; b < 26; ++b)
        country_names_[static_cast<std::size_t>(a * 26 + b)] = {static_cast<char>('A' + a),
                                                                static_cast<char>('A' + b)};
  }
  return st;
}

void GeoDb::sort_new(std::vector<Range>& v, std::size_t from) {
  auto by_start = [](const Range& a, const Range& b) { return a.start < b.start; };
  std::sort(v.begin() + static_cast<std::ptrdiff_t>(from), v.end(), by_start);
  std::inplace_merge(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(from), v.end(), by_start);
}

const GeoDb::Range* GeoDb::find(const std::vector<Range>& v, const IpAddr& ip) {
  // The last range starting at or before ip; lists do not overlap, so it is the only candidate.
  auto it = std::upper_bound(v.begin(), v.end(), ip,
                             [](const IpAddr& x, const Range& r) { return x < r.start; });
  if (it == v.begin()) return nullptr;
  --it;
  return ip <= it->end ? &*it : nullptr;
}

GeoInfo GeoDb::lookup(const IpAddr& ip) const {
  GeoInfo g;
  if (const Range* r = find(countries_, ip)) {
    const std::size_t a = ((r->value >> 8) & 0xff) - 'A', b = (r->value & 0xff) - 'A';
    g.country = country_names_[a * 26 + b];
  }
  if (const Range* r = find(networks_, ip)) {
    g.asn = r->value;
    g.as_org = orgs_[r->org];
  }
  return g;
}

std::size_t GeoDb::memory_bytes() const {
  std::size_t bytes = (countries_.capacity() + networks_.capacity()) * sizeof(Range);
  for (const auto& o : orgs_) bytes += sizeof(std::string) + o.capacity();
  return bytes;
}

}  // namespace warden::geo
