// `warden update`: signed software updates. The publisher's side (init, add, remove, delegate,
// timestamp, rotate, status) keeps a TUF-style repository with hybrid Ed25519 + XMSS keys; the
// device's side (verify, confirm, rollback, boot) checks metadata and targets in TUF's order
// and installs into A/B slots. See docs/update.md.
#pragma once

namespace warden::app {

int cmd_update(int argc, char** argv);

}  // namespace warden::app
