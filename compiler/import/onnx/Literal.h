//===- Literal.h - tensors the ONNX importer knows the contents of -*- C++ -*-===//
//
// A Literal is a tensor whose values are known at import time: an
// initializer, a Constant node, or the result of folding a shape computation
// (Shape -> Gather -> Concat -> Reshape). The importer keeps them on the host
// so that shape subgraphs fold away and weights can be re-laid out (OIHW to
// OHWI) before they become MLIR constants.
//
// Data movement (transpose, slice, concat, gather, broadcast) works on raw
// bytes for every element type, so weights stay bit-exact. Arithmetic is only
// meant for small shape computations and goes through int64 or double.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_LITERAL_H
#define KILN_COMPILER_IMPORT_ONNX_LITERAL_H

#include "compiler/import/onnx/Elements.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace kiln::onnx_import {

class Literal {
public:
  Literal() = default;

  /// Reads an initializer or a Constant's value. `baseDir` resolves external
  /// data files. The data is copied out of the proto.
  static llvm::Expected<Literal> fromTensorProto(const onnx::TensorProto &tensor,
                                                 llvm::StringRef baseDir);
  /// Takes ownership of raw little-endian bytes.
  static Literal fromBytes(int32_t dtype, std::vector<int64_t> shape, std::vector<char> bytes);
  /// A tensor of `shape` whose elements all equal the one element in `bytes`.
  static Literal splat(int32_t dtype, std::vector<int64_t> shape, std::vector<char> element);
  /// Converts each value to `dtype` (integer or floating point).
  static Literal fromInts(int32_t dtype, std::vector<int64_t> shape,
                          llvm::ArrayRef<int64_t> values);
  static Literal fromDoubles(int32_t dtype, std::vector<int64_t> shape,
                             llvm::ArrayRef<double> values);

  int32_t dtype() const { return dtype_; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t size() const { return numElements(shape_); }
  bool isSplat() const { return splat_; }
  /// All elements, expanded if this is a splat.
  std::vector<char> bytes() const;
  /// The stored bytes: one element for a splat, all of them otherwise.
  llvm::ArrayRef<char> rawData() const { return *data_; }

  int64_t intAt(int64_t index) const;
  double doubleAt(int64_t index) const;
  std::vector<int64_t> toInts() const;
  std::vector<double> toDoubles() const;

  /// Same data, new shape (the element count must match).
  Literal reshaped(std::vector<int64_t> shape) const;
  Literal transposed(llvm::ArrayRef<int64_t> perm) const;
  /// Elements start[d] + i * step[d] for i < outShape[d], along every dim.
  Literal strided(llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> step,
                  llvm::ArrayRef<int64_t> outShape) const;
  /// Numpy broadcasting to `shape` (which must be compatible).
  Literal broadcastTo(llvm::ArrayRef<int64_t> shape) const;
  Literal castTo(int32_t dtype) const;
  static Literal concat(llvm::ArrayRef<const Literal *> parts, int64_t axis);
  /// ONNX Gather: indices are already normalised to [0, dim).
  Literal gather(llvm::ArrayRef<int64_t> indices, llvm::ArrayRef<int64_t> indexShape,
                 int64_t axis) const;

private:
  Literal(int32_t dtype, std::vector<int64_t> shape, std::vector<char> bytes, bool splat);
  const char *element(int64_t index) const;

  int32_t dtype_ = 0;
  std::vector<int64_t> shape_;
  // Shared so that copies of a large initializer (aliases through Identity,
  // the value table) never copy megabytes.
  std::shared_ptr<const std::vector<char>> data_;
  bool splat_ = false;
};

} // namespace kiln::onnx_import

#endif
