#include "identity/denylist.h"

#include <cstring>

#include "core/bytes.h"
#include "core/file.h"
#include "identity/identity.h"

namespace warden::identity {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r";
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<Sha256> parse_sha256_hex(std::string_view hex) {
  // Exactly 64 digits: from_hex alone would also take digit pairs separated by spaces.
  if (hex.size() != 64) return std::nullopt;
  const auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  Sha256 out{};
  std::memcpy(out.data(), bytes->data(), out.size());
  return out;
}

std::string sha256_hex(const Sha256& h) {
  return to_hex(Bytes(reinterpret_cast<const std::byte*>(h.data()), h.size()));
}

std::string DenyListError::str() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

Result<DenyList, DenyListError> DenyList::parse(std::string_view text) {
  DenyList list;
  std::size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos)
      return unexpected(DenyListError{line_no, "expected 'spki HEX', 'device T:D' or 'ca HEX'"});
    auto kind = line.substr(0, sp);
    auto value = trim(line.substr(sp));
    // A trailing comment after the value.
    if (auto hash = value.find(" #"); hash != std::string_view::npos)
      value = trim(value.substr(0, hash));
    if (auto hash = value.find("\t#"); hash != std::string_view::npos)
      value = trim(value.substr(0, hash));
    if (kind == "spki" || kind == "ca") {
      auto h = parse_sha256_hex(value);
      if (!h)
        return unexpected(DenyListError{
            line_no,
            std::string(kind) + " wants 64 hex digits (SHA-256 of the SubjectPublicKeyInfo)"});
      (kind == "spki" ? list.spkis_ : list.cas_).insert(*h);
    } else if (kind == "device") {
      auto colon = value.find(':');
      if (colon != std::string_view::npos && value.substr(colon + 1) == "*" &&
          valid_name(value.substr(0, colon))) {
        list.tenants_.emplace(value.substr(0, colon));
        continue;
      }
      auto id = parse_device_id(value);
      if (!id)
        return unexpected(DenyListError{line_no, "device wants <tenant>:<device> or <tenant>:*"});
      list.devices_.insert(id->str());
    } else {
      return unexpected(
          DenyListError{line_no, "unknown entry '" + std::string(kind) + "' (spki, device or ca)"});
    }
  }
  return list;
}

std::optional<std::string_view> DenyList::check(const Sha256& spki, std::string_view tenant,
                                                std::string_view device, const Sha256* ca_spkis,
                                                std::size_t ca_count) const {
  if (spkis_.count(spki)) return "spki";
  if (tenants_.find(tenant) != tenants_.end()) return "tenant";
  if (!devices_.empty()) {
    std::string id;
    id.reserve(tenant.size() + 1 + device.size());
    id.append(tenant).append(1, ':').append(device);
    if (devices_.count(id)) return "device";
  }
  for (std::size_t i = 0; i < ca_count; ++i)
    if (cas_.count(ca_spkis[i])) return "ca";
  return std::nullopt;
}

Result<DenyList, std::string> load_deny_list(const std::string& path) {
  auto text = read_file(path, kMaxDenyListBytes);
  if (!text) return unexpected("deny-list: " + text.error());
  auto list = DenyList::parse(*text);
  if (!list) return unexpected("deny-list " + path + ": " + list.error().str());
  return std::move(*list);
}

Result<std::string, std::string> deny_line(std::string_view kind, std::string_view value) {
  if (value.find_first_of("\r\n#") != std::string_view::npos)
    return unexpected(std::string("a deny-list value is one word"));
  std::string line = std::string(kind) + " " + std::string(value);
  auto parsed = DenyList::parse(line);
  if (!parsed) return unexpected(parsed.error().message);
  if (kind == "spki" || kind == "ca") {
    std::string lower(value);
    for (auto& c : lower)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return std::string(kind) + " " + lower;
  }
  return line;
}

}  // namespace warden::identity
