#include "protocols/dns.h"

namespace warden::protocols {

namespace {

constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, counting length bytes and root

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeNs = 2;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypePtr = 12;
constexpr std::uint16_t kTypeMx = 15;
constexpr std::uint16_t kTypeTxt = 16;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kTypeSrv = 33;
constexpr std::uint16_t kTypeDname = 39;
constexpr std::uint16_t kTypeOpt = 41;

constexpr std::uint16_t kClassTopBit = 0x8000;

// Reads a possibly compressed name at r's position and leaves r just after the name's bytes
// at that position (after the first pointer, if any). Pointers are resolved against the whole
// message r reads, and each must point before the start of the label run it ends: targets then
// strictly decrease, so a hostile loop cannot exist, and the jump count bounds the work anyway.
ParseResult<std::string> read_name(ByteReader& r) {
  ByteReader cur(r.whole());
  cur.seek(r.offset());
  std::string name;
  std::size_t run_start = r.offset();
  std::optional<std::size_t> resume;
  std::size_t wire = 1;  // the root label's zero byte
  int jumps = 0;
  for (;;) {
    const std::size_t at = cur.offset();
    const auto len = cur.u8();
    if (!len) return parse_error("dns name truncated", at);
    if ((*len & 0xC0) == 0xC0) {
      const auto low = cur.u8();
      if (!low) return parse_error("dns name truncated", at);
      const std::size_t target = (std::size_t{*len & 0x3Fu} << 8) | *low;
      if (target >= run_start) return parse_error("dns compression pointer not backwards", at);
      if (++jumps > kDnsMaxPointerJumps) return parse_error("dns too many pointers", at);
      if (!resume) resume = cur.offset();
      run_start = target;
      cur.seek(target);
      continue;
    }
    // 0x40 (extended label types, deprecated by RFC 6891) and 0x80 (reserved): nobody sends
    // them, so a length byte above 63 means this is not a name.
    if ((*len & 0xC0) != 0) return parse_error("dns bad label type", at);
    if (*len == 0) break;
    wire += *len + 1u;
    if (wire > kMaxNameWire) return parse_error("dns name too long", at);
    const auto label = cur.string(*len);
    if (!label) return parse_error("dns name truncated", at);
    if (!name.empty()) name.push_back('.');  // labels are never empty
    name.append(*label);
  }
  r.seek(resume ? *resume : cur.offset());
  return name;
}

// Best-effort rdata decoding: the record is already framed by rdlength, so anything malformed
// here leaves the typed fields empty instead of failing the message.
void read_rdata(Bytes msg, std::size_t start, std::size_t end, DnsRecord& rec) {
  ByteReader r(msg.first(end));
  r.seek(start);
  const std::size_t len = end - start;
  // A name inside rdata may point back anywhere in the message but must not run past rdata.
  auto name_at = [&](std::size_t skip) -> std::string {
    if (!r.skip(skip)) return {};
    auto n = read_name(r);
    return n ? std::move(*n) : std::string();
  };
  switch (rec.type) {
    case kTypeA:
      if (len == 4) rec.address = IpAddr::v4(msg.subspan(start, 4));
      break;
    case kTypeAaaa:
      if (len == 16) rec.address = IpAddr::v6(msg.subspan(start, 16));
      break;
    case kTypeCname:
    case kTypePtr:
    case kTypeNs:
    case kTypeDname:
      rec.target = name_at(0);
      break;
    case kTypeMx:
      rec.target = name_at(2);
      break;
    case kTypeSrv: {
      // priority, weight, port, target
      if (!r.skip(4)) break;
      const auto port = r.be16();
      if (!port) break;
      rec.port = *port;
      rec.target = name_at(0);
      break;
    }
    case kTypeTxt:
      while (!r.empty() && rec.txt.size() < kDnsMaxTxtStrings) {
        const auto n = r.u8();
        const auto s = n ? r.string(*n) : std::nullopt;
        if (!s) break;
        rec.txt.emplace_back(*s);
      }
      break;
    default:
      break;
  }
}

ParseResult<DnsRecord> read_record(ByteReader& r) {
  DnsRecord rec;
  auto name = read_name(r);
  if (!name) return Unexpected<ParseError>{name.error()};
  rec.name = std::move(*name);
  const std::size_t at = r.offset();
  const auto type = r.be16();
  const auto klass = r.be16();
  const auto ttl = r.be32();
  const auto rdlength = r.be16();
  if (!type || !klass || !ttl || !rdlength) return parse_error("dns record truncated", at);
  const std::size_t start = r.offset();
  if (!r.skip(*rdlength)) return parse_error("dns rdata runs past end", start - 2);
  rec.type = *type;
  rec.ttl = *ttl;
  rec.rdata_length = *rdlength;
  if (rec.type == kTypeOpt) {
    rec.klass = *klass;  // the requester's UDP payload size, not a class
  } else {
    rec.klass = static_cast<std::uint16_t>(*klass & ~kClassTopBit);
    rec.cache_flush = (*klass & kClassTopBit) != 0;
  }
  read_rdata(r.whole(), start, r.offset(), rec);
  return rec;
}

}  // namespace

ParseResult<DnsMessage> parse_dns(Bytes payload) {
  ByteReader r(payload);
  const auto id = r.be16();
  const auto flags = r.be16();
  const auto qd = r.be16();
  const auto an = r.be16();
  const auto ns = r.be16();
  const auto ar = r.be16();
  if (!id || !flags || !qd || !an || !ns || !ar) return parse_error("dns header truncated", 0);
  // Counts are never trusted for allocation: refuse absurd ones up front, then grow vectors
  // only as records actually parse.
  if (std::size_t{*qd} + *an + *ns + *ar > kDnsMaxRecords) {
    return parse_error("dns too many records", 4);
  }
  DnsMessage m;
  m.id = *id;
  m.response = (*flags & 0x8000) != 0;
  m.opcode = static_cast<std::uint8_t>((*flags >> 11) & 0x0F);
  m.authoritative = (*flags & 0x0400) != 0;
  m.truncated = (*flags & 0x0200) != 0;
  m.recursion_desired = (*flags & 0x0100) != 0;
  m.recursion_available = (*flags & 0x0080) != 0;
  m.rcode = static_cast<std::uint8_t>(*flags & 0x0F);

  for (std::uint16_t i = 0; i < *qd; ++i) {
    DnsQuestion q;
    auto name = read_name(r);
    if (!name) return Unexpected<ParseError>{name.error()};
    q.name = std::move(*name);
    const std::size_t at = r.offset();
    const auto type = r.be16();
    const auto klass = r.be16();
    if (!type || !klass) return parse_error("dns question truncated", at);
    q.type = *type;
    q.klass = static_cast<std::uint16_t>(*klass & ~kClassTopBit);
    q.unicast_response = (*klass & kClassTopBit) != 0;
    m.questions.push_back(std::move(q));
  }
  struct Section {
    std::uint16_t count;
    std::vector<DnsRecord>* out;
  };
  for (const Section& s :
       {Section{*an, &m.answers}, Section{*ns, &m.authorities}, Section{*ar, &m.additionals}}) {
    for (std::uint16_t i = 0; i < s.count; ++i) {
      auto rec = read_record(r);
      if (!rec) return Unexpected<ParseError>{rec.error()};
      s.out->push_back(std::move(*rec));
    }
  }
  return m;
}

ParseResult<DnsMessage> parse_dns_tcp(Bytes payload) {
  ByteReader r(payload);
  const auto len = r.be16();
  if (!len) return parse_error("dns tcp length truncated", 0);
  const auto body = r.bytes(*len);
  if (!body) return parse_error("dns tcp message truncated", 2);
  auto m = parse_dns(*body);
  if (!m) return parse_error(m.error().reason, m.error().offset + 2);
  return m;
}

std::string_view dns_type_name(std::uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 10:
      return "NULL";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 17:
      return "RP";
    case 24:
      return "SIG";
    case 25:
      return "KEY";
    case 28:
      return "AAAA";
    case 29:
      return "LOC";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 39:
      return "DNAME";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 44:
      return "SSHFP";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 51:
      return "NSEC3PARAM";
    case 52:
      return "TLSA";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 99:
      return "SPF";
    case 249:
      return "TKEY";
    case 250:
      return "TSIG";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 256:
      return "URI";
    case 257:
      return "CAA";
    default:
      return "";
  }
}

std::string_view dns_rcode_name(std::uint8_t rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case 6:
      return "YXDOMAIN";
    case 7:
      return "YXRRSET";
    case 8:
      return "NXRRSET";
    case 9:
      return "NOTAUTH";
    case 10:
      return "NOTZONE";
    case 11:
      return "DSOTYPENI";
    default:
      return "";
  }
}

}  // namespace warden::protocols
