#include "policy/resolved_names.h"

namespace hg {

namespace {

std::pair<bool, std::array<uint8_t, 16>> keyOf(const Endpoint &ep)
{
	std::array<uint8_t, 16> bytes = ep.ip;
	if (ep.isV4)
		std::fill(bytes.begin() + 4, bytes.end(), 0);
	return { ep.isV4, bytes };
}

} // namespace

void ResolvedNames::add(const Endpoint &address, const std::string &name, int exception)
{
	if (address.status != AddrStatus::Decoded || !address.isIp)
		return;
	Key key = keyOf(address);
	auto it = byAddress_.find(key);
	if (it != byAddress_.end()) {
		if (it->second.exception < 0 && exception >= 0)
			it->second = Resolution{ name, exception };
		return;
	}
	if (byAddress_.size() >= kMaxResolvedAddresses && exception < 0)
		return;
	byAddress_.emplace(key, Resolution{ name, exception });
}

const Resolution *ResolvedNames::find(const Endpoint &ep) const
{
	if (ep.status != AddrStatus::Decoded || !ep.isIp)
		return nullptr;
	auto it = byAddress_.find(keyOf(ep));
	return it == byAddress_.end() ? nullptr : &it->second;
}

} // namespace hg
