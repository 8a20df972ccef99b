// OutputWriter: the RecordSink behind `warden analyze` and `warden monitor`. It writes the
// JSON Lines files and the SQLite database of one output folder:
//   flows.jsonl, observations.jsonl, devices.jsonl, alerts.jsonl, summary.json, warden.db
// Records are appended as they are produced (a live sensor's flows appear as they end);
// devices.jsonl is replaced atomically (write + rename) each time the inventory is written, so
// a reader never sees half a file. I/O errors (a full disk) are remembered and reported by
// close(), with the path, rather than silently dropping records.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "core/result.h"
#include "storage/record_sink.h"
#include "storage/sqlite_store.h"

namespace warden::storage {

struct OutputOptions {
  std::string dir;
  bool sqlite = true;
  bool bulk = false;  // one-shot analysis: see SqliteStore::open
};

class OutputWriter : public RecordSink {
 public:
  static Result<std::unique_ptr<OutputWriter>, std::string> open(const OutputOptions& options);
  ~OutputWriter() override;

  void on_flow(const flow::Flow& f, flow::EndReason reason) override;
  void on_observation(const dissect::Observation& o) override;
  void on_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices) override;
  void on_alerts(const std::vector<detect::Alert>& alerts) override;

  void write_summary(std::string_view started, std::string_view command, const std::string& json);
  // Flushes everything; returns the first error met while writing, if any.
  Result<bool, std::string> close();

  const std::string& dir() const { return options_.dir; }
  std::uint64_t flows_written() const { return flows_; }
  std::uint64_t observations_written() const { return observations_; }

 private:
  explicit OutputWriter(const OutputOptions& o) : options_(o) {}
  void write_line(std::FILE* f, const std::string& path, const std::string& line);
  // Writes `name` in the output folder as a whole: to a temporary file, then renamed over.
  void replace_file(const std::string& name, const std::vector<std::string>& lines);

  OutputOptions options_;
  std::FILE* flows_file_ = nullptr;
  std::FILE* obs_file_ = nullptr;
  std::unique_ptr<SqliteStore> db_;
  std::string line_;
  std::string error_;
  std::uint64_t flows_ = 0, observations_ = 0;
};

}  // namespace warden::storage
