#pragma once
// ss_established.txt of the /proc poller: the outbound connections it saw, in the columns
// of `ss -tunp` (the ss_listen.txt renderer, evidence/step_log.h, does the same for
// listeners). Pure.

#include <string>
#include <vector>

#include "procpoll/proc_poller.h"

namespace hg {

// Header then one row per socket:
//     Netid  State     Local Address:Port  Peer Address:Port  Process
//     tcp    ESTAB     10.0.0.2:41234      203.0.113.1:443    users:(("curl",pid=42))
//     tcp    SYN-SENT  ...
// State is the last state seen (ssStateName), rows sorted by (proto, peer, local, pid),
// columns padded with spaces to the widest cell. Only the header when there are none.
std::string renderSsEstablished(const std::vector<SeenSocket> &sockets);

} // namespace hg
