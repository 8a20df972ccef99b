// update_bench: figures for signed updates (issue 7), driven by bench/update_bench.sh.
//
//   update_bench publish DIR [--targets N] [--big-mb M] [--xmss-height 10|16|20] [--seed S]
//       The publisher: Repository::init in DIR, N small targets (1-4 KiB, random) and one M MB
//       target added in ONE add_targets call (one targets signature), then refresh_timestamp 5
//       times and add_targets of one small file 3 times (re-signs targets, snapshot and
//       timestamp). Every signature is timed by Repository::on_sign; those by keys with an
//       XMSS part (root, targets: Ed25519 + XMSS, the XMSS state durably written before the
//       signature returns) apart from the Ed25519-only ones (snapshot, timestamp). Then the
//       metadata sizes with and without their XMSS parts. One JSON object per line on stdout.
//   update_bench verify REPO_DIR_OR_URL STATE_DIR TARGET_NAME DEST
//       (TARGET_NAME "-": open and refresh only.) The device alone (run it as its own process for
//       its peak memory): Client::open, refresh, find_target, download (streamed, SHA-256 + SHA-512
//       checked). One JSON line: wall seconds per step and getrusage(RUSAGE_SELF).ru_maxrss.
//   update_bench xmss DIR [--height H] [--signs N]
//       SigningKey (Ed25519 + XMSS at height H) generation and N signatures, each timed.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/json_reader.h"
#include "update/client.h"
#include "update/crypto.h"
#include "update/metadata.h"
#include "update/repository.h"

namespace {

using namespace warden::update;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "update_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// {"n":..,"median":..,"min":..,"max":..,"all":[..]} of seconds.
std::string stats(std::vector<double> v) {
  if (v.empty()) return "null";
  std::string all = "[";
  for (std::size_t i = 0; i < v.size(); ++i) all += (i ? "," : "") + num(v[i]);
  all += "]";
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return "{\"n\":" + std::to_string(n) + ",\"median\":" + num(median) +
         ",\"min\":" + num(v.front()) + ",\"max\":" + num(v.back()) + ",\"all\":" + all + "}";
}

long maxrss_kib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

// Written in 1 MiB pieces, so the publisher's peak RSS is the repository's, not the input's.
void write_random(const std::string& path, std::size_t size, std::mt19937_64& rng) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string piece;
  for (std::size_t done = 0; done < size;) {
    piece.resize(std::min<std::size_t>(size - done, 1u << 20));
    for (std::size_t i = 0; i < piece.size(); i += 8) {
      const std::uint64_t r = rng();
      std::memcpy(piece.data() + i, &r, std::min<std::size_t>(8, piece.size() - i));
    }
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    done += piece.size();
  }
  if (!out) die("cannot write " + path);
}

std::string read_all(const std::string& path) {
  auto bytes = warden::read_file(path, std::size_t{256} << 20);
  if (!bytes) die(bytes.error());
  return std::move(*bytes);
}

bool is_xmss(const std::string& alg) { return alg.starts_with("xmss"); }

std::vector<Signature> strip_sigs(const std::vector<Signature>& sigs,
                                  const std::map<std::string, std::string>& keyid_map) {
  std::vector<Signature> out;
  for (Signature s : sigs) {
    std::erase_if(s.parts, [](const auto& p) { return is_xmss(p.first); });
    if (auto it = keyid_map.find(s.keyid); it != keyid_map.end()) s.keyid = it->second;
    out.push_back(std::move(s));
  }
  return out;
}

// The file as an Ed25519-only repository would write it: the same signed content and the
// same writer (write_signed + write_envelope), without the XMSS signature parts and (root,
// delegations) without the XMSS public key parts. Keyids are hashes of the keys, so they are
// recomputed for the stripped keys (same length). `same` is set when rebuilding WITH the XMSS
// parts gives back the file byte for byte: the writer is the one that made it, so the
// difference is exact.
struct Sizes {
  std::size_t with = 0, without = 0;
  std::size_t xmss_sig_hex = 0, xmss_key_hex = 0;  // hex characters of XMSS parts
  std::size_t signatures = 0;
  bool same = false;
};

