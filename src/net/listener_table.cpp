#include "net/listener_table.h"

#include <sys/socket.h>

#include <algorithm>

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

const LocalListener *ListenerTable::find(const SocketInfo &sock, const Endpoint &dest, const std::string &netns,
					 const std::function<bool(const LocalListener &)> &alive)
{
	for (auto it = entries_.begin(); it != entries_.end();) {
		const LocalListener &l = it->second;
		if (l.netns != netns || !reaches(l, sock, dest)) {
			++it;
			continue;
		}
		if (alive(l))
			return &l;
		it = entries_.erase(it);
	}
	return nullptr;
}

void ListenerTable::dropProcess(pid_t tgid)
{
	entries_.erase(entries_.lower_bound({ tgid, INT32_MIN }), entries_.upper_bound({ tgid, INT32_MAX }));
}

} // namespace hg
