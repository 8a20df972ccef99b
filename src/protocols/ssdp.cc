#include "protocols/ssdp.h"

#include <array>
#include <limits>

#include "core/text.h"
#include "protocols/http.h"

namespace warden::protocols {
namespace {

bool starts_with(std::string_view s, std::size_t pos, std::string_view prefix) {
  return s.substr(pos, prefix.size()) == prefix;
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

// CACHE-CONTROL is a comma list ("max-age=1800", "no-cache=\"Ext\", max-age = 5000").
std::optional<std::uint32_t> parse_max_age(std::string_view value) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view directive = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    std::size_t eq = directive.find('=');
    if (eq == std::string_view::npos || !iequals(trim(directive.substr(0, eq)), "max-age")) {
      continue;
    }
    std::string_view number = trim(directive.substr(eq + 1));
    if (number.size() >= 2 && number.front() == '"' && number.back() == '"') {
      number = number.substr(1, number.size() - 2);
    }
    if (number.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : number) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
  }
  return std::nullopt;
}

std::string header_or_empty(const HttpHead& head, std::string_view name) {
  return std::string(head.header(name).value_or(std::string_view{}));
}

// --- UPnP description scanner -------------------------------------------------------------

struct DescriptionField {
  std::string_view element;
  std::string UpnpDescription::*member;
};

constexpr std::array<DescriptionField, 10> kDescriptionFields = {{
    {"deviceType", &UpnpDescription::device_type},
    {"friendlyName", &UpnpDescription::friendly_name},
    {"manufacturer", &UpnpDescription::manufacturer},
    {"manufacturerURL", &UpnpDescription::manufacturer_url},
    {"modelName", &UpnpDescription::model_name},
    {"modelNumber", &UpnpDescription::model_number},
    {"modelDescription", &UpnpDescription::model_description},
    {"serialNumber", &UpnpDescription::serial_number},
    {"UDN", &UpnpDescription::udn},
    {"presentationURL", &UpnpDescription::presentation_url},
}};

// "&#233;" / "&#xE9;": a character reference, not an entity, so decoding it expands nothing.
std::optional<std::uint32_t> parse_char_ref(std::string_view ref) {
  bool hex = !ref.empty() && (ref[0] == 'x' || ref[0] == 'X');
  if (hex) ref.remove_prefix(1);
  if (ref.empty() || ref.size() > 8) return std::nullopt;
  std::uint32_t cp = 0;
  for (char c : ref) {
    std::uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (hex && ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f') {
      d = static_cast<std::uint32_t>(ascii_lower(c) - 'a' + 10);
    } else {
      return std::nullopt;
    }
    cp = cp * (hex ? 16 : 10) + d;
    if (cp > 0x10ffff) return std::nullopt;
  }
  if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  return cp;
}

// Text content of a leaf element: entities and character references decoded, CDATA taken
// verbatim, comments dropped, surrounding whitespace trimmed, length capped.
std::string decode_text(std::string_view raw) {
  static constexpr std::size_t kMaxEntityLength = 10;  // "&#x10FFFF;" is the longest we accept
  raw = trim(raw);
  std::string out;
  std::size_t i = 0;
  while (i < raw.size() && out.size() < kUpnpMaxFieldLength) {
    if (starts_with(raw, i, "<![CDATA[")) {
      std::size_t end = raw.find("]]>", i + 9);
      std::size_t stop = end == std::string_view::npos ? raw.size() : end;
      out.append(raw.substr(i + 9, std::min(stop - (i + 9), kUpnpMaxFieldLength - out.size())));
      i = end == std::string_view::npos ? raw.size() : end + 3;
    } else if (starts_with(raw, i, "<!--")) {
      std::size_t end = raw.find("-->", i + 4);
      i = end == std::string_view::npos ? raw.size() : end + 3;
    } else if (raw[i] == '&') {
      std::size_t semi = raw.substr(i, kMaxEntityLength + 1).find(';');
      std::string_view name =
          semi == std::string_view::npos ? std::string_view{} : raw.substr(i + 1, semi - 1);
      char c = 0;
      if (name == "lt")
        c = '<';
      else if (name == "gt")
        c = '>';
      else if (name == "amp")
        c = '&';
      else if (name == "quot")
        c = '"';
      else if (name == "apos")
        c = '\'';
      if (c != 0) {
        out.push_back(c);
        i += semi + 1;
      } else if (auto cp = !name.empty() && name[0] == '#' ? parse_char_ref(name.substr(1))
                                                           : std::nullopt) {
        append_utf8(out, *cp);
        i += semi + 1;
      } else {
        out.push_back('&');  // not a reference we know: keep the text as it is
        ++i;
      }
    } else {
      out.push_back(raw[i]);
      ++i;
    }
  }
  if (out.size() > kUpnpMaxFieldLength) out.resize(kUpnpMaxFieldLength);
  return std::string(trim(out));
}

// "s:serviceType" and "serviceType" are the same element to us.
std::string_view local_name(std::string_view qname) {
  std::size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// End of a start tag: the first '>' outside a quoted attribute value.
std::size_t find_tag_end(std::string_view xml, std::size_t pos) {
  char quote = 0;
  for (std::size_t i = pos; i < xml.size(); ++i) {
    char c = xml[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

struct OpenElement {
  std::string_view name;  // local name
  std::size_t content_start = 0;
  bool has_child = false;
};

}  // namespace

ParseResult<SsdpMessage> parse_ssdp(Bytes udp_payload) {
  auto head = parse_http_head(udp_payload);
  if (!head) return Unexpected<ParseError>{head.error()};
  if (head->version.substr(0, 7) != "HTTP/1.") return parse_error("not an SSDP message", 0);

  SsdpMessage msg;
  if (head->is_request) {
    if (head->method == "NOTIFY") {
      msg.kind = SsdpKind::kNotify;
    } else if (head->method == "M-SEARCH") {
      msg.kind = SsdpKind::kSearch;
    } else {
      return parse_error("not an SSDP method", 0);
    }
    // GENA event NOTIFYs go to a path over TCP; discovery always addresses "*".
    if (head->target != "*") return parse_error("not an SSDP request target", 0);
  } else {
    msg.kind = SsdpKind::kResponse;
  }

  msg.nt_or_st = header_or_empty(*head, msg.kind == SsdpKind::kNotify ? "NT" : "ST");
  msg.nts = header_or_empty(*head, "NTS");
  msg.usn = header_or_empty(*head, "USN");
  msg.server = header_or_empty(*head, "SERVER");
  msg.location = header_or_empty(*head, "LOCATION");
  msg.user_agent = header_or_empty(*head, "USER-AGENT");
  msg.man = header_or_empty(*head, "MAN");
  if (auto cc = head->header("CACHE-CONTROL")) msg.max_age = parse_max_age(*cc);
  return msg;
}

ParseResult<UpnpDescription> parse_upnp_description(std::string_view xml) {
  UpnpDescription desc;
  std::vector<OpenElement> stack;
  std::optional<std::size_t> device_depth;  // stack index of the root <device>
  bool device_closed = false;

  // Every branch moves pos forward past what it consumed, or leaves the loop.
  std::size_t pos = 0;
  while (pos < xml.size()) {
    std::size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) break;

    if (starts_with(xml, lt, "<!--")) {
      std::size_t end = xml.find("-->", lt + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    if (starts_with(xml, lt, "<![CDATA[")) {  // text, read back by decode_text on close
      std::size_t end = xml.find("]]>", lt + 9);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    if (starts_with(xml, lt, "<?") || starts_with(xml, lt, "<!")) {  // PI, DOCTYPE: skipped
      std::size_t end = xml.find('>', lt + 2);
      if (end == std::string_view::npos) break;
      pos = end + 1;
      continue;
    }

    if (starts_with(xml, lt, "</")) {
      std::size_t end = xml.find('>', lt + 2);
      if (end == std::string_view::npos) break;
      pos = end + 1;
      std::string_view name = local_name(trim(xml.substr(lt + 2, end - lt - 2)));
      // Tolerate unclosed children: close back to the nearest open element of that name.
      std::size_t i = stack.size();
      while (i > 0 && !iequals(stack[i - 1].name, name)) --i;
      if (i == 0) continue;  // stray end tag
      std::size_t depth = i - 1;
      stack.resize(i);
      const OpenElement& el = stack.back();
      if (!el.has_child) {
        std::string_view raw = xml.substr(el.content_start, lt - el.content_start);
        if (iequals(el.name, "serviceType") && desc.service_types.size() < kUpnpMaxServices) {
          desc.service_types.push_back(decode_text(raw));
        }
        if (device_depth && !device_closed && depth == *device_depth + 1) {
          for (const DescriptionField& f : kDescriptionFields) {
            std::string& slot = desc.*f.member;
            if (iequals(el.name, f.element) && slot.empty()) slot = decode_text(raw);
          }
        }
      }
      if (device_depth && depth == *device_depth) device_closed = true;
      stack.pop_back();
      continue;
    }

    std::size_t end = find_tag_end(xml, lt + 1);
    if (end == std::string_view::npos) break;
    pos = end + 1;
    std::string_view inner = xml.substr(lt + 1, end - lt - 1);
    bool self_closing = !inner.empty() && inner.back() == '/';
    std::size_t name_end = 0;
    while (name_end < inner.size() && !is_xml_space(inner[name_end]) && inner[name_end] != '/') {
      ++name_end;
    }
    std::string_view name = local_name(inner.substr(0, name_end));
    if (name.empty()) continue;  // a stray '<' in text
    if (!stack.empty()) stack.back().has_child = true;
    if (!device_depth && iequals(name, "device")) {
      device_depth = stack.size();
      device_closed = self_closing;
    }
    if (self_closing) continue;
    if (stack.size() >= kUpnpMaxDepth) return parse_error("nesting too deep", lt);
    stack.push_back(OpenElement{name, end + 1, false});
  }

  if (!device_depth) return parse_error("no device element", xml.size());
  return desc;
}

}  // namespace warden::protocols
