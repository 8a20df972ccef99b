#include "update/xmss_key.h"

#include <botan/auto_rng.h>
#include <botan/pubkey.h>
#include <botan/xmss.h>
#include <sys/stat.h>

#include <charconv>
#include <optional>

#include "core/file.h"

namespace warden::update {
namespace {

// A raw XMSS private key is a few hundred bytes; anything much larger is not one.
constexpr std::size_t kMaxKeyBytes = 64 * 1024;
// The raw public key of the SHA2-256 parameter sets warden makes: OID, root, public seed.
constexpr std::size_t kRawPublicKeySize = 4 + 2 * 32;

std::string mark_path(const std::string& key_path) { return key_path + ".index"; }

// The next-leaf index as written in the file. Botan 2 keeps each key's index in a process-wide
// registry and loading a key takes the larger of the two, so after a restore the Botan object
// may look fine while the file went backwards: the file's own bytes are the evidence. Botan's
// raw private key is the raw public key, then the index as 4 big-endian bytes.
std::optional<std::uint64_t> file_index(const std::string& raw, std::size_t public_key_size) {
  if (raw.size() < public_key_size + 4) return std::nullopt;
  std::uint64_t index = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    index = index << 8 | static_cast<std::uint8_t>(raw[public_key_size + i]);
  }
  return index;
}

Result<bool, std::string> write_mark(const std::string& key_path, std::uint64_t index) {
  return write_file_durable(mark_path(key_path), std::to_string(index) + "\n", 0600);
}

// Key first, then the mark: a crash between the two leaves a key ahead of its mark, which is
// safe (the mark is a lower bound); the reverse order could leave a key behind its own mark.
Result<bool, std::string> write_state(const std::string& path, const Botan::XMSS_PrivateKey& key) {
  const Botan::secure_vector<std::uint8_t> raw = key.raw_private_key();
  auto written = write_file_durable(
      path, std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), 0600);
  if (!written) return written;
  return write_mark(path, key.unused_leaf_index());
}

}  // namespace

XmssKey::XmssKey(std::string path, std::unique_ptr<Botan::XMSS_PrivateKey> key)
    : path_(std::move(path)), key_(std::move(key)) {}
XmssKey::~XmssKey() = default;
XmssKey::XmssKey(XmssKey&&) noexcept = default;
XmssKey& XmssKey::operator=(XmssKey&&) noexcept = default;

Result<XmssKey, std::string> XmssKey::generate(const std::string& path, XmssHeight height) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return unexpected(path + " exists; refusing to overwrite a signing key (its state matters)");
  }
  const auto oid = height == XmssHeight::k20   ? Botan::XMSS_Parameters::XMSS_SHA2_20_256
                   : height == XmssHeight::k16 ? Botan::XMSS_Parameters::XMSS_SHA2_16_256
                                               : Botan::XMSS_Parameters::XMSS_SHA2_10_256;
  try {
    Botan::AutoSeeded_RNG rng;
    auto key = std::make_unique<Botan::XMSS_PrivateKey>(oid, rng);
    auto written = write_state(path, *key);
    if (!written) return unexpected(written.error());
    return XmssKey(path, std::move(key));
  } catch (const std::exception& e) {
    return unexpected(std::string("cannot generate an XMSS key: ") + e.what());
  }
}

