#pragma once
// Bytes as strace quotes them (the strace printer, strace/, and the addresses net/ renders).

#include <string>
#include <string_view>

namespace hg::strace {

// Without the surrounding quotes: printable ASCII as is, \" \\ \n \t \r \f \v escaped,
// anything else in octal (\0, \377), three digits when an octal digit follows.
// forceHex: every byte as \xNN, as strace prints an int sockopt of the wrong size.
std::string escape(std::string_view bytes, bool forceHex = false);

// A quoted string as strace prints a buffer of `len` bytes of which `shown` were read
// (shown <= -s): "abc", "abc"... when len exceeds what was shown.
std::string quoted(std::string_view shown, size_t len, bool forceHex = false);

} // namespace hg::strace
