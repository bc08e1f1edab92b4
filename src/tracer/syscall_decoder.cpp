#include "tracer/syscall_decoder.h"

#include <linux/audit.h>
#include <linux/net.h>
#include <sys/socket.h>

#include <cstring>

#include "net/sockaddr.h"
#include "seccomp/filter.h"

namespace hg {

namespace {

constexpr uint64_t kX32Bit = 0x40000000;
constexpr uint64_t kI386Socketcall = 102;

struct Abi {
	const char *name;
	bool compat; // 32-bit pointers and ILP32 struct layouts
};

Abi abiOf(const RawSyscall &sc, std::string &name)
{
	if (sc.auditArch == AUDIT_ARCH_X86_64) {
		bool x32 = (sc.nr & kX32Bit) != 0;
		name = x32 ? "x32" : "x86_64";
		return {x32 ? "x32" : "x86_64", x32};
	}
	if (sc.auditArch == AUDIT_ARCH_I386) {
		name = "i386";
		return {"i386", true};
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "audit-arch 0x%x", sc.auditArch);
	name = buf;
	return {"unknown", false};
}

std::string hexPtr(uint64_t p)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(p));
	return buf;
}

// Reads the sockaddr at ptr/len as the kernel would see it (clamped to sockaddr_storage).
Endpoint readSockaddr(MemoryReader &mem, uint64_t ptr, uint64_t len)
{
	uint32_t addrlen = static_cast<uint32_t>(len);
	if (ptr == 0) {
		Endpoint ep;
		ep.status = AddrStatus::Absent;
		ep.addrlen = addrlen;
		return ep;
	}
	uint8_t buf[sizeof(sockaddr_storage)] = {};
	size_t want = std::min<uint64_t>(len, sizeof(buf));
	if (want == 0)
		return decodeSockaddr({}, addrlen);
	ssize_t n = mem.read(ptr, buf, want);
	if (n < 0)
		return undecodableEndpoint(addrlen, "cannot read address at " + hexPtr(ptr) + ": " + std::strerror(static_cast<int>(-n)));
	return decodeSockaddr({buf, static_cast<size_t>(n)}, addrlen);
}

// Reads the msg_name/msg_namelen of a msghdr at ptr in either layout.
bool readMsgName(MemoryReader &mem, uint64_t ptr, bool compat, uint64_t &namePtr, uint64_t &nameLen)
{
	if (compat) {
		uint32_t hdr[2];
		if (mem.read(ptr, hdr, sizeof(hdr)) != sizeof(hdr))
			return false;
		namePtr = hdr[0];
		nameLen = hdr[1];
	} else {
		uint64_t name;
		uint32_t namelen;
		uint8_t hdr[12];
		if (mem.read(ptr, hdr, sizeof(hdr)) != sizeof(hdr))
			return false;
		std::memcpy(&name, hdr, 8);
		std::memcpy(&namelen, hdr + 8, 4);
		namePtr = name;
		nameLen = namelen;
	}
	return true;
}

NetCall callOfTag(uint32_t tag, std::string &name)
{
	switch (tag) {
	case kTagConnect:
		name = "connect";
		return NetCall::Connect;
	case kTagBind:
		name = "bind";
		return NetCall::Bind;
	case kTagListen:
		name = "listen";
		return NetCall::Listen;
	case kTagSendto:
		name = "sendto";
		return NetCall::Sendto;
	case kTagSendmsg:
		name = "sendmsg";
		return NetCall::Sendmsg;
	case kTagSendmmsg:
		name = "sendmmsg";
		return NetCall::Sendmmsg;
	default:
		return NetCall::Other;
	}
}

// A trap the decoder does not model: a tag it does not know, or an ABI the filter does not list.
void decodeUnexpected(const RawSyscall &sc, bool abiKnown, DecodedCall &d)
{
	d.abiKnown = abiKnown;
	d.call = NetCall::Other;
	d.callName = "syscall_" + std::to_string(sc.nr & ~kX32Bit);
	d.addrs.push_back(Endpoint{});
	d.problem = d.abiKnown ? "unexpected trap tag " + std::to_string(sc.tag)
			       : "syscall from an ABI the filter does not model (" + d.arch + ")";
}

