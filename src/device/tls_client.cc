#include "device/tls_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace warden::device {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A non-blocking connect bounded by the deadline, over every address the name resolves to.
Result<int, std::string> tcp_connect(const Endpoint& to, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(to.port);
  if (const int rc = getaddrinfo(to.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return unexpected("cannot resolve " + to.host + ": " + gai_strerror(rc));
  }
  std::string last = "no address for " + to.host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, ms_left(deadline));
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        rc = 0;
      } else {
        errno = rc == 0 ? ETIMEDOUT : err;
        rc = -1;
      }
    }
    if (rc == 0) {
      freeaddrinfo(res);
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    last = "cannot connect to " + to.str() + ": " + std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return unexpected(std::move(last));
}

// Waits for the socket as OpenSSL asks (WANT_READ/WANT_WRITE); false on timeout.
bool wait_for(int fd, SSL* ssl, int ret, Clock::time_point deadline) {
  const int err = SSL_get_error(ssl, ret);
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
  pollfd p{fd, static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
  return ::poll(&p, 1, ms_left(deadline)) == 1;
}

std::string handshake_error(SSL* ssl, int ret) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    identity::ossl_clear_errors();
    return std::string("server certificate refused: ") + X509_verify_cert_error_string(verify);
  }
  if (SSL_get_error(ssl, ret) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    return "the server closed the connection during the handshake";
  }
  return identity::ossl_error("TLS handshake failed");
}

}  // namespace

std::string Endpoint::str() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<Endpoint, std::string> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return unexpected("expected [address]:port, got \"" + std::string(text) + "\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return unexpected("expected host:port, got \"" + std::string(text) + "\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return unexpected("bad port in \"" + std::string(text) + "\"");
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

TlsConnection::TlsConnection(TlsConnection&& other) noexcept
    : fd_(other.fd_), ssl_(std::move(other.ssl_)) {
  other.fd_ = -1;
}

TlsConnection::~TlsConnection() { close(); }

void TlsConnection::close() {
  if (ssl_) {
    SSL_shutdown(ssl_.get());  // best effort close_notify; the socket is closed regardless
    ssl_.reset();
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TlsConnection::resumed() const { return ssl_ && SSL_session_reused(ssl_.get()) == 1; }

X509* TlsConnection::peer_certificate() const {
  return ssl_ ? SSL_get0_peer_certificate(ssl_.get()) : nullptr;
}

Result<bool, std::string> TlsConnection::write_all(std::string_view data) {
  if (!ssl_) return unexpected(std::string("connection closed"));
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!data.empty()) {
    std::size_t written = 0;
    const int ret = SSL_write_ex(ssl_.get(), data.data(), data.size(), &written);
    if (ret == 1) {
      data.remove_prefix(written);
      continue;
    }
    if (!wait_for(fd_, ssl_.get(), ret, deadline)) {
      return unexpected(identity::ossl_error("write failed"));
    }
  }
  return true;
}

Result<std::size_t, std::string> TlsConnection::read(std::span<char> out,
                                                     std::chrono::milliseconds timeout) {
  if (!ssl_) return unexpected(std::string("connection closed"));
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::size_t got = 0;
    const int ret = SSL_read_ex(ssl_.get(), out.data(), out.size(), &got);
    if (ret == 1) return got;
    const int err = SSL_get_error(ssl_.get(), ret);
    if (err == SSL_ERROR_ZERO_RETURN) return std::size_t{0};
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (ms_left(deadline) == 0) return unexpected(std::string("read timed out"));
      if (!wait_for(fd_, ssl_.get(), ret, deadline) && ms_left(deadline) == 0) {
        return unexpected(std::string("read timed out"));
      }
      continue;
    }
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return unexpected(std::string("the connection was cut"));
    }
    return unexpected(identity::ossl_error("read failed"));
  }
}

Result<std::unique_ptr<TlsClient>, std::string> TlsClient::create(std::string_view server_ca_pem,
                                                                  EVP_PKEY* key, X509* cert) {
  auto ctx = identity::make_tls13_context(/*server=*/false);
  if (!ctx) return unexpected(ctx.error());
  auto cas = identity::certs_from_pem(server_ca_pem);
  if (!cas) return unexpected("server CA: " + cas.error());
  // Only the pinned CA: not the system store, so no public CA can stand in for the relay.
  X509_STORE* store = X509_STORE_new();
  for (auto& ca : *cas) X509_STORE_add_cert(store, ca.get());
  SSL_CTX_set_cert_store(ctx->get(), store);
  SSL_CTX_set_verify(ctx->get(), SSL_VERIFY_PEER, nullptr);
  if (cert != nullptr && key != nullptr) {
    if (SSL_CTX_use_certificate(ctx->get(), cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx->get(), key) != 1 ||
        SSL_CTX_check_private_key(ctx->get()) != 1) {
      return unexpected(identity::ossl_error("device certificate and key"));
    }
  }
  // TLS 1.3 tickets arrive after the handshake; the callback keeps the latest for resumption.
  SSL_CTX_set_session_cache_mode(ctx->get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx->get(), &TlsClient::on_new_session);
  std::unique_ptr<TlsClient> client(new TlsClient(std::move(*ctx)));
  SSL_CTX_set_app_data(client->ctx_.get(), client.get());
  return client;
}

int TlsClient::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<TlsClient*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self == nullptr) return 0;
  self->session_.reset(session);  // we take the reference OpenSSL hands us
  return 1;
}

Result<TlsConnection, std::string> TlsClient::connect(const Endpoint& to,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto fd = tcp_connect(to, deadline);
  if (!fd) return unexpected(fd.error());
  identity::SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) {
    ::close(*fd);
    return unexpected(identity::ossl_error("cannot create TLS session"));
  }
  SSL_set_fd(ssl.get(), *fd);
  // The server must prove the name we dialled: an IP literal is checked against IP SANs, a
  // name against DNS SANs (and sent as SNI).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (is_ip_literal(to.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, to.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), to.host.c_str());
    SSL_set1_host(ssl.get(), to.host.c_str());
  }
  if (session_ && session_endpoint_ == to.str()) SSL_set_session(ssl.get(), session_.get());
  for (;;) {
    const int ret = SSL_connect(ssl.get());
    if (ret == 1) break;
    if (!wait_for(*fd, ssl.get(), ret, deadline)) {
      std::string err = ms_left(deadline) == 0 && SSL_get_error(ssl.get(), ret) != SSL_ERROR_SSL
                            ? "TLS handshake with " + to.str() + " timed out"
                            : handshake_error(ssl.get(), ret);
      if (session_ && SSL_session_reused(ssl.get()) == 0) session_.reset();
      ::close(*fd);
      return unexpected(std::move(err));
    }
  }
  session_endpoint_ = to.str();
  return TlsConnection(*fd, std::move(ssl));
}

}  // namespace warden::device
