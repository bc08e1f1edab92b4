#pragma once
// Which sockets the traced tree made itself (issue 12, "sockets from outside the tree").
// Every socket() of an inet family traps, and the new socket's inode is noted here at the
// call's exit; a socket accepted from a listener of the tree, or passed on by the policy, is
// noted when the gate first sees it. An inet socket found open in a process of the tree that
// the ledger does not know came from outside (received over a unix socket from a process
// outside the tree): it is foreign.
//
// Memory: the ledger keeps what the tree holds open. A sweep of the tree's descriptors marks
// every socket it sees; once the ledger holds more than kLedgerKeepAll entries, the ones no
// sweep has seen for two sweeps are forgotten (a socket in flight in a unix socket's queue,
// held by no process, for longer than that would then be taken for a foreign one: recorded,
// never silent). Pure: no /proc, no ptrace.

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace hg {

constexpr size_t kLedgerKeepAll = 4096;

class SocketLedger {
public:
	enum class Entry {
		Unknown, // never seen: to be inspected
		Own,     // a socket the tree made (or accepted, or the policy passed on)
		Local,   // not an inet socket: nothing to do
		Foreign, // an inet socket from outside the tree, already recorded
	};

	void own(uint64_t inode) { mark(inode, Entry::Own); }
	void local(uint64_t inode) { mark(inode, Entry::Local); }
	void foreign(uint64_t inode) { mark(inode, Entry::Foreign); }
	Entry lookup(uint64_t inode) const;

	// A sweep: beginSweep(), seen() for every socket inode open in the tree, endSweep().
	void beginSweep() { sweep_++; }
	void seen(uint64_t inode);
	void endSweep();

	size_t size() const { return entries_.size(); }

private:
	struct Slot {
		Entry entry;
		uint64_t lastSweep; // the last sweep that saw it (or the sweep it was noted in)
	};
	void mark(uint64_t inode, Entry e);

	std::unordered_map<uint64_t, Slot> entries_;
	uint64_t sweep_ = 0;
};

} // namespace hg
