#include "tracer/send_on_copy.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "net/classify.h"
#include "net/sockaddr.h"

namespace hg {

namespace {

constexpr size_t kMmsghdrSize = sizeof(mmsghdr); // x86_64: a msghdr, msg_len and padding
static_assert(sizeof(msghdr) == 56 && kMmsghdrSize == 64 && offsetof(mmsghdr, msg_len) == 56);

std::string hexPtr(uint64_t p)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(p));
	return buf;
}

} // namespace

bool readAll(MemoryReader &mem, uint64_t addr, size_t len, std::vector<uint8_t> &out, std::string &problem,
	     const char *what)
{
	size_t start = out.size();
	out.resize(start + len);
	size_t have = 0;
	while (have < len) {
		ssize_t n = mem.read(addr + have, out.data() + start + have, len - have);
		if (n <= 0) {
			problem = std::string("cannot read ") + what + " at " + hexPtr(addr + have) +
				  (n < 0 ? std::string(": ") + std::strerror(static_cast<int>(-n)) : "");
			return false;
		}
		have += static_cast<size_t>(n);
	}
	return true;
}

namespace {

// Copies the iovecs and control data of the msghdr at ptr into m; `total` counts the payload
// of every message of the call so far.
bool copyMsghdr(MemoryReader &mem, uint64_t ptr, CopiedMessage &m, size_t &total, std::string &problem)
{
	std::vector<uint8_t> raw;
	if (!readAll(mem, ptr, sizeof(msghdr), raw, problem, "msghdr"))
		return false;
	msghdr h;
	std::memcpy(&h, raw.data(), sizeof(h));
	if (h.msg_iovlen > kMaxCopyIov) {
		problem = std::to_string(h.msg_iovlen) + " iovecs, more than the kernel takes";
		return false;
	}
	std::vector<uint8_t> iovBytes;
	if (!readAll(mem, reinterpret_cast<uint64_t>(h.msg_iov), h.msg_iovlen * sizeof(iovec), iovBytes, problem,
		     "iovec array"))
		return false;
	for (size_t i = 0; i < h.msg_iovlen; i++) {
		iovec v;
		std::memcpy(&v, iovBytes.data() + i * sizeof(iovec), sizeof(v));
		if (v.iov_len > kMaxCopyDatagram - m.data.size() || v.iov_len > kMaxCopyTotal - total) {
			problem = "payload larger than the gate copies (" + std::to_string(kMaxCopyDatagram) +
				  " bytes a message, " + std::to_string(kMaxCopyTotal) + " a call)";
			return false;
		}
		if (!readAll(mem, reinterpret_cast<uint64_t>(v.iov_base), v.iov_len, m.data, problem, "payload"))
			return false;
		total += v.iov_len;
	}
	if (h.msg_controllen > kMaxCopyControl) {
		problem = "msg_controllen " + std::to_string(h.msg_controllen) + " larger than the gate copies";
		return false;
	}
	if (h.msg_controllen > 0) {
		if (!readAll(mem, reinterpret_cast<uint64_t>(h.msg_control), h.msg_controllen, m.control, problem,
			     "msg_control"))
			return false;
		problem = controlProblem(m.control);
		if (!problem.empty())
			return false;
	}
	return true;
}

struct CmsgKind {
	int level;
	int type;
};

constexpr CmsgKind kUnprivilegedCmsgs[] = {
	{ SOL_IP, IP_TOS },
	{ SOL_IP, IP_TTL },
	{ SOL_IP, IP_PKTINFO },
	{ SOL_IPV6, IPV6_PKTINFO },
	{ SOL_IPV6, IPV6_HOPLIMIT },
	{ SOL_IPV6, IPV6_TCLASS },
	{ SOL_IPV6, IPV6_DONTFRAG },
	{ SOL_UDP, UDP_SEGMENT },
};

} // namespace

std::string controlProblem(std::span<const uint8_t> control)
{
	// The kernel's walk (for_each_cmsghdr): each header at an aligned offset, its length
	// covering at least the header and not running past msg_controllen.
	size_t off = 0;
	while (off + sizeof(cmsghdr) <= control.size()) {
		cmsghdr c;
		std::memcpy(&c, control.data() + off, sizeof(c));
		if (c.cmsg_len < sizeof(cmsghdr) || c.cmsg_len > control.size() - off)
			return "malformed control message at offset " + std::to_string(off);
		bool known = false;
		for (const CmsgKind &k : kUnprivilegedCmsgs)
			known = known || (k.level == c.cmsg_level && k.type == c.cmsg_type);
		if (!known)
			return "control message level " + std::to_string(c.cmsg_level) + " type " +
			       std::to_string(c.cmsg_type) + " may need privileges the gate has and the caller lacks";
		off += CMSG_ALIGN(c.cmsg_len);
	}
	return "";
}

