// SHA-256 against FIPS 180-4 vectors and against sha256sum at the padding boundaries (55, 56,
// 63, 64 bytes: where the length field does or does not fit in the last block).

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/sha256.hh"

namespace oci_harden {
namespace {

// "abcdefghijklmnopqrstuvwxyzabc..." cut to n bytes, as the shell made it for sha256sum.
std::string alphabet(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace

TEST_CASE("sha256: FIPS 180-4 vectors", "[sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: padding boundaries, against sha256sum", "[sha256]") {
  // printf '%s' "$(alphabet N)" | sha256sum
  CHECK(sha256_hex(alphabet(55)) == "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005");
  CHECK(sha256_hex(alphabet(56)) == "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51");
  CHECK(sha256_hex(alphabet(63)) == "5ca3e1ef5207490eac01a795e5cc94d59582a5118bf9534665c8668d87aa647c");
  CHECK(sha256_hex(alphabet(64)) == "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e");
  CHECK(sha256_hex(alphabet(65)) == "1b3cd1877ab2f2f19f7be001722554f336cb799df0329de0bb4c118dc6abc06d");
  CHECK(sha256_hex(alphabet(119)) == "faef67da856d6fd9c8d12f9ed0a4fefd3cf0ce085ab43e2907418d457e3c354b");
  CHECK(sha256_hex(alphabet(120)) == "c9512b08619c19fbb503c7da6b46ef20301e5f7a7a5f43989182398536f5c5c8");
  CHECK(sha256_hex(alphabet(128)) == "6c05be2c4268843ae47e68e611277ce62c02153f2f4d2e1e2a1a4b44f766cf74");
}

TEST_CASE("sha256: binary input and output form", "[sha256]") {
  std::string with_nul("a\0b", 3);
  CHECK(sha256_hex(with_nul) == "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
  CHECK(sha256_hex(with_nul) != sha256_hex("a"));
  CHECK(sha256_hex(with_nul) != sha256_hex("ab"));
  std::string h = sha256_hex("x");
  CHECK(h == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
  CHECK(h.size() == 64);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(sha256_hex("x") == h);
  CHECK(sha256_hex("y") != h);
}

}  // namespace oci_harden
