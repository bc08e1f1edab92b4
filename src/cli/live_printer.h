#pragma once
// The live view: one line on stderr per violation, the moment the supervisor judges it,
//   hermetic-gate: violation step=unit pid=4242 exe=/usr/bin/curl syscall=connect family=AF_INET proto=tcp addr=203.0.113.1:443 decision=audited
// key=value so it greps; coloured only when stderr is a terminal.

#include <cstdio>
#include <string>

#include "record/record.h"

namespace hg {

// "203.0.113.1:443", "[2001:db8::1]:443", "/run/x.sock", "@abstract", "-" when absent.
std::string endpointText(const Endpoint &ep);

// The line for r (no newline); colour adds ANSI escapes around the verdict word.
std::string violationLine(const NetRecord &r, const std::string &step, bool colour);

} // namespace hg
