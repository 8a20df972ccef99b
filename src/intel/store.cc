#include "intel/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/file.h"

namespace warden::intel {

namespace {

namespace fs = std::filesystem;

// The metadata keys, in the order render_meta writes them. One bit each in parse_meta's
// "seen" mask, so a duplicate key is refused.
enum MetaKey : std::uint8_t {
  kFormat,
  kName,
  kSource,
  kKind,
  kColumn,
  kColumnName,
  kAdded,
  kLastRefresh,
  kLastSuccess,
  kBytes,
  kIps,
  kCidrs,
  kDomains,
  kJa3,
  kSkipped,
  kEtag,
  kLastModified,
  kLastError,
  kKeyCount,
};

constexpr std::string_view kKeyNames[kKeyCount] = {
    "format",  "name",         "source",       "kind",  "column",        "column_name",
    "added",   "last_refresh", "last_success", "bytes", "ips",           "cidrs",
    "domains", "ja3",          "skipped",      "etag",  "last_modified", "last_error"};

constexpr std::string_view kFormatVersion = "1";

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::optional<Kind> parse_kind(std::string_view s) {
  if (s == "auto") return Kind::kAuto;
  if (s == "ip") return Kind::kIp;
  if (s == "domain") return Kind::kDomain;
  if (s == "ja3") return Kind::kJa3;
  return std::nullopt;
}

// A value as stored: one line, printable, bounded.
std::string clean_value(std::string_view v) {
  std::string out(v.substr(0, kMaxMetaValue));
  for (char& ch : out) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) ch = ' ';
  }
  return out;
}

}  // namespace

bool valid_list_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxListName || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kIp:
      return "ip";
    case Kind::kDomain:
      return "domain";
    case Kind::kJa3:
      return "ja3";
    case Kind::kAuto:
      break;
  }
  return "auto";
}

ListOptions ListMeta::options() const {
  return ListOptions{.name = name, .kind = kind, .column = column, .column_name = column_name};
}

ParseResult<ListMeta> parse_meta(std::string_view text) {
  if (text.size() > kMaxMetaBytes) return parse_error("metadata file is too large", 0);
  ListMeta m;
  std::uint32_t seen = 0;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return parse_error("line is not key=value", line_no);
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (value.size() > kMaxMetaValue) return parse_error("value is too long", line_no);
    for (unsigned char ch : value) {
      if (ch < 0x20 || ch == 0x7f) return parse_error("control character in value", line_no);
    }
    std::size_t k = 0;
    while (k < kKeyCount && kKeyNames[k] != key) ++k;
    if (k == kKeyCount) return parse_error("unknown key", line_no);
    if (seen & (1u << k)) return parse_error("key given twice", line_no);
    seen |= 1u << k;
    if (k != kFormat && !(seen & (1u << kFormat)))
      return parse_error("format= must come first", line_no);
    bool ok = true;
    switch (static_cast<MetaKey>(k)) {
      case kFormat:
        ok = value == kFormatVersion;
        if (!ok) return parse_error("unsupported metadata format version", line_no);
        break;
      case kName:
        ok = valid_list_name(value);
        m.name = value;
        break;
      case kSource:
        ok = !value.empty();
        m.source = value;
        break;
      case kKind: {
        const auto kind = parse_kind(value);
        ok = kind.has_value();
        if (kind) m.kind = *kind;
        break;
      }
      case kColumn:
        ok = parse_number(value, m.column) && m.column >= -1 && m.column < 256;
        break;
      case kColumnName:
        m.column_name = value;
        break;
      case kAdded:
        ok = parse_number(value, m.added) && m.added >= 0;
        break;
      case kLastRefresh:
        ok = parse_number(value, m.last_refresh) && m.last_refresh >= 0;
        break;
      case kLastSuccess:
        ok = parse_number(value, m.last_success) && m.last_success >= 0;
        break;
      case kBytes:
        ok = parse_number(value, m.bytes);
        break;
      case kIps:
        ok = parse_number(value, m.counts.ips);
        break;
      case kCidrs:
        ok = parse_number(value, m.counts.cidrs);
        break;
      case kDomains:
        ok = parse_number(value, m.counts.domains);
        break;
      case kJa3:
        ok = parse_number(value, m.counts.ja3);
        break;
      case kSkipped:
        ok = parse_number(value, m.counts.skipped);
        break;
      case kEtag:
        m.etag = value;
        break;
      case kLastModified:
        m.last_modified = value;
        break;
      case kLastError:
        m.last_error = value;
        break;
      case kKeyCount:
        break;
    }
    if (!ok) return parse_error("bad value", line_no);
  }
  // A missing key has no line to point at: offset 0.
  if (!(seen & (1u << kFormat))) return parse_error("no format= line", 0);
  if (!(seen & (1u << kName))) return parse_error("no name= line", 0);
  if (!(seen & (1u << kSource))) return parse_error("no source= line", 0);
  return m;
}

