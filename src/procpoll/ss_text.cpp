#include "procpoll/ss_text.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "evidence/step_log.h"
#include "evidence/text.h"
#include "procpoll/proc_tables.h"

namespace hg {

std::string renderSsEstablished(const std::vector<SeenSocket> &sockets)
{
	using Row = SsRow;
	struct Keyed {
		std::string proto, peer, local;
		pid_t pid;
		Row row;
	};
	std::vector<Keyed> keyed;
	for (const SeenSocket &s : sockets) {
		std::string name = s.exe.substr(s.exe.rfind('/') + 1);
		std::string process = "users:((\"" + validUtf8(name) + "\",pid=" + std::to_string(s.pid) + "))";
		std::string local = ssEndpoint(s.sock.local), peer = ssEndpoint(s.sock.remote);
		keyed.push_back({s.sock.proto, peer, local, s.pid,
				 Row{validUtf8(s.sock.proto), ssStateName(s.sock.proto, s.sock.state), local, peer, process}});
	}
	std::sort(keyed.begin(), keyed.end(), [](const Keyed &a, const Keyed &b) {
		return std::tie(a.proto, a.peer, a.local, a.pid) < std::tie(b.proto, b.peer, b.local, b.pid);
	});
	std::vector<Row> rows;
	for (Keyed &k : keyed)
		rows.push_back(std::move(k.row));
	return renderSsTable(rows);
}

} // namespace hg
