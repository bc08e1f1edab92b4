#include "base/sha256.h"

#include <nettle/sha2.h>
#include <nettle/version.h>

#include <cstdint>

namespace hg {

std::string sha256Hex(std::string_view data)
{
	sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, data.size(), reinterpret_cast<const uint8_t *>(data.data()));

	uint8_t digest[SHA256_DIGEST_SIZE];
#if NETTLE_VERSION_MAJOR >= 4
	sha256_digest(&ctx, digest); // Nettle 4 dropped the length argument
#else
	sha256_digest(&ctx, sizeof(digest), digest);
#endif

	static const char kHex[] = "0123456789abcdef";
	std::string hex;
	hex.reserve(2 * sizeof(digest));
	for (uint8_t byte : digest) {
		hex += kHex[byte >> 4];
		hex += kHex[byte & 0xf];
	}
	return hex;
}

} // namespace hg