void strip_keys(std::map<std::string, PublicKey>& keys, std::map<std::string, std::string>& idmap,
                Sizes& sz) {
  std::map<std::string, PublicKey> out;
  for (auto [id, key] : keys) {
    for (const auto& [alg, raw] : key.parts) {
      if (is_xmss(alg)) sz.xmss_key_hex += 2 * raw.size();
    }
    std::erase_if(key.parts, [](const auto& p) { return is_xmss(p.first); });
    idmap[id] = key.keyid();
    out.emplace(key.keyid(), std::move(key));
  }
  keys = std::move(out);
}

void remap(RoleKeys& role, const std::map<std::string, std::string>& idmap) {
  for (auto& id : role.keyids) {
    if (auto it = idmap.find(id); it != idmap.end()) id = it->second;
  }
}

Sizes measure(const std::string& path, RoleType type) {
  const std::string bytes = read_all(path);
  auto env = parse_envelope(bytes, type, MetadataLimits{});
  if (!env) die(path + ": " + env.error());
  Sizes sz;
  sz.with = bytes.size();
  sz.signatures = env->signatures.size();
  for (const auto& s : env->signatures) {
    for (const auto& [alg, raw] : s.parts) {
      if (is_xmss(alg)) sz.xmss_sig_hex += 2 * raw.size();
    }
  }
  std::string signed_with, signed_without;
  std::map<std::string, std::string> idmap;
  switch (type) {
    case RoleType::kRoot: {
      auto r = parse_root(*env);
      if (!r) die(path + ": " + r.error());
      signed_with = write_signed(*r);
      strip_keys(r->keys, idmap, sz);
      for (auto t :
           {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp}) {
        remap(r->role(t), idmap);
      }
      signed_without = write_signed(*r);
      break;
    }
    case RoleType::kTargets: {
      auto t = parse_targets(*env);
      if (!t) die(path + ": " + t.error());
      signed_with = write_signed(*t);
      strip_keys(t->delegation_keys, idmap, sz);
      for (auto& d : t->delegations) remap(d.keys, idmap);
      signed_without = write_signed(*t);
      break;
    }
    case RoleType::kSnapshot: {
      auto s = parse_snapshot(*env);
      if (!s) die(path + ": " + s.error());
      signed_with = signed_without = write_signed(*s);
      break;
    }
    case RoleType::kTimestamp: {
      auto t = parse_timestamp(*env);
      if (!t) die(path + ": " + t.error());
      signed_with = signed_without = write_signed(*t);
      break;
    }
  }
  // Signatures by a root key are remapped only in root.json itself (the signer of the other
  // files is a targets/snapshot/timestamp key, whose keyid maps the same way).
  sz.same = write_envelope(signed_with, env->signatures) == bytes;
  sz.without = write_envelope(signed_without, strip_sigs(env->signatures, idmap)).size();
  return sz;
}

void print_size(const std::string& file, const Sizes& s) {
  std::printf(
      "{\"size\":\"%s\",\"bytes\":%zu,\"bytes_without_xmss\":%zu,\"xmss_share\":%s,"
      "\"xmss_signature_hex_chars\":%zu,\"xmss_public_key_hex_chars\":%zu,\"signatures\":%zu,"
      "\"rebuild_identical\":%s}\n",
      file.c_str(), s.with, s.without,
      num(s.with ? double(s.with - s.without) / double(s.with) : 0).c_str(), s.xmss_sig_hex,
      s.xmss_key_hex, s.signatures, s.same ? "true" : "false");
}

std::string arg_value(int& i, int argc, char** argv) {
  if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
  return argv[++i];
}

