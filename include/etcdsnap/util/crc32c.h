// CRC-32C (Castagnoli), as Go's crc32.Update(crc, MakeTable(Castagnoli), data): reflected,
// init and final xor folded in so that Extend(Extend(0, a), b) == Extend(0, a+b).
// Uses the SSE4.2 crc32 instruction when the CPU has it (three chains at once on buffers of
// 768 bytes and more), a slicing-by-8 table otherwise.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace etcdsnap::crc32c {

uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Extend(uint32_t crc, std::span<const uint8_t> data) {
  return Extend(crc, data.data(), data.size());
}
inline uint32_t Extend(uint32_t crc, std::string_view data) {
  return Extend(crc, data.data(), data.size());
}
inline uint32_t Value(std::string_view data) { return Extend(0, data); }

// The CRC of A followed by B from the CRC of A, the CRC of B (from 0) and B's length, as zlib's
// crc32_combine: Combine(Value(a), Value(b), b.size()) == Value(a + b). Costs log2(len_b)
// 32x32 bit matrix products (a few microseconds), whatever the length.
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

// The portable implementation, exposed so tests can compare it with the hardware one.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);

}  // namespace etcdsnap::crc32c
