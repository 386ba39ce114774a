//===- HostTensor.h - a tensor in host memory, as runners exchange it -*- C++ -*-===//
//
// The in-memory form of model inputs and outputs for the JIT runner and the
// tools around it: element type, row-major shape and raw little-endian
// bytes (bool as one byte per element). No Halide, no MLIR ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_JIT_HOSTTENSOR_H
#define KILN_TARGETS_JIT_HOSTTENSOR_H

#include "dialects/kiln/DType.h"
#include "targets/jit/AlignedBytes.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::jit {

struct HostTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  AlignedBytes data; ///< row-major, numElements() * dtypeBytes(dtype); 64-byte aligned

  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeBytes(dtype); }
  /// A zero-filled tensor of the given type and shape.
  static HostTensor zeros(std::string name, DType dtype, std::vector<int64_t> shape);
  template <typename T> T *as() { return reinterpret_cast<T *>(data.data()); }
  template <typename T> const T *as() const { return reinterpret_cast<const T *>(data.data()); }
};

/// "1x3x224x224" (or "scalar" for rank 0).
std::string shapeString(llvm::ArrayRef<int64_t> shape);

} // namespace kiln::jit

#endif
