#include "evidence/allow_entry.h"

namespace hg {

const char *allowListKey(AllowList list)
{
	switch (list) {
	case AllowList::OutboundHosts:
		return "outbound_hosts";
	case AllowList::Inbound:
		return "inbound";
	case AllowList::Delegated:
		return "delegated";
	}
	return "outbound_hosts";
}

const char *allowEntryField(AllowList list)
{
	return list == AllowList::Delegated ? "socket" : "host";
}

namespace {

// "ADDR:PORT", "[v6]:PORT".
std::string withPort(const std::string &address, uint16_t port)
{
	std::string out;
	if (address.find(':') != std::string::npos)
		out.append("[").append(address).append("]");
	else
		out.append(address);
	return out.append(":").append(std::to_string(port));
}

} // namespace

std::optional<AllowEntry> allowEntryFor(const ViolationKey &k)
{
	if (k.kind == Direction::Delegated && !k.address.empty())
		return AllowEntry{ AllowList::Delegated, k.address };
	if (k.kind == Direction::Dns && !k.name.empty())
		return AllowEntry{ AllowList::OutboundHosts, k.name };
	bool inbound = k.kind == Direction::Inbound || k.kind == Direction::Self;
	// Only a decoded IP address has a port set (aggregateViolations).
	if ((k.kind != Direction::Outbound && !inbound) || !k.port || k.address.empty())
		return std::nullopt;
	// Port 0: any port (an outbound call to port 0), or one the kernel chose, which differs
	// from run to run and so is never written into a policy.
	if (inbound)
		return AllowEntry{ AllowList::Inbound, *k.port ? withPort(k.address, *k.port) : k.address };
	if (!k.name.empty())
		return AllowEntry{ AllowList::OutboundHosts, *k.port ? withPort(k.name, *k.port) : k.name };
	return AllowEntry{ AllowList::OutboundHosts, *k.port ? withPort(k.address, *k.port) : k.address };
}

} // namespace hg
