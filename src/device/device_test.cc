#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "core/temp_dir.h"
#include "device/backoff.h"
#include "device/renewal.h"
#include "device/store.h"
#include "device/tls_client.h"

namespace warden::device {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, FullJitterGrowsToTheCapAndResets) {
  Backoff b(milliseconds(100), milliseconds(5000), 42);
  const std::int64_t ceilings[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
  for (const std::int64_t ceiling : ceilings) {
    EXPECT_EQ(b.ceiling().count(), ceiling);
    const auto wait = b.next();
    EXPECT_GE(wait.count(), 0);
    EXPECT_LE(wait.count(), ceiling);
  }
  for (int i = 0; i < 200; ++i) EXPECT_LE(b.next().count(), 5000) << "no overflow past the cap";
  b.reset();
  EXPECT_EQ(b.ceiling().count(), 100);
}

TEST(Backoff, DevicesSpreadOut) {
  // A fleet restarting together must not retry together: 100 devices' third retries spread
  // over the window instead of landing on one instant.
  std::set<std::int64_t> waits;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Backoff b(milliseconds(1000), milliseconds(60000), seed);
    b.next();
    b.next();
    waits.insert(b.next().count());
  }
  EXPECT_GT(waits.size(), 90u);
  EXPECT_LT(*waits.begin(), 1000);
  EXPECT_GT(*waits.rbegin(), 3000);
}

TEST(Renewal, DueWhenAThirdOfTheLifetimeIsLeft) {
  const std::int64_t day = 86400;
  EXPECT_EQ(renew_at(0, 90 * day), 60 * day);
  EXPECT_EQ(cert_state(0, 90 * day, 10 * day), CertState::kValid);
  EXPECT_EQ(cert_state(0, 90 * day, 60 * day), CertState::kRenewDue);
  EXPECT_EQ(cert_state(0, 90 * day, 90 * day), CertState::kExpired);
  EXPECT_EQ(cert_state(day, 90 * day, 0), CertState::kNotYetValid);
  EXPECT_EQ(renew_at(5, 5), 5) << "a nonsensical certificate is due at once";
}

TEST(Endpoint, Parses) {
  auto e = parse_endpoint("relay.example:8883");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->host, "relay.example");
  EXPECT_EQ(e->port, 8883);
  auto v6 = parse_endpoint("[::1]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->str(), "[::1]:443");
  EXPECT_FALSE(parse_endpoint("nohost"));
  EXPECT_FALSE(parse_endpoint("h:0"));
  EXPECT_FALSE(parse_endpoint("h:65536"));
  EXPECT_FALSE(parse_endpoint("h:80x"));
  EXPECT_FALSE(parse_endpoint("[::1]443"));
}

TEST(CredentialStore, KeyIsCreatedOncePrivateAndCertMustMatch) {
  TempDir tmp;
  CredentialStore store(tmp.path() + "/creds");
  ASSERT_TRUE(store.init());
  struct stat st {};
  ASSERT_EQ(::stat(store.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto key = store.load_or_create_key(identity::KeyType::kP256);
  ASSERT_TRUE(key) << key.error();
  ASSERT_EQ(::stat(store.key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = store.load_or_create_key(identity::KeyType::kEd25519);
  ASSERT_TRUE(again);
  EXPECT_EQ(EVP_PKEY_eq(key->get(), again->get()), 1) << "the key is made once";
  EXPECT_FALSE(store.has_cert());

  // A certificate for another key is refused: the device would lock itself out.
  auto other = identity::generate_key(identity::KeyType::kP256);
  identity::X509Ptr cert(X509_new());
  X509_set_pubkey(cert.get(), other->get());
  X509_sign(cert.get(), other->get(), EVP_sha256());
  auto saved = store.save_cert(cert.get());
  ASSERT_FALSE(saved);
  EXPECT_NE(saved.error().find("does not match"), std::string::npos);
  EXPECT_FALSE(store.save_server_ca("not a certificate"));
}

TEST(TlsClient, RefusesAnEmptyPin) {
  auto client = TlsClient::create("", nullptr, nullptr);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().find("server CA"), std::string::npos);
}

}  // namespace
}  // namespace warden::device
