// sha256Hex (a thin wrapper over Nettle) against the FIPS 180-4 examples, lengths around
// the padding boundaries (55 bytes: length fits in the last block; 56 and 64: padding needs
// another block) and bytes a C string or a signed char would get wrong.
// The policy fingerprint is its only user.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "base/sha256.h"

using namespace hg;

TEST_CASE("sha256 matches the standard test vectors", "[sha256]")
{
	CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK(sha256Hex(std::string(1000000, 'a')) ==
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 pads correctly around block boundaries", "[sha256]")
{
	CHECK(sha256Hex(std::string(55, 'a')) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK(sha256Hex(std::string(56, 'a')) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK(sha256Hex(std::string(64, 'a')) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	CHECK(sha256Hex(std::string(119, 'a')) == "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
}

TEST_CASE("sha256 hashes every byte of the view, NULs and high bytes included", "[sha256]")
{
	CHECK(sha256Hex(std::string_view("a\0b", 3)) ==
	      "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
	std::string all;
	for (int i = 0; i < 256; i++)
		all += char(i);
	CHECK(sha256Hex(all) == "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
}
