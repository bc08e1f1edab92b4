#include "strace/args.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "strace/names.h"
#include "base/strace_quote.h"

namespace hg::strace {

std::optional<std::vector<uint8_t>> readExact(Memory &mem, uint64_t addr, size_t len)
{
	if (!addr)
		return std::nullopt;
	std::vector<uint8_t> bytes = mem.read(addr, len);
	if (bytes.size() < len)
		return std::nullopt;
	bytes.resize(len);
	return bytes;
}

std::optional<uint32_t> readU32(Memory &mem, uint64_t addr)
{
	auto bytes = readExact(mem, addr, 4);
	if (!bytes)
		return std::nullopt;
	return load32(bytes->data());
}

std::optional<uint64_t> readU64(Memory &mem, uint64_t addr)
{
	auto bytes = readExact(mem, addr, 8);
	if (!bytes)
		return std::nullopt;
	return load64(bytes->data());
}

std::optional<uint64_t> readWord(const Ctx &c, uint64_t addr)
{
	if (c.compat32)
		return readU32(c.mem, addr);
	return readU64(c.mem, addr);
}

std::string fd(const Ctx &c, int fd)
{
	std::string s = std::to_string(fd);
	if (c.opt.decodeFds && c.fdPath) {
		std::string path = c.fdPath(fd);
		if (!path.empty())
			s += "<" + path + ">";
	}
	return s;
}

std::string pointer(uint64_t addr)
{
	return addr ? hex(addr) : "NULL";
}

std::string buffer(const Ctx &c, uint64_t addr, uint64_t len, bool forceHex)
{
	if (!addr)
		return "NULL";
	if (len == 0)
		return "\"\"";
	// strace reads the buffer even under -s 0: an unreadable one prints as its pointer.
	const size_t shown = static_cast<size_t>(std::min<uint64_t>(len, c.opt.strsize));
	auto bytes = readExact(c.mem, addr, std::max<size_t>(shown, 1));
	if (!bytes)
		return hex(addr);
	std::string_view text(reinterpret_cast<const char *>(bytes->data()), shown);
	return quoted(text, static_cast<size_t>(len), forceHex);
}

std::string inOutLen(std::optional<uint32_t> in, uint32_t out)
{
	if (in && *in != out)
		return "[" + std::to_string(*in) + " => " + std::to_string(out) + "]";
	return "[" + std::to_string(out) + "]";
}

std::string array(const Ctx &c, size_t count, const std::function<std::string(size_t)> &element)
{
	std::string s = "[";
	const size_t shown = std::min(count, c.opt.strsize);
	for (size_t i = 0; i < shown; i++)
		s += (i ? ", " : "") + element(i);
	if (count > shown)
		s += shown ? ", ..." : "...";
	return s + "]";
}

} // namespace hg::strace

#include <sys/socket.h>

#include "strace/sockaddr.h"

namespace hg::strace {

std::string sockaddrAt(const Ctx &c, uint64_t addr, uint32_t len)
{
	if (!addr)
		return "NULL";
	const size_t want = std::min<size_t>(len, sizeof(sockaddr_storage));
	auto bytes = readExact(c.mem, addr, want);
	if (!bytes)
		return hex(addr);
	return sockaddr(*bytes, len, addr);
}

} // namespace hg::strace
