// Fuzzes the capture file reader: open() and next() to the end, over pcap and pcapng input.
// Checks the parser's own promises too: frames lie inside the input, offsets only grow, and an
// error's offset is inside the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "capture/file_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  Bytes file(reinterpret_cast<const std::byte*>(data), size);
  auto p = capture::FileParser::open(file);
  if (!p) {
    (void)capture::describe_error(p.error(), file);
    return 0;
  }
  std::size_t last_offset = p->offset();
  std::uint64_t sum = 0;
  while (auto f = p->next()) {
    if (f->data.size() > capture::kMaxFrameLength || f->wire_length < f->data.size()) std::abort();
    if (!f->data.empty() && (f->data.data() < file.data() ||
                             f->data.data() + f->data.size() > file.data() + file.size())) {
      std::abort();
    }
    if (p->offset() <= last_offset || p->offset() > size) std::abort();
    last_offset = p->offset();
    if (!f->data.empty()) sum += static_cast<std::uint8_t>(f->data.back());
    sum += capture::link_type_name(f->link_type).size();
  }
  if (p->error() && p->error()->offset >= size) std::abort();
  if (p->next()) std::abort();  // stays stopped
  return static_cast<int>(sum & 0);
}
