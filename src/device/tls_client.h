// The device's side of the pipe: a mutually authenticated TLS 1.3 connection to the relay (or
// the enrollment server), trusting only the pinned server CA and checking the server's name.
// Blocking sockets with deadlines: a device runs one connection, and blocking code is the easiest
// for a firmware author to read and to port.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"

namespace warden::device {

struct Endpoint {
  std::string host;  // a name or an IP literal; verified against the server certificate
  std::uint16_t port = 0;
  std::string str() const;
};

// "host:port" or "[v6]:port".
Result<Endpoint, std::string> parse_endpoint(std::string_view text);

class TlsConnection {
 public:
  TlsConnection(int fd, identity::SslPtr ssl) : fd_(fd), ssl_(std::move(ssl)) {}
  TlsConnection(TlsConnection&& other) noexcept;
  TlsConnection& operator=(TlsConnection&&) = delete;
  ~TlsConnection();

  Result<bool, std::string> write_all(std::string_view data);
  // Up to out.size() bytes; 0 means the peer closed cleanly. Waits at most `timeout`
  // (an error mentioning "timed out" when nothing came).
  Result<std::size_t, std::string> read(std::span<char> out, std::chrono::milliseconds timeout);
  bool resumed() const;
  X509* peer_certificate() const;
  SSL* ssl() const { return ssl_.get(); }
  void close();

 private:
  int fd_ = -1;
  identity::SslPtr ssl_;
};

class TlsClient {
 public:
  // `server_ca_pem`: the CA certificates the device trusts (pinned). `key`/`cert`: the device's
  // identity; null for an anonymous first enrollment (token-authenticated).
  static Result<std::unique_ptr<TlsClient>, std::string> create(std::string_view server_ca_pem,
                                                                EVP_PKEY* key, X509* cert);
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects and handshakes; resumes the last session with the same endpoint when it has one
  // (TLS 1.3 tickets), which saves the relay a signature and the device a round of ECDHE.
  Result<TlsConnection, std::string> connect(const Endpoint& to, std::chrono::milliseconds timeout);
  void forget_session() { session_.reset(); }

 private:
  explicit TlsClient(identity::SslCtxPtr ctx) : ctx_(std::move(ctx)) {}
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  identity::SslCtxPtr ctx_;
  identity::SslSessionPtr session_;
  std::string session_endpoint_;
};

}  // namespace warden::device
