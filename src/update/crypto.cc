#include "update/crypto.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/bytes.h"
#include "identity/identity.h"
#include "identity/ossl.h"

namespace warden::update {

using identity::generate_key;
using identity::KeyType;
using identity::load_private_key;
using identity::ossl_clear_errors;
using identity::ossl_error;
using identity::PkeyPtr;
using identity::save_private_key;

namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return to_hex(Bytes(reinterpret_cast<const std::byte*>(out), len));
}

// The RFC 8391 OID in the first four bytes of a raw XMSS public key, for each identifier:
// a key must be the parameter set its algorithm id says (no verifying an h10 id with h20).
std::uint32_t xmss_oid(std::string_view alg) {
  if (alg == kXmss10) return 1;
  if (alg == kXmss16) return 2;
  if (alg == kXmss20) return 3;
  return 0;
}

std::string_view xmss_algorithm(std::uint64_t capacity) {
  return capacity == (1u << 20) ? kXmss20 : capacity == (1u << 16) ? kXmss16 : kXmss10;
}

bool ed25519_verify(const ByteVec& pub, std::string_view msg, const ByteVec& sig) {
  if (pub.size() != 32 || sig.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()));
  if (!key) {
    ossl_clear_errors();
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  ossl_clear_errors();
  return ok;
}

}  // namespace

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }
std::string sha512_hex(std::string_view data) { return digest_hex(EVP_sha512(), data); }

struct Hasher::Impl {
  EVP_MD_CTX* a = EVP_MD_CTX_new();
  EVP_MD_CTX* b = EVP_MD_CTX_new();
  ~Impl() {
    EVP_MD_CTX_free(a);
    EVP_MD_CTX_free(b);
  }
};

Hasher::Hasher() : impl_(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(impl_->a, EVP_sha256(), nullptr);
  EVP_DigestInit_ex(impl_->b, EVP_sha512(), nullptr);
}
Hasher::~Hasher() = default;

void Hasher::update(std::string_view chunk) {
  EVP_DigestUpdate(impl_->a, chunk.data(), chunk.size());
  EVP_DigestUpdate(impl_->b, chunk.data(), chunk.size());
  length_ += chunk.size();
}

Hashes Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Hashes h;
  EVP_DigestFinal_ex(impl_->a, out, &len);
  h.sha256 = to_hex(Bytes(reinterpret_cast<const std::byte*>(out), len));
  EVP_DigestFinal_ex(impl_->b, out, &len);
  h.sha512 = to_hex(Bytes(reinterpret_cast<const std::byte*>(out), len));
  return h;
}

bool verify_part(std::string_view algorithm, const ByteVec& public_key, std::string_view message,
                 const ByteVec& signature) {
  if (algorithm == kEd25519) return ed25519_verify(public_key, message, signature);
  if (const std::uint32_t oid = xmss_oid(algorithm); oid != 0) {
    if (public_key.size() < 4) return false;
    const std::uint32_t key_oid = std::uint32_t{public_key[0]} << 24 |
                                  std::uint32_t{public_key[1]} << 16 |
                                  std::uint32_t{public_key[2]} << 8 | public_key[3];
    if (key_oid != oid) return false;
    return xmss_verify(
        public_key,
        std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()),
        signature);
  }
  return false;
}

bool verify_signature(const PublicKey& key, const Signature& sig, std::string_view message) {
  if (key.parts.empty()) return false;
  for (const auto& [alg, pub] : key.parts) {
    const auto part = sig.parts.find(alg);
    if (part == sig.parts.end()) return false;
    if (!verify_part(alg, pub, message, part->second)) return false;
  }
  return true;
}

