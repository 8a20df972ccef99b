#include "scan/http_auth.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "core/text.h"

namespace warden::scan {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_ws(s.front()) || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (is_ws(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Hex digest of `data` with OpenSSL's EVP interface; "" if the digest is unavailable (a
// FIPS-restricted OpenSSL may refuse MD5), which makes the Digest attempt fail, not crash.
std::string hex_digest(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
    return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

// Appends a quoted-string, escaping what RFC 7230 requires.
void put_quoted(std::string& out, std::string_view v) {
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// Reads `name=value` attributes of one HTML tag's inside (after the tag name, before '>').
std::vector<std::pair<std::string, std::string>> tag_attributes(std::string_view tag) {
  std::vector<std::pair<std::string, std::string>> attrs;
  std::size_t i = 0;
  while (i < tag.size() && attrs.size() < 64) {
    while (i < tag.size() && (is_ws(tag[i]) || tag[i] == '\r' || tag[i] == '\n' || tag[i] == '/'))
      ++i;
    std::size_t start = i;
    while (i < tag.size() && !is_ws(tag[i]) && tag[i] != '=' && tag[i] != '\r' && tag[i] != '\n' &&
           tag[i] != '/')
      ++i;
    if (i == start) {
      ++i;  // a stray character; never loop in place
      continue;
    }
    std::string name = ascii_lower(tag.substr(start, i - start));
    while (i < tag.size() && is_ws(tag[i])) ++i;
    std::string value;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && is_ws(tag[i])) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        char q = tag[i++];
        std::size_t end = tag.find(q, i);
        if (end == std::string_view::npos) end = tag.size();
        value = std::string(tag.substr(i, end - i));
        i = end + 1;
      } else {
        std::size_t vs = i;
        while (i < tag.size() && !is_ws(tag[i]) && tag[i] != '\r' && tag[i] != '\n') ++i;
        value = std::string(tag.substr(vs, i - vs));
      }
    }
    attrs.emplace_back(std::move(name), std::move(value));
  }
  return attrs;
}

std::string attr(const std::vector<std::pair<std::string, std::string>>& attrs,
                 std::string_view name) {
  for (const auto& [k, v] : attrs) {
    if (k == name) return v;
  }
  return "";
}

// Case-insensitive find of an ASCII needle from `from`.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpResponse::headers_named(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) out.push_back(v);
  }
  return out;
}

