#include "pki/tokens.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/temp_dir.h"

namespace warden::pki {
namespace {

const identity::DeviceId kCam{"acme", "cam-1"};
constexpr std::int64_t kNow = 1'800'000'000;

class Tokens : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = PkiDb::open(tmp_.path() + "/pki.db");
    ASSERT_TRUE(db) << db.error();
    db_ = std::move(*db);
  }
  TempDir tmp_{"pki-tokens"};
  std::unique_ptr<PkiDb> db_;
};

TEST_F(Tokens, AreRandomBase64UrlAndStoredOnlyAsAHash) {
  auto a = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  auto b = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->token.size(), 43u);  // 256 bits, base64url without padding
  EXPECT_NE(a->token, b->token);
  EXPECT_EQ(a->token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(a->expires_at, kNow + 3600);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_->handle(), "SELECT hash FROM tokens", -1, &st, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const std::string hash = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_NE(hash, a->token);
    ++rows;
  }
  sqlite3_finalize(st);
  EXPECT_EQ(rows, 2);
}

TEST_F(Tokens, AreSingleUse) {
  auto t = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  ASSERT_TRUE(t);
  EXPECT_TRUE(redeem_token(*db_, t->token, kCam, std::nullopt, kNow + 10));
  auto replay = redeem_token(*db_, t->token, kCam, std::nullopt, kNow + 11);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error(), TokenRefusal::kAlreadyUsed);
  EXPECT_EQ(refusal_text(replay.error()), "token already used (replay)");
}

TEST_F(Tokens, Expire) {
  auto t = create_token(*db_, kCam, std::nullopt, 60, kNow);
  ASSERT_TRUE(t);
  auto late = redeem_token(*db_, t->token, kCam, std::nullopt, kNow + 60);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), TokenRefusal::kExpired);
  EXPECT_TRUE(redeem_token(*db_, t->token, kCam, std::nullopt, kNow + 59));
}

TEST_F(Tokens, UnknownTokensAreRefused) {
  for (std::string_view bad : {"", "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto r = redeem_token(*db_, bad, kCam, std::nullopt, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), TokenRefusal::kUnknown);
  }
  EXPECT_FALSE(redeem_token(*db_, std::string(10000, 'a'), kCam, std::nullopt, kNow));
}

TEST_F(Tokens, AreBoundToTheirDeviceAndSerial) {
  auto t = create_token(*db_, kCam, std::string("SN-42"), 3600, kNow);
  ASSERT_TRUE(t);
  auto other = redeem_token(*db_, t->token, {"acme", "cam-2"}, "SN-42", kNow);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(), TokenRefusal::kDeviceMismatch);
  auto other_tenant = redeem_token(*db_, t->token, {"evil", "cam-1"}, "SN-42", kNow);
  ASSERT_FALSE(other_tenant);
  EXPECT_EQ(other_tenant.error(), TokenRefusal::kDeviceMismatch);
  for (std::optional<std::string_view> bad :
       {std::optional<std::string_view>{}, std::optional<std::string_view>{"SN-4"},
        std::optional<std::string_view>{"SN-43"}, std::optional<std::string_view>{"SN-420"}}) {
    auto r = redeem_token(*db_, t->token, kCam, bad, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), TokenRefusal::kSerialMismatch);
  }
  // Refusals do not spend the token; the right request still works, once.
  EXPECT_TRUE(redeem_token(*db_, t->token, kCam, "SN-42", kNow));
  EXPECT_FALSE(redeem_token(*db_, t->token, kCam, "SN-42", kNow));
}

