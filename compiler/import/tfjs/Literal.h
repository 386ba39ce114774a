//===- Literal.h - tensors the TF.js importer knows the values of -*- C++ -*-===//
//
// A Literal is a tensor whose values are known at import time, the TF.js
// counterpart of the ONNX importer's Literal: weights (Const nodes) and the
// results of shape computations (Shape -> StridedSlice -> Pack -> Reshape)
// live on the host until a TOSA op needs them, so shape subgraphs fold away
// and weights can be re-laid out (TF's HWIO filters to TOSA's OHWI) before
// they become constants.
//
// Floats are held as float (bit-exact weights); integers and bools as int64.
// Data movement works for both; arithmetic is meant for small shape
// computations.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_LITERAL_H
#define KILN_COMPILER_IMPORT_TFJS_LITERAL_H

#include "compiler/import/common/Shapes.h"
#include "dialects/kiln/DType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::tfjs_import {

/// Whether the importer carries `dtype`: only the types TF.js runs with,
/// F32, I32 and Bool. float16 weights are widened to F32 when read, and TF's
/// other integer types are int32 in TF.js (dtypeFromTf).
bool isTfjsDType(DType dtype);
/// From TF's DataType names ("DT_FLOAT", ...), mapped as TF.js maps them
/// (DT_INT64 and DT_UINT8 are int32, DT_DOUBLE is float32). std::nullopt if
/// TF.js cannot run the type either (strings, complex numbers).
std::optional<DType> dtypeFromTf(llvm::StringRef name);

using kiln::import::numElements;
using kiln::import::rowMajorStrides;
/// "[1, 192, 192, 3]".
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  return import::shapeString(shape, ", ");
}

class Literal {
public:
  Literal() = default;
  static Literal fromFloats(std::vector<int64_t> shape, std::vector<float> values);
  /// I32 or Bool; values are stored as given (callers wrap or clamp).
  static Literal fromInts(DType dtype, std::vector<int64_t> shape, std::vector<int64_t> values);
  /// `shape` filled with `value` (converted to `dtype`, one of the carried
  /// types).
  static Literal splat(DType dtype, std::vector<int64_t> shape, double value);

  DType dtype() const { return dtype_; }
  bool isFloat() const { return dtype_ == DType::F32; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t size() const { return numElements(shape_); }
  bool isSplat() const;

  const std::vector<float> &floats() const { return *floats_; }
  const std::vector<int64_t> &ints() const { return *ints_; }
  double at(int64_t index) const;
  int64_t intAt(int64_t index) const;
  /// All elements as integers (floats truncated toward zero).
  std::vector<int64_t> toInts() const;

  //--- Data movement: exact for every element type.
  Literal reshaped(std::vector<int64_t> shape) const;
  Literal transposed(llvm::ArrayRef<int64_t> perm) const;
  /// Element i of the result is element source[i] of this tensor.
  Literal remapped(std::vector<int64_t> shape, llvm::ArrayRef<int64_t> source) const;
  /// Elements begin[d] + k * step[d] for k < outShape[d] along each dim
  /// (steps may be negative).
  Literal strided(llvm::ArrayRef<int64_t> begin, llvm::ArrayRef<int64_t> step,
                  llvm::ArrayRef<int64_t> outShape) const;
  Literal broadcastTo(llvm::ArrayRef<int64_t> shape) const;
  static Literal concat(llvm::ArrayRef<const Literal *> parts, int64_t axis);
  /// Casts as TF does (to a carried type): float to int truncates toward
  /// zero, to bool is != 0.
  Literal castTo(DType dtype) const;

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  // Shared so that aliases (Identity, the value table) never copy weights.
  std::shared_ptr<const std::vector<float>> floats_;
  std::shared_ptr<const std::vector<int64_t>> ints_;
};

/// Numpy broadcasting of two shapes, or an error naming both.
inline llvm::Expected<std::vector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                            llvm::ArrayRef<int64_t> b) {
  return import::broadcastShapes(a, b, ", ");
}

/// Elementwise arithmetic folded on the host, with TF's semantics.
enum class HostBinary {
  Add,
  Sub,
  Mul,
  RealDiv,
  FloorDiv,
  FloorMod,
  Maximum,
  Minimum,
  SquaredDifference
};
/// Both operands have one dtype; the result has it too.
llvm::Expected<Literal> foldBinary(HostBinary op, const Literal &a, const Literal &b);

} // namespace kiln::tfjs_import

#endif
