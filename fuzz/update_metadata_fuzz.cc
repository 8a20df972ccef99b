// Fuzzes the update metadata reader (update/metadata.h): root, targets, snapshot and timestamp
// files come from a mirror or a man in the middle before any signature has been checked, so
// parse_envelope and the role parsers see hostile bytes first. The first input byte picks the
// role (byte % 4: 0 root, 1 targets, 2 snapshot, 3 timestamp, so '0'..'3' work as text), the
// rest is the file. Nothing may crash, signature verification of hostile keys and signatures
// included (count_valid over the root's own keys, for inputs under 64 KiB since XMSS is slow),
// and what is accepted must be consistent: every target name is one valid_target_name allows,
// role thresholds are reachable, and writing the parsed value back gives a file that parses
// again to the same canonical bytes (the writer and the reader agree on one form).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "update/crypto.h"
#include "update/metadata.h"

namespace {
using namespace warden::update;

void check_role_keys(const RoleKeys& r, const std::map<std::string, PublicKey>& keys) {
  if (r.threshold < 1 || r.threshold > r.keyids.size()) __builtin_trap();
  for (const auto& id : r.keyids)
    if (!keys.count(id)) __builtin_trap();
}

void check_keys(const std::map<std::string, PublicKey>& keys) {
  for (const auto& [id, key] : keys)
    if (key.parts.empty() || key.keyid() != id) __builtin_trap();
}

// Writes `signed_json` back into a file (with the original signatures) and parses it again as
// `type`: it must be accepted, carry the same signatures, and its canonical form must be the
// bytes the writer produced (write_signed is documented to be canonical).
template <typename Parse>
auto reparse(const std::string& signed_json, const Envelope& env, RoleType type, Parse parse) {
  auto env2 = parse_envelope(write_envelope(signed_json, env.signatures), type);
  if (!env2) __builtin_trap();
  if (env2->canonical != signing_message(signed_json)) __builtin_trap();
  if (env2->signatures.size() != env.signatures.size()) __builtin_trap();
  for (std::size_t i = 0; i < env.signatures.size(); ++i) {
    if (env2->signatures[i].keyid != env.signatures[i].keyid ||
        env2->signatures[i].parts != env.signatures[i].parts)
      __builtin_trap();
  }
  if (env2->common.version != env.common.version || env2->common.expires != env.common.expires)
    __builtin_trap();
  // Without signatures the canonical bytes are the same: only "signed" decides them.
  auto env3 = parse_envelope(write_envelope(signed_json, {}), type);
  if (!env3 || env3->canonical != env2->canonical) __builtin_trap();
  auto again = parse(*env2);
  if (!again) __builtin_trap();
  return std::move(*again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::update;
  if (size == 0) return 0;
  const auto type = static_cast<RoleType>(data[0] % 4);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  auto env = parse_envelope(bytes, type);
  if (!env) {
    if (env.error().empty()) __builtin_trap();
    return 0;
  }
  if (env->common.type != type || env->common.version < 1) __builtin_trap();
  switch (type) {
    case RoleType::kRoot: {
      auto root = parse_root(*env);
      if (!root) return 0;
      check_keys(root->keys);
      for (RoleType t :
           {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp})
        check_role_keys(root->role(t), root->keys);
      if (size < (64u << 10)) {
        std::string why;
        const auto n = count_valid(root->keys, root->root, env->signatures, env->canonical, &why);
        if (n > root->root.keyids.size()) __builtin_trap();
      }
      const std::string json = write_signed(*root);
      const auto again = reparse(json, *env, type, [](const Envelope& e) { return parse_root(e); });
      if (write_signed(again) != json) __builtin_trap();
      break;
    }
    case RoleType::kTargets: {
      auto targets = parse_targets(*env);
      if (!targets) return 0;
      for (const auto& t : targets->targets) {
        if (!valid_target_name(t.name)) __builtin_trap();
        if (targets->find(t.name) == nullptr) __builtin_trap();
      }
      check_keys(targets->delegation_keys);
      for (const auto& d : targets->delegations) {
        if (!valid_role_name(d.name)) __builtin_trap();
        check_role_keys(d.keys, targets->delegation_keys);
      }
      const std::string json = write_signed(*targets);
      const auto again =
          reparse(json, *env, type, [](const Envelope& e) { return parse_targets(e); });
      if (again.targets.size() != targets->targets.size() ||
          again.delegations.size() != targets->delegations.size())
        __builtin_trap();
      if (write_signed(again) != json) __builtin_trap();
      break;
    }
    case RoleType::kSnapshot: {
      auto snapshot = parse_snapshot(*env);
      if (!snapshot) return 0;
      if (!snapshot->meta.count("targets.json")) __builtin_trap();
      const std::string json = write_signed(*snapshot);
      const auto again =
          reparse(json, *env, type, [](const Envelope& e) { return parse_snapshot(e); });
      if (again.meta.size() != snapshot->meta.size()) __builtin_trap();
      if (write_signed(again) != json) __builtin_trap();
      break;
    }
    case RoleType::kTimestamp: {
      auto timestamp = parse_timestamp(*env);
      if (!timestamp) return 0;
      if (!timestamp->snapshot.length || timestamp->snapshot.hashes.sha256.empty())
        __builtin_trap();
      const std::string json = write_signed(*timestamp);
      const auto again =
          reparse(json, *env, type, [](const Envelope& e) { return parse_timestamp(e); });
      if (write_signed(again) != json) __builtin_trap();
      break;
    }
  }
  return 0;
}
