// The attack suite: each of TUF's threats, played against a real repository (real keys, real
// XMSS, files on disk) and the real client, refused with the kind and words a user would see.
#include "update/client.h"

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>

#include "core/file.h"
#include "core/temp_dir.h"
#include "update/crypto.h"
#include "update/repository.h"

namespace warden::update {
namespace {

namespace fs = std::filesystem;

class Attack : public ::testing::Test {
 protected:
  void SetUp() override { init(InitOptions{}); }

  void init(const InitOptions& opts) {
    repo_dir_ = dir_.path() + "/repo";
    state_ = dir_.path() + "/state";
    fs::remove_all(repo_dir_);
    fs::remove_all(state_);
    auto repo = Repository::init(repo_dir_, opts, now_);
    ASSERT_TRUE(repo) << repo.error();
    repo_.emplace(std::move(*repo));
    fs::create_directories(state_);
    fs::copy_file(meta("1.root.json"), state_ + "/root.json");
  }

  std::string meta(const std::string& name) const {
    return repo_dir_ + "/repository/metadata/" + name;
  }
  std::string served() const { return repo_dir_ + "/repository"; }

  // A target file with `content`, published under `name`.
  void publish(const std::string& name, const std::string& content,
               std::vector<std::string> hardware = {}, const std::string& role = "targets") {
    const std::string src = dir_.path() + "/src-" + std::to_string(++files_);
    ASSERT_TRUE(write_file_durable(src, content));
    auto added = repo_->add_targets({{src, name, std::move(hardware), "1.0"}}, role, now_);
    ASSERT_TRUE(added) << added.error();
  }

  Client client(std::int64_t at = 0, const std::string& hardware = "cam-v2") {
    ClientOptions o;
    o.state_dir = state_;
    o.hardware_id = hardware;
    const std::int64_t when = at ? at : now_ + 60;
    o.now = [when] { return when; };
    auto c = Client::open(o, make_transport(served()));
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }

  // Signs `signed_json` with the repository's own key files named `bases` (as an attacker
  // who stole those keys, or a test that re-signs by hand).
  std::string sign_with(const std::string& signed_json, const std::vector<std::string>& bases) {
    std::vector<SigningKey> keys;
    for (const auto& b : bases) {
      auto k = SigningKey::open(repo_dir_ + "/keys/" + b);
      EXPECT_TRUE(k) << k.error();
      keys.push_back(std::move(*k));
    }
    std::vector<SigningKey*> ptrs;
    for (auto& k : keys) ptrs.push_back(&k);
    auto file = sign_metadata(signed_json, ptrs);
    EXPECT_TRUE(file) << file.error();
    return *file;
  }

  // Re-signs snapshot and timestamp over hand-made targets-role files, as the repository's
  // online keys would after a (compromised) role uploaded them.
  struct Forged {
    std::string role;
    Targets metadata;
    std::string key_base;
  };
  void republish(const std::vector<Forged>& forged) {
    Snapshot snap = repo_->snapshot();
    snap.version += 100;
    for (const auto& f : forged) {
      const std::string file = std::to_string(f.metadata.version) + "." + f.role + ".json";
      const std::string bytes = sign_with(write_signed(f.metadata), {f.key_base});
      ASSERT_TRUE(write_file_durable(meta(file), bytes));
      snap.meta[f.role + ".json"] =
          MetaFile{f.metadata.version, bytes.size(), {sha256_hex(bytes), ""}};
    }
    const std::string snap_bytes = sign_with(write_signed(snap), {"snapshot-1"});
    ASSERT_TRUE(
        write_file_durable(meta(std::to_string(snap.version) + ".snapshot.json"), snap_bytes));
    Timestamp ts = repo_->timestamp();
    ts.version += 100;
    ts.snapshot = MetaFile{snap.version, snap_bytes.size(), {sha256_hex(snap_bytes), ""}};
    ASSERT_TRUE(
        write_file_durable(meta("timestamp.json"), sign_with(write_signed(ts), {"timestamp-1"})));
  }

  void expect_refused(Client& c, Failure kind, const std::string& words) {
    auto r = c.refresh();
    ASSERT_FALSE(r) << "refresh was accepted";
    EXPECT_EQ(failure_name(r.error().kind), failure_name(kind)) << r.error().message;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  }

