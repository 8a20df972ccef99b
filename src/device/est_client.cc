#include "device/est_client.h"

#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include <cctype>
#include <charconv>

#include "core/text.h"

namespace warden::device {
namespace {

constexpr std::string_view kPrefix = "/.well-known/est/";

std::string base64(std::string_view data) {
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

Result<std::string, std::string> unbase64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    if (!ok) return unexpected(std::string("response body is not base64"));
    clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) {
    return unexpected(std::string("response body is not base64"));
  }
  std::size_t pad = 0;
  if (clean.back() == '=') ++pad;
  if (clean[clean.size() - 2] == '=') ++pad;
  if (clean.find('=') < clean.size() - pad) {
    return unexpected(std::string("response body is not base64"));
  }
  std::string out(clean.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()),
                                  static_cast<int>(clean.size()));
  if (len < 0 || static_cast<std::size_t>(len) < pad) {
    return unexpected(std::string("response body is not base64"));
  }
  out.resize(static_cast<std::size_t>(len) - pad);
  return out;
}

std::string csr_der(X509_REQ* csr) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(csr, &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// One request, one response: the server closes the connection after answering.
Result<EstHttpResponse, std::string> exchange(const Endpoint& server, std::string_view ca_pem,
                                              EVP_PKEY* key, X509* cert, const std::string& request,
                                              std::chrono::milliseconds timeout) {
  auto client = TlsClient::create(ca_pem, key, cert);
  if (!client) return unexpected(client.error());
  auto conn = (*client)->connect(server, timeout);
  if (!conn) return unexpected(conn.error());
  auto sent = conn->write_all(request);
  if (!sent) return unexpected(sent.error());
  std::string received;
  char buf[4096];
  for (;;) {
    auto n = conn->read(std::span(buf, sizeof buf), timeout);
    if (!n) {
      // A server that closes without close_notify after a complete response is tolerated.
      if (!received.empty()) break;
      return unexpected(n.error());
    }
    if (*n == 0) break;
    received.append(buf, *n);
    if (received.size() > kMaxEstResponseBytes) {
      return unexpected(std::string("EST response too large"));
    }
  }
  conn->close();
  return parse_est_response(received);
}

std::string post(const Endpoint& server, std::string_view op, std::string_view body,
                 std::string_view extra_headers) {
  return "POST " + std::string(kPrefix) + std::string(op) + " HTTP/1.1\r\nHost: " + server.str() +
         "\r\nContent-Type: application/pkcs10\r\nContent-Transfer-Encoding: base64\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

std::string first_line(std::string_view body) {
  const auto eol = body.find('\n');
  std::string line(body.substr(0, std::min<std::size_t>(eol, 200)));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return line;
}

Result<identity::X509Ptr, std::string> one_cert(Result<EstHttpResponse, std::string> r) {
  if (!r) return unexpected(r.error());
  if (r->status != 200) {
    return unexpected("server answered " + std::to_string(r->status) + ": " + first_line(r->body));
  }
  auto certs = parse_certs_only(r->body);
  if (!certs) return unexpected(certs.error());
  if (certs->size() != 1) {
    return unexpected("expected one certificate, got " + std::to_string(certs->size()));
  }
  return std::move(certs->front());
}

}  // namespace

Result<EstHttpResponse, std::string> parse_est_response(std::string_view bytes) {
  const auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos || head_end > 8192) {
    return unexpected(std::string("malformed HTTP response"));
  }
  const std::string_view head = bytes.substr(0, head_end);
  std::string_view rest = bytes.substr(head_end + 4);
  EstHttpResponse r;
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || !(head.starts_with("HTTP/1.1 ") || head.starts_with("HTTP/1.0 "))) {
    return unexpected(std::string("malformed HTTP status line"));
  }
  const std::string_view code = head.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), r.status);
  if (ec != std::errc() || p != code.data() + 3 || r.status < 100 || r.status > 599) {
    return unexpected(std::string("malformed HTTP status"));
  }
  std::optional<std::size_t> length;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 2;
    pos = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (iequals(name, "Content-Length")) {
      std::size_t n = 0;
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || q != value.data() + value.size()) {
        return unexpected(std::string("malformed Content-Length"));
      }
      length = n;
    } else if (iequals(name, "Content-Type")) {
      r.content_type = std::string(value);
    } else if (iequals(name, "Transfer-Encoding")) {
      return unexpected(std::string("chunked EST responses are not supported"));
    }
  }
  if (length) {
    if (rest.size() < *length) return unexpected(std::string("truncated HTTP response"));
    rest = rest.substr(0, *length);
  }
  r.body = std::string(rest);
  return r;
}

