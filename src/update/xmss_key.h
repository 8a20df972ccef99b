// An XMSS (RFC 8391) signing key whose state cannot be reused. XMSS signs with one-time keys,
// the leaves of a Merkle tree; signing twice with one leaf lets anyone forge signatures. The
// state (the next unused leaf) lives in the key file, so the rules are:
//   - a signature is released only after the key file that no longer allows its leaf is on
//     disk (written, fsynced, renamed, directory fsynced): a crash can waste a leaf, never
//     reuse one;
//   - a high-water mark beside the key (<key>.index) remembers the furthest index ever written;
//     a key file whose index is behind it (restored from a backup, copied from another machine)
//     is refused instead of silently signing with used leaves again;
//   - the remaining budget is shown and warned about before it runs out.
// Botan 2 does the XMSS arithmetic; this class owns only the state discipline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace Botan {
class XMSS_PrivateKey;
}

namespace warden::update {

// RFC 8391 parameter sets warden offers: tree height 10 (1,024 signatures), 16 (65,536) or
// 20 (1,048,576), SHA2-256, n = 32. Higher trees take longer to generate (height 20: minutes).
enum class XmssHeight : std::uint8_t { k10 = 10, k16 = 16, k20 = 20 };

class XmssKey {
 public:
  ~XmssKey();
  XmssKey(XmssKey&&) noexcept;
  XmssKey& operator=(XmssKey&&) noexcept;

  // Makes a key at `path` (0600) and its high-water mark. Refuses to overwrite an existing key.
  static Result<XmssKey, std::string> generate(const std::string& path, XmssHeight height);
  // Loads a key; refused when its index is behind the high-water mark, or the mark is missing.
  static Result<XmssKey, std::string> open(const std::string& path);

  // Signs `message`: the leaf is reserved, the advanced key and mark are durably written, and
  // only then is the signature returned. Fails (and returns nothing) when the key is used up or
  // the state cannot be written.
  Result<std::vector<std::uint8_t>, std::string> sign(std::span<const std::uint8_t> message);

  std::vector<std::uint8_t> public_key() const;  // RFC 8391 raw public key (OID, root, seed)
  std::uint64_t next_index() const;
  std::uint64_t capacity() const;  // 2^height
  std::uint64_t remaining() const { return capacity() - next_index(); }
  // A sentence when a tenth or less of the budget is left, else empty.
  std::string budget_warning() const;
  const std::string& path() const { return path_; }

 private:
  XmssKey(std::string path, std::unique_ptr<Botan::XMSS_PrivateKey> key);
  std::string path_;
  std::unique_ptr<Botan::XMSS_PrivateKey> key_;
};

// Verifies an XMSS signature with a raw public key; false for any malformed input.
bool xmss_verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
                 std::span<const std::uint8_t> signature);

}  // namespace warden::update
