// The one door to the kernel's packet filter. Scripts go in through libnftables, each buffer
// one transaction: it applies whole or not at all, and the error names the line nft refused.
// An interface so the enforcer's logic can be exercised without CAP_NET_ADMIN; the gateway
// and its tests use the real library.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

struct nft_ctx;

namespace warden::enforce {

class NftBackend {
 public:
  virtual ~NftBackend() = default;
  // Runs an nft script as one transaction.
  virtual Result<bool, std::string> apply(std::string_view script) = 0;
  // Runs a listing command ("list table inet warden") and returns its JSON output.
  virtual Result<std::string, std::string> list_json(std::string_view command) = 0;
  // The same in nft's own syntax (it carries what JSON output of nft 1.0.6 leaves out, such
  // as table comments).
  virtual Result<std::string, std::string> list_text(std::string_view command) = 0;
};

// libnftables. One context, reused: creating one costs a netlink socket and a cache load.
class LibNftables final : public NftBackend {
 public:
  static Result<std::unique_ptr<LibNftables>, std::string> open();
  ~LibNftables() override;
  Result<bool, std::string> apply(std::string_view script) override;
  Result<std::string, std::string> list_json(std::string_view command) override;
  Result<std::string, std::string> list_text(std::string_view command) override;

 private:
  LibNftables(nft_ctx* apply_ctx, nft_ctx* list_ctx) : apply_(apply_ctx), list_(list_ctx) {}
  // A context is not thread-safe: one lock each, so a slow listing (status, metrics) on one
  // thread never waits for, nor delays, a change applied on another.
  std::mutex apply_mu_, list_mu_;
  nft_ctx* apply_;
  nft_ctx* list_;
};

}  // namespace warden::enforce
