#include "tracer/send_path.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "net/packet_path.h"
#include "tracer/send_on_copy.h"

namespace hg {

namespace {

// A pointer or a size_t of the call's ABI at off in raw.
uint64_t word(const uint8_t *raw, size_t off, bool compat)
{
	if (compat) {
		uint32_t v;
		std::memcpy(&v, raw + off, 4);
		return v;
	}
	uint64_t v;
	std::memcpy(&v, raw + off, 8);
	return v;
}

// The fields of one msghdr that matter here, in either layout.
struct MsgFields {
	uint64_t iov = 0, iovlen = 0, control = 0, controllen = 0;
};

bool readMsghdr(MemoryReader &mem, uint64_t ptr, bool compat, MsgFields &m, std::string &problem)
{
	std::vector<uint8_t> raw;
	if (!readAll(mem, ptr, compat ? 28 : 56, raw, problem, "msghdr"))
		return false;
	m.iov = word(raw.data(), compat ? 8 : 16, compat);
	m.iovlen = word(raw.data(), compat ? 12 : 24, compat);
	m.control = word(raw.data(), compat ? 16 : 32, compat);
	m.controllen = word(raw.data(), compat ? 20 : 40, compat);
	return true;
}

// Up to kMaxPathPayload bytes of the iovecs; complete when that was all of them.
bool readIovs(MemoryReader &mem, const MsgFields &m, bool compat, std::vector<uint8_t> &out, bool &complete,
	      std::string &problem)
{
	complete = true;
	const size_t entry = compat ? 8 : 16;
	const uint64_t count = std::min<uint64_t>(m.iovlen, 1024); // UIO_MAXIOV: the kernel refuses more
	std::vector<uint8_t> iovs;
	if (count && !readAll(mem, m.iov, count * entry, iovs, problem, "iovec array"))
		return false;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t base = word(iovs.data(), i * entry, compat);
		uint64_t len = word(iovs.data(), i * entry + entry / 2, compat);
		size_t room = kMaxPathPayload - out.size();
		if (len > room)
			complete = false;
		if (!readAll(mem, base, std::min<uint64_t>(len, room), out, problem, "payload"))
			return false;
		if (!complete)
			break;
	}
	return true;
}

bool isInetOrUnknown(const SocketInfo &sock)
{
	return !sock.known || sock.domain == AF_INET || sock.domain == AF_INET6;
}

bool isNetlinkRoute(const SocketInfo &sock)
{
	return sock.known && sock.domain == AF_NETLINK && sock.protocol == NETLINK_ROUTE;
}

// One message of a sendmsg/sendmmsg.
std::optional<std::string> judgeMessage(MemoryReader &mem, uint64_t ptr, bool compat, const SocketInfo &sock)
{
	std::string problem;
	MsgFields m;
	if (!readMsghdr(mem, ptr, compat, m, problem))
		return "the gate cannot check the message for a source route: " + problem;
	if (m.controllen > 0 && isInetOrUnknown(sock)) {
		if (m.controllen > kMaxPathControl)
			return "msg_controllen " + std::to_string(m.controllen) +
			       " is larger than the gate reads, so its control messages cannot be checked for a source route";
		std::vector<uint8_t> control;
		if (!readAll(mem, m.control, m.controllen, control, problem, "msg_control"))
			return "the gate cannot check the message for a source route: " + problem;
		if (auto why = judgeControl(control, compat))
			return why;
	}
	if (isNetlinkRoute(sock)) {
		std::vector<uint8_t> payload;
		bool complete = true;
		if (!readIovs(mem, m, compat, payload, complete, problem))
			return "the gate cannot check the rtnetlink message: " + problem;
		return judgeNetlinkSend(sock.protocol, payload, complete);
	}
	return std::nullopt;
}

} // namespace

std::optional<std::string> judgeSendPath(const DecodedCall &d, const SocketInfo &sock, MemoryReader &mem)
{
	if (!isInetOrUnknown(sock) && !isNetlinkRoute(sock))
		return std::nullopt;
	switch (d.call) {
	case NetCall::Sendto: {
		if (!isNetlinkRoute(sock))
			return std::nullopt; // sendto has no control data
		std::vector<uint8_t> payload;
		std::string problem;
		size_t len = std::min<uint64_t>(d.len, kMaxPathPayload);
		if (!readAll(mem, d.bufPtr, len, payload, problem, "payload"))
			return "the gate cannot check the rtnetlink message: " + problem;
		return judgeNetlinkSend(sock.protocol, payload, len == d.len);
	}
	case NetCall::Sendmsg:
		return judgeMessage(mem, d.addrPtr, d.compat, sock);
	case NetCall::Sendmmsg: {
		const uint64_t stride = d.compat ? 32 : 64; // sizeof(struct mmsghdr) in each layout
		const uint64_t count = std::min<uint64_t>(d.len, kMaxMmsg);
		for (uint64_t i = 0; i < count; i++) {
			if (auto why = judgeMessage(mem, d.addrPtr + i * stride, d.compat, sock))
				return why;
		}
		return std::nullopt;
	}
	default:
		return std::nullopt;
	}
}

} // namespace hg
