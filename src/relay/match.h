// Matching primitives of the relay's policy: device-name globs and MQTT topic filters. Pure
// functions over strings, shared by the config validator, the policy and the MQTT guard.
#pragma once

#include <string>
#include <string_view>

namespace warden::relay {

// Shell-style glob over a device name: '*' any run (also empty), '?' one character, anything
// else literal. Linear in practice (one backtrack point), so a hostile pattern cannot blow up.
bool glob_match(std::string_view pattern, std::string_view name);

// A valid MQTT topic filter: non-empty, no NUL, '#' only as the whole last level, '+' only as a
// whole level.
bool valid_topic_filter(std::string_view filter);
// A valid MQTT topic name (what PUBLISH carries): non-empty, no NUL, no '+' or '#'.
bool valid_topic_name(std::string_view topic);

// MQTT 3.1.1 section 4.7 matching: does `topic` (a name) match `filter`? Topics starting with
// '$' are not matched by a leading wildcard.
bool topic_matches(std::string_view filter, std::string_view topic);

// Is every topic that `inner` matches also matched by `outer` (both valid filters)? The test a
// SUBSCRIBE must pass: subscribing to "devices/cam/+" is within "devices/cam/#", "devices/#" is
// not within "devices/cam/#".
bool filter_within(std::string_view inner, std::string_view outer);

// Replaces {tenant}, {device} and {id} (tenant:device) in a topic template.
std::string expand_topic(std::string_view pattern, std::string_view tenant,
                         std::string_view device);

}  // namespace warden::relay
