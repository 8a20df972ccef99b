#include "inventory/oui.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace warden::inventory {

namespace {

// Splits one CSV line into fields, honouring double quotes ("" inside quotes is a quote).
std::vector<std::string_view> split_csv(std::string_view line, std::string& scratch) {
  std::vector<std::string_view> out;
  scratch.clear();
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    char c = i < line.size() ? line[i] : ',';
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        scratch.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        scratch.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      spans.emplace_back(start, scratch.size() - start);
      start = scratch.size();
    } else {
      scratch.push_back(c);
    }
  }
  for (auto [s, n] : spans) out.push_back(std::string_view(scratch).substr(s, n));
  return out;
}

std::optional<std::uint64_t> parse_hex(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty() || s.size() > 12) return std::nullopt;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= static_cast<std::uint64_t>(c - '0');
    else if (c >= 'A' && c <= 'F')
      v |= static_cast<std::uint64_t>(c - 'A' + 10);
    else if (c >= 'a' && c <= 'f')
      v |= static_cast<std::uint64_t>(c - 'a' + 10);
    else
      return std::nullopt;
  }
  return v;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::size_t OuiDatabase::add_csv(std::string_view csv, int prefix_bits) {
  auto& table = prefix_bits == 24 ? l_ : prefix_bits == 28 ? m_ : s_;
  const std::size_t digits = static_cast<std::size_t>(prefix_bits / 4);
  std::size_t added = 0;
  std::string scratch;
  while (!csv.empty()) {
    std::size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view() : csv.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fields = split_csv(line, scratch);
    if (fields.size() < 3 || fields[1].size() != digits) continue;  // header or damage
    auto prefix = parse_hex(fields[1]);
    if (!prefix) continue;
    std::string_view name = fields[2];
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    table[*prefix] = std::string(name);
    ++added;
  }
  return added;
}

Result<OuiDatabase, std::string> OuiDatabase::load(const std::string& dir) {
  OuiDatabase db;
  bool ok = false;
  std::string text = read_file(dir + "/oui.csv", ok);
  if (!ok) {
    return unexpected(std::string("cannot read ") + dir +
                      "/oui.csv (install Debian's ieee-data package, or pass --oui-dir)");
  }
  if (db.add_csv(text, 24) == 0) return unexpected(dir + "/oui.csv has no MA-L entries");
  text = read_file(dir + "/mam.csv", ok);
  if (ok) db.add_csv(text, 28);
  text = read_file(dir + "/oui36.csv", ok);
  if (ok) db.add_csv(text, 36);
  return db;
}

std::string_view OuiDatabase::lookup(const MacAddr& mac) const {
  if (mac.is_local() || mac.is_multicast()) return {};
  const std::uint64_t v = mac.as_u64();
  if (auto it = s_.find(v >> 12); it != s_.end()) return it->second;
  if (auto it = m_.find(v >> 20); it != m_.end()) return it->second;
  if (auto it = l_.find(v >> 24); it != l_.end()) return it->second;
  return {};
}

}  // namespace warden::inventory
