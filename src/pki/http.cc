#include "pki/http.h"

#include "core/text.h"

namespace warden::pki {
namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_field_value(std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<std::size_t> find_head_end(std::string_view received) {
  const auto pos = received.find("\r\n\r\n");
  if (pos == std::string_view::npos) return std::nullopt;
  return pos + 4;
}

ParseResult<HttpRequest> parse_request_head(std::string_view head) {
  if (head.size() > kMaxHeadBytes) return parse_error("request head too large", kMaxHeadBytes);
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
    return parse_error("request head not terminated", head.size());
  }
  HttpRequest req;
  req.head_length = head.size();
  std::size_t pos = 0;
  auto next_line = [&](std::string_view& line) -> bool {
    const auto eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    line = head.substr(pos, eol - pos);
    pos = eol + 2;
    return true;
  };
  std::string_view line;
  if (!next_line(line)) return parse_error("no request line", 0);
  if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
    return parse_error("bare CR or LF in request line", 0);
  }
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return parse_error("malformed request line", 0);
  }
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto version = line.substr(sp2 + 1);
  if (!is_token(method) || method.size() > 16) return parse_error("bad method", 0);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return parse_error("bad HTTP version", sp2);
  if (target.empty() || target.front() != '/' || target.size() > kMaxTargetBytes) {
    return parse_error("target not origin-form", sp1 + 1);
  }
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return parse_error("bad character in target", sp1 + 1);
  }
  req.method = std::string(method);
  req.target = std::string(target.substr(0, target.find('?')));

  bool have_length = false;
  std::size_t headers = 0;
  while (true) {
    const std::size_t line_start = pos;
    if (!next_line(line)) return parse_error("truncated header", line_start);
    if (line.empty()) break;  // the blank line ending the head
    if (++headers > kMaxHeaders) return parse_error("too many headers", line_start);
    if (line.front() == ' ' || line.front() == '\t') {
      return parse_error("folded header", line_start);  // obs-fold, RFC 9112 5.2
    }
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      return parse_error("bare CR or LF in header", line_start);
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return parse_error("header without colon", line_start);
    const auto name = line.substr(0, colon);
    if (!is_token(name)) return parse_error("bad header name", line_start);
    const auto value = trim_ows(line.substr(colon + 1));
    if (!valid_field_value(value)) return parse_error("bad header value", line_start);
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 9) return parse_error("bad Content-Length", line_start);
      std::size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return parse_error("bad Content-Length", line_start);
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      if (have_length && n != req.content_length) {
        return parse_error("conflicting Content-Length", line_start);
      }
      if (n > kMaxBodyBytes) return parse_error("body too large", line_start);
      req.content_length = n;
      have_length = true;
    } else if (iequals(name, "Transfer-Encoding")) {
      return parse_error("Transfer-Encoding not supported", line_start);
    } else if (iequals(name, "Authorization")) {
      req.authorization = std::string(value);
    } else if (iequals(name, "Content-Type")) {
      req.content_type = std::string(value);
    } else if (iequals(name, "X-Warden-Serial")) {
      req.warden_serial = std::string(value);
    }
  }
  if (pos != head.size()) return parse_error("bytes after the head", pos);
  return req;
}

ParseResult<ParsedRequest> parse_request(std::string_view received, bool& incomplete) {
  incomplete = false;
  const auto end = find_head_end(received.substr(0, std::min(received.size(), kMaxHeadBytes)));
  if (!end) {
    if (received.size() >= kMaxHeadBytes) return parse_error("request head too large", 0);
    incomplete = true;
    return parse_error("incomplete head", received.size());
  }
  auto head = parse_request_head(received.substr(0, *end));
  if (!head) return Unexpected<ParseError>{head.error()};
  if (received.size() - *end < head->content_length) {
    incomplete = true;
    return parse_error("incomplete body", received.size());
  }
  const auto body = received.substr(*end, head->content_length);
  return ParsedRequest{std::move(*head), body};
}

}  // namespace warden::pki
