// AsyncSink: the bounded channel between the data plane and storage. The worker that owns the
// flows hands each record over as an owned snapshot, in batches, and a storage thread formats
// the JSON and writes the files and the database. JSON formatting and SQLite then cost the
// packet path nothing but a copy, and use a second core when there is one.
//
// Bounded and lossless: when the storage thread falls behind by `max_batches` batches, the
// worker waits (back-pressure; a live capture then shows kernel drops in its counters, which
// is the honest place for them) rather than the queue growing or records being dropped.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "storage/record_sink.h"

namespace warden::storage {

class AsyncSink : public RecordSink {
 public:
  // `target` must outlive this sink and is only called from the storage thread.
  explicit AsyncSink(RecordSink& target, std::size_t batch_size = 512,
                     std::size_t max_batches = 64);
  ~AsyncSink() override;
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  void on_flow(const flow::Flow& f, flow::EndReason reason) override;
  void on_observation(const dissect::Observation& o) override;
  void on_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices) override;
  void on_alerts(const std::vector<detect::Alert>& alerts) override;

  // Sends what is buffered and waits until the storage thread has written everything.
  void drain();

 private:
  struct FlowItem {
    flow::Flow flow;
    flow::EndReason reason;
  };
  struct DevicesItem {
    std::vector<std::unique_ptr<inventory::Device>> devices;
  };
  struct AlertsItem {
    std::vector<detect::Alert> alerts;
  };
  using Item = std::variant<FlowItem, dissect::Observation, DevicesItem, AlertsItem>;
  // A deque, not a vector: items are move-only and never relocated as a batch grows.
  using Batch = std::deque<Item>;

  void push(Item item);
  void send_batch();
  void run();

  RecordSink& target_;
  const std::size_t batch_size_, max_batches_;
  Batch batch_;  // owned by the producer until sent
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_, idle_;
  std::deque<Batch> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// A copy of a flow without its dissector extension (which the storage side never reads).
flow::Flow snapshot(const flow::Flow& f);

}  // namespace warden::storage
