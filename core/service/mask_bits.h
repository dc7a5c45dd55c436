#pragma once
// A mask's 0/1 bytes <-> packed bits (pixel k of a byte in its bit k): the
// hot loop of every click the model process answers, run twice (packed in
// the model process, unpacked in the GUI) on three full-size masks a click.
// Each direction has a portable loop, an SSE2 one (every x86-64 CPU) and an
// AVX2 one, picked once by what the CPU has.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace samlabel::service::wire {

// How many bytes `pixels` pixels of bits take (the last one padded).
inline std::size_t packed_mask_bytes(std::size_t pixels) { return (pixels + 7) / 8; }

// The first `pixels` bytes of `mask` (any non-zero byte counts as 1) as
// (pixels + 7) / 8 bytes of bits; the last byte's unused bits are 0.
void pack_mask_bits(const std::uint8_t* mask, std::size_t pixels, std::uint8_t* bits);

// `pixels` pixels of bits as 0/1 bytes: *mask is replaced, and sized `pixels`.
void unpack_mask_bits(const std::uint8_t* bits, std::size_t pixels, std::vector<std::uint8_t>* mask);

// Every way this build and CPU can pack and unpack, the one used first
// (tests run them all against each other and a reference).
enum class MaskBitsIsa { Portable, Sse2, Avx2 };
std::vector<MaskBitsIsa> mask_bits_isas();
std::string_view mask_bits_isa_name(MaskBitsIsa isa);
void pack_mask_bits(MaskBitsIsa isa, const std::uint8_t* mask, std::size_t pixels, std::uint8_t* bits);
void unpack_mask_bits(MaskBitsIsa isa, const std::uint8_t* bits, std::size_t pixels, std::vector<std::uint8_t>* mask);

}  // namespace samlabel::service::wire
