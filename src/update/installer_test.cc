#include "update/installer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/file.h"
#include "core/temp_dir.h"

namespace warden::update {
namespace {

namespace fs = std::filesystem;

class InstallerTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/inst"; }
  // Writes `content` to a source file and returns the target that describes it.
  InstallTarget source(const std::string& name, const std::string& content,
                       const std::string& version = "") {
    const std::string path = tmp_.path() + "/" + name;
    EXPECT_TRUE(write_file_durable(path, content));
    auto hash = sha256_file_hex(path, 1u << 30);
    EXPECT_TRUE(hash) << hash.error();
    return InstallTarget{"fw/" + name, content.size(), hash ? *hash : "", version};
  }
  std::string src(const std::string& name) const { return tmp_.path() + "/" + name; }
  std::string current_link() const {
    std::error_code ec;
    return fs::read_symlink(dir() + "/current", ec).string();
  }
  std::string payload() const {
    auto r = read_file(dir() + "/current/payload");
    return r ? *r : "<unreadable: " + r.error() + ">";
  }
  Installer open_ok() {
    auto inst = Installer::open(dir());
    EXPECT_TRUE(inst) << inst.error();
    return std::move(inst).value();
  }

  // A restart: the old process (and its lock on the directory) goes, a new one opens it.
  Installer restart(Installer& old) {
    { Installer gone = std::move(old); }
    return open_ok();
  }

