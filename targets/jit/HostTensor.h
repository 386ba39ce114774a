//===- HostTensor.h - a tensor in host memory, as runners exchange it -*- C++ -*-===//
//
// The in-memory form of model inputs and outputs for the JIT runner and the
// tools around it: element type, row-major shape and raw little-endian
// bytes (bool as one byte per element). No Halide, no MLIR ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_HOSTTENSOR_H
#define KILN_CODEGEN_HOSTTENSOR_H

#include "mlir/IR/Types.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::codegen {

enum class DType { F32, F16, BF16, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

/// The dtype of an MLIR element type (f32, i64, i1, ui8...); signless
/// integers are signed, as in TOSA.
llvm::Expected<DType> dtypeOf(mlir::Type elementType);
/// Bytes of one element (1 for bool).
size_t dtypeBytes(DType dtype);
/// ONNX/numpy spelling: "float32", "int64", "bool"...
llvm::StringRef dtypeName(DType dtype);
llvm::Expected<DType> parseDType(llvm::StringRef name);

struct HostTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; ///< row-major, numElements() * dtypeBytes(dtype)

  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeBytes(dtype); }
  /// A zero-filled tensor of the given type and shape.
  static HostTensor zeros(std::string name, DType dtype, std::vector<int64_t> shape);
  template <typename T> T *as() { return reinterpret_cast<T *>(data.data()); }
  template <typename T> const T *as() const { return reinterpret_cast<const T *>(data.data()); }
};

/// "1x3x224x224" (or "scalar" for rank 0).
std::string shapeString(llvm::ArrayRef<int64_t> shape);

} // namespace kiln::codegen

#endif
