#include "procpoll/ss_text.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "evidence/text.h"
#include "procpoll/proc_tables.h"

namespace hg {

std::string renderSsEstablished(const std::vector<SeenSocket> &sockets)
{
	using Row = std::array<std::string, 5>;
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
	rows.push_back({"Netid", "State", "Local Address:Port", "Peer Address:Port", "Process"});
	for (Keyed &k : keyed)
		rows.push_back(std::move(k.row));

	std::array<size_t, 5> width{};
	for (const Row &row : rows)
		for (size_t i = 0; i < row.size(); i++)
			width[i] = std::max(width[i], row[i].size());
	std::string out;
	for (const Row &row : rows) {
		for (size_t i = 0; i < row.size(); i++) {
			out += row[i];
			if (i + 1 < row.size())
				out += std::string(width[i] - row[i].size() + 2, ' ');
		}
		out += '\n';
	}
	return out;
}

} // namespace hg
