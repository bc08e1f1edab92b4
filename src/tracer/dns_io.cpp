#include "tracer/dns_io.h"

#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>

namespace hg {

namespace {

constexpr size_t kMaxIov = 1024; // UIO_MAXIOV

// Appends up to len bytes at addr (bounded by what is left of cap) to out.
bool readInto(MemoryReader &mem, uint64_t addr, size_t len, size_t &left, std::vector<uint8_t> &out)
{
	len = std::min(len, left);
	if (len == 0)
		return true;
	size_t at = out.size();
	out.resize(at + len);
	ssize_t n = mem.read(addr, out.data() + at, len);
	if (n < 0) {
		out.resize(at);
		return false;
	}
	out.resize(at + static_cast<size_t>(n));
	left -= static_cast<size_t>(n);
	return static_cast<size_t>(n) == len;
}

// The bytes of an iovec array, up to `total` of them.
std::vector<uint8_t> readIov(MemoryReader &mem, uint64_t iovAddr, uint64_t count, size_t total, size_t &left)
{
	std::vector<uint8_t> out;
	count = std::min<uint64_t>(count, kMaxIov);
	for (uint64_t i = 0; i < count && total > 0; i++) {
		iovec iov{};
		if (mem.read(iovAddr + i * sizeof(iovec), &iov, sizeof(iov)) != static_cast<ssize_t>(sizeof(iov)))
			break;
		size_t take = std::min(iov.iov_len, total);
		if (!readInto(mem, reinterpret_cast<uint64_t>(iov.iov_base), take, left, out))
			break;
		total -= take;
	}
	return out;
}

// The data of one msghdr at addr, `total` bytes of it.
std::vector<uint8_t> readMsghdr(MemoryReader &mem, uint64_t addr, size_t total, size_t &left)
{
	msghdr mh{};
	if (mem.read(addr, &mh, sizeof(mh)) != static_cast<ssize_t>(sizeof(mh)))
		return {};
	return readIov(mem, reinterpret_cast<uint64_t>(mh.msg_iov), mh.msg_iovlen, total, left);
}

} // namespace

IoCall classifyIo(const RawSyscall &sc)
{
	IoCall io;
	io.sc = sc;
	if (sc.auditArch != AUDIT_ARCH_X86_64 || (sc.nr & 0x40000000))
		return io;
	io.fd = static_cast<int>(sc.args[0]);
	switch (sc.nr) {
	case SYS_write:
	case SYS_writev:
		io.dir = IoDir::Out;
		break;
	case SYS_sendto:
		// With an address the call is trapped and judged at its seccomp stop.
		io.dir = sc.args[4] == 0 ? IoDir::Out : IoDir::None;
		break;
	case SYS_read:
	case SYS_readv:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
		io.dir = IoDir::In;
		break;
	case SYS_close:
		io.dir = IoDir::Close;
		break;
	default:
		break;
	}
	return io;
}

std::vector<std::vector<uint8_t>> ioBuffers(const IoCall &io, long ret, MemoryReader &mem, size_t cap)
{
	std::vector<std::vector<uint8_t>> out;
	const uint64_t *a = io.sc.args;
	size_t left = cap;
	bool in = io.dir == IoDir::In;
	if ((io.dir != IoDir::Out && !in) || (in && ret <= 0))
		return out;
	// Out: the length the call asks to send; In: what it received.
	auto length = [&](uint64_t asked) { return static_cast<size_t>(in ? std::min<uint64_t>(asked, static_cast<uint64_t>(ret)) : asked); };
	switch (io.sc.nr) {
	case SYS_write:
	case SYS_read:
	case SYS_sendto:
	case SYS_recvfrom: {
		std::vector<uint8_t> buf;
		readInto(mem, a[1], length(a[2]), left, buf);
		out.push_back(std::move(buf));
		break;
	}
	case SYS_writev:
	case SYS_readv:
		out.push_back(readIov(mem, a[1], a[2], in ? static_cast<size_t>(ret) : SIZE_MAX, left));
		break;
	case SYS_recvmsg:
		out.push_back(readMsghdr(mem, a[1], static_cast<size_t>(ret), left));
		break;
	case SYS_recvmmsg: {
		// ret messages, each msg_len bytes (written by the kernel into the vector).
		for (long i = 0; i < ret && static_cast<size_t>(i) < kMaxIov && left > 0; i++) {
			mmsghdr m{};
			uint64_t at = a[1] + static_cast<uint64_t>(i) * sizeof(mmsghdr);
			if (mem.read(at, &m, sizeof(m)) != static_cast<ssize_t>(sizeof(m)))
				break;
			out.push_back(readMsghdr(mem, at, m.msg_len, left));
		}
		break;
	}
	default:
		break;
	}
	return out;
}

} // namespace hg
