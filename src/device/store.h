// A device's credentials on its own flash, in one directory (mode 0700):
//   key.pem        the private key: made on the device, never leaves it, mode 0600
//   cert.pem       the current device certificate, from enrollment or renewal
//   server-ca.pem  the CA that signs the relay's and the enrollment server's certificates; the
//                  device trusts nothing else (pinning), so a public CA cannot impersonate them
// Writes are durable (write, fsync, rename, fsync directory): a power cut during renewal leaves
// the old certificate or the new one, never a torn file that bricks the device.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"

namespace warden::device {

class CredentialStore {
 public:
  explicit CredentialStore(std::string dir) : dir_(std::move(dir)) {}

  // Creates the directory (0700) if needed.
  Result<bool, std::string> init() const;

  // The device key, created (with `type`) the first time.
  Result<identity::PkeyPtr, std::string> load_or_create_key(identity::KeyType type) const;
  Result<identity::PkeyPtr, std::string> load_key() const;
  Result<identity::X509Ptr, std::string> load_cert() const;
  bool has_cert() const;
  // Replaces the certificate; refuses one that does not match the stored key.
  Result<bool, std::string> save_cert(X509* cert) const;
  Result<bool, std::string> save_server_ca(std::string_view pem) const;

  std::string key_path() const { return dir_ + "/key.pem"; }
  std::string cert_path() const { return dir_ + "/cert.pem"; }
  std::string server_ca_path() const { return dir_ + "/server-ca.pem"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace warden::device
