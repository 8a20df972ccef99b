#include "pki/ca.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <utility>

#include "core/file.h"
#include "pki/db.h"

namespace warden::pki {
namespace {

using identity::ossl_error;
using identity::PkeyPtr;
using identity::X509Ptr;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kRootDays = 3650;
constexpr std::int64_t kIssuingDays = 3 * 365;
constexpr std::int64_t kServerCaDays = 3650;
// Certificates start five minutes in the past: a device whose clock is slightly behind the
// CA's must not see a certificate that is not valid yet.
constexpr long kBackdateSeconds = 300;

const EVP_MD* digest_for(EVP_PKEY* key) {
  // Ed25519 signs the message itself and takes no separate digest.
  return identity::key_type_of(key) == identity::KeyType::kEd25519 ? nullptr : EVP_sha256();
}

Result<identity::X509NamePtr, std::string> make_name(std::string_view org, std::string_view cn) {
  identity::X509NamePtr name(X509_NAME_new());
  const std::string o(org), c(cn);
  if (!name ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(c.c_str()), -1, -1,
                                 0) != 1) {
    return unexpected(ossl_error("cannot build name"));
  }
  return name;
}

struct Ext {
  int nid;
  std::string value;  // OpenSSL configuration syntax, e.g. "critical,CA:FALSE"
};

// Builds and signs a certificate. `issuer` null: self-signed by `issuer_key` (== subject key).
Result<X509Ptr, std::string> make_cert(X509_NAME* subject, EVP_PKEY* subject_key, X509* issuer,
                                       EVP_PKEY* issuer_key, std::int64_t days,
                                       const std::vector<Ext>& exts) {
  X509Ptr cert(X509_new());
  if (!cert) return unexpected(ossl_error("cannot create certificate"));
  auto serial = random_serial();
  if (!serial) return unexpected(serial.error());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days * kDay)) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return unexpected(ossl_error("cannot fill certificate"));
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& e : exts) {
    identity::X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, e.nid, e.value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return unexpected(
          ossl_error(std::string("cannot add extension ") + OBJ_nid2sn(e.nid) + "=" + e.value));
    }
  }
  if (X509_sign(cert.get(), issuer_key, digest_for(issuer_key)) <= 0) {
    return unexpected(ossl_error("cannot sign certificate"));
  }
  return cert;
}

std::vector<Ext> ca_exts(bool path_len_zero) {
  return {
      {NID_basic_constraints, path_len_zero ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
}

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.front() != '.' && name.front() != '-';
}

bool valid_ip(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

Result<bool, std::string> write_public(const std::string& path, std::string_view pem) {
  return write_file_durable(path, pem, 0644);
}

}  // namespace

Result<identity::Asn1IntegerPtr, std::string> random_serial() {
  unsigned char bytes[16];
  do {
    if (RAND_bytes(bytes, sizeof bytes) != 1) return unexpected(ossl_error("RAND_bytes"));
  } while (bytes[0] == 0);  // keep all 128 bits significant (and never zero)
  identity::BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));  // unsigned: positive
  if (!bn) return unexpected(ossl_error("cannot make serial"));
  identity::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return unexpected(ossl_error("cannot make serial"));
  return serial;
}

bool valid_device_days(int days) { return days >= kMinDeviceDays && days <= kMaxDeviceDays; }

Result<bool, std::string> init_ca(const InitOptions& o) {
  if (!identity::valid_name(o.tenant)) {
    return unexpected("invalid tenant \"" + o.tenant + "\" (1-64 of A-Z a-z 0-9 . _ -)");
  }
  const CaPaths paths(o.dir);
  std::error_code ec;
  if (std::filesystem::exists(paths.root_crt(), ec)) {
    return unexpected(paths.root_crt() + " exists: refusing to overwrite a CA");
  }
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return unexpected("cannot create " + o.dir + ": " + ec.message());
  if (::chmod(o.dir.c_str(), 0700) != 0) return unexpected(errno_text("cannot chmod", o.dir));

  auto root_key = identity::generate_key(o.key_type);
  auto issuing_key = identity::generate_key(o.key_type);
  auto server_key = identity::generate_key(o.key_type);
  if (!root_key) return unexpected(root_key.error());
  if (!issuing_key) return unexpected(issuing_key.error());
  if (!server_key) return unexpected(server_key.error());
  const std::string org = "warden " + o.tenant;
  auto root_name = make_name(org, org + " root CA");
  auto issuing_name = make_name(org, org + " device issuing CA");
  auto server_name = make_name(org, org + " server CA");
  if (!root_name || !issuing_name || !server_name) {
    return unexpected(!root_name ? root_name.error()
                                 : (!issuing_name ? issuing_name.error() : server_name.error()));
  }
  auto root = make_cert(root_name->get(), root_key->get(), nullptr, root_key->get(), kRootDays,
                        ca_exts(false));
  if (!root) return unexpected(root.error());
  auto issuing = make_cert(issuing_name->get(), issuing_key->get(), root->get(), root_key->get(),
                           kIssuingDays, ca_exts(true));
  if (!issuing) return unexpected(issuing.error());
  auto server_ca = make_cert(server_name->get(), server_key->get(), nullptr, server_key->get(),
                             kServerCaDays, ca_exts(true));
  if (!server_ca) return unexpected(server_ca.error());

  // Keys first: a directory with certificates but no keys is never left behind as "a CA".
  for (auto [path, key] : {std::pair{paths.root_key(), root_key->get()},
                           std::pair{paths.issuing_key(), issuing_key->get()},
                           std::pair{paths.server_ca_key(), server_key->get()}}) {
    auto saved = identity::save_private_key(path, key);
    if (!saved) return unexpected(saved.error());
  }
  const std::string chain = identity::to_pem(issuing->get()) + identity::to_pem(root->get());
  for (auto [path, pem] : {std::pair{paths.issuing_crt(), identity::to_pem(issuing->get())},
                           std::pair{paths.server_ca_crt(), identity::to_pem(server_ca->get())},
                           std::pair{paths.chain(), chain},
                           std::pair{paths.root_crt(), identity::to_pem(root->get())}}) {
    auto written = write_public(path, pem);
    if (!written) return unexpected(written.error());
  }
  auto db = PkiDb::open(paths.db());
  if (!db) return unexpected(db.error());
  return true;
}

