#pragma once
// What the /proc poller cannot see, one line each, for report.json and report.md: the
// fallback is weaker than the tracer and says how.

#include <string>
#include <string_view>
#include <vector>

namespace hg {

// The limits, interval-independent wording. procPollLimits() puts the interval in.
inline constexpr std::string_view kProcPollLimits[] = {
	"nothing is refused: a poller sees sockets after the calls that made them, so every violation is audited whatever the mode",
	"a connection opened and closed between two polls (see the interval) is missed; so is a process that lives shorter than one interval",
	"a connect the kernel refused or that failed at once (refused, unreachable, EPERM) leaves no socket state to see",
	"UDP sendto/sendmsg on an unconnected socket: only the socket's local port is seen (reported as a bind), never the destinations",
	"raw and packet sockets are reported as open, not what they send",
	"the thread, syscall and result of a call are not known; a socket shared by several processes is reported once, for the first one seen holding it",
	"connections accepted from a listener are not reported as connections (the listening socket is)",
	"a listening or bound port inside the ephemeral range (net.ipv4.ip_local_port_range of the gate's network namespace, the kernel's default 32768-60999 for a namespace of the step's own) is taken as chosen by the kernel and reported as port 0, even when the step asked for it; a port outside the range is reported as it is",
	"a TCP connect to loopback is recognised as a self connection (to the step's own listener) only when that listener is open, held by the step, at the poll that first sees the connect (seen first at that poll or before it); a listener closed before that poll leaves the connect an outbound one",
	"sockets of processes the gate may not inspect (/proc/PID/fd unreadable: another user, a setuid program, when the gate is not root)",
	"network work done by a process outside the step's tree (a Docker daemon, a build daemon started before the step, a resolver reached over D-Bus), and the step's requests to such daemons over unix sockets (the tracer records them as delegated)",
	"sockets passed to another process over a unix socket, or held only as io_uring fixed files, have no /proc/PID/fd entry",
};

// kProcPollLimits with the poll interval in the second line:
// "... between two polls (every 20 ms) is missed ...".
std::vector<std::string> procPollLimits(int intervalMs);

} // namespace hg
