// `warden gateway`: the inline guardian on a Linux router. `run` watches the LAN with the
// usual pipeline and enforces per-device policies (MUD files, allow-lists, learned profiles)
// and quarantine with nftables; `quarantine`, `release` and `status` talk to the running
// gateway over its control socket; `rules` prints the ruleset a configuration gives.
#pragma once

namespace warden::app {

int cmd_gateway(int argc, char** argv);

}  // namespace warden::app