  TempDir tmp_;
};

TEST(Sha256File, KnownVectorsAndLimit) {
  TempDir tmp;
  const std::string empty = tmp.path() + "/empty";
  ASSERT_TRUE(write_file_durable(empty, ""));
  EXPECT_EQ(*sha256_file_hex(empty, 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = tmp.path() + "/abc";
  ASSERT_TRUE(write_file_durable(abc, "abc"));
  EXPECT_EQ(*sha256_file_hex(abc, 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(sha256_file_hex(abc, 2));
  EXPECT_FALSE(sha256_file_hex(tmp.path() + "/missing", 10));
  EXPECT_FALSE(sha256_file_hex(tmp.path(), 10));  // a directory
}

TEST(Sha256File, StreamsAcrossChunks) {
  // Larger than one 1 MiB chunk and not a multiple of it: the same digest as hashing a copy
  // written in one piece (checked against a second file of known make-up).
  TempDir tmp;
  const std::string big(3 * (1u << 20) + 17, 'x');
  ASSERT_TRUE(write_file_durable(tmp.path() + "/big", big));
  auto h1 = sha256_file_hex(tmp.path() + "/big", big.size());
  ASSERT_TRUE(h1) << h1.error();
  EXPECT_EQ(h1->size(), 64u);
  ASSERT_TRUE(write_file_durable(tmp.path() + "/big2", big + "y"));
  EXPECT_NE(*h1, *sha256_file_hex(tmp.path() + "/big2", big.size() + 1));
}

TEST_F(InstallerTest, OneAgentAtATime) {
  {
    auto first = open_ok();
    auto second = Installer::open(dir());
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("in use by another update agent"), std::string::npos)
        << second.error();
  }
  // Released with the first: the next start can open it.
  EXPECT_TRUE(Installer::open(dir()));
}

TEST_F(InstallerTest, FirstInstallGoesToSlotA) {
  auto inst = open_ok();
  EXPECT_FALSE(inst.status().active);
  EXPECT_TRUE(fs::is_directory(dir() + "/slot-a"));
  EXPECT_TRUE(fs::is_directory(dir() + "/slot-b"));
  struct stat st {};
  ASSERT_EQ(::stat(dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);

  const auto t = source("cam-1.0.bin", "firmware one", "1.0");
  auto s = inst.install(src("cam-1.0.bin"), t);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_EQ(payload(), "firmware one");
  EXPECT_EQ(inst.payload_path(), dir() + "/current/payload");
  ASSERT_TRUE(s->active);
  EXPECT_EQ(s->active->slot, "a");
  EXPECT_EQ(s->active->target.sha256_hex, t.sha256_hex);
  EXPECT_FALSE(s->previous);
  EXPECT_TRUE(s->pending);
  // No temporaries left behind.
  for (const auto& e : fs::directory_iterator(dir() + "/slot-a"))
    EXPECT_EQ(e.path().filename(), "payload");

  // The record survives a reopen.
  auto again = restart(inst);
  ASSERT_TRUE(again.status().active);
  EXPECT_EQ(again.status().active->target.name, "fw/cam-1.0.bin");
  EXPECT_EQ(again.status().active->target.version, "1.0");
  EXPECT_EQ(again.status().active->target.length, 12u);
  EXPECT_TRUE(again.status().pending);
  EXPECT_TRUE(again.status().note.empty());
}

TEST_F(InstallerTest, SecondInstallGoesToSlotBAndKeepsA) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  ASSERT_TRUE(inst.confirm());
  EXPECT_FALSE(inst.status().pending);
  auto s = inst.install(src("2"), source("2", "two"));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(current_link(), "slot-b");
  EXPECT_EQ(payload(), "two");
  ASSERT_TRUE(s->previous);
  EXPECT_EQ(s->previous->slot, "a");
  EXPECT_EQ(s->previous->target.name, "fw/1");
  EXPECT_EQ(*read_file(dir() + "/slot-a/payload"), "one");

  auto c = inst.confirm();
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->pending);
  ASSERT_TRUE(c->previous);     // still there for a later rollback
  EXPECT_TRUE(inst.confirm());  // idempotent

  // A third install reuses slot a and drops the first target.
  ASSERT_TRUE(inst.install(src("3"), source("3", "three")));
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_EQ(payload(), "three");
  EXPECT_EQ(inst.status().previous->slot, "b");
  EXPECT_EQ(inst.status().previous->target.name, "fw/2");
}

TEST_F(InstallerTest, RollbackRestoresPrevious) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  EXPECT_FALSE(inst.rollback());  // nothing to go back to
  ASSERT_TRUE(inst.confirm());
  ASSERT_TRUE(inst.install(src("2"), source("2", "two")));
  auto r = inst.rollback();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_EQ(payload(), "one");
  EXPECT_EQ(r->active->target.name, "fw/1");
  EXPECT_FALSE(r->previous);
  EXPECT_FALSE(r->pending);
  EXPECT_FALSE(r->note.empty());
  EXPECT_FALSE(inst.rollback());

  auto reopened = restart(inst);
  EXPECT_EQ(reopened.status().active->slot, "a");
  EXPECT_FALSE(reopened.status().previous);
  // The next install goes to the slot rolled back from.
  ASSERT_TRUE(reopened.install(src("3"), source("3", "three")));
  EXPECT_EQ(current_link(), "slot-b");
}

TEST_F(InstallerTest, RefusesWhilePending) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  auto second = inst.install(src("2"), source("2", "two"));
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("pending"), std::string::npos) << second.error();
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_FALSE(fs::exists(dir() + "/slot-b/payload"));
  // Also across a restart.
  auto reopened = restart(inst);
  EXPECT_FALSE(reopened.install(src("2"), source("2", "two")));
}

