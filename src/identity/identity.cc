#include "identity/identity.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstring>
#include <ctime>

#include "core/bytes.h"
#include "core/file.h"

namespace warden::identity {
namespace {

// Certificates, CSRs and keys are small; anything bigger is not one of ours.
constexpr std::size_t kMaxPemBytes = 1u << 20;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

BioPtr read_bio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Never prompt for a passphrase: warden's keys are unencrypted and protected by file mode; an
// encrypted key is refused with an error rather than blocking on a terminal.
int no_password(char*, int, int, void*) { return 0; }

// The warden URN among a set of subjectAltNames; exactly one is required.
Result<DeviceId, std::string> device_id_in(const GENERAL_NAMES* names) {
  if (names == nullptr) return unexpected(std::string("no subjectAltName"));
  std::optional<DeviceId> found;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    const std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                static_cast<std::size_t>(ASN1_STRING_length(uri)));
    if (text.substr(0, kUrnPrefix.size()) != kUrnPrefix) continue;
    auto id = parse_device_urn(text);
    if (!id) return unexpected("malformed device URN \"" + std::string(text.substr(0, 160)) + "\"");
    if (found) return unexpected(std::string("more than one device URN in subjectAltName"));
    found = std::move(*id);
  }
  if (!found) return unexpected(std::string("no urn:warden: URI in subjectAltName"));
  return *found;
}

std::int64_t asn1_time_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

std::optional<KeyType> parse_key_type(std::string_view name) {
  if (name == "p256" || name == "P-256" || name == "ec" || name == "prime256v1" ||
      name == "secp256r1") {
    return KeyType::kP256;
  }
  if (name == "ed25519" || name == "Ed25519") return KeyType::kEd25519;
  return std::nullopt;
}

std::string_view key_type_name(KeyType type) {
  return type == KeyType::kEd25519 ? "ed25519" : "p256";
}

std::optional<KeyType> key_type_of(const EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return KeyType::kEd25519;
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return std::nullopt;
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1) {
    ossl_clear_errors();
    return std::nullopt;
  }
  if (std::string_view(group, len) == "prime256v1") return KeyType::kP256;
  return std::nullopt;
}

std::string DeviceId::urn() const { return std::string(kUrnPrefix) + tenant + ":" + device; }

std::string DeviceId::str() const { return tenant + ":" + device; }

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name.front() == '.' || name.front() == '-') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<DeviceId> parse_device_urn(std::string_view urn) {
  if (urn.substr(0, kUrnPrefix.size()) != kUrnPrefix) return std::nullopt;
  const std::string_view rest = urn.substr(kUrnPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view tenant = rest.substr(0, colon);
  const std::string_view device = rest.substr(colon + 1);
  if (!valid_name(tenant) || !valid_name(device)) return std::nullopt;
  return DeviceId{std::string(tenant), std::string(device)};
}

std::optional<DeviceId> parse_device_id(std::string_view text) {
  if (text.substr(0, 4) == "urn:") return parse_device_urn(text);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view tenant = text.substr(0, colon);
  const std::string_view device = text.substr(colon + 1);
  if (!valid_name(tenant) || !valid_name(device)) return std::nullopt;
  return DeviceId{std::string(tenant), std::string(device)};
}

Result<DeviceId, std::string> device_id_of(X509* cert) {
  if (cert == nullptr) return unexpected(std::string("no certificate"));
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  ossl_clear_errors();
  return device_id_in(names.get());
}

Result<DeviceId, std::string> device_id_of(X509_REQ* csr) {
  if (csr == nullptr) return unexpected(std::string("no CSR"));
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(csr);
  GeneralNamesPtr names;
  if (exts != nullptr) {
    names.reset(
        static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr)));
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  ossl_clear_errors();
  return device_id_in(names.get());
}