Result<std::vector<identity::X509Ptr>, std::string> parse_certs_only(std::string_view base64) {
  if (base64.size() > kMaxEstResponseBytes) return unexpected(std::string("PKCS#7 too large"));
  auto der = unbase64(base64);
  if (!der) return unexpected(der.error());
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  const auto* const begin = p;
  std::unique_ptr<PKCS7, identity::OsslDeleter<PKCS7_free>> p7(
      d2i_PKCS7(nullptr, &p, static_cast<long>(der->size())));
  if (!p7 || p != begin + der->size()) {
    identity::ossl_clear_errors();
    return unexpected(std::string("response is not a PKCS#7 structure"));
  }
  if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == nullptr) {
    return unexpected(std::string("response is not a certs-only PKCS#7"));
  }
  STACK_OF(X509)* certs = p7->d.sign->cert;
  const int n = certs ? sk_X509_num(certs) : 0;
  if (n <= 0) return unexpected(std::string("response holds no certificate"));
  std::vector<identity::X509Ptr> out;
  for (int i = 0; i < n; ++i) {
    X509* c = sk_X509_value(certs, i);
    X509_up_ref(c);
    out.emplace_back(c);
  }
  return out;
}

Result<std::vector<identity::X509Ptr>, std::string> fetch_cacerts(
    const Endpoint& server, std::string_view pinned_server_ca_pem,
    std::chrono::milliseconds timeout) {
  const std::string request = "GET " + std::string(kPrefix) +
                              "cacerts HTTP/1.1\r\nHost: " + server.str() +
                              "\r\nConnection: close\r\n\r\n";
  auto r = exchange(server, pinned_server_ca_pem, nullptr, nullptr, request, timeout);
  if (!r) return unexpected(r.error());
  if (r->status != 200) {
    return unexpected("server answered " + std::to_string(r->status) + ": " + first_line(r->body));
  }
  return parse_certs_only(r->body);
}

Result<identity::X509Ptr, std::string> simple_enroll(const Endpoint& server,
                                                     std::string_view pinned_server_ca_pem,
                                                     std::string_view token, X509_REQ* csr,
                                                     std::string_view hw_serial,
                                                     std::chrono::milliseconds timeout) {
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return unexpected(std::string("token holds characters a header cannot carry"));
    }
  }
  for (char c : hw_serial) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return unexpected(std::string("hardware serial holds characters a header cannot carry"));
    }
  }
  const std::string der = csr_der(csr);
  if (der.empty()) return unexpected(std::string("cannot encode the CSR"));
  std::string headers = "Authorization: Bearer " + std::string(token) + "\r\n";
  if (!hw_serial.empty()) headers += "X-Warden-Serial: " + std::string(hw_serial) + "\r\n";
  return one_cert(exchange(server, pinned_server_ca_pem, nullptr, nullptr,
                           post(server, "simpleenroll", base64(der), headers), timeout));
}

Result<identity::X509Ptr, std::string> birth_enroll(const Endpoint& server,
                                                    std::string_view pinned_server_ca_pem,
                                                    X509* birth_cert, EVP_PKEY* birth_key,
                                                    X509_REQ* csr,
                                                    std::chrono::milliseconds timeout) {
  if (birth_cert == nullptr || birth_key == nullptr) {
    return unexpected(std::string("birth enrollment needs the birth certificate and key"));
  }
  const std::string der = csr_der(csr);
  if (der.empty()) return unexpected(std::string("cannot encode the CSR"));
  return one_cert(exchange(server, pinned_server_ca_pem, birth_key, birth_cert,
                           post(server, "simpleenroll", base64(der), ""), timeout));
}

Result<identity::X509Ptr, std::string> simple_reenroll(const Endpoint& server,
                                                       std::string_view pinned_server_ca_pem,
                                                       X509* current_cert, EVP_PKEY* current_key,
                                                       X509_REQ* csr,
                                                       std::chrono::milliseconds timeout) {
  if (current_cert == nullptr || current_key == nullptr) {
    return unexpected(std::string("re-enrollment needs the current certificate and key"));
  }
  const std::string der = csr_der(csr);
  if (der.empty()) return unexpected(std::string("cannot encode the CSR"));
  return one_cert(exchange(server, pinned_server_ca_pem, current_key, current_cert,
                           post(server, "simplereenroll", base64(der), ""), timeout));
}

}  // namespace warden::device
