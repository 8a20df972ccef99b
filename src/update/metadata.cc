#include "update/metadata.h"

#include <algorithm>
#include <ctime>

#include "core/bytes.h"
#include "core/json.h"
#include "update/crypto.h"

namespace warden::update {
namespace {

constexpr std::string_view kSpecVersion = "1.0";
// Domain separation: a signature over update metadata can never be replayed as a signature
// over anything else a key might sign (and vice versa).
constexpr std::string_view kContext = "warden-update-metadata-v1\n";

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<ByteVec> hex_bytes(std::string_view hex) {
  if (!is_hex(hex)) return std::nullopt;  // lowercase only: one spelling per value
  auto b = from_hex(hex);
  if (!b) return std::nullopt;
  ByteVec out(b->size());
  std::transform(b->begin(), b->end(), out.begin(), [](std::byte x) { return std::uint8_t(x); });
  return out;
}

std::string hex_of(const ByteVec& v) {
  return to_hex(Bytes(reinterpret_cast<const std::byte*>(v.data()), v.size()));
}

// Reading helpers: each returns an error that names the field.
Result<const JsonValue*, Error> member(const JsonValue& obj, std::string_view key,
                                       std::string_view where) {
  const JsonValue* v = obj.find(key);
  if (!v) return unexpected(std::string(where) + ": missing \"" + std::string(key) + "\"");
  return v;
}

Result<std::uint64_t, Error> uint_member(const JsonValue& obj, std::string_view key,
                                         std::string_view where) {
  auto v = member(obj, key, where);
  if (!v) return unexpected(v.error());
  const auto i = (*v)->as_integer();
  if (!(*v)->is_number() || !i || *i < 0) {
    return unexpected(std::string(where) + ": \"" + std::string(key) +
                      "\" is not a non-negative integer");
  }
  return static_cast<std::uint64_t>(*i);
}

Result<std::string, Error> string_member(const JsonValue& obj, std::string_view key,
                                         std::string_view where) {
  auto v = member(obj, key, where);
  if (!v) return unexpected(v.error());
  if (!(*v)->is_string()) {
    return unexpected(std::string(where) + ": \"" + std::string(key) + "\" is not a string");
  }
  return (*v)->as_string();
}

Result<const JsonValue*, Error> object_member(const JsonValue& obj, std::string_view key,
                                              std::string_view where) {
  auto v = member(obj, key, where);
  if (!v) return v;
  if (!(*v)->is_object()) {
    return unexpected(std::string(where) + ": \"" + std::string(key) + "\" is not an object");
  }
  return v;
}

Result<Hashes, Error> read_hashes(const JsonValue& obj, std::string_view where, bool required) {
  Hashes h;
  const JsonValue* hv = obj.find("hashes");
  if (!hv) {
    if (required) return unexpected(std::string(where) + ": missing \"hashes\"");
    return h;
  }
  if (!hv->is_object()) return unexpected(std::string(where) + ": \"hashes\" is not an object");
  for (const auto& m : hv->members()) {
    if (!m.value.is_string()) {
      return unexpected(std::string(where) + ": hash \"" + m.key + "\" is not a string");
    }
    const std::string& s = m.value.as_string();
    if (m.key == "sha256") {
      if (s.size() != 64 || !is_hex(s))
        return unexpected(std::string(where) + ": sha256 is not 64 lowercase hex digits");
      h.sha256 = s;
    } else if (m.key == "sha512") {
      if (s.size() != 128 || !is_hex(s))
        return unexpected(std::string(where) + ": sha512 is not 128 lowercase hex digits");
      h.sha512 = s;
    }
    // Other algorithms are ignored: a client checks the ones it knows, and needs both below.
  }
  if (required && (h.sha256.empty() || h.sha512.empty())) {
    return unexpected(std::string(where) + ": needs both sha256 and sha512 hashes");
  }
  return h;
}

Result<std::map<std::string, PublicKey>, Error> read_keys(const JsonValue& obj,
                                                          std::string_view where,
                                                          const MetadataLimits& limits) {
  std::map<std::string, PublicKey> keys;
  if (obj.members().size() > limits.max_keys) {
    return unexpected(std::string(where) + ": more than " + std::to_string(limits.max_keys) +
                      " keys");
  }
  for (const auto& m : obj.members()) {
    const std::string what = std::string(where) + " key " + m.key.substr(0, 16);
    if (!m.value.is_object()) return unexpected(what + ": not an object");
    auto algs = object_member(m.value, "algorithms", what);
    if (!algs) return unexpected(algs.error());
    PublicKey key;
    for (const auto& a : (*algs)->members()) {
      if (a.key.empty() || a.key.size() > 64 || !a.value.is_string()) {
        return unexpected(what + ": malformed algorithm entry");
      }
      auto raw = hex_bytes(a.value.as_string());
      if (!raw || raw->empty() || raw->size() > 4096) {
        return unexpected(what + ": public key for " + a.key + " is not lowercase hex");
      }
      key.parts.emplace(a.key, std::move(*raw));
    }
    if (key.parts.empty()) return unexpected(what + ": no algorithms");
    // The id is what the key is: a file cannot give one key two ids (and two votes).
    if (key.keyid() != m.key) return unexpected(what + ": key id does not match the key");
    keys.emplace(m.key, std::move(key));
  }
  return keys;
}

Result<RoleKeys, Error> read_role_keys(const JsonValue& obj, std::string_view where,
                                       const MetadataLimits& limits) {
  RoleKeys r;
  auto ids = member(obj, "keyids", where);
  if (!ids) return unexpected(ids.error());
  if (!(*ids)->is_array()) return unexpected(std::string(where) + ": keyids is not an array");
  if ((*ids)->items().size() > limits.max_keys) {
    return unexpected(std::string(where) + ": too many keyids");
  }
  for (const auto& id : (*ids)->items()) {
    if (!id.is_string() || id.as_string().size() != 64 || !is_hex(id.as_string())) {
      return unexpected(std::string(where) + ": a keyid is not 64 lowercase hex digits");
    }
    if (std::find(r.keyids.begin(), r.keyids.end(), id.as_string()) != r.keyids.end()) {
      return unexpected(std::string(where) + ": keyid listed twice");
    }
    r.keyids.push_back(id.as_string());
  }
  auto t = uint_member(obj, "threshold", where);
  if (!t) return unexpected(t.error());
  if (*t < 1 || *t > r.keyids.size()) {
    return unexpected(std::string(where) + ": threshold " + std::to_string(*t) +
                      " is not between 1 and the number of keys (" +
                      std::to_string(r.keyids.size()) + ")");
  }
  r.threshold = static_cast<std::uint32_t>(*t);
  return r;
}

Result<MetaFile, Error> read_meta_file(const JsonValue& obj, std::string_view where) {
  MetaFile f;
  auto v = uint_member(obj, "version", where);
  if (!v) return unexpected(v.error());
  if (*v < 1) return unexpected(std::string(where) + ": version must be at least 1");
  f.version = *v;
  if (obj.find("length")) {
    auto l = uint_member(obj, "length", where);
    if (!l) return unexpected(l.error());
    f.length = *l;
  }
  auto h = read_hashes(obj, where, false);
  if (!h) return unexpected(h.error());
  f.hashes = *h;
  return f;
}

// Writing helpers.
void write_common(JsonWriter& w, const Common& c) {
  w.field("_type", role_type_name(c.type));
  w.field("spec_version", kSpecVersion);
  w.field("version", c.version);
  w.field("expires", format_utc(c.expires));
}

void write_keys(JsonWriter& w, const std::map<std::string, PublicKey>& keys) {
  w.begin_object();
  for (const auto& [id, key] : keys) {
    w.key(id).begin_object().key("algorithms").begin_object();
    for (const auto& [alg, raw] : key.parts) w.field(alg, hex_of(raw));
    w.end_object().end_object();
  }
  w.end_object();
}

void write_role_keys(JsonWriter& w, const RoleKeys& r) {
  w.begin_object().key("keyids").begin_array();
  for (const auto& id : r.keyids) w.value(id);
  w.end_array().field("threshold", std::uint64_t{r.threshold}).end_object();
}

void write_hashes(JsonWriter& w, const Hashes& h) {
  w.key("hashes").begin_object();
  if (!h.sha256.empty()) w.field("sha256", h.sha256);
  if (!h.sha512.empty()) w.field("sha512", h.sha512);
  w.end_object();
}

void write_meta_file(JsonWriter& w, const MetaFile& f) {
  w.begin_object().field("version", f.version);
  if (f.length) w.field("length", *f.length);
  if (!f.hashes.sha256.empty() || !f.hashes.sha512.empty()) write_hashes(w, f.hashes);
  w.end_object();
}

}  // namespace

bool known_algorithm(std::string_view alg) {
  return alg == kEd25519 || alg == kXmss10 || alg == kXmss16 || alg == kXmss20;
}
bool post_quantum_algorithm(std::string_view alg) {
  return alg == kXmss10 || alg == kXmss16 || alg == kXmss20;
}

std::string_view role_type_name(RoleType t) {
  switch (t) {
    case RoleType::kRoot:
      return "root";
    case RoleType::kTargets:
      return "targets";
    case RoleType::kSnapshot:
      return "snapshot";
    case RoleType::kTimestamp:
      return "timestamp";
  }
  return "?";
}

std::string PublicKey::keyid() const {
  std::string json;
  JsonWriter w(json);
  w.begin_object().key("algorithms").begin_object();
  for (const auto& [alg, raw] : parts) w.field(alg, hex_of(raw));
  w.end_object().end_object();
  return sha256_hex(json);
}

bool PublicKey::hybrid() const {
  return std::any_of(parts.begin(), parts.end(),
                     [](const auto& p) { return post_quantum_algorithm(p.first); });
}

std::string PublicKey::algorithms() const {
  std::string out;
  for (const auto& [alg, raw] : parts) out += (out.empty() ? "" : "+") + alg;
  return out;
}

const RoleKeys& Root::role(RoleType t) const {
  switch (t) {
    case RoleType::kRoot:
      return root;
    case RoleType::kTargets:
      return targets;
    case RoleType::kSnapshot:
      return snapshot;
    case RoleType::kTimestamp:
      break;
  }
  return timestamp;
}

const TargetFile* Targets::find(std::string_view name) const {
  for (const auto& t : targets) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string signing_message(std::string_view canonical_signed) {
  std::string m(kContext);
  m += canonical_signed;
  return m;
}

Result<Envelope, Error> parse_envelope(std::string_view bytes, RoleType expected,
                                       const MetadataLimits& limits) {
  const std::string what(role_type_name(expected));
  JsonLimits jl;
  jl.max_bytes = 64u << 20;
  jl.max_depth = 16;  // metadata nests 6 deep; a deeper file is hostile
  auto doc = parse_json(bytes, jl);
  if (!doc) {
    return unexpected(what + " metadata is not valid JSON (" + std::string(doc.error().reason) +
                      " at byte " + std::to_string(doc.error().offset) + ")");
  }
  if (!doc->is_object()) return unexpected(what + " metadata is not a JSON object");
  auto signed_v = object_member(*doc, "signed", what);
  if (!signed_v) return unexpected(signed_v.error());
  auto sigs = member(*doc, "signatures", what);
  if (!sigs) return unexpected(sigs.error());
  if (!(*sigs)->is_array()) return unexpected(what + ": \"signatures\" is not an array");
  if ((*sigs)->items().size() > limits.max_signatures) {
    return unexpected(what + ": more than " + std::to_string(limits.max_signatures) +
                      " signatures");
  }

  Envelope e;
  for (const auto& s : (*sigs)->items()) {
    if (!s.is_object()) return unexpected(what + ": a signature is not an object");
    Signature sig;
    auto id = string_member(s, "keyid", what + " signature");
    if (!id) return unexpected(id.error());
    sig.keyid = *id;
    auto parts = object_member(s, "sig", what + " signature");
    if (!parts) return unexpected(parts.error());
    for (const auto& p : (*parts)->members()) {
      if (!p.value.is_string()) return unexpected(what + ": signature part is not a string");
      auto raw = hex_bytes(p.value.as_string());
      if (!raw) return unexpected(what + ": signature part " + p.key + " is not lowercase hex");
      sig.parts.emplace(p.key, std::move(*raw));
    }
    e.signatures.push_back(std::move(sig));
  }

  const JsonValue& sv = **signed_v;
  auto type = string_member(sv, "_type", what);
  if (!type) return unexpected(type.error());
  if (*type != role_type_name(expected)) {
    return unexpected("expected " + what + " metadata, got \"" + type->substr(0, 32) + "\"");
  }
  auto version = uint_member(sv, "version", what);
  if (!version) return unexpected(version.error());
  if (*version < 1) return unexpected(what + ": version must be at least 1");
  auto expires = string_member(sv, "expires", what);
  if (!expires) return unexpected(expires.error());
  const auto when = parse_utc(*expires);
  if (!when) return unexpected(what + ": expires is not YYYY-MM-DDTHH:MM:SSZ");
  e.common = Common{expected, *version, *when};
  e.canonical = signing_message(to_json(sv));
  e.signed_value = sv;
  return e;
}

Result<Root, Error> parse_root(const Envelope& e, const MetadataLimits& limits) {
  Root r;
  static_cast<Common&>(r) = e.common;
  auto keys = object_member(e.signed_value, "keys", "root");
  if (!keys) return unexpected(keys.error());
  auto k = read_keys(**keys, "root", limits);
  if (!k) return unexpected(k.error());
  r.keys = std::move(*k);
  auto roles = object_member(e.signed_value, "roles", "root");
  if (!roles) return unexpected(roles.error());
  for (RoleType t :
       {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp}) {
    const std::string name(role_type_name(t));
    auto role = object_member(**roles, name, "root roles");
    if (!role) return unexpected(role.error());
    auto rk = read_role_keys(**role, "root role " + name, limits);
    if (!rk) return unexpected(rk.error());
    for (const auto& id : rk->keyids) {
      if (!r.keys.count(id)) {
        return unexpected("root role " + name + ": keyid " + id.substr(0, 16) +
                          " is not among the root's keys");
      }
    }
    r.role(t) = std::move(*rk);
  }
  return r;
}

Result<Targets, Error> parse_targets(const Envelope& e, const MetadataLimits& limits) {
  Targets t;
  static_cast<Common&>(t) = e.common;
  auto targets = object_member(e.signed_value, "targets", "targets");
  if (!targets) return unexpected(targets.error());
  if ((*targets)->members().size() > limits.max_targets) {
    return unexpected("targets: more than " + std::to_string(limits.max_targets) + " targets");
  }
  t.targets.reserve((*targets)->members().size());
  for (const auto& m : (*targets)->members()) {
    if (!valid_target_name(m.key, limits.max_name)) {
      return unexpected("targets: \"" + m.key.substr(0, 64) +
                        "\" is not an acceptable target name (relative, no '..', no '//', "
                        "letters, digits, . _ - /)");
    }
    const std::string where = "target " + m.key;
    if (!m.value.is_object()) return unexpected(where + ": not an object");
    TargetFile f;
    f.name = m.key;
    auto len = uint_member(m.value, "length", where);
    if (!len) return unexpected(len.error());
    f.length = *len;
    auto h = read_hashes(m.value, where, true);
    if (!h) return unexpected(h.error());
    f.hashes = *h;
    if (const JsonValue* custom = m.value.find("custom")) {
      if (!custom->is_object()) return unexpected(where + ": custom is not an object");
      if (const JsonValue* hw = custom->find("hardware")) {
        if (!hw->is_array() || hw->items().size() > 64) {
          return unexpected(where + ": custom.hardware is not a short array");
        }
        for (const auto& id : hw->items()) {
          if (!id.is_string() || id.as_string().empty() || id.as_string().size() > 128) {
            return unexpected(where + ": a hardware id is not a short string");
          }
          f.hardware.push_back(id.as_string());
        }
      }
      if (const JsonValue* v = custom->find("version")) {
        if (!v->is_string() || v->as_string().size() > 128) {
          return unexpected(where + ": custom.version is not a short string");
        }
        f.version = v->as_string();
      }
    }
    t.targets.push_back(std::move(f));
  }
  if (const JsonValue* d = e.signed_value.find("delegations")) {
    if (!d->is_object()) return unexpected(Error("targets: delegations is not an object"));
    auto keys = object_member(*d, "keys", "delegations");
    if (!keys) return unexpected(keys.error());
    auto k = read_keys(**keys, "delegations", limits);
    if (!k) return unexpected(k.error());
    t.delegation_keys = std::move(*k);
    auto roles = member(*d, "roles", "delegations");
    if (!roles) return unexpected(roles.error());
    if (!(*roles)->is_array() || (*roles)->items().size() > limits.max_delegations) {
      return unexpected("delegations: roles is not an array of at most " +
                        std::to_string(limits.max_delegations));
    }
    for (const auto& rv : (*roles)->items()) {
      if (!rv.is_object()) return unexpected(Error("delegations: a role is not an object"));
      DelegatedRole role;
      auto name = string_member(rv, "name", "delegated role");
      if (!name) return unexpected(name.error());
      if (!valid_role_name(*name)) {
        return unexpected("delegations: \"" + name->substr(0, 64) +
                          "\" is not a role name (a-z, 0-9, '-', at most 64)");
      }
      for (const auto& other : t.delegations) {
        if (other.name == *name) return unexpected("delegations: role " + *name + " twice");
      }
      role.name = *name;
      const std::string where = "delegated role " + role.name;
      auto rk = read_role_keys(rv, where, limits);
      if (!rk) return unexpected(rk.error());
      for (const auto& id : rk->keyids) {
        if (!t.delegation_keys.count(id)) {
          return unexpected(where + ": keyid " + id.substr(0, 16) + " is not among its keys");
        }
      }
      role.keys = std::move(*rk);
      auto paths = member(rv, "paths", where);
      if (!paths) return unexpected(paths.error());
      if (!(*paths)->is_array() || (*paths)->items().size() > 256) {
        return unexpected(where + ": paths is not an array of at most 256");
      }
      for (const auto& p : (*paths)->items()) {
        if (!p.is_string() || p.as_string().empty() || p.as_string().size() > limits.max_name) {
          return unexpected(where + ": a path pattern is not a short string");
        }
        role.paths.push_back(p.as_string());
      }
      if (const JsonValue* term = rv.find("terminating")) {
        if (!term->is_bool()) return unexpected(where + ": terminating is not a boolean");
        role.terminating = term->as_bool();
      }
      t.delegations.push_back(std::move(role));
    }
  }
  return t;
}

Result<Snapshot, Error> parse_snapshot(const Envelope& e, const MetadataLimits& limits) {
  Snapshot s;
  static_cast<Common&>(s) = e.common;
  auto meta = object_member(e.signed_value, "meta", "snapshot");
  if (!meta) return unexpected(meta.error());
  if ((*meta)->members().size() > limits.max_delegations + 1) {
    return unexpected(Error("snapshot: lists too many metadata files"));
  }
  for (const auto& m : (*meta)->members()) {
    if (!m.key.ends_with(".json") || !valid_role_name(m.key.substr(0, m.key.size() - 5))) {
      return unexpected("snapshot: \"" + m.key.substr(0, 64) + "\" is not a metadata file name");
    }
    if (!m.value.is_object()) return unexpected("snapshot: " + m.key + " is not an object");
    auto f = read_meta_file(m.value, "snapshot " + m.key);
    if (!f) return unexpected(f.error());
    s.meta.emplace(m.key, *f);
  }
  if (!s.meta.count("targets.json"))
    return unexpected(Error("snapshot: does not list targets.json"));
  return s;
}

Result<Timestamp, Error> parse_timestamp(const Envelope& e, const MetadataLimits&) {
  Timestamp t;
  static_cast<Common&>(t) = e.common;
  auto meta = object_member(e.signed_value, "meta", "timestamp");
  if (!meta) return unexpected(meta.error());
  auto snap = object_member(**meta, "snapshot.json", "timestamp meta");
  if (!snap) return unexpected(snap.error());
  auto f = read_meta_file(**snap, "timestamp snapshot.json");
  if (!f) return unexpected(f.error());
  if (!f->length || f->hashes.sha256.empty()) {
    return unexpected(Error("timestamp: snapshot.json needs a length and a sha256 hash"));
  }
  t.snapshot = *f;
  return t;
}

std::string write_signed(const Root& r) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_common(w, r);
  w.field("consistent_snapshot", true);
  w.key("keys");
  write_keys(w, r.keys);
  w.key("roles").begin_object();
  for (RoleType t :
       {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp}) {
    w.key(role_type_name(t));
    write_role_keys(w, r.role(t));
  }
  w.end_object().end_object();
  return out;
}

std::string write_signed(const Targets& t) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_common(w, t);
  w.key("targets").begin_object();
  for (const auto& f : t.targets) {
    w.key(f.name).begin_object().field("length", f.length);
    write_hashes(w, f.hashes);
    if (!f.hardware.empty() || !f.version.empty()) {
      w.key("custom").begin_object();
      if (!f.hardware.empty()) {
        w.key("hardware").begin_array();
        for (const auto& h : f.hardware) w.value(h);
        w.end_array();
      }
      if (!f.version.empty()) w.field("version", f.version);
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
  if (!t.delegations.empty()) {
    w.key("delegations").begin_object().key("keys");
    write_keys(w, t.delegation_keys);
    w.key("roles").begin_array();
    for (const auto& d : t.delegations) {
      w.begin_object().field("name", d.name).key("keyids").begin_array();
      for (const auto& id : d.keys.keyids) w.value(id);
      w.end_array().field("threshold", std::uint64_t{d.keys.threshold});
      w.key("paths").begin_array();
      for (const auto& p : d.paths) w.value(p);
      w.end_array().field("terminating", d.terminating).end_object();
    }
    w.end_array().end_object();
  }
  w.end_object();
  return out;
}

std::string write_signed(const Snapshot& s) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_common(w, s);
  w.key("meta").begin_object();
  for (const auto& [name, f] : s.meta) {
    w.key(name);
    write_meta_file(w, f);
  }
  w.end_object().end_object();
  return out;
}

std::string write_signed(const Timestamp& t) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_common(w, t);
  w.key("meta").begin_object().key("snapshot.json");
  write_meta_file(w, t.snapshot);
  w.end_object().end_object();
  return out;
}

std::string write_envelope(std::string_view signed_json, const std::vector<Signature>& sigs) {
  std::string out = "{\"signed\":";
  out += signed_json;
  out += ",\"signatures\":";
  JsonWriter w(out);
  w.begin_array();
  for (const auto& s : sigs) {
    w.begin_object().field("keyid", s.keyid).key("sig").begin_object();
    for (const auto& [alg, raw] : s.parts) w.field(alg, hex_of(raw));
    w.end_object().end_object();
  }
  w.end_array();
  out += "}\n";
  return out;
}

bool valid_target_name(std::string_view name, std::size_t max) {
  if (name.empty() || name.size() > max || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  // Each component must be a real name: no "", ".", ".." (a path that climbs out of the
  // repository or the download directory).
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool valid_role_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<std::int64_t> parse_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
             sec = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *sec > 59)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *sec;
  const std::time_t t = ::timegm(&tm);
  // timegm normalises 31 February to 3 March; such a date is not one we wrote.
  std::tm back{};
  ::gmtime_r(&t, &back);
  if (back.tm_mday != *d || back.tm_mon != *mo - 1) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::string format_utc(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace warden::update
