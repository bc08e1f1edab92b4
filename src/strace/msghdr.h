#pragma once
// struct msghdr / mmsghdr as strace prints them, in the 64-bit or the i386 layout:
//   {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=3}], msg_iovlen=1,
//    msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[0, 1]}],
//    msg_controllen=24, msg_flags=0}

#include <cstdint>
#include <optional>
#include <string>

#include "strace/args.h"

namespace hg::strace {

// The msghdr at addr; the pointer in hex when unreadable. For a received message, namelenIn
// is msg_namelen before the call and received the bytes the call returned (spread over
// the iovecs); a sent message shows each iovec in full.
std::string msghdr(const Ctx &c, uint64_t addr, std::optional<uint32_t> namelenIn,
		   std::optional<uint64_t> received);

// msg_namelen of the msghdr at addr, read at entry.
std::optional<uint32_t> msgNamelen(const Ctx &c, uint64_t addr);

// The first `count` mmsghdrs at addr: [{msg_hdr={...}, msg_len=3}, ...].
std::string mmsghdrs(const Ctx &c, uint64_t addr, uint64_t count, bool received);

} // namespace hg::strace
