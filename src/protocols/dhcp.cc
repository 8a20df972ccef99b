#include "protocols/dhcp.h"

#include <array>

namespace warden::protocols {

namespace {

// op, htype, hlen, hops, xid, secs, flags, 4 addresses, chaddr[16], sname[64], file[128].
constexpr std::size_t kFixedHeader = 236;
constexpr std::size_t kSnameOffset = 44;
constexpr std::size_t kSnameSize = 64;
constexpr std::size_t kFileOffset = 108;
constexpr std::size_t kFileSize = 128;
constexpr std::uint32_t kMagicCookie = 0x63825363;

constexpr std::uint8_t kOptPad = 0;
constexpr std::uint8_t kOptRouter = 3;
constexpr std::uint8_t kOptDnsServer = 6;
constexpr std::uint8_t kOptHostname = 12;
constexpr std::uint8_t kOptDomainName = 15;
constexpr std::uint8_t kOptRequestedIp = 50;
constexpr std::uint8_t kOptLeaseTime = 51;
constexpr std::uint8_t kOptOverload = 52;
constexpr std::uint8_t kOptMessageType = 53;
constexpr std::uint8_t kOptServerId = 54;
constexpr std::uint8_t kOptParamList = 55;
constexpr std::uint8_t kOptVendorClass = 60;
constexpr std::uint8_t kOptClientId = 61;
constexpr std::uint8_t kOptClientFqdn = 81;
constexpr std::uint8_t kOptMudUrl = 161;
constexpr std::uint8_t kOptEnd = 255;

// Every option's value, with repeated instances concatenated (RFC 3396). The total is bounded
// by the payload size, since each payload byte lands in at most one value.
struct OptionTable {
  std::array<std::string, 256> value;

  std::string_view get(std::uint8_t code) const { return value[code]; }
};

// Reads one option area (the options field, or 'file'/'sname' under overload). base is the
// area's offset in the payload, so errors point into the original bytes.
std::optional<ParseError> read_options(Bytes area, std::size_t base, OptionTable& table) {
  ByteReader r(area);
  while (!r.empty()) {
    const std::size_t at = base + r.offset();
    const auto code = r.u8();
    if (!code || *code == kOptPad) continue;
    if (*code == kOptEnd) return std::nullopt;
    const auto len = r.u8();
    if (!len) return ParseError{"dhcp option length missing", at};
    const auto val = r.string(*len);
    if (!val) return ParseError{"dhcp option runs past end", at};
    table.value[*code].append(*val);
  }
  // A missing End option is common (and harmless): the area simply ends.
  return std::nullopt;
}

std::string bounded_string(std::string_view v) {
  while (!v.empty() && v.back() == '\0') v.remove_suffix(1);
  if (v.size() > kDhcpMaxString) v = v.substr(0, kDhcpMaxString);
  return std::string(v);
}

std::optional<IpAddr> address_option(std::string_view v) {
  if (v.size() < 4) return std::nullopt;
  return IpAddr::v4(as_bytes(v.substr(0, 4)));
}

std::vector<IpAddr> address_list(std::string_view v) {
  std::vector<IpAddr> out;
  for (std::size_t i = 0; i + 4 <= v.size() && out.size() < kDhcpMaxAddresses; i += 4) {
    out.push_back(IpAddr::v4(as_bytes(v.substr(i, 4))));
  }
  return out;
}

// Option 81 (RFC 4702): flags, two obsolete rcodes, then the name. With the E flag the name is
// DNS wire format (uncompressed labels, possibly a partial name without the root label);
// otherwise it is ASCII. A malformed label ends the name where it stops making sense: the rest
// of the message is still well formed, so it would be wrong to fail it.
std::string client_fqdn(std::string_view v) {
  if (v.size() < 3) return {};
  const bool wire = (static_cast<std::uint8_t>(v[0]) & 0x04) != 0;
  std::string_view name = v.substr(3);
  if (!wire) return bounded_string(name);
  std::string out;
  ByteReader r(as_bytes(name));
  while (auto len = r.u8()) {
    if (*len == 0 || *len > 63) break;
    const auto label = r.string(*len);
    if (!label || out.size() + label->size() + 1 > kDhcpMaxString) break;
    if (!out.empty()) out.push_back('.');
    out.append(*label);
  }
  return out;
}

}  // namespace

std::string DhcpMessage::param_list_string() const {
  std::string out;
  for (std::uint8_t code : param_request_list) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(code);
  }
  return out;
}

