#include "storage/async_sink.h"

namespace warden::storage {

flow::Flow snapshot(const flow::Flow& f) {
  flow::Flow c;
  c.key = f.key;
  c.orig_is_lo = f.orig_is_lo;
  c.id = f.id;
  c.first_ts = f.first_ts;
  c.last_ts = f.last_ts;
  c.orig_mac = f.orig_mac;
  c.resp_mac = f.resp_mac;
  c.dir = f.dir;
  c.tcp_seen = f.tcp_seen;
  c.history = f.history;
  c.history_len = f.history_len;
  c.tcp_closed = f.tcp_closed;
  c.icmp_type = f.icmp_type;
  c.icmp_code = f.icmp_code;
  c.app = f.app;
  c.app_by_port = f.app_by_port;
  return c;
}

AsyncSink::AsyncSink(RecordSink& target, std::size_t batch_size, std::size_t max_batches)
    : target_(target), batch_size_(batch_size), max_batches_(max_batches) {
  thread_ = std::thread([this] { run(); });
}

AsyncSink::~AsyncSink() {
  drain();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  not_empty_.notify_one();
  thread_.join();
}

void AsyncSink::on_flow(const flow::Flow& f, flow::EndReason reason) {
  push(FlowItem{snapshot(f), reason});
}

void AsyncSink::on_observation(const dissect::Observation& o) { push(o); }

void AsyncSink::on_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices) {
  DevicesItem item;
  item.devices.reserve(devices.size());
  for (const auto& d : devices) item.devices.push_back(std::make_unique<inventory::Device>(*d));
  push(std::move(item));
}

void AsyncSink::on_alerts(const std::vector<detect::Alert>& alerts) { push(AlertsItem{alerts}); }

void AsyncSink::push(Item item) {
  batch_.push_back(std::move(item));
  if (batch_.size() >= batch_size_) send_batch();
}

void AsyncSink::send_batch() {
  if (batch_.empty()) return;
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < max_batches_; });
  queue_.push_back(std::move(batch_));
  lock.unlock();
  not_empty_.notify_one();
  batch_ = Batch();
}

void AsyncSink::drain() {
  send_batch();
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void AsyncSink::run() {
  for (;;) {
    Batch work;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and nothing left
      work = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    not_full_.notify_one();
    for (auto& item : work) {
      std::visit(
          [&](auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, FlowItem>)
              target_.on_flow(v.flow, v.reason);
            else if constexpr (std::is_same_v<T, dissect::Observation>)
              target_.on_observation(v);
            else if constexpr (std::is_same_v<T, AlertsItem>)
              target_.on_alerts(v.alerts);
            else
              target_.on_devices(v.devices);
          },
          item);
    }
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace warden::storage
