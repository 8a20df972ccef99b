#include "identity/ossl.h"

#include <openssl/err.h>

namespace warden::identity {

std::string ossl_error(std::string_view context) {
  std::string out(context);
  bool first = true;
  // ERR_get_error pops the oldest error; the last one is usually the most specific, but the
  // whole chain is short and each link helps ("unknown ca" after "certificate verify failed").
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += first ? ": " : "; ";
    first = false;
    // ERR_error_string_n gives "error:0A000086:SSL routines::certificate verify failed"; the
    // reason after the last ':' is what a user can act on.
    const std::string_view text(buf);
    const auto colon = text.rfind(':');
    out += colon == std::string_view::npos ? text : text.substr(colon + 1);
  }
  return out;
}

void ossl_clear_errors() { ERR_clear_error(); }

}  // namespace warden::identity