std::string render_meta(const ListMeta& m) {
  std::string out =
      "# warden intel list metadata; written by 'warden intel', one key=value a line\n";
  auto put = [&](MetaKey key, std::string_view value) {
    out += kKeyNames[key];
    out += '=';
    out += clean_value(value);
    out += '\n';
  };
  put(kFormat, kFormatVersion);
  put(kName, m.name);
  put(kSource, m.source);
  put(kKind, kind_name(m.kind));
  if (m.column >= 0) put(kColumn, std::to_string(m.column));
  if (!m.column_name.empty()) put(kColumnName, m.column_name);
  put(kAdded, std::to_string(m.added));
  put(kLastRefresh, std::to_string(m.last_refresh));
  put(kLastSuccess, std::to_string(m.last_success));
  put(kBytes, std::to_string(m.bytes));
  put(kIps, std::to_string(m.counts.ips));
  put(kCidrs, std::to_string(m.counts.cidrs));
  put(kDomains, std::to_string(m.counts.domains));
  put(kJa3, std::to_string(m.counts.ja3));
  put(kSkipped, std::to_string(m.counts.skipped));
  if (!m.etag.empty()) put(kEtag, m.etag);
  if (!m.last_modified.empty()) put(kLastModified, m.last_modified);
  if (!m.last_error.empty()) put(kLastError, m.last_error);
  return out;
}

std::string default_store_dir(const StoreEnv& env) {
  if (env.warden_intel_dir && env.warden_intel_dir[0]) return env.warden_intel_dir;
  if (env.root) return "/var/lib/warden/intel";
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (env.xdg_data_home && env.xdg_data_home[0] == '/')
    return std::string(env.xdg_data_home) + "/warden/intel";
  if (env.home && env.home[0]) return std::string(env.home) + "/.local/share/warden/intel";
  return {};
}

// ---------------------------------------------------------------------------------- ListStore

bool ListStore::exists() const {
  std::error_code ec;
  return fs::is_directory(dir_, ec);
}

std::string ListStore::path(std::string_view name, std::string_view ext) const {
  return dir_ + "/" + std::string(name) + std::string(ext);
}

Result<bool, std::string> ListStore::ensure_dir() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return unexpected("cannot create the intel store " + dir_ + ": " + ec.message());
  return true;
}

