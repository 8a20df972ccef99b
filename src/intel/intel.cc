#include "intel/intel.h"

#include <algorithm>
#include <charconv>

#include "core/text.h"

namespace warden::intel {

namespace {

constexpr std::size_t kMaxLine = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"'))
    s.remove_suffix(1);
  return s;
}

bool is_hex32(std::string_view s) {
  if (s.size() != 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// A host name as feeds write it: labels of letters, digits, '-' and '_', at least one dot.
bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  if (s.front() == '.' || s.back() == '.') return false;
  bool has_alpha = false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(c >= '0' && c <= '9') && c != '-' && c != '_') return false;
    has_alpha |= alpha;
    ++label;
  }
  return has_alpha && label > 0 && label <= 63;
}

// Splits a CSV line on commas (quotes are trimmed from fields, not parsed: feeds rarely
// quote indicators, and a quoted comma inside one would not be an indicator anyway).
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (out.size() < 256) {
    std::size_t comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

IpAddr mask(const IpAddr& ip, std::uint8_t bits) {
  auto raw = ip.raw();
  const std::size_t offset = ip.is_v4() ? 96 : 0;
  const std::size_t keep = offset + bits;
  for (std::size_t i = 0; i < 16; ++i) {
    const std::size_t bit0 = i * 8;
    if (bit0 >= keep)
      raw[i] = 0;
    else if (bit0 + 8 > keep)
      raw[i] &= static_cast<std::uint8_t>(0xff << (8 - (keep - bit0)));
  }
  return IpAddr::v6(Bytes(reinterpret_cast<const std::byte*>(raw.data()), 16));
}

std::uint16_t IntelSet::list_id(const std::string& name) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<std::uint16_t>(i);
  }
  names_.push_back(name);
  return static_cast<std::uint16_t>(names_.size() - 1);
}

bool IntelSet::add_ip(std::string_view text, std::uint16_t list, ListStats& st) {
  std::string_view addr = text;
  std::optional<unsigned> bits;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    unsigned b = 0;
    auto len = text.substr(slash + 1);
    auto r = std::from_chars(len.data(), len.data() + len.size(), b);
    if (r.ec != std::errc() || r.ptr != len.data() + len.size()) return false;
    bits = b;
  }
  auto ip = IpAddr::parse(addr);
  if (!ip) return false;
  const unsigned max = ip->is_v4() ? 32 : 128;
  const unsigned b = bits.value_or(max);
  if (b > max) return false;
  nets_.emplace(IpKey{mask(*ip, static_cast<std::uint8_t>(b)), static_cast<std::uint8_t>(b)}, list);
  auto& lengths = ip->is_v4() ? v4_lengths_ : v6_lengths_;
  if (std::find(lengths.begin(), lengths.end(), b) == lengths.end()) {
    lengths.push_back(static_cast<std::uint8_t>(b));
    std::sort(lengths.rbegin(), lengths.rend());  // most specific first
  }
  (b == max ? st.ips : st.cidrs)++;
  return true;
}

