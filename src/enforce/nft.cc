#include "enforce/nft.h"

#include <nftables/libnftables.h>

namespace warden::enforce {
namespace {

nft_ctx* make_ctx(bool json) {
  nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!c) return nullptr;
  nft_ctx_buffer_output(c);
  nft_ctx_buffer_error(c);
  if (json) nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  return c;
}

// nft's error text: "<cmdline>:3:10-20: Error: ...", with the offending line echoed; the
// first line is what a person needs.
std::string first_error(nft_ctx* c) {
  std::string err = nft_ctx_get_error_buffer(c) ? nft_ctx_get_error_buffer(c) : "";
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (err.empty()) err = "nftables refused the change (no reason given)";
  return err;
}

}  // namespace

Result<std::unique_ptr<LibNftables>, std::string> LibNftables::open() {
  nft_ctx* a = make_ctx(false);
  nft_ctx* l = make_ctx(true);
  if (!a || !l) {
    if (a) nft_ctx_free(a);
    if (l) nft_ctx_free(l);
    return unexpected(std::string("cannot create an nftables context"));
  }
  return std::unique_ptr<LibNftables>(new LibNftables(a, l));
}

LibNftables::~LibNftables() {
  nft_ctx_free(apply_);
  nft_ctx_free(list_);
}

Result<bool, std::string> LibNftables::apply(std::string_view script) {
  std::lock_guard lock(apply_mu_);
  const std::string buf(script);
  if (nft_run_cmd_from_buffer(apply_, buf.c_str()) != 0) {
    std::string err = first_error(apply_);
    if (err.find("Operation not permitted") != std::string::npos)
      err += " (changing the packet filter needs root or CAP_NET_ADMIN)";
    return unexpected(std::move(err));
  }
  return true;
}

Result<std::string, std::string> LibNftables::list_json(std::string_view command) {
  std::lock_guard lock(list_mu_);
  const std::string buf(command);
  if (nft_run_cmd_from_buffer(list_, buf.c_str()) != 0) return unexpected(first_error(list_));
  const char* out = nft_ctx_get_output_buffer(list_);
  return std::string(out ? out : "");
}

Result<std::string, std::string> LibNftables::list_text(std::string_view command) {
  std::lock_guard lock(apply_mu_);
  const std::string buf(command);
  if (nft_run_cmd_from_buffer(apply_, buf.c_str()) != 0) return unexpected(first_error(apply_));
  const char* out = nft_ctx_get_output_buffer(apply_);
  return std::string(out ? out : "");
}

}  // namespace warden::enforce
