// Fuzzes the deny-list parser: the relay and the enrollment server re-read the file while they
// run, so a torn or hostile file must fail cleanly, never crash or half-apply.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "identity/denylist.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::identity;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = DenyList::parse(text);
  if (!list) {
    if (list.error().line == 0) __builtin_trap();
    return 0;
  }
  const Sha256 zero{};
  (void)list->check(zero, "acme", "cam-1", &zero, 1);
  return 0;
}
