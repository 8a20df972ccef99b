// Validation of a PKCS#10 certificate request from an untrusted source (a device over the
// network, a file someone was handed). Pure: bytes in, a validated request or a reason out;
// no I/O, so the fuzz target is three lines.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/identity.h"

namespace warden::pki {

// A CSR is a few hundred bytes; anything much larger is not one.
inline constexpr std::size_t kMaxCsrBytes = 16 * 1024;

struct ValidCsr {
  identity::X509ReqPtr req;
  identity::DeviceId id;  // the one urn:warden URN in its subjectAltName
  identity::KeyType key_type;
  identity::PkeyPtr key;  // the requested public key (owned reference)
};

// Accepts PEM ("-----BEGIN CERTIFICATE REQUEST-----") or DER. Refused, with the reason: too
// large, not a CSR, trailing bytes after the DER, a signature that does not verify (no proof
// of possession), a key that is not P-256 or Ed25519, no or several warden URNs, a request
// for CA:TRUE. Other requested extensions are ignored: the CA never copies them.
Result<ValidCsr, std::string> parse_csr(std::span<const std::byte> bytes);
inline Result<ValidCsr, std::string> parse_csr(std::string_view text) {
  return parse_csr(std::as_bytes(std::span(text.data(), text.size())));
}

}  // namespace warden::pki
