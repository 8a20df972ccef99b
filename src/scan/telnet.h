// Telnet client side for the login checks: an option negotiator that answers like a plain
// line-mode client (only SGA and the server's ECHO are accepted) and strips every IAC sequence
// from the text, even when a sequence is split across reads; and the prompt recogniser that
// tells a login prompt from a password prompt, a shell and a refusal. Both are pure (no I/O) so
// they can be fuzzed with arbitrary server bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace warden::scan {

class TelnetNegotiator {
 public:
  // Consumes raw server bytes: appends the data (IAC sequences removed, IAC IAC as one 0xff) to
  // `text` and the replies a client owes the server to `reply`. Keeps state between calls, so a
  // sequence cut by a read boundary is completed by the next call.
  void feed(std::string_view in, std::string& text, std::string& reply);
  // Options negotiated so far that were answered (for tests and diagnostics).
  unsigned answered() const { return answered_; }

 private:
  enum class State : std::uint8_t { data, iac, will, wont, do_, dont, sb, sb_iac };
  void answer(std::uint8_t verb, std::uint8_t option, std::string& reply);

  State state_ = State::data;
  // One bit per option: whether our reply for (server WILL / server DO) is already sent, so a
  // server repeating itself gets no reply storm (RFC 1143's loop rule, simplified).
  std::uint64_t replied_will_[4] = {};
  std::uint64_t replied_do_[4] = {};
  std::size_t sb_len_ = 0;
  unsigned answered_ = 0;
};

enum class TelnetPrompt : std::uint8_t { none, login, password, shell, failure };
const char* telnet_prompt_name(TelnetPrompt p);

// Classifies what the server has said since our last input (`text`, IAC already stripped).
// A refusal anywhere wins ("Login incorrect", "Access denied", ...); otherwise the last
// non-blank line decides: "login:" / "Username:" -> login, "Password:" -> password, a line
// ending in '#', '$', '>' or '%' -> shell. Anything else (a banner still arriving) -> none.
TelnetPrompt classify_telnet(std::string_view text);

// The text of the login proof: a command whose output differs from its echo, because the
// shell joins the quoted halves and does the arithmetic ("WARDEN""OK$((6*7))" -> WARDENOK42).
inline constexpr std::string_view kTelnetProofCommand = "echo WARDEN\"\"OK$((6*7)); id\r\n";
inline constexpr std::string_view kTelnetProofMarker = "WARDENOK42";

// What the proof command's output says, once kTelnetProofMarker appeared: "uid=0(root)" or the
// uid=... token that `id` printed (bounded, printable), or "" when `id` printed nothing usable.
std::string telnet_uid(std::string_view text);

}  // namespace warden::scan
