#include "tracer/socket_ledger.h"

namespace hg {

void SocketLedger::mark(uint64_t inode, Entry e)
{
	entries_[inode] = Slot{e, sweep_};
}

SocketLedger::Entry SocketLedger::lookup(uint64_t inode) const
{
	auto it = entries_.find(inode);
	return it == entries_.end() ? Entry::Unknown : it->second.entry;
}

void SocketLedger::seen(uint64_t inode)
{
	auto it = entries_.find(inode);
	if (it != entries_.end())
		it->second.lastSweep = sweep_;
}

void SocketLedger::endSweep()
{
	if (entries_.size() <= kLedgerKeepAll)
		return;
	for (auto it = entries_.begin(); it != entries_.end();) {
		if (it->second.lastSweep + 2 <= sweep_)
			it = entries_.erase(it);
		else
			++it;
	}
}

} // namespace hg