  std::int64_t now_ = static_cast<std::int64_t>(std::time(nullptr));
  TempDir dir_{"warden-update"};
  std::string repo_dir_, state_;
  std::optional<Repository> repo_;
  int files_ = 0;
};

TEST_F(Attack, GenuineUpdateIsVerifiedDownloadedAndRefreshedCheaply) {
  publish("fw/camera.bin", "firmware 1.0", {"cam-v2"});
  auto c = client();
  auto r = c.refresh();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->snapshot_downloaded);
  EXPECT_TRUE(r->targets_downloaded);
  auto t = c.find_target("fw/camera.bin");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->length, 12u);
  const std::string dest = dir_.path() + "/camera.bin";
  auto d = c.download(*t, dest);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*read_file(dest), "firmware 1.0");

  // Nothing new: only the timestamp is fetched again.
  auto again = c.refresh();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->snapshot_downloaded);
  EXPECT_FALSE(again->targets_downloaded);
}

TEST_F(Attack, ArbitrarySoftwareIsRefused) {
  publish("fw/camera.bin", "firmware 1.0", {"cam-v2"});
  auto c = client();
  ASSERT_TRUE(c.refresh());
  auto t = c.find_target("fw/camera.bin");
  ASSERT_TRUE(t);
  // The server (or a man in the middle) swaps the bytes for its own, same length.
  const std::string served_file = served() + "/targets/fw/" + t->hashes.sha256 + ".camera.bin";
  ASSERT_TRUE(write_file_durable(served_file, "evil fw 6.66"));
  const std::string dest = dir_.path() + "/camera.bin";
  auto d = c.download(*t, dest);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, Failure::kMismatch);
  EXPECT_NE(d.error().message.find("does not match its signed SHA-256"), std::string::npos);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest + ".part"));

  // Metadata signed by a key the root does not trust counts for nothing.
  auto attacker = SigningKey::generate(dir_.path() + "/attacker", std::nullopt);
  ASSERT_TRUE(attacker);
  Timestamp ts = repo_->timestamp();
  ts.version += 1;
  std::vector<SigningKey*> keys{&*attacker};
  ASSERT_TRUE(write_file_durable(meta("timestamp.json"), *sign_metadata(write_signed(ts), keys)));
  auto c2 = client();
  expect_refused(c2, Failure::kSignature, "signed by 0 of the 1 timestamp keys");
}

TEST_F(Attack, RollbackAndStaleMirrorAreRefusedAcrossRestarts) {
  publish("fw/camera.bin", "firmware 1.0");
  const std::string stale = dir_.path() + "/stale-mirror";
  fs::copy(served(), stale, fs::copy_options::recursive);
  publish("fw/camera.bin", "firmware 2.0");
  {
    auto c = client();
    ASSERT_TRUE(c.refresh());
    EXPECT_EQ(c.find_target("fw/camera.bin")->hashes.sha256, sha256_hex("firmware 2.0"));
  }
  // A mirror that stopped syncing serves the older, still unexpired, validly signed set. A
  // fresh process on the same state directory still knows better.
  fs::remove_all(served());
  fs::copy(stale, served(), fs::copy_options::recursive);
  auto c = client();
  expect_refused(c, Failure::kRollback, "older than the v");
}

TEST_F(Attack, IndefiniteFreezeIsRefused) {
  publish("fw/camera.bin", "firmware 1.0");
  // Two days on, the mirror still serves yesterday's timestamp (it expires after one day).
  auto c = client(now_ + 2 * 86400);
  expect_refused(c, Failure::kExpired, "timestamp v");
  // And a device that was offline past the root's year refuses the root itself.
  auto late = client(now_ + 400 * 86400);
  expect_refused(late, Failure::kExpired, "root v1 expired");
}

