// check_tls: the network half of the TLS assessment. Real OpenSSL handshakes, one at a time
// (an embedded server, like openssl s_server, often serves one connection at a time), each
// closed cleanly with close_notify; every connect and every wait bounded by the options.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "scan/checks.h"
#include "scan/conn.h"
#include "scan/tls.h"

namespace warden::scan {
namespace {

using Clock = std::chrono::steady_clock;

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// Every TLS 1.3 suite OpenSSL implements; the CCM ones are off by default.
constexpr const char* kAllTls13 =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";
// Everything up to TLS 1.2, including NULL and anonymous suites (COMPLEMENTOFALL). Debian's
// OpenSSL 3 is built without SSLv3, RC4, single DES and export suites, so those cannot be
// offered at all (see the limits in check_tls's header comment).
constexpr const char* kAllTls12 = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";

int protocol_of(TlsVersion v) {
  switch (v) {
    case TlsVersion::ssl3:
      return SSL3_VERSION;
    case TlsVersion::tls1_0:
      return TLS1_VERSION;
    case TlsVersion::tls1_1:
      return TLS1_1_VERSION;
    case TlsVersion::tls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::tls1_3:
      return TLS1_3_VERSION;
  }
  return 0;
}

// OpenSSL's socket BIO writes with write(2): a peer that resets mid-handshake would raise
// SIGPIPE and kill the scanner. This BIO sends with MSG_NOSIGNAL over the non-blocking fd that
// TcpConn owns (the BIO never closes it).
int bio_write(BIO* b, const char* data, int len) {
  int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(fd, data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(b);
    return -1;
  }
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* out, int len) {
  int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(fd, out, static_cast<std::size_t>(len), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(b);
    return -1;
  }
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  // The TLS layer flushes after every flight; there is no buffering to flush.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* socket_method() {
  // Built once, thread-safely (a function-local static), and kept for the process's life.
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "warden-socket");
    if (m != nullptr) {
      BIO_meth_set_write(m, bio_write);
      BIO_meth_set_read(m, bio_read);
      BIO_meth_set_ctrl(m, bio_ctrl);
    }
    return m;
  }();
  return method;
}

// A client context for one version (min = max), or every version this library has when none
// is given. Security level 0 and the legacy options let OpenSSL 3 talk to what IoT servers run:
// TLS 1.0, 1024-bit keys and groups, SHA-1 signatures, servers without secure renegotiation.
CtxPtr make_context(std::optional<TlsVersion> version) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_COMPRESSION |
                                     SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  int proto = version ? protocol_of(*version) : 0;
  if (SSL_CTX_set_min_proto_version(ctx.get(), proto) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), proto) != 1 ||
      SSL_CTX_set_cipher_list(ctx.get(), kAllTls12) != 1 ||
      SSL_CTX_set_ciphersuites(ctx.get(), kAllTls13) != 1) {
    ctx.reset();
  }
  return ctx;
}

struct Handshake {
  bool ok = false;
  std::string suite;         // IANA name
  std::string openssl_name;  // what a cipher list takes
  int dh_bits = 0;           // finite-field ephemeral DH group, 0 for ECDHE/none
  std::string cert_der;
};

bool wait_io(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

// One handshake offering `ciphers` (TLS <= 1.2 cipher list) or `suites13` (TLS 1.3), the
// context's full lists when empty. A refused connection, a reset, an alert or silence past
// the timeout all mean "not accepted".
Handshake handshake(SSL_CTX* ctx, const IpAddr& addr, std::uint16_t port,
                    const ScanOptions& options, const std::string& ciphers,
                    const std::string& suites13) {
  Handshake h;
  ERR_clear_error();
  // The lists first: a list this library rejects costs no connection to the device.
  SslPtr ssl(SSL_new(ctx));
  const BIO_METHOD* method = socket_method();
  if (!ssl || method == nullptr) return h;
  if (!ciphers.empty() && SSL_set_cipher_list(ssl.get(), ciphers.c_str()) != 1) return h;
  if (!suites13.empty() && SSL_set_ciphersuites(ssl.get(), suites13.c_str()) != 1) return h;
  auto conn = TcpConn::connect(addr, port, options.connect_timeout);
  if (!conn) return h;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return h;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(conn->fd())));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl.get(), bio, bio);  // one reference, owned by the SSL from here
  SSL_set_connect_state(ssl.get());

  auto deadline = Clock::now() + options.io_timeout;
  for (;;) {
    int r = SSL_do_handshake(ssl.get());
    if (r == 1) break;
    int err = SSL_get_error(ssl.get(), r);
    short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0 || !wait_io(conn->fd(), events, deadline)) {
      ERR_clear_error();
      return h;
    }
  }
  h.ok = true;
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl.get())) {
    const char* std_name = SSL_CIPHER_standard_name(c);
    h.openssl_name = SSL_CIPHER_get_name(c);
    h.suite =
        std_name != nullptr && std::string_view(std_name) != "(NONE)" ? std_name : h.openssl_name;
  }
  EVP_PKEY* tmp = nullptr;
  if (SSL_get_peer_tmp_key(ssl.get(), &tmp) == 1 && tmp != nullptr) {
    if (EVP_PKEY_is_a(tmp, "DH") || EVP_PKEY_is_a(tmp, "DHX")) h.dh_bits = EVP_PKEY_get_bits(tmp);
    EVP_PKEY_free(tmp);
  }
  if (X509* cert = SSL_get1_peer_certificate(ssl.get())) {
    unsigned char* der = nullptr;
    int len = i2d_X509(cert, &der);
    if (len > 0 && der != nullptr) h.cert_der.assign(reinterpret_cast<char*>(der), len);
    OPENSSL_free(der);
    X509_free(cert);
  }
  // close_notify, without waiting for the server's: single-connection servers move on to the
  // next client once we close.
  SSL_shutdown(ssl.get());
  ERR_clear_error();
  return h;
}