CopiedSend copySend(const DecodedCall &d, MemoryReader &mem)
{
	CopiedSend out;
	if (d.compat) {
		out.problem = d.arch + " layouts are not copied";
		return out;
	}
	if (!d.problem.empty()) {
		out.problem = d.problem;
		return out;
	}
	if (d.flags & MSG_ZEROCOPY) {
		out.problem = "MSG_ZEROCOPY would send from the gate's buffer after it is gone";
		return out;
	}
	size_t total = 0;
	switch (d.call) {
	case NetCall::Sendto: {
		CopiedMessage m;
		if (d.len > kMaxCopyDatagram) {
			out.problem = "payload of " + std::to_string(d.len) + " bytes, larger than the gate copies";
			return out;
		}
		if (!readAll(mem, d.bufPtr, d.len, m.data, out.problem, "payload"))
			return out;
		out.msgs.push_back(std::move(m));
		break;
	}
	case NetCall::Sendmsg: {
		CopiedMessage m;
		if (!copyMsghdr(mem, d.addrPtr, m, total, out.problem))
			return out;
		out.msgs.push_back(std::move(m));
		break;
	}
	case NetCall::Sendmmsg: {
		uint64_t vlen = std::min<uint64_t>(d.len, kMaxMmsg);
		for (uint64_t i = 0; i < vlen; i++) {
			CopiedMessage m;
			uint64_t hdr = d.addrPtr + i * kMmsghdrSize;
			if (!copyMsghdr(mem, hdr, m, total, out.problem)) {
				out.problem = "message " + std::to_string(i) + ": " + out.problem;
				out.msgs.clear();
				return out;
			}
			m.lenAddr = hdr + offsetof(mmsghdr, msg_len);
			out.msgs.push_back(std::move(m));
		}
		break;
	}
	default:
		out.problem = std::string(netCallName(d.call)) + " is not a send";
		return out;
	}
	return out;
}

OutgoingMessages buildMessages(const CopiedSend &copy, const std::vector<Endpoint> &dests, int domain)
{
	OutgoingMessages out;
	size_t n = copy.msgs.size();
	if (dests.size() < n) {
		out.problem = "fewer destinations than messages";
		return out;
	}
	// Sized once: the headers point into these vectors.
	out.names.resize(n);
	out.iovs.resize(n);
	out.hdrs.resize(n);
	for (size_t i = 0; i < n; i++) {
		const CopiedMessage &m = copy.msgs[i];
		msghdr &h = out.hdrs[i].msg_hdr;
		h = {};
		out.hdrs[i].msg_len = 0;
		if (dests[i].status != AddrStatus::Absent) {
			socklen_t len = toSockaddr(dests[i], domain, out.names[i]);
			if (len == 0) {
				out.problem = "destination " + endpointTarget(dests[i]) + " does not fit the socket's family (" +
					      familyName(domain) + ")";
				return out;
			}
			h.msg_name = &out.names[i];
			h.msg_namelen = len;
		}
		out.iovs[i] = {const_cast<uint8_t *>(m.data.data()), m.data.size()};
		h.msg_iov = &out.iovs[i];
		h.msg_iovlen = 1;
		if (!m.control.empty()) {
			h.msg_control = const_cast<uint8_t *>(m.control.data());
			h.msg_controllen = m.control.size();
		}
	}
	return out;
}

SendOutcome sendCopy(int sockFd, int domain, const DecodedCall &d, const CopiedSend &copy, TraceeMemory &mem)
{
	SendOutcome out;
	OutgoingMessages msgs = buildMessages(copy, d.addrs, domain);
	if (!msgs.problem.empty()) {
		out.problem = msgs.problem;
		return out;
	}
	int flags = static_cast<int>(d.flags) | MSG_DONTWAIT;
	long ret;
	if (d.call == NetCall::Sendmmsg)
		ret = ::sendmmsg(sockFd, msgs.hdrs.data(), static_cast<unsigned>(msgs.hdrs.size()), flags);
	else
		ret = ::sendmsg(sockFd, &msgs.hdrs[0].msg_hdr, flags);
	if (ret < 0)
		ret = -errno;
	if (ret == -EAGAIN || ret == -EWOULDBLOCK) {
		int fl = fcntl(sockFd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK)) {
			out.problem = "a blocking socket would block";
			return out;
		}
	}
	if (d.call == NetCall::Sendmmsg) {
		// The kernel stores msg_len of every message it sent; the tracee reads them.
		for (long i = 0; i < ret; i++) {
			unsigned len = msgs.hdrs[static_cast<size_t>(i)].msg_len;
			mem.write(copy.msgs[static_cast<size_t>(i)].lenAddr, &len, sizeof(len));
		}
	}
	out.done = true;
	out.ret = ret;
	return out;
}

} // namespace hg