TEST_F(Attack, EndlessDataIsCutOff) {
  publish("fw/camera.bin", "firmware 1.0");
  auto c = client();
  ASSERT_TRUE(c.refresh());
  auto t = c.find_target("fw/camera.bin");
  ASSERT_TRUE(t);
  // A target that keeps coming: the download stops at its signed length.
  const std::string served_file = served() + "/targets/fw/" + t->hashes.sha256 + ".camera.bin";
  ASSERT_TRUE(write_file_durable(served_file, std::string(1 << 20, 'x')));
  auto d = c.download(*t, dir_.path() + "/camera.bin");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, Failure::kTooLarge);
  EXPECT_NE(d.error().message.find("longer than its signed length of 12"), std::string::npos);
  // A timestamp that never ends.
  ASSERT_TRUE(write_file_durable(meta("timestamp.json"), std::string(10 << 20, ' ')));
  auto c2 = client();
  expect_refused(c2, Failure::kTooLarge, "endless data");
}

TEST_F(Attack, MixAndMatchIsRefused) {
  publish("fw/camera.bin", "firmware 1.0");
  const std::uint64_t old_snap = repo_->snapshot().version;
  const std::uint64_t old_targets = repo_->targets().version;
  publish("fw/camera.bin", "firmware 2.0");
  const std::uint64_t snap = repo_->snapshot().version;
  // The current snapshot's name, an older snapshot's (validly signed) content.
  fs::copy_file(meta(std::to_string(old_snap) + ".snapshot.json"),
                meta(std::to_string(snap) + ".snapshot.json"),
                fs::copy_options::overwrite_existing);
  auto c = client();
  expect_refused(c, Failure::kMismatch, "does not match the hash timestamp vouches for");

  // Same with targets: restore the snapshot, swap the targets file for an older one.
  publish("fw/camera.bin", "firmware 3.0");
  fs::copy_file(meta(std::to_string(old_targets) + ".targets.json"),
                meta(std::to_string(repo_->targets().version) + ".targets.json"),
                fs::copy_options::overwrite_existing);
  auto c2 = client();
  expect_refused(c2, Failure::kMismatch, "snapshot vouches for");
}

TEST_F(Attack, FastForwardIsRecoveredByRotatingTheKey) {
  publish("fw/camera.bin", "firmware 1.0");
  // An attacker with the stolen timestamp key pushes version 2^31 to the device.
  Timestamp ts = repo_->timestamp();
  ts.version = 1u << 31;
  const std::string genuine = *read_file(meta("timestamp.json"));
  ASSERT_TRUE(
      write_file_durable(meta("timestamp.json"), sign_with(write_signed(ts), {"timestamp-1"})));
  {
    auto c = client();
    ASSERT_TRUE(c.refresh());  // valid signature: the device cannot tell yet
  }
  ASSERT_TRUE(write_file_durable(meta("timestamp.json"), genuine));
  {
    auto c = client();
    expect_refused(c, Failure::kRollback, "older than the v2147483648");
  }
  // The owner rotates the timestamp key: the new root tells the device to forget it.
  auto rotated = repo_->rotate(RoleType::kTimestamp, 1, 1, now_);
  ASSERT_TRUE(rotated) << rotated.error();
  auto c = client();
  auto r = c.refresh();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->root_rotations, 1u);
  EXPECT_LT(r->timestamp_version, 1u << 31);
}

TEST_F(Attack, DelegatedRoleCannotSignOutsideItsPaths) {
  publish("fw/camera.bin", "firmware 1.0");
  auto d = repo_->delegate("apps", {"apps/*"}, false, 1, 1, now_);
  ASSERT_TRUE(d) << d.error();
  publish("apps/weather.bin", "weather app", {}, "apps");
  // The publisher's tool refuses it too; but a stolen "apps" key signs a firmware entry
  // (an extraneous dependency slipped in) and the online keys re-publish it.
  Targets forged = repo_->targets();  // to get a fresh structure
  forged.targets.clear();
  forged.delegations.clear();
  forged.delegation_keys.clear();
  forged.version = 50;
  forged.expires = now_ + 86400;
  forged.targets.push_back(
      TargetFile{"fw/backdoor.bin", 4, {sha256_hex("evil"), sha512_hex("evil")}, {}, ""});
  forged.targets.push_back(TargetFile{
      "apps/weather.bin", 11, {sha256_hex("weather app"), sha512_hex("weather app")}, {}, ""});
  republish({{"apps", forged, "deleg-apps-1"}});
  auto c = client();
  auto r = c.refresh();
  ASSERT_TRUE(r) << r.error().message;
  auto ok = c.find_target("apps/weather.bin");
  ASSERT_TRUE(ok) << ok.error().message;  // inside its paths: found through the delegation
  auto evil = c.find_target("fw/backdoor.bin");
  ASSERT_FALSE(evil);
  EXPECT_EQ(evil.error().kind, Failure::kNotFound);
  EXPECT_TRUE(c.find_target("fw/camera.bin"));
}

