// The enrollment server: an EST-like (RFC 7030) HTTPS service over TLS 1.3 that turns a
// certificate request into a device certificate, for a device that proves it may have one.
//
//   GET  /.well-known/est/cacerts        -> the issuing CA and the server CA (certs-only PKCS#7)
//   POST /.well-known/est/simpleenroll   body: base64 DER PKCS#10 (application/pkcs10)
//        authenticated by "Authorization: Bearer <token>" (a bootstrap token for the CSR's
//        device; a token bound to a hardware serial also needs "X-Warden-Serial: <serial>"),
//        or, without a token, by a TLS client certificate from the manufacturer's birth CA
//        (--birth-ca) naming the same device URN
//   POST /.well-known/est/simplereenroll authenticated by the device's current certificate
//        (TLS client certificate from our issuing CA); the CSR must name the same device
//
// With a deny-list (the relay's file, src/identity/denylist.h) nothing is issued for a revoked
// device: 403 "revoked (spki|device|tenant|ca)" when the CSR's device or key, the current or
// birth certificate's key, or any CA in its verified chain (or the CA that would sign) is
// denied. A deny-list that cannot be read or parsed suspends enrollment (503) until it is fixed:
// the server never issues blind. A token is spent only in the transaction that records the
// certificate it bought, so a refusal or a failure at any step leaves it usable.
//
// 200 answers carry "application/pkcs7-mime; smime-type=certs-only", base64 DER. Refusals are
// 400/401/403/404/405/411/413/415/503 with a one-line plain-text reason. Every decision is one
// JSON line on the log stream and a counter. One thread per connection, at most max_connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "identity/denylist.h"
#include "identity/identity.h"
#include "pki/ca.h"
#include "pki/db.h"
#include "pki/http.h"

namespace warden::pki {

inline constexpr std::string_view kEstPrefix = "/.well-known/est/";

struct EstConfig {
  std::string dir;  // the CA directory
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 8443;        // 0: the kernel picks one (tests); see EstServer::port()
  std::string cert_file, key_file;  // the server's own certificate (from the server CA) and key
  std::string birth_ca_file;        // optional: manufacturer CA(s) whose birth certs may enroll
  std::string deny_list_file;       // optional: revoked keys, devices, CAs (re-read on change)
  int device_days = kDefaultDeviceDays;
  std::size_t max_connections = 16;
  std::chrono::milliseconds io_timeout{10000};  // a whole request must arrive within this
  std::FILE* log = stderr;                      // JSON lines, one per decision
};

// A certs-only PKCS#7 SignedData (no signers) of `certs`, DER.
Result<std::string, std::string> pkcs7_certs_only(const std::vector<X509*>& certs);
// Standard base64, in 64-column lines (what `openssl base64 -d` reads).
std::string base64_lines(std::string_view data);
// Decodes standard base64, ignoring whitespace; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

struct EstResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  bool base64 = false;  // adds Content-Transfer-Encoding: base64
};

// What the TLS layer established about the peer before the request is handled.
struct EstPeer {
  std::string address;               // "ip:port"
  X509* cert = nullptr;              // the client certificate, if one was presented
  STACK_OF(X509) * chain = nullptr;  // what the client sent beside it
};

class EstServer {
 public:
  static Result<std::unique_ptr<EstServer>, std::string> open(const EstConfig& config);
  ~EstServer();
  EstServer(const EstServer&) = delete;
  EstServer& operator=(const EstServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Serves until stop(); waits for the connections in flight before returning.
  void run();
  // Safe from a signal handler (one lock-free atomic store).
  void stop() { stop_.store(true); }

  // Handles one parsed request (the TLS-free core, used by run() and by tests).
  EstResponse handle(const HttpRequest& request, std::string_view body, const EstPeer& peer);

  // {"requests":..,"cacerts":..,"enrolled":..,"reenrolled":..,"refused":..,"refusals":{..}}
  std::string counters_json() const;
  std::uint64_t issued_count() const { return enrolled_.load() + reenrolled_.load(); }

 private:
  EstServer(const EstConfig& config, Ca ca) : config_(config), ca_(std::move(ca)) {}
  void serve_connection(int fd, std::string peer);
  EstResponse enroll(const HttpRequest& request, std::string_view body, const EstPeer& peer,
                     bool reenroll);
  // `reason` is logged; the client is told `public_reason` when given (the log may name files
  // the client has no business knowing), else `reason`.
  EstResponse refuse(std::string_view event, int status, std::string_view code,
                     std::string_view reason, std::string_view device, const EstPeer& peer,
                     std::string_view public_reason = {});
  void log_event(std::string_view event, std::string_view result, std::string_view device,
                 std::string_view reason, std::string_view peer, std::string_view code = {},
                 std::string_view serial = {});
  // Verifies the client certificate against `store`; on success the SPKI hashes of the CAs in
  // its verified chain are appended to `chain_cas`.
  bool verify_peer(X509_STORE* store, const EstPeer& peer, int purpose, std::string& error,
                   std::vector<identity::Sha256>& chain_cas) const;
  // The deny-list as of now: nullptr when none is configured, an error when the file cannot be
  // read or parsed. Re-read only when the file's stamp changes. Caller holds issue_mutex_.
  Result<const identity::DenyList*, std::string> current_deny_list();

  // The deny-list file as last read.
  struct DenyListState {
    struct Stamp {
      bool exists = false;
      std::int64_t mtime_ns = 0;
      std::int64_t size = 0;
      std::uint64_t ino = 0;
      bool operator==(const Stamp&) const = default;
    };
    bool read = false;
    Stamp stamp;
    std::optional<identity::DenyList> list;  // empty: `error` says why, enrollment is suspended
    std::string error;
  };

  EstConfig config_;
  Ca ca_;
  std::unique_ptr<PkiDb> db_;
  identity::SslCtxPtr ctx_;
  identity::X509StorePtr device_store_, birth_store_;
  std::string cacerts_body_;
  std::vector<identity::Sha256> own_cas_;  // issuing CA and root: the chain of what we issue
  DenyListState deny_;                     // guarded by issue_mutex_
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> active_{0};
  std::mutex issue_mutex_;        // the CA key, pki.db, the deny-list: one issuance at a time
  mutable std::mutex log_mutex_;  // log lines and the refusal counters
  std::atomic<std::uint64_t> requests_{0}, cacerts_{0}, enrolled_{0}, reenrolled_{0}, refused_{0},
      tls_failed_{0}, busy_{0};
  std::map<std::string, std::uint64_t> refusals_;
};

}  // namespace warden::pki
