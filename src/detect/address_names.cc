#include "detect/address_names.h"

#include "detect/baseline.h"

namespace warden::detect {

void AddressNames::learn(const dissect::Observation& o) {
  if (const auto* d = std::get_if<dissect::DnsObservation>(&o.body)) {
    if (d->flavor != dissect::DnsFlavor::kDns || !d->msg.response) return;
    const std::string& asked =
        d->msg.questions.empty() ? std::string() : d->msg.questions.front().name;
    for (const auto& rr : d->msg.answers) {
      if (!rr.address || rr.address->is_local_unicast()) continue;
      remember(*rr.address, asked.empty() ? std::string_view(rr.name) : std::string_view(asked));
    }
  } else if (const auto* t = std::get_if<protocols::TlsClientHello>(&o.body)) {
    if (!t->sni.empty() && !o.ctx.dst_ip.is_local_unicast()) remember(o.ctx.dst_ip, t->sni);
  }
}

void AddressNames::remember(const IpAddr& ip, std::string_view name) {
  std::string domain = registrable_domain(name);
  // Names come off the wire: only what a baseline would accept as a destination is kept.
  if (!baseline_value_valid(BaselineKind::kDestination, domain)) return;
  if (names_.size() >= kMaxNames && !names_.contains(ip)) names_.clear();
  names_[ip] = std::move(domain);
}

const std::string* AddressNames::name_of(const IpAddr& ip) const {
  auto it = names_.find(ip);
  return it != names_.end() ? &it->second : nullptr;
}

std::string AddressNames::destination(const IpAddr& ip) const {
  if (const std::string* n = name_of(ip)) return *n;
  return network_of(ip);
}

}  // namespace warden::detect