Result<Ca, std::string> Ca::open(const std::string& dir) {
  Ca ca(dir);
  auto root = identity::load_cert(ca.paths_.root_crt());
  auto issuing = identity::load_cert(ca.paths_.issuing_crt());
  auto server_ca = identity::load_cert(ca.paths_.server_ca_crt());
  if (!root) return unexpected(root.error());
  if (!issuing) return unexpected(issuing.error());
  if (!server_ca) return unexpected(server_ca.error());
  auto issuing_key = identity::load_private_key(ca.paths_.issuing_key());
  if (!issuing_key) return unexpected(issuing_key.error());
  auto server_ca_key = identity::load_private_key(ca.paths_.server_ca_key());
  if (!server_ca_key) return unexpected(server_ca_key.error());
  if (X509_check_private_key(issuing->get(), issuing_key->get()) != 1 ||
      X509_check_private_key(server_ca->get(), server_ca_key->get()) != 1) {
    identity::ossl_clear_errors();
    return unexpected("a CA key in " + dir + " does not match its certificate");
  }
  ca.root_ = std::move(*root);
  ca.issuing_ = std::move(*issuing);
  ca.server_ca_ = std::move(*server_ca);
  ca.issuing_key_ = std::move(*issuing_key);
  ca.server_ca_key_ = std::move(*server_ca_key);
  return ca;
}

Result<X509Ptr, std::string> Ca::issue_device(const identity::DeviceId& id, EVP_PKEY* key,
                                              int days) const {
  if (!valid_device_days(days)) {
    return unexpected("device certificates live " + std::to_string(kMinDeviceDays) + "-" +
                      std::to_string(kMaxDeviceDays) + " days, not " + std::to_string(days));
  }
  if (!identity::valid_name(id.tenant) || !identity::valid_name(id.device)) {
    return unexpected("invalid device id \"" + id.str() + "\"");
  }
  if (!identity::key_type_of(key)) return unexpected(std::string("key is not P-256 or Ed25519"));
  auto name = make_name(id.tenant, id.device);
  if (!name) return unexpected(name.error());
  return make_cert(name->get(), key, issuing_.get(), issuing_key_.get(), days,
                   {{NID_basic_constraints, "critical,CA:FALSE"},
                    {NID_key_usage, "critical,digitalSignature"},
                    {NID_ext_key_usage, "clientAuth"},
                    {NID_subject_alt_name, "URI:" + id.urn()},
                    {NID_subject_key_identifier, "hash"},
                    {NID_authority_key_identifier, "keyid:always"}});
}

Result<X509Ptr, std::string> Ca::issue_server(EVP_PKEY* key,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ips, int days) const {
  if (dns_names.empty() && ips.empty()) return unexpected(std::string("no server name given"));
  if (days < 1 || days > 825) return unexpected(std::string("server certificate days: 1-825"));
  std::string san;
  for (const auto& n : dns_names) {
    if (!valid_dns_name(n)) return unexpected("invalid DNS name \"" + n + "\"");
    san += (san.empty() ? "DNS:" : ",DNS:") + n;
  }
  for (const auto& ip : ips) {
    if (!valid_ip(ip)) return unexpected("invalid IP address \"" + ip + "\"");
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  const std::string& cn = dns_names.empty() ? ips.front() : dns_names.front();
  char org[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(server_ca_.get()), NID_organizationName, org,
                            sizeof org);
  auto name = make_name(org, cn);
  if (!name) return unexpected(name.error());
  return make_cert(name->get(), key, server_ca_.get(), server_ca_key_.get(), days,
                   {{NID_basic_constraints, "critical,CA:FALSE"},
                    {NID_key_usage, "critical,digitalSignature"},
                    {NID_ext_key_usage, "serverAuth"},
                    {NID_subject_alt_name, san},
                    {NID_subject_key_identifier, "hash"},
                    {NID_authority_key_identifier, "keyid:always"}});
}

}  // namespace warden::pki
