//===- AlignedBytes.h - byte buffers at a cache-line boundary --*- C++ -*-===//
//
// The JIT runner's buffers (model inputs and outputs, the weights blob, the
// arena) in memory that starts on a 64-byte boundary, as the C host's
// buffers do (kiln_runtime.c, the generated weights blob). A std::vector's
// malloc gives 16: every 64-byte weight offset of the host plan then sits 16
// bytes off a cache line, a 16-wide load spans two lines, and the tuner,
// which times candidates through this runner, ranked schedules by costs the
// compiled library does not have.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_JIT_ALIGNEDBYTES_H
#define KILN_TARGETS_JIT_ALIGNEDBYTES_H

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace kiln::jit {

template <typename T, std::size_t Align = 64> struct AlignedAllocator {
  using value_type = T;
  template <typename U> struct rebind { using other = AlignedAllocator<U, Align>; };
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U, Align> &) {}
  T *allocate(std::size_t n) {
    return static_cast<T *>(::operator new(n * sizeof(T), std::align_val_t(Align)));
  }
  void deallocate(T *p, std::size_t) { ::operator delete(p, std::align_val_t(Align)); }
  template <typename U> bool operator==(const AlignedAllocator<U, Align> &) const { return true; }
  template <typename U> bool operator!=(const AlignedAllocator<U, Align> &) const { return false; }
};

/// Bytes whose first element is 64-byte aligned.
using AlignedBytes = std::vector<uint8_t, AlignedAllocator<uint8_t>>;

} // namespace kiln::jit

#endif
