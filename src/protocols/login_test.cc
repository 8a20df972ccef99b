#include "protocols/login.h"

#include <gtest/gtest.h>

#include <string>

namespace warden::protocols {
namespace {

using namespace std::string_view_literals;

Bytes b(std::string_view s) {
  return Bytes(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

TEST(LoginTracker, FtpUserThenPassIsOneLoginWithoutThePassword) {
  LoginTracker t(LoginTracker::Protocol::kFtp);
  t.server(b("220 ready\r\n"));
  EXPECT_FALSE(t.client(b("USER admin\r\n")));
  auto login = t.client(b("PASS hunter2\r\n"));
  ASSERT_TRUE(login);
  EXPECT_EQ(login->protocol, "FTP");
  EXPECT_EQ(login->username, "admin");
  EXPECT_TRUE(login->password_sent);
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.client(b("USER again\r\nPASS x\r\n")));  // one login per conversation
}

TEST(LoginTracker, FtpCommandSplitAcrossSegmentsAndAnonymousListing) {
  LoginTracker t(LoginTracker::Protocol::kFtp);
  EXPECT_FALSE(t.client(b("US")));
  EXPECT_FALSE(t.client(b("ER bob\r")));
  EXPECT_FALSE(t.client(b("\nSYST\r\n")));
  auto login = t.client(b("pass x\r\n"));  // verbs are case-insensitive
  ASSERT_TRUE(login);
  EXPECT_EQ(login->username, "bob");
  LoginTracker none(LoginTracker::Protocol::kFtp);
  EXPECT_FALSE(none.client(b("PASS orphan\r\nLIST\r\n")));  // no USER before it
}

TEST(LoginTracker, TelnetPromptsAndTypingOneKeyPerSegment) {
  LoginTracker t(LoginTracker::Protocol::kTelnet);
  t.server(b("\xff\xfd\x18\xff\xfd\x20"));  // negotiation only
  EXPECT_FALSE(t.client(b("\xff\xfb\x18")));
  t.server(b("\r\nBusyBox v1.19 (router)\r\nlogin: "));
  for (char c : std::string("roott")) EXPECT_FALSE(t.client(b(std::string(1, c))));
  EXPECT_FALSE(t.client(b("\x7f")));  // delete the extra 't', as typed
  EXPECT_FALSE(t.client(b("\r\n")));
  t.server(b("root\r\nPassword: "));
  EXPECT_FALSE(t.client(b("x")));
  EXPECT_FALSE(t.client(b("c")));
  auto login = t.client(b("\r\0"sv));
  ASSERT_TRUE(login);
  EXPECT_EQ(login->protocol, "Telnet");
  EXPECT_EQ(login->username, "root");
}

TEST(LoginTracker, TelnetWithoutPromptsReportsNothing) {
  LoginTracker t(LoginTracker::Protocol::kTelnet);
  t.server(b("Welcome\r\n$ "));
  EXPECT_FALSE(t.client(b("ls -l\r\n")));
  EXPECT_FALSE(t.client(b("exit\r\n")));
  EXPECT_FALSE(t.done());
}

TEST(TelnetText, DropsCommandsAndKeepsEscapedFf) {
  EXPECT_EQ(telnet_text(b("\xff\xfb\x01hi\xff\xfa\x18\x00VT100\xff\xf0!\xff\xff"sv)),
            std::string("hi!\xff"));
}

}  // namespace
}  // namespace warden::protocols
