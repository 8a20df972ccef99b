// AddressNames: the name each internet address was last known by on this network, from DNS
// answers and TLS SNI, reduced to the domain its owner registered ("api.eu.example.co.uk" ->
// "example.co.uk"). Detectors judge destinations by it: the many servers of one service are one
// destination, and a check-in to a named cloud reads differently from one to a bare address.
// The chain feeds it every observation before the detectors see it; bounded (a full table
// starts over: recent answers matter most).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/net.h"
#include "detect/dns_names.h"
#include "dissect/observation.h"

namespace warden::detect {

class AddressNames {
 public:
  static constexpr std::size_t kMaxNames = 16384;

  // Learns from DNS answers (A/AAAA, named by the question) and TLS client hellos (SNI).
  void learn(const dissect::Observation& o);
  void remember(const IpAddr& ip, std::string_view name);
  // The registrable domain the address is known by, or null.
  const std::string* name_of(const IpAddr& ip) const;
  // A destination as the behaviour baseline records it: the domain when named, else the
  // address's network.
  std::string destination(const IpAddr& ip) const;
  std::size_t size() const { return names_.size(); }

 private:
  std::unordered_map<IpAddr, std::string> names_;
};

}  // namespace warden::detect
