// pcap_loop: builds a benchmark capture by replaying real captures end to end until it holds
// at least N packets. Each pass is shifted forward in time past the previous one (so capture
// time only moves forward, as on a live link) and its IPv4 addresses are varied per pass in
// the last octet of private addresses, so passes form new flows the way new sessions would
// instead of resuming the previous pass's flows. Only Ethernet frames are kept (one link type
// per pcap file, which every peer tool can read).
// Usage: pcap_loop OUT.pcap MIN_PACKETS CAPTURE...
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "capture/file_format.h"
#include "capture/mapped_file.h"
#include "capture/pcap_writer.h"

int main(int argc, char** argv) {
  using namespace warden;
  if (argc < 4) {
    std::fprintf(stderr, "usage: pcap_loop OUT.pcap MIN_PACKETS CAPTURE...\n");
    return 2;
  }
  const long long want = std::atoll(argv[2]);
  std::vector<capture::MappedFile> files;
  for (int i = 3; i < argc; ++i) {
    auto m = capture::MappedFile::open(argv[i]);
    if (!m) {
      std::fprintf(stderr, "pcap_loop: %s\n", m.error().c_str());
      return 1;
    }
    files.push_back(std::move(*m));
  }
  auto w = capture::PcapWriter::open(argv[1], kLinkEthernet);
  if (!w) {
    std::fprintf(stderr, "pcap_loop: %s\n", w.error().c_str());
    return 1;
  }
  long long written = 0;
  Timestamp offset = 0, last = 0;
  std::vector<std::byte> buf;
  for (int pass = 0; written < want; ++pass) {
    long long before = written;
    for (const auto& f : files) {
      auto p = capture::FileParser::open(f.bytes());
      if (!p) continue;
      Timestamp first = -1;
      while (auto fr = p->next()) {
        if (fr->link_type != kLinkEthernet) continue;
        if (first < 0) first = fr->ts;
        // Each capture's own time base is replaced: packets keep their spacing, files follow
        // each other with one second between them.
        Timestamp ts = offset + (fr->ts - first);
        if (ts < last) ts = last;
        last = ts;
        buf.assign(fr->data.begin(), fr->data.end());
        // Vary private IPv4 host octets per pass: 14 = Ethernet header, 12/16 = src/dst.
        if (buf.size() >= 34 && buf[12] == std::byte{0x08} && buf[13] == std::byte{0x00}) {
          for (std::size_t at : {std::size_t{14 + 12}, std::size_t{14 + 16}}) {
            auto a = static_cast<unsigned>(buf[at]), b = static_cast<unsigned>(buf[at + 1]);
            bool priv = a == 10 || (a == 192 && b == 168) || (a == 172 && (b & 0xf0) == 16);
            if (priv) buf[at + 2] = std::byte(static_cast<unsigned>(buf[at + 2]) ^ (pass & 0xff));
          }
        }
        w->write(ts, buf, fr->wire_length);
        ++written;
      }
      offset = last + kNsPerSec;
    }
    if (written == before) {
      std::fprintf(stderr, "pcap_loop: no Ethernet frames in the inputs\n");
      return 1;
    }
  }
  auto r = w->close();
  if (!r) {
    std::fprintf(stderr, "pcap_loop: %s\n", r.error().c_str());
    return 1;
  }
  std::printf("%lld packets\n", written);
  return 0;
}
