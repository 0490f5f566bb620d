// Bitset: one bit per page id, for the reachable and freed sets of a check (2 M pages of a
// 8 GiB database take 256 KiB). Sized once; ids past the end read as unset. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace etcdsnap::bolt {

class Bitset {
 public:
  explicit Bitset(uint64_t bits = 0) : words_((bits + 63) / 64, 0), bits_(bits) {}
  uint64_t size() const { return bits_; }
  bool Test(uint64_t i) const { return i < bits_ && (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(uint64_t i) {
    if (i < bits_) words_[i >> 6] |= uint64_t{1} << (i & 63);
  }
  // Sets every bit set in `other` (of the same size); returns whether any was set in both.
  bool Merge(const Bitset& other) {
    uint64_t both = 0;
    for (size_t i = 0; i < words_.size() && i < other.words_.size(); ++i) {
      both |= words_[i] & other.words_[i];
      words_[i] |= other.words_[i];
    }
    return both != 0;
  }
  uint64_t Count() const {
    uint64_t n = 0;
    for (uint64_t w : words_) n += static_cast<uint64_t>(__builtin_popcountll(w));
    return n;
  }

 private:
  std::vector<uint64_t> words_;
  uint64_t bits_;
};

}  // namespace etcdsnap::bolt
