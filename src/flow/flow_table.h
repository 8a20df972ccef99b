// FlowTable: the bidirectional flow table of one worker. It owns every Flow, finds the flow of
// a packet with one hash lookup, keeps per-direction counters and TCP state, and ends flows on
// idle timeout, TCP close, capacity pressure or shutdown, handing each ended flow to a FlowSink
// exactly once. Memory is bounded by `max_flows`: when full, the least recently active flow is
// evicted (and counted) to make room, so a flood of one-packet flows cannot grow it further.
//
// Layout: flows live in fixed-size chunks (stable addresses, no reallocation spikes) and are
// indexed by an open-addressing table with linear probing and backward-shift deletion (no
// tombstones, so a churn of millions of flows does not degrade lookups). Each flow sits on one
// of four intrusive LRU lists by timeout class; since activity time only moves forward, each
// list is sorted by last activity and expiry only ever looks at list heads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/anomaly.h"
#include "decode/decode.h"
#include "flow/flow.h"

namespace warden::flow {

struct FlowTableConfig {
  std::size_t max_flows = 262'144;
  Timestamp tcp_idle_timeout = 300 * kNsPerSec;      // established TCP, Zeek's default
  Timestamp tcp_embryonic_timeout = 30 * kNsPerSec;  // SYN seen, no answer yet (scans, floods)
  Timestamp tcp_closed_linger = 5 * kNsPerSec;       // after FIN/FIN or RST, for stragglers
  Timestamp udp_idle_timeout = 60 * kNsPerSec;       // UDP, ICMP and other IP protocols
};

class FlowSink {
 public:
  virtual ~FlowSink() = default;
  // Called once per flow when it ends; the flow is destroyed right after.
  virtual void on_flow_end(Flow& flow, EndReason reason) = 0;
};

struct FlowTableStats {
  std::uint64_t created = 0;
  std::uint64_t ended_idle = 0;
  std::uint64_t ended_closed = 0;
  std::uint64_t evicted = 0;
  std::uint64_t ended_shutdown = 0;
  std::size_t peak_flows = 0;
};

class FlowTable {
 public:
  FlowTable(const FlowTableConfig& config, FlowSink& sink, AnomalyCounters& anomalies);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  struct Update {
    Flow* flow = nullptr;
    Direction dir = Direction::kOrigToResp;
    bool created = false;
  };

  // Accounts an IP packet with L4 (or an IP packet of a port-less protocol) to its flow,
  // creating the flow if needed, and runs idle expiry as packet time advances.
  Update process(const decode::DecodedPacket& pkt);

  // Ends flows idle at `now` (called by process(); exposed for live capture heartbeats).
  void expire(Timestamp now);
  // Ends every remaining flow in creation order (deterministic output).
  void flush();
  // A new input (the next capture file) starts: its clock may be behind the last one's.
  void new_source() { source_max_ts_ = 0; }

  std::size_t size() const { return live_; }
  std::size_t capacity() const { return config_.max_flows; }
  const FlowTableStats& stats() const { return stats_; }
  // Bytes held by the table's own structures (slab + index), not counting FlowExtensions.
  std::size_t memory_bytes() const;

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  static constexpr std::size_t kChunkFlows = 4096;
  enum LruClass : std::uint8_t { kTcpEstablished, kTcpEmbryonic, kTcpClosed, kOther, kClasses };

  struct Slot {
    std::uint32_t flow = kNil;
    std::uint32_t tag = 0;  // low 32 bits of the key hash: the ideal position, cheaply
  };
  struct List {
    std::uint32_t head = kNil, tail = kNil;
  };

  Flow& at(std::uint32_t idx) { return chunks_[idx / kChunkFlows][idx % kChunkFlows]; }
  std::uint32_t allocate();
  void release(std::uint32_t idx);
  std::size_t find_slot(const FlowKey& key, std::uint32_t tag) const;
  void erase_slot(std::size_t pos);
  void lru_unlink(std::uint32_t idx);
  void lru_push_back(std::uint32_t idx, std::uint8_t cls);
  Timestamp timeout_of(std::uint8_t cls) const;
  void end_flow(std::uint32_t idx, EndReason reason);
  void evict_one();
  void update_tcp(Flow& f, Direction dir, std::uint8_t flags, bool has_payload);
  std::uint8_t class_of(const Flow& f) const;

  FlowTableConfig config_;
  FlowSink& sink_;
  AnomalyCounters& anomalies_;
  std::vector<std::unique_ptr<Flow[]>> chunks_;
  std::vector<std::uint32_t> free_;
  std::vector<Slot> index_;
  std::size_t mask_ = 0;
  std::array<List, kClasses> lists_{};
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 0;
  Timestamp now_ = 0;
  Timestamp source_max_ts_ = 0;  // latest time of the current source (file or interface)
  Timestamp next_expiry_check_ = 0;
  FlowTableStats stats_;
};

}  // namespace warden::flow
