#include "evidence/step_aggregates.h"

#include <algorithm>

namespace hg {

namespace {

std::string groupFamily(const NetRecord &rec, const Endpoint &ep)
{
	if (ep.status != AddrStatus::Absent && ep.family >= 0)
		return familyName(ep.family);
	if (rec.sock.known && rec.sock.domain >= 0)
		return familyName(rec.sock.domain);
	return "unknown";
}

} // namespace

std::string rowEndpointText(const ViolationKey &key)
{
	if (key.address.empty())
		return "(no address)";
	if (!key.port)
		return key.address;
	if (key.address.find(':') != std::string::npos)
		return "[" + key.address + "]:" + std::to_string(*key.port);
	return key.address + ":" + std::to_string(*key.port);
}

bool portChosenByKernel(const ViolationKey &key)
{
	return (key.kind == Direction::Inbound || key.kind == Direction::Self) && key.port == uint16_t{ 0 };
}

const Endpoint &recordEndpoint(const NetRecord &rec)
{
	if ((rec.cls.direction == Direction::Self || rec.cls.direction == Direction::Dns) &&
	    rec.listener.status != AddrStatus::Absent)
		return rec.listener;
	if (rec.cls.direction == Direction::Delegated && rec.daemonSocket.status != AddrStatus::Absent)
		return rec.daemonSocket;
	if (rec.addr.status == AddrStatus::Absent && rec.boundAddr.status != AddrStatus::Absent)
		return rec.boundAddr;
	return rec.addr;
}

ViolationKey violationKey(const NetRecord &rec)
{
	const Endpoint &ep = recordEndpoint(rec);
	std::optional<uint16_t> port;
	if (ep.status == AddrStatus::Decoded && ep.isIp)
		port = ep.port;
	return ViolationKey{ rec.cls.direction, rec.callName, groupFamily(rec, ep), protocolLabel(rec.sock),
			     ep.address(), port, rec.name, rec.exe, rec.decision };
}

void StepAggregates::add(const NetRecord &r)
{
	if (r.peerPid > 0) {
		const Endpoint &socket = r.daemonSocket.status == AddrStatus::Decoded ? r.daemonSocket : r.addr;
		outsideChannels[{socket.address(), r.peerExe}]++;
	}
	switch (r.decision) {
	case Decision::Logged:
		return;
	case Decision::Allowed: {
		auto [it, inserted] = exceptionHits.try_emplace(r.exception, ExceptionTally{ 0, r.seq });
		it->second.hits++;
		it->second.firstSeq = std::min(it->second.firstSeq, r.seq);
		break;
	}
	case Decision::Audited:
	case Decision::Denied: {
		ViolationTally &tally = violations[violationKey(r)];
		tally.count++;
		tally.pids.insert(r.pid);
		break;
	}
	}

	if (r.call != NetCall::Listen || !r.resultKnown || r.result != 0)
		return;
	// At least as fine as the text ss_listen.txt shows, so collectListeners() still
	// removes any duplicate this keeps; repeated listen() on one socket is kept once.
	ListenKey key{ r.pid, protocolLabel(r.sock), r.sock.domain, r.boundAddr.status, r.boundAddr.address(),
		       r.boundAddr.port };
	if (listenKeys_.insert(std::move(key)).second)
		listens.push_back(r);
}

} // namespace hg