TEST_F(Tokens, ConcurrentRedemptionHasOneWinner) {
  auto t = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  ASSERT_TRUE(t);
  // Separate connections to the same file, as separate processes would have.
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto db = PkiDb::open(tmp_.path() + "/pki.db");
      if (db && redeem_token(**db, t->token, kCam, std::nullopt, kNow)) ++wins;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_F(Tokens, CheckingDoesNotSpendAndARolledBackSpendIsUndone) {
  auto t = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  ASSERT_TRUE(t);
  auto claim = check_token(*db_, t->token, kCam, std::nullopt, kNow);
  ASSERT_TRUE(claim);
  ASSERT_TRUE(check_token(*db_, t->token, kCam, std::nullopt, kNow));
  {
    // Signing failed after the spend, say: the transaction is abandoned.
    PkiTransaction tx(*db_);
    ASSERT_TRUE(tx.ok()) << tx.error();
    EXPECT_TRUE(spend_token(*db_, *claim, kNow));
  }
  EXPECT_TRUE(check_token(*db_, t->token, kCam, std::nullopt, kNow));
  {
    PkiTransaction tx(*db_);
    ASSERT_TRUE(tx.ok());
    EXPECT_TRUE(spend_token(*db_, *claim, kNow));
    EXPECT_TRUE(tx.commit());
  }
  auto replay = check_token(*db_, t->token, kCam, std::nullopt, kNow);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error(), TokenRefusal::kAlreadyUsed);
  // A claim checked before the spend does not spend twice.
  auto again = spend_token(*db_, *claim, kNow);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), TokenRefusal::kAlreadyUsed);
  // Nor does one that expired between the check and the spend.
  auto late = create_token(*db_, kCam, std::nullopt, 60, kNow);
  ASSERT_TRUE(late);
  auto late_claim = check_token(*db_, late->token, kCam, std::nullopt, kNow + 59);
  ASSERT_TRUE(late_claim);
  auto expired = spend_token(*db_, *late_claim, kNow + 60);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), TokenRefusal::kExpired);
}

TEST_F(Tokens, ConcurrentCheckedSpendsInTransactionsHaveOneWinner) {
  auto t = create_token(*db_, kCam, std::nullopt, 3600, kNow);
  ASSERT_TRUE(t);
  // Every request passes the check before any spends: the transaction decides.
  std::atomic<int> checked{0}, wins{0}, replays{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto db = PkiDb::open(tmp_.path() + "/pki.db");
      if (!db) return;
      auto claim = check_token(**db, t->token, kCam, std::nullopt, kNow);
      if (!claim) return;
      ++checked;
      while (checked.load() < 4) std::this_thread::yield();
      PkiTransaction tx(**db);
      if (!tx.ok()) return;
      auto spent = spend_token(**db, *claim, kNow);
      if (!spent) {
        if (spent.error() == TokenRefusal::kAlreadyUsed) ++replays;
        return;
      }
      if (tx.commit()) ++wins;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(checked.load(), 4);
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(replays.load(), 3);
}

TEST_F(Tokens, LifetimeBounds) {
  EXPECT_FALSE(create_token(*db_, kCam, std::nullopt, 0, kNow));
  EXPECT_FALSE(create_token(*db_, kCam, std::nullopt, kMaxTokenTtl + 1, kNow));
  EXPECT_FALSE(create_token(*db_, kCam, std::string(), 60, kNow));
}

TEST(Duration, Parses) {
  EXPECT_EQ(parse_duration("24h"), 86400);
  EXPECT_EQ(parse_duration("90m"), 5400);
  EXPECT_EQ(parse_duration("30s"), 30);
  EXPECT_EQ(parse_duration("3600"), 3600);
  EXPECT_EQ(parse_duration("7d"), 7 * 86400);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("h"));
  EXPECT_FALSE(parse_duration("-1h"));
  EXPECT_FALSE(parse_duration("1x"));
  EXPECT_FALSE(parse_duration("99999999999999999999"));
}

TEST(Base64Url, MatchesRfc4648) {
  auto enc = [](std::string_view s) {
    return base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg");
  EXPECT_EQ(enc("fo"), "Zm8");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg");
  EXPECT_EQ(enc("\xfb\xff"), "-_8");
}

}  // namespace
}  // namespace warden::pki
