#include "flow/app_proto.h"

namespace warden::flow {

std::string_view app_proto_name(AppProto p) {
  static constexpr std::string_view kNames[] = {
#define WARDEN_APP_NAME(id, name) name,
      WARDEN_APP_PROTOS(WARDEN_APP_NAME)
#undef WARDEN_APP_NAME
  };
  auto i = static_cast<std::size_t>(p);
  return i < static_cast<std::size_t>(AppProto::kCount) ? kNames[i] : "Unknown";
}

}  // namespace warden::flow
