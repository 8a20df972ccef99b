// DNS message parser for unicast DNS over UDP/TCP, mDNS and LLMNR (RFC 1035/6762/2782/4795):
// bytes in, questions and typed records out. Pure: the result copies what it keeps, so the
// payload may be freed as soon as the call returns.
//
// Names are dotted with no trailing dot (root = ""), and label bytes are kept raw, not
// lowercased or escaped: DNS tunnels (iodine) put binary in labels and a detector measures
// their entropy later; printable() is applied at output time. A label containing '.' is
// therefore ambiguous in the dotted form, which is accepted.
//
// Strict on framing, lenient on rdata: a name, count or rdlength that does not fit fails the
// message with the offset where it broke; but once rdlength has framed a record, a malformed
// rdata (a short A, a bad name inside CNAME) only leaves that record's typed fields empty, so a
// detector still sees its owner name and type. Unknown types are skipped by rdlength.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/net.h"
#include "core/result.h"

namespace warden::protocols {

// A message announcing more records than this (all four sections together) is refused; real
// UDP and mDNS messages stay far below it, zone transfers over TCP are out of scope.
inline constexpr std::size_t kDnsMaxRecords = 512;
// Compression pointers followed per name. Pointers must also point strictly backwards, so
// loops are impossible anyway; this bounds the work per name.
inline constexpr int kDnsMaxPointerJumps = 64;
// TXT strings kept per record (an mDNS service TXT record has a few dozen at most).
inline constexpr std::size_t kDnsMaxTxtStrings = 128;

struct DnsQuestion {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;        // without the mDNS QU bit
  bool unicast_response = false;  // mDNS "QU" question: top bit of class
};

struct DnsRecord {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;         // without the mDNS cache-flush bit (OPT: UDP size, raw)
  std::uint32_t ttl = 0;           // OPT: extended rcode and flags, raw
  bool cache_flush = false;        // mDNS top bit of class
  std::optional<IpAddr> address;   // A / AAAA
  std::string target;              // CNAME, PTR, NS, DNAME, SRV target, MX exchange
  std::uint16_t port = 0;          // SRV
  std::vector<std::string> txt;    // TXT strings
  std::uint16_t rdata_length = 0;  // big NULL/TXT answers are what tunnels look like
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;  // header rcode only (the OPT extension is in its ttl)
  bool authoritative = false, truncated = false, recursion_desired = false,
       recursion_available = false;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authorities, additionals;
};

// One message, e.g. a UDP payload. Bytes after the last counted record are ignored.
ParseResult<DnsMessage> parse_dns(Bytes payload);
// One message with its RFC 1035 4.2.2 two-byte length prefix (a TCP stream's first message).
// Error offsets count from the start of the prefix.
ParseResult<DnsMessage> parse_dns_tcp(Bytes payload);

// "A","AAAA","PTR","TXT","SRV","CNAME","NULL","MX","NS","SOA","ANY","HTTPS","OPT"...; "" for a
// type without a mnemonic here (callers print the number).
std::string_view dns_type_name(std::uint16_t type);
// "NOERROR","FORMERR","SERVFAIL","NXDOMAIN",...; "" when unassigned.
std::string_view dns_rcode_name(std::uint8_t rcode);

}  // namespace warden::protocols
