//===- Tosa.h - small TOSA building blocks for the TF.js converters -*- C++ -*-===//
//
// Shapes are static everywhere, so each helper computes its result type.
// Elementwise helpers apply TF's (numpy) broadcasting the way TOSA wants it:
// equal ranks, the lower-rank operand reshaped with leading 1s, each
// dimension equal or 1. Helpers that would build an identity (a reshape to
// the same shape, a full slice) return their input.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_TOSA_H
#define KILN_COMPILER_IMPORT_TFJS_TOSA_H

#include "compiler/import/tfjs/NodeContext.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace kiln::tfjs_import {

mlir::RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);
mlir::RankedTensorType typeOf(mlir::Value v);

/// A constant of `shape` filled with `value`.
mlir::Value splat(NodeContext &node, mlir::Type elementType, double value,
                  llvm::ArrayRef<int64_t> shape);
/// A [1, ..., 1] constant of `like`'s rank and element type.
mlir::Value scalarLike(NodeContext &node, mlir::Value like, double value);
/// A small i32 constant (perms, paddings, indices).
mlir::Value i32Constant(NodeContext &node, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape);

mlir::Value reshape(NodeContext &node, mlir::Value v, llvm::ArrayRef<int64_t> shape);
mlir::Value transpose(NodeContext &node, mlir::Value v, llvm::ArrayRef<int64_t> perm);
mlir::Value slice(NodeContext &node, mlir::Value v, llvm::ArrayRef<int64_t> start,
                  llvm::ArrayRef<int64_t> size);
mlir::Value concat(NodeContext &node, llvm::ArrayRef<mlir::Value> parts, int64_t axis);
/// Constant padding: `lowHigh` holds (low, high) for each dimension.
mlir::Value pad(NodeContext &node, mlir::Value v, llvm::ArrayRef<int64_t> lowHigh, double padValue);
mlir::Value cast(NodeContext &node, mlir::Value v, mlir::Type elementType);
/// Prepends 1s so that `v` has `rank` dimensions.
mlir::Value expandRank(NodeContext &node, mlir::Value v, int64_t rank);

/// Elementwise binary op with broadcasting; the result has `a`'s element
/// type unless `resultElement` is given (comparisons give i1).
template <typename OpTy>
mlir::Value binary(NodeContext &node, mlir::Value a, mlir::Value b,
                   mlir::Type resultElement = mlir::Type());
mlir::Value mul(NodeContext &node, mlir::Value a, mlir::Value b);
mlir::Value select(NodeContext &node, mlir::Value pred, mlir::Value a, mlir::Value b);
template <typename OpTy> mlir::Value unary(NodeContext &node, mlir::Value v) {
  return node.create<OpTy>(v.getType(), v);
}
mlir::Value negate(NodeContext &node, mlir::Value v);
mlir::Value clamp(NodeContext &node, mlir::Value v, double lo, double hi);

/// TOSA reductions keep the reduced dimension, with size 1.
template <typename OpTy> mlir::Value reduce(NodeContext &node, mlir::Value v, int64_t axis) {
  llvm::SmallVector<int64_t> shape(typeOf(v).getShape());
  shape[axis] = 1;
  return node.create<OpTy>(tensorOf(shape, typeOf(v).getElementType()), v,
                           node.builder().getI32IntegerAttr(axis));
}

//--- Explicit instantiations live in Tosa.cpp.
#define KILN_TFJS_BINARY(Op)                                                                       \
  extern template mlir::Value binary<mlir::tosa::Op>(NodeContext &, mlir::Value, mlir::Value,      \
                                                     mlir::Type);
KILN_TFJS_BINARY(AddOp)
KILN_TFJS_BINARY(SubOp)
KILN_TFJS_BINARY(MaximumOp)
KILN_TFJS_BINARY(MinimumOp)
KILN_TFJS_BINARY(PowOp)
KILN_TFJS_BINARY(IntDivOp)
KILN_TFJS_BINARY(GreaterEqualOp)
KILN_TFJS_BINARY(GreaterOp)
KILN_TFJS_BINARY(EqualOp)
KILN_TFJS_BINARY(LogicalAndOp)
KILN_TFJS_BINARY(LogicalOrOp)
KILN_TFJS_BINARY(LogicalXorOp)
#undef KILN_TFJS_BINARY

} // namespace kiln::tfjs_import

#endif
