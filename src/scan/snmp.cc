// check_snmp: sysDescr.0 with the communities every agent ships with. A v2c agent answers only
// a community it accepts (a wrong one is dropped and counted), so any answer is the finding.
#include "scan/snmp.h"

#include <charconv>
#include <optional>
#include <random>

#include "scan/checks.h"
#include "scan/conn.h"

namespace warden::scan {
namespace {

constexpr std::uint8_t kInteger = 0x02, kOctetString = 0x04, kNull = 0x05, kOid = 0x06,
                       kSequence = 0x30, kGetRequest = 0xa0;

void put_length(std::string& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
    return;
  }
  std::string bytes;
  while (n > 0) {
    bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
    n >>= 8;
  }
  out.push_back(static_cast<char>(0x80 | bytes.size()));
  out += bytes;
}

std::string tlv(std::uint8_t tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  put_length(out, content.size());
  out += content;
  return out;
}

std::string ber_integer(std::int64_t v) {
  // Two's complement, minimal length.
  std::string bytes;
  for (int i = 7; i >= 0; --i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  std::size_t start = 0;
  while (start < 7) {
    auto b0 = static_cast<std::uint8_t>(bytes[start]);
    auto b1 = static_cast<std::uint8_t>(bytes[start + 1]);
    if ((b0 == 0x00 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80))) {
      ++start;
    } else {
      break;
    }
  }
  return tlv(kInteger, bytes.substr(start));
}

std::optional<std::string> ber_oid(std::string_view dotted) {
  std::vector<std::uint32_t> arcs;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    std::string_view part = dotted.substr(0, dot);
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size()) return std::nullopt;
    arcs.push_back(v);
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) return std::nullopt;
  std::string body;
  auto put_arc = [&](std::uint64_t v) {
    std::string b(1, static_cast<char>(v & 0x7f));
    while ((v >>= 7) > 0) b.insert(b.begin(), static_cast<char>(0x80 | (v & 0x7f)));
    body += b;
  };
  put_arc(std::uint64_t{arcs[0]} * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) put_arc(arcs[i]);
  return tlv(kOid, body);
}

struct Tlv {
  std::uint8_t tag = 0;
  Bytes content;
  std::size_t offset = 0;  // of the tag, in the whole datagram
};

// Reads one TLV from `r` (definite lengths of at most 4 bytes).
ParseResult<Tlv> read_tlv(ByteReader& r, std::size_t base) {
  std::size_t at = base + r.offset();
  auto tag = r.u8();
  if (!tag) return parse_error("truncated tag", at);
  if ((*tag & 0x1f) == 0x1f) return parse_error("multi-byte tag", at);
  auto l0 = r.u8();
  if (!l0) return parse_error("truncated length", at);
  std::size_t len = *l0;
  if (*l0 & 0x80) {
    unsigned n = *l0 & 0x7f;
    if (n == 0) return parse_error("indefinite length", at);
    if (n > 4) return parse_error("length too long", at);
    len = 0;
    for (unsigned i = 0; i < n; ++i) {
      auto b = r.u8();
      if (!b) return parse_error("truncated length", at);
      len = (len << 8) | *b;
    }
  }
  auto content = r.bytes(len);
  if (!content) return parse_error("content past the end", at);
  return Tlv{*tag, *content, at};
}

ParseResult<std::int64_t> integer_of(const Tlv& t) {
  if (t.tag != kInteger && !(t.tag >= 0x41 && t.tag <= 0x47 && t.tag != 0x44)) {
    return parse_error("expected an integer", t.offset);
  }
  if (t.content.empty() || t.content.size() > 8) return parse_error("bad integer length", t.offset);
  // Application types (Counter32, Gauge32, TimeTicks, Counter64) are unsigned.
  bool sign = t.tag == kInteger && (byte_at(t.content, 0) & 0x80);
  std::uint64_t v = sign ? ~std::uint64_t{0} : 0;
  for (std::size_t i = 0; i < t.content.size(); ++i) v = (v << 8) | byte_at(t.content, i);
  return static_cast<std::int64_t>(v);
}

std::string oid_string(Bytes c) {
  std::string out;
  std::uint64_t v = 0;
  bool first = true;
  for (std::size_t i = 0; i < c.size(); ++i) {
    std::uint8_t b = byte_at(c, i);
    if (v > (std::uint64_t{1} << 56)) return out + "?";  // an arc beyond any real one
    v = (v << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      std::uint64_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
      out = std::to_string(a) + "." + std::to_string(v - a * 40);
      first = false;
    } else {
      out += "." + std::to_string(v);
    }
    v = 0;
    if (out.size() > kSnmpMaxValue) break;
  }
  return out;
}

}  // namespace

std::string build_snmp_get(SnmpVersion version, std::string_view community, std::int32_t request_id,
                           std::string_view oid) {
  auto o = ber_oid(oid);
  if (!o) return {};
  std::string varbind = tlv(kSequence, *o + tlv(kNull, ""));
  std::string pdu = tlv(kGetRequest, ber_integer(request_id) + ber_integer(0) + ber_integer(0) +
                                         tlv(kSequence, varbind));
  return tlv(kSequence,
             ber_integer(static_cast<int>(version)) + tlv(kOctetString, community) + pdu);
}

