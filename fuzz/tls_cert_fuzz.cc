// Fuzzes the certificate analysis of check_tls: untrusted DER (what any server on the LAN sends)
// through d2i_X509 and the facts extraction, then the judgement into findings. Checks that the
// extracted strings stay bounded and printable whatever the certificate says.
#include <cstddef>
#include <cstdint>

#include "scan/tls.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::scan;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto facts = analyse_certificate_der(bytes);
  if (!facts) {
    if (facts.error().reason.empty()) __builtin_trap();
    return 0;
  }
  if (facts->alt_names.size() > CertFacts::kMaxAltNames) __builtin_trap();
  for (const std::string* s : {&facts->subject, &facts->issuer, &facts->common_name}) {
    if (s->size() > 256) __builtin_trap();
    for (char c : *s) {
      if (c < 0x20 || c > 0x7e) __builtin_trap();
    }
  }
  if (!facts->spki_sha256.empty() && facts->spki_sha256.size() != 64) __builtin_trap();
  if (facts->self_signed && !facts->self_issued) __builtin_trap();
  HostReport host;
  report_certificate(*facts, 443, 1796169600, host);
  for (const auto& f : host.findings) {
    if (f.kind == nullptr || f.evidence.size() > 300 || f.kind->id.substr(0, 4) != "tls.") {
      __builtin_trap();
    }
  }
  return 0;
}
