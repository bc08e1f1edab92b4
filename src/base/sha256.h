#pragma once
// SHA-256 (FIPS 180-4), small and dependency-free: used to fingerprint the policy file in
// the evidence report. Not constant-time; do not use it for secrets.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hg {

class Sha256 {
public:
	Sha256();

	// Feeds more bytes; may be called any number of times before finish().
	void update(const void *data, size_t len);
	void update(std::string_view data) { update(data.data(), data.size()); }

	// Pads, returns the 32-byte digest and resets the object for a new message.
	std::array<uint8_t, 32> finish();

private:
	void reset();
	void block(const uint8_t *p);

	std::array<uint32_t, 8> h_;
	std::array<uint8_t, 64> buf_;
	size_t bufLen_;
	uint64_t totalLen_;
};

// Lower-case hex of the SHA-256 of data: "e3b0c442...b855" for "".
std::string sha256Hex(std::string_view data);

} // namespace hg
