#include "fetch/fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/text.h"

namespace warden::fetch {

namespace {

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string limit_text(std::uint64_t bytes) {
  if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

FetchResult read_file(const std::string& path, std::uint64_t max_bytes,
                      const std::function<bool(std::string_view)>& sink) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected("cannot read " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) return unexpected("cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return unexpected("cannot read " + path + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return unexpected(path + " is larger than the " + limit_text(max_bytes) + " limit");
  Fetched out;
  if (sink) {
    std::string chunk(std::min<std::uint64_t>(1u << 20, std::max<off_t>(st.st_size, 1)), '\0');
    std::uint64_t total = 0;
    for (;;) {
      const ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return unexpected("cannot read " + path + ": " + std::strerror(errno));
      if (n == 0) break;
      total += static_cast<std::uint64_t>(n);
      if (total > max_bytes)  // grew while we read
        return unexpected(path + " is larger than the " + limit_text(max_bytes) + " limit");
      if (!sink(std::string_view(chunk.data(), static_cast<std::size_t>(n))))
        return unexpected("reading " + path + " was stopped by its receiver");
    }
    return out;
  }
  out.body.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.body.size()) {
    const ssize_t n = ::read(fd, out.body.data() + done, out.body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;  // shrank while we read: keep what was there
    done += static_cast<std::size_t>(n);
  }
  out.body.resize(done);
  return out;
}

// State shared with libcurl's callbacks for one transfer.
struct Transfer {
  Fetched out;
  std::uint64_t max_bytes = 0;
  std::uint64_t received = 0;
  const std::function<bool(std::string_view)>* sink = nullptr;
  bool too_large = false;
  bool stopped = false;
};

extern "C" std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->received + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  t->received += len;
  if (t->sink) {
    if (!(*t->sink)(std::string_view(data, len))) {
      t->stopped = true;
      return 0;
    }
    return len;
  }
  t->out.body.append(data, len);
  return len;
}

extern "C" std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  const std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {  // a new response (after a redirect): forget the last one's
    t->out.etag.clear();
    t->out.last_modified.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    const std::string_view name = trim_space(line.substr(0, colon));
    const std::string_view value = trim_space(line.substr(colon + 1));
    if (value.size() <= 512) {  // validators are short; a huge one is not worth keeping
      if (iequals(name, "ETag")) t->out.etag = value;
      if (iequals(name, "Last-Modified")) t->out.last_modified = value;
    }
  }
  return len;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

FetchResult fetch_url(const FetchRequest& r) {
  // curl_easy_init performs libcurl's one-time global initialisation when nobody did. That is
  // thread-safe only where libcurl reports CURL_VERSION_THREADSAFE (7.84+; Debian 12's 7.88
  // does); a multi-threaded caller on an older libcurl calls curl_global_init at start.
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return unexpected("could not fetch " + r.source + ": libcurl failed to start");
  CURL* c = curl.get();
  Transfer t;
  t.max_bytes = r.max_bytes;
  if (r.sink) t.sink = &r.sink;
  char errbuf[CURL_ERROR_SIZE] = {};
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  if (!r.etag.empty()) add_header("If-None-Match: " + r.etag);
  if (!r.last_modified.empty()) add_header("If-Modified-Since: " + r.last_modified);

  curl_easy_setopt(c, CURLOPT_URL, r.source.c_str());
  // Only these schemes, ever; a redirect may not hop to file:// (a server must not be able
  // to make us read local files) or anything else.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, r.https_only ? "https" : "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, r.https_only ? "https" : "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, r.max_redirects);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!r.tls_ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, r.tls_ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);  // instead of the system's, not as well
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, r.timeout_s);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, r.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip feeds; the limit counts decoded bytes
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_bytes));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(c);
  if (t.stopped) return unexpected("fetching " + r.source + " was stopped by its receiver");
  if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return unexpected("could not fetch " + r.source + ": larger than the " +
                      limit_text(r.max_bytes) + " limit");
  }
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    return unexpected("could not fetch " + r.source + ": " + why);
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code == 304) {
    t.out.not_modified = true;
    t.out.body.clear();
    return std::move(t.out);
  }
  // file:// transfers have no status (0); any HTTP answer but 2xx is a failure.
  if (code != 0 && (code < 200 || code > 299)) {
    return unexpected("HTTP " + std::to_string(code) + " from " + r.source);
  }
  return std::move(t.out);
}

}  // namespace

bool is_url(std::string_view source) {
  const std::size_t sep = source.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char ch : source.substr(0, sep)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

Result<std::string, std::string> normalize_source(std::string_view source) {
  if (source.empty()) return unexpected(std::string("empty source"));
  for (unsigned char ch : source) {
    if (ch < 0x20 || ch == 0x7f)
      return unexpected(std::string("the source contains control characters"));
  }
  if (is_url(source)) {
    const std::string scheme = ascii_lower(source.substr(0, source.find("://")));
    if (scheme != "http" && scheme != "https" && scheme != "file") {
      return unexpected("unsupported URL scheme '" + scheme + "' (http, https or file)");
    }
    return std::string(source);
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(std::filesystem::path(source), ec);
  if (ec) return unexpected("bad path " + std::string(source) + ": " + ec.message());
  return abs.lexically_normal().string();
}

FetchResult fetch(const FetchRequest& request) {
  if (!is_url(request.source)) {
    if (request.https_only) return unexpected(request.source + " is not an https URL");
    return read_file(request.source, request.max_bytes, request.sink);
  }
  if (request.https_only && !ascii_lower(request.source.substr(0, 8)).starts_with("https://"))
    return unexpected(request.source + " is not an https URL");
  auto checked = normalize_source(request.source);
  if (!checked) return unexpected(checked.error());
  return fetch_url(request);
}

}  // namespace warden::fetch
