#include "evidence/step_log.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "evidence/text.h"

namespace hg {

std::string renderSsTable(const std::vector<SsRow> &rows)
{
	std::array<size_t, 5> width{};
	std::vector<SsRow> all;
	all.push_back({ "Netid", "State", "Local Address:Port", "Peer Address:Port", "Process" });
	all.insert(all.end(), rows.begin(), rows.end());
	for (const SsRow &row : all)
		for (size_t i = 0; i < row.size(); i++)
			width[i] = std::max(width[i], row[i].size());

	std::string out;
	for (const SsRow &row : all) {
		for (size_t i = 0; i < row.size(); i++) {
			out += row[i];
			if (i + 1 < row.size())
				out += std::string(width[i] - row[i].size() + 2, ' ');
		}
		out += '\n';
	}
	return out;
}

std::string renderSsListen(const std::vector<Listener> &listeners)
{
	std::vector<const Listener *> sorted;
	for (const Listener &l : listeners)
		sorted.push_back(&l);
	std::sort(sorted.begin(), sorted.end(), [](const auto *a, const auto *b) {
		return std::tie(a->proto, a->local, a->pid, a->exe) <
		       std::tie(b->proto, b->local, b->pid, b->exe);
	});

	using Row = SsRow;
	std::vector<Row> rows;
	for (const Listener *l : sorted) {
		// ss prints the wildcard peer in the family of the local address.
		std::string peer = !l->local.empty() && l->local.front() == '[' ? "[::]:*" : "0.0.0.0:*";
		std::string name = l->exe.substr(l->exe.rfind('/') + 1);
		std::string process = "users:((\"" + validUtf8(name) + "\",pid=" +
				      std::to_string(l->pid) + "))";
		rows.push_back({ validUtf8(l->proto), validUtf8(l->state), validUtf8(l->local), peer,
				 process });
	}

	return renderSsTable(rows);
}

std::string renderSsEstablished(const std::vector<OwnedSocket> &sockets)
{
	using Row = SsRow;
	struct Keyed {
		std::string proto, peer, local;
		pid_t pid;
		Row row;
	};
	std::vector<Keyed> keyed;
	for (const OwnedSocket &s : sockets) {
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
