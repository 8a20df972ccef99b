// Judgements on DNS names shared by the DNS detectors (tunnels, exfiltration, DGA): which
// domain a name belongs to, and whether a label looks like carried data or like a name a
// program generated rather than a person chose. Pure functions over text, unit-tested.
#pragma once

#include <string>
#include <string_view>

#include "core/net.h"

namespace warden::detect {

// The part of a name its owner registered ("api.eu.example.co.uk" -> "example.co.uk"),
// lower-cased: two labels, three under a two-letter country code whose second level is generic
// (co.uk, com.au). A heuristic without the public-suffix list; good enough to group.
std::string registrable_domain(std::string_view name);
// "net:203.0.113.0/24" (IPv6: the /48): how an unnamed address is grouped.
std::string network_of(const IpAddr& ip);

// Shannon entropy of the characters, in bits per character.
double entropy(std::string_view s);

// The longest label of a name.
std::string_view longest_label(std::string_view name);

// Why one query name on its own carries encoded data ("" when it does not): a long label with
// base64's '+' '/' '=' or other characters no host name has, or a long mixed-case random label
// (DNS is case-insensitive: people and resolvers do not write Base64 by accident).
std::string encoded_data_reason(std::string_view name);

// Whether the label a domain was registered under (the first label of registrable_domain) looks
// algorithmically generated: long, and made mostly of letter pairs rare in chosen names, or
// with digits scattered through its letters.
bool looks_generated(std::string_view name);

}  // namespace warden::detect