int publish(int argc, char** argv) {
  if (argc < 3) die("publish DIR [--targets N] [--big-mb M] [--xmss-height H]");
  const std::string dir = argv[2];
  std::size_t count = 1000, big_mb = 50;
  int height = 10;
  std::uint64_t seed = 7;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--targets")
      count = std::stoul(arg_value(i, argc, argv));
    else if (a == "--big-mb")
      big_mb = std::stoul(arg_value(i, argc, argv));
    else if (a == "--xmss-height")
      height = std::stoi(arg_value(i, argc, argv));
    else if (a == "--seed")
      seed = std::stoull(arg_value(i, argc, argv));
    else
      die("unknown option " + a);
  }
  if (height != 10 && height != 16 && height != 20) die("--xmss-height is 10, 16 or 20");
  const std::int64_t now = std::time(nullptr);

  // Inputs outside the repository: DIR/inputs.
  const std::string in = dir + "/inputs";
  fs::create_directories(in + "/small");
  std::mt19937_64 rng(seed);
  std::vector<NewTarget> all;
  std::size_t small_bytes = 0;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "small/t%05zu.bin", i);
    const std::size_t size = 1024 + rng() % (3 * 1024 + 1);
    write_random(in + "/" + name, size, rng);
    small_bytes += size;
    all.push_back(
        {in + "/" + name, std::string("cfg/") + (name + 6), {}, "1.0." + std::to_string(i)});
  }
  const std::size_t big_bytes = big_mb * 1000 * 1000;
  write_random(in + "/firmware.bin", big_bytes, rng);
  all.push_back({in + "/firmware.bin", "fw/firmware.bin", {}, "2.0.0"});
  write_random(in + "/extra.bin", 2048, rng);
  std::printf(
      "{\"inputs\":{\"small_targets\":%zu,\"small_bytes\":%zu,\"big_bytes\":%zu,"
      "\"seconds\":%s}}\n",
      count, small_bytes, big_bytes, num(since(t0)).c_str());

  // Signatures, by phase and kind.
  std::string phase = "init";
  std::map<std::string, std::vector<double>> xmss_sigs, ed_sigs;  // phase -> seconds
  std::vector<double> xmss_all, ed_all;
  std::map<std::string, std::vector<double>> by_role;  // "targets" -> seconds
  std::uint64_t xmss_left = 0;
  auto on_sign = [&](const SignEvent& ev) {
    const bool xmss = ev.xmss_remaining.has_value();
    (xmss ? xmss_sigs : ed_sigs)[phase].push_back(ev.seconds);
    (xmss ? xmss_all : ed_all).push_back(ev.seconds);
    // "12.targets.json" -> "targets", "timestamp.json" -> "timestamp"
    std::string role = ev.file.substr(0, ev.file.size() - 5);
    if (auto dot = role.find('.'); dot != std::string::npos) role = role.substr(dot + 1);
    by_role[role].push_back(ev.seconds);
    if (xmss && ev.file.find("targets") != std::string::npos) xmss_left = *ev.xmss_remaining;
    if (!ev.warning.empty()) std::fprintf(stderr, "update_bench: %s\n", ev.warning.c_str());
  };

  // Init: key generation (2 Ed25519 + XMSS keys for root and targets, 2 Ed25519 for snapshot
  // and timestamp), root v1, an empty targets v1, snapshot, timestamp. The on_sign callback is
  // set only after init returns, so init's signatures are timed as a whole.
  InitOptions opts;
  opts.xmss_height = static_cast<XmssHeight>(height);
  t0 = Clock::now();
  auto repo = Repository::init(dir, opts, now);
  if (!repo) die("init: " + repo.error());
  const double init_s = since(t0);
  repo->on_sign = on_sign;
  std::printf(
      "{\"init\":{\"xmss_height\":%d,\"seconds\":%s,\"note\":\"key generation (root and "
      "targets: Ed25519 + XMSS; snapshot, timestamp: Ed25519) + 4 signatures\"}}\n",
      height, num(init_s).c_str());

  phase = "add_all";
  t0 = Clock::now();
  auto added = repo->add_targets(all, "targets", now);
  if (!added) die("add_targets: " + added.error());
  const double add_all_s = since(t0);
  std::printf(
      "{\"add_targets_all\":{\"targets\":%zu,\"seconds\":%s,\"xmss_signatures\":%s,"
      "\"ed25519_signatures\":%s,\"note\":\"read, SHA-256 + SHA-512, durable copy of "
      "every target, then targets, snapshot, timestamp signed and written\"}}\n",
      all.size(), num(add_all_s).c_str(), stats(xmss_sigs[phase]).c_str(),
      stats(ed_sigs[phase]).c_str());
  std::fflush(stdout);

  phase = "timestamp";
  std::vector<double> ts_wall;
  for (int i = 0; i < 5; ++i) {
    t0 = Clock::now();
    auto r = repo->refresh_timestamp(now);
    if (!r) die("refresh_timestamp: " + r.error());
    ts_wall.push_back(since(t0));
  }
  std::printf("{\"refresh_timestamp\":{\"wall\":%s,\"ed25519_signature\":%s}}\n",
              stats(ts_wall).c_str(), stats(ed_sigs[phase]).c_str());

  phase = "add_one";
  std::vector<double> one_wall;
  for (int i = 0; i < 3; ++i) {
    t0 = Clock::now();
    auto r = repo->add_targets(
        {{in + "/extra.bin", "cfg/extra-" + std::to_string(i) + ".bin", {}, "1"}}, "targets", now);
    if (!r) die("add_targets (one): " + r.error());
    one_wall.push_back(since(t0));
  }
  std::printf(
      "{\"add_targets_one\":{\"wall\":%s,\"xmss_signature\":%s,\"ed25519_signatures\":%s,"
      "\"note\":\"1 file added to a targets role of %zu: targets (Ed25519 + XMSS), "
      "snapshot, timestamp re-signed and written\"}}\n",
      stats(one_wall).c_str(), stats(xmss_sigs[phase]).c_str(), stats(ed_sigs[phase]).c_str(),
      all.size() + 3);

  std::string roles = "{";
  for (const auto& [role, v] : by_role) {
    roles += (roles.size() > 1 ? "," : "") + ("\"" + role + "\":") + stats(v);
  }
  roles += "}";
  std::printf(
      "{\"signatures\":{\"xmss_bearing\":%s,\"ed25519_only\":%s,\"by_role\":%s,"
      "\"targets_xmss_remaining\":%llu}}\n",
      stats(xmss_all).c_str(), stats(ed_all).c_str(), roles.c_str(),
      static_cast<unsigned long long>(xmss_left));

  // The durable-write floor on this disk: the same write_file_durable (write, fsync, rename,
  // directory fsync) the XMSS state and metadata go through, for a 2.6 KB file.
  std::vector<double> durable;
  const std::string probe = dir + "/durable-probe";
  for (int i = 0; i < 10; ++i) {
    t0 = Clock::now();
    auto w = warden::write_file_durable(probe, std::string(2600, 'x'), 0600);
    if (!w) die(w.error());
    durable.push_back(since(t0));
  }
  fs::remove(probe);
  std::printf("{\"durable_write_2600B\":%s}\n", stats(durable).c_str());

  // Sizes of the version a device downloads now.
  const std::string meta = repo->metadata_dir() + "/";
  const auto tv = repo->targets().version, sv = repo->snapshot().version;
  print_size("root.json", measure(meta + "root.json", RoleType::kRoot));
  print_size(std::to_string(tv) + ".targets.json",
             measure(meta + std::to_string(tv) + ".targets.json", RoleType::kTargets));
  print_size(std::to_string(sv) + ".snapshot.json",
             measure(meta + std::to_string(sv) + ".snapshot.json", RoleType::kSnapshot));
  print_size("timestamp.json", measure(meta + "timestamp.json", RoleType::kTimestamp));
  std::printf(
      "{\"latest\":{\"targets_version\":%llu,\"snapshot_version\":%llu,"
      "\"big_target\":\"fw/firmware.bin\",\"targets_in_role\":%zu}}\n",
      static_cast<unsigned long long>(tv), static_cast<unsigned long long>(sv),
      repo->targets().targets.size());
  std::printf("{\"publisher_maxrss_kib\":%ld}\n", maxrss_kib());
  return 0;
}

