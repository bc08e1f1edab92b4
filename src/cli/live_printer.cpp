#include "cli/live_printer.h"

#include <sys/socket.h>

namespace hg {

std::string endpointText(const Endpoint &ep)
{
	if (ep.status == AddrStatus::Absent)
		return "-";
	if (ep.status == AddrStatus::Undecodable)
		return "undecodable";
	if (ep.isIp) {
		std::string a = ep.address();
		if (!ep.isV4)
			a = "[" + a + "]";
		return a + ":" + std::to_string(ep.port);
	}
	return ep.address();
}

namespace {

// Values may hold spaces (paths): quote them so the line stays key=value.
std::string value(const std::string &v)
{
	if (v.empty())
		return "-";
	if (v.find_first_of(" \t\"") == std::string::npos)
		return v;
	std::string q = "\"";
	for (char c : v) {
		if (c == '"' || c == '\\')
			q += '\\';
		q += c;
	}
	return q + "\"";
}

} // namespace

std::string violationLine(const NetRecord &r, const std::string &step, bool colour)
{
	const char *on = colour ? (r.decision == Decision::Denied ? "\033[1;33m" : "\033[1;31m") : "";
	const char *off = colour ? "\033[0m" : "";
	int family = r.addr.family >= 0 ? r.addr.family : r.sock.domain;
	std::string line = "hermetic-gate: ";
	line += on;
	line += "violation";
	line += off;
	line += " step=" + value(step);
	line += " pid=" + std::to_string(r.pid);
	line += " exe=" + value(r.exe);
	line += " syscall=" + value(r.callName);
	line += " family=" + (family >= 0 ? familyName(family) : std::string("-"));
	line += " proto=" + (r.sock.known ? protocolLabel(r.sock) : std::string("-"));
	line += " addr=" + value(endpointText(r.addr));
	line += " decision=" + std::string(decisionName(r.decision));
	if (!r.arch.empty() && r.arch != "x86_64")
		line += " abi=" + value(r.arch);
	if (r.cls.direction == Direction::Evasion)
		line += " reason=" + value(r.cls.why);
	if (r.cls.direction == Direction::Raw)
		line += " kind=raw reason=" + value(r.cls.why);
	if (r.cls.direction == Direction::Self)
		line += " kind=self listener=" + value(endpointText(r.listener));
	if (r.cls.direction == Direction::Dns)
		line += " kind=dns name=" + value(r.name) + " resolver=" + value(endpointText(r.listener));
	else if (!r.name.empty())
		line += " name=" + value(r.name);
	if (r.cls.direction == Direction::Delegated)
		line += " kind=delegated socket=" + value(endpointText(r.daemonSocket));
	return line;
}

} // namespace hg
