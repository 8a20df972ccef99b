// Cleartext logins of line-oriented protocols (FTP, Telnet): whether a client sent a user name
// and a password over the wire unencrypted, and which user name. LoginTracker is fed one TCP
// conversation's payloads in order, client and server separately, and reports a login once
// the password line has been sent. It keeps only bounded state (one partial line per side,
// capped), and never the password: knowing one crossed the network in clear is the finding,
// keeping it would make the sensor a credential store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace warden::protocols {

struct CleartextLogin {
  std::string protocol;  // "FTP" or "Telnet"
  std::string username;  // as typed, printable characters only, at most 64
  bool password_sent = false;
};

class LoginTracker {
 public:
  enum class Protocol : std::uint8_t { kFtp, kTelnet };
  explicit LoginTracker(Protocol p) : protocol_(p) {}

  // Bytes from the client; returns the login when this completes the password line.
  std::optional<CleartextLogin> client(Bytes data);
  // Bytes from the server (Telnet prompts).
  void server(Bytes data);
  bool done() const { return done_; }

  static constexpr std::size_t kMaxLine = 256;

 private:
  enum class Expect : std::uint8_t { kNothing, kUser, kPassword };
  std::optional<CleartextLogin> client_line(std::string_view line);

  Protocol protocol_;
  Expect expect_ = Expect::kNothing;  // Telnet: what the last prompt asked for
  std::string line_;                  // client bytes since the last end of line
  std::string prompt_;                // the tail of the server's text, for prompts
  std::string username_;
  bool have_user_ = false;
  bool done_ = false;
  int iac_skip_ = 0;  // Telnet: bytes of a command sequence still to drop
  bool in_subnegotiation_ = false;
};

// The text of Telnet data with IAC command sequences removed (for tests and tools).
std::string telnet_text(Bytes data);

}  // namespace warden::protocols
