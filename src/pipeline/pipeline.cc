#include "pipeline/pipeline.h"

#include "core/json.h"
#include "core/time.h"

namespace warden::pipeline {
namespace {

// ICMP echo request/reply (v4: 8/0, v6: 128/129).
bool is_echo(const decode::DecodedPacket& p) {
  if (p.ip_proto == decode::kProtoIcmp) return p.icmp_type == 8 || p.icmp_type == 0;
  return p.icmp_type == 128 || p.icmp_type == 129;
}

}  // namespace

Pipeline::Pipeline(const PipelineConfig& config, const inventory::OuiDatabase* oui,
                   storage::RecordSink& sink)
    : sink_(sink),
      flows_(config.flows, *this, anomalies_),
      dissector_(*this, anomalies_),
      inventory_(config.inventory, oui),
      detectors_(config.detect, inventory_),
      baseline_(config.detect.baseline) {}

void Pipeline::process(Bytes frame, std::uint32_t link_type, Timestamp ts,
                       std::uint32_t wire_length) {
  ++stats_.packets;
  stats_.bytes += frame.size();
  if (stats_.first_ts == 0 || ts < stats_.first_ts) stats_.first_ts = ts;
  if (ts > stats_.last_ts) stats_.last_ts = ts;
  if (!decode::decode(frame, link_type, ts, wire_length, pkt_, anomalies_)) {
    ++stats_.undecodable;
    return;
  }
  if (!pkt_.is_ip()) {
    ++stats_.non_ip;
    if (pkt_.network == decode::Network::kArp) {
      ++stats_.arp;
      inventory_.on_arp(pkt_);
      detectors_.on_arp(pkt_);
    } else if (pkt_.network == decode::Network::kNone) {
      dissector_.on_link_frame(pkt_);
    }
    return;
  }
  // A packet whose IP header itself is damaged has no trustworthy flow key.
  if (pkt_.anomaly && !pkt_.has_l4 && !pkt_.fragment &&
      (pkt_.ip_proto == decode::kProtoTcp || pkt_.ip_proto == decode::kProtoUdp)) {
    return;
  }
  detectors_.on_tick(pkt_.ts);
  auto u = flows_.process(pkt_);
  if (!u.flow) return;
  if (u.created) inventory_.on_flow_start(*u.flow, pkt_);
  if (u.dir == flow::Direction::kOrigToResp) {
    // Long flows are shown to the detectors as they grow (1024, 2048, 4096... packets): a
    // flood on one 5-tuple must be seen while it lasts. One test per packet, a call rarely.
    const std::uint64_t n = u.flow->dir[0].packets;
    if (n >= 1024 && (n & (n - 1)) == 0) detectors_.on_flow_progress(*u.flow);
  }
  if (u.flow->is_icmp() && pkt_.has_l4 && is_echo(pkt_)) {
    detectors_.on_icmp_echo(*u.flow, u.dir, pkt_);
  }
  if (!u.flow->dissect_done || pkt_.ip_proto == decode::kProtoUdp) {
    dissector_.on_packet(*u.flow, u.dir, pkt_);
  }
}

void Pipeline::on_flow_end(flow::Flow& f, flow::EndReason reason) {
  dissector_.on_flow_end(f);
  inventory_.on_flow_end(f);
  detectors_.on_flow_end(f);
  const auto app = static_cast<std::size_t>(f.app);
  ++stats_.flows_by_app[app];
  stats_.bytes_by_app[app] += f.dir[0].ip_bytes + f.dir[1].ip_bytes;
  if (f.key.proto == decode::kProtoTcp)
    ++stats_.flows_tcp;
  else if (f.key.proto == decode::kProtoUdp)
    ++stats_.flows_udp;
  else
    ++stats_.flows_other;
  sink_.on_flow(f, reason);
}

void Pipeline::on_observation(const dissect::Observation& obs) {
  inventory_.on_observation(obs);
  detectors_.on_observation(obs);
  sink_.on_observation(obs);
}

void Pipeline::publish_devices() {
  inventory_.classify_all();
  sink_.on_devices(inventory_.devices());
  sink_.on_alerts(detectors_.alerts().alerts());
}

void Pipeline::finish() {
  flows_.flush();
  detectors_.finish();
  publish_devices();
}

std::string Pipeline::summary_json(double wall_seconds, std::uint64_t peak_rss_kb) const {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("packets", stats_.packets).field("bytes", stats_.bytes);
  w.field("undecodable", stats_.undecodable)
      .field("non_ip", stats_.non_ip)
      .field("arp", stats_.arp);
  if (stats_.packets > 0) {
    w.field("first_ts", format_rfc3339(stats_.first_ts))
        .field("last_ts", format_rfc3339(stats_.last_ts));
  }
  w.key("wall_seconds").value(wall_seconds, 3);
  w.key("packets_per_second")
      .value(wall_seconds > 0 ? static_cast<double>(stats_.packets) / wall_seconds : 0.0, 0);
  w.field("peak_rss_kb", peak_rss_kb);
  const auto& fs = flows_.stats();
  w.key("flows")
      .begin_object()
      .field("total", fs.created)
      .field("tcp", stats_.flows_tcp)
      .field("udp", stats_.flows_udp)
      .field("other", stats_.flows_other)
      .field("ended_idle", fs.ended_idle)
      .field("ended_closed", fs.ended_closed)
      .field("evicted", fs.evicted)
      .field("ended_at_end", fs.ended_shutdown)
      .field("peak", static_cast<std::uint64_t>(fs.peak_flows))
      .field("capacity", static_cast<std::uint64_t>(flows_.capacity()))
      .end_object();
  w.key("services").begin_object();
  for (std::size_t i = 0; i < stats_.flows_by_app.size(); ++i) {
    if (stats_.flows_by_app[i] == 0) continue;
    w.key(flow::app_proto_name(static_cast<flow::AppProto>(i)))
        .begin_object()
        .field("flows", stats_.flows_by_app[i])
        .field("bytes", stats_.bytes_by_app[i])
        .end_object();
  }
  w.end_object();
  w.key("observations").begin_object();
  for (std::size_t i = 0; i < dissect::kObservationKinds; ++i) {
    if (dissector_.stats().observations[i] > 0)
      w.field(dissect::observation_kind_name(i), dissector_.stats().observations[i]);
  }
  w.end_object();
  std::size_t typed = 0;
  for (const auto& d : inventory_.devices()) typed += d->type != inventory::DeviceType::kUnknown;
  w.key("devices")
      .begin_object()
      .field("total", static_cast<std::uint64_t>(inventory_.devices().size()))
      .field("typed", static_cast<std::uint64_t>(typed))
      .field("dropped_at_cap", inventory_.devices_dropped())
      .end_object();
  std::array<std::uint64_t, 5> by_severity{};
  for (const auto& a : detectors_.alerts().alerts())
    ++by_severity[static_cast<std::size_t>(a.severity)];
  w.key("alerts")
      .begin_object()
      .field("total", static_cast<std::uint64_t>(detectors_.alerts().alerts().size()))
      .field("high", by_severity[1])
      .field("medium", by_severity[2])
      .field("low", by_severity[3])
      .field("info", by_severity[4])
      .field("dropped_at_cap", detectors_.alerts().dropped())
      .field("detectors", static_cast<std::uint64_t>(detectors_.size()))
      .end_object();
  if (baseline_) {
    w.key("baseline")
        .begin_object()
        .field("devices", static_cast<std::uint64_t>(baseline_->size()))
        .field("learning", static_cast<std::uint64_t>(baseline_->learning_count()))
        .field("items", static_cast<std::uint64_t>(baseline_->item_count()))
        .field("devices_dropped_at_cap", baseline_->devices_dropped())
        .field("items_dropped_at_cap", baseline_->items_dropped())
        .field("memory_bytes", static_cast<std::uint64_t>(baseline_->memory_bytes()))
        .end_object();
  }
  w.key("anomalies").begin_object();
  for (std::size_t i = 0; i < kAnomalyCount; ++i) {
    auto a = static_cast<Anomaly>(i);
    if (anomalies_.get(a) > 0) w.field(anomaly_name(a), anomalies_.get(a));
  }
  w.end_object();
  w.end_object();
  return out;
}

}  // namespace warden::pipeline
