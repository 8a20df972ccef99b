#include "mud/signature.h"

// pem.h before cms.h: cms.h declares the PEM CMS functions only when pem.h was seen.
// clang-format off
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>
// clang-format on
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace warden::mud {

struct TrustStore::State {
  X509_STORE* store = nullptr;
  ~State() { X509_STORE_free(store); }
};

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CmsDeleter {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
struct BioChainDeleter {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BioChainPtr = std::unique_ptr<BIO, BioChainDeleter>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsDeleter>;

// The reason of the newest error on OpenSSL's queue, for a message; clears the queue so the
// next verification starts clean.
std::string openssl_reason() {
  const char* data = nullptr;
  int flags = 0;
  unsigned long last = 0;
  std::string detail;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    last = e;
    detail = (data && (flags & ERR_TXT_STRING)) ? data : "";
  }
  if (last == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(last);
  std::string out = reason ? reason : "error " + std::to_string(ERR_GET_REASON(last));
  if (!detail.empty()) out += " (" + detail + ")";
  return out;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !name) return {};
  // RFC 2253 escapes control characters and non-ASCII bytes: the subject comes from an
  // untrusted file and ends up on a terminal and in JSON.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

// Why CMS_verify failed, in words, from the first CMS error on the queue: it names the step
// that failed (certificate checks run first, then the signature over the content).
std::string verify_failure(bool trust_empty) {
  unsigned long first = 0;
  std::string detail;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (first == 0 && ERR_GET_LIB(e) == ERR_LIB_CMS) {
      first = e;
      detail = (data && (flags & ERR_TXT_STRING)) ? data : "";
    }
  }
  switch (first == 0 ? 0 : ERR_GET_REASON(first)) {
    case CMS_R_CERTIFICATE_VERIFY_ERROR: {
      // OpenSSL writes "Verify error: <X509_verify_cert_error_string>".
      std::string why = detail;
      if (auto colon = why.find(':'); why.starts_with("Verify error") && colon != why.npos) {
        why.erase(0, colon + 1);
        while (!why.empty() && why.front() == ' ') why.erase(0, 1);
      }
      if (why.empty()) why = "verification failed";
      if (trust_empty) why += " (no trust anchors given: use --ca or --ca-dir)";
      return "signer certificate not trusted: " + why;
    }
    case CMS_R_SIGNER_CERTIFICATE_NOT_FOUND:
      return "the signer's certificate is neither in the signature nor trusted";
    case CMS_R_NO_SIGNERS:
      return "signature has no signer";
    case CMS_R_VERIFICATION_FAILURE:
    case CMS_R_CONTENT_VERIFY_ERROR:
      return "signature does not match the file";
    case 0:
      return "signature verification failed";
    default: {
      const char* reason = ERR_reason_error_string(first);
      return std::string("signature verification failed: ") + (reason ? reason : "unknown");
    }
  }
}

bool looks_pem(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  return s.starts_with("-----BEGIN ");
}

}  // namespace

// Declared a friend in the header so the store's internals stay private to this file.
struct SignatureVerifier {
  static X509_STORE* store(const TrustStore& t) { return t.state_ ? t.state_->store : nullptr; }
};

TrustStore::TrustStore() : state_(std::make_unique<State>()) {
  X509_STORE* store = X509_STORE_new();
  state_->store = store;
  if (!store) return;  // load() reports it; verify_signature refuses with "no certificate store"
  // RFC 8520 names no key usage for MUD signers and vendors use S/MIME, code-signing and
  // plain certificates alike; the chain to the caller's anchor is what is checked. (CMS_verify
  // would otherwise require S/MIME usage whenever a certificate lists extended key usages.)
  X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
  // Every certificate the caller gave is an anchor, not only self-signed roots: a vendor's
  // intermediate CA, or the signer's own certificate (pinning), is what an operator configures.
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
}
TrustStore::~TrustStore() = default;
TrustStore::TrustStore(TrustStore&&) noexcept = default;
TrustStore& TrustStore::operator=(TrustStore&&) noexcept = default;

Result<TrustStore, std::string> TrustStore::load(const TrustOptions& options) {
  ERR_clear_error();
  TrustStore t;
  X509_STORE* store = t.state_->store;
  if (!store) return unexpected(std::string("cannot create a certificate store"));
  if (!options.ca_file.empty()) {
    // OpenSSL words a missing file as "system lib"; say it plainly first.
    if (::access(options.ca_file.c_str(), R_OK) != 0)
      return unexpected("cannot load CA file " + options.ca_file + ": " + std::strerror(errno));
    if (X509_STORE_load_file(store, options.ca_file.c_str()) != 1)
      return unexpected("cannot load CA file " + options.ca_file + ": " + openssl_reason());
    t.empty_ = false;
  }
  if (!options.ca_dir.empty()) {
    // Certificates in a hashed directory are looked up lazily, at verification time; check
    // the directory exists now so a typo is an error here rather than "not trusted" later.
    std::error_code ec;
    if (!std::filesystem::is_directory(options.ca_dir, ec))
      return unexpected("cannot use CA directory " + options.ca_dir + ": not a directory");
    if (X509_STORE_load_path(store, options.ca_dir.c_str()) != 1)
      return unexpected("cannot use CA directory " + options.ca_dir + ": " + openssl_reason());
    t.empty_ = false;
  }
  if (!options.ca_pem.empty()) {
    if (options.ca_pem.size() > INT_MAX) return unexpected(std::string("CA PEM text too large"));
    BioPtr bio(BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size())));
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
    int added = 0;
    for (int i = 0; infos && i < sk_X509_INFO_num(infos); ++i) {
      X509_INFO* info = sk_X509_INFO_value(infos, i);
      if (info->x509 && X509_STORE_add_cert(store, info->x509) == 1) ++added;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (added == 0) return unexpected("no CA certificate in the PEM text: " + openssl_reason());
    t.empty_ = false;
  }
  if (options.system_trust) {
    if (X509_STORE_set_default_paths(store) != 1)
      return unexpected("cannot load the system's CA certificates: " + openssl_reason());
    t.empty_ = false;
  }
  ERR_clear_error();
  return t;
}

