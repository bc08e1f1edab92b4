#pragma once
// report.md: a short GitHub-flavoured summary for humans. Deterministic like
// report.json (no pids, times or temp paths): a header, one table of steps, then one
// section per violation group naming the executable and argv that made it, with a
// policy snippet that would allow it, and the exceptions never used.

#include <string>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

// Fails only when validateRun() fails.
Expected<std::string> renderReportMd(const RunEvidence &run);

// A YAML fragment in the policy file's format (policy/hermetic-ci-policy.schema.json)
// that can be pasted into the policy to allow the calls of g, ending in a newline; the
// reason/owner/expires placeholders are YAML comments to fill in and uncomment:
//     allow:
//       outbound_hosts:
//         - host: "203.0.113.1:443"
//           # reason: "why this step needs it"
//           # owner: "@team-or-person"
//           # expires: YYYY-MM-DD
// IPv6 prints as "[2001:db8::1]:443", a port of 0 as the bare address. Inbound
// violations (a listen or bind) and self connections get an entry of allow.inbound for
// the listener's local address; a port the kernel chose is never written (it is shown as
// 0, so the snippet names the address alone). A delegated call gets an entry of
// allow.delegated, `- socket: "/run/docker.sock"`. Empty when no exception can allow g: calls
// without a decoded IP address (AF_PACKET, raw sends without an address, other families,
// undecodable addresses) and evasions.
std::string exceptionSnippet(const ViolationGroup &g);

} // namespace hg
