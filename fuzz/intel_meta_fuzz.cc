// Fuzzes the intel store's metadata parser (NAME.meta files sit in a directory other users or
// a damaged disk may have written) and checks that whatever it accepts is written back in a
// form it reads identically.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "intel/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto meta = intel::parse_meta(text);
  if (!meta) return 0;
  if (!intel::valid_list_name(meta->name) || meta->source.empty()) __builtin_trap();
  auto again = intel::parse_meta(intel::render_meta(*meta));
  if (!again) __builtin_trap();
  const auto& a = *meta;
  const auto& b = *again;
  if (a.name != b.name || a.source != b.source || a.kind != b.kind || a.column != b.column ||
      a.column_name != b.column_name || a.added != b.added || a.last_refresh != b.last_refresh ||
      a.last_success != b.last_success || a.bytes != b.bytes || a.etag != b.etag ||
      a.last_modified != b.last_modified || a.last_error != b.last_error ||
      a.counts.ips != b.counts.ips || a.counts.cidrs != b.counts.cidrs ||
      a.counts.domains != b.counts.domains || a.counts.ja3 != b.counts.ja3 ||
      a.counts.skipped != b.counts.skipped)
    __builtin_trap();
  return 0;
}
