#include "sqlite/db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/temp_dir.h"

namespace warden::sqlite {
namespace {

TEST(Sqlite, OpensWithTheSchemaAndBinds) {
  TempDir dir;
  const std::string path = dir.path() + "/t.db";
  auto db = open(path, "CREATE TABLE IF NOT EXISTS t(a TEXT, b INTEGER);", {.private_file = true});
  ASSERT_TRUE(db) << db.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    Stmt ins(*db, "INSERT INTO t VALUES (?, ?)");
    ASSERT_TRUE(ins);
    ins.text(1, "x");
    ins.integer(2, 42);
    EXPECT_EQ(sqlite3_step(ins.s), SQLITE_DONE);
    Stmt q(*db, "SELECT a, b FROM t");
    ASSERT_EQ(sqlite3_step(q.s), SQLITE_ROW);
    EXPECT_EQ(q.column(0), "x");
    EXPECT_EQ(q.column(1), "42");
    Stmt bad(*db, "SELECT nope FROM t");
    EXPECT_FALSE(bad);
  }
  sqlite3_close(*db);
  auto again = open(path, "CREATE TABLE IF NOT EXISTS t(a TEXT, b INTEGER);");
  ASSERT_TRUE(again) << "the schema is idempotent";
  sqlite3_close(*again);
}

TEST(Sqlite, ErrorsNameThePath) {
  TempDir dir;
  auto missing = open(dir.path() + "/no/such/dir/t.db", "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/no/such/dir/t.db"), std::string::npos);
  auto bad_schema = open(dir.path() + "/t.db", "CREATE TABLE (");
  ASSERT_FALSE(bad_schema);
  EXPECT_NE(bad_schema.error().find("t.db: "), std::string::npos) << bad_schema.error();
}

}  // namespace
}  // namespace warden::sqlite
