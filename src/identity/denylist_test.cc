// The deny-list shared by the relay and the enrollment server: parser, checks, file loading.
#include "identity/denylist.h"

#include <gtest/gtest.h>

#include <string>

#include "core/file.h"
#include "core/temp_dir.h"

namespace warden::identity {
namespace {

const std::string kHexA(64, 'a');
const std::string kHexB = std::string(63, '0') + "B";

TEST(DenyList, ParsesAndChecks) {
  auto dl = DenyList::parse("# revoked\nspki " + kHexA + "\n  device acme:cam-9 # stolen\n" +
                            "device evil:*\nca " + kHexB + "\n\n");
  ASSERT_TRUE(dl) << dl.error().str();
  EXPECT_EQ(dl->size(), 4u);
  const Sha256 a = *parse_sha256_hex(kHexA), b = *parse_sha256_hex(kHexB), z{};
  EXPECT_EQ(*dl->check(a, "acme", "cam-1", nullptr, 0), "spki");
  EXPECT_EQ(*dl->check(z, "acme", "cam-9", nullptr, 0), "device");
  EXPECT_EQ(*dl->check(z, "evil", "x", nullptr, 0), "tenant");
  EXPECT_EQ(*dl->check(z, "acme", "cam-1", &b, 1), "ca");
  EXPECT_FALSE(dl->check(z, "acme", "cam-1", &z, 1));
  EXPECT_EQ(sha256_hex(b), std::string(63, '0') + "b");
}

TEST(DenyList, ErrorsCarryLineNumbers) {
  auto e1 = DenyList::parse("spki " + kHexA + "\nspki abc\n");
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().line, 2u);
  auto e2 = DenyList::parse("\n\ncert " + kHexA);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().line, 3u);
  EXPECT_FALSE(DenyList::parse("device acme"));
  EXPECT_FALSE(DenyList::parse("device acme:cam/1"));
  EXPECT_FALSE(DenyList::parse("spki"));
  EXPECT_TRUE(deny_line("spki", std::string(64, 'A')));
  EXPECT_EQ(*deny_line("spki", std::string(64, 'A')), "spki " + kHexA);
  EXPECT_FALSE(deny_line("device", "acme:a\nspki x"));
  EXPECT_FALSE(deny_line("device", "nope"));
}

TEST(DenyList, LoadsFilesAndNamesTheFileInErrors) {
  TempDir tmp("denylist");
  const std::string path = tmp.path() + "/deny.list";
  auto missing = load_deny_list(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find(path), std::string::npos) << missing.error();

  ASSERT_TRUE(write_file_durable(path, "device acme:cam-1\n"));
  auto ok = load_deny_list(path);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->size(), 1u);

  ASSERT_TRUE(write_file_durable(path, "device acme:cam-1\nspki nope\n"));
  auto bad = load_deny_list(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "deny-list " + path +
                             ": line 2: spki wants 64 hex digits (SHA-256 of the "
                             "SubjectPublicKeyInfo)");

  // Bounded: a runaway file is refused, not read into memory.
  ASSERT_TRUE(write_file_durable(path, std::string(kMaxDenyListBytes + 1, '#')));
  EXPECT_FALSE(load_deny_list(path));
}

}  // namespace
}  // namespace warden::identity
