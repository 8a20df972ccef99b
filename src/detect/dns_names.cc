#include "detect/dns_names.h"

#include <array>
#include <cmath>

#include "core/text.h"

namespace warden::detect {

std::string registrable_domain(std::string_view name) {
  while (name.ends_with('.')) name.remove_suffix(1);
  std::string n = ascii_lower(name);
  std::size_t last = n.rfind('.');
  if (last == std::string::npos) return n;
  std::size_t second = last == 0 ? std::string::npos : n.rfind('.', last - 1);
  if (second == std::string::npos) return n;
  const std::string_view sld = std::string_view(n).substr(second + 1, last - second - 1);
  const bool cc_tld = n.size() - last - 1 == 2;
  if (cc_tld && (sld == "co" || sld == "com" || sld == "net" || sld == "org" || sld == "gov" ||
                 sld == "edu" || sld == "ac" || sld == "ne" || sld == "or" || sld == "go")) {
    std::size_t third = second == 0 ? std::string::npos : n.rfind('.', second - 1);
    return third == std::string::npos ? n : n.substr(third + 1);
  }
  return n.substr(second + 1);
}

std::string network_of(const IpAddr& ip) {
  if (ip.is_v4()) return "net:" + IpAddr::v4(ip.v4_host_order() & 0xffffff00u).to_string() + "/24";
  std::array<std::byte, 16> prefix{};
  for (std::size_t i = 0; i < 6; ++i) prefix[i] = static_cast<std::byte>(ip.raw()[i]);
  return "net:" + IpAddr::v6(prefix).to_string() + "/48";
}

double entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  for (int c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(s.size());
    h -= p * std::log2(p);
  }
  return h;
}

std::string_view longest_label(std::string_view name) {
  std::string_view best;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    if (dot - start > best.size()) best = name.substr(start, dot - start);
    start = dot + 1;
  }
  return best;
}

namespace {
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::string encoded_data_reason(std::string_view name) {
  const std::string_view label = longest_label(name);
  if (label.size() < 24) return {};
  std::size_t lower = 0, upper = 0, digit = 0, odd = 0;
  for (char c : label) {
    if (is_lower(c))
      ++lower;
    else if (is_upper(c))
      ++upper;
    else if (is_digit(c))
      ++digit;
    else if (c != '-' && c != '_')
      ++odd;
  }
  if (odd > 0 && lower + upper + digit >= 16) {
    return "label of " + std::to_string(label.size()) +
           " characters with characters no host name has (Base64 or binary data)";
  }
  if (lower >= 4 && upper >= 4 && digit >= 2 && entropy(label) >= 4.0) {
    return "mixed-case random label of " + std::to_string(label.size()) + " characters (Base64)";
  }
  return {};
}

namespace {

// The letter pairs common in English text (and so in names people choose), the top of the
// usual bigram frequency tables. A chosen name is mostly made of them; a random string's pairs
// mostly are not (26 x 26 = 676 pairs, these are about a third).
constexpr std::string_view kCommonBigrams =
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le "
    "ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec "
    "pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na "
    "ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab "
    "gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa "
    "ef cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi "
    "rc rr eg au ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip "
    "ub oi rl gu dr cc tw ft wn nu af hu nn eo vo rv nf gn sm fl ok nl my gl aw ju oa sy sl ps "
    "jo lf nk kn gs dy hy ze ks xt dd cy sk oe oy ws eu wr nm eb tc gy ja ya ah ka";

struct BigramTable {
  std::array<bool, 26 * 26> common{};
  constexpr BigramTable() {
    for (std::size_t i = 0; i + 1 < kCommonBigrams.size(); i += 3)
      common[(kCommonBigrams[i] - 'a') * 26 + (kCommonBigrams[i + 1] - 'a')] = true;
  }
};
constexpr BigramTable kBigrams;

}  // namespace

bool looks_generated(std::string_view name) {
  const std::string base = registrable_domain(name);
  const std::string_view label = std::string_view(base).substr(0, base.find('.'));
  if (label.size() < 8 || label.size() > 63) return false;
  std::size_t letters = 0, digits = 0, pairs = 0, common_pairs = 0, transitions = 0;
  char prev = 0;
  for (char c : label) {
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
    if (is_lower(c)) {
      ++letters;
      if (is_lower(prev)) {
        ++pairs;
        common_pairs += kBigrams.common[(prev - 'a') * 26 + (c - 'a')];
      }
    } else if (is_digit(c)) {
      ++digits;
    } else {
      return false;  // hyphenated names are chosen by people
    }
    if (prev && is_digit(prev) != is_digit(c)) ++transitions;
    prev = c;
  }
  // Digits scattered through letters ("kdj3h8f2k9s7"): no brand is spelled like that.
  if (label.size() >= 10 && letters >= 4 && digits >= 2 && transitions >= 4) return true;
  // Mostly uncommon letter pairs: measured on names from the bundled captures and a list of
  // well-known brands and services, none falls under half; about 70% of random a-z strings
  // of 8-16 letters do.
  return pairs >= 6 && common_pairs * 2 < pairs;
}

}  // namespace warden::detect