ParseResult<SnmpMessage> parse_snmp(Bytes datagram) {
  ByteReader top(datagram);
  auto msg = read_tlv(top, 0);
  if (!msg) return Unexpected<ParseError>{msg.error()};
  if (msg->tag != kSequence) return parse_error("not a SEQUENCE", 0);
  // Offsets of inner TLVs: content starts after the outer header.
  std::size_t base = static_cast<std::size_t>(msg->content.data() - datagram.data());
  ByteReader r(msg->content);
  SnmpMessage m;
  auto ver = read_tlv(r, base);
  if (!ver) return Unexpected<ParseError>{ver.error()};
  auto v = integer_of(*ver);
  if (!v) return Unexpected<ParseError>{v.error()};
  m.version = *v;
  auto comm = read_tlv(r, base);
  if (!comm) return Unexpected<ParseError>{comm.error()};
  if (comm->tag != kOctetString) return parse_error("community is not a string", comm->offset);
  m.community = std::string(as_string_view(comm->content).substr(0, kSnmpMaxValue));
  auto pdu = read_tlv(r, base);
  if (!pdu) return Unexpected<ParseError>{pdu.error()};
  if (pdu->tag < 0xa0 || pdu->tag > 0xa8) return parse_error("not a PDU", pdu->offset);
  m.pdu_type = pdu->tag;
  std::size_t pbase = static_cast<std::size_t>(pdu->content.data() - datagram.data());
  ByteReader p(pdu->content);
  std::int64_t* fields[] = {&m.request_id, &m.error_status, &m.error_index};
  for (auto* f : fields) {
    auto t = read_tlv(p, pbase);
    if (!t) return Unexpected<ParseError>{t.error()};
    auto iv = integer_of(*t);
    if (!iv) return Unexpected<ParseError>{iv.error()};
    *f = *iv;
  }
  auto list = read_tlv(p, pbase);
  if (!list) return Unexpected<ParseError>{list.error()};
  if (list->tag != kSequence) return parse_error("varbind list is not a SEQUENCE", list->offset);
  std::size_t lbase = static_cast<std::size_t>(list->content.data() - datagram.data());
  ByteReader l(list->content);
  while (!l.empty() && m.varbinds.size() < kSnmpMaxVarbinds) {
    auto vb = read_tlv(l, lbase);
    if (!vb) return Unexpected<ParseError>{vb.error()};
    if (vb->tag != kSequence) return parse_error("varbind is not a SEQUENCE", vb->offset);
    std::size_t vbase = static_cast<std::size_t>(vb->content.data() - datagram.data());
    ByteReader vr(vb->content);
    auto name = read_tlv(vr, vbase);
    if (!name) return Unexpected<ParseError>{name.error()};
    if (name->tag != kOid) return parse_error("varbind name is not an OID", name->offset);
    auto value = read_tlv(vr, vbase);
    if (!value) return Unexpected<ParseError>{value.error()};
    SnmpVarbind b;
    b.oid = oid_string(name->content);
    b.tag = value->tag;
    switch (value->tag) {
      case kOctetString:
      case 0x44:  // Opaque
        b.value = std::string(as_string_view(value->content).substr(0, kSnmpMaxValue));
        break;
      case kOid:
        b.value = oid_string(value->content);
        break;
      case 0x40:  // IpAddress
        if (value->content.size() == 4) {
          b.value = std::to_string(byte_at(value->content, 0)) + "." +
                    std::to_string(byte_at(value->content, 1)) + "." +
                    std::to_string(byte_at(value->content, 2)) + "." +
                    std::to_string(byte_at(value->content, 3));
        }
        break;
      default:
        if (auto iv = integer_of(*value)) b.value = std::to_string(*iv);
        break;
    }
    m.varbinds.push_back(std::move(b));
  }
  return m;
}

void check_snmp(HostReport& host, const ScanOptions& options) {
  Service* s = host.service(161, Transport::udp);
  if (s == nullptr) return;
  Millis wait = std::min<Millis>(options.io_timeout, Millis(2000));
  std::mt19937 rng(std::random_device{}());
  struct Try {
    SnmpVersion version;
    std::string_view community;
  };
  // v2c first (what current agents speak); v1 only when neither community got a v2c answer,
  // for v1-only agents.
  std::vector<std::string> accepted;
  std::string descr;
  auto attempt = [&](const Try& t) {
    auto id = static_cast<std::int32_t>(rng() & 0x7fffffff);
    std::string q = build_snmp_get(t.version, t.community, id, kOidSysDescr);
    for (const auto& d : udp_exchange(host.addr, 161, q, wait, 1)) {
      if (d.from != host.addr) continue;
      auto m = parse_snmp(as_bytes(d.data));
      if (!m || m->pdu_type != 0xa2 || m->request_id != id || m->community != t.community) continue;
      accepted.push_back(std::string(t.community) +
                         (t.version == SnmpVersion::v1 ? " (v1)" : " (v2c)"));
      for (const auto& vb : m->varbinds) {
        if (vb.oid == kOidSysDescr && vb.tag == 0x04 && descr.empty()) {
          for (char c : vb.value.substr(0, 200)) descr.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
        }
      }
      return;
    }
  };
  attempt({SnmpVersion::v2c, "public"});
  attempt({SnmpVersion::v2c, "private"});
  if (accepted.empty()) attempt({SnmpVersion::v1, "public"});
  if (accepted.empty()) return;
  s = host.service(161, Transport::udp);
  s->name = "snmp";
  if (s->banner.empty()) s->banner = descr;
  std::string ev = "community ";
  for (std::size_t i = 0; i < accepted.size(); ++i) ev += (i ? ", " : "") + accepted[i];
  ev += " accepted; sysDescr \"" + descr + "\"";
  host.add("snmp.default_community", ev, 161, Transport::udp);
}

}  // namespace warden::scan
