#include "core/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/temp_dir.h"

namespace warden {
namespace {

TEST(File, DurableWriteReplacesWithTheRequestedMode) {
  TempDir dir;
  const std::string path = dir.path() + "/state";
  ASSERT_TRUE(write_file_durable(path, "one", 0600));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(write_file_durable(path, "two, longer"));
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "the mode is exact, not filtered by the umask";
  auto text = read_file(path);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text, "two, longer");
  // No temporary is left beside the target.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(File, ErrorsNameThePathAndTheCause) {
  TempDir dir;
  auto missing = write_file_durable(dir.path() + "/no/such/dir/f", "x");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
  auto absent = read_file(dir.path() + "/absent");
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().find("absent"), std::string::npos);
  ASSERT_TRUE(write_file_durable(dir.path() + "/big", std::string(100, 'x')));
  auto too_big = read_file(dir.path() + "/big", 99);
  ASSERT_FALSE(too_big);
  EXPECT_TRUE(read_file(dir.path() + "/big", 100));
  EXPECT_FALSE(read_file(dir.path())) << "a directory is not a regular file";
}

}  // namespace
}  // namespace warden

namespace warden {
namespace {

TEST(FileLock, OneOwnerAtATime) {
  TempDir dir;
  const std::string path = dir.path() + "/.lock";
  {
    auto first = FileLock::acquire(path);
    ASSERT_TRUE(first) << first.error();
    auto second = FileLock::acquire(path);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("locked by another process"), std::string::npos)
        << second.error();
    FileLock moved = std::move(*first);  // moving keeps the lock held
    EXPECT_FALSE(FileLock::acquire(path));
  }
  EXPECT_TRUE(FileLock::acquire(path));  // released with its owner
  EXPECT_FALSE(FileLock::acquire(dir.path() + "/no/such/dir/.lock"));
}

}  // namespace
}  // namespace warden