TEST_F(InstallerTest, BootRollsBackAnUnconfirmedInstall) {
  {
    auto inst = open_ok();
    ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
    ASSERT_TRUE(inst.confirm());
    ASSERT_TRUE(inst.install(src("2"), source("2", "two")));
  }
  {
    // The first start of the new software: allowed.
    auto inst = open_ok();
    auto b = inst.boot(1);
    ASSERT_TRUE(b) << b.error();
    EXPECT_TRUE(b->pending);
    EXPECT_EQ(b->boot_attempts, 1u);
    EXPECT_EQ(current_link(), "slot-b");
  }
  {
    // It never confirmed: the next start goes back.
    auto inst = open_ok();
    EXPECT_EQ(inst.status().boot_attempts, 1u);
    auto b = inst.boot(1);
    ASSERT_TRUE(b) << b.error();
    EXPECT_FALSE(b->pending);
    EXPECT_EQ(b->active->slot, "a");
    EXPECT_NE(b->note.find("rolled back"), std::string::npos) << b->note;
    EXPECT_EQ(current_link(), "slot-a");
    EXPECT_EQ(payload(), "one");
  }
  auto inst = open_ok();
  EXPECT_FALSE(inst.status().pending);
  auto b = inst.boot(1);  // nothing pending: nothing happens
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->note.empty());
  EXPECT_EQ(current_link(), "slot-a");
}

TEST_F(InstallerTest, BootAfterConfirmKeepsNewSoftware) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  ASSERT_TRUE(inst.confirm());
  ASSERT_TRUE(inst.install(src("2"), source("2", "two")));
  ASSERT_TRUE(inst.boot(2));
  ASSERT_TRUE(inst.boot(2));
  ASSERT_TRUE(inst.confirm());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(inst.boot(2));
  EXPECT_EQ(current_link(), "slot-b");
  EXPECT_EQ(inst.status().boot_attempts, 0u);
}

TEST_F(InstallerTest, UnconfirmedFirstInstallHasNothingToRollBackTo) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  ASSERT_TRUE(inst.boot(0));
  auto b = inst.boot(0);
  ASSERT_TRUE(b) << b.error();
  EXPECT_NE(b->note.find("nothing to roll back"), std::string::npos) << b->note;
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_TRUE(b->pending);
}

TEST_F(InstallerTest, RefusesAPayloadThatDoesNotMatch) {
  auto inst = open_ok();
  ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  ASSERT_TRUE(inst.confirm());
  const std::string before = *read_file(dir() + "/state.json");

  // Same length, other bytes.
  auto t = source("2", "two");
  ASSERT_TRUE(write_file_durable(src("2"), "TWO"));
  auto r = inst.install(src("2"), t);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("SHA-256"), std::string::npos) << r.error();
  // Other length.
  ASSERT_TRUE(write_file_durable(src("2"), "twotwo"));
  EXPECT_FALSE(inst.install(src("2"), t));
  // A malformed digest and a missing file.
  auto bad = t;
  bad.sha256_hex = std::string(64, 'A');
  EXPECT_FALSE(inst.install(src("2"), bad));
  EXPECT_FALSE(inst.install(src("missing"), t));

  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_EQ(payload(), "one");
  EXPECT_EQ(*read_file(dir() + "/state.json"), before);
  EXPECT_TRUE(fs::is_empty(dir() + "/slot-b"));
  EXPECT_FALSE(inst.status().pending);
}

TEST_F(InstallerTest, DamagedStateIsAClearError) {
  {
    auto inst = open_ok();
    ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
  }
  const std::string state = dir() + "/state.json";
  const std::string good = *read_file(state);
  for (const std::string& damaged : {
           std::string(""),
           good.substr(0, good.size() / 2),
           std::string("[]"),
           std::string("{\"format\":2}"),
           std::string("{\"format\":1,\"active\":null,\"previous\":null,\"pending\":\"yes\","
                       "\"boot_attempts\":0}"),
           std::string("{\"format\":1,\"active\":{\"slot\":\"c\",\"name\":\"x\",\"length\":1,"
                       "\"sha256\":\"" +
                       std::string(64, 'a') +
                       "\",\"version\":\"\"},\"previous\":null,\"pending\":false,"
                       "\"boot_attempts\":0}"),
           std::string("{\"format\":1,\"active\":{\"slot\":\"a\",\"name\":\"x\",\"length\":-1,"
                       "\"sha256\":\"" +
                       std::string(64, 'a') +
                       "\",\"version\":\"\"},\"previous\":null,\"pending\":false,"
                       "\"boot_attempts\":0}"),
           std::string("{\"format\":1,\"active\":null,\"previous\":null,\"pending\":true,"
                       "\"boot_attempts\":0}"),
           std::string("\xff\xfe garbage"),
       }) {
    ASSERT_TRUE(write_file_durable(state, damaged));
    auto inst = Installer::open(dir());
    ASSERT_FALSE(inst) << damaged;
    EXPECT_NE(inst.error().find("state.json is damaged"), std::string::npos) << inst.error();
    EXPECT_EQ(current_link(), "slot-a");  // nothing touched
  }
  ASSERT_TRUE(write_file_durable(state, good));
  EXPECT_TRUE(Installer::open(dir()));
}

