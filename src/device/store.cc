#include "device/store.h"

#include <sys/stat.h>

#include <cerrno>

#include "core/file.h"

namespace warden::device {

Result<bool, std::string> CredentialStore::init() const {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return unexpected(errno_text("cannot create", dir_));
  }
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return unexpected(dir_ + ": not a directory");
  }
  return true;
}

Result<identity::PkeyPtr, std::string> CredentialStore::load_or_create_key(
    identity::KeyType type) const {
  struct stat st {};
  if (::stat(key_path().c_str(), &st) == 0) return load_key();
  auto key = identity::generate_key(type);
  if (!key) return unexpected(key.error());
  auto saved = identity::save_private_key(key_path(), key->get());
  if (!saved) return unexpected(saved.error());
  return std::move(*key);
}

Result<identity::PkeyPtr, std::string> CredentialStore::load_key() const {
  return identity::load_private_key(key_path());
}

Result<identity::X509Ptr, std::string> CredentialStore::load_cert() const {
  return identity::load_cert(cert_path());
}

bool CredentialStore::has_cert() const {
  struct stat st {};
  return ::stat(cert_path().c_str(), &st) == 0;
}

Result<bool, std::string> CredentialStore::save_cert(X509* cert) const {
  auto key = load_key();
  if (!key) return unexpected(key.error());
  if (X509_check_private_key(cert, key->get()) != 1) {
    identity::ossl_clear_errors();
    return unexpected(std::string("the certificate does not match the device key in ") +
                      key_path());
  }
  return write_file_durable(cert_path(), identity::to_pem(cert), 0644);
}

Result<bool, std::string> CredentialStore::save_server_ca(std::string_view pem) const {
  auto certs = identity::certs_from_pem(pem);
  if (!certs) return unexpected("server CA: " + certs.error());
  return write_file_durable(server_ca_path(), pem, 0644);
}

}  // namespace warden::device