std::uint32_t count_valid(const std::map<std::string, PublicKey>& keys, const RoleKeys& role,
                          const std::vector<Signature>& sigs, std::string_view message,
                          std::string* why) {
  std::vector<std::string> counted;
  for (const auto& sig : sigs) {
    if (std::find(role.keyids.begin(), role.keyids.end(), sig.keyid) == role.keyids.end()) {
      continue;  // a key this role does not trust: neither counts nor harms
    }
    if (std::find(counted.begin(), counted.end(), sig.keyid) != counted.end()) continue;
    const auto key = keys.find(sig.keyid);
    if (key == keys.end()) continue;
    // Say which half failed: "xmss part missing" is a different story from "ed25519 wrong".
    bool ok = true;
    for (const auto& [alg, pub] : key->second.parts) {
      const auto part = sig.parts.find(alg);
      std::string problem;
      if (!known_algorithm(alg)) {
        problem = "algorithm " + alg + " is not supported by this client";
      } else if (part == sig.parts.end()) {
        problem = alg + " part missing";
      } else if (!verify_part(alg, pub, message, part->second)) {
        problem = alg + " part does not verify";
      }
      if (!problem.empty()) {
        if (why) {
          *why += (why->empty() ? "" : "; ") + std::string("key ") + sig.keyid.substr(0, 8) + ": " +
                  problem;
        }
        ok = false;
        break;
      }
    }
    if (ok) counted.push_back(sig.keyid);
  }
  return static_cast<std::uint32_t>(counted.size());
}

struct SigningKey::Ed {
  PkeyPtr key;
};

SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

namespace {
ByteVec ed25519_public(EVP_PKEY* key) {
  ByteVec pub(32);
  std::size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(key, pub.data(), &len);
  pub.resize(len);
  return pub;
}
}  // namespace

Result<SigningKey, std::string> SigningKey::generate(const std::string& base,
                                                     std::optional<XmssHeight> xmss) {
  const std::string ed_path = base + ".ed25519.pem";
  struct stat st {};
  if (::stat(ed_path.c_str(), &st) == 0) {
    return unexpected(ed_path + " exists; refusing to overwrite a signing key");
  }
  auto key = generate_key(KeyType::kEd25519);
  if (!key) return unexpected(key.error());
  SigningKey out;
  out.ed_ = std::make_unique<Ed>();
  out.ed_->key = std::move(*key);
  out.public_.parts.emplace(std::string(kEd25519), ed25519_public(out.ed_->key.get()));
  if (xmss) {
    auto x = XmssKey::generate(base + ".xmss", *xmss);
    if (!x) return unexpected(x.error());
    out.public_.parts.emplace(std::string(xmss_algorithm(x->capacity())), x->public_key());
    out.xmss_ = std::move(*x);
  }
  // The Ed25519 file last: a half-made key (XMSS without Ed25519) is visibly incomplete.
  auto saved = save_private_key(ed_path, out.ed_->key.get());
  if (!saved) return unexpected(saved.error());
  return out;
}

Result<SigningKey, std::string> SigningKey::open(const std::string& base) {
  auto key = load_private_key(base + ".ed25519.pem");
  if (!key) return unexpected(key.error());
  if (EVP_PKEY_get_id(key->get()) != EVP_PKEY_ED25519) {
    return unexpected(base + ".ed25519.pem: not an Ed25519 key");
  }
  SigningKey out;
  out.ed_ = std::make_unique<Ed>();
  out.ed_->key = std::move(*key);
  out.public_.parts.emplace(std::string(kEd25519), ed25519_public(out.ed_->key.get()));
  struct stat st {};
  if (::stat((base + ".xmss").c_str(), &st) == 0) {
    auto x = XmssKey::open(base + ".xmss");
    if (!x) return unexpected(x.error());
    out.public_.parts.emplace(std::string(xmss_algorithm(x->capacity())), x->public_key());
    out.xmss_ = std::move(*x);
  }
  return out;
}

Result<Signature, std::string> SigningKey::sign(std::string_view message) {
  Signature sig;
  sig.keyid = keyid();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ByteVec ed(64);
  std::size_t len = ed.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, ed_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), ed.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return unexpected(ossl_error("Ed25519 signing"));
  }
  ed.resize(len);
  sig.parts.emplace(std::string(kEd25519), std::move(ed));
  if (xmss_) {
    auto x = xmss_->sign(
        std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()));
    if (!x) return unexpected(x.error());
    sig.parts.emplace(std::string(xmss_algorithm(xmss_->capacity())), std::move(*x));
  }
  return sig;
}

std::optional<std::uint64_t> SigningKey::xmss_remaining() const {
  if (!xmss_) return std::nullopt;
  return xmss_->remaining();
}
std::optional<std::uint64_t> SigningKey::xmss_capacity() const {
  if (!xmss_) return std::nullopt;
  return xmss_->capacity();
}
std::string SigningKey::budget_warning() const { return xmss_ ? xmss_->budget_warning() : ""; }

}  // namespace warden::update