int verify(int argc, char** argv) {
  if (argc != 6) die("verify REPO_DIR_OR_URL STATE_DIR TARGET_NAME DEST");
  auto t0 = Clock::now();
  auto client = Client::open(ClientOptions{argv[3], "bench-device"}, make_transport(argv[2]));
  if (!client)
    die(std::string("open: ") + std::string(failure_name(client.error().kind)) + ": " +
        client.error().message);
  const double open_s = since(t0);
  t0 = Clock::now();
  auto report = client->refresh();
  if (!report)
    die(std::string("refresh: ") + std::string(failure_name(report.error().kind)) + ": " +
        report.error().message);
  const double refresh_s = since(t0);
  const long rss_after_refresh = maxrss_kib();
  if (std::string(argv[4]) == "-") {  // refresh only (the warm case: nothing new)
    std::printf(
        "{\"open_s\":%s,\"refresh_s\":%s,\"total_s\":%s,\"maxrss_kib\":%ld,"
        "\"metadata_bytes_downloaded\":%llu,\"targets_downloaded\":%s,"
        "\"snapshot_downloaded\":%s,\"targets_version\":%llu}\n",
        num(open_s).c_str(), num(refresh_s).c_str(), num(open_s + refresh_s).c_str(),
        rss_after_refresh, static_cast<unsigned long long>(report->bytes_downloaded),
        report->targets_downloaded ? "true" : "false",
        report->snapshot_downloaded ? "true" : "false",
        static_cast<unsigned long long>(report->targets_version));
    return 0;
  }
  t0 = Clock::now();
  auto target = client->find_target(argv[4]);
  if (!target) die(std::string("find_target: ") + target.error().message);
  const double find_s = since(t0);
  t0 = Clock::now();
  auto got = client->download(*target, argv[5]);
  if (!got)
    die(std::string("download: ") + std::string(failure_name(got.error().kind)) + ": " +
        got.error().message);
  const double download_s = since(t0);
  std::printf(
      "{\"open_s\":%s,\"refresh_s\":%s,\"find_s\":%s,\"download_s\":%s,"
      "\"total_s\":%s,\"maxrss_kib\":%ld,\"maxrss_after_refresh_kib\":%ld,"
      "\"metadata_bytes_downloaded\":%llu,\"targets_downloaded\":%s,"
      "\"target_bytes\":%llu,\"targets_version\":%llu}\n",
      num(open_s).c_str(), num(refresh_s).c_str(), num(find_s).c_str(), num(download_s).c_str(),
      num(open_s + refresh_s + find_s + download_s).c_str(), maxrss_kib(), rss_after_refresh,
      static_cast<unsigned long long>(report->bytes_downloaded),
      report->targets_downloaded ? "true" : "false",
      static_cast<unsigned long long>(target->length),
      static_cast<unsigned long long>(report->targets_version));
  return 0;
}