std::vector<std::string> offered_ciphers(SSL_CTX* ctx, TlsVersion v) {
  std::vector<std::string> names;
  SslPtr ssl(SSL_new(ctx));
  if (!ssl) return names;
  // The suites this client would offer under the context's version range and security level.
  STACK_OF(SSL_CIPHER)* sk = SSL_get1_supported_ciphers(ssl.get());
  if (sk == nullptr) return names;
  for (int i = 0; i < sk_SSL_CIPHER_num(sk); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(sk, i);
    bool is13 = SSL_CIPHER_get_protocol_id(c) >> 8 == 0x13;
    if (is13 == (v == TlsVersion::tls1_3)) names.emplace_back(SSL_CIPHER_get_name(c));
  }
  sk_SSL_CIPHER_free(sk);
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ":") + n;
  return s;
}

struct ProbeState {
  TlsProbe probe;
  std::vector<std::string> certs_der;
  void absorb(const Handshake& h) {
    ++probe.handshakes;
    if (!h.ok) return;
    if (h.dh_bits > 0 && (probe.min_dh_bits == 0 || h.dh_bits < probe.min_dh_bits)) {
      probe.min_dh_bits = h.dh_bits;
      probe.dh_suite = h.suite;
    }
    // Dual-certificate servers (RSA and ECDSA) show a different leaf per suite; a handful at
    // most is worth analysing.
    if (!h.cert_der.empty() && certs_der.size() < 4 &&
        std::find(certs_der.begin(), certs_der.end(), h.cert_der) == certs_der.end()) {
      certs_der.push_back(h.cert_der);
    }
  }
};

// nmap ssl-enum-ciphers' method: offer every suite, note the one the server picks, take it
// out, again until the server refuses. At most one handshake per offered suite, plus one.
void enumerate(ProbeState& st, const IpAddr& addr, std::uint16_t port, const ScanOptions& options,
               TlsVersion v) {
  CtxPtr ctx = make_context(v);
  if (!ctx) return;
  st.probe.tested.push_back(v);
  std::vector<std::string> remaining = offered_ciphers(ctx.get(), v);
  TlsVersionResult result;
  result.version = v;
  const std::size_t budget = remaining.size() + 1;
  for (std::size_t i = 0; i < budget && !remaining.empty(); ++i) {
    std::string list = join(remaining);
    Handshake h = v == TlsVersion::tls1_3
                      ? handshake(ctx.get(), addr, port, options, {}, list)
                      : handshake(ctx.get(), addr, port, options, list + ":@SECLEVEL=0", {});
    st.absorb(h);
    if (!h.ok) break;
    result.suites.push_back(h.suite);
    auto it = std::find(remaining.begin(), remaining.end(), h.openssl_name);
    if (it == remaining.end()) {
      // The server chose a suite we did not offer (or one we cannot name): stop rather than loop.
      result.enumeration_complete = false;
      break;
    }
    remaining.erase(it);
  }
  if (!result.suites.empty()) st.probe.accepted.push_back(std::move(result));
}

bool is_tls_name(const std::string& name) {
  return name == "https" || name == "tls" || name == "ssl" || name == "mqtts" || name == "rtsps" ||
         name == "imaps" || name == "pop3s" || name == "ftps" || name == "sips";
}

bool tls_port(std::uint16_t port) {
  switch (port) {
    case 443:
    case 8443:
    case 8883:
    case 993:
    case 995:
    case 5061:
    case 4433:
      return true;
    default:
      return false;
  }
}

const char* tls_service_name(std::uint16_t port) {
  switch (port) {
    case 443:
    case 8443:
    case 4433:
      return "https";
    case 8883:
      return "mqtts";
    case 993:
      return "imaps";
    case 995:
      return "pop3s";
    case 5061:
      return "sips";
    default:
      return "tls";
  }
}

