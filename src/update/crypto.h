// The cryptography update metadata needs, behind algorithm identifiers: SHA-256/512 (OpenSSL),
// Ed25519 (OpenSSL 3) and XMSS (Botan 2, via xmss_key.h). Verification is a pure function of
// bytes, used by the device; signing keys live on the repository side.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "update/metadata.h"
#include "update/xmss_key.h"

namespace warden::update {

std::string sha256_hex(std::string_view data);
std::string sha512_hex(std::string_view data);

// Streaming SHA-256 + SHA-512 of a download, so a 50 MB target is never held in memory.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(std::string_view chunk);
  Hashes finish();  // lowercase hex of both
  std::uint64_t length() const { return length_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t length_ = 0;
};

// Verifies one part of a hybrid signature; false for unknown algorithms and malformed input.
bool verify_part(std::string_view algorithm, const ByteVec& public_key, std::string_view message,
                 const ByteVec& signature);

// True when `sig` is by `key` and every one of the key's algorithms verifies: a hybrid
// signature with its XMSS half missing or wrong does not count, and neither does a key that
// names an algorithm this build does not know.
bool verify_signature(const PublicKey& key, const Signature& sig, std::string_view message);

// How many of `role`'s keys signed `message` validly (each key counted once, whatever the file
// repeats). Reasons for signatures that did not count go to `why` (for the error message).
std::uint32_t count_valid(const std::map<std::string, PublicKey>& keys, const RoleKeys& role,
                          const std::vector<Signature>& sigs, std::string_view message,
                          std::string* why = nullptr);

// A role's private key on the repository side: an Ed25519 key, and for hybrid roles an XMSS
// key whose one-time state is kept by XmssKey. Files: <base>.ed25519.pem (0600) and
// <base>.xmss (+ .xmss.index).
class SigningKey {
 public:
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  static Result<SigningKey, std::string> generate(const std::string& base,
                                                  std::optional<XmssHeight> xmss);
  static Result<SigningKey, std::string> open(const std::string& base);

  const PublicKey& public_key() const { return public_; }
  std::string keyid() const { return public_.keyid(); }
  // Signs with every part; the XMSS state is durably advanced before the signature returns.
  Result<Signature, std::string> sign(std::string_view message);
  // XMSS budget, when the key has one.
  std::optional<std::uint64_t> xmss_remaining() const;
  std::optional<std::uint64_t> xmss_capacity() const;
  std::string budget_warning() const;

 private:
  SigningKey() = default;
  struct Ed;
  std::unique_ptr<Ed> ed_;
  std::optional<XmssKey> xmss_;
  PublicKey public_;
};

}  // namespace warden::update
