// Test helpers shared by the signature and source tests: the checked-in test PKI
// (tests/data/mud/pki, see its README) and detached CMS signing through OpenSSL, so each test
// signs exactly the bytes it needs. Test-only (included from *_test.cc files).
#pragma once

#include <openssl/bio.h>
#include <openssl/pem.h>
// clang-format off
#include <openssl/cms.h>
// clang-format on
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <string>

namespace warden::mud::testing {

inline std::string pki_path(const std::string& name) {
  return std::string(WARDEN_SOURCE_DIR) + "/tests/data/mud/pki/" + name;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Signs `content` as RFC 8520 §13.2 does (detached, binary) with a key pair from the test PKI
// ("signer" or "other-signer"); PEM-wraps the result when asked, else DER.
inline std::string sign(const std::string& content, const std::string& who = "signer",
                        bool pem = false, bool detached = true) {
  BIO* cb = BIO_new_file(pki_path(who + ".pem").c_str(), "r");
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_file(pki_path(who + ".key").c_str(), "r");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  BIO* data = BIO_new_mem_buf(content.data(), static_cast<int>(content.size()));
  const unsigned flags = CMS_BINARY | (detached ? CMS_DETACHED : 0u);
  CMS_ContentInfo* cms = CMS_sign(cert, key, nullptr, data, flags);
  std::string out;
  if (cms) {
    BIO* mem = BIO_new(BIO_s_mem());
    if (pem) {
      PEM_write_bio_CMS(mem, cms);
    } else {
      i2d_CMS_bio(mem, cms);
    }
    char* p = nullptr;
    const long n = BIO_get_mem_data(mem, &p);
    out.assign(p, static_cast<std::size_t>(n));
    BIO_free(mem);
  }
  CMS_ContentInfo_free(cms);
  BIO_free(data);
  EVP_PKEY_free(key);
  X509_free(cert);
  return out;
}

// A small valid MUD file naming itself `url`, with a signature URL when one is given.
inline std::string mud_json(const std::string& url, const std::string& signature_url = "",
                            int cache_validity = 48) {
  std::string sig =
      signature_url.empty() ? std::string() : "\"mud-signature\": \"" + signature_url + "\", ";
  return "{\"ietf-mud:mud\": {\"mud-version\": 1, \"mud-url\": \"" + url + "\", " + sig +
         "\"last-update\": \"2024-05-01T10:00:00+00:00\", \"cache-validity\": " +
         std::to_string(cache_validity) +
         ", \"is-supported\": true, \"systeminfo\": \"Test bulb\", "
         "\"from-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"fr\"}]}}, "
         "\"to-device-policy\": {\"access-lists\": {\"access-list\": [{\"name\": \"to\"}]}}}, "
         "\"ietf-access-control-list:acls\": {\"acl\": ["
         "{\"name\": \"fr\", \"type\": \"ipv4-acl-type\", \"aces\": {\"ace\": [{\"name\": \"c\", "
         "\"matches\": {\"ipv4\": {\"ietf-acldns:dst-dnsname\": \"cloud.example.com\", "
         "\"protocol\": 6}, \"tcp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": "
         "443}}}, \"actions\": {\"forwarding\": \"accept\"}}]}}, "
         "{\"name\": \"to\", \"type\": \"ipv4-acl-type\", \"aces\": {\"ace\": [{\"name\": \"c\", "
         "\"matches\": {\"ipv4\": {\"ietf-acldns:src-dnsname\": \"cloud.example.com\", "
         "\"protocol\": 6}, \"tcp\": {\"source-port\": {\"operator\": \"eq\", \"port\": "
         "443}}}, \"actions\": {\"forwarding\": \"accept\"}}]}}]}}\n";
}

}  // namespace warden::mud::testing