Result<XmssKey, std::string> XmssKey::open(const std::string& path) {
  auto raw = read_file(path, kMaxKeyBytes);
  if (!raw) return unexpected(raw.error());
  auto mark_text = read_file(mark_path(path), 64);
  if (!mark_text) {
    return unexpected(mark_path(path) +
                      " is missing: without it a key restored from a backup could reuse "
                      "signatures; refusing (" +
                      mark_text.error() + ")");
  }
  std::uint64_t mark = 0;
  const std::string_view m(*mark_text);
  const auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), mark);
  if (ec != std::errc() || (end != m.data() + m.size() && *end != '\n')) {
    return unexpected(mark_path(path) + ": not an index");
  }
  std::unique_ptr<Botan::XMSS_PrivateKey> key;
  try {
    key = std::make_unique<Botan::XMSS_PrivateKey>(
        Botan::secure_vector<std::uint8_t>(raw->begin(), raw->end()));
  } catch (const std::exception& e) {
    // Botan will not load a key whose every leaf is used; say that in the user's terms.
    const std::uint32_t oid =
        raw->size() >= 4 ? static_cast<std::uint32_t>(static_cast<std::uint8_t>((*raw)[0]) << 24 |
                                                      static_cast<std::uint8_t>((*raw)[1]) << 16 |
                                                      static_cast<std::uint8_t>((*raw)[2]) << 8 |
                                                      static_cast<std::uint8_t>((*raw)[3]))
                         : 0;
    const int height = oid == 1 ? 10 : oid == 2 ? 16 : oid == 3 ? 20 : 0;
    const auto index = file_index(*raw, kRawPublicKeySize);
    if (height > 0 && index && *index >= (std::uint64_t{1} << height)) {
      return unexpected(path + ": all " + std::to_string(std::uint64_t{1} << height) +
                        " signatures of this XMSS key are used; rotate to a new key");
    }
    return unexpected(path + ": not an XMSS private key (" + e.what() + ")");
  }
  const auto index = file_index(*raw, key->raw_public_key().size());
  if (!index) return unexpected(path + ": truncated XMSS private key");
  if (*index < mark) {
    return unexpected(path + ": its next signature index " + std::to_string(*index) +
                      " went backwards (signatures up to " + std::to_string(mark) +
                      " were already made); a restored or copied key would reuse one-time "
                      "signatures, refusing");
  }
  return XmssKey(path, std::move(key));
}

Result<std::vector<std::uint8_t>, std::string> XmssKey::sign(
    std::span<const std::uint8_t> message) {
  if (remaining() == 0) {
    return unexpected(path_ + ": all " + std::to_string(capacity()) +
                      " signatures of this XMSS key are used; rotate to a new key");
  }
  std::vector<std::uint8_t> signature;
  try {
    Botan::AutoSeeded_RNG rng;
    Botan::PK_Signer signer(*key_, rng, "");
    // Signing reserves the leaf: the key's next index moves past it before the signature exists.
    signature = signer.sign_message(message.data(), message.size(), rng);
  } catch (const std::exception& e) {
    return unexpected(std::string("XMSS signing failed: ") + e.what());
  }
  // Not released until the key that can no longer use this leaf is on disk.
  auto written = write_state(path_, *key_);
  if (!written) {
    return unexpected("signature withheld: the advanced XMSS state could not be saved (" +
                      written.error() + ")");
  }
  return signature;
}

std::vector<std::uint8_t> XmssKey::public_key() const { return key_->raw_public_key(); }

std::uint64_t XmssKey::next_index() const { return key_->unused_leaf_index(); }

std::uint64_t XmssKey::capacity() const {
  return std::uint64_t{1} << key_->xmss_parameters().tree_height();
}

std::string XmssKey::budget_warning() const {
  if (remaining() * 10 > capacity()) return {};
  return path_ + ": only " + std::to_string(remaining()) + " of " + std::to_string(capacity()) +
         " XMSS signatures left; rotate to a new key (a root rotation) before they run out";
}

bool xmss_verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
                 std::span<const std::uint8_t> signature) {
  try {
    Botan::XMSS_PublicKey key(std::vector<std::uint8_t>(public_key.begin(), public_key.end()));
    Botan::PK_Verifier verifier(key, "");
    return verifier.verify_message(message.data(), message.size(), signature.data(),
                                   signature.size());
  } catch (const std::exception&) {
    return false;  // malformed key or signature: not a valid signature, never a crash
  }
}

}  // namespace warden::update
