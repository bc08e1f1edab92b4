#include "net/listener_table.h"

#include <sys/socket.h>

#include <algorithm>
#include <vector>

namespace hg {

bool isWildcardIp(const Endpoint &ep)
{
	size_t n = ep.isV4 ? 4 : 16;
	return ep.isIp && std::all_of(ep.ip.begin(), ep.ip.begin() + static_cast<long>(n), [](uint8_t b) { return b == 0; });
}

bool sameIp(const Endpoint &a, const Endpoint &b)
{
	return a.isV4 == b.isV4 && a.ip == b.ip;
}

bool reaches(const LocalListener &l, const SocketInfo &sock, const Endpoint &dest)
{
	if (!dest.isLoopback() || l.local.status != AddrStatus::Decoded || !l.local.isIp)
		return false;
	if (l.sock.type != sock.type || l.sock.protocol != sock.protocol || l.local.port != dest.port)
		return false;
	if (sameIp(l.local, dest))
		return true;
	if (!isWildcardIp(l.local))
		return false;
	if (l.local.isV4) // 0.0.0.0 takes IPv4 (mapped or not), never ::1
		return dest.isV4;
	return !dest.isV4 || !l.v6only; // :: takes IPv6, and IPv4 unless v6only
}

void ListenerTable::add(LocalListener l)
{
	std::pair<pid_t, int> key{ l.tgid, l.fd };
	entries_.insert_or_assign(key, std::move(l));
}

ListenerTable::Map::iterator ListenerTable::relocate(Map::iterator it, const LocateListener &locate)
{
	auto where = locate(it->second);
	if (!where) {
		entries_.erase(it);
		return entries_.end();
	}
	if (*where == it->first)
		return it;
	LocalListener moved = std::move(it->second);
	entries_.erase(it);
	moved.tgid = where->first;
	moved.fd = where->second;
	return entries_.insert_or_assign(*where, std::move(moved)).first;
}

const LocalListener *ListenerTable::find(const SocketInfo &sock, const Endpoint &dest, const std::string &netns,
					 const LocateListener &locate)
{
	std::vector<std::pair<pid_t, int>> candidates;
	for (const auto &[key, l] : entries_)
		if (l.netns == netns && reaches(l, sock, dest))
			candidates.push_back(key);
	for (const auto &key : candidates) {
		auto it = entries_.find(key);
		if (it == entries_.end())
			continue;
		it = relocate(it, locate);
		if (it != entries_.end())
			return &it->second;
	}
	return nullptr;
}

void ListenerTable::endProcess(pid_t tgid, const LocateListener &locate)
{
	std::vector<std::pair<pid_t, int>> keys;
	for (auto it = entries_.lower_bound({ tgid, INT32_MIN }); it != entries_.end() && it->first.first == tgid; ++it)
		keys.push_back(it->first);
	for (const auto &key : keys)
		if (auto it = entries_.find(key); it != entries_.end())
			relocate(it, locate);
}

void ListenerTable::dropProcess(pid_t tgid)
{
	entries_.erase(entries_.lower_bound({ tgid, INT32_MIN }), entries_.upper_bound({ tgid, INT32_MAX }));
}

} // namespace hg