// What the OpenSSL enumeration could not try: SSLv3 and, under each version that can carry
// them, RC4/DES/export suites (legacy_suites). Same remove-and-repeat loop, raw hellos.
void enumerate_legacy(ProbeState& st, const IpAddr& addr, std::uint16_t port,
                      const ScanOptions& options, TlsVersion v) {
  const bool ssl3 = v == TlsVersion::ssl3;
  std::vector<std::uint16_t> remaining;
  for (const auto& s : legacy_suites(ssl3)) remaining.push_back(s.id);
  const auto wire = static_cast<std::uint16_t>(protocol_of(v));
  if (ssl3) st.probe.tested.insert(st.probe.tested.begin(), v);  // ascending order
  std::vector<std::string> found;
  const std::size_t budget = remaining.size() + 1;
  for (std::size_t i = 0; i < budget && !remaining.empty(); ++i) {
    ++st.probe.handshakes;
    auto chosen = legacy_hello(addr, port, options, wire, remaining);
    if (!chosen) break;
    auto it = std::find(remaining.begin(), remaining.end(), *chosen);
    if (it == remaining.end()) break;  // not one we offered: a broken server, stop
    found.emplace_back(legacy_suite_name(*chosen));
    remaining.erase(it);
  }
  if (found.empty()) return;
  auto& acc = st.probe.accepted;
  auto at = std::find_if(acc.begin(), acc.end(),
                         [&](const TlsVersionResult& r) { return r.version >= v; });
  if (at == acc.end() || at->version != v) at = acc.insert(at, TlsVersionResult{v, {}});
  for (auto& f : found) at->suites.push_back(std::move(f));
}

}  // namespace

std::optional<std::uint16_t> legacy_hello(const IpAddr& addr, std::uint16_t port,
                                          const ScanOptions& options, std::uint16_t wire_version,
                                          std::span<const std::uint16_t> suites) {
  auto conn = TcpConn::connect(addr, port, options.connect_timeout);
  if (!conn) return std::nullopt;
  if (!conn->send(build_client_hello(wire_version, suites), options.io_timeout)) {
    return std::nullopt;
  }
  std::string in;
  HelloReply reply;
  conn->recv_until(
      in,
      [&](std::string_view got) {
        reply =
            parse_server_hello(Bytes(reinterpret_cast<const std::byte*>(got.data()), got.size()));
        return reply.kind != HelloReply::Kind::need_more;
      },
      options.io_timeout, 32 * 1024);
  // A server that answers an SSLv3 hello with TLS 1.0 does not speak SSLv3: a real client
  // would abort there too.
  if (reply.kind != HelloReply::Kind::server_hello || reply.version != wire_version) {
    return std::nullopt;
  }
  return reply.suite;
}

TlsProbe probe_tls(const IpAddr& addr, std::uint16_t port, const ScanOptions& options,
                   bool known_tls) {
  auto start = Clock::now();
  ProbeState st;
  // One handshake over the whole version range first: an unknown port that does not speak TLS
  // costs one connection, not a dozen.
  if (CtxPtr wide = make_context(std::nullopt)) {
    Handshake h = handshake(wide.get(), addr, port, options, {}, {});
    st.absorb(h);
    if (!h.ok && !known_tls) {
      st.probe.elapsed_ms = ms_since(start);
      return st.probe;
    }
  }
  std::vector<TlsVersion> versions;
#ifndef OPENSSL_NO_SSL3
  versions.push_back(TlsVersion::ssl3);
#endif
  for (auto v : {TlsVersion::tls1_0, TlsVersion::tls1_1, TlsVersion::tls1_2, TlsVersion::tls1_3}) {
    versions.push_back(v);
  }
  for (auto v : versions) enumerate(st, addr, port, options, v);
  // The legacy hellos: SSLv3 when this OpenSSL cannot speak it, and RC4/DES/export under each
  // TLS version up to 1.2 the server accepted (or under TLS 1.0 when it accepted none: a
  // server with only RC4 suites refuses every OpenSSL hello).
  std::vector<TlsVersion> legacy;
#ifdef OPENSSL_NO_SSL3
  legacy.push_back(TlsVersion::ssl3);
#endif
  for (const auto& r : st.probe.accepted) {
    if (r.version != TlsVersion::tls1_3) legacy.push_back(r.version);
  }
  if (st.probe.accepted.empty()) legacy.push_back(TlsVersion::tls1_0);
  for (auto v : legacy) enumerate_legacy(st, addr, port, options, v);
  for (const auto& der : st.certs_der) {
    auto facts =
        analyse_certificate_der(Bytes(reinterpret_cast<const std::byte*>(der.data()), der.size()));
    if (facts) st.probe.certificates.push_back(std::move(*facts));
  }
  st.probe.elapsed_ms = ms_since(start);
  return st.probe;
}

void check_tls(HostReport& host, const ScanOptions& options) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (auto& s : host.services) {
    if (s.transport != Transport::tcp) continue;
    bool known = s.tls || is_tls_name(s.name);
    bool maybe = (s.name.empty() || s.name == "unknown") && tls_port(s.port);
    if (!known && !maybe) continue;
    TlsProbe probe = probe_tls(host.addr, s.port, options, known);
    if (probe.accepted.empty()) continue;
    s.tls = true;
    if (s.name.empty() || s.name == "unknown") s.name = tls_service_name(s.port);
    report_tls(probe, s.port, now, host);
  }
}

}  // namespace warden::scan