std::string_view dhcp_message_type_name(std::uint8_t t) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "unknown", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform"};
  return t < kNames.size() ? kNames[t] : kNames[0];
}

ParseResult<DhcpMessage> parse_dhcp(Bytes payload) {
  ByteReader r(payload);
  DhcpMessage m;
  const auto op = r.u8();
  const auto htype = r.u8();
  const auto hlen = r.u8();
  const bool hops_ok = r.skip(1);
  const auto xid = r.be32();
  const bool secs_flags_ok = r.skip(4);
  const auto ciaddr = r.bytes(4);
  const auto yiaddr = r.bytes(4);
  const auto siaddr = r.bytes(4);
  const auto giaddr = r.bytes(4);
  const auto chaddr = r.bytes(16);
  const bool sname_file_ok = r.skip(kSnameSize + kFileSize);
  if (!op || !htype || !hlen || !hops_ok || !xid || !secs_flags_ok || !ciaddr || !yiaddr ||
      !siaddr || !giaddr || !chaddr || !sname_file_ok) {
    return parse_error("dhcp header truncated", r.offset());
  }
  if (*op != 1 && *op != 2) return parse_error("dhcp bad op", 0);
  const auto cookie = r.be32();
  if (!cookie || *cookie != kMagicCookie) {
    return parse_error("dhcp magic cookie missing", kFixedHeader);
  }

  m.op = *op;
  m.xid = *xid;
  m.ciaddr = IpAddr::v4(*ciaddr);
  m.yiaddr = IpAddr::v4(*yiaddr);
  m.siaddr = IpAddr::v4(*siaddr);
  m.giaddr = IpAddr::v4(*giaddr);
  if (*htype == 1 && *hlen == 6) m.client_mac = MacAddr::from(chaddr->first(6));

  OptionTable opts;
  if (auto err = read_options(r.rest(), r.offset(), opts)) return Unexpected<ParseError>{*err};
  // Overload is read from the options field only (RFC 2131 4.1): an option 52 inside 'file' or
  // 'sname' must not pull in yet more areas.
  if (!opts.get(kOptOverload).empty()) {
    const auto overload = static_cast<std::uint8_t>(opts.get(kOptOverload)[0]);
    if (overload & 0x01) {
      if (auto err = read_options(payload.subspan(kFileOffset, kFileSize), kFileOffset, opts)) {
        return Unexpected<ParseError>{*err};
      }
    }
    if (overload & 0x02) {
      if (auto err = read_options(payload.subspan(kSnameOffset, kSnameSize), kSnameOffset, opts)) {
        return Unexpected<ParseError>{*err};
      }
    }
  }

  if (!opts.get(kOptMessageType).empty()) {
    m.msg_type = static_cast<std::uint8_t>(opts.get(kOptMessageType)[0]);
  }
  m.hostname = bounded_string(opts.get(kOptHostname));
  m.vendor_class = bounded_string(opts.get(kOptVendorClass));
  m.domain_name = bounded_string(opts.get(kOptDomainName));
  m.mud_url = bounded_string(opts.get(kOptMudUrl));
  m.client_fqdn = client_fqdn(opts.get(kOptClientFqdn));
  {
    const std::string_view prl = opts.get(kOptParamList);
    const std::size_t n = prl.size() < kDhcpMaxParamList ? prl.size() : kDhcpMaxParamList;
    m.param_request_list.assign(prl.begin(), prl.begin() + static_cast<std::ptrdiff_t>(n));
  }
  {
    const std::string_view cid = opts.get(kOptClientId);
    const std::size_t n = cid.size() < kDhcpMaxClientId ? cid.size() : kDhcpMaxClientId;
    m.client_id.assign(cid.begin(), cid.begin() + static_cast<std::ptrdiff_t>(n));
  }
  m.requested_ip = address_option(opts.get(kOptRequestedIp));
  m.server_id = address_option(opts.get(kOptServerId));
  if (const std::string_view lease = opts.get(kOptLeaseTime); lease.size() >= 4) {
    m.lease_seconds = ByteReader(as_bytes(lease)).be32();
  }
  m.routers = address_list(opts.get(kOptRouter));
  m.dns_servers = address_list(opts.get(kOptDnsServer));
  return m;
}

}  // namespace warden::protocols
