// The warden certificate authority: a directory holding an offline root, an issuing CA that signs
// device certificates, and a separate server CA that signs the relay's and the enrollment
// server's certificates (devices pin the server CA, so a device certificate can never pass for a
// server and the other way round).
//
// Layout of a CA directory (0700; every *.key 0600):
//   root.crt  root.key         offline root, 10 years; root.key belongs on offline media
//   issuing.crt issuing.key    signed by the root, 3 years, pathlen 0: device certificates
//   server-ca.crt server-ca.key  self-signed, 10 years, pathlen 0: relay/EST server certificates
//   chain.pem                  issuing.crt + root.crt (what verifies a device certificate)
//   pki.db                     SQLite: bootstrap tokens and the log of issued certificates
//
// Ca owns the issuing and server CA keys in memory once opened; it never reads root.key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "identity/identity.h"

namespace warden::pki {

inline constexpr int kDefaultDeviceDays = 60;
inline constexpr int kMinDeviceDays = 30;
inline constexpr int kMaxDeviceDays = 90;
inline constexpr int kServerCertDays = 397;

struct CaPaths {
  explicit CaPaths(std::string d) : dir(std::move(d)) {}
  std::string dir;
  std::string file(std::string_view name) const { return dir + "/" + std::string(name); }
  std::string root_crt() const { return file("root.crt"); }
  std::string root_key() const { return file("root.key"); }
  std::string issuing_crt() const { return file("issuing.crt"); }
  std::string issuing_key() const { return file("issuing.key"); }
  std::string server_ca_crt() const { return file("server-ca.crt"); }
  std::string server_ca_key() const { return file("server-ca.key"); }
  std::string chain() const { return file("chain.pem"); }
  std::string db() const { return file("pki.db"); }
};

struct InitOptions {
  std::string dir;
  std::string tenant = "default";  // names the CAs ("warden <tenant> root CA")
  identity::KeyType key_type = identity::KeyType::kP256;
};

// Creates the CA directory and everything in it. Refuses to overwrite an existing root.crt.
Result<bool, std::string> init_ca(const InitOptions& options);

// 128 random bits as a positive ASN.1 INTEGER: unpredictable serials, so a chosen-prefix
// collision cannot be aimed at a certificate before it is issued.
Result<identity::Asn1IntegerPtr, std::string> random_serial();

// Days of a device certificate: kMinDeviceDays..kMaxDeviceDays, anything else refused.
bool valid_device_days(int days);

class Ca {
 public:
  // Loads the issuing and server CA certificates and keys of `dir` (not the root key).
  static Result<Ca, std::string> open(const std::string& dir);

  // A device certificate for `id` and `key` (both taken from a validated CSR): CA:FALSE,
  // digitalSignature, clientAuth, the URN as the only subjectAltName, SKI/AKI. `days` must be
  // valid_device_days. Nothing else the CSR asked for is copied.
  Result<identity::X509Ptr, std::string> issue_device(const identity::DeviceId& id, EVP_PKEY* key,
                                                      int days = kDefaultDeviceDays) const;

  // A TLS server certificate from the server CA: serverAuth, the DNS names and IP addresses as
  // subjectAltNames, CN = the first name.
  Result<identity::X509Ptr, std::string> issue_server(EVP_PKEY* key,
                                                      const std::vector<std::string>& dns_names,
                                                      const std::vector<std::string>& ips,
                                                      int days = kServerCertDays) const;

  X509* root() const { return root_.get(); }
  X509* issuing() const { return issuing_.get(); }
  X509* server_ca() const { return server_ca_.get(); }
  const CaPaths& paths() const { return paths_; }

 private:
  explicit Ca(std::string dir) : paths_(std::move(dir)) {}
  CaPaths paths_;
  identity::X509Ptr root_, issuing_, server_ca_;
  identity::PkeyPtr issuing_key_, server_ca_key_;
};

}  // namespace warden::pki
