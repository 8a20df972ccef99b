#include "capture/pcap_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "capture/file_format.h"
#include "capture/mapped_file.h"

namespace warden::capture {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("warden_capture_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::vector<std::byte> payload(std::size_t n, int seed) {
  std::vector<std::byte> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i * 13 + seed);
  return b;
}

void round_trip(bool nanosecond) {
  const std::string path = temp_path(nanosecond ? "rt_ns.pcap" : "rt_us.pcap");
  struct Rec {
    Timestamp ts;
    std::size_t len;
    std::uint32_t wire;
  };
  const Rec recs[] = {{1700000000123456789, 60, 60},
                      {1700000000123456999, 0, 0},
                      {1700000001000000000, 1514, 9000},
                      {1700000002999999999, 100, 50},     // wire < captured: raised
                      {1700000003000000001, 3000, 3000},  // cut to the snap length
                      {-1, 10, 10}};                      // 1969: seconds wrap
  {
    auto w = PcapWriter::open(path, kLinkLinuxSll, nanosecond, 2000);
    ASSERT_TRUE(w.has_value()) << w.error();
    int seed = 0;
    for (const auto& r : recs) w->write(r.ts, payload(r.len, seed++), r.wire);
    EXPECT_EQ(w->packets(), std::size(recs));
    auto closed = w->close();
    EXPECT_TRUE(closed.has_value());
    EXPECT_TRUE(w->close().has_value());  // idempotent
  }
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.has_value()) << file.error();
  auto p = FileParser::open(file->bytes());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->format(), FileFormat::kPcap);
  EXPECT_EQ(p->snaplen(), 2000u);
  int seed = 0;
  for (const auto& r : recs) {
    SCOPED_TRACE(seed);
    auto f = p->next();
    ASSERT_TRUE(f);
    std::size_t caplen = std::min<std::size_t>(r.len, 2000);
    Timestamp want = r.ts;
    if (!nanosecond) want -= ((want % 1000) + 1000) % 1000;     // floored to the microsecond
    if (r.ts < 0) want += (std::int64_t{1} << 32) * kNsPerSec;  // u32 seconds wrapped
    EXPECT_EQ(f->ts, want);
    EXPECT_EQ(f->link_type, kLinkLinuxSll);
    EXPECT_EQ(f->wire_length, std::max<std::uint32_t>(r.wire, static_cast<std::uint32_t>(caplen)));
    auto want_bytes = payload(r.len, seed++);
    ASSERT_EQ(f->data.size(), caplen);
    EXPECT_TRUE(std::equal(f->data.begin(), f->data.end(), want_bytes.begin()));
  }
  EXPECT_FALSE(p->next());
  EXPECT_FALSE(p->error());
  std::remove(path.c_str());
}

TEST(PcapWriter, RoundTripMicroseconds) { round_trip(false); }
TEST(PcapWriter, RoundTripNanoseconds) { round_trip(true); }

TEST(PcapWriter, ManyPacketsCrossTheBuffer) {
  const std::string path = temp_path("many.pcap");
  constexpr int kPackets = 20000;  // about 3 MiB: several buffer flushes
  {
    auto w = PcapWriter::open(path, kLinkEthernet);
    ASSERT_TRUE(w.has_value());
    PcapWriter moved = std::move(*w);  // the writer is movable mid-stream
    for (int i = 0; i < kPackets; ++i) {
      moved.write(Timestamp{i} * 1000, payload(static_cast<std::size_t>(40 + i % 200), i));
    }
  }  // the destructor flushes
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.has_value());
  auto p = FileParser::open(file->bytes());
  ASSERT_TRUE(p.has_value());
  int n = 0;
  while (auto f = p->next()) {
    ASSERT_EQ(f->ts, Timestamp{n} * 1000);
    ASSERT_EQ(f->data.size(), static_cast<std::size_t>(40 + n % 200));
    ASSERT_EQ(f->data[3], static_cast<std::byte>(3 * 13 + n));
    ++n;
  }
  EXPECT_EQ(n, kPackets);
  EXPECT_FALSE(p->error());
  std::remove(path.c_str());
}

TEST(PcapWriter, ReadableErrors) {
  auto w = PcapWriter::open("/nonexistent-dir/x.pcap", kLinkEthernet);
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().find("/nonexistent-dir/x.pcap"), std::string::npos);
  EXPECT_NE(w.error().find("No such file"), std::string::npos);
  EXPECT_FALSE(PcapWriter::open(temp_path("bad.pcap"), kLinkEthernet, false, 0).has_value());
}

TEST(PcapWriter, FullDiskIsReportedByClose) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto w = PcapWriter::open("/dev/full", kLinkEthernet);
  ASSERT_TRUE(w.has_value());
  auto data = payload(1000, 1);
  for (int i = 0; i < 2000; ++i) w->write(i, data);
  auto closed = w->close();
  ASSERT_FALSE(closed.has_value());
  EXPECT_NE(closed.error().find("No space left"), std::string::npos);
}

TEST(MappedFile, ErrorsCarryTheReason) {
  auto m = MappedFile::open("/nonexistent/file.pcap");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), "/nonexistent/file.pcap: No such file or directory");
  auto dir = MappedFile::open("/tmp");
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error(), "/tmp: not a regular file");
}

TEST(MappedFile, EmptyFileIsAnEmptySpan) {
  const std::string path = temp_path("empty.pcap");
  { std::ofstream(path, std::ios::binary); }
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m.has_value()) << m.error();
  EXPECT_TRUE(m->bytes().empty());
  auto p = FileParser::open(m->bytes());
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().reason, "empty file");
  std::remove(path.c_str());
}

TEST(MappedFile, MoveKeepsTheMapping) {
  const std::string path = temp_path("move.bin");
  { std::ofstream(path, std::ios::binary) << "hello mapped world"; }
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m.has_value());
  Bytes before = m->bytes();
  MappedFile a = std::move(*m);
  EXPECT_EQ(a.bytes().data(), before.data());
  EXPECT_EQ(as_string_view(a.bytes()), "hello mapped world");
  EXPECT_TRUE(m->bytes().empty());  // NOLINT: moved-from is empty by contract
  MappedFile b;
  b = std::move(a);
  EXPECT_EQ(as_string_view(b.bytes()), "hello mapped world");
  EXPECT_EQ(b.size(), 18u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace warden::capture
