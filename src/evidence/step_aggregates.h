#pragma once
// What a step's report and logs need from its network calls, kept as running totals so
// the gate's memory does not grow with the number of calls. Each record is folded in as
// it completes (add()) and then dropped; the full log of every call goes to strace.txt,
// on disk, as it happens (StraceStream in cli/step_sink.h).
//
// Sizes grow with the distinct violation groups (one per destination, executable and
// decision), the exceptions, the processes and the listening sockets of a step: never
// with the number of calls.

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "net/classify.h"
#include "net/endpoint.h"
#include "record/record.h"

namespace hg {

// The key fields of a row of the violation table (ViolationGroup in run_report.h); rows
// sort by these fields in this order.
struct ViolationKey {
	Direction kind = Direction::Outbound;
	std::string syscall;          // NetRecord::callName
	std::string family;           // "AF_INET", ...; "unknown" when neither address nor socket tell
	std::string protocol;         // protocolLabel(sock)
	std::string address;          // Endpoint::address(); "" when the call carried none
	std::optional<uint16_t> port; // set for decoded inet addresses only
	std::string name;             // NetRecord::name: the queried name (dns), the name that resolved to address, or ""
	std::string exe;
	Decision decision = Decision::Audited;

	auto operator<=>(const ViolationKey &) const = default;
};

struct ViolationTally {
	uint64_t count = 0;
	std::set<pid_t> pids; // thread-group ids of the callers (argv looked up at the end)
};

struct ExceptionTally {
	uint64_t hits = 0;     // Allowed records naming this exception index
	uint64_t firstSeq = 0; // NetRecord::seq of the earliest of them
};

struct StepAggregates {
	// Audited and Denied records, by key.
	std::map<ViolationKey, ViolationTally> violations;
	// Allowed records, by NetRecord::exception (an index into the step's allowlist; an
	// index outside it is kept so validateRun() can name the tracer bug).
	std::map<int, ExceptionTally> exceptionHits;
	// The first successful, non-logged listen() of each (process, protocol, local
	// address), in the order they completed: the calls ss_listen.txt reports.
	std::vector<NetRecord> listens;
	// Unix sockets whose other end was a process outside the tree (NetRecord::peerExe):
	// (socket as reports show it, the peer's executable) -> connects, whatever the decision.
	std::map<std::pair<std::string, std::string>, uint64_t> outsideChannels;

	// Folds one completed record in. Logged records change nothing but outsideChannels.
	void add(const NetRecord &r);

private:
	using ListenKey = std::tuple<pid_t, std::string, int, AddrStatus, std::string, uint16_t>;
	std::set<ListenKey> listenKeys_;
};

// True when the row's port is 0 because the kernel chose the real one (a listener bound to
// port 0, or a self connection to such a listener): reports show 0 so that they do not
// change from run to run; the real port is in strace.txt and ss_listen.txt.
bool portChosenByKernel(const ViolationKey &key);

// The destination of a row as reports show it: "203.0.113.1:443", "[2001:db8::1]:443", the
// bare address when the row has no port, "(no address)" when it has no address.
std::string rowEndpointText(const ViolationKey &key);

// The endpoint a record is about, as reports show it: for a self connection the listener
// it reached, for a DNS query the resolver it went to (both in NetRecord::listener), for a
// delegated call the daemon socket it asked (NetRecord::daemonSocket, the path resolved),
// else its address argument, or for listen()/bind() with no address argument the socket's
// local address (boundAddr).
const Endpoint &recordEndpoint(const NetRecord &rec);

// The violation-table key of an Audited or Denied record.
ViolationKey violationKey(const NetRecord &rec);

} // namespace hg
