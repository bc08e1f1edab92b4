#pragma once
// setsockopt/getsockopt arguments as strace prints them:
//   SOL_SOCKET, SO_REUSEADDR, [1], 4        SOL_TCP, TCP_CONGESTION, "cubic", 5
//   SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]   SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, [8]

#include <cstdint>
#include <optional>
#include <string>

#include "strace/args.h"

namespace hg::strace {

// "SOL_SOCKET, SO_REUSEADDR".
std::string sockoptName(int level, int name);

// setsockopt's optval of optlen bytes.
std::string setsockoptValue(const Ctx &c, int level, int name, uint64_t addr, uint32_t optlen);

// getsockopt's optval after a successful call that wrote outlen bytes.
std::string getsockoptValue(const Ctx &c, int level, int name, uint64_t addr, uint32_t outlen);

} // namespace hg::strace
