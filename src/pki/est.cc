#include "pki/est.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <thread>

#include "core/file.h"
#include "core/json.h"
#include "core/text.h"
#include "pki/csr.h"
#include "pki/tokens.h"

namespace warden::pki {
namespace {

using identity::ossl_error;

constexpr std::string_view kCertsOnly = "application/pkcs7-mime; smime-type=certs-only";
constexpr std::string_view kCaCertsType = "application/pkcs7-mime";

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string render(const EstResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    std::string(status_text(r.status)) + "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nConnection: close\r\nCache-Control: no-store\r\n";
  if (r.base64) out += "Content-Transfer-Encoding: base64\r\n";
  if (r.status == 401) out += "WWW-Authenticate: Bearer realm=\"warden-est\"\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

// Accepts every client certificate during the handshake: which store it must chain to depends
// on the endpoint, so handle() verifies it (TLS 1.3 has already proven possession of its key).
int accept_any(int, X509_STORE_CTX*) { return 1; }

std::string peer_text(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

identity::Sha256 spki_of(X509* cert) {
  return identity::parse_sha256_hex(identity::spki_sha256_hex(cert)).value_or(identity::Sha256{});
}
identity::Sha256 spki_of(EVP_PKEY* key) {
  return identity::parse_sha256_hex(identity::spki_sha256_hex(key)).value_or(identity::Sha256{});
}

// Why `device`, one of `keys` or one of `cas` is on the deny-list, or nullopt.
std::optional<std::string_view> revoked(const identity::DenyList& list,
                                        const identity::DeviceId& device,
                                        const std::vector<identity::Sha256>& keys,
                                        const std::vector<identity::Sha256>& cas) {
  for (const auto& key : keys) {
    if (auto why = list.check(key, device.tenant, device.device, cas.data(), cas.size())) {
      return why;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::string, std::string> pkcs7_certs_only(const std::vector<X509*>& certs) {
  std::unique_ptr<PKCS7, identity::OsslDeleter<PKCS7_free>> p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
      PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1) {
    return unexpected(ossl_error("cannot build PKCS#7"));
  }
  for (X509* c : certs) {
    if (PKCS7_add_certificate(p7.get(), c) != 1) {
      return unexpected(ossl_error("cannot add certificate to PKCS#7"));
    }
  }
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(p7.get(), &der);
  if (len <= 0) return unexpected(ossl_error("cannot encode PKCS#7"));
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string base64_lines(std::string_view data) {
  std::string out;
  // 48 input bytes make one 64-character line.
  for (std::size_t i = 0; i < data.size(); i += 48) {
    const std::size_t n = std::min<std::size_t>(48, data.size() - i);
    unsigned char buf[65];
    const int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(data.data() + i),
                                    static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
    out += '\n';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
    clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (clean.back() == '=') ++pad;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
  // '=' only as the last one or two characters.
  if (clean.find('=') < clean.size() - pad) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()),
                                  static_cast<int>(clean.size()));
  if (len < 0 || static_cast<std::size_t>(len) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(len) - pad);
  return out;
}

Result<std::unique_ptr<EstServer>, std::string> EstServer::open(const EstConfig& config) {
  auto ca = Ca::open(config.dir);
  if (!ca) return unexpected(ca.error());
  std::unique_ptr<EstServer> s(new EstServer(config, std::move(*ca)));
  auto db = PkiDb::open(s->ca_.paths().db());
  if (!db) return unexpected(db.error());
  s->db_ = std::move(*db);

  auto ctx = identity::make_tls13_context(true);
  if (!ctx) return unexpected(ctx.error());
  s->ctx_ = std::move(*ctx);
  if (SSL_CTX_use_certificate_chain_file(s->ctx_.get(), config.cert_file.c_str()) != 1) {
    return unexpected(ossl_error("server certificate " + config.cert_file));
  }
  auto key = identity::load_private_key(config.key_file);
  if (!key) return unexpected(key.error());
  if (SSL_CTX_use_PrivateKey(s->ctx_.get(), key->get()) != 1 ||
      SSL_CTX_check_private_key(s->ctx_.get()) != 1) {
    return unexpected(ossl_error("server key " + config.key_file));
  }
  SSL_CTX_set_verify(s->ctx_.get(), SSL_VERIFY_PEER, accept_any);
  SSL_CTX_set_session_cache_mode(s->ctx_.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(s->ctx_.get(), 0);

  // Device certificates chain to the root through the issuing CA.
  s->device_store_.reset(X509_STORE_new());
  if (!s->device_store_ || X509_STORE_add_cert(s->device_store_.get(), s->ca_.root()) != 1 ||
      X509_STORE_add_cert(s->device_store_.get(), s->ca_.issuing()) != 1) {
    return unexpected(ossl_error("cannot build the device trust store"));
  }
  if (!config.birth_ca_file.empty()) {
    auto births = identity::load_certs(config.birth_ca_file);
    if (!births) return unexpected(births.error());
    if (births->empty()) return unexpected("no certificate in " + config.birth_ca_file);
    s->birth_store_.reset(X509_STORE_new());
    if (!s->birth_store_) return unexpected(ossl_error("cannot build the birth trust store"));
    for (auto& c : *births) {
      if (X509_STORE_add_cert(s->birth_store_.get(), c.get()) != 1) {
        return unexpected(ossl_error("cannot add a birth CA"));
      }
    }
    // A manufacturer's intermediate may be given alone and trusted as the anchor.
    X509_STORE_set_flags(s->birth_store_.get(), X509_V_FLAG_PARTIAL_CHAIN);
  }
  auto p7 = pkcs7_certs_only({s->ca_.issuing(), s->ca_.server_ca()});
  if (!p7) return unexpected(p7.error());
  s->cacerts_body_ = base64_lines(*p7);
  s->own_cas_ = {spki_of(s->ca_.issuing()), spki_of(s->ca_.root())};
  // A deny-list that does not load at start is a configuration error, not a reason to serve.
  if (!config.deny_list_file.empty()) {
    auto deny = s->current_deny_list();
    if (!deny) return unexpected(deny.error());
  }

  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(config.port);
  if (getaddrinfo(config.listen_host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    return unexpected("cannot listen on " + config.listen_host + ": not a numeric address");
  }
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    const std::string err = errno_text("cannot listen on", config.listen_host + ":" + port);
    freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return unexpected(err);
  }
  freeaddrinfo(res);
  s->listen_fd_ = fd;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  s->port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return s;
}

EstServer::~EstServer() {
  stop_.store(true);
  while (active_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void EstServer::run() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (active_.load() >= config_.max_connections) {
      // Enrollment is rare: a flood of connections is refused, not queued without bound.
      ++busy_;
      ::close(fd);
      continue;
    }
    ++active_;
    std::thread([this, fd, peer = peer_text(ss)]() mutable {
      serve_connection(fd, std::move(peer));
      --active_;
    }).detach();
  }
  while (active_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void EstServer::serve_connection(int fd, std::string peer_address) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(config_.io_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((config_.io_timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  identity::SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    identity::ossl_clear_errors();
    ::close(fd);
    return;
  }
  if (SSL_accept(ssl.get()) != 1) {
    ++tls_failed_;
    log_event("est.tls", "refused", "", ossl_error("TLS handshake failed"), peer_address,
              "tls_handshake");
    ::close(fd);
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + config_.io_timeout;
  std::string buf;
  EstResponse response;
  bool have_response = false;
  while (!have_response) {
    bool incomplete = false;
    auto parsed = parse_request(buf, incomplete);
    if (parsed) {
      EstPeer peer{peer_address, SSL_get0_peer_certificate(ssl.get()),
                   SSL_get_peer_cert_chain(ssl.get())};
      response = handle(parsed->head, parsed->body, peer);
      have_response = true;
      break;
    }
    if (!incomplete) {
      ++requests_;
      response = refuse("est.request", parsed.error().reason == "body too large" ? 413 : 400,
                        "bad_request", parsed.error().reason, "", EstPeer{peer_address});
      have_response = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    char chunk[4096];
    const int n = SSL_read(ssl.get(), chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  if (!have_response) {
    // The client went away or was too slow: nothing to answer, but the decision is logged.
    ++requests_;
    if (!buf.empty()) {
      response =
          refuse("est.request", 408, "timeout", "request incomplete", "", EstPeer{peer_address});
      have_response = true;
    }
  }
  if (have_response) {
    const std::string out = render(response);
    SSL_write(ssl.get(), out.data(), static_cast<int>(out.size()));
    SSL_shutdown(ssl.get());
  }
  identity::ossl_clear_errors();
  ssl.reset();
  ::close(fd);
}

bool EstServer::verify_peer(X509_STORE* store, const EstPeer& peer, int purpose, std::string& error,
                            std::vector<identity::Sha256>& chain_cas) const {
  if (peer.cert == nullptr) {
    error = "no client certificate";
    return false;
  }
  if (store == nullptr) {
    error = "no trust store";
    return false;
  }
  identity::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, peer.cert, peer.chain) != 1) {
    error = ossl_error("cannot verify client certificate");
    return false;
  }
  if (purpose != 0) X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (X509_verify_cert(ctx.get()) != 1) {
    error = std::string("client certificate not trusted: ") +
            X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    identity::ossl_clear_errors();
    return false;
  }
  // The verified chain, not what the client sent: element 0 is the leaf, the rest its CAs.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 1; chain != nullptr && i < sk_X509_num(chain); ++i) {
    chain_cas.push_back(spki_of(sk_X509_value(chain, i)));
  }
  return true;
}

Result<const identity::DenyList*, std::string> EstServer::current_deny_list() {
  if (config_.deny_list_file.empty()) return nullptr;
  DenyListState::Stamp stamp;
  struct stat st {};
  if (::stat(config_.deny_list_file.c_str(), &st) == 0) {
    stamp.exists = true;
    stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    stamp.size = st.st_size;
    stamp.ino = st.st_ino;
  }
  if (!deny_.read || !(stamp == deny_.stamp)) {
    // Enrollment is rare, so a stat per request is cheap; the file is read only when it changed.
    deny_.read = true;
    deny_.stamp = stamp;
    auto loaded = identity::load_deny_list(config_.deny_list_file);
    if (loaded) {
      deny_.list = std::move(*loaded);
      deny_.error.clear();
      log_event("est.deny_list", "loaded", "", std::to_string(deny_.list->size()) + " entries", "");
    } else {
      // Not the last good list: a list being damaged may be one being edited to add a
      // revocation, so nothing is issued until it parses again.
      deny_.list.reset();
      deny_.error = loaded.error();
      log_event("est.deny_list", "failed", "", deny_.error + "; enrollment suspended", "");
    }
  }
  if (!deny_.list) return unexpected(deny_.error);
  return &*deny_.list;
}

void EstServer::log_event(std::string_view event, std::string_view result, std::string_view device,
                          std::string_view reason, std::string_view peer, std::string_view code,
                          std::string_view serial) {
  std::string line;
  JsonWriter w(line);
  w.begin_object()
      .field("ts", static_cast<std::int64_t>(unix_now()))
      .field("event", event)
      .field("result", result)
      .field("device", device)
      .field("reason", reason)
      .field("peer", peer);
  if (!code.empty()) w.field("code", code);  // refusals: the counter it went to
  if (!serial.empty()) w.field("serial", serial);
  w.end_object();
  line += '\n';
  std::lock_guard lock(log_mutex_);
  if (config_.log != nullptr) {
    std::fwrite(line.data(), 1, line.size(), config_.log);
    std::fflush(config_.log);
  }
}

EstResponse EstServer::refuse(std::string_view event, int status, std::string_view code,
                              std::string_view reason, std::string_view device, const EstPeer& peer,
                              std::string_view public_reason) {
  ++refused_;
  {
    std::lock_guard lock(log_mutex_);
    ++refusals_[std::string(code)];
  }
  log_event(event, "refused", device, reason, peer.address, code);
  return EstResponse{status, "text/plain; charset=utf-8",
                     std::string(public_reason.empty() ? reason : public_reason) + "\n", false};
}

EstResponse EstServer::handle(const HttpRequest& request, std::string_view body,
                              const EstPeer& peer) {
  ++requests_;
  if (!request.target.starts_with(kEstPrefix)) {
    return refuse("est.request", 404, "not_found", "not an EST endpoint", "", peer);
  }
  const std::string_view op = std::string_view(request.target).substr(kEstPrefix.size());
  if (op == "cacerts") {
    if (request.method != "GET") {
      return refuse("est.cacerts", 405, "bad_method", "cacerts wants GET", "", peer);
    }
    ++cacerts_;
    log_event("est.cacerts", "served", "", "", peer.address);
    return EstResponse{200, std::string(kCaCertsType), cacerts_body_, true};
  }
  if (op == "simpleenroll" || op == "simplereenroll") {
    if (request.method != "POST") {
      return refuse("est.enroll", 405, "bad_method", "enrollment wants POST", "", peer);
    }
    return enroll(request, body, peer, op == "simplereenroll");
  }
  return refuse("est.request", 404, "not_found", "unknown EST operation", "", peer);
}

EstResponse EstServer::enroll(const HttpRequest& request, std::string_view body,
                              const EstPeer& peer, bool reenroll) {
  const std::string_view event = reenroll ? "est.reenroll" : "est.enroll";
  if (!starts_with_ci(request.content_type, "application/pkcs10")) {
    return refuse(event, 415, "bad_content_type",
                  "Content-Type must be application/pkcs10 (base64 DER)", "", peer);
  }
  auto der = base64_decode(body);
  if (!der) return refuse(event, 400, "bad_base64", "body is not base64", "", peer);
  if (der->size() > kMaxCsrBytes)
    return refuse(event, 413, "csr_too_large", "CSR too large", "", peer);
  auto csr = parse_csr(std::string_view(*der));
  if (!csr) return refuse(event, 400, "bad_csr", csr.error(), "", peer);
  const std::string device = csr->id.str();

  // One issuance at a time: the checks, the signature and the token and log rows go together.
  std::lock_guard lock(issue_mutex_);
  std::string how;
  std::string error;
  // What the deny-list is asked about: the requested key, the key the device authenticated
  // with, and the CAs of both the new certificate's chain and the presented one's.
  std::vector<identity::Sha256> keys{spki_of(csr->key.get())};
  std::vector<identity::Sha256> cas = own_cas_;
  std::optional<TokenClaim> claim;
  if (reenroll) {
    if (!verify_peer(device_store_.get(), peer, X509_PURPOSE_SSL_CLIENT, error, cas)) {
      return refuse(event, 401, "no_device_cert",
                    "re-enrollment needs the current device "
                    "certificate: " +
                        error,
                    device, peer);
    }
    auto current = identity::device_id_of(peer.cert);
    if (!current || !(*current == csr->id)) {
      return refuse(event, 403, "device_mismatch",
                    "the CSR names another device than the client certificate", device, peer);
    }
    keys.push_back(spki_of(peer.cert));
    how = "reenroll";
  } else if (starts_with_ci(request.authorization, "Bearer ")) {
    std::string_view token = std::string_view(request.authorization).substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    std::optional<std::string_view> serial;
    if (!request.warden_serial.empty()) serial = request.warden_serial;
    // Checked, not spent: it is spent below, with the record of the certificate it buys.
    auto checked = check_token(*db_, token, csr->id, serial, unix_now());
    if (!checked) {
      const TokenRefusal r = checked.error();
      const int status = r == TokenRefusal::kUnknown      ? 401
                         : r == TokenRefusal::kStoreError ? 500
                                                          : 403;
      return refuse(event, status, refusal_code(r), refusal_text(r), device, peer);
    }
    claim = std::move(*checked);
    how = "token";
  } else if (peer.cert != nullptr && birth_store_) {
    if (!verify_peer(birth_store_.get(), peer, 0, error, cas)) {
      return refuse(event, 401, "birth_cert_untrusted", error, device, peer);
    }
    auto born = identity::device_id_of(peer.cert);
    if (!born || !(*born == csr->id)) {
      return refuse(event, 403, "birth_device_mismatch",
                    "the birth certificate names another device than the CSR", device, peer);
    }
    keys.push_back(spki_of(peer.cert));
    how = "birth";
  } else {
    return refuse(event, 401, "no_credentials",
                  "enrollment needs Authorization: Bearer <token> or a birth certificate", device,
                  peer);
  }

  // Revocation, after authentication so that only a device that may enroll learns of it.
  auto deny = current_deny_list();
  if (!deny) {
    return refuse(event, 503, "deny_list_unavailable", deny.error() + "; enrollment suspended",
                  device, peer, "enrollment suspended: the deny-list cannot be read");
  }
  if (*deny != nullptr) {
    if (auto why = revoked(**deny, csr->id, keys, cas)) {
      return refuse(event, 403, "revoked", "revoked (" + std::string(*why) + ")", device, peer);
    }
  }

  // Nothing is spent yet: a failure to sign or encode leaves the token usable.
  auto cert = ca_.issue_device(csr->id, csr->key.get(), config_.device_days);
  if (!cert) return refuse(event, 500, "issue_failed", cert.error(), device, peer);
  const std::string serial = identity::serial_hex(cert->get());
  auto p7 = pkcs7_certs_only({cert->get()});
  if (!p7) return refuse(event, 500, "encode_failed", p7.error(), device, peer);

  // The token and the record of the certificate in one transaction: both or neither. Losing
  // the token's race (another process redeemed it since the check) discards the certificate.
  PkiTransaction tx(*db_);
  if (!tx.ok()) return refuse(event, 500, "store_failed", tx.error(), device, peer);
  if (claim) {
    auto spent = spend_token(*db_, *claim, unix_now());
    if (!spent) {
      const TokenRefusal r = spent.error();
      return refuse(event, r == TokenRefusal::kStoreError ? 500 : 403, refusal_code(r),
                    refusal_text(r), device, peer);
    }
  }
  auto recorded =
      db_->record_issued(IssuedRecord{serial, csr->id.urn(), identity::spki_sha256_hex(cert->get()),
                                      identity::not_after(cert->get()), unix_now(), how});
  if (!recorded) return refuse(event, 500, "store_failed", recorded.error(), device, peer);
  if (auto committed = tx.commit(); !committed) {
    return refuse(event, 500, "store_failed", committed.error(), device, peer);
  }
  ++(reenroll ? reenrolled_ : enrolled_);
  log_event(event, "issued", device, how, peer.address, {}, serial);
  return EstResponse{200, std::string(kCertsOnly), base64_lines(*p7), true};
}

std::string EstServer::counters_json() const {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("requests", requests_.load())
      .field("cacerts", cacerts_.load())
      .field("enrolled", enrolled_.load())
      .field("reenrolled", reenrolled_.load())
      .field("refused", refused_.load())
      .field("tls_failed", tls_failed_.load())
      .field("busy", busy_.load());
  w.key("refusals").begin_object();
  {
    std::lock_guard lock(log_mutex_);
    for (const auto& [code, n] : refusals_) w.field(code, n);
  }
  w.end_object().end_object();
  return out;
}

}  // namespace warden::pki
