#pragma once
// One thread's DNS exchange, as the supervisor follows it (issue 11): the socket it talks
// to its resolver on, the queries it sent that are still unanswered, and the answers it
// read. The supervisor stops the thread at every syscall (PTRACE_SYSCALL) from the moment
// it connects or sends to a resolver until every query it sent is answered, its socket is
// closed, or kMaxFollowedSyscalls syscalls have passed; other threads run untouched.
// Pure: fed the bytes tracer/dns_io.h reads out of the tracee.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/dns_message.h"
#include "tracer/dns_io.h"

namespace hg {

// Syscalls a thread is followed for, at most, per exchange: glibc's whole exchange (send,
// poll, recvfrom, retries) takes a few dozen; a thread that connected a DNS socket and
// never uses it costs no more than this.
inline constexpr unsigned kMaxFollowedSyscalls = 512;

// Bytes copied out of the tracee per call: a DNS message is at most 65535 bytes (+2 on TCP).
inline constexpr size_t kMaxDnsCopy = 65537;

// A query the thread sent, with the verdict the supervisor gave its names.
struct SentQuery {
	std::string name;  // the first question's name
	uint16_t type = 0;
	int exception = -1; // the exception that allowed the name, -1 when none did
};

// What the bytes a thread sends to its resolver are.
struct DnsSend {
	std::vector<DnsQuery> queries; // the queries, in order
	std::string problem;           // set when some bytes are not a DNS query (the why)
};

class DnsFollow {
public:
	DnsFollow(int fd, bool stream) : fd_(fd), stream_(stream) {}

	int fd() const { return fd_; }
	bool stream() const { return stream_; }
	// Bytes of an unfinished outgoing TCP message (0 for datagrams).
	size_t pendingOut() const { return out_.pending(); }

	// The queries in buffers the thread is about to send (tracer/dns_io.h: one per datagram,
	// or pieces of a TCP stream).
	DnsSend parseOutgoing(const std::vector<std::vector<uint8_t>> &buffers);

	// Records a query as sent (its answer is awaited).
	void sent(const DnsQuery &q, int exception);

	// The answers to sent queries in buffers the thread received, each with the query it
	// answers; answers to nothing the thread asked are dropped.
	std::vector<std::pair<SentQuery, DnsAnswer>> incoming(const std::vector<std::vector<uint8_t>> &buffers);

	// A read on the socket began (its buffers are read at the syscall's exit).
	void readStarted(const IoCall &io) { read_ = io; }
	std::optional<IoCall> takeRead()
	{
		auto r = read_;
		read_.reset();
		return r;
	}

	// One syscall of the thread passed; false once the budget is spent.
	bool tick() { return ++syscalls_ <= kMaxFollowedSyscalls; }

	// Every query sent has been answered (and at least one was sent).
	bool done() const { return sentAny_ && pending_.empty(); }

private:
	int fd_;
	bool stream_;
	bool sentAny_ = false;
	unsigned syscalls_ = 0;
	std::map<uint16_t, SentQuery> pending_; // by DNS id
	std::optional<IoCall> read_;
	DnsTcpStream out_, in_;
};

} // namespace hg
