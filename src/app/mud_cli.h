// `warden mud`: RFC 8520 MUD files. `warden mud check FILE...` validates files and prints what
// each allows (the parsing layer of MUD enforcement; see mud/mud.h).
#pragma once

namespace warden::app {

int cmd_mud(int argc, char** argv);

}  // namespace warden::app
