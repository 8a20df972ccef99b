// RecordSink: where the pipeline's records go. The pipeline calls it from the worker that owns
// the flow; implementations batch their I/O.
#pragma once

#include <memory>
#include <vector>

#include "detect/alert.h"
#include "dissect/observation.h"
#include "flow/flow.h"
#include "inventory/device.h"

namespace warden::storage {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_flow(const flow::Flow& f, flow::EndReason reason) = 0;
  virtual void on_observation(const dissect::Observation& o) = 0;
  // The whole inventory, replacing what was written before (called at the end and, live,
  // periodically).
  virtual void on_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices) = 0;
  // All alerts so far (aggregated), replacing what was written before.
  virtual void on_alerts(const std::vector<detect::Alert>& alerts) = 0;
};

// Discards everything (benchmarks of the analysis alone, tests).
class NullSink : public RecordSink {
 public:
  void on_flow(const flow::Flow&, flow::EndReason) override {}
  void on_observation(const dissect::Observation&) override {}
  void on_devices(const std::vector<std::unique_ptr<inventory::Device>>&) override {}
  void on_alerts(const std::vector<detect::Alert>&) override {}
};

}  // namespace warden::storage
