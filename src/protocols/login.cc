#include "protocols/login.h"

#include "core/text.h"

namespace warden::protocols {
namespace {

constexpr std::uint8_t kIac = 0xff, kSb = 0xfa, kSe = 0xf0, kWill = 0xfb, kDont = 0xfe;
constexpr std::size_t kMaxPrompt = 64;

std::string printable_name(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 64) break;
    if (c >= 0x21 && c <= 0x7e) out.push_back(c);
  }
  return out;
}

// Whether the server's recent text ends with a prompt for `what` (ignoring trailing blanks).
bool ends_with_prompt(std::string_view text, std::string_view what) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.back() != ':') return false;
  text.remove_suffix(1);
  return text.size() >= what.size() && iequals(text.substr(text.size() - what.size()), what);
}

}  // namespace

// Telnet byte stream: IAC IAC is a literal 0xff; IAC WILL/WONT/DO/DONT x is three bytes;
// IAC SB ... IAC SE is a subnegotiation; other IAC x commands are two bytes.
template <class Sink>
void telnet_filter(Bytes data, int& skip, bool& in_sb, Sink&& sink) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(data[i]);
    if (skip > 0) {
      --skip;
      continue;
    }
    if (in_sb) {
      if (b == kIac && i + 1 < data.size() && static_cast<std::uint8_t>(data[i + 1]) == kSe) {
        in_sb = false;
        ++i;
      }
      continue;
    }
    if (b != kIac) {
      sink(static_cast<char>(b));
      continue;
    }
    if (i + 1 >= data.size()) {
      skip = 1;  // the command byte arrives in the next segment
      continue;
    }
    const auto cmd = static_cast<std::uint8_t>(data[i + 1]);
    if (cmd == kIac) {
      sink(static_cast<char>(kIac));
      ++i;
    } else if (cmd == kSb) {
      in_sb = true;
      ++i;
    } else if (cmd >= kWill && cmd <= kDont) {
      if (i + 2 < data.size()) {
        i += 2;
      } else {
        skip = static_cast<int>(i + 2 - (data.size() - 1));
        i = data.size();
      }
    } else {
      ++i;
    }
  }
}

std::string telnet_text(Bytes data) {
  std::string out;
  int skip = 0;
  bool sb = false;
  telnet_filter(data, skip, sb, [&](char c) { out.push_back(c); });
  return out;
}

void LoginTracker::server(Bytes data) {
  if (done_ || protocol_ != Protocol::kTelnet) return;
  auto take = [&](char c) {
    if (c == '\r' || c == '\n') {
      prompt_.clear();
      return;
    }
    if (prompt_.size() >= kMaxPrompt) prompt_.erase(0, prompt_.size() - kMaxPrompt / 2);
    prompt_.push_back(c);
  };
  telnet_filter(data, iac_skip_, in_subnegotiation_, take);
  if (ends_with_prompt(prompt_, "password")) {
    expect_ = Expect::kPassword;
    line_.clear();
  } else if (ends_with_prompt(prompt_, "login") || ends_with_prompt(prompt_, "username") ||
             ends_with_prompt(prompt_, "user name") || ends_with_prompt(prompt_, "user")) {
    expect_ = Expect::kUser;
    line_.clear();
  }
}

std::optional<CleartextLogin> LoginTracker::client(Bytes data) {
  if (done_) return std::nullopt;
  std::optional<CleartextLogin> out;
  auto take = [&](char c) {
    if (out || done_) return;
    if (c == '\r' || c == '\n' || c == '\0') {
      if (!line_.empty()) out = client_line(line_);
      line_.clear();
      return;
    }
    if (c == 0x08 || c == 0x7f) {  // backspace/delete, as typed at a Telnet prompt
      if (!line_.empty()) line_.pop_back();
      return;
    }
    if (line_.size() < kMaxLine) line_.push_back(c);
  };
  if (protocol_ == Protocol::kTelnet) {
    // The client's own negotiation shares the stream; its bytes are commands, not typing.
    int skip = 0;
    bool sb = false;
    telnet_filter(data, skip, sb, take);
  } else {
    for (std::byte b : data) take(static_cast<char>(b));
  }
  return out;
}

std::optional<CleartextLogin> LoginTracker::client_line(std::string_view line) {
  if (protocol_ == Protocol::kFtp) {
    const std::string_view verb = line.substr(0, line.find(' '));
    const std::string_view arg =
        line.size() > verb.size() ? line.substr(verb.size() + 1) : std::string_view();
    if (iequals(verb, "USER")) {
      username_ = printable_name(arg);
      have_user_ = true;
    } else if (iequals(verb, "PASS") && have_user_) {
      done_ = true;
      return CleartextLogin{"FTP", username_, true};
    }
    return std::nullopt;
  }
  switch (expect_) {
    case Expect::kUser:
      username_ = printable_name(line);
      have_user_ = true;
      expect_ = Expect::kNothing;
      return std::nullopt;
    case Expect::kPassword:
      done_ = true;
      return CleartextLogin{"Telnet", username_, true};
    case Expect::kNothing:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace warden::protocols