// The call's arguments into a: the syscall's own, or for an i386 socketcall() the ones in
// tracee memory; cut to 32 bits for the compat ABIs. False when they cannot be read (d says why).
bool callArguments(const RawSyscall &sc, MemoryReader &mem, bool compat, DecodedCall &d, uint64_t (&a)[6])
{
	std::memcpy(a, sc.args, sizeof(a));
	if (sc.auditArch == AUDIT_ARCH_I386 && sc.nr == kI386Socketcall) {
		// socketcall(call, unsigned long args[]): the real arguments live in tracee memory.
		d.viaSocketcall = true;
		uint32_t packed[6] = {};
		ssize_t n = mem.read(sc.args[1], packed, sizeof(packed));
		if (n < static_cast<ssize_t>(sizeof(uint32_t)) * 2) {
			d.problem = "cannot read socketcall arguments at " + hexPtr(sc.args[1]);
			d.addrs.push_back(undecodableEndpoint(0, d.problem));
			return false;
		}
		for (int i = 0; i < 6; i++)
			a[i] = i * 4 < n ? packed[i] : 0;
	}
	if (compat) {
		for (uint64_t &v : a)
			v &= 0xffffffffu;
	}
	return true;
}

void decodeSendmsg(MemoryReader &mem, const uint64_t (&a)[6], DecodedCall &d)
{
	d.addrPtr = a[1];
	d.flags = a[2];
	uint64_t namePtr = 0, nameLen = 0;
	if (!readMsgName(mem, a[1], d.compat, namePtr, nameLen)) {
		d.problem = "cannot read msghdr at " + hexPtr(a[1]);
		d.addrs.push_back(undecodableEndpoint(0, d.problem));
	} else {
		d.addrs.push_back(readSockaddr(mem, namePtr, nameLen));
	}
}

void decodeSendmmsg(MemoryReader &mem, const uint64_t (&a)[6], DecodedCall &d)
{
	d.addrPtr = a[1];
	d.len = a[2];
	d.flags = a[3];
	uint64_t vlen = a[2];
	if (vlen > kMaxMmsg) {
		vlen = kMaxMmsg;
		d.truncated = true;
	}
	size_t stride = d.compat ? 32 : 64; // sizeof(struct mmsghdr) in each layout
	for (uint64_t i = 0; i < vlen; i++) {
		uint64_t namePtr = 0, nameLen = 0;
		if (!readMsgName(mem, a[1] + i * stride, d.compat, namePtr, nameLen)) {
			d.problem = "cannot read mmsghdr " + std::to_string(i) + " at " + hexPtr(a[1] + i * stride);
			d.addrs.push_back(undecodableEndpoint(0, d.problem));
			break;
		}
		d.addrs.push_back(readSockaddr(mem, namePtr, nameLen));
	}
	if (d.addrs.empty())
		d.addrs.push_back(Endpoint{});
}

} // namespace

std::string trapTagCallName(uint32_t tag)
{
	std::string name;
	callOfTag(tag, name);
	if (!name.empty())
		return name;
	switch (tag) {
	case kTagUntracedClone:
		return "clone";
	case kTagIoUring:
		return "io_uring_setup";
	case kTagSeccompListener:
		return "seccomp";
	default:
		return ""; // kTagProcessAccess covers several calls, kTagBadArch any
	}
}

DecodedCall decodeCall(const RawSyscall &sc, MemoryReader &mem)
{
	DecodedCall d;
	Abi abi = abiOf(sc, d.arch);
	d.call = callOfTag(sc.tag, d.callName);
	const bool abiKnown = std::strcmp(abi.name, "unknown") != 0;
	if (d.call == NetCall::Other || !abiKnown) {
		decodeUnexpected(sc, abiKnown, d);
		return d;
	}

	uint64_t a[6];
	if (!callArguments(sc, mem, abi.compat, d, a))
		return d;
	d.compat = abi.compat;
	d.fd = static_cast<int>(a[0]);
	switch (d.call) {
	case NetCall::Connect:
	case NetCall::Bind:
		d.addrPtr = a[1];
		d.len = a[2];
		d.addrs.push_back(readSockaddr(mem, a[1], a[2]));
		break;
	case NetCall::Listen:
		d.flags = a[1];
		d.addrs.push_back(Endpoint{});
		break;
	case NetCall::Sendto:
		d.bufPtr = a[1];
		d.len = a[2];
		d.flags = a[3];
		d.addrPtr = a[4];
		d.addrs.push_back(readSockaddr(mem, a[4], a[5]));
		break;
	case NetCall::Sendmsg:
		decodeSendmsg(mem, a, d);
		break;
	case NetCall::Sendmmsg:
		decodeSendmmsg(mem, a, d);
		break;
	case NetCall::Other:
		break;
	}
	return d;
}

} // namespace hg
