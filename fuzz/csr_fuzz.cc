// Fuzzes the CSR validator: the bytes a device posts to the enrollment server (after base64)
// or a file given to `warden pki sign-csr`, PEM or DER. Beyond "no crash": whatever validates
// has a verifying signature, an accepted key type and a well-formed device URN.
#include <cstddef>
#include <cstdint>
#include <span>

#include "pki/csr.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  auto csr = pki::parse_csr(std::as_bytes(std::span(data, size)));
  if (!csr) {
    if (csr.error().empty()) __builtin_trap();
    return 0;
  }
  if (size > pki::kMaxCsrBytes) __builtin_trap();
  if (!identity::parse_device_urn(csr->id.urn())) __builtin_trap();
  if (X509_REQ_verify(csr->req.get(), csr->key.get()) != 1) __builtin_trap();
  if (identity::key_type_of(csr->key.get()) != csr->key_type) __builtin_trap();
  return 0;
}
