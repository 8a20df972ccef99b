// `warden pki`: the certificate authority and enrollment server of secure connectivity.
// init (root, issuing CA, server CA), token (single-use bootstrap tokens), serve (the EST-like
// enrollment server), server-cert / device-cert / sign-csr (offline issuance), list (the
// issued-certificate log). See docs/pki.md and pki/ca.h.
#pragma once

namespace warden::app {

int cmd_pki(int argc, char** argv);

}  // namespace warden::app