TEST_F(Attack, DelegatedKeysMustBeHybridToo) {
  // The targets key (stolen, or careless) delegates to a classical-only key.
  auto classical = SigningKey::generate(repo_dir_ + "/keys/classical", std::nullopt);
  ASSERT_TRUE(classical);
  Targets top = repo_->targets();
  top.version += 100;
  top.delegation_keys.emplace(classical->keyid(), classical->public_key());
  top.delegations.push_back(DelegatedRole{"apps", {{classical->keyid()}, 1}, {"apps/*"}, false});
  Targets apps;
  apps.type = RoleType::kTargets;
  apps.version = 1;
  apps.expires = now_ + 86400;
  apps.targets.push_back(TargetFile{"apps/x.bin", 1, {sha256_hex("x"), sha512_hex("x")}, {}, ""});
  republish({{"targets", top, "targets-1"}, {"apps", apps, "classical"}});
  auto c = client();
  ASSERT_TRUE(c.refresh());
  auto t = c.find_target("apps/x.bin");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Failure::kSignature);
  EXPECT_NE(t.error().message.find("delegated targets keys must be hybrid"), std::string::npos)
      << t.error().message;
}

TEST_F(Attack, WrongHardwareIsRefused) {
  publish("fw/plug.bin", "plug firmware", {"plug-v1"});
  auto c = client(0, "cam-v2");
  ASSERT_TRUE(c.refresh());
  auto t = c.find_target("fw/plug.bin");
  ASSERT_TRUE(t);
  auto d = c.download(*t, dir_.path() + "/plug.bin");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, Failure::kHardware);
  EXPECT_NE(d.error().message.find("built for plug-v1; this device is cam-v2"), std::string::npos);
}

TEST_F(Attack, FewerThanThresholdSignaturesAreRefused) {
  InitOptions opts;
  opts.root_keys = 2;
  opts.root_threshold = 2;
  init(opts);
  // A root v2 made with one stolen root key of the two needed.
  Root r = repo_->root();
  r.version = 2;
  ASSERT_TRUE(write_file_durable(meta("2.root.json"), sign_with(write_signed(r), {"root-1"})));
  auto c = client();
  expect_refused(c, Failure::kSignature, "signed by 1 of the 2 current root's keys");
}

TEST_F(Attack, HybridSignatureNeedsBothHalves) {
  Root r = repo_->root();
  r.version = 2;
  const std::string good = sign_with(write_signed(r), {"root-1"});
  auto env = parse_envelope(good, RoleType::kRoot);
  ASSERT_TRUE(env);
  // Strip the XMSS half: only the Ed25519 signature (which a quantum computer could forge).
  std::vector<Signature> sigs = env->signatures;
  const std::string xmss = std::string(kXmss10);
  sigs[0].parts.erase(xmss);
  ASSERT_TRUE(write_file_durable(meta("2.root.json"), write_envelope(write_signed(r), sigs)));
  auto c = client();
  expect_refused(c, Failure::kSignature, "xmss-sha2_10_256 part missing");
  // A wrong XMSS half is as bad as none.
  sigs = env->signatures;
  sigs[0].parts[xmss][100] ^= 1;
  ASSERT_TRUE(write_file_durable(meta("2.root.json"), write_envelope(write_signed(r), sigs)));
  auto c2 = client();
  expect_refused(c2, Failure::kSignature, "xmss-sha2_10_256 part does not verify");
  // And the genuine one passes.
  ASSERT_TRUE(write_file_durable(meta("2.root.json"), good));
  auto c3 = client();
  auto ok = c3.refresh();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->root_version, 2u);
}

