#pragma once
// The verdict on one network call, as both detectors reach it: classify() says whether
// the call would be a violation, the allowlists say whether a governed exception covers
// it, the mode says what happens to it. Pure: no ptrace, no /proc.

#include "net/classify.h"
#include "net/endpoint.h"
#include "policy/allowlist.h"
#include "policy/resolved_names.h"

namespace hg {

enum class Decision {
	Logged,  // not a violation (local IPC, datagram connect to loopback, ...)
	Allowed, // would be a violation, but a governed exception matched
	Audited, // violation, let through (audit mode, or a detector that cannot refuse)
	Denied,  // violation, refused with EPERM before it ran (enforce mode)
};

const char *decisionName(Decision d); // "logged", "allowed", "audited", "denied"

// How bad a decision is, for picking the worst of several destinations: Logged 0,
// Allowed 1, Audited and Denied 2.
int decisionRank(Decision d);

struct DecisionRules {
	// The governed exceptions, every scope: outbound ones are matched on destinations,
	// inbound ones on the local address of listen()/bind(), delegated ones on daemon sockets.
	const Allowlist *allow = nullptr;
	bool enforce = false;   // refuse violations (Denied) instead of auditing them
	bool canRefuse = true;  // false for a detector that sees calls after the fact
	// The addresses the step's DNS answers gave: an outbound call to one that an allowed
	// name resolved to is allowed by that name's exception (and its port, if it has one).
	const ResolvedNames *resolved = nullptr;
};

struct Judgement {
	int exception = -1; // index into rules.allow when Allowed
	Decision decision = Decision::Logged;
};

// The decision for a call of kind `call` classified as cls. `matched` is the address the
// exceptions are matched against: the destination, or for listen/bind the local address
// as reports show it (port 0 when the kernel chose it). Inbound calls match inbound
// exceptions, outbound calls outbound ones. A self connection (Direction::Self) is covered
// by the inbound exception that covers its `listener` (the listener's local address as
// reports show it), else by an outbound exception for `matched`, as any loopback connect.
// A delegated call (Direction::Delegated) is covered only by a delegated exception for the
// daemon socket it asks, `socket`.
// A raw or packet socket (Direction::Raw) is covered by no exception: it receives whatever
// reaches the machine and sends anywhere, so no address or port describes what it does.
// A violation no exception covers is Denied in enforce mode; a call the decoder does not
// model (NetCall::Other) can match no exception and is Denied in any mode. A detector
// that cannot refuse records both as Audited.
Judgement decide(NetCall call, const Classification &cls, const Endpoint &matched, const DecisionRules &rules,
		 const Endpoint *listener = nullptr, const UnixTarget *socket = nullptr);

// The decision on a DNS query for `name` sent to the step's resolver (Direction::Dns): allowed
// by the first outbound hostname exception that covers the name (exact or wildcard), else a
// violation, Denied in enforce mode.
Judgement decideQuery(const std::string &name, const DecisionRules &rules);

} // namespace hg
