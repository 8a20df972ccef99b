// `warden relay`: the identity-aware TLS 1.3 mutual-authentication proxy for devices, and
// `warden relay revoke`, which adds a device, key or CA to the relay's deny-list.
#pragma once

namespace warden::app {

int cmd_relay(int argc, char** argv);

}  // namespace warden::app
