// `warden mud`: RFC 8520 MUD files. `warden mud check FILE...` validates files and prints what
// each allows (the parsing layer of MUD enforcement; see mud/mud.h); `warden mud fetch URL`
// acquires one as the gateway does (fetch, self-naming check, signature; mud/source.h).
#pragma once

namespace warden::app {

int cmd_mud(int argc, char** argv);

}  // namespace warden::app
