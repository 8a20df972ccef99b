// Fuzzes MUD signature verification (the signature is fetched from a URL named in an
// attacker-controlled MUD file): the input is the signature, DER or PEM; the content and the
// trust anchor are fixed (the test CA of tests/data/mud/pki, embedded so the target needs no
// files), so seeds signed by the test signer reach the certificate and content checks.
// verify_signature never crashes, leaks or accepts bytes beyond its limit, and an accepted
// signature names its signer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mud/signature.h"

namespace {

// The bytes the seed corpus signs (fuzz/corpus/mud_signature/README).
constexpr std::string_view kContent =
    "{\"ietf-mud:mud\": {\"mud-url\": \"https://mud.example.com/fuzz.json\"}}\n";

constexpr const char* kTestCa =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmTCCAT+gAwIBAgIBATAKBggqhkjOPQQDAjAzMRQwEgYDVQQKDAtXYXJkZW4g\n"
    "VGVzdDEbMBkGA1UEAwwSV2FyZGVuIFRlc3QgTVVEIENBMCAXDTAwMDEwMTAwMDAw\n"
    "MFoYDzIxMDAwMTAxMDAwMDAwWjAzMRQwEgYDVQQKDAtXYXJkZW4gVGVzdDEbMBkG\n"
    "A1UEAwwSV2FyZGVuIFRlc3QgTVVEIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "QgAEp7czcfLuoOLDOdPMgCmpMH9vxpiLk7CYGws3THx8x3mYK330D/8nmtcwyKLZ\n"
    "zFngxSHd1qS3ckVCR6ReLOAEFaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\n"
    "Af8EBAMCAQYwHQYDVR0OBBYEFP1QIwTR8Bo1FZWMfrgYSLpnGCYbMAoGCCqGSM49\n"
    "BAMCA0gAMEUCIQCgEsoLLPSjAGGO2TS0eRI0OUv2n/hozKDkRPSnNqkO5AIgHu0u\n"
    "tIJJPculv2Mvv+ybg+JxlFRQQILxY9HzOkc/3dI=\n"
    "-----END CERTIFICATE-----\n";

const warden::mud::TrustStore& trust() {
  static const warden::mud::TrustStore store = [] {
    auto t = warden::mud::TrustStore::load({.ca_pem = kTestCa});
    if (!t) __builtin_trap();
    return std::move(*t);
  }();
  return store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::mud;
  std::string_view sig(reinterpret_cast<const char*>(data), size);
  auto r = verify_signature(kContent, sig, trust());
  if (r) {
    if (size > kMaxSignatureBytes || r->signer_subject.empty()) __builtin_trap();
  } else if (r.error().empty()) {
    __builtin_trap();
  }
  // The same signature over other bytes must never verify.
  if (size > 0 && verify_signature(std::string_view(kContent).substr(1), sig, trust()))
    __builtin_trap();
  return 0;
}
