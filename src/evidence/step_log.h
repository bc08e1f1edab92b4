#pragma once
// Text logs of one step (logs/<id>/): ss_listen.txt and ss_established.txt (strace.txt
// is streamed a line at a time: straceLine() of strace_log.h). Logs may carry pids; they
// are not part of the deterministic report.

#include <array>
#include <string>
#include <vector>

#include "evidence/run_report.h"
#include "record/record.h"

namespace hg {

// One row of an ss-style table: Netid, State, Local Address:Port, Peer Address:Port, Process.
using SsRow = std::array<std::string, 5>;

// The table under ss's header line, columns padded with spaces to the widest cell
// (shared by ss_listen.txt and the /proc poller's ss_established.txt).
std::string renderSsTable(const std::vector<SsRow> &rows);

// ss_listen.txt: the listeners in `ss -ltnup` columns
//     Netid  State   Local Address:Port  Peer Address:Port  Process
//     tcp    LISTEN  127.0.0.1:8080      0.0.0.0:*          users:(("python3",pid=42))
// sorted by (proto, local, pid, exe), columns padded with spaces to the widest cell.
// Only the header line when there are no listeners.
std::string renderSsListen(const std::vector<Listener> &listeners);

// ss_established.txt of the /proc poller: the outbound connections it saw, in the columns
// of `ss -tunp`:
//     Netid  State     Local Address:Port  Peer Address:Port  Process
//     tcp    ESTAB     10.0.0.2:41234      203.0.113.1:443    users:(("curl",pid=42))
// State is the last state seen (ssStateName), rows sorted by (proto, peer, local, pid),
// columns padded with spaces to the widest cell. Only the header when there are none.
std::string renderSsEstablished(const std::vector<OwnedSocket> &sockets);

} // namespace hg
