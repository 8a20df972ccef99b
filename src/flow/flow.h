// Flow: one bidirectional conversation (5-tuple + VLAN), in the spirit of a Zeek connection.
// A flow is owned by exactly one FlowTable (and so one worker thread) for its whole life.
// Endpoint order in the key is canonical (lower endpoint first) so both directions of a
// conversation find the same flow with a single lookup; `orig_is_lo` says which canonical side
// originated it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/net.h"
#include "core/time.h"
#include "flow/app_proto.h"

namespace warden::flow {

struct FlowKey {
  IpAddr lo_ip, hi_ip;
  std::uint16_t lo_port = 0, hi_port = 0;
  std::uint16_t vlan = 0;
  std::uint8_t proto = 0;

  bool operator==(const FlowKey&) const = default;
  std::uint64_t hash() const;
};

// Builds the canonical key for a packet; `src_is_lo` tells the packet's direction.
FlowKey make_key(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst,
                 std::uint16_t dst_port, std::uint8_t proto, std::uint16_t vlan, bool& src_is_lo);

enum class Direction : std::uint8_t { kOrigToResp = 0, kRespToOrig = 1 };

struct DirStats {
  std::uint64_t packets = 0;
  std::uint64_t ip_bytes = 0;       // IP header + payload, as Zeek's orig_ip_bytes
  std::uint64_t payload_bytes = 0;  // L4 payload, as Zeek's orig_bytes (without reassembly)
};

enum class EndReason : std::uint8_t { kIdle, kTcpClosed, kEvicted, kShutdown };
std::string_view end_reason_name(EndReason r);

// Per-flow protocol-analysis state lives behind this, allocated only by flows that need it
// (e.g. a TLS hello split over segments). Owned by the flow, so it dies with it.
struct FlowExtension {
  virtual ~FlowExtension() = default;
};

struct Flow {
  FlowKey key;
  bool orig_is_lo = true;
  std::uint64_t id = 0;  // creation sequence number within the table: stable output order
  Timestamp first_ts = 0, last_ts = 0;
  MacAddr orig_mac, resp_mac;
  std::array<DirStats, 2> dir{};

  // TCP bookkeeping for Zeek-style conn_state and history.
  std::uint16_t tcp_seen = 0;  // bit set of TcpEvent, per direction
  std::array<char, 16> history{};
  std::uint8_t history_len = 0;
  bool tcp_closed = false;  // both FINs or a RST seen: the flow ends after a short linger

  // ICMP: the type/code of the first packet, reported as Zeek does (orig_p=type, resp_p=code).
  std::uint8_t icmp_type = 0, icmp_code = 0;

  // Application layer, filled by the dissectors.
  AppProto app = AppProto::kUnknown;
  bool app_by_port = false;            // label guessed from the port alone (nDPI's "match by port")
  std::uint8_t inspected[2] = {0, 0};  // payload packets looked at per direction
  bool dissect_done = false;
  std::unique_ptr<FlowExtension> ext;

  // Intrusive LRU list links (indices into the table's slab); internal to FlowTable.
  std::uint32_t lru_prev = 0, lru_next = 0;
  std::uint8_t lru_class = 0;
  Timestamp lru_time = 0;  // last activity in monotone table time (capture time may step back)
  std::uint32_t slot_tag = 0;

  const IpAddr& orig_ip() const { return orig_is_lo ? key.lo_ip : key.hi_ip; }
  const IpAddr& resp_ip() const { return orig_is_lo ? key.hi_ip : key.lo_ip; }
  std::uint16_t orig_port() const { return orig_is_lo ? key.lo_port : key.hi_port; }
  std::uint16_t resp_port() const { return orig_is_lo ? key.hi_port : key.lo_port; }
  bool is_icmp() const { return key.proto == 1 || key.proto == 58; }
  // The ports as Zeek logs them: for ICMP the type and code of the first packet.
  std::uint16_t logged_orig_port() const { return is_icmp() ? icmp_type : orig_port(); }
  std::uint16_t logged_resp_port() const { return is_icmp() ? icmp_code : resp_port(); }
  Timestamp duration() const { return last_ts - first_ts; }

  // Zeek conn_state ("S0", "SF", "REJ", ...), computed from what was seen.
  std::string_view conn_state() const;
  std::string_view history_str() const { return {history.data(), history_len}; }
  // Zeek-style unique id: "C" + base62 of a hash of the key and start time. Deterministic, so
  // golden outputs are stable run to run.
  std::string uid() const;
  std::uint64_t uid_value() const;  // the same id as a number (cheap to carry around)
};

// The text form of a uid_value(): "C" + 11 base62 digits.
std::string uid_text(std::uint64_t uid_value);

}  // namespace warden::flow
