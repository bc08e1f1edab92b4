#include "strace/msghdr.h"

#include <algorithm>

#include "strace/names.h"

namespace hg::strace {

namespace {

// Field offsets of struct msghdr, iovec, cmsghdr and mmsghdr in one ABI.
struct Layout {
	size_t msghdrSize, name, namelen, iov, iovlen, control, controllen, flags;
	size_t iovecSize, iovLen;
	size_t cmsgHdrSize, cmsgLevel, cmsgType, cmsgAlign;
	size_t mmsghdrSize, msgLen;
};

constexpr Layout kLayout64 = { 56, 0, 8, 16, 24, 32, 40, 48, 16, 8, 16, 8, 12, 8, 64, 56 };
constexpr Layout kLayout32 = { 28, 0, 4, 8, 12, 16, 20, 24, 8, 4, 12, 4, 8, 4, 32, 28 };

// More than a tracee can pass (UIO_MAXIOV, the kernel's optmem limit): stop reading there.
constexpr uint64_t kMaxIov = 1024;
constexpr uint64_t kMaxControl = 64 * 1024;

constexpr Named kScmTypes[] = {
	{ 1, "SCM_RIGHTS" }, { 2, "SCM_CREDENTIALS" }, { 3, "SCM_SECURITY" },
};

constexpr int kSolSocket = 1;
constexpr int kScmRights = 1;
constexpr int kScmCredentials = 2;

const Layout &layout(const Ctx &c)
{
	return c.compat32 ? kLayout32 : kLayout64;
}

uint64_t word(const Ctx &c, const uint8_t *p)
{
	return c.compat32 ? load32(p) : load64(p);
}

struct Msg {
	uint64_t name, iov, iovlen, control, controllen;
	uint32_t namelen, flags;
};

Msg parse(const Ctx &c, const uint8_t *p)
{
	const Layout &l = layout(c);
	return { word(c, p + l.name), word(c, p + l.iov), word(c, p + l.iovlen), word(c, p + l.control),
		 word(c, p + l.controllen), load32(p + l.namelen), load32(p + l.flags) };
}

std::string iovecs(const Ctx &c, const Msg &m, std::optional<uint64_t> received)
{
	const Layout &l = layout(c);
	const uint64_t count = std::min(m.iovlen, kMaxIov);
	auto bytes = readExact(c.mem, m.iov, static_cast<size_t>(count * l.iovecSize));
	if (!bytes || (count == 0 && m.iov == 0))
		return pointer(m.iov);
	uint64_t left = received.value_or(UINT64_MAX);
	return array(c, static_cast<size_t>(count), [&](size_t i) {
		const uint8_t *p = bytes->data() + i * l.iovecSize;
		const uint64_t base = word(c, p), len = word(c, p + l.iovLen);
		const uint64_t shown = std::min(len, left);
		left -= shown;
		return "{iov_base=" + buffer(c, base, shown) + ", iov_len=" + std::to_string(len) + "}";
	});
}

std::string fdArray(const Ctx &c, const uint8_t *data, size_t len)
{
	return array(c, len / 4, [&](size_t i) { return fd(c, static_cast<int>(load32(data + i * 4))); });
}

std::string cmsgData(const Ctx &c, int level, int type, const uint8_t *data, size_t len)
{
	if (level != kSolSocket)
		return "";
	if (type == kScmRights)
		return ", cmsg_data=" + fdArray(c, data, len);
	if (type == kScmCredentials && len >= 12)
		return ", cmsg_data={pid=" + std::to_string(static_cast<int>(load32(data))) +
		       ", uid=" + std::to_string(load32(data + 4)) + ", gid=" + std::to_string(load32(data + 8)) + "}";
	return "";
}

std::string cmsgs(const Ctx &c, uint64_t addr, uint64_t controllen)
{
	const Layout &l = layout(c);
	auto bytes = readExact(c.mem, addr, static_cast<size_t>(std::min(controllen, kMaxControl)));
	if (!bytes)
		return hex(addr);
	std::string s = "[";
	size_t off = 0;
	while (bytes->size() - off >= l.cmsgHdrSize) {
		const uint8_t *p = bytes->data() + off;
		const uint64_t len = word(c, p);
		const int level = static_cast<int>(load32(p + l.cmsgLevel));
		const int type = static_cast<int>(load32(p + l.cmsgType));
		s += (off ? ", " : "") + std::string("{cmsg_len=") + std::to_string(len) +
		     ", cmsg_level=" + constant(socketLevels(), static_cast<unsigned>(level), "SOL_??") +
		     ", cmsg_type=" + (level == kSolSocket ? constant(kScmTypes, static_cast<unsigned>(type), "SCM_???")
							    : std::to_string(type));
		const size_t avail = bytes->size() - off;
		if (len >= l.cmsgHdrSize)
			s += cmsgData(c, level, type, p + l.cmsgHdrSize, static_cast<size_t>(std::min<uint64_t>(len, avail)) - l.cmsgHdrSize);
		s += "}";
		// A cmsg_len the buffer cannot hold ends the list (and keeps the step from wrapping).
		if (len < l.cmsgHdrSize || len >= avail)
			break;
		const uint64_t step = (len + l.cmsgAlign - 1) / l.cmsgAlign * l.cmsgAlign;
		if (step >= avail)
			break;
		off += static_cast<size_t>(step);
	}
	return s + "]";
}

std::string render(const Ctx &c, const Msg &m, std::optional<uint32_t> namelenIn, std::optional<uint64_t> received)
{
	const bool isRecv = received.has_value();
	const uint32_t shownLen = isRecv && namelenIn ? std::min(*namelenIn, m.namelen) : m.namelen;
	std::string namelen = std::to_string(m.namelen);
	if (isRecv && namelenIn && *namelenIn != m.namelen)
		namelen = std::to_string(*namelenIn) + " => " + namelen;
	std::string s = "{msg_name=" + sockaddrAt(c, m.name, shownLen) + ", msg_namelen=" + namelen +
			", msg_iov=" + iovecs(c, m, received) + ", msg_iovlen=" + std::to_string(m.iovlen);
	if (m.controllen)
		s += ", msg_control=" + cmsgs(c, m.control, m.controllen);
	return s + ", msg_controllen=" + std::to_string(m.controllen) + ", msg_flags=" + msgFlags(m.flags) + "}";
}

} // namespace

std::string msghdr(const Ctx &c, uint64_t addr, std::optional<uint32_t> namelenIn, std::optional<uint64_t> received)
{
	auto bytes = readExact(c.mem, addr, layout(c).msghdrSize);
	if (!bytes)
		return pointer(addr);
	return render(c, parse(c, bytes->data()), namelenIn, received);
}

std::optional<uint32_t> msgNamelen(const Ctx &c, uint64_t addr)
{
	return readU32(c.mem, addr + layout(c).namelen);
}

std::string mmsghdrs(const Ctx &c, uint64_t addr, uint64_t count, bool received)
{
	const Layout &l = layout(c);
	count = std::min(count, kMaxIov);
	auto bytes = readExact(c.mem, addr, static_cast<size_t>(count * l.mmsghdrSize));
	if (!bytes || count == 0)
		return pointer(addr);
	return array(c, static_cast<size_t>(count), [&](size_t i) {
		const uint8_t *p = bytes->data() + i * l.mmsghdrSize;
		const uint32_t msgLen = load32(p + l.msgLen);
		std::optional<uint64_t> data;
		if (received)
			data = msgLen;
		return "{msg_hdr=" + render(c, parse(c, p), std::nullopt, data) + ", msg_len=" + std::to_string(msgLen) + "}";
	});
}

} // namespace hg::strace
