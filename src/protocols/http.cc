#include "protocols/http.h"

#include <algorithm>
#include <array>

#include "core/text.h"

namespace warden::protocols {
namespace {

constexpr std::size_t kMaxMethodLength = 32;

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 tchar: what a method name may be made of.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return kExtra.find(c) != std::string_view::npos;
}

// "HTTP/1.1" and the RTSP twin that reuses the grammar ("RTSP/1.0"); also "HTTP/2.0" of the
// HTTP/2 connection preface, which is syntactically a request line.
bool is_version(std::string_view v) {
  if (v.size() != 8) return false;
  if (v.substr(0, 5) != "HTTP/" && v.substr(0, 5) != "RTSP/") return false;
  return is_digit(v[5]) && v[6] == '.' && is_digit(v[7]);
}

// Index of the '\n' ending the line that starts at pos, looking no further than one maximal
// line so a hostile megabyte without newlines costs one bounded scan.
std::size_t find_eol(std::string_view s, std::size_t pos) {
  std::string_view window = s.substr(pos, kHttpMaxLineLength + 1);
  std::size_t nl = window.find('\n');
  return nl == std::string_view::npos ? std::string_view::npos : pos + nl;
}

// Whether an unterminated first line may still become a start line once more bytes arrive,
// so the caller is told to wait ("truncated") only when waiting can help.
bool could_be_start_line(std::string_view partial) {
  std::size_t k = std::min<std::size_t>(partial.size(), 5);
  if (partial.substr(0, k) == std::string_view("HTTP/").substr(0, k) ||
      partial.substr(0, k) == std::string_view("RTSP/").substr(0, k)) {
    return true;
  }
  std::string_view method = partial.substr(0, partial.find(' '));
  if (method.size() > kMaxMethodLength) return false;
  for (char c : method) {
    if (!is_token_char(c)) return false;
  }
  return method.size() < partial.size() || partial.size() < kMaxMethodLength + 1;
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool parse_status_line(std::string_view line, HttpHead& head) {
  std::size_t sp = line.find(' ');
  std::string_view version = line.substr(0, sp);
  if (!is_version(version) || sp == std::string_view::npos) return false;
  std::string_view rest = line.substr(sp + 1);
  if (rest.size() < 3 || !is_digit(rest[0]) || !is_digit(rest[1]) || !is_digit(rest[2])) {
    return false;
  }
  // "HTTP/1.1 200" without a reason phrase is common enough from embedded servers.
  if (rest.size() > 3 && rest[3] != ' ') return false;
  head.is_request = false;
  head.version = version;
  head.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
  head.reason = rest.size() > 3 ? trim(rest.substr(4)) : std::string_view{};
  return true;
}

bool parse_request_line(std::string_view line, HttpHead& head) {
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return false;
  std::string_view method = line.substr(0, first);
  if (method.empty() || method.size() > kMaxMethodLength) return false;
  for (char c : method) {
    if (!is_token_char(c)) return false;
  }
  // Splitting at the last space keeps a sloppy client's unescaped space inside the target.
  std::string_view target = trim(line.substr(first + 1, last - first - 1));
  std::string_view version = line.substr(last + 1);
  if (target.empty() || !is_version(version)) return false;
  head.is_request = true;
  head.method = method;
  head.target = target;
  head.version = version;
  return true;
}

}  // namespace

std::optional<std::string_view> HttpHead::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

ParseResult<HttpHead> parse_http_head(Bytes payload) {
  std::string_view s = as_string_view(payload);
  HttpHead head;

  std::size_t eol = find_eol(s, 0);
  if (eol == std::string_view::npos) {
    if (s.size() > kHttpMaxLineLength) return parse_error("line too long", 0);
    if (!could_be_start_line(s)) return parse_error("not an HTTP start line", 0);
    return parse_error("truncated start line", s.size());
  }
  std::string_view start = strip_cr(s.substr(0, eol));
  bool ok = (start.substr(0, 5) == "HTTP/" || start.substr(0, 5) == "RTSP/")
                ? parse_status_line(start, head)
                : parse_request_line(start, head);
  if (!ok) return parse_error("not an HTTP start line", 0);

  std::size_t pos = eol + 1;
  // Each pass consumes at least one byte (the '\n'), so the loop is bounded by the input.
  while (pos < s.size()) {
    eol = find_eol(s, pos);
    if (eol == std::string_view::npos) {
      if (s.size() - pos > kHttpMaxLineLength) return parse_error("line too long", pos);
      break;  // the head continues in a later segment
    }
    std::string_view line = strip_cr(s.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty()) {
      head.complete = true;
      head.head_length = pos;
      break;
    }
    // obs-fold continuation lines cannot be joined without copying; their text is dropped.
    if (is_space(line.front())) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // tolerate junk lines
    if (head.headers.size() >= kHttpMaxHeaders) continue;
    std::string_view name = trim(line.substr(0, colon));
    if (name.empty()) continue;
    head.headers.push_back(HttpHeader{name, trim(line.substr(colon + 1))});
  }
  return head;
}

bool looks_like_http_request(Bytes payload) {
  static constexpr std::array<std::string_view, 12> kMethods = {
      "GET ",     "POST ",  "HEAD ",   "PUT ",      "DELETE ",    "OPTIONS ",
      "CONNECT ", "PATCH ", "NOTIFY ", "M-SEARCH ", "SUBSCRIBE ", "UNSUBSCRIBE "};
  std::string_view s = as_string_view(payload);
  for (std::string_view m : kMethods) {
    if (s.substr(0, m.size()) == m) return true;
  }
  return false;
}

bool looks_like_http_response(Bytes payload) {
  return as_string_view(payload).substr(0, 7) == "HTTP/1.";
}

}  // namespace warden::protocols
