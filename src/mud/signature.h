// MUD file signatures (RFC 8520 §13): a detached CMS SignedData, DER (or PEM-wrapped), whose
// content is the exact bytes of the MUD file. A TrustStore holds the anchors the caller chose
// (a PEM CA file and/or a hashed CA directory, the system's only when asked); verification
// needs no network and no state beyond it. Signature bytes are untrusted input: bounded,
// parsed by OpenSSL, fuzzed (fuzz/mud_signature_fuzz.cc).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::mud {

// Published signatures are a few KB (one certificate chain and a signature); this leaves room
// for long chains and refuses anything else before OpenSSL sees it.
inline constexpr std::size_t kMaxSignatureBytes = 256u << 10;

struct TrustOptions {
  std::string ca_file;        // PEM, one or more CA certificates
  std::string ca_dir;         // OpenSSL hashed directory (c_rehash)
  bool system_trust = false;  // also the system's default anchors (web PKI; off unless asked)
  std::string ca_pem;         // PEM text of CA certificates (from a configuration, a test)
};

// Trust anchors for MUD signers, loaded once and shared by every verification. Move-only.
class TrustStore {
 public:
  // An empty store trusts nobody: every signature is refused as untrusted.
  TrustStore();
  ~TrustStore();
  TrustStore(TrustStore&&) noexcept;
  TrustStore& operator=(TrustStore&&) noexcept;

  // Errors name the file or directory and OpenSSL's reason.
  static Result<TrustStore, std::string> load(const TrustOptions& options);

  bool empty() const { return empty_; }

  struct State;  // the X509_STORE; opaque so OpenSSL headers stay out of this one

 private:
  friend struct SignatureVerifier;
  std::unique_ptr<State> state_;
  bool empty_ = true;
};

struct SignatureInfo {
  std::string signer_subject;  // RFC 2253 form, e.g. "CN=Example Devices MUD signer,O=Example"
  std::string signer_issuer;
};

// Verifies `signature` over `mud_bytes`. Error texts are complete sentences for a user:
// "not a CMS signature", "signature does not match the file", "signer certificate not
// trusted: <OpenSSL's reason>", "signature is larger than the 256 KiB limit", ...
Result<SignatureInfo, std::string> verify_signature(std::string_view mud_bytes,
                                                    std::string_view signature,
                                                    const TrustStore& trust);

}  // namespace warden::mud