std::string spki_sha256_hex(EVP_PKEY* key) {
  if (key == nullptr) return {};
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) {
    ossl_clear_errors();
    return {};
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const int ok =
      EVP_Digest(der, static_cast<std::size_t>(n), digest, &digest_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return {};
  return to_hex(Bytes(reinterpret_cast<const std::byte*>(digest), digest_len));
}

std::string spki_sha256_hex(X509* cert) {
  return cert == nullptr ? std::string() : spki_sha256_hex(X509_get0_pubkey(cert));
}

Result<PkeyPtr, std::string> generate_key(KeyType type) {
  PkeyPtr key(type == KeyType::kEd25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return unexpected(ossl_error("cannot generate key"));
  return key;
}

Result<X509ReqPtr, std::string> make_csr(EVP_PKEY* key, const DeviceId& id) {
  if (!valid_name(id.tenant) || !valid_name(id.device)) {
    return unexpected("invalid device id \"" + id.str() + "\"");
  }
  X509ReqPtr req(X509_REQ_new());
  if (!req) return unexpected(ossl_error("cannot create CSR"));
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  const auto* o = reinterpret_cast<const unsigned char*>(id.tenant.c_str());
  const auto* cn = reinterpret_cast<const unsigned char*>(id.device.c_str());
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, o, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1) {
    return unexpected(ossl_error("cannot fill CSR"));
  }
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* uri = ASN1_IA5STRING_new();
  const std::string urn = id.urn();
  if (!names || name == nullptr || uri == nullptr ||
      ASN1_STRING_set(uri, urn.data(), static_cast<int>(urn.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(uri);
    return unexpected(ossl_error("cannot build subjectAltName"));
  }
  GENERAL_NAME_set0_value(name, GEN_URI, uri);
  sk_GENERAL_NAME_push(names.get(), name);
  X509ExtPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  if (!ext || exts == nullptr || sk_X509_EXTENSION_push(exts, ext.get()) <= 0) {
    sk_X509_EXTENSION_free(exts);
    return unexpected(ossl_error("cannot build subjectAltName"));
  }
  const int added = X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_free(exts);  // the extension itself is still owned by `ext`
  if (added != 1) return unexpected(ossl_error("cannot add extensions to CSR"));
  // Ed25519 signs the message itself and takes no separate digest.
  const EVP_MD* md = key_type_of(key) == KeyType::kEd25519 ? nullptr : EVP_sha256();
  if (X509_REQ_sign(req.get(), key, md) <= 0) return unexpected(ossl_error("cannot sign CSR"));
  return req;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bio_text(bio.get());
}

std::string to_pem(X509_REQ* csr) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), csr) != 1) return {};
  return bio_text(bio.get());
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  return bio_text(bio.get());
}

Result<X509Ptr, std::string> cert_from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return unexpected(std::string("certificate too large"));
  BioPtr bio = read_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
  if (!cert) return unexpected(ossl_error("not a PEM certificate"));
  return cert;
}

Result<std::vector<X509Ptr>, std::string> certs_from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return unexpected(std::string("certificate bundle too large"));
  BioPtr bio = read_bio(pem);
  std::vector<X509Ptr> out;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  // The loop ends on "no start line" after the last certificate: expected, not an error.
  const unsigned long err = ERR_peek_last_error();
  if (!out.empty() && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    ossl_clear_errors();
    return out;
  }
  if (out.empty()) return unexpected(ossl_error("no PEM certificate"));
  return unexpected(ossl_error("damaged PEM certificate after " + std::to_string(out.size())));
}

Result<X509ReqPtr, std::string> csr_from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return unexpected(std::string("CSR too large"));
  BioPtr bio = read_bio(pem);
  X509ReqPtr csr(PEM_read_bio_X509_REQ(bio.get(), nullptr, no_password, nullptr));
  if (!csr) return unexpected(ossl_error("not a PEM certificate request"));
  return csr;
}

Result<PkeyPtr, std::string> private_key_from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return unexpected(std::string("private key too large"));
  BioPtr bio = read_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) return unexpected(ossl_error("not an unencrypted PEM private key"));
  return key;
}

Result<bool, std::string> save_private_key(const std::string& path, EVP_PKEY* key) {
  std::string pem = private_key_pem(key);
  if (pem.empty()) return unexpected(ossl_error("cannot encode private key"));
  auto written = write_file_durable(path, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  return written;
}

Result<PkeyPtr, std::string> load_private_key(const std::string& path, bool allow_open_mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return unexpected(errno_text("cannot read key", path));
  if (!allow_open_mode && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return unexpected("private key " + path + " is readable by others (mode " + mode +
                      "); run: chmod 600 " + path);
  }
  auto text = read_file(path, kMaxPemBytes);
  if (!text) return unexpected(text.error());
  auto key = private_key_from_pem(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key) return unexpected(path + ": " + key.error());
  return std::move(*key);
}

Result<X509Ptr, std::string> load_cert(const std::string& path) {
  auto text = read_file(path, kMaxPemBytes);
  if (!text) return unexpected(text.error());
  auto cert = cert_from_pem(*text);
  if (!cert) return unexpected(path + ": " + cert.error());
  return std::move(*cert);
}

Result<std::vector<X509Ptr>, std::string> load_certs(const std::string& path) {
  auto text = read_file(path, kMaxPemBytes);
  if (!text) return unexpected(text.error());
  auto certs = certs_from_pem(*text);
  if (!certs) return unexpected(path + ": " + certs.error());
  return std::move(*certs);
}

std::int64_t not_before(const X509* cert) { return asn1_time_unix(X509_get0_notBefore(cert)); }

std::int64_t not_after(const X509* cert) { return asn1_time_unix(X509_get0_notAfter(cert)); }

std::string serial_hex(const X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return {};
  char* text = BN_bn2hex(bn.get());
  if (text == nullptr) return {};
  std::string out(text);
  OPENSSL_free(text);
  return out;
}

std::string subject_line(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  return bio_text(bio.get());
}

Result<SslCtxPtr, std::string> make_tls13_context(bool server) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return unexpected(ossl_error("cannot create TLS context"));
  // TLS 1.3 only: no RSA key exchange, no renegotiation, no CBC suites, encrypted certificates.
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return unexpected(ossl_error("cannot restrict TLS context to TLS 1.3"));
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

}  // namespace warden::identity
