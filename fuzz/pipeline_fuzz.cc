// Fuzzes the whole data path with a sequence of frames: decode, flow table (with a tiny cap, so
// eviction runs), TCP reassembly in the dissector, every protocol parser, the inventory and
// the JSON rendering of every record. Input: repeated [link selector:1][length:2 BE][frame].
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/link_type.h"
#include "pipeline/pipeline.h"
#include "storage/records.h"

namespace {

// Renders every record, so the JSON writers see whatever the parsers produced.
struct RenderSink : warden::storage::RecordSink {
  std::string out;
  void on_flow(const warden::flow::Flow& f, warden::flow::EndReason r) override {
    out.clear();
    warden::storage::flow_json(f, r, out);
  }
  void on_observation(const warden::dissect::Observation& o) override {
    out.clear();
    warden::storage::observation_json(o, out);
  }
  void on_alerts(const std::vector<warden::detect::Alert>& as) override {
    for (const auto& a : as) {
      out.clear();
      warden::storage::alert_json(a, out);
    }
  }
  void on_devices(const std::vector<std::unique_ptr<warden::inventory::Device>>& ds) override {
    for (const auto& d : ds) {
      out.clear();
      warden::storage::device_json(*d, out);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  static constexpr std::uint32_t kLinks[] = {kLinkEthernet, kLinkRaw, kLinkLinuxSll,
                                             kLinkLinuxSll2};
  RenderSink sink;
  pipeline::PipelineConfig cfg;
  cfg.flows.max_flows = 16;
  cfg.inventory.max_devices = 16;
  pipeline::Pipeline pipe(cfg, nullptr, sink);
  Timestamp ts = 1'600'000'000LL * kNsPerSec;
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::uint32_t link = kLinks[data[at] % 4];
    const std::size_t len = (std::size_t{data[at + 1]} << 8) | data[at + 2];
    at += 3;
    const std::size_t n = len < size - at ? len : size - at;
    pipe.process(Bytes(reinterpret_cast<const std::byte*>(data + at), n), link, ts,
                 static_cast<std::uint32_t>(n));
    ts += (data[at - 3] & 0x80) ? 100 * kNsPerSec : 1000;  // sometimes jump past timeouts
    at += n;
  }
  pipe.finish();
  return 0;
}