TEST_F(Attack, RootCannotDowngradeTargetsToClassicalKeys) {
  // A validly signed root v2 whose targets key has only Ed25519: refused by policy.
  auto classical = SigningKey::generate(dir_.path() + "/classical", std::nullopt);
  ASSERT_TRUE(classical);
  Root r = repo_->root();
  r.version = 2;
  r.keys.emplace(classical->keyid(), classical->public_key());
  r.targets.keyids = {classical->keyid()};
  ASSERT_TRUE(write_file_durable(meta("2.root.json"), sign_with(write_signed(r), {"root-1"})));
  auto c = client();
  expect_refused(c, Failure::kSignature, "no post-quantum (XMSS) part");
}

TEST_F(Attack, RootAndTargetsRotationsAreFollowed) {
  publish("fw/camera.bin", "firmware 1.0");
  ASSERT_TRUE(client().refresh());
  auto rr = repo_->rotate(RoleType::kRoot, 1, 1, now_);
  ASSERT_TRUE(rr) << rr.error();
  auto rt = repo_->rotate(RoleType::kTargets, 1, 1, now_);
  ASSERT_TRUE(rt) << rt.error();
  publish("fw/camera.bin", "firmware 2.0");
  auto c = client();
  auto r = c.refresh();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->root_version, 3u);
  EXPECT_EQ(r->root_rotations, 2u);
  EXPECT_EQ(c.find_target("fw/camera.bin")->hashes.sha256, sha256_hex("firmware 2.0"));
  EXPECT_TRUE(fs::exists(repo_dir_ + "/keys/root-1.ed25519.pem.retired"));
  // A root that skips a version (v5 served as 4.root.json) is refused.
  Root skip = repo_->root();
  skip.version = 5;
  ASSERT_TRUE(write_file_durable(meta("4.root.json"), sign_with(write_signed(skip), {"root-2"})));
  auto c2 = client();
  expect_refused(c2, Failure::kRollback, "holds root v5, not v4");
}

TEST_F(Attack, MalformedMetadataIsRefusedInWords) {
  ASSERT_TRUE(write_file_durable(meta("timestamp.json"), "{\"signed\": [1, 2"));
  auto c = client();
  expect_refused(c, Failure::kMalformed, "not valid JSON");
  // The right file under the wrong name: a snapshot served as the timestamp.
  ASSERT_TRUE(write_file_durable(
      meta("timestamp.json"),
      *read_file(meta(std::to_string(repo_->snapshot().version) + ".snapshot.json"))));
  auto c2 = client();
  expect_refused(c2, Failure::kMalformed, "expected timestamp metadata, got \"snapshot\"");
}

TEST(Metadata, CanonicalFormIgnoresSpellingButNotMeaning) {
  const std::string a = R"({"signed":{"_type":"timestamp","spec_version":"1.0","version":3,)"
                        R"("expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":)"
                        R"({"version":2,"length":5,"hashes":{"sha256":")" +
                        std::string(64, 'a') + R"("}}}},"signatures":[]})";
  std::string b = a;
  b.replace(b.find("\"_type\""), 7, " \"\\u005ftype\" ");
  auto ea = parse_envelope(a, RoleType::kTimestamp);
  auto eb = parse_envelope(b, RoleType::kTimestamp);
  ASSERT_TRUE(ea) << ea.error();
  ASSERT_TRUE(eb) << eb.error();
  EXPECT_EQ(ea->canonical, eb->canonical);
  std::string c = a;
  c.replace(c.find("\"version\":3"), 11, "\"version\":4");
  EXPECT_NE(parse_envelope(c, RoleType::kTimestamp)->canonical, ea->canonical);
}

TEST(Metadata, NamesAndDatesAreStrict) {
  EXPECT_TRUE(valid_target_name("fw/camera-1.2_b.bin"));
  for (const char* bad :
       {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", "./a", "a b", "a\\b", "fw/\xc3\xa9"}) {
    EXPECT_FALSE(valid_target_name(bad)) << bad;
  }
  EXPECT_EQ(parse_utc("2030-01-02T03:04:05Z").value(), 1893553445);
  EXPECT_EQ(format_utc(1893553445), "2030-01-02T03:04:05Z");
  for (const char* bad : {"2030-02-31T00:00:00Z", "2030-01-01 00:00:00Z", "2030-01-01T00:00:00",
                          "1969-12-31T23:59:59Z", "2030-01-01T24:00:00Z"}) {
    EXPECT_FALSE(parse_utc(bad)) << bad;
  }
}

}  // namespace
}  // namespace warden::update
