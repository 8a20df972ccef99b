#include "pki/csr.h"

#include <openssl/pem.h>

#include <cstring>

namespace warden::pki {
namespace {

constexpr std::string_view kPemMarker = "-----BEGIN";

// True when the request's extensions ask for a CA certificate.
bool asks_for_ca(X509_REQ* req) {
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
  if (exts == nullptr) return false;
  bool ca = false;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_basic_constraints) continue;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext));
    // An undecodable basicConstraints is treated as a CA request: refuse what we cannot read.
    if (bc == nullptr || bc->ca) ca = true;
    BASIC_CONSTRAINTS_free(bc);
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return ca;
}

}  // namespace

Result<ValidCsr, std::string> parse_csr(std::span<const std::byte> bytes) {
  if (bytes.empty()) return unexpected(std::string("empty CSR"));
  if (bytes.size() > kMaxCsrBytes) {
    return unexpected("CSR larger than " + std::to_string(kMaxCsrBytes) + " bytes");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  identity::X509ReqPtr req;
  if (text.find(kPemMarker) != std::string_view::npos) {
    identity::BioPtr bio(BIO_new_mem_buf(data, static_cast<int>(bytes.size())));
    if (!bio) return unexpected(identity::ossl_error("out of memory"));
    req.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    if (!req) {
      identity::ossl_clear_errors();
      return unexpected(std::string("not a PEM certificate request"));
    }
  } else {
    const unsigned char* p = data;
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
    if (!req) {
      identity::ossl_clear_errors();
      return unexpected(std::string("not a DER certificate request"));
    }
    if (p != data + bytes.size()) return unexpected(std::string("trailing bytes after the CSR"));
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) {
    identity::ossl_clear_errors();
    return unexpected(std::string("CSR public key unreadable"));
  }
  const auto type = identity::key_type_of(key);
  if (!type) return unexpected(std::string("CSR key is not P-256 or Ed25519"));
  if (X509_REQ_verify(req.get(), key) != 1) {
    identity::ossl_clear_errors();
    return unexpected(std::string("CSR signature does not verify"));
  }
  if (asks_for_ca(req.get())) {
    identity::ossl_clear_errors();
    return unexpected(std::string("CSR asks for a CA certificate (CA:TRUE)"));
  }
  auto id = identity::device_id_of(req.get());
  if (!id) return unexpected("CSR subjectAltName: " + id.error());
  EVP_PKEY_up_ref(key);
  identity::PkeyPtr owned(key);
  return ValidCsr{std::move(req), std::move(*id), *type, std::move(owned)};
}

}  // namespace warden::pki