ParseResult<ListStats> IntelSet::add_list(std::string_view text, const ListOptions& o) {
  ListStats st;
  const std::uint16_t list = list_id(o.name.empty() ? "unnamed" : o.name);
  int column = o.column;
  std::size_t line_no = 0;
  bool header_checked = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.size() > kMaxLine) {
      ++st.skipped;
      continue;
    }
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';' || line.starts_with("//")) continue;
    std::string_view value = line;
    if (column >= 0 || !o.column_name.empty() || line.find(',') != std::string_view::npos) {
      auto f = fields(line);
      if (!header_checked && !o.column_name.empty()) {
        header_checked = true;
        for (std::size_t i = 0; i < f.size(); ++i) {
          if (iequals(f[i], o.column_name)) column = static_cast<int>(i);
        }
        if (column < 0) {
          return parse_error("CSV header has no column with the given name", line_no);
        }
        continue;  // the header itself
      }
      const std::size_t c = column >= 0 ? static_cast<std::size_t>(column) : 0;
      if (c >= f.size()) {
        ++st.skipped;
        continue;
      }
      value = f[c];
    } else if (auto sp = line.find_first_of(" \t"); sp != std::string_view::npos) {
      // hosts-file lines ("0.0.0.0 evil.example"): the name is the last field.
      const std::string_view first = line.substr(0, sp);
      if (first == "0.0.0.0" || first == "127.0.0.1" || first == "::" || first == "::1") {
        value = trim(line.substr(line.find_last_of(" \t") + 1));
      } else {
        value = first;  // "indicator  # comment" or "indicator description"
      }
    }
    if (st.total() >= o.max_indicators)
      return parse_error("list has more indicators than allowed", line_no);
    bool added = false;
    if ((o.kind == Kind::kAuto || o.kind == Kind::kJa3) && is_hex32(value)) {
      ja3_.emplace(ascii_lower(value), list);
      ++st.ja3;
      added = true;
    } else if ((o.kind == Kind::kAuto || o.kind == Kind::kIp) && add_ip(value, list, st)) {
      added = true;
    } else if ((o.kind == Kind::kAuto || o.kind == Kind::kDomain) && is_domain(value)) {
      domains_.emplace(ascii_lower(value), list);
      ++st.domains;
      added = true;
    }
    if (!added) {
      if (st.skipped++ == 0) st.first_bad_line = line_no;
    }
  }
  return st;
}

std::optional<Match> IntelSet::match_ip(const IpAddr& ip) const {
  if (nets_.empty()) return std::nullopt;
  for (std::uint8_t bits : ip.is_v4() ? v4_lengths_ : v6_lengths_) {
    const IpKey key{mask(ip, bits), bits};
    if (auto it = nets_.find(key); it != nets_.end()) {
      const unsigned max = ip.is_v4() ? 32 : 128;
      std::string text = it->first.prefix.to_string();
      if (bits != max) {  // appends: GCC 12 -O3 misfires -Wrestrict on "/" + to_string()
        text += '/';
        text += std::to_string(bits);
      }
      return Match{names_[it->second], std::move(text)};
    }
  }
  return std::nullopt;
}

std::optional<Match> IntelSet::match_domain(std::string_view name) const {
  if (domains_.empty() || name.empty()) return std::nullopt;
  std::string n = ascii_lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  // The name itself, then each parent: a listed domain covers its subdomains.
  for (std::string_view s = n;;) {
    if (auto it = domains_.find(std::string(s)); it != domains_.end()) {
      return Match{names_[it->second], it->first};
    }
    const std::size_t dot = s.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    s.remove_prefix(dot + 1);
    if (s.find('.') == std::string_view::npos) return std::nullopt;  // never match a bare TLD
  }
}

std::optional<Match> IntelSet::match_ja3(std::string_view md5_hex) const {
  if (ja3_.empty()) return std::nullopt;
  if (auto it = ja3_.find(ascii_lower(md5_hex)); it != ja3_.end())
    return Match{names_[it->second], it->first};
  return std::nullopt;
}

std::size_t IntelSet::size() const { return nets_.size() + domains_.size() + ja3_.size(); }

std::size_t IntelSet::memory_bytes() const {
  // Hash node + bucket per entry, plus heap strings beyond the small-string buffer.
  std::size_t bytes = (nets_.size()) * (sizeof(IpKey) + sizeof(std::uint16_t) + 16 + 8);
  for (const auto* m : {&domains_, &ja3_}) {
    bytes += m->bucket_count() * sizeof(void*);
    for (const auto& [k, v] : *m)
      bytes += sizeof(std::string) + 16 + (k.size() > 15 ? k.size() + 1 : 0);
  }
  return bytes + nets_.bucket_count() * sizeof(void*);
}

}  // namespace warden::intel
