#include "enforce/conntrack.h"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warden::enforce {
namespace {

struct Dump {
  const std::vector<IpAddr>* addrs;
  std::vector<nf_conntrack*> doomed;
};

bool listed(const std::vector<IpAddr>& addrs, const IpAddr& ip) {
  return std::find(addrs.begin(), addrs.end(), ip) != addrs.end();
}

IpAddr v4(std::uint32_t net_order) { return IpAddr::v4(ntohl(net_order)); }
IpAddr v6(const void* p) { return IpAddr::v6(Bytes(static_cast<const std::byte*>(p), 16)); }

int collect(enum nf_conntrack_msg_type, struct nf_conntrack* ct, void* data) {
  auto* d = static_cast<Dump*>(data);
  const auto family = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
  bool hit = false;
  if (family == AF_INET) {
    for (auto attr :
         {ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST})
      hit = hit || listed(*d->addrs, v4(nfct_get_attr_u32(ct, attr)));
  } else if (family == AF_INET6) {
    for (auto attr :
         {ATTR_ORIG_IPV6_SRC, ATTR_ORIG_IPV6_DST, ATTR_REPL_IPV6_SRC, ATTR_REPL_IPV6_DST})
      hit = hit || listed(*d->addrs, v6(nfct_get_attr(ct, attr)));
  }
  if (hit) d->doomed.push_back(nfct_clone(ct));
  return NFCT_CB_CONTINUE;
}

}  // namespace

Result<std::size_t, std::string> LibConntrack::forget(const std::vector<IpAddr>& addrs) {
  if (addrs.empty()) return std::size_t{0};
  nfct_handle* h = nfct_open(CONNTRACK, 0);
  if (!h) return unexpected(std::string("cannot open conntrack: ") + std::strerror(errno));
  Dump d{&addrs, {}};
  nfct_callback_register(h, NFCT_T_ALL, collect, &d);
  std::string error;
  for (std::uint32_t family : {AF_INET, AF_INET6}) {
    if (nfct_query(h, NFCT_Q_DUMP, &family) != 0 && errno != ENOENT)
      error = std::string("conntrack dump: ") + std::strerror(errno);
  }
  std::size_t deleted = 0;
  for (nf_conntrack* ct : d.doomed) {
    // Gone already (it timed out, or both ends were listed) is not an error.
    if (nfct_query(h, NFCT_Q_DESTROY, ct) == 0) ++deleted;
    nfct_destroy(ct);
  }
  nfct_close(h);
  if (!error.empty() && deleted == 0) return unexpected(error);
  return deleted;
}

}  // namespace warden::enforce
