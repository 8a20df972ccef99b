#include "storage/output_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/records.h"

namespace warden::storage {

namespace {
constexpr std::size_t kFileBuffer = 1 << 20;

std::FILE* open_file(const std::string& path, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    error = "cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::setvbuf(f, nullptr, _IOFBF, kFileBuffer);
  return f;
}
}  // namespace

Result<std::unique_ptr<OutputWriter>, std::string> OutputWriter::open(
    const OutputOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return unexpected("cannot create output folder " + options.dir + ": " + ec.message());
  std::unique_ptr<OutputWriter> w(new OutputWriter(options));
  std::string err;
  w->flows_file_ = open_file(options.dir + "/flows.jsonl", err);
  if (!w->flows_file_) return unexpected(err);
  w->obs_file_ = open_file(options.dir + "/observations.jsonl", err);
  if (!w->obs_file_) return unexpected(err);
  if (options.sqlite) {
    const std::string db_path = options.dir + "/warden.db";
    // A fresh run owns its folder's database: start it empty so re-runs do not double rows.
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix, ec);
    auto db = SqliteStore::open(db_path, options.bulk);
    if (!db) return unexpected(db.error());
    w->db_ = std::move(*db);
  }
  return w;
}

OutputWriter::~OutputWriter() {
  if (flows_file_) std::fclose(flows_file_);
  if (obs_file_) std::fclose(obs_file_);
}

void OutputWriter::write_line(std::FILE* f, const std::string& path, const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fputc('\n', f) == EOF) {
    if (error_.empty()) error_ = "cannot write " + path + ": " + std::strerror(errno);
  }
}

void OutputWriter::on_flow(const flow::Flow& f, flow::EndReason reason) {
  line_.clear();
  flow_json(f, reason, line_);
  write_line(flows_file_, options_.dir + "/flows.jsonl", line_);
  if (db_) db_->add_flow(f, flow::app_proto_name(f.app), line_);
  ++flows_;
}

void OutputWriter::on_observation(const dissect::Observation& o) {
  line_.clear();
  observation_json(o, line_);
  write_line(obs_file_, options_.dir + "/observations.jsonl", line_);
  if (db_) db_->add_observation(o, line_);
  ++observations_;
}

void OutputWriter::replace_file(const std::string& name, const std::vector<std::string>& lines) {
  const std::string path = options_.dir + "/" + name;
  const std::string tmp = path + ".tmp";
  std::string err;
  std::FILE* f = open_file(tmp, err);
  if (!f) {
    if (error_.empty()) error_ = err;
    return;
  }
  for (const auto& line : lines) write_line(f, path, line);
  if (std::fclose(f) != 0 && error_.empty())
    error_ = "cannot write " + tmp + ": " + std::strerror(errno);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec && error_.empty()) error_ = "cannot rename " + tmp + ": " + ec.message();
}

void OutputWriter::on_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices) {
  std::vector<std::string> json(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) device_json(*devices[i], json[i]);
  replace_file("devices.jsonl", json);
  if (db_) db_->replace_devices(devices, json);
}

void OutputWriter::on_alerts(const std::vector<detect::Alert>& alerts) {
  std::vector<std::string> json(alerts.size());
  for (std::size_t i = 0; i < alerts.size(); ++i) alert_json(alerts[i], json[i]);
  replace_file("alerts.jsonl", json);
  if (db_) db_->replace_alerts(alerts, json);
}

void OutputWriter::write_summary(std::string_view started, std::string_view command,
                                 const std::string& json) {
  const std::string path = options_.dir + "/summary.json";
  std::string err;
  if (std::FILE* f = open_file(path, err)) {
    write_line(f, path, json);
    std::fclose(f);
  } else if (error_.empty()) {
    error_ = err;
  }
  if (db_) db_->add_run(started, command, json);
}

Result<bool, std::string> OutputWriter::close() {
  for (auto** f : {&flows_file_, &obs_file_}) {
    if (*f && std::fclose(*f) != 0 && error_.empty()) {
      error_ = "cannot write to " + options_.dir + ": " + std::strerror(errno);
    }
    *f = nullptr;
  }
  if (db_) {
    auto r = db_->commit();
    if (!r && error_.empty()) error_ = r.error();
  }
  if (!error_.empty()) return unexpected(error_);
  return true;
}

}  // namespace warden::storage
