// `warden scan`: active assessment of the owner's devices (services, default credentials,
// UPnP IGD, TLS, anonymous access), scored and mapped to ETSI EN 303 645 / OWASP IoT Top 10.
#pragma once

namespace warden::app {

int cmd_scan(int argc, char** argv);

}  // namespace warden::app
