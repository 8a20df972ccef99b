#include "scan/conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace warden::scan {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

const char* connect_error_name(ConnectError e) {
  switch (e) {
    case ConnectError::refused:
      return "refused";
    case ConnectError::timeout:
      return "timeout";
    case ConnectError::unreachable:
      return "unreachable";
    case ConnectError::other:
      return "error";
  }
  return "error";
}

Result<TcpConn, ConnectError> TcpConn::connect(const IpAddr& addr, std::uint16_t port,
                                               Millis timeout) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(ConnectError::other);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  TcpConn conn(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return conn;
  if (errno != EINPROGRESS) {
    return unexpected(errno == ECONNREFUSED                             ? ConnectError::refused
                      : (errno == ENETUNREACH || errno == EHOSTUNREACH) ? ConnectError::unreachable
                                                                        : ConnectError::other);
  }
  if (!wait_for(fd, POLLOUT, Clock::now() + timeout)) return unexpected(ConnectError::timeout);
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err == 0) return conn;
  if (err == ECONNREFUSED) return unexpected(ConnectError::refused);
  if (err == EHOSTUNREACH || err == ENETUNREACH) return unexpected(ConnectError::unreachable);
  if (err == ETIMEDOUT) return unexpected(ConnectError::timeout);
  return unexpected(ConnectError::other);
}

TcpConn& TcpConn::operator=(TcpConn&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    eof_ = o.eof_;
    o.fd_ = -1;
  }
  return *this;
}

TcpConn::~TcpConn() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpConn::send(std::string_view data, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, deadline)) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::size_t TcpConn::recv_some(std::string& out, Millis timeout, std::size_t max) {
  if (eof_ || fd_ < 0) return 0;
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, std::min(sizeof buf, max), 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      eof_ = true;
      return 0;
    }
    if (!wait_for(fd_, POLLIN, deadline)) return 0;
  }
}

bool TcpConn::recv_until(std::string& out, const std::function<bool(std::string_view)>& done,
                         Millis timeout, std::size_t max) {
  auto deadline = Clock::now() + timeout;
  if (done(out)) return true;
  while (out.size() < max && !eof_) {
    int left = remaining_ms(deadline);
    if (left == 0) return false;
    if (recv_some(out, Millis(left), max - out.size()) == 0) return done(out);
    if (done(out)) return true;
  }
  return done(out);
}

std::vector<Datagram> udp_exchange(const IpAddr& addr, std::uint16_t port, std::string_view query,
                                   Millis timeout, std::size_t max_answers) {
  std::vector<Datagram> answers;
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(addr, port, ss);
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return answers;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    ::close(fd);
    return answers;
  }
  auto deadline = Clock::now() + timeout;
  std::vector<char> buf(65536);
  while (answers.size() < max_answers && wait_for(fd, POLLIN, deadline)) {
    sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n =
        ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;  // ICMP port unreachable surfaces here as ECONNREFUSED: nothing listens
    }
    Datagram d;
    if (from.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&from);
      d.from = IpAddr::v4(ntohl(sin->sin_addr.s_addr));
      d.port = ntohs(sin->sin_port);
    } else if (from.ss_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&from);
      d.from = IpAddr::v6(Bytes(reinterpret_cast<const std::byte*>(&sin6->sin6_addr), 16));
      d.port = ntohs(sin6->sin6_port);
    }
    d.data.assign(buf.data(), static_cast<std::size_t>(n));
    answers.push_back(std::move(d));
  }
  ::close(fd);
  return answers;
}

socklen_t to_sockaddr(const IpAddr& addr, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr.s_addr = htonl(addr.v4_host_order());
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, addr.raw().data(), 16);
  return sizeof(sockaddr_in6);
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace warden::scan
