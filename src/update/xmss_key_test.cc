#include "update/xmss_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/file.h"
#include "core/temp_dir.h"

namespace warden::update {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Each test makes its own key: Botan 2 keeps a key's index in a process-wide registry, so
// copies of one key would share their signature counter across tests.
class Xmss : public ::testing::Test {
 protected:
  std::string fresh(const std::string& name) {
    const std::string path = dir_.path() + "/" + name;
    auto key = XmssKey::generate(path, XmssHeight::k10);
    EXPECT_TRUE(key) << key.error();
    return path;
  }
  // Rewrites the index inside a key file and its mark (as a tool that edits state would).
  void set_index(const std::string& path, std::uint32_t index) {
    auto raw = *read_file(path);
    const std::size_t at = 4 + 2 * 32;  // after the raw public key: OID, root, public seed
    for (int i = 0; i < 4; ++i) raw[at + i] = static_cast<char>(index >> (8 * (3 - i)));
    ASSERT_TRUE(write_file_durable(path, raw, 0600));
    ASSERT_TRUE(write_file_durable(path + ".index", std::to_string(index) + "\n", 0600));
  }
  TempDir dir_;
};

TEST_F(Xmss, SignsVerifiesAndAdvancesDurably) {
  const std::string path = fresh("a.key");
  auto key = XmssKey::open(path);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(key->capacity(), 1024u);
  EXPECT_EQ(key->next_index(), 0u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const auto msg = bytes("targets.json v7");
  auto sig = key->sign(msg);
  ASSERT_TRUE(sig) << sig.error();
  EXPECT_TRUE(xmss_verify(key->public_key(), msg, *sig));
  EXPECT_FALSE(xmss_verify(key->public_key(), bytes("targets.json v8"), *sig));
  auto tampered = *sig;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(xmss_verify(key->public_key(), msg, tampered));
  EXPECT_FALSE(xmss_verify(key->public_key(), msg, std::vector<std::uint8_t>(10)));
  EXPECT_FALSE(xmss_verify(std::vector<std::uint8_t>(7), msg, *sig));
  EXPECT_EQ(key->next_index(), 1u);
  EXPECT_EQ(*read_file(path + ".index"), "1\n");

  // Two signatures never share a leaf, and the state on disk is ahead of both.
  auto sig2 = key->sign(msg);
  ASSERT_TRUE(sig2);
  EXPECT_NE(*sig, *sig2);
  auto reopened = XmssKey::open(path);
  ASSERT_TRUE(reopened) << reopened.error();
  EXPECT_EQ(reopened->next_index(), 2u);
  EXPECT_EQ(reopened->public_key(), key->public_key());
}

TEST_F(Xmss, AKeyThatWentBackwardsIsRefused) {
  const std::string path = fresh("b.key");
  const std::string backup = dir_.path() + "/b.key.backup";
  std::filesystem::copy_file(path, backup);
  {
    auto key = XmssKey::open(path);
    ASSERT_TRUE(key);
    ASSERT_TRUE(key->sign(bytes("one")));
    ASSERT_TRUE(key->sign(bytes("two")));
  }
  // The operator restores yesterday's backup of the key file: its index is 0, the mark says 2.
  std::filesystem::copy_file(backup, path, std::filesystem::copy_options::overwrite_existing);
  auto refused = XmssKey::open(path);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("went backwards"), std::string::npos) << refused.error();

  std::filesystem::remove(path + ".index");
  auto no_mark = XmssKey::open(path);
  ASSERT_FALSE(no_mark);
  EXPECT_NE(no_mark.error().find("missing"), std::string::npos) << no_mark.error();
}

TEST_F(Xmss, RefusesGarbageAndOverwrites) {
  const std::string path = fresh("c.key");
  auto again = XmssKey::generate(path, XmssHeight::k10);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("refusing to overwrite"), std::string::npos);
  ASSERT_TRUE(write_file_durable(dir_.path() + "/junk.key", "not a key", 0600));
  ASSERT_TRUE(write_file_durable(dir_.path() + "/junk.key.index", "0\n", 0600));
  auto junk = XmssKey::open(dir_.path() + "/junk.key");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().find("not an XMSS private key"), std::string::npos) << junk.error();
  ASSERT_TRUE(write_file_durable(path + ".index", "seven\n", 0600));
  EXPECT_FALSE(XmssKey::open(path));
}

TEST_F(Xmss, BudgetIsShownAndExhaustionRefused) {
  const std::string path = fresh("d.key");
  {
    auto key = XmssKey::open(path);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->remaining(), 1024u);
    EXPECT_TRUE(key->budget_warning().empty());
  }
  // Signing 922 times would take minutes in a sanitizer build; the budget needs only the index.
  set_index(path, 922);
  {
    auto key = XmssKey::open(path);
    ASSERT_TRUE(key) << key.error();
    EXPECT_EQ(key->remaining(), 102u);
    EXPECT_NE(key->budget_warning().find("only 102 of 1024"), std::string::npos)
        << key->budget_warning();
  }
  set_index(path, 1023);
  auto key = XmssKey::open(path);
  ASSERT_TRUE(key) << key.error();
  ASSERT_TRUE(key->sign(bytes("the last one")));
  EXPECT_EQ(key->remaining(), 0u);
  auto refused = key->sign(bytes("m"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("all 1024 signatures"), std::string::npos) << refused.error();
  auto reopened = XmssKey::open(path);
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().find("all 1024 signatures"), std::string::npos) << reopened.error();
}

}  // namespace
}  // namespace warden::update
