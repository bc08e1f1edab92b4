#include "tracer/dns_follow.h"

namespace hg {

namespace {

// The whole messages in buffers: each buffer for a datagram socket, the stream's
// messages for a TCP one.
std::vector<std::vector<uint8_t>> messages(const std::vector<std::vector<uint8_t>> &buffers, bool stream,
					   DnsTcpStream &tcp)
{
	if (!stream)
		return buffers;
	std::vector<std::vector<uint8_t>> out;
	for (const auto &b : buffers)
		for (auto &m : tcp.feed(b))
			out.push_back(std::move(m));
	return out;
}

} // namespace

DnsSend DnsFollow::parseOutgoing(const std::vector<std::vector<uint8_t>> &buffers)
{
	DnsSend send;
	for (const auto &msg : messages(buffers, stream_, out_)) {
		auto q = parseDnsQuery(msg);
		if (!q) {
			send.problem = q.error().message;
			continue;
		}
		send.queries.push_back(std::move(*q));
	}
	return send;
}

void DnsFollow::sent(const DnsQuery &q, int exception)
{
	sentAny_ = true;
	SentQuery s;
	s.exception = exception;
	if (!q.questions.empty()) {
		s.name = q.questions[0].name;
		s.type = q.questions[0].type;
	}
	pending_[q.id] = std::move(s);
}

std::vector<std::pair<SentQuery, DnsAnswer>> DnsFollow::incoming(const std::vector<std::vector<uint8_t>> &buffers)
{
	std::vector<std::pair<SentQuery, DnsAnswer>> out;
	for (const auto &msg : messages(buffers, stream_, in_)) {
		auto a = parseDnsResponse(msg);
		if (!a)
			continue;
		auto it = pending_.find(a->id);
		// The answer must be to the question asked: a spoofed or stale id gets nothing.
		if (it == pending_.end() || a->questions.empty() || a->questions[0].name != it->second.name)
			continue;
		out.emplace_back(it->second, std::move(*a));
		pending_.erase(it);
	}
	return out;
}

} // namespace hg
