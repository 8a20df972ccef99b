// The managed list store (`warden intel add/list/refresh/remove`): a directory that owns, for
// each named list, NAME.list (the text of the last good fetch, parsed again at every load) and
// NAME.meta (where the list comes from, how to parse it, and its refresh history, one
// `key=value` per line). Both files are replaced atomically, the text first, so a crash leaves
// the previous state or the new one, and a failed refresh never loses the last good copy.
// Metadata files are parsed as untrusted input (parse_meta is fuzzed): anything unexpected is
// refused with the line number, never guessed at.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "fetch/fetch.h"
#include "intel/intel.h"

namespace warden::intel {

// The largest list accepted (download or stored copy). Public feeds are far below this.
constexpr std::uint64_t kMaxListBytes = 256ull << 20;
constexpr std::size_t kMaxListName = 64;
constexpr std::size_t kMaxMetaBytes = 64 * 1024;
constexpr std::size_t kMaxMetaValue = 4096;

// A list name is also a file name: 1-64 of [A-Za-z0-9._-], not starting with '.' (so never
// ".", "..", a hidden file or one of the store's temporary files).
bool valid_list_name(std::string_view name);

struct ListMeta {
  std::string name;
  std::string source;  // URL or absolute path, as fetch::normalize_source() returned it
  Kind kind = Kind::kAuto;
  int column = -1;  // CSV column by index (-1: none), or by header name
  std::string column_name;
  std::int64_t added = 0;         // Unix seconds
  std::int64_t last_refresh = 0;  // the last attempt, successful or not
  std::int64_t last_success = 0;  // the last fetch that gave a usable list (or a 304)
  std::uint64_t bytes = 0;        // size of NAME.list
  ListStats counts;               // of NAME.list
  std::string etag;               // HTTP validators of NAME.list, for conditional refresh
  std::string last_modified;
  std::string last_error;  // why the last attempt failed; empty when it succeeded

  ListOptions options() const;
};

// Parses NAME.meta. The error's offset is the 1-based line number.
ParseResult<ListMeta> parse_meta(std::string_view text);
// Writes what parse_meta reads back; control characters in values (an error message, a
// server's ETag) become spaces and over-long values are cut, so the output always parses.
std::string render_meta(const ListMeta& meta);

std::string_view kind_name(Kind kind);

// Where the store lives when --store is not given, from the environment the caller read:
// $WARDEN_INTEL_DIR, else /var/lib/warden/intel for root, else $XDG_DATA_HOME/warden/intel
// or ~/.local/share/warden/intel. Empty when none applies (no HOME).
struct StoreEnv {
  const char* warden_intel_dir = nullptr;
  const char* xdg_data_home = nullptr;
  const char* home = nullptr;
  bool root = false;
};
std::string default_store_dir(const StoreEnv& env);

// How the store gets bytes: fetch::fetch in the CLI (which sets the User-Agent and limits),
// a stand-in in tests.
using Fetcher = fetch::Fetcher;

// What a refresh did to one list.
enum class RefreshState : std::uint8_t { kUpdated, kUnchanged };
struct RefreshOutcome {
  RefreshState state = RefreshState::kUpdated;
  ListMeta meta;                   // as stored now
  std::size_t previous_total = 0;  // indicators before the refresh
};

// Everything the store held, loaded into an IntelSet for analyze/monitor.
struct StoreLoad {
  std::size_t lists = 0;
  std::size_t indicators = 0;
  std::vector<std::string> warnings;  // lists that could not be loaded (skipped), and why
};

class ListStore {
 public:
  explicit ListStore(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  bool exists() const;

  // The names of the stored lists (those with a NAME.meta), sorted.
  Result<std::vector<std::string>, std::string> names() const;
  Result<ListMeta, std::string> read_meta(std::string_view name) const;
  Result<std::string, std::string> read_text(std::string_view name) const;

  // Fetches `spec.source` (already normalised) and stores it as a new list named spec.name
  // with spec's parse options. Refused, with the store untouched, when the name is taken, the
  // fetch or parse fails, or the list holds no indicator.
  Result<ListMeta, std::string> add(ListMeta spec, const Fetcher& fetcher, std::int64_t now);
  // Fetches a stored list again (conditionally, with its validators). On failure the previous
  // copy stays and the error is recorded in its metadata and returned.
  Result<RefreshOutcome, std::string> refresh(std::string_view name, const Fetcher& fetcher,
                                              std::int64_t now);
  Result<bool, std::string> remove(std::string_view name);

  // Parses every stored list into `set` (each under its list name). A list whose files are
  // missing or damaged is skipped with a warning: the other lists still protect the network.
  StoreLoad load_into(IntelSet& set) const;

 private:
  std::string path(std::string_view name, std::string_view ext) const;
  Result<bool, std::string> write_atomic(const std::string& path, std::string_view data) const;
  Result<bool, std::string> ensure_dir() const;

  std::string dir_;
};

// Holds the store's lock file (flock) so two `warden intel` commands do not interleave
// their writes; released when destroyed.
class StoreLock {
 public:
  static Result<StoreLock, std::string> acquire(const ListStore& store);
  StoreLock(StoreLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  StoreLock& operator=(StoreLock&&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace warden::intel
