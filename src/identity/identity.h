// Device identity: who a certificate says a device is, and the keys, CSRs and files behind it.
//
// A device is named by one URI in its certificate's subjectAltName:
//   urn:warden:<tenant>:<device-id>
// tenant and device-id are 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'. The name is
// the identity the relay's policy and deny-list speak about; the common name is informational.
// Revocation is keyed on the public-key hash (SHA-256 of the DER SubjectPublicKeyInfo), so a
// certificate re-issued for a stolen key stays revoked.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "identity/ossl.h"

namespace warden::identity {

inline constexpr std::string_view kUrnPrefix = "urn:warden:";
inline constexpr std::size_t kMaxNameLength = 64;

enum class KeyType : std::uint8_t { kP256, kEd25519 };

// "p256" (also "ec", "prime256v1", "secp256r1") or "ed25519".
std::optional<KeyType> parse_key_type(std::string_view name);
std::string_view key_type_name(KeyType type);
// The type of a key, if it is one warden issues for (P-256 or Ed25519).
std::optional<KeyType> key_type_of(const EVP_PKEY* key);

struct DeviceId {
  std::string tenant;
  std::string device;

  std::string urn() const;  // urn:warden:<tenant>:<device>
  std::string str() const;  // <tenant>:<device>, for logs and the CLI
  friend bool operator==(const DeviceId&, const DeviceId&) = default;
};

// True for a valid tenant or device-id component.
bool valid_name(std::string_view name);
// Parses "urn:warden:<tenant>:<device>".
std::optional<DeviceId> parse_device_urn(std::string_view urn);
// Parses "<tenant>:<device>" (what users type) or a full URN.
std::optional<DeviceId> parse_device_id(std::string_view text);

// The warden URN in a certificate's or CSR's subjectAltName. Exactly one is required: none, two,
// or a malformed one is an error (a certificate naming two devices names none).
Result<DeviceId, std::string> device_id_of(X509* cert);
Result<DeviceId, std::string> device_id_of(X509_REQ* csr);

// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex (64 characters).
std::string spki_sha256_hex(EVP_PKEY* key);
std::string spki_sha256_hex(X509* cert);

// A fresh private key of the given type.
Result<PkeyPtr, std::string> generate_key(KeyType type);

// A CSR for `id`, signed by `key`: subject CN=<device-id>, O=<tenant>, and the URN in a
// subjectAltName extension request.
Result<X509ReqPtr, std::string> make_csr(EVP_PKEY* key, const DeviceId& id);

// PEM encoding and decoding.
std::string to_pem(X509* cert);
std::string to_pem(X509_REQ* csr);
std::string private_key_pem(EVP_PKEY* key);  // PKCS#8, unencrypted: the file mode protects it
Result<X509Ptr, std::string> cert_from_pem(std::string_view pem);
Result<std::vector<X509Ptr>, std::string> certs_from_pem(std::string_view pem);
Result<X509ReqPtr, std::string> csr_from_pem(std::string_view pem);
Result<PkeyPtr, std::string> private_key_from_pem(std::string_view pem);

// Files. Private keys are written 0600 and refused on load when group or others can read them
// (as ssh does), unless `allow_open_mode`.
Result<bool, std::string> save_private_key(const std::string& path, EVP_PKEY* key);
Result<PkeyPtr, std::string> load_private_key(const std::string& path,
                                              bool allow_open_mode = false);
Result<X509Ptr, std::string> load_cert(const std::string& path);
Result<std::vector<X509Ptr>, std::string> load_certs(const std::string& path);

// Validity bounds as Unix seconds.
std::int64_t not_before(const X509* cert);
std::int64_t not_after(const X509* cert);

// Serial number as uppercase hex.
std::string serial_hex(const X509* cert);
// The subject as a one-line RFC 2253 string.
std::string subject_line(const X509* cert);

// A TLS context that speaks TLS 1.3 and nothing older (both client and server use it).
Result<SslCtxPtr, std::string> make_tls13_context(bool server);

}  // namespace warden::identity
