// TUF-style update metadata (The Update Framework, spec 1.0): the four top-level roles (root,
// targets, snapshot, timestamp) and delegated targets roles, as typed structs, with a strict
// reader for untrusted bytes and a writer for the repository side.
//
// A metadata file is {"signed": {...}, "signatures": [...]}. What a signature covers is the
// canonical form of "signed": the compact JSON that core's to_json writes for the parsed value
// (members in document order, integers exact, one escaping), prefixed by a context string.
// Two files that differ only in whitespace or escapes therefore carry the same meaning and the
// same signatures, and no reader has to trust that its bytes were produced by our writer.
//
// Keys are hybrid: a key is a set of (algorithm, public key) parts, and a signature made with
// it counts only when every part verifies. Algorithm identifiers are written in the metadata,
// so a scheme (ML-DSA, LMS) can be added later by a root rotation, and a root that names an
// algorithm this client does not know makes that key unusable rather than half-checked.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_reader.h"
#include "core/result.h"

namespace warden::update {

using ByteVec = std::vector<std::uint8_t>;

// Algorithm identifiers.
inline constexpr std::string_view kEd25519 = "ed25519";
inline constexpr std::string_view kXmss10 = "xmss-sha2_10_256";
inline constexpr std::string_view kXmss16 = "xmss-sha2_16_256";
inline constexpr std::string_view kXmss20 = "xmss-sha2_20_256";
bool known_algorithm(std::string_view alg);
bool post_quantum_algorithm(std::string_view alg);

// Metadata limits: anything bigger is refused before it is parsed (TUF's "endless data").
struct MetadataLimits {
  std::size_t max_keys = 256;
  std::size_t max_signatures = 256;
  std::size_t max_targets = 100'000;
  std::size_t max_delegations = 256;
  std::size_t max_name = 255;  // a target path or role name
};

enum class RoleType : std::uint8_t { kRoot, kTargets, kSnapshot, kTimestamp };
std::string_view role_type_name(RoleType t);

// One public key: algorithm -> raw public key, ordered by algorithm id.
struct PublicKey {
  std::map<std::string, ByteVec> parts;
  // The key's identity: SHA-256 (hex) of its canonical JSON. Computed, never trusted from a file.
  std::string keyid() const;
  bool hybrid() const;             // has a post-quantum part
  std::string algorithms() const;  // "ed25519+xmss-sha2_10_256"
};

struct RoleKeys {
  std::vector<std::string> keyids;
  std::uint32_t threshold = 1;
};

struct Signature {
  std::string keyid;
  std::map<std::string, ByteVec> parts;  // algorithm -> signature bytes
};

struct Hashes {
  std::string sha256;  // lowercase hex; empty when not given
  std::string sha512;
};

// What snapshot says of a targets file and timestamp says of snapshot.
struct MetaFile {
  std::uint64_t version = 0;
  std::optional<std::uint64_t> length;
  Hashes hashes;
};

struct TargetFile {
  std::string name;  // "fw/camera.bin"
  std::uint64_t length = 0;
  Hashes hashes;                      // both required for targets
  std::vector<std::string> hardware;  // hardware ids it is built for; empty: any
  std::string version;                // the software version, shown to users
};

struct DelegatedRole {
  std::string name;
  RoleKeys keys;
  std::vector<std::string> paths;  // shell-style patterns ('*' does not cross '/')
  bool terminating = false;
};

// Fields every role has.
struct Common {
  RoleType type = RoleType::kRoot;
  std::uint64_t version = 0;
  std::int64_t expires = 0;  // seconds since the epoch
};

struct Root : Common {
  std::map<std::string, PublicKey> keys;  // keyid -> key
  RoleKeys root, targets, snapshot, timestamp;
  const RoleKeys& role(RoleType t) const;
  RoleKeys& role(RoleType t) { return const_cast<RoleKeys&>(std::as_const(*this).role(t)); }
};

struct Targets : Common {
  std::vector<TargetFile> targets;
  std::map<std::string, PublicKey> delegation_keys;
  std::vector<DelegatedRole> delegations;
  const TargetFile* find(std::string_view name) const;
};

struct Snapshot : Common {
  std::map<std::string, MetaFile> meta;  // "targets.json", "<delegated>.json"
};

struct Timestamp : Common {
  MetaFile snapshot;  // meta["snapshot.json"]
};

// A parsed metadata file before its role-specific fields are read.
struct Envelope {
  std::string canonical;  // the bytes signatures cover (context string + canonical "signed")
  JsonValue signed_value;
  std::vector<Signature> signatures;
  Common common;
};

using Error = std::string;

// Reads a metadata file: strict JSON, the envelope's shape, and the common fields. `expected`
// is the role the caller asked for: a timestamp file served as snapshot is refused here.
Result<Envelope, Error> parse_envelope(std::string_view bytes, RoleType expected,
                                       const MetadataLimits& limits = {});
Result<Root, Error> parse_root(const Envelope& e, const MetadataLimits& limits = {});
Result<Targets, Error> parse_targets(const Envelope& e, const MetadataLimits& limits = {});
Result<Snapshot, Error> parse_snapshot(const Envelope& e, const MetadataLimits& limits = {});
Result<Timestamp, Error> parse_timestamp(const Envelope& e, const MetadataLimits& limits = {});

// The message a signature signs: a context string, then the canonical JSON of "signed".
std::string signing_message(std::string_view canonical_signed);

// Writers: the JSON of the "signed" part (canonical: parse + to_json gives the same bytes).
std::string write_signed(const Root& r);
std::string write_signed(const Targets& t);
std::string write_signed(const Snapshot& s);
std::string write_signed(const Timestamp& t);
// A whole file: {"signed": <signed_json>, "signatures": [...]}.
std::string write_envelope(std::string_view signed_json, const std::vector<Signature>& sigs);

// Target names and role names: what a repository may use, and what a client will accept.
bool valid_target_name(std::string_view name, std::size_t max = 255);
bool valid_role_name(std::string_view name);

// "2027-01-31T00:00:00Z" <-> seconds since the epoch; only this exact form.
std::optional<std::int64_t> parse_utc(std::string_view text);
std::string format_utc(std::int64_t seconds);

}  // namespace warden::update
