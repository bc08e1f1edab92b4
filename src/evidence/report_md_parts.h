#pragma once
// The pieces of report.md that other Markdown outputs show the same way (the GitHub step
// summary, github_summary.h): code spans and table cells, the steps table, one section
// per violation group with its paste-ready exception. Pure, deterministic like report.md.

#include <string>
#include <vector>

#include "evidence/run_report.h"

namespace hg {

// An inline code span that survives backticks in s (a longer fence, padding spaces) and
// newlines (shown as \n); bytes that are not UTF-8 shown as \xNN.
std::string mdCode(const std::string &s);

// s with '|' escaped: inside a GFM table cell a pipe ends the cell even within a code span.
std::string mdCell(const std::string &s);

// How the step's command ended, as the Exit column shows it: "0", "SIGKILL", "not started",
// "137 (timed out)".
std::string exitText(const StepEvidence &s);

// How a text is quoted in a sentence: mdCode for Markdown, plainText for plain text.
using QuoteFn = std::string (*)(const std::string &);

// s as valid UTF-8 (validUtf8()), unquoted.
std::string plainText(const std::string &s);

// What a violation group is, one phrase: "outbound connect to 203.0.113.1:443",
// "inbound listen on 127.0.0.1:0 (port chosen by the kernel)", "dns sendto for NAME via
// 10.0.0.2:53", "raw socket"; names and addresses passed through quote.
std::string violationWhat(const ViolationKey &k, QuoteFn quote);

// The header and separator of the steps table (Step, Command, Result, Exit, Violations).
std::string stepsTableHead();

// One row of the steps table, ending in a newline.
std::string stepsTableRow(const StepEvidence &s);

// Violating calls of the step: the sum of its violation groups' counts.
uint64_t violationCount(const StepEvidence &s);

// One section per violation group of every step, in step order then table order: a
// "### STEP: KIND SYSCALL to ADDR" heading, the decision and count, the executable and up to
// five argv, and the exception that would allow it (or why none can).
std::vector<std::string> violationSections(const std::vector<StepEvidence> &steps);

// The sections of violationSections() for one step.
std::vector<std::string> stepViolationSections(const StepEvidence &s);

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