int xmss(int argc, char** argv) {
  if (argc < 3) die("xmss DIR [--height H] [--signs N]");
  const std::string dir = argv[2];
  int height = 10, signs = 5;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--height")
      height = std::stoi(arg_value(i, argc, argv));
    else if (a == "--signs")
      signs = std::stoi(arg_value(i, argc, argv));
    else
      die("unknown option " + a);
  }
  fs::create_directories(dir);
  const std::string base = dir + "/xmss-h" + std::to_string(height);
  for (const char* ext : {".ed25519.pem", ".xmss", ".xmss.index"}) fs::remove(base + ext);
  auto t0 = Clock::now();
  auto key = SigningKey::generate(base, static_cast<XmssHeight>(height));
  if (!key) die(key.error());
  const double gen_s = since(t0);
  std::vector<double> sign_s;
  std::size_t sig_bytes = 0;
  for (int i = 0; i < signs; ++i) {
    const std::string msg = "bench message " + std::to_string(i);
    t0 = Clock::now();
    auto sig = key->sign(msg);
    if (!sig) die(sig.error());
    sign_s.push_back(since(t0));
    for (const auto& [alg, raw] : sig->parts) {
      if (is_xmss(alg)) sig_bytes = raw.size();
    }
  }
  std::printf(
      "{\"xmss\":{\"height\":%d,\"keygen_s\":%s,\"sign\":%s,\"signature_bytes\":%zu,"
      "\"public_key_bytes\":%zu}}\n",
      height, num(gen_s).c_str(), stats(sign_s).c_str(), sig_bytes, [&] {
        for (const auto& [alg, raw] : key->public_key().parts) {
          if (is_xmss(alg)) return raw.size();
        }
        return std::size_t{0};
      }());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "publish") return publish(argc, argv);
  if (cmd == "verify") return verify(argc, argv);
  if (cmd == "xmss") return xmss(argc, argv);
  std::fprintf(stderr,
               "usage: update_bench publish DIR [--targets N] [--big-mb M] [--xmss-height H]\n"
               "       update_bench verify REPO_DIR_OR_URL STATE_DIR TARGET_NAME DEST\n"
               "       update_bench xmss DIR [--height H] [--signs N]\n");
  return 2;
}
