#include "scan/upnp_xml.h"

#include <charconv>

#include "core/bytes.h"
#include "core/text.h"
#include "protocols/http.h"

namespace warden::scan {
namespace {

// ---- XML tokenizer ----

enum class TokKind : std::uint8_t { start, end, text, done };

struct Token {
  TokKind kind = TokKind::done;
  std::string_view name;  // local name (prefix removed) for start/end
  bool self_closing = false;
  std::string_view raw;  // text: raw bytes (entities not yet decoded); CDATA: its content
  bool cdata = false;
};

std::string_view local_name(std::string_view qname) {
  auto colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

bool is_name_end(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>';
}

// A tag scanner: it finds tags, comments, processing instructions, CDATA and text; attributes
// are skipped (quoted values may hold '>', so quotes are honoured). DOCTYPE is skipped without
// reading its internal subset, so no entity is ever declared, let alone expanded.
class XmlTokenizer {
 public:
  explicit XmlTokenizer(std::string_view in) : in_(in) {}
  std::size_t offset() const { return pos_; }

  ParseResult<Token> next() {
    for (;;) {
      if (pos_ >= in_.size()) return Token{};
      if (in_[pos_] != '<') {
        auto lt = in_.find('<', pos_);
        if (lt == std::string_view::npos) lt = in_.size();
        Token t{TokKind::text, {}, false, in_.substr(pos_, lt - pos_), false};
        pos_ = lt;
        return t;
      }
      std::string_view rest = in_.substr(pos_);
      if (rest.starts_with("<!--")) {
        auto e = in_.find("-->", pos_ + 4);
        if (e == std::string_view::npos) return parse_error("unterminated comment", pos_);
        pos_ = e + 3;
        continue;
      }
      if (rest.starts_with("<![CDATA[")) {
        auto e = in_.find("]]>", pos_ + 9);
        if (e == std::string_view::npos) return parse_error("unterminated CDATA", pos_);
        Token t{TokKind::text, {}, false, in_.substr(pos_ + 9, e - pos_ - 9), true};
        pos_ = e + 3;
        return t;
      }
      if (rest.starts_with("<?")) {
        auto e = in_.find("?>", pos_ + 2);
        if (e == std::string_view::npos) return parse_error("unterminated declaration", pos_);
        pos_ = e + 2;
        continue;
      }
      if (rest.starts_with("<!")) {
        // DOCTYPE (with a possible [internal subset]) or another declaration: skipped whole.
        int brackets = 0;
        std::size_t i = pos_ + 2;
        for (; i < in_.size(); ++i) {
          if (in_[i] == '[') ++brackets;
          if (in_[i] == ']') --brackets;
          if (in_[i] == '>' && brackets <= 0) break;
        }
        if (i >= in_.size()) return parse_error("unterminated declaration", pos_);
        pos_ = i + 1;
        continue;
      }
      bool closing = rest.size() > 1 && rest[1] == '/';
      std::size_t name_start = pos_ + (closing ? 2 : 1);
      std::size_t i = name_start;
      while (i < in_.size() && !is_name_end(in_[i])) ++i;
      if (i == name_start) return parse_error("empty tag name", pos_);
      std::string_view name = in_.substr(name_start, i - name_start);
      char quote = 0;
      for (; i < in_.size(); ++i) {
        char c = in_[i];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          break;
        }
      }
      if (i >= in_.size()) return parse_error("unterminated tag", pos_);
      bool self_closing = !closing && in_[i - 1] == '/';
      pos_ = i + 1;
      return Token{
          closing ? TokKind::end : TokKind::start, local_name(name), self_closing, {}, false};
    }
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Appends `raw` to `out` with the predefined entities and numeric references decoded, stopping
// at kUpnpMaxText. Unknown entities are kept as written.
void append_decoded(std::string& out, std::string_view raw, bool cdata) {
  auto room = [&] { return out.size() < kUpnpMaxText; };
  if (cdata) {
    out.append(raw.substr(0, kUpnpMaxText - std::min(out.size(), kUpnpMaxText)));
    return;
  }
  for (std::size_t i = 0; i < raw.size() && room(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    auto semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = raw.substr(i + 1, semi - i - 1);
    char c = 0;
    if (ent == "lt") c = '<';
    if (ent == "gt") c = '>';
    if (ent == "amp") c = '&';
    if (ent == "quot") c = '"';
    if (ent == "apos") c = '\'';
    if (c == 0 && ent.size() > 1 && ent[0] == '#') {
      unsigned v = 0;
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
      if (ec == std::errc() && p == digits.data() + digits.size() && v > 0 && v < 0x110000) {
        append_utf8(out, v);
        i = semi;
        continue;
      }
    }
    if (c == 0) {
      out.push_back('&');
      continue;
    }
    out.push_back(c);
    i = semi;
  }
  if (out.size() > kUpnpMaxText) out.resize(kUpnpMaxText);
}

std::string trimmed(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Walks a document, calling on_leaf(path, text) at every end tag with the text collected since
// the last tag (for leaves that is their value) and on_start(path) at every start tag. `path`
// holds the local names from the root down to the element, inclusive.
template <class OnStart, class OnEnd>
ParseResult<bool> walk(std::string_view xml, OnStart&& on_start, OnEnd&& on_end) {
  if (xml.size() > kUpnpMaxDocument) return parse_error("document too large", kUpnpMaxDocument);
  XmlTokenizer tok(xml);
  std::vector<std::string_view> path;
  std::string text;
  for (;;) {
    auto t = tok.next();
    if (!t) return Unexpected<ParseError>{t.error()};
    switch (t->kind) {
      case TokKind::done:
        if (!path.empty()) return parse_error("unclosed element", tok.offset());
        return true;
      case TokKind::text:
        append_decoded(text, t->raw, t->cdata);
        break;
      case TokKind::start:
        if (path.size() >= kUpnpMaxDepth) return parse_error("too deep", tok.offset());
        path.push_back(t->name);
        text.clear();
        on_start(path);
        if (t->self_closing) {
          on_end(path, std::string());
          path.pop_back();
        }
        break;
      case TokKind::end:
        if (path.empty() || path.back() != t->name) {
          return parse_error("mismatched end tag", tok.offset());
        }
        on_end(path, trimmed(std::move(text)));
        text.clear();
        path.pop_back();
        break;
    }
  }
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// ---- HTTP ----

struct Head {
  int status = 0;
  std::size_t head_length = 0;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  std::string server;
};

std::optional<Head> read_head(std::string_view buf, bool& bad) {
  bad = false;
  auto h = protocols::parse_http_head(as_bytes(buf));
  if (!h) {
    // A start line still arriving is not yet an error.
    constexpr std::string_view kPrefix = "HTTP/1.";
    bool partial =
        buf.find('\n') == std::string_view::npos &&
        (buf.size() < kPrefix.size() ? kPrefix.starts_with(buf) : buf.starts_with(kPrefix));
    bad = !partial;
    return std::nullopt;
  }
  if (h->is_request || h->status < 100) {
    bad = true;
    return std::nullopt;
  }
  if (!h->complete) return std::nullopt;
  Head out;
  out.status = h->status;
  out.head_length = h->head_length;
  if (auto te = h->header("Transfer-Encoding")) {
    out.chunked = ascii_lower(*te).find("chunked") != std::string::npos;
  }
  if (auto cl = h->header("Content-Length"); cl && !out.chunked) {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc() || p != cl->data() + cl->size()) {
      bad = true;
      return std::nullopt;
    }
    out.content_length = n;
  }
  if (auto s = h->header("Server")) out.server = std::string(s->substr(0, kUpnpMaxText));
  return out;
}

enum class Dechunk : std::uint8_t { incomplete, complete, bad };

// Decodes a chunked body (RFC 9112 7.1); extensions and trailers are skipped.
Dechunk dechunk(std::string_view in, std::string* out) {
  std::size_t pos = 0;
  for (;;) {
    auto eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos)
      return in.size() - pos > 64 ? Dechunk::bad : Dechunk::incomplete;
    std::string_view line = in.substr(pos, eol - pos);
    auto semi = line.find(';');
    if (semi != std::string_view::npos) line = line.substr(0, semi);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    std::size_t size = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc() || p != line.data() + line.size() ||
        size > kUpnpMaxDocument) {
      return Dechunk::bad;
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailers end with an empty line; accept the body once the last chunk is seen.
      return Dechunk::complete;
    }
    if (in.size() - pos < size + 2) return Dechunk::incomplete;
    if (in.substr(pos + size, 2) != "\r\n") return Dechunk::bad;
    if (out != nullptr) {
      if (out->size() + size > kUpnpMaxDocument) return Dechunk::bad;
      out->append(in.substr(pos, size));
    }
    pos += size + 2;
  }
}

}  // namespace

HttpFraming http_response_framing(std::string_view buf, bool eof, std::size_t max) {
  if (buf.size() > max) return HttpFraming::bad;
  bool bad = false;
  auto head = read_head(buf, bad);
  if (bad) return HttpFraming::bad;
  if (!head) return eof ? HttpFraming::bad : HttpFraming::incomplete;
  std::string_view body = buf.substr(head->head_length);
  if (head->chunked) {
    switch (dechunk(body, nullptr)) {
      case Dechunk::complete:
        return HttpFraming::complete;
      case Dechunk::bad:
        return HttpFraming::bad;
      case Dechunk::incomplete:
        return eof ? HttpFraming::bad : HttpFraming::incomplete;
    }
  }
  if (head->content_length) {
    if (*head->content_length > max) return HttpFraming::bad;
    if (body.size() >= *head->content_length) return HttpFraming::complete;
    return eof ? HttpFraming::bad : HttpFraming::incomplete;
  }
  // 1xx, 204 and 304 have no body; anything else without framing ends at close.
  if (head->status < 200 || head->status == 204 || head->status == 304) {
    return HttpFraming::complete;
  }
  return eof ? HttpFraming::complete : HttpFraming::incomplete;
}

ParseResult<UpnpHttpResponse> parse_upnp_http_response(std::string_view buf) {
  bool bad = false;
  auto head = read_head(buf, bad);
  if (!head) return parse_error("not a complete HTTP response head", 0);
  UpnpHttpResponse r;
  r.status = head->status;
  r.server = head->server;
  std::string_view body = buf.substr(head->head_length);
  if (head->chunked) {
    if (dechunk(body, &r.body) != Dechunk::complete) {
      return parse_error("bad chunked body", head->head_length);
    }
    return r;
  }
  if (head->content_length) {
    if (body.size() < *head->content_length) {
      return parse_error("body shorter than Content-Length", buf.size());
    }
    body = body.substr(0, *head->content_length);
  }
  if (body.size() > kUpnpMaxDocument) return parse_error("body too large", head->head_length);
  r.body = std::string(body);
  return r;
}

ParseResult<DeviceDescription> parse_device_description(std::string_view xml) {
  DeviceDescription d;
  // Index into d.devices of each open <device>, innermost last; services attach to the top.
  std::vector<std::size_t> open_devices;
  std::vector<bool> device_kept;
  bool in_service = false, service_kept = false;
  UpnpService service;
  auto ok = walk(
      xml,
      [&](const std::vector<std::string_view>& path) {
        std::string_view n = path.back();
        if (n == "device") {
          bool keep = d.devices.size() < kUpnpMaxDevices;
          if (keep) d.devices.emplace_back();
          device_kept.push_back(keep);
          open_devices.push_back(keep ? d.devices.size() - 1 : 0);
        } else if (n == "service" && !open_devices.empty()) {
          in_service = true;
          service_kept = d.services.size() < kUpnpMaxServices;
          service = UpnpService{};
          if (device_kept.back()) service.device_type = d.devices[open_devices.back()].device_type;
        }
      },
      [&](const std::vector<std::string_view>& path, std::string text) {
        std::string_view n = path.back();
        std::string_view parent = path.size() >= 2 ? path[path.size() - 2] : std::string_view();
        if (n == "device") {
          if (!open_devices.empty()) {
            open_devices.pop_back();
            device_kept.pop_back();
          }
          return;
        }
        if (n == "service" && in_service) {
          in_service = false;
          if (service_kept) d.services.push_back(std::move(service));
          return;
        }
        if (n == "URLBase" && path.size() == 2) {
          d.url_base = std::move(text);
          return;
        }
        if (in_service && parent == "service") {
          if (n == "serviceType") service.service_type = std::move(text);
          if (n == "serviceId") service.service_id = std::move(text);
          if (n == "controlURL") service.control_url = std::move(text);
          if (n == "SCPDURL") service.scpd_url = std::move(text);
          return;
        }
        if (parent != "device" || open_devices.empty() || !device_kept.back()) return;
        UpnpDevice& dev = d.devices[open_devices.back()];
        if (n == "deviceType") dev.device_type = std::move(text);
        if (n == "friendlyName") dev.friendly_name = std::move(text);
        if (n == "manufacturer") dev.manufacturer = std::move(text);
        if (n == "modelName") dev.model_name = std::move(text);
        if (n == "modelNumber") dev.model_number = std::move(text);
        if (n == "serialNumber") dev.serial_number = std::move(text);
        if (n == "UDN") dev.udn = std::move(text);
      });
  if (!ok) return Unexpected<ParseError>{ok.error()};
  if (d.devices.empty()) return parse_error("no <device>", 0);
  return d;
}

std::optional<std::string_view> SoapResponse::arg(std::string_view name) const {
  for (const auto& [k, v] : args) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

ParseResult<SoapResponse> parse_soap_response(std::string_view xml) {
  SoapResponse r;
  bool saw_body_child = false;
  auto ok = walk(
      xml,
      [&](const std::vector<std::string_view>& path) {
        if (path.size() == 3 && path[0] == "Envelope" && path[1] == "Body") {
          saw_body_child = true;
          r.action = std::string(path[2].substr(0, kUpnpMaxText));
          r.fault = path[2] == "Fault";
        }
      },
      [&](const std::vector<std::string_view>& path, std::string text) {
        if (path.size() < 4 || path[0] != "Envelope" || path[1] != "Body") return;
        if (r.fault) {
          // errorCode/errorDescription sit in detail/UPnPError; accept them at any depth.
          int code = 0;
          if (path.back() == "errorCode" && parse_int(text, code)) r.error_code = code;
          if (path.back() == "errorDescription") r.error_description = std::move(text);
          return;
        }
        if (path.size() == 4 && r.args.size() < kUpnpMaxSoapArgs) {
          r.args.emplace_back(std::string(path[3].substr(0, kUpnpMaxText)), std::move(text));
        }
      });
  if (!ok) return Unexpected<ParseError>{ok.error()};
  if (!saw_body_child) return parse_error("no Envelope/Body child", 0);
  return r;
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl u;
  u.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned p = 0;
    auto [e, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || e != port.data() + port.size() || p == 0 || p > 65535) {
      return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  return u;
}

std::optional<HttpUrl> resolve_url(const HttpUrl& base, std::string_view ref) {
  if (ref.empty()) return std::nullopt;
  if (ref.find("://") != std::string_view::npos) return parse_http_url(ref);
  HttpUrl u = base;
  if (ref.starts_with('/')) {
    u.path = std::string(ref);
    return u;
  }
  auto slash = base.path.rfind('/');
  u.path = (slash == std::string::npos ? std::string("/") : base.path.substr(0, slash + 1)) +
           std::string(ref);
  return u;
}

}  // namespace warden::scan