ParseResult<HttpResponse> parse_http_response(std::string_view buf) {
  // The head ends at the first blank line; accept bare LF line ends, as embedded servers send.
  std::size_t end = std::string_view::npos, head_size = 0;
  for (std::size_t i = 0; i < buf.size(); ++i) {
    if (buf[i] != '\n') continue;
    if (i + 1 < buf.size() && buf[i + 1] == '\n') {
      end = i;
      head_size = i + 2;
      break;
    }
    if (i + 2 < buf.size() && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
      end = i;
      head_size = i + 3;
      break;
    }
  }
  if (end == std::string_view::npos) return parse_error(kHttpIncomplete, buf.size());
  std::string_view head = buf.substr(0, end);
  HttpResponse r;
  r.head_size = head_size;
  std::size_t nl = head.find('\n');
  std::string_view status_line = trim(head.substr(0, nl));
  head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
  std::size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos) return parse_error("no status code", 0);
  r.protocol = status_line.substr(0, sp);
  if (!(r.protocol.starts_with("HTTP/") || r.protocol.starts_with("RTSP/")))
    return parse_error("not an HTTP or RTSP response", 0);
  std::string_view rest = status_line.substr(sp + 1);
  if (rest.size() < 3) return parse_error("status code too short", sp + 1);
  for (int i = 0; i < 3; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return parse_error("status code not numeric", sp + 1);
    r.status = r.status * 10 + (rest[i] - '0');
  }
  if (rest.size() > 3 && rest[3] != ' ') return parse_error("status code too long", sp + 4);
  r.reason = trim(rest.substr(3));
  while (!head.empty()) {
    nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (is_ws(line.front())) {
      // obs-fold: a continuation of the previous field; rare on devices, dropped here.
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return parse_error("header without colon", 0);
    if (r.headers.size() == kMaxHttpHeaders) return parse_error("too many headers", 0);
    r.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  return r;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view v) {
  std::vector<AuthChallenge> out;
  std::size_t i = 0, params = 0;
  auto skip = [&] {
    while (i < v.size() && (is_ws(v[i]) || v[i] == ',')) ++i;
  };
  auto token = [&] {
    std::size_t s = i;
    while (i < v.size() && !is_ws(v[i]) && v[i] != ',' && v[i] != '=' && v[i] != '"') ++i;
    return v.substr(s, i - s);
  };
  while (i < v.size()) {
    skip();
    std::size_t before = i;
    std::string_view t = token();
    if (t.empty()) {
      if (i == before) ++i;  // a stray '=' or '"': step over it
      continue;
    }
    std::size_t j = i;
    while (j < v.size() && is_ws(v[j])) ++j;
    if (j >= v.size() || v[j] != '=') {
      // A token without '=' starts a new challenge (the scheme name).
      if (out.size() == 8) break;
      out.push_back(AuthChallenge{});
      out.back().scheme = ascii_lower(t);
      params = 0;
      continue;
    }
    i = j + 1;
    while (i < v.size() && is_ws(v[i])) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value.push_back(v[i++]);
      }
      ++i;  // the closing quote (or past the end, which ends the loop)
    } else {
      std::size_t s = i;
      while (i < v.size() && v[i] != ',' && !is_ws(v[i])) ++i;
      value = std::string(v.substr(s, i - s));
    }
    if (out.empty() || ++params > 32) continue;
    AuthChallenge& c = out.back();
    std::string name = ascii_lower(t);
    if (name == "realm") {
      c.realm = std::move(value);
    } else if (name == "nonce") {
      c.nonce = std::move(value);
    } else if (name == "opaque") {
      c.opaque = std::move(value);
    } else if (name == "algorithm") {
      c.algorithm = std::move(value);
    } else if (name == "qop") {
      c.qop = std::move(value);
    } else if (name == "stale") {
      c.stale = iequals(value, "true");
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16 |
                      static_cast<std::uint8_t>(in[i + 1]) << 8 |
                      static_cast<std::uint8_t>(in[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16 | static_cast<std::uint8_t>(in[i + 1])
                                                                   << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string basic_authorization(std::string_view user, std::string_view pass) {
  std::string up(user);
  up += ':';
  up += pass;
  return "Basic " + base64(up);
}

std::optional<std::string> digest_authorization(const AuthChallenge& c, std::string_view user,
                                                std::string_view pass, std::string_view method,
                                                std::string_view uri, std::string_view cnonce,
                                                unsigned nc) {
  std::string alg = ascii_lower(c.algorithm);
  const EVP_MD* md = nullptr;
  bool sess = false;
  if (alg.empty() || alg == "md5" || alg == "md5-sess") {
    md = EVP_md5();
    sess = alg == "md5-sess";
  } else if (alg == "sha-256" || alg == "sha-256-sess") {
    md = EVP_sha256();
    sess = alg == "sha-256-sess";
  } else {
    return std::nullopt;
  }
  // qop is a list ("auth,auth-int"); we can only do "auth" (auth-int hashes the body).
  bool qop_auth = false;
  if (!c.qop.empty()) {
    std::string_view q = c.qop;
    while (!q.empty()) {
      std::size_t comma = q.find(',');
      if (trim(q.substr(0, comma)) == "auth") qop_auth = true;
      q = comma == std::string_view::npos ? std::string_view{} : q.substr(comma + 1);
    }
    if (!qop_auth) return std::nullopt;
  }
  std::string a1 = std::string(user) + ":" + c.realm + ":" + std::string(pass);
  std::string ha1 = hex_digest(md, a1);
  if (sess) ha1 = hex_digest(md, ha1 + ":" + c.nonce + ":" + std::string(cnonce));
  std::string ha2 = hex_digest(md, std::string(method) + ":" + std::string(uri));
  if (ha1.empty() || ha2.empty()) return std::nullopt;
  char ncbuf[9];
  std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
  std::string response = qop_auth ? hex_digest(md, ha1 + ":" + c.nonce + ":" + ncbuf + ":" +
                                                       std::string(cnonce) + ":auth:" + ha2)
                                  : hex_digest(md, ha1 + ":" + c.nonce + ":" + ha2);
  std::string out = "Digest username=";
  put_quoted(out, user);
  out += ", realm=";
  put_quoted(out, c.realm);
  out += ", nonce=";
  put_quoted(out, c.nonce);
  out += ", uri=";
  put_quoted(out, uri);
  if (!c.algorithm.empty()) out += ", algorithm=" + c.algorithm;
  out += ", response=";
  put_quoted(out, response);
  if (qop_auth) {
    out += ", qop=auth, nc=";
    out += ncbuf;
    out += ", cnonce=";
    put_quoted(out, cnonce);
  }
  if (!c.opaque.empty()) {
    out += ", opaque=";
    put_quoted(out, c.opaque);
  }
  return out;
}

std::optional<LoginForm> find_login_form(std::string_view html) {
  if (html.size() > 256 * 1024) html = html.substr(0, 256 * 1024);
  std::size_t at = 0;
  for (int forms = 0; forms < 32; ++forms) {
    std::size_t open = ifind(html, "<form", at);
    if (open == std::string_view::npos) return std::nullopt;
    std::size_t gt = html.find('>', open);
    if (gt == std::string_view::npos) return std::nullopt;
    auto form_attrs = tag_attributes(html.substr(open + 5, gt - open - 5));
    std::size_t close = ifind(html, "</form", gt);
    std::string_view inside = html.substr(
        gt + 1, close == std::string_view::npos ? std::string_view::npos : close - gt - 1);
    at = close == std::string_view::npos ? html.size() : close + 6;
    LoginForm f;
    f.action = attr(form_attrs, "action");
    f.method = ascii_lower(attr(form_attrs, "method"));
    if (f.method.empty()) f.method = "get";
    std::string first_text;
    std::size_t in = 0;
    for (int inputs = 0; inputs < 64; ++inputs) {
      std::size_t tag = ifind(inside, "<input", in);
      if (tag == std::string_view::npos) break;
      std::size_t end = inside.find('>', tag);
      if (end == std::string_view::npos) end = inside.size();
      auto a = tag_attributes(inside.substr(tag + 6, end - tag - 6));
      in = end;
      std::string type = ascii_lower(attr(a, "type"));
      std::string name = attr(a, "name");
      if (name.empty()) continue;
      if (type == "password") {
        if (f.pass_field.empty()) f.pass_field = name;
      } else if (type.empty() || type == "text" || type == "email" || type == "tel") {
        // The user field is the text input before the password; later ones are extras.
        if (f.pass_field.empty() && f.user_field.empty()) {
          f.user_field = name;
        } else {
          f.hidden.emplace_back(name, attr(a, "value"));
        }
      } else if (type == "hidden" || type == "submit") {
        f.hidden.emplace_back(name, attr(a, "value"));
      }
    }
    if (!f.pass_field.empty()) return f;
    if (close == std::string_view::npos) return std::nullopt;
  }
  return std::nullopt;
}

std::string form_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '*') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

ParseResult<FtpReply> parse_ftp_reply(std::string_view buf) {
  // RFC 959: "ddd text" is a single-line reply; "ddd-" opens a multi-line one that ends with a
  // line starting "ddd " (same code).
  auto is_code = [](std::string_view l) {
    return l.size() >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' &&
           l[2] >= '0' && l[2] <= '9';
  };
  std::size_t nl = buf.find('\n');
  if (nl == std::string_view::npos) return parse_error("incomplete", buf.size());
  std::string_view first = buf.substr(0, nl);
  if (!is_code(first)) return parse_error("reply does not start with a code", 0);
  int code = (first[0] - '0') * 100 + (first[1] - '0') * 10 + (first[2] - '0');
  if (first.size() == 3 || first[3] != '-') return FtpReply{code, nl + 1};
  std::size_t at = nl + 1;
  while (at < buf.size()) {
    nl = buf.find('\n', at);
    if (nl == std::string_view::npos) break;
    std::string_view line = buf.substr(at, nl - at);
    if (line.size() >= 4 && line.substr(0, 3) == first.substr(0, 3) && line[3] == ' ')
      return FtpReply{code, nl + 1};
    at = nl + 1;
  }
  return parse_error("incomplete", buf.size());
}

}  // namespace warden::scan
