#pragma once
// Which policy `allow:` entry would let the calls of one violation row through: the one
// decision behind report.md's paste-ready snippet and `hermetic-gate suggest`.

#include <compare>
#include <optional>
#include <string>

#include "evidence/step_aggregates.h"

namespace hg {

// The lists of `allow:` (policy/hermetic-ci-policy.schema.json) an entry can go to, in the
// order suggestions are printed.
enum class AllowList { OutboundHosts, Inbound, Delegated };

// "outbound_hosts", "inbound", "delegated": the key of the list in the policy file.
const char *allowListKey(AllowList list);

// "host" or "socket": the key of an entry's value in its long form.
const char *allowEntryField(AllowList list);

struct AllowEntry {
	AllowList list = AllowList::OutboundHosts;
	std::string value; // as the policy writes it: "203.0.113.1:443", "[2001:db8::1]:443", a name, a socket

	auto operator<=>(const AllowEntry &) const = default;
};

// The entry that allows the calls of row k:
// - outbound to a decoded IP address: outbound_hosts "ADDR:PORT" ("[v6]:PORT"), the bare
//   address for port 0 (any port); when the step resolved the address by name (k.name), the
//   name instead ("NAME:PORT"), which also allows its query and every address it answers;
// - dns: outbound_hosts with the queried name;
// - inbound and self: inbound with the listener's local address, with its port unless the
//   kernel chose it (shown as 0: it differs from run to run, so only a portless entry
//   matches it);
// - delegated: delegated with the daemon socket as the report shows it.
// nullopt when no entry can allow the row: calls without a decoded IP address (AF_PACKET,
// raw sends, other families, undecodable addresses) and evasions.
std::optional<AllowEntry> allowEntryFor(const ViolationKey &k);

} // namespace hg
