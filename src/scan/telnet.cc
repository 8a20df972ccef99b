#include "scan/telnet.h"

#include "core/text.h"

namespace warden::scan {
namespace {

constexpr std::uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251, kSb = 250,
                       kSe = 240;
constexpr std::uint8_t kOptEcho = 1, kOptSga = 3;
// A subnegotiation longer than this is garbage or hostile; its bytes are dropped either way,
// the cap only bounds how long we wait for its IAC SE before treating the rest as data again.
constexpr std::size_t kMaxSb = 4096;

bool test_bit(const std::uint64_t* bits, std::uint8_t o) { return (bits[o / 64] >> (o % 64)) & 1; }
void set_bit(std::uint64_t* bits, std::uint8_t o) { bits[o / 64] |= std::uint64_t{1} << (o % 64); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n' || s.back() == '\0'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n' || s.front() == '\0'))
    s.remove_prefix(1);
  return s;
}

bool ends_with_i(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Drops ANSI/VT100 escape sequences: CSI (ESC [ params final-byte) and two-byte ESC x.
std::string strip_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\x1b') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

void TelnetNegotiator::answer(std::uint8_t verb, std::uint8_t option, std::string& reply) {
  std::uint8_t response = 0;
  if (verb == kWill || verb == kWont) {
    if (test_bit(replied_will_, option)) return;
    set_bit(replied_will_, option);
    // The server echoing and suppressing go-ahead is what every login needs; anything else it
    // offers (binary, linemode, ...) we decline, as a minimal client does.
    response = (verb == kWill && (option == kOptEcho || option == kOptSga)) ? kDo : kDont;
  } else {
    if (test_bit(replied_do_, option)) return;
    set_bit(replied_do_, option);
    // We only agree to suppress go-ahead; terminal type, window size, environment, our own
    // echo: refused, so the server falls back to plain defaults.
    response = (verb == kDo && option == kOptSga) ? kWill : kWont;
  }
  reply.push_back(static_cast<char>(kIac));
  reply.push_back(static_cast<char>(response));
  reply.push_back(static_cast<char>(option));
  ++answered_;
}

void TelnetNegotiator::feed(std::string_view in, std::string& text, std::string& reply) {
  for (char ch : in) {
    const auto c = static_cast<std::uint8_t>(ch);
    switch (state_) {
      case State::data:
        if (c == kIac) {
          state_ = State::iac;
        } else {
          text.push_back(ch);
        }
        break;
      case State::iac:
        switch (c) {
          case kIac:
            text.push_back(ch);
            state_ = State::data;
            break;
          case kWill:
            state_ = State::will;
            break;
          case kWont:
            state_ = State::wont;
            break;
          case kDo:
            state_ = State::do_;
            break;
          case kDont:
            state_ = State::dont;
            break;
          case kSb:
            state_ = State::sb;
            sb_len_ = 0;
            break;
          default:  // NOP, GA, DM, AYT, ...: two-byte commands, nothing to answer
            state_ = State::data;
            break;
        }
        break;
      case State::will:
        answer(kWill, c, reply);
        state_ = State::data;
        break;
      case State::wont:
        answer(kWont, c, reply);
        state_ = State::data;
        break;
      case State::do_:
        answer(kDo, c, reply);
        state_ = State::data;
        break;
      case State::dont:
        answer(kDont, c, reply);
        state_ = State::data;
        break;
      case State::sb:
        if (c == kIac) {
          state_ = State::sb_iac;
        } else if (++sb_len_ > kMaxSb) {
          state_ = State::data;
        }
        break;
      case State::sb_iac:
        // IAC SE ends the subnegotiation; IAC IAC is an escaped 0xff inside it.
        state_ = c == kSe ? State::data : State::sb;
        break;
    }
  }
}

const char* telnet_prompt_name(TelnetPrompt p) {
  switch (p) {
    case TelnetPrompt::none:
      return "none";
    case TelnetPrompt::login:
      return "login";
    case TelnetPrompt::password:
      return "password";
    case TelnetPrompt::shell:
      return "shell";
    case TelnetPrompt::failure:
      return "failure";
  }
  return "none";
}

TelnetPrompt classify_telnet(std::string_view text) {
  // Refusals as printed by util-linux/shadow login, BusyBox login, PAM and common DVR firmware.
  static constexpr std::string_view kFailures[] = {
      "login incorrect", "incorrect password", "login failed",      "authentication failure",
      "access denied",   "permission denied",  "invalid password",  "invalid login",
      "bad password",    "login invalid",      "password incorrect"};
  for (auto f : kFailures) {
    if (icontains(text, f)) return TelnetPrompt::failure;
  }
  // Only the tail matters for the prompt; terminal escapes go first: BusyBox ash follows its
  // "~ # " with ESC[6n (a cursor position query), which would hide the '#'.
  std::string clean = strip_escapes(text.size() > 512 ? text.substr(text.size() - 512) : text);
  std::string_view t = trim(clean);
  auto nl = t.find_last_of("\r\n");
  std::string_view last = trim(nl == std::string_view::npos ? t : t.substr(nl + 1));
  if (last.empty()) return TelnetPrompt::none;
  if (ends_with_i(last, "password:") || ends_with_i(last, "passwd:") ||
      ends_with_i(last, "password :"))
    return TelnetPrompt::password;
  if (ends_with_i(last, "login:") || ends_with_i(last, "username:") || ends_with_i(last, "user:") ||
      ends_with_i(last, "user name:") || ends_with_i(last, "login :") ||
      ends_with_i(last, "username :"))
    return TelnetPrompt::login;
  const char end = last.back();
  if (end == '#' || end == '$' || end == '>' || end == '%') return TelnetPrompt::shell;
  return TelnetPrompt::none;
}

std::string telnet_uid(std::string_view text) {
  auto at = text.find("uid=");
  // Skip the echo of our own command line ("...; id"): the output's uid= is followed by a digit.
  while (at != std::string_view::npos) {
    if (at + 4 < text.size() && text[at + 4] >= '0' && text[at + 4] <= '9') break;
    at = text.find("uid=", at + 4);
  }
  if (at == std::string_view::npos) return "";
  std::string out;
  for (std::size_t i = at; i < text.size() && out.size() < 48; ++i) {
    char c = text[i];
    if (c == ' ' || c == '\r' || c == '\n' || c == '\t') break;
    if (c < 0x21 || c > 0x7e) break;
    out.push_back(c);
  }
  return out;
}

}  // namespace warden::scan
