// Blocking-style network I/O with deadlines for the active checks: every connect, send and
// receive ends by its timeout, so a device that accepts and then says nothing (a tarpit, a
// half-dead telnetd) cannot hang a scan. One connection belongs to one thread.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/net.h"
#include "core/result.h"

namespace warden::scan {

using Millis = std::chrono::milliseconds;

enum class ConnectError : std::uint8_t { refused, timeout, unreachable, other };
const char* connect_error_name(ConnectError e);

class TcpConn {
 public:
  static Result<TcpConn, ConnectError> connect(const IpAddr& addr, std::uint16_t port,
                                               Millis timeout);
  TcpConn(TcpConn&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  TcpConn& operator=(TcpConn&& o) noexcept;
  TcpConn(const TcpConn&) = delete;
  TcpConn& operator=(const TcpConn&) = delete;
  ~TcpConn();

  // Sends everything or fails (false) by the timeout.
  bool send(std::string_view data, Millis timeout);
  // Appends what arrives to `out` until `done(out)` says enough, the peer closes, `max` bytes
  // are buffered or the timeout passes. True when `done` was satisfied.
  bool recv_until(std::string& out, const std::function<bool(std::string_view)>& done,
                  Millis timeout, std::size_t max = 64 * 1024);
  // Waits up to `timeout` for some bytes and appends them; 0 on timeout or close.
  std::size_t recv_some(std::string& out, Millis timeout, std::size_t max = 16 * 1024);
  // Whether the peer has closed (EOF seen by a previous receive).
  bool closed() const { return eof_; }
  int fd() const { return fd_; }

 private:
  explicit TcpConn(int fd) : fd_(fd) {}
  int fd_ = -1;
  bool eof_ = false;
};

// Sends one datagram and collects the answers that come back within the timeout (at most
// `max_answers`; unicast targets answer once, SSDP multicast may answer many times).
struct Datagram {
  IpAddr from;
  std::uint16_t port = 0;
  std::string data;
};
std::vector<Datagram> udp_exchange(const IpAddr& addr, std::uint16_t port, std::string_view query,
                                   Millis timeout, std::size_t max_answers = 1);

// Fills `ss` with addr:port; returns the length to pass to connect/sendto.
socklen_t to_sockaddr(const IpAddr& addr, std::uint16_t port, sockaddr_storage& ss);

// Milliseconds left until `deadline` (0 once it has passed), for poll().
int remaining_ms(std::chrono::steady_clock::time_point deadline);

// Milliseconds since `start`, for per-guess latencies.
double ms_since(std::chrono::steady_clock::time_point start);

}  // namespace warden::scan
