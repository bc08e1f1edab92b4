#pragma once
// SHA-256 of the policy file for the evidence report, from Nettle (nettle-dev,
// pkg-config 'nettle'). Only a digest for fingerprinting, never used with secrets.

#include <string>
#include <string_view>

namespace hg {

// Lower-case hex of the SHA-256 of data: "e3b0c442...b855" for "".
std::string sha256Hex(std::string_view data);

} // namespace hg
