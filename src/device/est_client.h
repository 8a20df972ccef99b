// The device's EST client (RFC 7030 subset, as served by `warden pki serve`): fetch the CA
// certificates, enroll the first time with a bootstrap token, re-enroll with the current
// certificate. Blocking TLS 1.3 through TlsClient, trusting only the pinned server CA and
// checking the server's name or IP address against its certificate.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "device/tls_client.h"
#include "identity/identity.h"

namespace warden::device {

inline constexpr std::chrono::milliseconds kEstTimeout{15000};
// A certs-only response holds one to a few certificates; anything larger is refused unread.
inline constexpr std::size_t kMaxEstResponseBytes = 64 * 1024;

// GET /.well-known/est/cacerts: the issuing CA and the server CA.
Result<std::vector<identity::X509Ptr>, std::string> fetch_cacerts(
    const Endpoint& server, std::string_view pinned_server_ca_pem,
    std::chrono::milliseconds timeout = kEstTimeout);

// POST /.well-known/est/simpleenroll with "Authorization: Bearer <token>" (and
// "X-Warden-Serial: <hw_serial>" when not empty: a token bound to a serial needs it).
Result<identity::X509Ptr, std::string> simple_enroll(
    const Endpoint& server, std::string_view pinned_server_ca_pem, std::string_view token,
    X509_REQ* csr, std::string_view hw_serial = {},
    std::chrono::milliseconds timeout = kEstTimeout);

// POST /.well-known/est/simpleenroll authenticated by a manufacturer's birth certificate (TLS
// client certificate) instead of a token; the server must trust its CA (--birth-ca) and the
// birth certificate must carry the same urn:warden URN as the CSR.
Result<identity::X509Ptr, std::string> birth_enroll(
    const Endpoint& server, std::string_view pinned_server_ca_pem, X509* birth_cert,
    EVP_PKEY* birth_key, X509_REQ* csr, std::chrono::milliseconds timeout = kEstTimeout);

// POST /.well-known/est/simplereenroll, authenticated by the current certificate and key.
Result<identity::X509Ptr, std::string> simple_reenroll(
    const Endpoint& server, std::string_view pinned_server_ca_pem, X509* current_cert,
    EVP_PKEY* current_key, X509_REQ* csr, std::chrono::milliseconds timeout = kEstTimeout);

// Pure parts, for tests and fuzzing: an HTTP/1.1 response (status, body; Content-Length or
// until the end) and a base64 certs-only PKCS#7 body.
struct EstHttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};
Result<EstHttpResponse, std::string> parse_est_response(std::string_view bytes);
Result<std::vector<identity::X509Ptr>, std::string> parse_certs_only(std::string_view base64);

}  // namespace warden::device