TEST_F(InstallerTest, MissingCurrentIsRecreatedFromState) {
  {
    auto inst = open_ok();
    ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
    ASSERT_TRUE(inst.confirm());
    ASSERT_TRUE(inst.install(src("2"), source("2", "two")));
  }
  ASSERT_EQ(::unlink((dir() + "/current").c_str()), 0);
  auto inst = open_ok();
  EXPECT_EQ(current_link(), "slot-b");
  EXPECT_EQ(payload(), "two");
  EXPECT_NE(inst.status().note.find("repaired"), std::string::npos) << inst.status().note;
  EXPECT_TRUE(inst.status().pending);

  // When the recorded payload is gone too, that is an error, not a guess.
  ASSERT_EQ(::unlink((dir() + "/current").c_str()), 0);
  ASSERT_EQ(::unlink((dir() + "/slot-b/payload").c_str()), 0);
  { Installer gone = std::move(inst); }
  auto broken = Installer::open(dir());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("missing"), std::string::npos) << broken.error();
}

TEST_F(InstallerTest, UnrecordedSwitchIsUndoneOnOpen) {
  // A crash after `current` was switched but before state.json recorded it.
  {
    auto inst = open_ok();
    ASSERT_TRUE(inst.install(src("1"), source("1", "one")));
    ASSERT_TRUE(inst.confirm());
  }
  ASSERT_TRUE(write_file_durable(dir() + "/slot-b/payload", "half-done"));
  ASSERT_EQ(::unlink((dir() + "/current").c_str()), 0);
  ASSERT_EQ(::symlink("slot-b", (dir() + "/current").c_str()), 0);
  auto inst = open_ok();
  EXPECT_EQ(current_link(), "slot-a");
  EXPECT_EQ(payload(), "one");
  EXPECT_FALSE(inst.status().note.empty());
}

TEST_F(InstallerTest, CurrentWithoutStateOrOfUnknownShapeIsRefused) {
  ASSERT_TRUE(Installer::open(dir()));
  ASSERT_EQ(::symlink("slot-a", (dir() + "/current").c_str()), 0);
  auto no_state = Installer::open(dir());
  ASSERT_FALSE(no_state);
  EXPECT_NE(no_state.error().find("state.json"), std::string::npos) << no_state.error();

  ASSERT_EQ(::unlink((dir() + "/current").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (dir() + "/current").c_str()), 0);
  EXPECT_FALSE(Installer::open(dir()));
  ASSERT_EQ(::unlink((dir() + "/current").c_str()), 0);
  ASSERT_TRUE(write_file_durable(dir() + "/current", "not a link"));
  EXPECT_FALSE(Installer::open(dir()));
}

TEST_F(InstallerTest, KeepsExecuteBitsButNotGroupWrite) {
  auto inst = open_ok();
  const auto t = source("prog", "#!/bin/sh\n");
  ASSERT_EQ(::chmod(src("prog").c_str(), 0775), 0);
  ASSERT_TRUE(inst.install(src("prog"), t));
  struct stat st {};
  ASSERT_EQ(::stat(inst.payload_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

}  // namespace
}  // namespace warden::update
