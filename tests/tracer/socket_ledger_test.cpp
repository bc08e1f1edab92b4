#include <catch2/catch.hpp>

#include "tracer/socket_ledger.h"

using namespace hg;
using Entry = SocketLedger::Entry;

TEST_CASE("the ledger tells own, local, foreign and unknown sockets apart", "[socket_ledger]")
{
	SocketLedger l;
	CHECK(l.lookup(10) == Entry::Unknown);
	l.own(10);
	l.local(11);
	l.foreign(12);
	CHECK(l.lookup(10) == Entry::Own);
	CHECK(l.lookup(11) == Entry::Local);
	CHECK(l.lookup(12) == Entry::Foreign);
	CHECK(l.lookup(13) == Entry::Unknown);
	l.foreign(10); // a later verdict replaces the earlier one
	CHECK(l.lookup(10) == Entry::Foreign);
}

TEST_CASE("a small ledger forgets nothing, so a socket in flight is never taken for foreign", "[socket_ledger]")
{
	SocketLedger l;
	l.own(1);
	for (int i = 0; i < 10; i++) {
		l.beginSweep();
		l.endSweep(); // socket 1 is in no process (in a unix socket's queue)
	}
	CHECK(l.lookup(1) == Entry::Own);
}

TEST_CASE("a large ledger forgets what two sweeps in a row did not see", "[socket_ledger]")
{
	SocketLedger l;
	for (uint64_t i = 0; i <= kLedgerKeepAll; i++)
		l.own(i);
	l.beginSweep();
	l.seen(5);
	l.endSweep();
	CHECK(l.size() == kLedgerKeepAll + 1); // one sweep is not enough
	l.beginSweep();
	l.seen(5);
	l.endSweep();
	CHECK(l.size() == 1);
	CHECK(l.lookup(5) == Entry::Own);
	CHECK(l.lookup(6) == Entry::Unknown);
}

TEST_CASE("a socket noted during a sweep survives that sweep's pruning", "[socket_ledger]")
{
	SocketLedger l;
	for (uint64_t i = 0; i <= kLedgerKeepAll; i++)
		l.own(i);
	l.beginSweep();
	l.endSweep();
	l.beginSweep();
	l.own(99999); // made between the sweep's start and its end
	l.endSweep();
	CHECK(l.lookup(99999) == Entry::Own);
}
