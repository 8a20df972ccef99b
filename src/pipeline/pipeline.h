// Pipeline: one worker's data path, run to completion per packet:
//   frame -> decode -> flow table -> dissector -> (observations) -> inventory, detectors,
//   record sink
// It owns every stage and their counters; nothing in it is global, and nothing in it is shared
// with another thread. Sources (files, live capture) call process() per frame; the caller
// decides when to heartbeat (live idle expiry), publish devices and finish.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/anomaly.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "dissect/dissector.h"
#include "flow/flow_table.h"
#include "inventory/inventory.h"
#include "storage/record_sink.h"

namespace warden::pipeline {

struct PipelineConfig {
  flow::FlowTableConfig flows;
  inventory::InventoryConfig inventory;
  detect::DetectConfig detect;
};

struct PipelineStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;        // captured bytes
  std::uint64_t undecodable = 0;  // link layer not decodable
  std::uint64_t non_ip = 0;       // ARP, LLDP, STP...
  std::uint64_t arp = 0;
  Timestamp first_ts = 0, last_ts = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(flow::AppProto::kCount)> flows_by_app{};
  std::array<std::uint64_t, static_cast<std::size_t>(flow::AppProto::kCount)> bytes_by_app{};
  std::uint64_t flows_tcp = 0, flows_udp = 0, flows_other = 0;
};

class Pipeline final : private flow::FlowSink, private dissect::ObservationSink {
 public:
  // oui may be null; it and sink must outlive the pipeline.
  Pipeline(const PipelineConfig& config, const inventory::OuiDatabase* oui,
           storage::RecordSink& sink);

  void process(Bytes frame, std::uint32_t link_type, Timestamp ts, std::uint32_t wire_length);
  // The next capture file begins (its timestamps may be older than the previous file's).
  void new_source() { flows_.new_source(); }
  // Live capture: ends idle flows when no packet arrives to move time forward.
  void heartbeat(Timestamp now) { flows_.expire(now); }
  // Classifies devices and hands the inventory to the sink.
  void publish_devices();
  // Ends all flows and publishes the final inventory. Call once, at the end.
  void finish();

  const PipelineStats& stats() const { return stats_; }
  const AnomalyCounters& anomalies() const { return anomalies_; }
  const flow::FlowTable& flows() const { return flows_; }
  const dissect::Dissector& dissector() const { return dissector_; }
  const inventory::DeviceInventory& inventory() const { return inventory_; }
  const detect::DetectorChain& detectors() const { return detectors_; }

  // summary.json: every counter of the run, for tools and the golden tests.
  std::string summary_json(double wall_seconds, std::uint64_t peak_rss_kb) const;

 private:
  void on_flow_end(flow::Flow& flow, flow::EndReason reason) override;
  void on_observation(const dissect::Observation& obs) override;

  storage::RecordSink& sink_;
  AnomalyCounters anomalies_;
  flow::FlowTable flows_;
  dissect::Dissector dissector_;
  inventory::DeviceInventory inventory_;
  detect::DetectorChain detectors_;  // after inventory_: it reads the inventory
  decode::DecodedPacket pkt_;
  PipelineStats stats_;
  const detect::BaselineModel* baseline_;  // the caller's, for the summary; may be null
};

}  // namespace warden::pipeline