Result<SignatureInfo, std::string> verify_signature(std::string_view mud_bytes,
                                                    std::string_view signature,
                                                    const TrustStore& trust) {
  if (signature.empty()) return unexpected(std::string("the signature is empty"));
  if (signature.size() > kMaxSignatureBytes)
    return unexpected(std::string("the signature is larger than the 256 KiB limit"));
  if (mud_bytes.size() > INT_MAX) return unexpected(std::string("the file is too large"));
  X509_STORE* store = SignatureVerifier::store(trust);
  if (!store) return unexpected(std::string("no certificate store"));
  ERR_clear_error();

  BioPtr in(BIO_new_mem_buf(signature.data(), static_cast<int>(signature.size())));
  if (!in) return unexpected(std::string("out of memory"));
  CmsPtr cms(looks_pem(signature) ? PEM_read_bio_CMS(in.get(), nullptr, nullptr, nullptr)
                                  : d2i_CMS_bio(in.get(), nullptr));
  if (!cms) {
    ERR_clear_error();
    return unexpected(std::string("not a CMS signature (DER or PEM CMS SignedData expected)"));
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return unexpected(std::string("not a CMS signature (a CMS message, but not SignedData)"));
  }
  // An attached signature would be verified against its own embedded copy; RFC 8520 signs
  // the file as published, so only a detached one is meaningful.
  if (!CMS_is_detached(cms.get())) {
    ERR_clear_error();
    return unexpected(std::string("the signature is not detached (it embeds its own content)"));
  }

  // The content goes in through a pass-through filter over the memory BIO. Handed a memory
  // BIO directly, OpenSSL 3.0's CMS_verify makes its own copy of it and leaks that copy when
  // the signature names a digest it cannot set up (found by fuzz/mud_signature_fuzz.cc); with
  // any other BIO type it reads ours and frees only what it pushed on top.
  BioChainPtr content(BIO_new(BIO_f_null()));
  BIO* mem = BIO_new_mem_buf(mud_bytes.data(), static_cast<int>(mud_bytes.size()));
  if (!content || !mem) {
    BIO_free(mem);
    return unexpected(std::string("out of memory"));
  }
  BIO_push(content.get(), mem);  // the chain owns mem now
  // CMS_BINARY: the signed content is the exact bytes, never a MIME-canonicalised text.
  if (CMS_verify(cms.get(), nullptr, store, content.get(), nullptr, CMS_BINARY) != 1)
    return unexpected(verify_failure(trust.empty()));
  ERR_clear_error();

  SignatureInfo info;
  if (STACK_OF(X509)* signers = CMS_get0_signers(cms.get())) {
    if (sk_X509_num(signers) > 0) {
      X509* cert = sk_X509_value(signers, 0);
      info.signer_subject = name_text(X509_get_subject_name(cert));
      info.signer_issuer = name_text(X509_get_issuer_name(cert));
    }
    sk_X509_free(signers);  // the certificates belong to the CMS structure
  }
  return info;
}

}  // namespace warden::mud