Result<std::vector<std::string>, std::string> ListStore::names() const {
  std::vector<std::string> out;
  std::error_code ec;
  // The error_code forms throughout: the store reports, it never throws.
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (!file.ends_with(".meta")) continue;
    std::string name = file.substr(0, file.size() - 5);
    if (valid_list_name(name)) out.push_back(std::move(name));
  }
  if (ec) return unexpected("cannot read the intel store " + dir_ + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string, std::string> ListStore::read_text(std::string_view name) const {
  if (!valid_list_name(name)) return unexpected("bad list name '" + std::string(name) + "'");
  fetch::FetchRequest local;
  local.source = path(name, ".list");
  local.max_bytes = kMaxListBytes;
  auto text = fetch::fetch(local);  // a local path: read with the same size limit as a download
  if (!text) return unexpected(text.error());
  return std::move(text->body);
}

Result<ListMeta, std::string> ListStore::read_meta(std::string_view name) const {
  if (!valid_list_name(name)) return unexpected("bad list name '" + std::string(name) + "'");
  const std::string p = path(name, ".meta");
  fetch::FetchRequest local;
  local.source = p;
  local.max_bytes = kMaxMetaBytes;
  auto text = fetch::fetch(local);
  if (!text) {
    std::error_code ec;
    if (!fs::exists(p, ec))
      return unexpected("no list named '" + std::string(name) + "' in " + dir_);
    return unexpected(text.error());
  }
  auto meta = parse_meta(text->body);
  if (!meta) {
    const std::size_t line = meta.error().offset;
    return unexpected(p + (line ? " line " + std::to_string(line) : std::string()) + ": " +
                      std::string(meta.error().reason));
  }
  if (meta->name != name) return unexpected(p + ": holds the metadata of another list");
  return std::move(*meta);
}

Result<bool, std::string> ListStore::write_atomic(const std::string& target,
                                                  std::string_view data) const {
  // Temporary names start with '.', which no list name may, so names() never sees them.
  return write_file_durable(target, data, 0644);
}

Result<ListMeta, std::string> ListStore::add(ListMeta spec, const Fetcher& fetcher,
                                             std::int64_t now) {
  if (!valid_list_name(spec.name)) {
    return unexpected("bad list name '" + spec.name +
                      "': use 1-64 letters, digits, '.', '_' or '-', not starting with '.'");
  }
  std::error_code ec;
  if (fs::exists(path(spec.name, ".meta"), ec)) {
    return unexpected("a list named '" + spec.name + "' already exists in " + dir_ +
                      " ('warden intel refresh " + spec.name + "' fetches it again)");
  }
  fetch::FetchRequest req;
  req.source = spec.source;
  req.max_bytes = kMaxListBytes;
  auto got = fetcher(req);
  if (!got) return unexpected(got.error());
  IntelSet scratch;  // parsed only to count and validate; analyze parses the stored copy
  auto st = scratch.add_list(got->body, spec.options());
  if (!st) {
    return unexpected(spec.source + " line " + std::to_string(st.error().offset) + ": " +
                      std::string(st.error().reason));
  }
  if (st->total() == 0) {
    return unexpected(spec.source + " holds no indicator (" + std::to_string(st->skipped) +
                      " lines not recognised); nothing stored");
  }
  if (auto d = ensure_dir(); !d) return unexpected(d.error());
  spec.added = spec.last_refresh = spec.last_success = now;
  spec.bytes = got->body.size();
  spec.counts = *st;
  spec.etag = got->etag;
  spec.last_modified = got->last_modified;
  spec.last_error.clear();
  if (auto w = write_atomic(path(spec.name, ".list"), got->body); !w) return unexpected(w.error());
  if (auto w = write_atomic(path(spec.name, ".meta"), render_meta(spec)); !w) {
    ::unlink(path(spec.name, ".list").c_str());
    return unexpected(w.error());
  }
  return spec;
}

Result<RefreshOutcome, std::string> ListStore::refresh(std::string_view name,
                                                       const Fetcher& fetcher, std::int64_t now) {
  auto meta = read_meta(name);
  if (!meta) return unexpected(meta.error());
  RefreshOutcome out;
  out.previous_total = meta->counts.total();
  out.meta = std::move(*meta);
  ListMeta& m = out.meta;
  m.last_refresh = now;
  // Records the failure beside the previous copy, which stays as it was.
  auto fail = [&](std::string error) -> Result<RefreshOutcome, std::string> {
    m.last_error = error;
    if (auto w = write_atomic(path(name, ".meta"), render_meta(m)); !w)
      return unexpected(error + " (and " + w.error() + ")");
    return unexpected(std::move(error));
  };
  auto cached = read_text(name);
  fetch::FetchRequest req;
  req.source = m.source;
  req.max_bytes = kMaxListBytes;
  if (cached) {  // validators only make sense while we still hold the copy they describe
    req.etag = m.etag;
    req.last_modified = m.last_modified;
  }
  auto got = fetcher(req);
  if (!got) return fail(got.error());
  if (got->not_modified && !cached) return fail("304 Not Modified, but no copy is stored");
  const bool same = got->not_modified || (cached && *cached == got->body);
  if (!same) {
    IntelSet scratch;
    auto st = scratch.add_list(got->body, m.options());
    if (!st) {
      return fail(m.source + " line " + std::to_string(st.error().offset) + ": " +
                  std::string(st.error().reason));
    }
    if (st->total() == 0) {
      return fail(m.source + " now holds no indicator");
    }
    if (auto w = write_atomic(path(name, ".list"), got->body); !w) return fail(w.error());
    m.counts = *st;
    m.bytes = got->body.size();
  }
  out.state = same ? RefreshState::kUnchanged : RefreshState::kUpdated;
  if (!got->not_modified) {  // a 304 may omit the validators: keep the ones we have
    m.etag = got->etag;
    m.last_modified = got->last_modified;
  }
  m.last_success = now;
  m.last_error.clear();
  if (auto w = write_atomic(path(name, ".meta"), render_meta(m)); !w) return unexpected(w.error());
  return out;
}

Result<bool, std::string> ListStore::remove(std::string_view name) {
  if (auto meta = read_meta(name); !meta) {
    // A damaged metadata file can still be removed; only a missing one is an error.
    std::error_code ec;
    if (!valid_list_name(name) || !fs::exists(path(name, ".meta"), ec))
      return unexpected(meta.error());
  }
  // The metadata first: without it the list is no longer in the store, whatever happens next.
  for (const char* ext : {".meta", ".list"}) {
    const std::string p = path(name, ext);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT)
      return unexpected(errno_text("cannot remove", p));
  }
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

StoreLoad ListStore::load_into(IntelSet& set) const {
  StoreLoad out;
  auto names_result = names();
  if (!names_result) {
    out.warnings.push_back(names_result.error());
    return out;
  }
  for (const auto& name : *names_result) {
    auto meta = read_meta(name);
    if (!meta) {
      out.warnings.push_back(name + ": " + meta.error() + "; skipped");
      continue;
    }
    auto text = read_text(name);
    if (!text) {
      out.warnings.push_back(name + ": " + text.error() + "; skipped");
      continue;
    }
    auto st = set.add_list(*text, meta->options());
    if (!st) {
      out.warnings.push_back(name + ": line " + std::to_string(st.error().offset) + ": " +
                             std::string(st.error().reason) + "; skipped");
      continue;
    }
    ++out.lists;
    out.indicators += st->total();
  }
  return out;
}

// ---------------------------------------------------------------------------------- StoreLock

Result<StoreLock, std::string> StoreLock::acquire(const ListStore& store) {
  std::error_code ec;
  fs::create_directories(store.dir(), ec);
  if (ec) return unexpected("cannot create the intel store " + store.dir() + ": " + ec.message());
  const std::string p = store.dir() + "/.lock";
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return unexpected(errno_text("cannot open", p));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return unexpected("another 'warden intel' command is changing " + store.dir() +
                      "; try again when it has finished");
  }
  return StoreLock(fd);
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace warden::intel
