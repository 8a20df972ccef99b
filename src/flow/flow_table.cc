#include "flow/flow_table.h"

#include <algorithm>
#include <bit>

namespace warden::flow {

namespace {

// TCP events recorded per direction: low byte for orig->resp, high byte for resp->orig.
enum TcpEvent : std::uint16_t { kSyn = 1, kSynAck = 2, kFin = 4, kRst = 8, kData = 16, kAck = 32 };

// Ports on which the sender of a first packet is probably the server (it answered a request we
// did not capture). Used only when TCP flags cannot tell who started the conversation.
bool is_service_port(std::uint16_t p) {
  if (p < 1024) return true;
  switch (p) {
    case 1883:
    case 8883:
    case 1900:
    case 3702:
    case 5353:
    case 5355:
    case 5683:
    case 6666:
    case 6667:
    case 6668:
    case 8008:
    case 8009:
    case 8080:
    case 8443:
    case 9999:
    case 11095:
    case 17500:
    case 2323:
    case 5555:
    case 7547:
    case 3478:
    case 1400:
      return true;
    default:
      return false;
  }
}

// Which side of the first packet originated the flow.
bool src_is_originator(const decode::DecodedPacket& p) {
  if (p.ip_proto == decode::kProtoTcp) {
    const bool syn = p.tcp_flags & decode::kTcpSyn, ack = p.tcp_flags & decode::kTcpAck;
    if (syn && !ack) return true;
    if (syn && ack) return false;
  }
  if (p.ip_proto == decode::kProtoIcmp || p.ip_proto == decode::kProtoIcmpv6) {
    return !(p.icmp_type == 0 || p.icmp_type == 129);  // echo replies answer the other side
  }
  if (p.ip_proto == decode::kProtoTcp || p.ip_proto == decode::kProtoUdp) {
    if (is_service_port(p.src_port) && !is_service_port(p.dst_port)) return false;
  }
  return true;
}

}  // namespace

FlowTable::FlowTable(const FlowTableConfig& config, FlowSink& sink, AnomalyCounters& anomalies)
    : config_(config), sink_(sink), anomalies_(anomalies) {
  if (config_.max_flows < 16) config_.max_flows = 16;
  // Load factor at most 1/2 keeps linear probing sequences short.
  std::size_t slots = std::bit_ceil(config_.max_flows * 2);
  index_.assign(slots, Slot{});
  mask_ = slots - 1;
}

FlowTable::~FlowTable() = default;

std::size_t FlowTable::memory_bytes() const {
  return chunks_.size() * kChunkFlows * sizeof(Flow) + index_.capacity() * sizeof(Slot) +
         free_.capacity() * sizeof(std::uint32_t);
}

std::uint32_t FlowTable::allocate() {
  if (free_.empty()) {
    const auto base = static_cast<std::uint32_t>(chunks_.size() * kChunkFlows);
    chunks_.push_back(std::make_unique<Flow[]>(kChunkFlows));
    free_.reserve(std::min(config_.max_flows, chunks_.size() * kChunkFlows));
    for (std::size_t i = kChunkFlows; i-- > 0;)
      free_.push_back(base + static_cast<std::uint32_t>(i));
  }
  std::uint32_t idx = free_.back();
  free_.pop_back();
  return idx;
}

void FlowTable::release(std::uint32_t idx) {
  at(idx) = Flow{};  // drops the extension and resets state for reuse
  free_.push_back(idx);
}

std::size_t FlowTable::find_slot(const FlowKey& key, std::uint32_t tag) const {
  std::size_t pos = tag & mask_;
  while (true) {
    const Slot& s = index_[pos];
    if (s.flow == kNil) return pos;
    if (s.tag == tag) {
      const auto& chunk = chunks_[s.flow / kChunkFlows];
      if (chunk[s.flow % kChunkFlows].key == key) return pos;
    }
    pos = (pos + 1) & mask_;
  }
}

void FlowTable::erase_slot(std::size_t pos) {
  // Backward-shift deletion: pull later members of the probe run into the hole so lookups
  // never need tombstones.
  std::size_t hole = pos;
  std::size_t next = (hole + 1) & mask_;
  while (index_[next].flow != kNil) {
    std::size_t ideal = index_[next].tag & mask_;
    // Move the entry when the hole lies cyclically within [ideal, next).
    if (((next - ideal) & mask_) >= ((next - hole) & mask_)) {
      index_[hole] = index_[next];
      hole = next;
    }
    next = (next + 1) & mask_;
  }
  index_[hole] = Slot{};
}

void FlowTable::lru_unlink(std::uint32_t idx) {
  Flow& f = at(idx);
  List& l = lists_[f.lru_class];
  if (f.lru_prev != kNil)
    at(f.lru_prev).lru_next = f.lru_next;
  else
    l.head = f.lru_next;
  if (f.lru_next != kNil)
    at(f.lru_next).lru_prev = f.lru_prev;
  else
    l.tail = f.lru_prev;
  f.lru_prev = f.lru_next = kNil;
}

void FlowTable::lru_push_back(std::uint32_t idx, std::uint8_t cls) {
  Flow& f = at(idx);
  List& l = lists_[cls];
  f.lru_class = cls;
  f.lru_time = now_;
  f.lru_prev = l.tail;
  f.lru_next = kNil;
  if (l.tail != kNil)
    at(l.tail).lru_next = idx;
  else
    l.head = idx;
  l.tail = idx;
}

Timestamp FlowTable::timeout_of(std::uint8_t cls) const {
  switch (cls) {
    case kTcpEstablished:
      return config_.tcp_idle_timeout;
    case kTcpEmbryonic:
      return config_.tcp_embryonic_timeout;
    case kTcpClosed:
      return config_.tcp_closed_linger;
    default:
      return config_.udp_idle_timeout;
  }
}

std::uint8_t FlowTable::class_of(const Flow& f) const {
  if (f.key.proto != decode::kProtoTcp) return kOther;
  if (f.tcp_closed) return kTcpClosed;
  // Established once the responder has said anything; until then it is an attempt.
  return f.dir[1].packets > 0 ? kTcpEstablished : kTcpEmbryonic;
}

void FlowTable::end_flow(std::uint32_t idx, EndReason reason) {
  Flow& f = at(idx);
  switch (reason) {
    case EndReason::kIdle:
      ++stats_.ended_idle;
      break;
    case EndReason::kTcpClosed:
      ++stats_.ended_closed;
      break;
    case EndReason::kEvicted:
      ++stats_.evicted;
      anomalies_.add(Anomaly::kFlowTableFull);
      break;
    case EndReason::kShutdown:
      ++stats_.ended_shutdown;
      break;
  }
  sink_.on_flow_end(f, reason);
  lru_unlink(idx);
  erase_slot(find_slot(f.key, f.slot_tag));
  release(idx);
  --live_;
}

void FlowTable::evict_one() {
  // The least recently active flow over all classes.
  std::uint32_t victim = kNil;
  Timestamp oldest = 0;
  for (const List& l : lists_) {
    if (l.head == kNil) continue;
    Timestamp t = at(l.head).lru_time;
    if (victim == kNil || t < oldest) {
      victim = l.head;
      oldest = t;
    }
  }
  if (victim != kNil) end_flow(victim, EndReason::kEvicted);
}

void FlowTable::expire(Timestamp now) {
  for (std::uint8_t cls = 0; cls < kClasses; ++cls) {
    const Timestamp timeout = timeout_of(cls);
    while (lists_[cls].head != kNil) {
      std::uint32_t idx = lists_[cls].head;
      if (at(idx).lru_time + timeout > now) break;
      end_flow(idx, cls == kTcpClosed ? EndReason::kTcpClosed : EndReason::kIdle);
    }
  }
}

void FlowTable::flush() {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  order.reserve(live_);
  for (const List& l : lists_) {
    for (std::uint32_t i = l.head; i != kNil; i = at(i).lru_next) order.emplace_back(at(i).id, i);
  }
  std::sort(order.begin(), order.end());
  for (auto [id, idx] : order) end_flow(idx, EndReason::kShutdown);
}

void FlowTable::update_tcp(Flow& f, Direction dir, std::uint8_t flags, bool has_payload) {
  const bool orig = dir == Direction::kOrigToResp;
  const int shift = orig ? 0 : 8;
  auto note = [&](TcpEvent ev, char letter) {
    const std::uint16_t bit = static_cast<std::uint16_t>(ev << shift);
    if (f.tcp_seen & bit) return;
    f.tcp_seen |= bit;
    if (f.history_len < f.history.size()) {
      f.history[f.history_len++] = orig ? letter : static_cast<char>(letter - 'A' + 'a');
    }
  };
  const bool syn = flags & decode::kTcpSyn, ack = flags & decode::kTcpAck;
  if (syn && !ack) note(kSyn, 'S');
  if (syn && ack) note(kSynAck, 'H');
  if (!syn && ack && !has_payload && !(flags & (decode::kTcpFin | decode::kTcpRst)))
    note(kAck, 'A');
  if (has_payload) note(kData, 'D');
  if (flags & decode::kTcpFin) note(kFin, 'F');
  if (flags & decode::kTcpRst) note(kRst, 'R');
  const std::uint16_t o = f.tcp_seen & 0xff, r = f.tcp_seen >> 8;
  if ((o & kRst) || (r & kRst) || ((o & kFin) && (r & kFin))) f.tcp_closed = true;
}

FlowTable::Update FlowTable::process(const decode::DecodedPacket& pkt) {
  Update u;
  if (!pkt.is_ip()) return u;
  // Table time only moves forward (LRU order depends on it). Going backwards is an anomaly only
  // within one source: the next capture file of a run may well be older than the last.
  if (pkt.ts + kNsPerSec < source_max_ts_) anomalies_.add(Anomaly::kTimestampWentBackwards);
  if (pkt.ts > source_max_ts_) source_max_ts_ = pkt.ts;
  if (pkt.ts > now_) now_ = pkt.ts;
  // Expiry runs at most once per second of capture time: list heads are cheap, but not free.
  if (now_ >= next_expiry_check_) {
    expire(now_);
    next_expiry_check_ = now_ + kNsPerSec;
  }

  bool src_is_lo = true;
  const std::uint16_t sp = pkt.has_l4 ? pkt.src_port : 0;
  const std::uint16_t dp = pkt.has_l4 ? pkt.dst_port : 0;
  FlowKey key = make_key(pkt.src_ip, sp, pkt.dst_ip, dp, pkt.ip_proto, pkt.vlan, src_is_lo);
  const auto tag = static_cast<std::uint32_t>(key.hash());
  std::size_t pos = find_slot(key, tag);
  std::uint32_t idx = index_[pos].flow;

  if (idx == kNil) {
    if (live_ >= config_.max_flows) {
      evict_one();
      pos = find_slot(key, tag);  // eviction may have shifted the probe run
    }
    idx = allocate();
    Flow& f = at(idx);
    f.key = key;
    f.slot_tag = tag;
    f.id = next_id_++;
    f.first_ts = pkt.ts;
    const bool src_orig = src_is_originator(pkt);
    f.orig_is_lo = src_orig == src_is_lo;
    if (pkt.ip_proto == decode::kProtoIcmp || pkt.ip_proto == decode::kProtoIcmpv6) {
      f.icmp_type = pkt.icmp_type;
      f.icmp_code = pkt.icmp_code;
    }
    index_[pos] = Slot{idx, tag};
    lru_push_back(idx, class_of(f));
    ++live_;
    ++stats_.created;
    stats_.peak_flows = std::max(stats_.peak_flows, live_);
    u.created = true;
  }

  Flow& f = at(idx);
  const bool from_orig = src_is_lo == f.orig_is_lo;
  u.flow = &f;
  u.dir = from_orig ? Direction::kOrigToResp : Direction::kRespToOrig;
  DirStats& d = f.dir[static_cast<std::size_t>(u.dir)];
  ++d.packets;
  d.ip_bytes += pkt.ip_length;
  d.payload_bytes += pkt.payload.size();
  if (pkt.ts > f.last_ts) f.last_ts = pkt.ts;
  if (pkt.has_l2) {
    if (from_orig) {
      f.orig_mac = pkt.src_mac;
      if (pkt.has_dst_mac) f.resp_mac = pkt.dst_mac;
    } else {
      f.resp_mac = pkt.src_mac;
      if (pkt.has_dst_mac) f.orig_mac = pkt.dst_mac;
    }
  }
  if (pkt.ip_proto == decode::kProtoTcp && pkt.has_l4) {
    update_tcp(f, u.dir, pkt.tcp_flags, !pkt.payload.empty());
  }
  // Re-file the flow at the tail of its (possibly new) class: it is now the most recent.
  lru_unlink(idx);
  lru_push_back(idx, class_of(f));
  return u;
}

}  // namespace warden::flow
