#pragma once
// The addresses the step's own DNS answers gave (issue 11): for an allowed name, a connect
// to any of them is allowed by that name's exception for the rest of the step, whatever
// address a CDN returned this time; for any name, reports say which name an address came
// from. Pure data.
//
// Size: one entry per distinct address answered, at most kMaxResolvedAddresses (beyond
// that, new addresses of names that are not allowed are dropped first; allowed ones are
// always kept, as dropping one would turn an allowed connect into a violation).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "net/endpoint.h"

namespace hg {

inline constexpr size_t kMaxResolvedAddresses = 100000;

struct Resolution {
	std::string name;   // the name the step asked for (the first of a CNAME chain)
	int exception = -1; // the exception that allowed the query, -1 when none did
};

class ResolvedNames {
public:
	// `address` (a Decoded inet Endpoint; the port is ignored) was an answer for name.
	// An address already known keeps an allowing entry over one that does not allow.
	void add(const Endpoint &address, const std::string &name, int exception);

	// What resolved to ep's address, or nullptr when the step never resolved it.
	const Resolution *find(const Endpoint &ep) const;

	size_t size() const { return byAddress_.size(); }

private:
	using Key = std::pair<bool, std::array<uint8_t, 16>>; // (IPv4, bytes); mapped addresses are IPv4
	std::map<Key, Resolution> byAddress_;
};

} // namespace hg
